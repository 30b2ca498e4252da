// ONNX export: every seed model runs in ONNX Runtime with the outputs shapeflow computes.
import { describe, expect, test } from "vitest";
import * as ort from "onnxruntime-node";
import { io, liveTensors, nn, tree } from "../src/index.js";
import type { AnyTensor } from "../src/tensor/index.js";
import { decodeOnnxModel } from "../src/io/onnx-proto.js";
import { seedModels, jittered, randomState, inputs, maxAbsDiff } from "./io-export-models.js";
import { random, tensor } from "../src/index.js";
import { scatterAdd } from "../src/core/index.js";

async function runOnnx(bytes: Uint8Array, x: AnyTensor): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const session = await ort.InferenceSession.create(bytes);
  const type = x.dtype === "int32" ? "int32" : "float32";
  const feed = new ort.Tensor(type, x.dataSync() as Float32Array | Int32Array, [...x.shape]);
  const out = await session.run({ input: feed });
  await session.release();
  return { data: out.output.data as Float32Array, dims: out.output.dims };
}

describe("exportOnnx runs every seed model in ONNX Runtime with shapeflow's outputs", () => {
  for (const [name, build] of Object.entries(seedModels)) {
    test(name, async () => {
      const before = liveTensors();
      const model = build();
      const key = random.key(1);
      const init = model.init(key);
      const params = jittered(init, 2);
      const fresh = model.initState();
      const state = randomState(fresh, 3);
      const bytes = io.exportOnnx(model, params, { state: state as never });
      expect(bytes).toBeInstanceOf(Uint8Array);
      expect(bytes.constructor).toBe(Uint8Array); // not a Node Buffer
      let worst = 0;
      // one file, any batch: the batch dim is symbolic
      for (const batch of [4, 1]) {
        const shape = (model.inputShape as readonly (number | string)[]).map((d) => (typeof d === "number" ? d : batch));
        const x = inputs(shape, 10 + batch);
        const want: AnyTensor = (model as any).apply(params, x, { state });
        const got = await runOnnx(bytes, x);
        expect([...got.dims]).toEqual(want.shape);
        worst = Math.max(worst, maxAbsDiff(got.data, want.dataSync()));
        tree.dispose([x, want]);
      }
      console.log(`onnx ${name}: max |diff| = ${worst.toExponential(2)}`);
      expect(worst).toBeLessThanOrEqual(1e-5);
      tree.dispose([key, init, params, fresh, state]);
      expect(liveTensors()).toBe(before);
    });
  }
});

test("the graph has one input with a symbolic batch dim, params as named initializers, opset 18", () => {
  const model = nn.input(["batch", 3]).add(nn.dense(2)).add(nn.relu());
  const params = model.init(random.key(0));
  const onnx = decodeOnnxModel(io.exportOnnx(model, params));
  expect(onnx.opset_import.map((o) => o.version)).toEqual([18]);
  expect(onnx.graph.input.map((i) => i.name)).toEqual(["input"]);
  expect(onnx.graph.input[0].type.tensor_type.shape.dim).toEqual([{ dim_param: "batch" }, { dim_value: 3 }]);
  expect(onnx.graph.output[0].type.tensor_type.shape.dim).toEqual([{ dim_param: "batch" }, { dim_value: 2 }]);
  const inits = onnx.graph.initializer.map((t) => t.name);
  expect(inits).toContain("params[0].kernel");
  expect(inits).toContain("params[0].bias");
  expect(onnx.graph.node.map((n) => n.op_type)).toEqual(["MatMul", "Add", "Relu"]);
  tree.dispose(params);
});

test("a fixed batch size and named dims give a fixed-size graph", async () => {
  const model = nn
    .input(["batch", "time", 5])
    .add(nn.gru(4, { returnSequences: true }))
    .add(nn.simpleRnn(3));
  const params = jittered(model.init(random.key(4)), 5);
  expect(() => io.exportOnnx(model, params)).toThrow(
    'exportOnnx: the input dim "time" of [batch, time, 5] needs a size: pass { dims: { time: n } }',
  );
  const bytes = io.exportOnnx(model, params, { batchSize: 2, dims: { time: 6 } });
  const onnx = decodeOnnxModel(bytes);
  expect(onnx.graph.input[0].type.tensor_type.shape.dim).toEqual([{ dim_value: 2 }, { dim_value: 6 }, { dim_value: 5 }]);
  const x = inputs([2, 6, 5], 6);
  const want = model.apply(params, x as never);
  const got = await runOnnx(bytes, x);
  expect(maxAbsDiff(got.data, want.dataSync())).toBeLessThanOrEqual(1e-5);
  tree.dispose([params, x, want]);
});

test("more layers: conv1d, pools, upsampling, transposed convs, explicit paddings, groups, layer norm, activations", async () => {
  const models = [
    nn
      .input(["batch", 12, 3])
      .add(nn.conv1d({ filters: 4, kernel: 3, padding: "same" }))
      .add(nn.maxPool1d(2))
      .add(nn.conv1d({ filters: 4, kernel: 2, dilations: 2 }))
      .add(nn.avgPool1d({ window: 2, padding: "same" }))
      .add(nn.globalMaxPool1d())
      .add(nn.layerNorm())
      .add(nn.gelu())
      .add(nn.dense(3))
      .add(nn.softmax()),
    nn
      .input(["batch", 7, 7, 2])
      .add(nn.conv2d({ filters: 3, kernel: [3, 2], strides: 2, padding: "same" }))
      .add(nn.upsampling2d(2))
      .add(nn.conv2dTranspose({ filters: 2, kernel: 3, strides: 2, padding: "same" }))
      .add(nn.avgPool2d({ window: 3, strides: 2, padding: "same" }))
      .add(nn.conv2dTranspose({ filters: 2, kernel: 3, strides: 2 }))
      .add(nn.elu(0.5))
      .add(nn.globalAvgPool2d())
      .add(nn.leakyRelu(0.2))
      .add(nn.swish())
      .add(nn.selu()),
    // explicit and cropping paddings, groups, dilated transposed convolution, padded pools
    nn
      .input(["batch", 9, 8, 4])
      .add(
        nn.conv2d({
          filters: 4,
          kernel: 3,
          padding: [
            [1, 0],
            [2, 1],
          ],
          groups: 2,
        }),
      )
      .add(
        nn.maxPool2d({
          window: 3,
          strides: 2,
          padding: [
            [1, 1],
            [0, 1],
          ],
        }),
      )
      .add(
        nn.conv2dTranspose({
          filters: 3,
          kernel: 3,
          strides: 2,
          padding: [
            [1, 2],
            [0, 1],
          ],
          dilations: 2,
        }),
      )
      .add(nn.avgPool2d({ window: 2, padding: 1 })),
    nn
      .input(["batch", 10, 4])
      .add(nn.conv1d({ filters: 4, kernel: 3, padding: [4, 0], dilations: 2, groups: 2 }))
      .add(nn.maxPool1d({ window: 2, padding: [1, 0] })),
  ];
  for (const model of models) {
    const params = jittered(model.init(random.key(7)), 8, 0.2);
    const bytes = io.exportOnnx(model, params);
    const shape = (model.inputShape as readonly (number | string)[]).map((d) => (typeof d === "number" ? d : 3));
    const x = inputs(shape, 9);
    const want: AnyTensor = (model as any).apply(params, x);
    const got = await runOnnx(bytes, x);
    expect([...got.dims]).toEqual(want.shape);
    expect(maxAbsDiff(got.data, want.dataSync())).toBeLessThanOrEqual(1e-5);
    tree.dispose([params, x, want]);
  }
});

test("an embedding model takes int32 ids", async () => {
  const model = nn.input(["batch", 6], "int32").add(nn.embedding(20, 4)).add(nn.flatten()).add(nn.dense(2));
  const params = jittered(model.init(random.key(11)), 12);
  const bytes = io.exportOnnx(model, params);
  const x = random.randint(random.key(13), [3, 6], { min: 0, max: 20 }) as AnyTensor;
  const want = model.apply(params, x as never);
  const got = await runOnnx(bytes, x);
  expect(maxAbsDiff(got.data, want.dataSync())).toBeLessThanOrEqual(1e-5);
  tree.dispose([params, x, want]);
});

test("an unsupported primitive is an error naming it", () => {
  const ids = tensor([0, 2, 5], [3], "int32");
  const scatter = nn.defineLayer<"scatterLayer", {}>({
    kind: "scatterLayer",
    name: "scatterLayer",
    config: {},
    outputShape: (s) => [s[0], 8],
    apply: (_p, x) => scatterAdd(x, ids, 8, 1),
  });
  const model = new nn.Model(["batch", 3], [scatter]);
  expect(() => io.exportOnnx(model as never, [{}] as never)).toThrow(
    /exportOnnx: the primitive "scatterAdd" has no ONNX lowering: it is the adjoint of gather, made by gradients; a forward pass does not use it \(equation \d+ of \d+\)/,
  );
  ids.dispose();
});

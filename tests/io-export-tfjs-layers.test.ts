// tfjs-layers / Keras export and import: tf.loadLayersModel runs every seed model with
// shapeflow's outputs, and weights come back from tfjs-layers (and Keras-style) files.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { liveTensors, nn, random, tree } from "../src/index.js";
import { io } from "../src/node.js";
import type { AnyTensor } from "../src/tensor/index.js";
import { flatten, structureDiff } from "../src/tree/index.js";
import { seedModels, jittered, randomState, inputs, maxAbsDiff } from "./io-export-models.js";

// NOTE: tfjs-layers calls tfjs-core's chained ops (t.flatten(), t.sign(), ...) in its orthogonal
// initializer; Node ESM cannot import tfjs-core's register_all_chained_ops (extensionless
// imports), so the test adds the ones missing as plain calls.
const proto = tf.Tensor.prototype as unknown as Record<string, unknown>;
for (const [name, fn] of Object.entries(tf)) {
  if (typeof fn === "function" && !(name in proto)) {
    proto[name] = function (this: tf.Tensor, ...args: unknown[]) {
      return (fn as (...a: unknown[]) => unknown)(this, ...args);
    };
  }
}
proto.flatten = function (this: tf.Tensor) {
  return tf.reshape(this, [this.size]);
};

const dir = mkdtempSync(join(tmpdir(), "shapeflow-tfjs-layers-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a tfjs-layers model on x and returns the values (every tfjs tensor freed). */
function predict(model: tfl.LayersModel, x: AnyTensor): Float32Array {
  const input = tf.tensor(x.dataSync(), [...x.shape], x.dtype === "int32" ? "int32" : "float32");
  const y = model.predict(input) as tf.Tensor;
  const out = y.dataSync() as Float32Array;
  tf.dispose([input, y]);
  return out;
}

/** What a browser or tfjs-node does with model.json + weights.bin, by hand. */
function filesHandler(modelJsonPath: string): tf.io.IOHandler {
  return {
    load: async () => {
      const json = JSON.parse(readFileSync(modelJsonPath, "utf8")) as tf.io.ModelJSON;
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs = manifest.flatMap((g) => g.weights);
        const bytes = manifest.flatMap((g) => g.paths.map((p) => new Uint8Array(readFileSync(join(modelJsonPath, "..", p)))));
        const all = new Uint8Array(bytes.reduce((a, b) => a + b.byteLength, 0));
        let o = 0;
        for (const b of bytes) {
          all.set(b, o);
          o += b.byteLength;
        }
        return [specs, all.buffer];
      });
    },
  };
}

describe("exportTfjsLayers: tf.loadLayersModel runs every seed model with shapeflow's outputs", () => {
  for (const [name, build] of Object.entries(seedModels)) {
    test(name, async () => {
      const model = build();
      const key = random.key(1);
      const init = model.init(key);
      const params = jittered(init, 2);
      const fresh = model.initState();
      const state = randomState(fresh, 3);
      const before = liveTensors();
      const paths = io.exportTfjsLayers(model, params, join(dir, name), { state: state as never });
      const fromFiles = await tfl.loadLayersModel(filesHandler(paths.modelJson));
      const fromMemory = await tfl.loadLayersModel(tf.io.fromMemory(io.toTfjsLayers(model, params, { state: state as never })));
      const shape = (model.inputShape as readonly (number | string)[]).map((d) => (typeof d === "number" ? d : 4));
      const x = inputs(shape, 10);
      const want: AnyTensor = (model as any).apply(params, x, { state });
      const worst = Math.max(maxAbsDiff(predict(fromFiles, x), want.dataSync()), maxAbsDiff(predict(fromMemory, x), want.dataSync()));
      console.log(`tfjs-layers ${name}: max |diff| = ${worst.toExponential(2)}`);
      expect(worst).toBeLessThanOrEqual(1e-5);
      fromFiles.dispose();
      fromMemory.dispose();
      tree.dispose([x, want]);
      expect(liveTensors()).toBe(before);
      tree.dispose([key, init, params, fresh, state]);
    });
  }
});

test("more layers: conv1d, pools, GRU, simpleRnn, embedding, upsampling, transposed conv, norms, activations, chain, explicit padding", async () => {
  const models = [
    nn
      .input(["batch", 12, 3])
      .add(nn.conv1d({ filters: 4, kernel: 3, padding: "same" }))
      .add(nn.maxPool1d(2))
      .add(nn.conv1d({ filters: 4, kernel: 2, dilations: 2 }))
      .add(nn.avgPool1d({ window: 2, padding: "same" }))
      .add(nn.gru(5, { returnSequences: true, resetAfter: false }))
      .add(nn.simpleRnn(4, { returnSequences: true }))
      .add(nn.globalMaxPool1d())
      .add(nn.layerNorm())
      .add(nn.gelu())
      .add(nn.dense(3, { useBias: false }))
      .add(nn.softmax()),
    nn
      .input(["batch", 7, 7, 2])
      .add(nn.chain(nn.conv2d({ filters: 3, kernel: [3, 2], strides: 2, padding: "same" }), nn.batchNorm()))
      .add(nn.upsampling2d(2))
      .add(nn.conv2dTranspose({ filters: 2, kernel: 3, strides: 2, padding: "same" }))
      .add(nn.avgPool2d({ window: 3, strides: 2, padding: "same" }))
      .add(nn.conv2dTranspose({ filters: 2, kernel: 3, strides: 2 }))
      .add(nn.elu())
      .add(nn.globalAvgPool2d())
      .add(nn.leakyRelu(0.2))
      .add(nn.swish())
      .add(nn.selu())
      .add(nn.reshape([2, 1]))
      .add(nn.lstm(3)),
    nn.input(["batch", 6], "int32").add(nn.embedding(20, 4)).add(nn.flatten()).add(nn.tanh()).add(nn.dense(2)).add(nn.sigmoid()),
    // explicit padding becomes ZeroPadding2D / ZeroPadding1D before a "valid" convolution (causal conv1d included)
    nn
      .input(["batch", 9, 8, 3])
      .add(
        nn.conv2d({
          filters: 4,
          kernel: 3,
          strides: 2,
          padding: [
            [1, 0],
            [2, 1],
          ],
        }),
      )
      .add(nn.reshape([-1, 4]))
      .add(nn.conv1d({ filters: 3, kernel: 3, padding: [4, 0], dilations: 2 })),
  ];
  for (const model of models) {
    const key = random.key(7);
    const params = jittered(model.init(key), 8, 0.2);
    const state = randomState(model.initState(), 9);
    const artifacts = io.toTfjsLayers(model as never, params as never, { state: state as never });
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
    const shape = (model.inputShape as readonly (number | string)[]).map((d) => (typeof d === "number" ? d : 3));
    const k = random.key(9);
    const x = model.inputDType === "int32" ? (random.randint(k, shape, { max: 20 }) as AnyTensor) : inputs(shape, 9);
    const want: AnyTensor = (model as any).apply(params, x, { state });
    expect(maxAbsDiff(predict(loaded, x), want.dataSync())).toBeLessThanOrEqual(1e-5);
    // and back: the import reads every one of these layers, values bit for bit
    const back = io.fromTfjsLayers(artifacts, model as never) as { params: unknown; state: unknown };
    for (const [a, b] of [
      [back.params, params],
      [back.state, state],
    ]) {
      expect(structureDiff(flatten(a)[1], flatten(b)[1])).toBeUndefined();
      flatten(a)[0].forEach((t, i) => expect(Array.from(t.dataSync())).toEqual(Array.from(flatten(b)[0][i].dataSync())));
    }
    loaded.dispose();
    tree.dispose([key, k, params, state, x, want, back]);
  }
});

test("the weights come back bit for bit, in the tree model.init makes", () => {
  const model = seedModels.cnn();
  const key = random.key(3);
  const init = model.init(key);
  const params = jittered(init, 4);
  const state = randomState(model.initState(), 5);
  const paths = io.exportTfjsLayers(model, params, join(dir, "roundtrip"), { state });
  const before = liveTensors();
  const back = io.importTfjsLayers(dir + "/roundtrip", model);
  expect(structureDiff(flatten(back.params)[1], flatten(init)[1])).toBeUndefined();
  expect(structureDiff(flatten(back.state)[1], flatten(state)[1])).toBeUndefined();
  const same = (a: unknown, b: unknown) =>
    flatten(a)[0].every((t, i) => Buffer.from(t.dataSync().buffer).equals(Buffer.from(flatten(b)[0][i].dataSync().buffer)));
  expect(same(back.params, params)).toBe(true);
  expect(same(back.state, state)).toBe(true);
  expect(liveTensors()).toBe(before + flatten([back.params, back.state])[0].length);
  expect(paths.modelJson.endsWith("model.json")).toBe(true);
  tree.dispose([key, init, params, state, back]);
});

test("a model built and saved by tfjs-layers (fused activations, its own names) imports and runs the same", async () => {
  const keras = tfl.sequential();
  keras.add(tfl.layers.conv1d({ filters: 4, kernelSize: 3, activation: "relu", inputShape: [10, 2] }));
  keras.add(tfl.layers.lstm({ units: 5, recurrentActivation: "sigmoid", returnSequences: false }));
  keras.add(tfl.layers.batchNormalization({ epsilon: 1e-3 }));
  keras.add(tfl.layers.dense({ units: 3, activation: "softmax" }));
  let saved: tf.io.ModelArtifacts | undefined;
  await keras.save(
    tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } })),
  );
  const model = nn
    .input(["batch", 10, 2])
    .add(nn.conv1d({ filters: 4, kernel: 3 }))
    .add(nn.relu())
    .add(nn.lstm(5))
    .add(nn.batchNorm())
    .add(nn.dense(3))
    .add(nn.softmax());
  const { params, state } = io.importTfjsLayers(saved as never, model);
  const x = inputs([3, 10, 2], 4);
  const want = model.apply(params, x as never, { state });
  expect(maxAbsDiff(predict(keras, x), want.dataSync())).toBeLessThanOrEqual(1e-5);
  keras.dispose();
  tree.dispose([params, state, x, want]);
});

describe("errors name the layer", () => {
  const mlp = nn.input(["batch", 4]).add(nn.dense(8)).add(nn.relu()).add(nn.dense(2));
  const key = random.key(0);
  const params = mlp.init(key);
  const artifacts = io.toTfjsLayers(mlp, params);
  const edited = (f: (a: any) => void) => {
    const a = JSON.parse(JSON.stringify({ ...artifacts, weightData: undefined }));
    f(a);
    return { ...a, weightData: artifacts.weightData };
  };
  afterAll(() => tree.dispose([key, params]));

  test("on export: layers without a Keras equivalent", () => {
    const res = nn
      .input(["batch", 4])
      .add(nn.dense(4))
      .add(nn.residual(nn.dense(4), nn.relu()));
    expect(() => io.toTfjsLayers(res, [{}, [{}, {}]] as never)).toThrow(
      "exportTfjsLayers: layer 1 (residual(dense(4), relu)) is not sequential; the tfjs-layers export handles sequential models (chains of layers) only",
    );
    expect(() => io.toTfjsLayers(nn.input(["batch", 4]).add(nn.maxout(2, 3)), [{}] as never)).toThrow(
      'exportTfjsLayers: layer 0 (maxout(2, 3)) (kind "maxout") has no tfjs-layers/Keras equivalent',
    );
    expect(() => io.toTfjsLayers(nn.input(["batch", 4]).add(nn.step()), [{}] as never)).toThrow(
      "exportTfjsLayers: layer 0 (step) cannot be exported: the activation step has no Keras equivalent",
    );
    const image = nn.input(["batch", 8, 8, 2]);
    expect(() => io.toTfjsLayers(image.add(nn.conv2d({ filters: 4, kernel: 3, groups: 2 })), [{}] as never)).toThrow(
      "exportTfjsLayers: layer 0 (conv2d(4, 3x3)) cannot be exported: groups 2 has no tfjs-layers equivalent (Conv2D has no groups there)",
    );
    expect(() => io.toTfjsLayers(image.add(nn.conv2dTranspose({ filters: 2, kernel: 3, dilations: 2 })), [{}] as never)).toThrow(
      "exportTfjsLayers: layer 0 (conv2dTranspose(2, 3x3)) cannot be exported: tfjs-layers' Conv2DTranspose has no dilations",
    );
    expect(() => io.toTfjsLayers(image.add(nn.maxPool2d({ window: 2, padding: 1 })), [{}] as never)).toThrow(
      'exportTfjsLayers: layer 0 (maxPool2d(2x2)) cannot be exported: explicit padding has no Keras pooling equivalent (Keras pools pad only with "same")',
    );
    expect(() => io.toTfjsLayers(nn.input(["batch", 4]).add(nn.elu(0.5)), [{}] as never)).toThrow(
      "exportTfjsLayers: layer 0 (elu(0.5)) cannot be exported: tfjs-layers' ELU takes alpha 1 only, got 0.5",
    );
  });

  test("on import: a different layer, a different config, a missing layer, a wrong weight shape", () => {
    const other = nn.input(["batch", 4]).add(nn.dense(8)).add(nn.tanh()).add(nn.dense(2));
    expect(() => io.importTfjsLayers(artifacts, other)).toThrow(
      'importTfjsLayers: layer 1 (tanh) expects Activation activation "tanh", the file\'s Activation "activation_1" has "relu"',
    );
    const wider = nn.input(["batch", 4]).add(nn.dense(9)).add(nn.relu()).add(nn.dense(2));
    expect(() => io.importTfjsLayers(artifacts, wider)).toThrow(
      'importTfjsLayers: layer 0 (dense(9)) expects Dense units 9, the file\'s Dense "dense_1" has 8',
    );
    const longer = mlp.add(nn.sigmoid());
    expect(() => io.importTfjsLayers(artifacts, longer)).toThrow(
      "importTfjsLayers: the model has 4 Keras layers, the file 3 (the file ends before layer 3 (sigmoid))",
    );
    const conv = nn
      .input(["batch", 4, 1])
      .add(nn.conv1d({ filters: 8, kernel: 1 }))
      .add(nn.relu())
      .add(nn.flatten())
      .add(nn.dense(2));
    expect(() => io.importTfjsLayers(artifacts, conv)).toThrow(
      'importTfjsLayers: layer 0 (conv1d(8, 1)) expects a Keras Conv1D, the file has Dense "dense_1" there (Keras layer 0)',
    );
    const badShape = edited((a) => (a.weightSpecs[0].shape = [8, 4]));
    expect(() => io.importTfjsLayers(badShape, mlp)).toThrow(
      'importTfjsLayers: layer 0 (dense(8)): weight "dense_1/kernel" has shape [8, 4], expected [4, 8]',
    );
    const renamed = edited((a) => (a.weightSpecs[1].name = "dense_1/other"));
    expect(() => io.importTfjsLayers(renamed, mlp)).toThrow('importTfjsLayers: layer 0 (dense(8)): the file has no weight "dense_1/bias"');
    const short = { ...artifacts, weightData: artifacts.weightData.slice(0, 100) };
    expect(() => io.importTfjsLayers(short, mlp)).toThrow(
      'importTfjsLayers: the weight data ends at byte 100, but weight "dense_1/kernel" [4, 8] needs bytes 0..128',
    );
  });

  test("on import: GRU with reset_after (Keras 2's default) does not match shapeflow's reset-before GRU", () => {
    const gru = nn.input(["batch", 3, 2]).add(nn.gru(4, { resetAfter: false }));
    const k = random.key(1);
    const p = gru.init(k);
    const a = io.toTfjsLayers(gru, p);
    const keras2 = JSON.parse(JSON.stringify(a.modelTopology));
    keras2.config.layers[0].config.reset_after = true;
    expect(() => io.importTfjsLayers({ ...a, modelTopology: keras2 }, gru)).toThrow(
      'importTfjsLayers: layer 0 (gru(4)) expects GRU reset_after false, the file\'s GRU "gru_1" has true',
    );
    // TF >= 2.2 names recurrent weights layer/cell/weight
    const cellNames = { ...a, weightSpecs: a.weightSpecs.map((s) => ({ ...s, name: s.name.replace("gru_1/", "gru_1/gru_cell/") })) };
    const back = io.importTfjsLayers(cellNames, gru);
    expect(Array.from(back.params[0].kernel.dataSync())).toEqual(Array.from(p[0].kernel.dataSync()));
    tree.dispose([k, p, back]);
  });
});

// The functional API: named inputs, layers piped to nodes, add / concat merges, record outputs,
// shared layers; values against the same computation written with layers by hand, errors worded
// with the node and both shapes, summaries, transforms and leaks.
import { describe, expect, test } from "vitest";
import * as ort from "onnxruntime-node";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { io, losses, optim, train, data, liveTensors } from "../src/index.js";
import { checkpoint, io as nodeIo } from "../src/node.js";
import * as nn from "../src/nn/index.js";
import { grad, jit, sum, add as addT, concat as concatT, matmul, scoped, leafTensors } from "../src/core/index.js";
import { key } from "../src/random/index.js";
import { assertAllClose } from "../src/testing/index.js";
import type { AnyTensor, Tensor } from "../src/tensor/index.js";
import { leaves, paths } from "../src/tree/index.js";
import { disposeTree, input, noLeaks, values } from "./nn-helpers.js";

/** Image + metadata in, logits and an auxiliary regression out: the model most tests use. */
function twoHeads() {
  const image = nn.input("image", ["batch", 6, 6, 1]);
  const meta = nn.input("meta", ["batch", 3]);
  const a = image
    .pipe(nn.conv2d({ filters: 2, kernel: 3 }), "conv")
    .pipe(nn.relu())
    .pipe(nn.flatten());
  const b = meta.pipe(nn.dense(4), "metaDense").pipe(nn.tanh());
  const h = nn.concat([a, b]);
  const logits = h.pipe(nn.dense(5), "logits");
  const aux = h.pipe(nn.dense(1), "aux");
  return nn.model({ inputs: { image, meta }, outputs: { logits, aux } });
}

describe("building and applying", () => {
  test("two inputs, two outputs: params are a record per named layer, outputs a record of tensors", () => {
    noLeaks(() => {
      const model = twoHeads();
      expect(model.inputNames).toEqual(["image", "meta"]);
      expect(model.outputNames).toEqual(["logits", "aux"]);
      expect(model.outputShapes).toEqual({ logits: ["batch", 5], aux: ["batch", 1] });
      expect(model.layerNames).toEqual(["conv", "metaDense", "logits", "aux"]);
      const k = key(0);
      const params = model.init(k);
      // (trees list record keys sorted)
      expect(paths(params)).toEqual([
        "aux.bias",
        "aux.kernel",
        "conv.bias",
        "conv.kernel",
        "logits.bias",
        "logits.kernel",
        "metaDense.bias",
        "metaDense.kernel",
      ]);
      expect(params.logits.kernel.shape).toEqual([2 * 4 * 4 + 4, 5]);
      const x = { image: input([3, 6, 6, 1]) as Tensor<[number, 6, 6, 1]>, meta: input([3, 3], "float32", 2) as Tensor<[number, 3]> };
      const out = model.apply(params, x);
      expect(out.logits.shape).toEqual([3, 5]);
      expect(out.aux.shape).toEqual([3, 1]);
      // the same computation by hand, layer by layer (intermediates freed by the scope)
      const want = scoped(() => {
        const [c] = nn.conv2d({ filters: 2, kernel: 3 }).apply(params.conv, x.image);
        const flat = nn.flatten().apply({}, nn.relu().apply({}, c)[0])[0];
        const [m] = nn.dense(4).apply(params.metaDense, x.meta);
        const h = concatT([flat, nn.tanh().apply({}, m)[0]], -1);
        return addT(matmul(h, params.aux.kernel), params.aux.bias);
      }, leafTensors);
      assertAllClose(out.aux, want, { rtol: 1e-5, atol: 1e-6 });
      disposeTree(k, params, x, out, want);
    });
  });

  test("add merges branches of one shape; a shared layer (same object, same name) has one set of params", () => {
    noLeaks(() => {
      const left = nn.input("left", ["batch", 4]);
      const right = nn.input("right", ["batch", 4]);
      const shared = nn.dense(3);
      const sum2 = nn.add([left.pipe(shared, "shared"), right.pipe(shared, "shared")]);
      const model = nn.model({ inputs: { left, right }, outputs: { y: sum2 } });
      const k = key(1);
      const params = model.init(k);
      expect(Object.keys(params)).toEqual(["shared"]);
      expect(model.paramCount()).toBe(4 * 3 + 3);
      const l = input([2, 4], "float32", 3);
      const r = input([2, 4], "float32", 4);
      const { y } = model.apply(params, { left: l, right: r } as never);
      const want = scoped(() => addT(shared.apply(params.shared, l)[0], shared.apply(params.shared, r)[0]), leafTensors);
      assertAllClose(y, want, { rtol: 1e-5, atol: 1e-6 });
      expect(model.summary()).toMatch(/^shared#2 +dense\(3\) +\[batch, 3\] +shared +right$/m);
      disposeTree(k, params, l, r, y, want);
    });
  });

  test("summary lists every node with its layer, output shape, params and inputs", () => {
    noLeaks(() => {
      const s = twoHeads().summary();
      expect(s).toMatch(/^Node +Layer +Output shape +Params +Connected to$/m);
      expect(s).toMatch(/^image +input \(float32\) +\[batch, 6, 6, 1\] +0$/m);
      expect(s).toMatch(/^conv +conv2d.* +\[batch, 4, 4, 2\] +20 +image$/m);
      expect(s).toMatch(/^concat_1 +concat\(axis 1\) +\[batch, 36\] +0 +flatten_1, tanh_1$/m);
      expect(s).toMatch(/^logits +dense\(5\) +\[batch, 5\] +185 +concat_1$/m);
      expect(s).toContain("Outputs: logits = logits, aux = aux");
      expect(s).toContain(`Total params: ${(20 + 16 + 185 + 37).toLocaleString("en-US")}`);
    });
  });

  test("grad with respect to the params record and jit(model.apply) agree with eager", () => {
    noLeaks(() => {
      const model = twoHeads();
      const k = key(2);
      const params = model.init(k);
      const x = { image: input([2, 6, 6, 1]), meta: input([2, 3], "float32", 5) };
      const loss = (p: typeof params) => sum(model.apply(p, x as never).logits) as Tensor<[]>;
      const g = grad(loss)(params);
      expect(paths(g)).toEqual(paths(params));
      expect(leaves(g).map((t) => t.shape)).toEqual(leaves(params).map((t) => t.shape));
      const fast = jit(model.apply);
      const a = fast(params, x as never);
      const b = model.apply(params, x as never);
      assertAllClose(a.logits, b.logits, { rtol: 1e-5, atol: 1e-6 });
      fast.dispose();
      disposeTree(k, params, x, g, a, b);
    });
  });

  test("state (batch norm) is a record too, and training mode with dropout needs a key", () => {
    noLeaks(() => {
      const x = nn.input("x", ["batch", 4]);
      const y = x.pipe(nn.batchNorm(), "norm").pipe(nn.dropout(0.5)).pipe(nn.dense(2), "out");
      const model = nn.model({ inputs: { x }, outputs: { y } });
      const k = key(3);
      const params = model.init(k);
      const state = model.initState();
      expect(Object.keys(state)).toEqual(["norm", "out"]);
      const xs = input([8, 4]);
      expect(() => model.apply(params, { x: xs } as never, { training: true, state })).toThrow(
        "apply: training mode with dropout needs a PRNG key: apply(params, inputs, { training: true, key })",
      );
      const [out, next] = model.applyWithState(params, { x: xs } as never, { training: true, key: k, state });
      expect(out.y.shape).toEqual([8, 2]);
      expect(leaves(next).map((t) => t.shape)).toEqual(leaves(state).map((t) => t.shape));
      disposeTree(k, params, state, xs, out, next);
    });
  });
});

describe("errors name the merge, the node and the shapes", () => {
  test("merges of shapes that do not fit", () => {
    const a = nn.input("a", ["batch", 4]);
    const b = nn.input("b", ["batch", 3]);
    const c = nn.input("c", ["batch", 2, 3]);
    // @ts-expect-error -- the compile-time check of the same mistake (see nn-functional.test-d.ts)
    expect(() => nn.add([a, b])).toThrow("nn.add: shapes [batch, 4] and [batch, 3] differ at axis 1 (4 vs 3)");
    // @ts-expect-error -- ranks differ
    expect(() => nn.concat([a, c])).toThrow("nn.concat: all shapes need rank 2, got [batch, 4] and [batch, 2, 3]");
    // @ts-expect-error -- only the concat axis may differ
    expect(() => nn.concat([a, b], 0)).toThrow(
      "nn.concat: dims differ at axis 1 (4 vs 3) in [batch, 4] and [batch, 3]; only axis 0 may differ",
    );
    // @ts-expect-error -- not an array of nodes
    expect(() => nn.add([a, 3])).toThrow("nn.add: entry 1 must be a node (nn.input(name, shape), node.pipe(...)), got number");
  });

  test("a layer that does not fit its node, and a layer with params and no name", () => {
    const x = nn.input("x", ["batch", 4]);
    // @ts-expect-error -- conv2d on a rank-2 node
    expect(() => x.pipe(nn.conv2d({ filters: 2, kernel: 3 }), "conv")).toThrow("conv2d");
    // @ts-expect-error -- dense has params: it needs a name
    expect(() => x.pipe(nn.dense(3))).toThrow('pipe: dense(3) has params or state, so it needs a name: node.pipe(layer, "name")');
    // @ts-expect-error -- an uncalled factory
    expect(() => x.pipe(nn.relu)).toThrow("pipe: expected a layer, got a function (call it: nn.relu(), not nn.relu)");
  });

  test("model-level checks: missing inputs, a name for two layers, wrong keys", () => {
    const x = nn.input("x", ["batch", 4]);
    const z = nn.input("z", ["batch", 4]);
    const y = nn.add([x.pipe(nn.dense(2), "d"), z.pipe(nn.dense(2), "d")]);
    expect(() => nn.model({ inputs: { x, z }, outputs: { y } })).toThrow(
      'nn.model: the name "d" is given to two different layers (dense(2) and dense(2)); pipe the same layer object to share params',
    );
    const y2 = nn.add([x.pipe(nn.relu()), z]);
    expect(() => nn.model({ inputs: { x }, outputs: { y: y2 } })).toThrow(
      'nn.model: the outputs read the input "z", which is not in inputs (x)',
    );
    expect(() => nn.model({ inputs: { w: x }, outputs: { y: y2 } })).toThrow(
      'nn.model: inputs.w is the input named "x"; use the same name as the key',
    );
    const shared = nn.dense(2);
    const w = nn.input("w", ["batch", 5]);
    const y3 = nn.concat([x.pipe(shared, "s"), w.pipe(shared, "s")]);
    expect(() => nn.model({ inputs: { x, w }, outputs: { y: y3 } })).toThrow(
      'nn.model: the shared layer "s" (dense(2)) gets inputs [batch, 4] and [batch, 5], which need different params',
    );
  });

  test("apply checks the input record: missing, wrong shape, inconsistent symbolic dims, dtype", () => {
    noLeaks(() => {
      const model = twoHeads();
      const k = key(4);
      const params = model.init(k);
      const img = input([2, 6, 6, 1]);
      const meta3 = input([3, 3]);
      const meta2 = input([2, 4]);
      expect(() => model.apply(params, { image: img } as never)).toThrow(
        'apply: no input "meta" in { image } (the model\'s inputs: image, meta)',
      );
      expect(() => model.apply(params, { image: img, meta: [1, 2, 3] } as never)).toThrow('apply: input "meta" must be a tensor, got');
      expect(() => model.apply(params, { image: img, meta: meta3 } as never)).toThrow(
        'apply: the dim "batch" is 2 in input "image" but 3 in input "meta"',
      );
      expect(() => model.apply(params, { image: img, meta: meta2 } as never)).toThrow('apply: input "meta" expects [batch, 3], got [2, 4]');
      expect(() => model.apply(params, img as never)).toThrow("apply: expected a record of input tensors { image, meta }");
      const meta = input([2, 3]);
      expect(() => model.apply({ conv: params.conv } as never, { image: img, meta } as never)).toThrow(
        'apply: expected params { conv, metaDense, logits, aux } (from model.init), got no entry "metaDense"',
      );
      disposeTree(k, params, img, meta3, meta2, meta);
    });
  });

  test("a sequential nn.input still works with the same function", () => {
    const m = nn.input(["batch", 4]).add(nn.dense(2));
    expect(m).toBeInstanceOf(nn.Model);
    expect(() => nn.input("", [2])).toThrow('input: the name must be a non-empty string, got ""');
  });
});

// ---------------------------------------------------------------- a model as a layer

/** A tensor's values, the tensor freed. */
function host(t: AnyTensor): number[] {
  const v = Array.from(t.dataSync());
  t.dispose();
  return v;
}

describe("a model as a layer (nn.asLayer): inside a graph or a chain, params nested under its name", () => {
  test("a sequential encoder piped into a functional graph: values, gradients, jit and a checkpoint round trip", () => {
    noLeaks(() => {
      const encoder = nn.input(["batch", 5]).add(nn.dense(4)).add(nn.tanh()).add(nn.dense(3));
      const image = nn.input("image", ["batch", 5]);
      const meta = nn.input("meta", ["batch", 2]);
      const h = nn.concat([image.pipe(nn.asLayer(encoder), "encoder"), meta]);
      const model = nn.model({ inputs: { image, meta }, outputs: { y: h.pipe(nn.dense(2), "head") } });
      expect(model.layerNames).toEqual(["encoder", "head"]);
      const k = key(30);
      const params = model.init(k);
      expect(paths(params).sort()).toEqual(
        ["encoder[0].bias", "encoder[0].kernel", "encoder[2].bias", "encoder[2].kernel", "head.bias", "head.kernel"].sort(),
      );
      const x = input([3, 5], "float32", 31);
      const m = input([3, 2], "float32", 32);
      // the same computation written by hand: the encoder's own apply, then concat and dense
      const byHand = (p: typeof params, xi: AnyTensor, mi: AnyTensor) => {
        const e = encoder.apply(p.encoder, xi as never);
        return addT(matmul(concatT([e, mi], -1), p.head.kernel), p.head.bias);
      };
      assertAllClose(host(model.apply(params, { image: x, meta: m } as never).y), host(scoped(() => byHand(params, x, m), leafTensors)), {
        rtol: 1e-6,
      });
      const lossOf = (f: (p: typeof params) => AnyTensor) => (p: typeof params) => sum(f(p)) as Tensor<[]>;
      const g = grad(lossOf((p) => model.apply(p, { image: x, meta: m } as never).y))(params);
      const gWant = grad(lossOf((p) => byHand(p, x, m)))(params);
      leaves(g).forEach((t, i) => assertAllClose(t, leaves(gWant)[i], { rtol: 1e-5, atol: 1e-6 }));
      const fast = jit(model.apply);
      assertAllClose(host(fast(params, { image: x, meta: m } as never).y), host(scoped(() => byHand(params, x, m), leafTensors)), {
        rtol: 1e-5,
      });
      fast.dispose();
      // a checkpoint of the nested params reads back bit for bit, with its structure
      const back = io.fromBytes(io.toBytes(params), params);
      expect(paths(back)).toEqual(paths(params));
      leaves(back).forEach((t, i) => assertAllClose(t, leaves(params)[i], { rtol: 0, atol: 0 }));
      disposeTree(k, params, x, m, g, gWant, back);
    });
  });

  test("a functional model added to a sequential chain (params a record inside the tuple), and its shape errors", () => {
    noLeaks(() => {
      const z = nn.input("z", ["batch", 4]);
      const block = nn.model({ inputs: { z }, outputs: { out: nn.add([z.pipe(nn.dense(4), "inner"), z]).pipe(nn.relu()) } });
      const chain = nn.input(["batch", 4]).add(nn.asLayer(block)).add(nn.dense(2));
      expect(chain.symbolicShapes()).toEqual([
        ["batch", 4],
        ["batch", 4],
        ["batch", 2],
      ]);
      const k = key(33);
      const params = chain.init(k);
      expect([...paths(params)].sort()).toEqual(["[0].inner.bias", "[0].inner.kernel", "[1].bias", "[1].kernel"]);
      const x = input([2, 4], "float32", 34);
      const inner = block.apply(params[0], { z: x } as never).out;
      assertAllClose(
        host(chain.apply(params, x as never)),
        host(scoped(() => addT(matmul(inner, params[1].kernel), params[1].bias), leafTensors)),
        { rtol: 1e-6 },
      );
      const gs = grad((p: typeof params) => sum(chain.apply(p, x as never)) as Tensor<[]>)(params);
      expect(leaves(gs).map((t) => t.shape)).toEqual(leaves(params).map((t) => t.shape));
      disposeTree(k, params, x, inner, gs);
      // a model that does not fit, and models that cannot be layers, by name
      const wide = nn.input("w", ["batch", 6]);
      expect(() => wide.pipe(nn.asLayer(block) as never, "block")).toThrow("model expects [batch, 4], got [batch, 6]");
      const a = nn.input("a", ["batch", 4]);
      const b = nn.input("b", ["batch", 4]);
      const two = nn.model({ inputs: { a, b }, outputs: { s: nn.add([a, b]) } });
      expect(() => nn.asLayer(two)).toThrow(
        "nn.asLayer: a functional model used as a layer needs one input and one output, got inputs { a, b } and outputs { s }",
      );
      expect(() => nn.asLayer(nn.dense(3))).toThrow("nn.asLayer: expected a model (nn.input(...).add(...), nn.sequential, nn.model), got");
    });
  });
});

// ---------------------------------------------------------------- fit, evaluate, checkpoints, ONNX

/** Two inputs (a: 3 features, b: 2), a regression target from both and a class from b alone. */
function twoInputData(n: number, seed: number) {
  const r = values(n * 5, seed);
  const a = Float32Array.from({ length: n * 3 }, (_, i) => r[i]);
  const b = Float32Array.from({ length: n * 2 }, (_, i) => r[n * 3 + i]);
  const reg = Float32Array.from({ length: n }, (_, i) => a[3 * i] - 2 * a[3 * i + 1] + 0.5 * b[2 * i]);
  const cls = Int32Array.from({ length: n }, (_, i) => (b[2 * i] + b[2 * i + 1] > 0 ? 1 : 0));
  return {
    x: { a: data.hostArray(a, [n, 3]), b: data.hostArray(b, [n, 2]) },
    y: { reg: data.hostArray(reg, [n, 1]), cls: data.hostArray(cls, [n], { dtype: "int32" }) },
  };
}

function twoInputModel() {
  const a = nn.input("a", ["batch", 3]);
  const b = nn.input("b", ["batch", 2]);
  const h = nn.add([a.pipe(nn.dense(8), "da"), b.pipe(nn.dense(8), "db")]).pipe(nn.tanh());
  return nn.model({ inputs: { a, b }, outputs: { reg: h.pipe(nn.dense(1), "reg"), cls: h.pipe(nn.dense(2), "cls") } });
}

describe("train, io and export on functional models", () => {
  test("fit takes records of inputs and targets with a loss per output, weighted; the first epoch's loss is that sum", async () => {
    const before = liveTensors();
    const model = twoInputModel();
    const k = key(5);
    const params = model.init(k);
    const ds = twoInputData(64, 7);
    const loss = { reg: losses.mse, cls: losses.sparseCategoricalCrossEntropy };
    // with a zero step size the params stay put: epoch 1's loss is the weighted sum on these params
    const still = await train.fit({
      model,
      params,
      optimizer: optim.sgd(0),
      loss,
      lossWeights: { cls: 0.5 },
      train: ds,
      epochs: 1,
      batchSize: 64,
      progress: "silent",
    });
    const x = { a: train.toTensor(ds.x.a), b: train.toTensor(ds.x.b) };
    const out = model.apply(params, x as never);
    const yReg = train.toTensor(ds.y.reg);
    const yCls = train.toTensor(ds.y.cls);
    const lReg = losses.mse(out.reg, yReg as never);
    const lCls = losses.sparseCategoricalCrossEntropy(out.cls, yCls as never);
    expect(still.history.loss[0]).toBeCloseTo(lReg.item() + 0.5 * lCls.item(), 5);
    const r = await train.fit({
      model,
      params,
      optimizer: optim.adam(0.03),
      loss,
      lossWeights: { cls: 0.5 },
      train: ds,
      validation: twoInputData(32, 8),
      epochs: 8,
      batchSize: 16,
      progress: "silent",
    });
    expect(r.traceCount).toBe(1);
    const h = r.history.loss;
    expect(h[h.length - 1]).toBeLessThan(0.5 * h[0]);
    expect(r.history.valLoss).toHaveLength(8);
    const scores = train.evaluate({ model, params: r.params, loss, lossWeights: { cls: 0.5 }, data: ds });
    expect(scores.loss).toBeLessThan(h[0]);
    disposeTree(k, params, still.params, still.optState, still.state, x, out, yReg, yCls, lReg, lCls, r.params, r.optState, r.state);
    expect(liveTensors()).toBe(before);
  });

  test("one output and one target array: y and the loss are plain", async () => {
    const a = nn.input("a", ["batch", 3]);
    const b = nn.input("b", ["batch", 2]);
    const model = nn.model({ inputs: { a, b }, outputs: { y: nn.concat([a, b]).pipe(nn.dense(1), "out") } });
    const k = key(6);
    const params = model.init(k);
    const ds = twoInputData(48, 9);
    const r = await train.fit({
      model,
      params,
      optimizer: optim.adam(0.05),
      loss: losses.mse,
      train: { x: ds.x, y: ds.y.reg },
      epochs: 6,
      batchSize: 16,
      progress: "silent",
    });
    expect(r.history.loss[5]).toBeLessThan(r.history.loss[0]);
    // one named output: predict returns the record, and a plain metrics list scores that output
    const out = train.predict({ model, params: r.params, x: ds.x });
    expect(Object.keys(out)).toEqual(["y"]);
    expect(out.y.shape).toEqual([48, 1]);
    // binary targets (0 / 1 as float [n, 1]): mse takes them, and accuracy counts outputs above 0.5
    const binary = data.hostArray(Float32Array.from(ds.y.cls.data), [48, 1]);
    const target = train.toTensor(binary);
    const scores = train.evaluate({ model, params: r.params, loss: losses.mse, data: { x: ds.x, y: binary }, metrics: ["accuracy"] });
    expect(scores.accuracy).toBeCloseTo(losses.accuracy(out.y, target), 6);
    disposeTree(k, params, r.params, r.optState, r.state, out, target);
  });

  test("fit's checks on records: sample counts, a loss per output, weights, metrics", async () => {
    const model = twoInputModel();
    const k = key(7);
    const params = model.init(k);
    const ds = twoInputData(32, 1);
    const base = { model, params, optimizer: optim.sgd(0.1), epochs: 1, batchSize: 8, progress: "silent" as const };
    const short = { ...ds, x: { ...ds.x, b: data.hostArray(new Float32Array(20), [10, 2]) } };
    const loss = { reg: losses.mse, cls: losses.sparseCategoricalCrossEntropy };
    await expect(train.fit({ ...base, loss, train: short })).rejects.toThrow("fit: x.a has 32 samples but x.b has 10");
    await expect(train.fit({ ...base, loss: losses.mse, train: ds })).rejects.toThrow(
      "fit: the model has outputs or targets { reg, cls }: pass a record of losses, one per output (loss: { name: lossFn, ... })",
    );
    await expect(train.fit({ ...base, loss: { reg: losses.mse, typo: losses.mse }, train: ds })).rejects.toThrow(
      "fit: loss.typo names no output of the model (outputs: reg, cls)",
    );
    await expect(train.fit({ ...base, loss, lossWeights: { aux: 2 }, train: ds })).rejects.toThrow(
      "fit: lossWeights.aux names no loss (losses: reg, cls)",
    );
    await expect(train.fit({ ...base, loss, train: ds, metrics: ["accuracy"] })).rejects.toThrow(
      'fit: the model has outputs { reg, cls }: name the outputs to score, e.g. metrics: { reg: ["accuracy"] }',
    );
    await expect(train.fit({ ...base, loss, train: ds, metrics: { typo: ["accuracy"] } })).rejects.toThrow(
      "fit: metrics.typo names no output of the model (outputs: reg, cls)",
    );
    await expect(train.fit({ ...base, loss, train: ds, metrics: { cls: ["precision"] } } as never)).rejects.toThrow(
      'fit: metrics.cls must be a list of metrics (["accuracy"]), got ["precision"]',
    );
    disposeTree(k, params);
  });

  test("bad record keys are named before any work: a missing or extra input, a target that is no output, a loss without targets", async () => {
    const before = liveTensors();
    const model = twoInputModel();
    const k = key(12);
    const params = model.init(k);
    const ds = twoInputData(32, 1);
    const loss = { reg: losses.mse, cls: losses.sparseCategoricalCrossEntropy };
    const base = { model, params, optimizer: optim.sgd(0.1), loss, epochs: 1, batchSize: 8, progress: "silent" as const };
    const { b: _b, ...onlyA } = ds.x;
    // fit and evaluate check the input names at compile time too (the rule predict uses); these calls run past it
    // @ts-expect-error -- fit: train.x has no "b"
    await expect(train.fit({ ...base, train: { x: onlyA, y: ds.y } })).rejects.toThrow('fit: x has no "b" (the model\'s inputs: a, b)');
    const extra = { ...ds.x, c: ds.x.a };
    // @ts-expect-error -- fit: train.x.c is not an input of the model
    await expect(train.fit({ ...base, train: { x: extra, y: ds.y } })).rejects.toThrow(
      "fit: x.c is not an input of the model (inputs: a, b)",
    );
    // @ts-expect-error -- fit: validation.x.c is not an input of the model
    await expect(train.fit({ ...base, train: ds, validation: { x: extra, y: ds.y } })).rejects.toThrow(
      "fit (validation): x.c is not an input of the model (inputs: a, b)",
    );
    // @ts-expect-error -- fit: the model takes a record of inputs; train.x is one array
    await expect(train.fit({ ...base, train: { x: ds.x.a, y: ds.y } })).rejects.toThrow(
      "fit: the model takes a record of inputs { a, b }; x is one array: pass x: { a: ... }",
    );
    await expect(train.fit({ ...base, train: { x: ds.x, y: { ...ds.y, aux: ds.y.reg } } })).rejects.toThrow(
      "fit: y.aux is not an output of the model (outputs: reg, cls)",
    );
    await expect(train.fit({ ...base, train: { x: ds.x, y: { reg: ds.y.reg } } })).rejects.toThrow(
      'fit: y has no "cls", the targets of loss.cls',
    );
    // @ts-expect-error -- evaluate: data.x has no "b"
    expect(() => train.evaluate({ model, params, loss, data: { x: onlyA, y: ds.y } })).toThrow(
      'evaluate: x has no "b" (the model\'s inputs: a, b)',
    );
    // predict checks the keys at compile time too
    // @ts-expect-error -- predict: x.c is not an input of the model
    expect(() => train.predict({ model, params, x: extra })).toThrow("predict: x.c is not an input of the model (inputs: a, b)");
    // @ts-expect-error -- predict: x has no "b"
    expect(() => train.predict({ model, params, x: onlyA })).toThrow('predict: x has no "b" (the model\'s inputs: a, b)');
    // and at apply: the names, not "undefined is not a tensor"
    const x = { a: train.toTensor(ds.x.a), b: train.toTensor(ds.x.b) };
    expect(() => model.apply(params, { a: x.a } as never)).toThrow('apply: no input "b" in { a } (the model\'s inputs: a, b)');
    expect(() => model.apply(params, { ...x, c: x.a } as never)).toThrow('apply: "c" is not an input of the model (inputs: a, b)');
    disposeTree(k, params, x);
    expect(liveTensors()).toBe(before);
  });

  test("a two-input model trained by fit with accuracy on a named output, evaluated, and predicted as a record", async () => {
    const before = liveTensors();
    const model = twoInputModel();
    const k = key(13);
    const params = model.init(k);
    const ds = twoInputData(96, 3);
    const val = twoInputData(40, 4);
    const loss = { reg: losses.mse, cls: losses.sparseCategoricalCrossEntropy };
    const r = await train.fit({
      model,
      params,
      optimizer: optim.adam(0.03),
      loss,
      train: ds,
      validation: val,
      metrics: { cls: ["accuracy"] },
      epochs: 10,
      batchSize: 16,
      progress: "silent",
    });
    expect(r.history.clsAccuracy).toHaveLength(10);
    expect(r.history.valClsAccuracy).toHaveLength(10);
    expect(r.history.accuracy, "no plain accuracy for a model with several outputs").toEqual([]);
    expect(r.history.valClsAccuracy[9]).toBeGreaterThan(0.8);
    const scores = train.evaluate({ model, params: r.params, loss, data: val, metrics: { cls: ["accuracy"] }, batchSize: 16 });
    expect(scores.clsAccuracy).toBeCloseTo(r.history.valClsAccuracy[9], 6);
    // predict: a record of host arrays in, a record of tensors out, equal to apply on the whole set
    const out = train.predict({ model, params: r.params, x: val.x, batchSize: 16 });
    const xt = { a: train.toTensor(val.x.a), b: train.toTensor(val.x.b) };
    const want = model.apply(r.params, xt as never);
    expect(Object.keys(out)).toEqual(["reg", "cls"]);
    assertAllClose(out.reg, want.reg.dataSync(), { rtol: 1e-5, atol: 1e-6 });
    assertAllClose(out.cls, want.cls.dataSync(), { rtol: 1e-5, atol: 1e-6 });
    // the accuracy evaluate reports is the one counted from predict's logits
    const labels = val.y.cls.data;
    const logits = out.cls.dataSync();
    let correct = 0;
    for (let i = 0; i < labels.length; i++) correct += (logits[2 * i + 1] > logits[2 * i] ? 1 : 0) === labels[i] ? 1 : 0;
    expect(scores.clsAccuracy).toBeCloseTo(correct / labels.length, 6);
    disposeTree(k, params, r.params, r.optState, r.state, out, xt, want);
    expect(liveTensors()).toBe(before);
  });

  test("earlyStopping watches a per-output metric of a two-input model", async () => {
    const before = liveTensors();
    const model = twoInputModel();
    const k = key(14);
    const params = model.init(k);
    const run = {
      model,
      params,
      optimizer: optim.adam(0.03),
      loss: { reg: losses.mse, cls: losses.sparseCategoricalCrossEntropy },
      train: twoInputData(48, 5),
      validation: twoInputData(16, 6),
      metrics: { cls: ["accuracy"] },
      epochs: 6,
      batchSize: 16,
      progress: "silent",
    } as const;
    // no accuracy rises by a whole 1.0, so with patience 1 the second epoch stops the run
    const r = await train.fit({ ...run, callbacks: [train.earlyStopping({ monitor: "valClsAccuracy", patience: 1, minDelta: 1 })] });
    expect(r.history.valClsAccuracy).toHaveLength(2);
    await expect(train.fit({ ...run, callbacks: [train.earlyStopping({ monitor: "valRegAccuracy" })] })).rejects.toThrow(
      'earlyStopping: "valRegAccuracy" is not logged',
    );
    disposeTree(k, params, r.params, r.optState, r.state);
    expect(liveTensors()).toBe(before);
  });

  test("checkpoints: the params record to bytes and back, with its structure", () => {
    noLeaks(() => {
      const model = twoInputModel();
      const k = key(8);
      const params = model.init(k);
      const bytes = io.toBytes(params);
      const back = io.fromBytes(bytes, params);
      expect(paths(back)).toEqual(paths(params));
      leaves(back).forEach((t, i) => assertAllClose(t, leaves(params)[i], { rtol: 0, atol: 0 }));
      expect(() => io.fromBytes(bytes, { ...params, extra: params.da })).toThrow();
      disposeTree(k, params, back);
    });
  });

  test("files: io.save / io.load of the params record, and fit's checkpoints resume a run bit for bit", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sf-functional-"));
    try {
      const model = twoInputModel();
      const k = key(10);
      const params = model.init(k);
      nodeIo.save(join(dir, "params.safetensors"), params);
      const loaded = nodeIo.load(join(dir, "params.safetensors"), params);
      expect(paths(loaded)).toEqual(paths(params));
      leaves(loaded).forEach((t, i) => assertAllClose(t, leaves(params)[i], { rtol: 0, atol: 0 }));
      const optimizer = optim.adam(0.02);
      const run = {
        model,
        params,
        optimizer,
        loss: { reg: losses.mse, cls: losses.sparseCategoricalCrossEntropy },
        lossWeights: { cls: 0.5 },
        train: twoInputData(48, 11),
        epochs: 4,
        batchSize: 16,
        progress: "silent" as const,
      };
      const whole = await train.fit({ ...run, callbacks: [checkpoint({ path: join(dir, "epoch-{epoch}.safetensors"), every: 2 })] });
      const resumed = await train.fit({ ...run, resumeFrom: join(dir, "epoch-2.safetensors") });
      expect(resumed.history.loss).toEqual(whole.history.loss);
      leaves(resumed.params).forEach((t, i) => expect(Array.from(t.dataSync())).toEqual(Array.from(leaves(whole.params)[i].dataSync())));
      disposeTree(k, params, loaded, whole.params, whole.optState, whole.state, resumed.params, resumed.optState, resumed.state);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the tfjs-layers export refuses a functional model by name, pointing to ONNX", () => {
    noLeaks(() => {
      const model = twoInputModel();
      const k = key(11);
      const params = model.init(k);
      expect(() => io.toTfjsLayers(model as never, params as never)).toThrow(
        "exportTfjsLayers: the tfjs-layers format takes sequential models; export a functional model (nn.model) with io.exportOnnx",
      );
      disposeTree(k, params);
    });
  });

  test("exportOnnx: one graph input per model input, one graph output per model output, any batch; ONNX Runtime agrees", async () => {
    const before = liveTensors();
    const model = twoInputModel();
    const k = key(9);
    const params = model.init(k);
    const bytes = io.exportOnnx(model, params);
    const session = await ort.InferenceSession.create(bytes);
    expect([...session.inputNames]).toEqual(["a", "b"]);
    expect([...session.outputNames]).toEqual(["reg", "cls"]);
    for (const batch of [5, 1]) {
      const a = input([batch, 3], "float32", 10 + batch);
      const b = input([batch, 2], "float32", 20 + batch);
      const want = model.apply(params, { a, b } as never);
      const got = await session.run({
        a: new ort.Tensor("float32", a.dataSync() as Float32Array, [batch, 3]),
        b: new ort.Tensor("float32", b.dataSync() as Float32Array, [batch, 2]),
      });
      for (const name of ["reg", "cls"] as const) {
        expect([...got[name].dims]).toEqual(want[name].shape);
        const g = got[name].data as Float32Array;
        const w = want[name].dataSync();
        expect(Math.max(...Array.from(w, (v, i) => Math.abs(v - g[i])))).toBeLessThan(1e-5);
      }
      disposeTree(a, b, want);
    }
    await session.release();
    disposeTree(k, params);
    expect(liveTensors()).toBe(before);
  });
});

/** Keeps `AnyTensor` in use for readers of the helpers above. */
export type _T = AnyTensor;

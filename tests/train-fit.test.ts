// train.fit / evaluate / predict on tiny problems: what is learned, what is logged, what is kept
// in memory, how often the step is traced, and how bad input and divergence are reported.
import { describe, expect, test } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nn, optim, losses, train, data, random, tree, liveTensors, mul, type Tensor } from "../src/index.js";
import { checkpoint, io, loadCheckpoint } from "../src/node.js";
import type { Dataset } from "../src/data/index.js";

const line = (n = 64) => data.regressionLine({ n, slope: 2, intercept: -1, noise: 0.05, seed: 0 });
const linear = () => nn.input(["batch", 1]).add(nn.dense(1));
const classifier = () => nn.input(["batch", 2]).add(nn.dense(8)).add(nn.relu()).add(nn.dense(2));
const noisyXor = (n: number, seed: number) => data.xor({ n, noise: 0.1, seed });

/** Every leaf of a params tree as plain numbers, in tree order. */
const values = (p: unknown) => tree.leaves(p).flatMap((t) => Array.from(t.dataSync() as Float32Array));

function disposeAll(...trees: unknown[]): void {
  for (const t of trees) tree.dispose(t);
}

describe("fit learns and logs", () => {
  test("loss decreases every epoch on a line fit; history has one entry per epoch", async () => {
    const model = linear();
    const params = model.init(random.key(0));
    const r = await train.fit({
      model,
      params,
      optimizer: optim.sgd(0.5),
      loss: losses.mse,
      train: line(),
      epochs: 5,
      batchSize: 16,
      progress: "silent",
    });
    const l = r.history.loss;
    expect(r.history.epoch).toEqual([1, 2, 3, 4, 5]);
    expect(l).toHaveLength(5);
    expect(r.history.msPerStep).toHaveLength(5);
    for (let i = 1; i < 5; i++) expect(l[i]).toBeLessThan(l[i - 1]);
    expect(l[4]).toBeLessThan(0.1 * l[0]);
    expect(r.history.valLoss).toEqual([]);
    expect(r.history.accuracy).toEqual([]);
    expect(r.steps).toBe(20);
    expect(r.stopReason).toBeUndefined();
    // the caller's params are untouched and still usable
    expect(tree.leaves(params).every((t) => !t.isDisposed)).toBe(true);
    expect(r.params[0].kernel.dataSync()[0]).toBeGreaterThan(1.5);
    disposeAll(params, r.params, r.optState, r.state);
  });

  test("with lr 0 the epoch loss is the full-data loss that evaluate computes (float64 reference)", async () => {
    const model = linear();
    const params = model.init(random.key(3));
    const ds = line(48);
    const r = await train.fit({
      model,
      params,
      optimizer: optim.sgd(0),
      loss: losses.mse,
      train: ds,
      epochs: 2,
      batchSize: 16,
      progress: "silent",
    });
    const w = params[0].kernel.dataSync()[0],
      b = params[0].bias.dataSync()[0];
    let ref = 0;
    for (let i = 0; i < 48; i++) ref += (w * ds.x.data[i] + b - ds.y.data[i]) ** 2 / 48;
    expect(r.history.loss[0]).toBeCloseTo(ref, 5);
    expect(r.history.loss[1]).toBeCloseTo(ref, 5);
    // evaluate with a partial last batch (48 = 20 + 20 + 8) weights batches by size
    expect(train.evaluate({ model, params, loss: losses.mse, data: ds, batchSize: 20 }).loss).toBeCloseTo(ref, 5);
    disposeAll(params, r.params, r.optState, r.state);
  });

  test("validation metrics: valLoss and valAccuracy per epoch match evaluate on the final params", async () => {
    const model = classifier();
    const params = model.init(random.key(1));
    const trainSet = noisyXor(128, 1),
      validation = noisyXor(40, 2);
    const r = await train.fit({
      model,
      params,
      optimizer: optim.adam(0.05),
      loss: losses.sparseCategoricalCrossEntropy,
      train: trainSet,
      validation,
      epochs: 4,
      batchSize: 32,
      metrics: ["accuracy"],
      progress: "silent",
    });
    for (const k of ["loss", "valLoss", "accuracy", "valAccuracy"]) expect(r.history[k]).toHaveLength(4);
    const v = train.evaluate({
      model,
      params: r.params,
      loss: losses.sparseCategoricalCrossEntropy,
      data: validation,
      metrics: ["accuracy"],
    });
    expect(r.history.valLoss[3]).toBeCloseTo(v.loss, 5);
    expect(r.history.valAccuracy[3]).toBe(v.accuracy);
    // accuracy counted on the host agrees with losses.accuracy
    const out = train.predict({ model, params: r.params, x: validation.x });
    const labels = train.toTensor(validation.y);
    expect(v.accuracy).toBe(losses.accuracy(out, labels));
    expect(v.accuracy).toBeGreaterThan(0.9);
    disposeAll(out, labels, params, r.params, r.optState, r.state);
  });

  test("accuracy of a single sigmoid output is binary (class 1 above 0.5)", async () => {
    const model = nn.input(["batch", 2]).add(nn.dense(1)).add(nn.sigmoid());
    const params = model.init(random.key(0));
    const x = data.hostArray(Float32Array.from([-2, 0, -1, 1, 1, 0, 2, 1]), [4, 2]);
    const y = data.hostArray(Float32Array.from([0, 0, 1, 1]), [4, 1]);
    const ds = data.dataset(x, y);
    const v = train.evaluate({ model, params, loss: losses.binaryCrossEntropy, data: ds, metrics: ["accuracy"] });
    const out = train.predict({ model, params, x });
    const labels = train.toTensor(y);
    expect(v.accuracy).toBe(losses.accuracy(out, labels));
    disposeAll(out, labels, params);
  });

  test("predict returns every sample in order, in batches", () => {
    const model = classifier();
    const params = model.init(random.key(2));
    const ds = noisyXor(10, 3);
    const all = train.toTensor(ds.x);
    const whole = model.apply(params, all as never);
    const batched = train.predict({ model, params, x: ds.x, batchSize: 4 });
    expect(batched.shape).toEqual([10, 2]);
    expect(Array.from(batched.dataSync())).toEqual(Array.from(whole.dataSync()));
    disposeAll(all, whole, batched, params);
  });
});

describe("callbacks", () => {
  test("earlyStopping stops after `patience` epochs without improvement", async () => {
    const model = linear();
    const params = model.init(random.key(0));
    // lr 0: the loss never improves after epoch 1 (beyond float rounding of the batch order), so patience 2 stops after epoch 3
    const r = await train.fit({
      model,
      params,
      optimizer: optim.sgd(0),
      loss: losses.mse,
      train: line(),
      epochs: 20,
      batchSize: 16,
      callbacks: [train.earlyStopping({ monitor: "loss", patience: 2, minDelta: 1e-6 })],
      progress: "silent",
    });
    expect(r.history.epoch).toEqual([1, 2, 3]);
    expect(r.stopReason).toBe("stopped by a callback after epoch 3");
    disposeAll(params, r.params, r.optState, r.state);
  });

  test("earlyStopping on valLoss without validation data names what is missing", async () => {
    const model = linear();
    const params = model.init(random.key(0));
    const before = liveTensors();
    await expect(
      train.fit({
        model,
        params,
        optimizer: optim.sgd(0.1),
        loss: losses.mse,
        train: line(),
        epochs: 3,
        batchSize: 16,
        callbacks: [train.earlyStopping()],
        progress: "silent",
      }),
    ).rejects.toThrow('earlyStopping: "valLoss" is not logged; give fit validation data or metrics: ["accuracy"]');
    expect(liveTensors()).toBe(before);
    disposeAll(params);
  });

  test("checkpoint writes params that train.loadCheckpoint reads back bit-exact", async () => {
    const dir = mkdtempSync(join(tmpdir(), "shapeflow-ckpt-"));
    try {
      const model = classifier();
      const params = model.init(random.key(4));
      const optimizer = optim.adam(0.01);
      const snapshots: number[][] = [];
      const r = await train.fit({
        model,
        params,
        optimizer,
        loss: losses.sparseCategoricalCrossEntropy,
        train: noisyXor(64, 5),
        epochs: 4,
        batchSize: 16,
        callbacks: [
          checkpoint({ path: join(dir, "epoch-{epoch}.safetensors"), every: 2 }),
          { onEpochEnd: (_l, ctx) => void snapshots.push(values(ctx.params)) },
        ],
        progress: "silent",
      });
      const e2 = loadCheckpoint(join(dir, "epoch-2.safetensors"), { model, params, optimizer });
      const e4 = loadCheckpoint(join(dir, "epoch-4.safetensors"), { model, params, optimizer });
      expect(values(e2.params)).toEqual(snapshots[1]);
      expect(values(e4.params)).toEqual(values(r.params));
      expect(() => io.load(join(dir, "epoch-3.safetensors"))).toThrow(/ENOENT/);
      disposeAll(e2, e4, params, r.params, r.optState, r.state);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("memory and tracing", () => {
  test("live tensors are flat across epochs and fit frees everything it made", async () => {
    const model = nn.input(["batch", 2]).add(nn.dense(8)).add(nn.batchNorm()).add(nn.relu()).add(nn.dropout(0.2)).add(nn.dense(2));
    const params = model.init(random.key(0));
    const before = liveTensors();
    const live: number[] = [];
    const r = await train.fit({
      model,
      params,
      optimizer: optim.adam(0.01),
      loss: losses.sparseCategoricalCrossEntropy,
      train: noisyXor(96, 6),
      validation: noisyXor(32, 7),
      epochs: 3,
      batchSize: 32,
      metrics: ["accuracy"],
      progress: "silent",
      callbacks: [{ onEpochEnd: () => void live.push(liveTensors()) }],
    });
    expect(live[0]).toBe(live[2]);
    expect(live[1]).toBe(live[2]);
    disposeAll(r.params, r.optState, r.state);
    expect(liveTensors()).toBe(before);
    disposeAll(params);
  });

  test("the jitted step is traced once across epochs; a ragged last batch traces a second shape", async () => {
    const model = linear();
    const params = model.init(random.key(0));
    const r = await train.fit({
      model,
      params,
      optimizer: optim.sgd(0.1),
      loss: losses.mse,
      train: line(50),
      epochs: 3,
      batchSize: 16,
      progress: "silent",
    });
    expect(r.traceCount).toBe(1);
    expect(r.steps).toBe(9); // 3 full batches of 16 per epoch, the 2 left over dropped
    const ragged = await train.fit({
      model,
      params,
      optimizer: optim.sgd(0.1),
      loss: losses.mse,
      train: line(50),
      epochs: 3,
      batchSize: 16,
      dropRemainder: false,
      progress: "silent",
    });
    expect(ragged.traceCount).toBe(2);
    expect(ragged.steps).toBe(12);
    disposeAll(params, r.params, r.optState, r.state, ragged.params, ragged.optState, ragged.state);
  });
});

describe("bad input", () => {
  const model = classifier();
  async function fitError(ds: Dataset, opts: { batchSize?: number; validation?: Dataset } = {}): Promise<string> {
    const params = model.init(random.key(0));
    const before = liveTensors();
    try {
      await train.fit({
        model,
        params,
        optimizer: optim.sgd(0.1),
        loss: losses.sparseCategoricalCrossEntropy,
        train: ds,
        validation: opts.validation,
        epochs: 2,
        batchSize: opts.batchSize ?? 4,
        progress: "silent",
      });
      return "no error";
    } catch (e) {
      expect(liveTensors()).toBe(before); // a failed fit frees what it made
      return (e as Error).message;
    } finally {
      disposeAll(params);
    }
  }

  test("labels out of range name the label, its index and the valid range", async () => {
    const ds = noisyXor(8, 0);
    const y = Int32Array.from(ds.y.data);
    y[5] = 2;
    expect(await fitError({ x: ds.x, y: { ...ds.y, data: y } })).toBe(
      "fit: label 2 at index 5 is out of range: the model outputs 2 classes, so labels must be in 0..1",
    );
    const v = noisyXor(8, 1);
    const vy = Int32Array.from(v.y.data);
    vy[0] = -1;
    expect(await fitError(ds, { validation: { x: v.x, y: { ...v.y, data: vy } } })).toBe(
      "fit (validation): label -1 at index 0 is out of range: the model outputs 2 classes, so labels must be in 0..1",
    );
  });

  test("NaN or Inf in the data", async () => {
    const ds = noisyXor(8, 0);
    const x = Float32Array.from(ds.x.data);
    x[3] = NaN;
    expect(await fitError({ x: { ...ds.x, data: x }, y: ds.y })).toBe("fit: x has NaN at index 3; clean or impute the data first");
    x[3] = Infinity;
    expect(await fitError({ x: { ...ds.x, data: x }, y: ds.y })).toBe("fit: x has Infinity at index 3; clean or impute the data first");
  });

  test("a batch larger than the data set", async () => {
    expect(await fitError(noisyXor(8, 0), { batchSize: 9 })).toBe("batchCount: batch size 9 exceeds the data set size 8");
  });

  test("x and y of different lengths", async () => {
    const ds = noisyXor(8, 0);
    expect(await fitError({ x: ds.x, y: { ...ds.y, data: ds.y.data.subarray(0, 7), shape: [7] } })).toBe(
      "fit: x has 8 samples but y has 7",
    );
  });

  test("x that does not fit the model fails with the model's message and leaks nothing", async () => {
    const x = data.hostArray(new Float32Array(8 * 3), [8, 3]);
    expect(await fitError({ x, y: noisyXor(8, 0).y })).toMatch(/: expected input \[batch, 2\], got \[4, 3\]$/);
  });

  test("epochs must be a positive integer", async () => {
    const params = model.init(random.key(0));
    await expect(
      train.fit({
        model,
        params,
        optimizer: optim.sgd(0.1),
        loss: losses.sparseCategoricalCrossEntropy,
        train: noisyXor(8, 0),
        epochs: 0,
        batchSize: 4,
      }),
    ).rejects.toThrow("fit: epochs must be a positive integer, got 0");
    disposeAll(params);
  });
});

describe("divergence", () => {
  test("a run that blows up stops cleanly and keeps the last finite params", async () => {
    // full-batch SGD with lr 10 on a line: the error grows ~5.7x per step until float32 overflows
    const model = linear();
    const params = model.init(random.key(0));
    const snapshots: number[][] = [];
    const before = liveTensors();
    const r = await train.fit({
      model,
      params,
      optimizer: optim.sgd(10),
      loss: losses.mse,
      train: line(32),
      epochs: 200,
      batchSize: 32,
      progress: "silent",
      callbacks: [{ onEpochEnd: (_l, ctx) => void snapshots.push(values(ctx.params)) }],
    });
    expect(r.stopReason).toMatch(
      /^(loss became (NaN|Infinity)|the parameters became non-finite \(NaN or Inf\)) at epoch \d+, step 1; kept the parameters from before this step$/,
    );
    expect(r.history.epoch.length).toBeLessThan(200);
    expect(r.history.epoch.length).toBeGreaterThan(10);
    expect(r.history.loss.every(Number.isFinite)).toBe(true);
    const kept = values(r.params);
    expect(kept.every(Number.isFinite)).toBe(true);
    expect(kept).toEqual(snapshots[snapshots.length - 1]);
    disposeAll(r.params, r.optState, r.state);
    expect(liveTensors()).toBe(before);
    disposeAll(params);
  });

  test("an update that overflows the params stops before they are used (the loss was still finite)", async () => {
    // 1e39 overflows float32: the first update makes every param infinite
    const model = linear();
    const params = model.init(random.key(0));
    const r = await train.fit({
      model,
      params,
      optimizer: optim.sgd(1e39),
      loss: losses.mse,
      train: line(32),
      epochs: 3,
      batchSize: 32,
      progress: "silent",
    });
    expect(r.stopReason).toBe(
      "the parameters became non-finite (NaN or Inf) at epoch 1, step 1; kept the parameters from before this step",
    );
    expect(values(r.params)).toEqual(values(params));
    disposeAll(params, r.params, r.optState, r.state);
  });

  test("a loss that is NaN from the first step returns a copy of the initial params", async () => {
    const model = linear();
    const params = model.init(random.key(0));
    const nanLoss: train.LossFn = (out: Tensor<[number, 1]>, y: Tensor<[number, 1]>) => mul(losses.mse(out, y), NaN);
    const r = await train.fit({
      model,
      params,
      optimizer: optim.sgd(0.1),
      loss: nanLoss,
      train: line(32),
      epochs: 3,
      batchSize: 16,
      progress: "silent",
    });
    expect(r.stopReason).toBe("loss became NaN at epoch 1, step 1; kept the parameters from before this step");
    expect(r.history.epoch).toEqual([]);
    expect(values(r.params)).toEqual(values(params));
    disposeAll(params, r.params, r.optState, r.state);
  });
});

// The training loop: shuffled mini-batches, a jitted step (valueAndGrad + optimizer update),
// validation, metrics, callbacks, progress, and a History. Memory stays flat across steps.
import { Concrete, tensor, type AnyTensor, type Tensor } from "../tensor/index.js";
import { argmax } from "../core/index.js";
import { dispose as disposeTree, map } from "../tree/index.js";
import { batches, batchCount, checkDataset, type Dataset, type HostArray } from "../data/index.js";
import type { GradientTransformation } from "../optim/index.js";
import { foldIn, key as makeKey, type Key } from "../random/index.js";
import { liveTensors } from "../backend/index.js";
import { makeTrainStep } from "./step.js";
import { makeProgress, formatMetrics, type ProgressMode } from "./progress.js";
import * as tf from "@tensorflow/tfjs-core";

/** What fit needs of a model: see nn.Model. */
export interface Trainable<P, St> {
  applyWithState(params: P, x: any, ctx?: { training?: boolean; key?: Key; state?: St }): [any, St];
  initState(): St;
}

export type LossFn = (output: any, target: any) => Tensor<[]>;
export type Metric = "accuracy";

export interface History {
  epoch: number[];
  loss: number[];
  valLoss: number[];
  accuracy: number[];
  valAccuracy: number[];
  msPerStep: number[];
  [name: string]: number[];
}

export interface EpochLogs {
  epoch: number;
  loss: number;
  accuracy?: number;
  valLoss?: number;
  valAccuracy?: number;
}

export interface Callback<P = unknown> {
  /** Return "stop" to end training after this epoch. */
  onEpochEnd?(logs: EpochLogs, ctx: { params: P; history: History }): void | "stop";
}

export interface FitOptions<P, St> {
  model: Trainable<P, St>;
  params: P;
  state?: St;
  optimizer: GradientTransformation;
  loss: LossFn;
  train: Dataset;
  /** Held-out data evaluated after every epoch. */
  validation?: Dataset;
  epochs: number;
  batchSize: number;
  /** Drives shuffling and dropout; same seed, same run. Default 0. */
  seed?: number;
  metrics?: readonly Metric[];
  callbacks?: readonly Callback<P>[];
  progress?: ProgressMode;
  /** Transforms each training batch's inputs on the host (e.g. data.augment), per step seed. */
  augment?: (x: HostArray, seed: number) => HostArray;
  /** Keep every batch the same size so the step traces once (default true). */
  dropRemainder?: boolean;
}

export interface FitResult<P, St> {
  params: P;
  state: St;
  optState: unknown;
  history: History;
  /** Why training ended early, if it did. */
  stopReason?: string;
  /** How many times the jitted step was traced (1 when every batch has the same shape). */
  traceCount: number;
  /** Optimizer steps taken. */
  steps: number;
}

/** Host array to tensor (one copy). */
export function toTensor(a: HostArray): AnyTensor {
  return tensor(a.data, a.shape, a.dtype);
}

function countCorrect(output: AnyTensor, y: AnyTensor): number {
  const os = output.shape;
  // NOTE: one output per example ([batch] or [batch, 1]) is a binary probability, as Keras' "accuracy"
  // does after a sigmoid: class 1 above 0.5. Labels are 0/1 ([batch] or [batch, 1]).
  if (os.length === 1 || os[os.length - 1] === 1) {
    const p = output.dataSync();
    const t = y.dataSync();
    let correct = 0;
    for (let i = 0; i < p.length; i++) if ((p[i] > 0.5 ? 1 : 0) === (t[i] > 0.5 ? 1 : 0)) correct++;
    return correct;
  }
  // labels as int ids, or one-hot rows
  const pred = argmax(output, -1);
  const p = pred.dataSync();
  pred.dispose();
  let correct = 0;
  if (y.dtype === "int32") {
    const t = y.dataSync();
    for (let i = 0; i < p.length; i++) if (p[i] === t[i]) correct++;
  } else {
    const idx = argmax(y, -1);
    const t = idx.dataSync();
    idx.dispose();
    for (let i = 0; i < p.length; i++) if (p[i] === t[i]) correct++;
  }
  return correct;
}

/**
 * Trains `params` on `train` and returns the new params, state and history.
 * ```ts
 * const { params, history } = await fit({ model, params, optimizer: optim.adam(1e-3),
 *   loss: losses.sparseCategoricalCrossEntropy, train, validation, epochs: 5, batchSize: 128,
 *   metrics: ["accuracy"] });
 * ```
 */
export async function fit<P, St>(opts: FitOptions<P, St>): Promise<FitResult<P, St>> {
  const { model, optimizer, loss, train, epochs, batchSize } = opts;
  const n = checkDataset(train, "fit");
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`fit: epochs must be a positive integer, got ${epochs}`);
  batchCount(n, batchSize); // checks the batch size against the data set
  if (opts.validation) checkDataset(opts.validation, "fit (validation)");
  checkLabels(train, "fit");
  const wantAccuracy = (opts.metrics ?? []).includes("accuracy");
  const seed = opts.seed ?? 0;
  const baseKey = makeKey(seed);
  const dropRemainder = opts.dropRemainder ?? true;
  const steps = batchCount(n, batchSize, { dropRemainder });
  const progress = makeProgress(opts.progress);

  const step = makeTrainStep(model, loss, optimizer);

  let params = map(opts.params, (t) => t) as P; // same tensors; the caller keeps ownership of opts.params
  let ownsParams = false;
  let state = opts.state ?? model.initState();
  let ownsState = opts.state === undefined;
  let optState: unknown = optimizer.init(params);
  const history: History = { epoch: [], loss: [], valLoss: [], accuracy: [], valAccuracy: [], msPerStep: [] };
  let stopReason: string | undefined;
  let globalStep = 0;

  try {
    outer: for (let epoch = 0; epoch < epochs; epoch++) {
      progress.startEpoch(epoch, epochs, steps);
      let lossSum = 0,
        seen = 0,
        correct = 0,
        i = 0;
      const t0 = performance.now();
      for (const batch of batches(train, batchSize, { seed: seed * 100_003 + epoch, dropRemainder })) {
        const xHost = opts.augment ? opts.augment(batch.x, seed * 1_000_003 + globalStep) : batch.x;
        const x = toTensor(xHost);
        const y = toTensor(batch.y);
        const k = foldIn(baseKey, globalStep);
        let r: { loss: AnyTensor; params: P; optState: unknown; state: St; out: AnyTensor; probe: AnyTensor };
        try {
          r = step(params, optState, state, x, y, k);
        } catch (e) {
          disposeTree([x, y, k]); // e.g. a shape error while tracing
          throw e;
        }
        if (globalStep === 0) {
          try {
            checkLabelRange(train, r.out, "fit");
            if (opts.validation) checkLabelRange(opts.validation, r.out, "fit (validation)");
          } catch (e) {
            disposeTree([r, x, y, k]);
            throw e;
          }
        }
        const l = r.loss.item();
        const m = x.shape[0];
        const probe = r.probe.item();
        if (!Number.isFinite(l) || !Number.isFinite(probe)) {
          const what = Number.isFinite(l) ? `the parameters became non-finite (NaN or Inf)` : `loss became ${l}`;
          stopReason = `${what} at epoch ${epoch + 1}, step ${i + 1}; kept the parameters from before this step`;
          disposeTree([r, x, y, k]);
          progress.stop();
          break outer;
        }
        if (wantAccuracy) correct += countCorrect(r.out, y);
        lossSum += l * m;
        seen += m;
        // the old params/state are now garbage, unless they are the caller's
        if (ownsParams) disposeTree(params);
        disposeTree(optState);
        if (ownsState) disposeTree(state);
        params = r.params;
        optState = r.optState;
        state = r.state;
        ownsParams = ownsState = true;
        disposeTree([r.loss, r.out, r.probe, x, y, k]);
        i++;
        globalStep++;
        const values: Record<string, number> = { loss: lossSum / seen };
        if (wantAccuracy) values.accuracy = correct / seen;
        progress.step(i, values, (performance.now() - t0) / i);
      }
      const msPerStep = (performance.now() - t0) / Math.max(i, 1); // training steps only, not validation
      const logs: EpochLogs = { epoch: epoch + 1, loss: lossSum / seen };
      if (wantAccuracy) logs.accuracy = correct / seen;
      if (opts.validation) {
        const v = evaluate({ model, params, state, loss, data: opts.validation, batchSize, metrics: opts.metrics });
        logs.valLoss = v.loss;
        if (wantAccuracy) logs.valAccuracy = v.accuracy;
      }
      history.epoch.push(epoch + 1);
      history.loss.push(logs.loss);
      history.msPerStep.push(msPerStep);
      if (logs.accuracy !== undefined) history.accuracy.push(logs.accuracy);
      if (logs.valLoss !== undefined) history.valLoss.push(logs.valLoss);
      if (logs.valAccuracy !== undefined) history.valAccuracy.push(logs.valAccuracy);
      const { epoch: _e, ...shown } = logs;
      progress.endEpoch(`${formatMetrics(shown)} | ${msPerStep.toFixed(1)} ms/step`);
      for (const cb of opts.callbacks ?? []) {
        if (cb.onEpochEnd?.(logs, { params, history }) === "stop") {
          stopReason ??= `stopped by a callback after epoch ${epoch + 1}`;
        }
      }
      if (stopReason) break;
      await new Promise((r) => setImmediate(r)); // let the progress bar and timers run
    }
  } catch (e) {
    // nothing of a failed run survives: free what fit made, never the caller's tensors
    progress.stop();
    if (ownsParams) disposeTree(params);
    if (ownsState) disposeTree(state);
    disposeTree(optState);
    throw e;
  } finally {
    step.dispose();
    baseKey.dispose();
  }
  const traceCount = step.traceCount;
  if (!ownsParams) params = map(params, (t) => tensorClone(t)) as P;
  if (!ownsState && opts.state !== undefined) state = map(state, (t) => tensorClone(t)) as St;
  return { params, state, optState, history, stopReason, traceCount, steps: globalStep };
}

function tensorClone(t: AnyTensor): AnyTensor {
  return tensor(t.dataSync() as Float32Array, t.shape, t.dtype);
}

/** Integer labels must be class ids of the model's output: 0..K-1 for an output [..., K]. */
function checkLabelRange(ds: Dataset, out: AnyTensor, where: string): void {
  const os = out.shape;
  const y = ds.y;
  if (y.dtype !== "int32" || y.shape.length !== os.length - 1) return;
  const k = os[os.length - 1];
  for (let i = 0; i < y.data.length; i++) {
    const v = y.data[i];
    if (v < 0 || v >= k)
      throw new Error(
        `${where}: label ${v} at index ${i} is out of range: the model outputs ${k} classes, so labels must be in 0..${k - 1}`,
      );
  }
}

function checkLabels(ds: Dataset, where: string): void {
  const y = ds.y;
  for (let i = 0; i < y.data.length; i++) {
    if (!Number.isFinite(y.data[i])) throw new Error(`${where}: y has ${y.data[i]} at index ${i}`);
  }
  const x = ds.x;
  for (let i = 0; i < x.data.length; i++) {
    if (!Number.isFinite(x.data[i])) throw new Error(`${where}: x has ${x.data[i]} at index ${i}; clean or impute the data first`);
  }
}

export interface EvaluateOptions<P, St> {
  model: Trainable<P, St>;
  params: P;
  state?: St;
  loss: LossFn;
  data: Dataset;
  batchSize?: number;
  metrics?: readonly Metric[];
}

/** Mean loss (and accuracy) over a data set in eval mode. */
export function evaluate<P, St>(opts: EvaluateOptions<P, St>): { loss: number; accuracy?: number } {
  const n = checkDataset(opts.data, "evaluate");
  const bs = Math.min(opts.batchSize ?? 256, n);
  const state = opts.state ?? opts.model.initState();
  let lossSum = 0,
    correct = 0;
  const wantAccuracy = (opts.metrics ?? []).includes("accuracy");
  for (const batch of batches(opts.data, bs)) {
    const x = toTensor(batch.x);
    const y = toTensor(batch.y);
    const engine = tf.engine();
    engine.startScope();
    try {
      const [out] = opts.model.applyWithState(opts.params, x, { state, training: false });
      const m = x.shape[0];
      lossSum += opts.loss(out, y).item() * m;
      if (wantAccuracy) correct += countCorrect(out, y);
    } finally {
      engine.endScope();
      x.dispose();
      y.dispose();
    }
  }
  return wantAccuracy ? { loss: lossSum / n, accuracy: correct / n } : { loss: lossSum / n };
}

/** Model outputs for every sample of `x`, in batches (eval mode). */
export function predict<P, St>(model: Trainable<P, St>, params: P, x: HostArray, opts: { state?: St; batchSize?: number } = {}): AnyTensor {
  const n = x.shape[0];
  const bs = Math.min(opts.batchSize ?? 256, n);
  const state = opts.state ?? model.initState();
  const parts: tf.Tensor[] = [];
  const dummyY = { data: new Int32Array(n), shape: [n], dtype: "int32" as const };
  for (const batch of batches({ x, y: dummyY }, bs)) {
    const xt = toTensor(batch.x);
    const engine = tf.engine();
    engine.startScope();
    const [out] = model.applyWithState(params, xt, { state, training: false });
    const t = (out as AnyTensor).concrete();
    engine.endScope([t]);
    parts.push(t);
    xt.dispose();
  }
  const all = tf.concat(parts, 0);
  for (const p of parts) p.dispose();
  return new Concrete(all);
}

/** Stops when `monitor` has not improved for `patience` epochs. */
export function earlyStopping(
  opts: { monitor?: "valLoss" | "loss" | "valAccuracy" | "accuracy"; patience?: number; minDelta?: number } = {},
): Callback {
  const monitor = opts.monitor ?? "valLoss";
  const patience = opts.patience ?? 3;
  const minDelta = opts.minDelta ?? 0;
  const higherIsBetter = monitor.toLowerCase().includes("accuracy");
  let best = higherIsBetter ? -Infinity : Infinity;
  let wait = 0;
  return {
    onEpochEnd(logs) {
      const v = logs[monitor];
      if (v === undefined) throw new Error(`earlyStopping: "${monitor}" is not logged; give fit validation data or metrics: ["accuracy"]`);
      const improved = higherIsBetter ? v > best + minDelta : v < best - minDelta;
      if (improved) {
        best = v;
        wait = 0;
        return;
      }
      wait++;
      return wait >= patience ? "stop" : undefined;
    },
  };
}

export { liveTensors };

/** Saves the params every `every` epochs (and at the last one) to `path` (`{epoch}` is replaced). */
export function checkpoint(opts: { path: string; every?: number }): Callback {
  const every = opts.every ?? 1;
  if (!Number.isInteger(every) || every < 1) throw new Error(`checkpoint: every must be a positive integer, got ${every}`);
  return {
    onEpochEnd(logs, ctx) {
      if (logs.epoch % every === 0) saveParams(opts.path.replace("{epoch}", String(logs.epoch)), ctx.params);
    },
  };
}
import { saveParams } from "../io/index.js";

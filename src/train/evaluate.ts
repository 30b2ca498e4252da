// Eval mode over a whole data set, in batches: evaluate (mean loss and accuracy) and predict
// (the outputs). Both run eagerly (not jitted) inside a tfjs scope, so nothing they make outlives
// the call except predict's result.
import * as tf from "@tensorflow/tfjs-core";
import { Concrete, type AnyTensor } from "../tensor/index.js";
import { scoped } from "../core/index.js";
import { batches, checkDataset, type Dataset, type HostArray } from "../data/index.js";
import { RunningScores, type Metric, type Scores } from "./metrics.js";
import { toTensor, type LossFn, type Trainable } from "./model.js";

/** Options of `evaluate({ model, params, loss, data, metrics })`. */
export interface EvaluateOptions<P, St> {
  /** The model to run (in eval mode: no dropout, batch norm from its state). */
  model: Trainable<P, St>;
  /** Its params, e.g. `fit`'s result. */
  params: P;
  /** Layer state (batch-norm statistics) from fit; default `model.initState()`. */
  state?: St;
  /** The loss to average over the data. */
  loss: LossFn;
  /** The data to score: x and y. */
  data: Dataset;
  /** Default 256 (or the data set's size, if smaller). */
  batchSize?: number;
  /** Also compute these: `["accuracy"]`. */
  metrics?: readonly Metric[];
}

/**
 * Mean loss (and accuracy) over a data set in eval mode.
 * ```ts
 * const { loss, accuracy } = evaluate({ model, params, loss: losses.sparseCategoricalCrossEntropy,
 *   data: test, metrics: ["accuracy"] });
 * ```
 */
export function evaluate<P, St>(opts: EvaluateOptions<P, St>): Scores {
  const n = checkDataset(opts.data, "evaluate");
  const bs = Math.min(opts.batchSize ?? 256, n);
  const state = opts.state ?? opts.model.initState();
  const running = new RunningScores(opts.metrics);
  for (const batch of batches(opts.data, bs)) {
    const x = toTensor(batch.x);
    const y = toTensor(batch.y);
    try {
      scoped(
        () => {
          const [out] = opts.model.applyWithState(opts.params, x, { state, training: false });
          running.add(opts.loss(out, y).item(), out, y);
        },
        () => [],
      );
    } finally {
      x.dispose();
      y.dispose();
    }
  }
  return running.scores();
}

/** Options of `predict({ model, params, x, batchSize })`. */
export interface PredictOptions<P, St> {
  /** The model to run (in eval mode). */
  model: Trainable<P, St>;
  /** Its params. */
  params: P;
  /** The inputs, sample dim first. */
  x: HostArray;
  /** Layer state (batch-norm statistics) from fit; default `model.initState()`. */
  state?: St;
  /** Default 256 (or the number of samples, if smaller). */
  batchSize?: number;
}

/**
 * Model outputs for every sample of `x`, in order, computed in batches (eval mode).
 * ```ts
 * const logits = predict({ model, params, x: test.x });   // [n, 10]
 * ```
 */
export function predict<P, St>(opts: PredictOptions<P, St>): AnyTensor {
  const { model, params, x } = opts;
  const n = x.shape[0];
  const bs = Math.min(opts.batchSize ?? 256, n);
  const state = opts.state ?? model.initState();
  const parts: tf.Tensor[] = [];
  const dummyY = { data: new Int32Array(n), shape: [n], dtype: "int32" as const };
  for (const batch of batches({ x, y: dummyY }, bs)) {
    const xt = toTensor(batch.x);
    try {
      const out = scoped(
        () => model.applyWithState(params, xt, { state, training: false })[0],
        (t) => [t.concrete()],
      );
      parts.push(out.concrete());
    } finally {
      xt.dispose();
    }
  }
  const all = tf.concat(parts, 0);
  for (const p of parts) p.dispose();
  return new Concrete(all);
}

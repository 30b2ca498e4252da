// Eval mode over a whole data set, in batches: evaluate (mean loss and accuracy) and predict
// (the outputs). Both run eagerly (not jitted) inside a tfjs scope, so nothing they make outlives
// the call except predict's result.
import * as tf from "@tensorflow/tfjs-core";
import { Concrete, describeValue, isTensor, ValueError, type AnyTensor, type Tensor } from "../tensor/index.js";
import { scoped } from "../core/index.js";
import { dispose as disposeTree } from "../tree/index.js";
import { batches, type Dataset, type HostArray } from "../data/index.js";
import { RunningScores, type Metric, type Scores } from "./metrics.js";
import { checkHostArray, checkNotEmpty, toTensor, type LossFn, type Trainable } from "./model.js";
import {
  checkTreeData,
  combinedLoss,
  firstTensor,
  isPlainDataset,
  treeBatches,
  treeToTensor,
  type LossSpec,
  type RecordDataset,
} from "./records.js";
import type {
  AnyTrainable,
  CheckedData,
  CheckedInput,
  CheckedLoss,
  CheckedParams,
  ModelParams,
  ModelState,
  PredictShape,
} from "./fit-types.js";

/**
 * Options of `evaluate({ model, params, loss, data, metrics })`, typed like fit's: `data`'s x must fit
 * the model's input and `loss` must take the model's output and `data`'s y, else a
 * `ShapeError<"evaluate: ...">` on that option.
 */
export interface EvaluateOptions<
  M extends AnyTrainable = AnyTrainable,
  P = ModelParams<M>,
  T extends Dataset | RecordDataset = Dataset,
  Lf = LossFn,
> {
  /** The model to run (in eval mode: no dropout, batch norm from its state). */
  model: M;
  /** Its params, e.g. `fit`'s result. */
  params: CheckedParams<"evaluate", M, P>;
  /** Layer state (batch-norm statistics) from fit; default `model.initState()`. */
  state?: ModelState<M>;
  /** The loss to average over the data. */
  loss: CheckedLoss<"evaluate", M, T, Lf>;
  /** For a model with several outputs (nn.model): the weights of a record of losses; an output not named has weight 1. */
  lossWeights?: Readonly<Record<string, number>>;
  /** The data to score: x and y (records of host arrays for a model with several inputs or outputs). */
  data: CheckedData<"evaluate", "data", M, T>;
  /** Default 256 (or the data set's size, if smaller). */
  batchSize?: number;
  /** Also compute these: `["accuracy"]`. */
  metrics?: readonly Metric[];
}

/** evaluate's options as its body reads them (untyped data). */
interface EvaluateRun<P, St> {
  model: Trainable<P, St>;
  params: P;
  state?: St;
  loss: LossSpec;
  lossWeights?: Readonly<Record<string, number>>;
  data: Dataset | RecordDataset;
  batchSize?: number;
  metrics?: readonly Metric[];
}

/**
 * Mean loss (and accuracy) over a data set in eval mode.
 * ```ts
 * const { loss, accuracy } = evaluate({ model, params, loss: losses.sparseCategoricalCrossEntropy,
 *   data: test, metrics: ["accuracy"] });
 * ```
 */
export function evaluate<M extends AnyTrainable, P, T extends Dataset | RecordDataset, Lf>(opts: EvaluateOptions<M, P, T, Lf>): Scores;
export function evaluate<P, St>(opts: EvaluateRun<P, St>): Scores {
  return runEvaluate(opts);
}

/** `evaluate` without the compile-time checks (fit scores its validation data with it). */
export function runEvaluate<P, St>(opts: EvaluateRun<P, St>): Scores {
  checkOptions(opts, "evaluate");
  const n = checkTreeData(opts.data, "evaluate");
  checkNotEmpty(n, "evaluate");
  const loss = combinedLoss(opts.loss, opts.lossWeights, "evaluate");
  if (opts.metrics?.length && !isPlainDataset(opts.data)) {
    throw new ValueError(
      { op: "evaluate", expected: "metrics with one input and one target array", got: "records" },
      "evaluate: metrics (accuracy) need one input and one target array; with records of inputs or targets, leave metrics out",
    );
  }
  const bs = Math.min(opts.batchSize ?? 256, n);
  return withState(opts.model, opts.state, (state) => {
    const running = new RunningScores(opts.metrics);
    for (const batch of treeBatches(opts.data, bs)) {
      const x = treeToTensor(batch.x);
      const y = treeToTensor(batch.y);
      try {
        scoped(
          () => {
            const [out] = opts.model.applyWithState(opts.params, x, { state, training: false });
            running.add(loss(out, y).item(), firstTensor(out), firstTensor(y));
          },
          () => [],
        );
      } finally {
        disposeTree([x, y]);
      }
    }
    return running.scores();
  });
}

/** Runs `body` with the caller's state, or a fresh `initState()` that is freed afterwards (also on a throw). */
function withState<P, St, T>(model: Trainable<P, St>, given: St | undefined, body: (state: St) => T): T {
  if (given !== undefined) return body(given);
  const state = model.initState();
  try {
    return body(state);
  } finally {
    disposeTree(state);
  }
}

function checkOptions(opts: unknown, where: string): void {
  const o = opts as { model?: Partial<Trainable<unknown, unknown>> } | null | undefined;
  if (typeof o !== "object" || o === null) {
    const got = describeValue(opts);
    throw new ValueError({ op: where, expected: "an options object", got }, `${where}: expected an options object, got ${got}`);
  }
  const m = o.model;
  if (typeof m !== "object" || m === null || typeof m.applyWithState !== "function" || typeof m.initState !== "function") {
    const got = describeValue(m);
    throw new ValueError(
      { op: where, expected: "a model (nn.sequential, ...)", got },
      `${where}: model must be a model made by nn (with applyWithState and initState), got ${got}`,
    );
  }
}

/** Options of `predict({ model, params, x, batchSize })`; `x` must fit the model's input, else a `ShapeError<"predict: ...">` on it. */
export interface PredictOptions<M extends AnyTrainable = AnyTrainable, P = ModelParams<M>, X extends HostArray = HostArray> {
  /** The model to run (in eval mode). */
  model: M;
  /** Its params. */
  params: CheckedParams<"predict", M, P>;
  /** The inputs, sample dim first. */
  x: CheckedInput<"predict", M, X>;
  /** Layer state (batch-norm statistics) from fit; default `model.initState()`. */
  state?: ModelState<M>;
  /** Default 256 (or the number of samples, if smaller). */
  batchSize?: number;
}

/** predict's options as its body reads them. */
interface PredictRun<P, St> {
  model: Trainable<P, St>;
  params: P;
  x: HostArray;
  state?: St;
  batchSize?: number;
}

/**
 * Model outputs for every sample of `x`, in order, computed in batches (eval mode).
 * ```ts
 * const logits = predict({ model, params, x: test.x });   // [n, 10]
 * ```
 */
export function predict<M extends AnyTrainable, P, X extends HostArray>(opts: PredictOptions<M, P, X>): Tensor<PredictShape<M, X>>;
export function predict<P, St>(opts: PredictRun<P, St>): AnyTensor {
  checkOptions(opts, "predict");
  const { model, params, x } = opts;
  checkHostArray(x, "x", "predict");
  if (x.shape.length === 0) {
    throw new ValueError(
      { op: "predict", expected: "x with a sample dim", got: "shape []" },
      "predict: x must have a sample dim, got shape []",
    );
  }
  const n = x.shape[0];
  checkNotEmpty(n, "predict");
  const bs = Math.min(opts.batchSize ?? 256, n);
  return withState(model, opts.state, (state) => {
    const parts: tf.Tensor[] = [];
    const dummyY = { data: new Int32Array(n), shape: [n], dtype: "int32" as const };
    try {
      for (const batch of batches({ x, y: dummyY }, bs)) {
        const xt = toTensor(batch.x);
        try {
          const out = scoped(
            () => singleOutput(model.applyWithState(params, xt, { state, training: false })[0]),
            (t) => [t.concrete()],
          );
          parts.push(out.concrete());
        } finally {
          xt.dispose();
        }
      }
      return new Concrete(tf.concat(parts, 0));
    } finally {
      // NOTE: also on a throw: the batches computed before a failing one are freed
      for (const p of parts) p.dispose();
    }
  });
}

/** predict returns one tensor: a model with a record of outputs is applied by hand (`model.apply` in batches). */
function singleOutput(out: AnyTensor | Readonly<Record<string, AnyTensor>>): AnyTensor {
  if (isTensor(out)) return out;
  const names = Object.keys(out).join(", ");
  throw new ValueError(
    { op: "predict", expected: "a model with one output tensor", got: `outputs { ${names} }` },
    `predict: the model returns a record of outputs { ${names} }; predict takes models with one output tensor (use model.apply in batches)`,
  );
}

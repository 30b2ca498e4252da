// Eval mode over a whole data set, in batches: evaluate (mean loss and accuracy) and predict
// (the outputs). Both run eagerly (not jitted) inside a tfjs scope, so nothing they make outlives
// the call except predict's result.
import * as tf from "@tensorflow/tfjs-core";
import { Concrete, describeValue, isTensor, ValueError, type AnyTensor, type Tensor } from "../tensor/index.js";
import { scoped } from "../core/index.js";
import { dispose as disposeTree } from "../tree/index.js";
import type { Dataset, HostArray } from "../data/index.js";
import type { Shape, ShapeError } from "../../typelevel/index.js";
import { RunningScores, scoredOutputs, type MetricsSpec, type Scores } from "./metrics.js";
import { checkNotEmpty, type LossFn, type Trainable } from "./model.js";
import {
  checkRecordKeys,
  checkTreeData,
  checkTreeSide,
  combinedLoss,
  firstTensor,
  recordNames,
  treeBatches,
  treeToTensor,
  type HostTree,
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
  RecordInputMismatch,
  RecordInputs,
} from "./fit-types.js";

/**
 * The options fit and evaluate share: the model, its params and layer state, the loss and the
 * metrics. `Op` names the function in type errors; `M`, `P`, `T` and `Lf` are the model, the params
 * given, the data set and the loss, checked against each other (see fit-types.ts).
 */
export interface ModelLossOptions<Op extends string, M extends AnyTrainable, P, T extends Dataset | RecordDataset, Lf> {
  /** The model (an `nn.Model`, an `nn.model(...)`, or anything with `applyWithState` and `initState`). */
  model: M;
  /** Its params, e.g. `model.init(random.key(0))` or fit's result: the model's params tree, never disposed here. */
  params: CheckedParams<Op, M, P>;
  /** Layer state (batch-norm statistics), e.g. fit's result; default `model.initState()`. */
  state?: ModelState<M>;
  /**
   * Model output and batch targets to a scalar, e.g. `losses.sparseCategoricalCrossEntropy`: it must
   * take the model's output and the data's y (sparse cross-entropy: int32 labels `[N]` for logits
   * `[batch, C]`; mse and one-hot cross-entropy: float32 targets shaped like the output). For a model
   * with several outputs (nn.model), a record of losses, one per output name.
   */
  loss: CheckedLoss<Op, M, T, Lf>;
  /** With a record of losses: their weights (`lossWeights: { aux: 0.2 }`), summed; an output not named has weight 1. */
  lossWeights?: Readonly<Record<string, number>>;
  /**
   * What to compute besides the loss: `["accuracy"]`; for a model with several outputs (nn.model),
   * the outputs to score, `{ cls: ["accuracy"] }` (logged as `clsAccuracy`).
   */
  metrics?: MetricsSpec;
}

/** The runtime view of `ModelLossOptions`, with untyped data (what fit's and evaluate's bodies read). */
export interface ModelLossRun<P, St> {
  model: Trainable<P, St>;
  params: P;
  state?: St;
  loss: LossSpec;
  lossWeights?: Readonly<Record<string, number>>;
  metrics?: MetricsSpec;
}

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
> extends ModelLossOptions<"evaluate", M, P, T, Lf> {
  /** The data to score: x and y (records of host arrays for a model with several inputs or outputs). */
  data: CheckedData<"evaluate", "data", M, T>;
  /** Default 256 (or the data set's size, if smaller). */
  batchSize?: number;
}

/** evaluate's options as its body reads them (untyped data). */
interface EvaluateRun<P, St> extends ModelLossRun<P, St> {
  data: Dataset | RecordDataset;
  batchSize?: number;
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

/** `evaluate` without the compile-time checks (fit scores its validation data with it; `where` names it in errors). */
export function runEvaluate<P, St>(opts: EvaluateRun<P, St> & { where?: string }): Scores {
  // NOTE: opts is checked below; a non-object must still get evaluate's error, not a TypeError
  const where = (typeof opts === "object" && opts !== null && opts.where) || "evaluate";
  checkOptions(opts, where);
  const n = checkTreeData(opts.data, where);
  checkNotEmpty(n, where);
  checkRecordKeys(opts.model, opts.data, opts.loss, where);
  const loss = combinedLoss(opts.loss, opts.lossWeights, where);
  const scored = scoredOutputs(opts.metrics, recordNames(opts.model).outputs, where);
  const bs = Math.min(opts.batchSize ?? 256, n);
  return withState(opts.model, opts.state, (state) => {
    const running = new RunningScores(scored, where);
    for (const batch of treeBatches(opts.data, bs)) {
      const x = treeToTensor(batch.x);
      const y = treeToTensor(batch.y);
      try {
        scoped(
          () => {
            const [out] = opts.model.applyWithState(opts.params, x, { state, training: false });
            running.add(loss(out, y).item(), firstTensor(y).shape[0], out, y);
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

/** The output record of a model with several outputs (nn.model), or never. */
type RecordOutputs<M> = M extends { readonly __types: { in: infer In; out: infer O } } ? (In extends Shape ? never : O) : never;

/**
 * predict's `x` for model M: a host array that fits the model's input, or for a model with a record of
 * inputs (nn.model) a record with exactly its input names, else a ShapeError naming the missing or extra
 * key (the rule fit and evaluate share: `RecordInputMismatch`).
 */
export type PredictInput<M, X> = [RecordInputs<M>] extends [never]
  ? CheckedInput<"predict", M, X>
  : RecordInputMismatch<"predict", "x", M, X> extends infer R extends string
    ? [R] extends [never]
      ? X
      : ShapeError<R>
    : X;

/** What predict returns: the output tensor, or for a model with a record of outputs (nn.model) a record of them. */
export type PredictResult<M, X> = [RecordOutputs<M>] extends [never] ? Tensor<PredictShape<M, X>> : RecordOutputs<M>;

/**
 * Options of `predict({ model, params, x, batchSize })`; `x` must fit the model's input, else a
 * `ShapeError<"predict: ...">` on it. For a model with several inputs (nn.model), `x` is a record of
 * host arrays keyed by input name.
 */
export interface PredictOptions<M extends AnyTrainable = AnyTrainable, P = ModelParams<M>, X extends HostTree = HostArray> {
  /** The model to run (in eval mode). */
  model: M;
  /** Its params. */
  params: CheckedParams<"predict", M, P>;
  /** The inputs, sample dim first: one host array, or a record of them (one per input name). */
  x: PredictInput<M, X>;
  /** Layer state (batch-norm statistics) from fit; default `model.initState()`. */
  state?: ModelState<M>;
  /** Default 256 (or the number of samples, if smaller). */
  batchSize?: number;
}

/** predict's options as its body reads them. */
interface PredictRun<P, St> {
  model: Trainable<P, St>;
  params: P;
  x: HostTree;
  state?: St;
  batchSize?: number;
}

/**
 * Model outputs for every sample of `x`, in order, computed in batches (eval mode). A model with
 * records of inputs and outputs (nn.model) takes a record of host arrays and returns a record of
 * tensors, as its `apply` does.
 * ```ts
 * const logits = predict({ model, params, x: test.x });                         // [n, 10]
 * const { cls, reg } = predict({ model: twoHeads, params, x: { image, meta } });  // one tensor per output
 * ```
 */
export function predict<M extends AnyTrainable, P, X extends HostTree>(opts: PredictOptions<M, P, X>): PredictResult<M, X>;
export function predict<P, St>(opts: PredictRun<P, St>): AnyTensor | Record<string, AnyTensor> {
  checkOptions(opts, "predict");
  const { model, params, x } = opts;
  const n = checkTreeSide(x, "x", "predict");
  checkRecordKeys(model, { x }, undefined, "predict");
  checkNotEmpty(n, "predict");
  const bs = Math.min(opts.batchSize ?? 256, n);
  return withState(model, opts.state, (state) => {
    // one list of batch results per output ("" for a lone output tensor)
    const parts = new Map<string, tf.Tensor[]>();
    const dummyY = { data: new Int32Array(n), shape: [n], dtype: "int32" as const };
    try {
      for (const batch of treeBatches({ x, y: dummyY }, bs)) {
        const xt = treeToTensor(batch.x);
        try {
          const outs = scoped(
            () => {
              const out = model.applyWithState(params, xt, { state, training: false })[0];
              return isTensor(out) ? { "": out } : { ...out };
            },
            (r) => Object.values(r).map((t) => t.concrete()),
          );
          for (const [k, t] of Object.entries(outs)) {
            if (!parts.has(k)) parts.set(k, []);
            parts.get(k)!.push(t.concrete());
          }
        } finally {
          disposeTree(xt);
        }
      }
      const joined = [...parts].map(([k, ts]): [string, AnyTensor] => [k, new Concrete(tf.concat(ts, 0))]);
      return joined.length === 1 && joined[0][0] === "" ? joined[0][1] : Object.fromEntries(joined);
    } finally {
      // NOTE: also on a throw: the batches computed before a failing one are freed
      for (const ts of parts.values()) for (const t of ts) t.dispose();
    }
  });
}

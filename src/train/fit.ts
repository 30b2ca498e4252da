// The training loop: shuffled mini-batches, a jitted step (valueAndGrad + optimizer update),
// validation, callbacks, progress, and a History. Memory stays flat across steps.
import { describeValue, refused, tensor, ValueError, type AnyTensor } from "../tensor/index.js";
import { dispose as disposeTree, map } from "../tree/index.js";
import { batchCount, type Dataset, type HostArray } from "../data/index.js";
import type { GradientTransformation } from "../optim/index.js";
import { foldIn, key as makeKey } from "../random/index.js";
import type { Callback, EpochContext } from "./callbacks.js";
import { runEvaluate, type ModelLossOptions, type ModelLossRun } from "./evaluate.js";
import { emptyHistory, record, type EpochLogs, type History } from "./history.js";
import { RunningScores, scoredOutputs } from "./metrics.js";
import type { LossFn, Trainable } from "./model.js";
import {
  checkRecordKeys,
  checkTreeData,
  combinedLoss,
  firstTensor,
  hostLeaves,
  isPlainDataset,
  recordNames,
  treeBatches,
  treeToTensor,
  type RecordDataset,
} from "./records.js";
import { makeProgress, formatMetrics, type Progress, type ProgressMode } from "./progress.js";
import { copyHistory, resumePoint, type Checkpoint } from "./resume.js";
import { makeTrainStep, DIVERGENCE, type StepResult } from "./step.js";
import type { AnyTrainable, CheckedData, CheckedValidation, ModelParams, ModelState } from "./fit-types.js";
import { collectChecks, type CheckFailure, type PendingChecks } from "../core/index.js";

/**
 * Options of `fit`: what to train, on what, how long, and what to watch. Typed end to end: `M` is the
 * model, `P` the params given, `T` and `V` the training and validation sets, `Lf` the loss; an option
 * that does not fit the model becomes a `ShapeError<"fit: ...">` on that option (see fit-types.ts).
 */
export interface FitOptions<
  M extends AnyTrainable = AnyTrainable,
  P = ModelParams<M>,
  T extends Dataset | RecordDataset = Dataset,
  Lf = LossFn,
  V extends Dataset | RecordDataset = Dataset,
> extends ModelLossOptions<"fit", M, P, T, Lf> {
  /** The optimizer, e.g. `optim.adam(1e-3)`. */
  optimizer: GradientTransformation;
  /**
   * The training data: x and y with the same sample count (`data.dataset(x, y)`); x must fit the model's
   * input. For a model with several inputs or outputs (nn.model), x and y may be records of host
   * arrays keyed by input and output name (x's names checked at compile time, the rest at run time).
   */
  train: CheckedData<"fit", "train", M, T>;
  /** Held-out data evaluated after every epoch (checked like `train`). */
  validation?: CheckedValidation<"fit", M, V, Lf>;
  /** Passes over the training data. */
  epochs: number;
  /** Samples per step (each epoch is shuffled, then cut into batches of this size). */
  batchSize: number;
  /** Drives shuffling and dropout; same seed, same run. Default 0. */
  seed?: number;
  /** Code run after each epoch, e.g. `earlyStopping()`, `checkpoint({ path })`; they never change the params type fit returns. */
  callbacks?: readonly Callback<ModelParams<M>>[];
  /**
   * `"lines"` (default: one line per epoch on the console), `"silent"`, or a reporter of your own
   * (e.g. a page updating its UI; `progressBar()` from shapeflow/node draws a live bar in a terminal).
   */
  progress?: ProgressMode | Progress;
  /** Transforms each training batch's inputs on the host (e.g. data.augment), per step seed. */
  augment?: (x: HostArray, seed: number) => HostArray;
  /** Keep every batch the same size so the step traces once (default true). */
  dropRemainder?: boolean;
  /**
   * Go on with a run saved by `checkpoint` (shapeflow/node): a checkpoint path (Node), or what `loadCheckpoint`
   * returned (fit then leaves its tensors to you). Params, optimizer state, layer state, PRNG key,
   * step, seed and history come from it (`params` and `state` above only give the structure it is
   * checked against), and training runs from its epoch to `epochs`, counted from the start of the
   * run: the result is bit for bit that of a run never interrupted (same data, options, backend).
   */
  resumeFrom?: string | Checkpoint<ModelParams<M>, ModelState<M>>;
}

/** fit's options as its body reads them: the runtime view of `FitOptions`, with untyped data. */
interface RunOptions<P, St> extends ModelLossRun<P, St> {
  optimizer: GradientTransformation;
  train: Dataset | RecordDataset;
  validation?: Dataset | RecordDataset;
  epochs: number;
  batchSize: number;
  seed?: number;
  callbacks?: readonly Callback<P>[];
  progress?: ProgressMode | Progress;
  augment?: (x: HostArray, seed: number) => HostArray;
  dropRemainder?: boolean;
  resumeFrom?: string | Checkpoint<P, St>;
}

/** What `fit` returns: the trained params and state, the optimizer state, the history and how the run went. */
export interface FitResult<P, St> {
  /** The trained params (new tensors, owned by the caller). */
  params: P;
  /** The layer state after training (batch-norm running statistics). */
  state: St;
  /** The optimizer's state after the last step (to continue training by hand). */
  optState: unknown;
  /** One entry per epoch: losses, accuracies, ms per step. */
  history: History;
  /** Why training ended early, if it did. */
  stopReason?: string;
  /** How many times the jitted step was traced (1 when every batch has the same shape). */
  traceCount: number;
  /** Optimizer steps taken since the start of the run (a resumed run counts the checkpoint's too). */
  steps: number;
}

/**
 * Trains `params` on `train` and returns the new params, state and history.
 * ```ts
 * const { params, history } = await fit({ model, params, optimizer: optim.adam(1e-3),
 *   loss: losses.sparseCategoricalCrossEntropy, train, validation, epochs: 5, batchSize: 128,
 *   metrics: ["accuracy"] });
 * ```
 */
export function fit<M extends AnyTrainable, P, T extends Dataset | RecordDataset, Lf, V extends Dataset | RecordDataset = Dataset>(
  opts: FitOptions<M, P, T, Lf, V>,
): Promise<FitResult<ModelParams<M>, ModelState<M>>>;
export async function fit<P, St>(opts: RunOptions<P, St>): Promise<FitResult<P, St>> {
  checkFitOptions(opts);
  const { model, optimizer, train, epochs, batchSize } = opts;
  const loss = combinedLoss(opts.loss, opts.lossWeights, "fit");
  const n = checkTreeData(train, "fit");
  if (!Number.isInteger(epochs) || epochs < 1) {
    throw new ValueError(
      { op: "fit", expected: "a positive integer epochs", got: String(epochs) },
      `fit: epochs must be a positive integer, got ${epochs}`,
    );
  }
  batchCount(n, batchSize); // checks the batch size against the data set
  if (opts.validation) checkTreeData(opts.validation, "fit (validation)");
  checkRecordKeys(model, train, opts.loss, "fit");
  if (opts.validation) checkRecordKeys(model, opts.validation, opts.loss, "fit (validation)");
  const scored = scoredOutputs(opts.metrics, recordNames(model).outputs, "fit");
  checkFinite(train, "fit");
  if (opts.validation) checkFinite(opts.validation, "fit (validation)");
  // checked (and, from a path, read) before anything else is allocated
  const resumed = opts.resumeFrom === undefined ? undefined : resumePoint(opts.resumeFrom, opts);
  const from = resumed?.from;
  const seed = from?.seed ?? opts.seed ?? 0;
  const baseKey = from?.key ?? makeKey(seed);
  const ownsKey = resumed?.owned ?? true;
  const dropRemainder = opts.dropRemainder ?? true;
  const steps = batchCount(n, batchSize, { dropRemainder });
  const progress = typeof opts.progress === "object" ? opts.progress : makeProgress({ mode: opts.progress });

  const step = makeTrainStep(model, loss, optimizer);

  // the tensors fit starts from are the caller's (opts.params, opts.state, a loaded checkpoint) or
  // its own (fresh state, a checkpoint read from a path); it frees only its own
  let params = map(from?.params ?? opts.params, (t) => t);
  let ownsParams = resumed?.owned ?? false;
  let state = from ? from.state : (opts.state ?? model.initState());
  let ownsState = resumed ? resumed.owned : opts.state === undefined;
  let optState: unknown = from ? from.optState : optimizer.init(params);
  let ownsOptState = resumed?.owned ?? true;
  const history = from ? copyHistory(from.history) : emptyHistory();
  let stopReason: string | undefined;
  let globalStep = from?.step ?? 0;
  let labelsChecked = false;
  let atEpochEnd: EpochContext<P> | undefined; // the run after its last whole epoch, for onTrainEnd

  try {
    outer: for (let epoch = from?.epoch ?? 0; epoch < epochs; epoch++) {
      progress.startEpoch(epoch, epochs, steps);
      const running = new RunningScores(scored, "fit");
      let i = 0;
      const t0 = performance.now();
      for (const batch of treeBatches(train, batchSize, { seed: seed * 100_003 + epoch, dropRemainder })) {
        const xHost = opts.augment ? augmentTree(opts.augment, batch.x, seed * 1_000_003 + globalStep) : batch.x;
        const x = treeToTensor(xHost);
        const y = treeToTensor(batch.y);
        const k = foldIn(baseKey, globalStep);
        let r: StepResult<P, St>;
        let checks: PendingChecks;
        try {
          // the step's checks (divergence, label ranges, a user's) are read below with the loss: one host read per step
          [r, checks] = collectChecks(() => step(params, optState, state, x, y, k));
        } catch (e) {
          disposeTree([x, y, k]); // e.g. a shape error while tracing
          throw e;
        }
        let l: number;
        let failure: CheckFailure | undefined;
        try {
          if (!labelsChecked) {
            labelsChecked = true;
            if (isPlainDataset(train)) checkLabelRange(train, firstTensor(r.out), "fit");
            if (opts.validation && isPlainDataset(opts.validation))
              checkLabelRange(opts.validation, firstTensor(r.out), "fit (validation)");
          }
          ({
            failure,
            values: [l],
          } = checks.read([r.loss]));
          if (failure && failure.op !== DIVERGENCE) {
            const where = `epoch ${epoch + 1}, step ${globalStep + 1} (batch ${i + 1} of ${steps})`;
            throw new ValueError(
              { op: "fit", expected: failure.expected, got: `${failure.value} at index ${failure.index} of the batch` },
              `fit: ${where}: ${failure.op}: ${failure.detail}`,
            );
          }
        } catch (e) {
          checks.dispose();
          disposeTree([r, x, y, k]);
          throw e;
        }
        if (failure) {
          const what = Number.isFinite(l) ? failure.detail : `loss became ${l}`;
          stopReason = `${what} at epoch ${epoch + 1}, step ${i + 1}; kept the parameters from before this step`;
          disposeTree([r, x, y, k]);
          progress.stop();
          atEpochEnd = undefined; // stopped inside an epoch: no end-of-run callbacks
          break outer;
        }
        running.add(l, firstTensor(y).shape[0], r.out, y);
        // the old params/state are now garbage, unless they are the caller's
        if (ownsParams) disposeTree(params);
        if (ownsOptState) disposeTree(optState);
        if (ownsState) disposeTree(state);
        params = r.params;
        optState = r.optState;
        state = r.state;
        ownsParams = ownsState = ownsOptState = true;
        disposeTree([r.loss, r.out, r.probe, x, y, k]);
        i++;
        globalStep++;
        progress.step(i, definedValues(running.scores()), (performance.now() - t0) / i);
      }
      const msPerStep = (performance.now() - t0) / Math.max(i, 1); // training steps only, not validation
      const logs: EpochLogs = { epoch: epoch + 1, ...running.scores() };
      if (opts.validation) {
        const { loss: valLoss, ...valScores } = runEvaluate({
          model,
          params,
          state,
          loss: opts.loss,
          lossWeights: opts.lossWeights,
          data: opts.validation,
          batchSize,
          metrics: opts.metrics,
          where: "fit (validation)",
        });
        logs.valLoss = valLoss;
        for (const [k, v] of Object.entries(valScores)) logs[`val${k[0].toUpperCase()}${k.slice(1)}`] = v;
      }
      record(history, logs, msPerStep);
      const { epoch: _e, ...shown } = logs;
      progress.endEpoch(`${formatMetrics(definedValues(shown))} | ${msPerStep.toFixed(1)} ms/step`);
      const ctx = { params, optState, state, key: baseKey, epoch: epoch + 1, step: globalStep, seed, optimizer: optimizer.name, history };
      atEpochEnd = ctx;
      for (const cb of opts.callbacks ?? []) {
        if (cb.onEpochEnd?.(logs, ctx) === "stop") {
          stopReason ??= `stopped by a callback after epoch ${epoch + 1}`;
        }
      }
      if (stopReason) break;
      // let timers, a progress bar and (in a page) the UI run; setTimeout exists in Node and browsers alike
      await new Promise((r) => setTimeout(r, 0));
    }
    if (atEpochEnd) for (const cb of opts.callbacks ?? []) cb.onTrainEnd?.(atEpochEnd);
  } catch (e) {
    // nothing of a failed run survives: free what fit made, never the caller's tensors
    progress.stop();
    if (ownsParams) disposeTree(params);
    if (ownsState) disposeTree(state);
    if (ownsOptState) disposeTree(optState);
    throw e;
  } finally {
    step.dispose();
    if (ownsKey) baseKey.dispose();
  }
  const traceCount = step.traceCount;
  // the result is the caller's to free: copies of anything fit did not make
  if (!ownsParams) params = map(params, tensorClone);
  if (!ownsState) state = map(state, tensorClone);
  if (!ownsOptState) optState = map(optState, tensorClone);
  return { params, state, optState, history, stopReason, traceCount, steps: globalStep };
}

/** The entries of a record of logs that hold a number. */
function definedValues(logs: Readonly<Record<string, number | undefined>>): Record<string, number> {
  return Object.fromEntries(Object.entries(logs).filter((e): e is [string, number] => e[1] !== undefined));
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
      throw new ValueError(
        { op: where, expected: `labels in 0..${k - 1}`, got: `${v} at index ${i}` },
        `${where}: label ${v} at index ${i} is out of range: the model outputs ${k} classes, so labels must be in 0..${k - 1}`,
      );
  }
}

/** x and y must be finite: a NaN in the data would only show up as a NaN loss, far from its cause. */
function checkFinite(ds: Dataset | RecordDataset, where: string): void {
  const all = hostLeaves(ds);
  for (const [name, a] of [...all.filter(([k]) => k.startsWith("y")), ...all.filter(([k]) => k.startsWith("x"))]) {
    for (let i = 0; i < a.data.length; i++) {
      if (!Number.isFinite(a.data[i])) {
        const hint = name.startsWith("x") ? "; clean or impute the data first" : "";
        throw new ValueError(
          { op: where, expected: `finite ${name}`, got: `${a.data[i]} at index ${i}` },
          `${where}: ${name} has ${a.data[i]} at index ${i}${hint}`,
        );
      }
    }
  }
}

/** `augment` on the batch's inputs: the one array, or each array of a record. */
function augmentTree(augment: (x: HostArray, seed: number) => HostArray, x: RecordDataset["x"], seed: number): RecordDataset["x"] {
  if ("data" in x && ArrayBuffer.isView(x.data)) return augment(x as HostArray, seed);
  return Object.fromEntries(Object.entries(x as Record<string, HostArray>).map(([k, a]) => [k, augment(a, seed)]));
}

/** The parts fit calls: a clear error up front instead of a TypeError deep in the first step. */
function checkFitOptions(opts: unknown): void {
  const o = opts as Partial<RunOptions<unknown, unknown>> | null | undefined;
  if (typeof o !== "object" || o === null) throw refused("fit", "the argument must be an options object", describeValue(opts));
  const m = o.model as Partial<Trainable<unknown, unknown>> | undefined;
  if (typeof m !== "object" || m === null || typeof m.applyWithState !== "function" || typeof m.initState !== "function") {
    throw refused("fit", "model must be a model made by nn (with applyWithState and initState)", describeValue(m));
  }
  const opt = o.optimizer as Partial<GradientTransformation> | undefined;
  if (typeof opt !== "object" || opt === null || typeof opt.init !== "function" || typeof opt.update !== "function") {
    throw refused("fit", "optimizer must be an optimizer { init, update } (e.g. optim.adam(1e-3))", describeValue(opt));
  }
  const l = o.loss as unknown;
  const lossRecord = typeof l === "object" && l !== null && !Array.isArray(l) && Object.keys(l).length > 0;
  if (typeof l !== "function" && !lossRecord) throw refused("fit", "loss must be a loss function (e.g. losses.mse)", describeValue(l));
}

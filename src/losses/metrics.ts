// Metrics: plain numbers computed on the host from concrete tensors (no tensors are made, so
// nothing can leak). Not differentiable and not for jit: call them on values, outside transforms.
import { Tracer } from "../core/index.js";
import type { Shape } from "../../typelevel/index.js";
import { formatShape, type AnyTensor, type Tensor, ShapeError, ValueError, expectOptions } from "../tensor/index.js";
import { expectTensor } from "./types.js";

/** Options every metric takes: `accuracy(scores, labels, { threshold: 0 })` for logits. */
export interface MetricOptions {
  /**
   * For binary scores (predictions of shape [batch] or [batch, 1]): class 1 where the score is
   * above this. Default 0.5 (probabilities); use 0 for logits.
   */
  threshold?: number;
}

interface Classes {
  ids: Int32Array;
  /** Number of classes the input's shape implies (K of [batch, K]; 2 for binary), if any. */
  classes: number | undefined;
  /** The ids come from thresholding binary scores ([batch] or [batch, 1]). */
  binary?: boolean;
}

function hostValues(op: string, x: AnyTensor, what: string): ArrayLike<number> {
  if (x instanceof Tracer) {
    throw new ValueError(
      { op: op, expected: "a concrete tensor", got: `a traced ${what}` },
      `${op}: ${what} is a traced value; metrics read values, so call ${op} outside jit, grad and vmap`,
    );
  }
  return x.dataSync();
}

function argmaxRows(values: ArrayLike<number>, rows: number, k: number): Int32Array {
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (values[r * k + j] > values[r * k + best]) best = j;
    out[r] = best;
  }
  return out;
}

/** Class ids from predictions: scores [batch, K] (argmax), binary scores [batch] or [batch, 1], or int32 ids [batch]. */
function predictedClasses(op: string, predictions: unknown, threshold: number): Classes {
  expectTensor(op, predictions, "predictions");
  const s = predictions.shape;
  const values = hostValues(op, predictions, "predictions");
  if (predictions.dtype === "int32" && s.length === 1) return { ids: Int32Array.from(values), classes: undefined };
  if (predictions.dtype === "float32" && (s.length === 1 || (s.length === 2 && s[1] === 1))) {
    return { ids: Int32Array.from(values, (v) => (v > threshold ? 1 : 0)), classes: 2, binary: true };
  }
  if (predictions.dtype === "float32" && s.length === 2) return { ids: argmaxRows(values, s[0], s[1]), classes: s[1] };
  throw new ShapeError(
    { op: op, expected: "float32 [batch, classes], float32 [batch] or int32 [batch]", got: `${predictions.dtype} ${formatShape(s)}` },
    `${op}: predictions must be float32 scores [batch, classes], float32 binary scores [batch] or int32 class ids [batch], got ${predictions.dtype} ${formatShape(s)}`,
  );
}

/**
 * Class ids from labels: int32 ids [batch], integer-valued float32 [batch], or one-hot rows [batch, K].
 * With `softBinary` (the predictions are binary scores), float labels in [0, 1] are soft binary
 * labels: class 1 above 0.5, class 0 otherwise (so 0.5 itself is class 0, as a score of 0.5 is).
 */
function trueClasses(op: string, labels: unknown, softBinary = false): Classes {
  expectTensor(op, labels, "labels");
  const s = labels.shape;
  const values = hostValues(op, labels, "labels");
  if (s.length === 1 || (s.length === 2 && s[1] === 1)) {
    const ids = new Int32Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (softBinary && v >= 0 && v <= 1) ids[i] = v > 0.5 ? 1 : 0;
      else if (Number.isInteger(v) && v >= 0) ids[i] = v;
      else if (softBinary)
        throw new ValueError(
          { op: op, expected: "a class id or a soft binary label in [0, 1]", got: `${v} at index ${i}` },
          `${op}: label ${v} at index ${i} is neither a class id (a non-negative integer) nor a soft binary label in [0, 1]`,
        );
      else
        throw new ValueError(
          { op: op, expected: "a class id (a non-negative integer)", got: `${v} at index ${i}` },
          `${op}: label ${v} at index ${i} is not a class id (a non-negative integer)`,
        );
    }
    return { ids, classes: undefined };
  }
  if (s.length === 2 && labels.dtype !== "bool") return { ids: argmaxRows(values, s[0], s[1]), classes: s[1] };
  throw new ShapeError(
    { op: op, expected: "class ids [batch] or one-hot rows [batch, classes]", got: `${labels.dtype} ${formatShape(s)}` },
    `${op}: labels must be class ids [batch] or one-hot rows [batch, classes], got ${labels.dtype} ${formatShape(s)}`,
  );
}

function checkThreshold(op: string, t: unknown): number {
  if (t === undefined) return 0.5;
  if (typeof t !== "number" || Number.isNaN(t))
    throw new ValueError({ op: op, expected: "a number threshold", got: String(t) }, `${op}: threshold must be a number, got ${String(t)}`);
  return t;
}

function pair(op: string, predictions: unknown, labels: unknown, opts: MetricOptions): { pred: Classes; truth: Classes } {
  expectOptions(op, opts);
  const pred = predictedClasses(op, predictions, checkThreshold(op, opts.threshold));
  const truth = trueClasses(op, labels, pred.binary);
  if (pred.ids.length !== truth.ids.length) {
    throw new ShapeError(
      { op: op, expected: `${pred.ids.length} examples`, got: `${truth.ids.length}` },
      `${op}: predictions have ${pred.ids.length} examples but labels have ${truth.ids.length}`,
    );
  }
  if (pred.ids.length === 0)
    throw new ValueError({ op: op, expected: "at least one example", got: "0 examples" }, `${op}: no examples (the batch is empty)`);
  if (pred.classes !== undefined && truth.classes !== undefined && pred.classes !== truth.classes && pred.classes !== 2) {
    throw new ShapeError(
      { op: op, expected: `${pred.classes} classes`, got: `${truth.classes} classes` },
      `${op}: predictions have ${pred.classes} classes but one-hot labels have ${truth.classes}`,
    );
  }
  return { pred, truth };
}

/**
 * The fraction of examples whose predicted class is the label: the one accuracy rule (train's
 * `metrics: ["accuracy"]` counts with it too). Predictions: scores [batch, K] (logits or
 * probabilities: argmax), binary scores [batch] or [batch, 1] (class 1 above `threshold`), or int32
 * ids [batch]. Labels: int32 ids [batch], one-hot rows [batch, K], or, with binary scores, float
 * labels in [0, 1] of shape [batch] or [batch, 1]: soft labels count as class 1 above 0.5 (always
 * 0.5: `threshold` is for the scores, which may be logits).
 * ```ts
 * accuracy(logits, labels);                        // e.g. 0.97
 * accuracy(sigmoidOutputs, softTargets);           // targets like 0.9 / 0.1 count as 1 / 0
 * accuracy(logitsPerExample, labels, { threshold: 0 });
 * ```
 */
export function accuracy(predictions: AnyTensor, labels: AnyTensor, opts: MetricOptions = {}): number {
  const { pred, truth } = pair("accuracy", predictions, labels, opts);
  let hits = 0;
  for (let i = 0; i < pred.ids.length; i++) if (pred.ids[i] === truth.ids[i]) hits++;
  return hits / pred.ids.length;
}

/**
 * The fraction of examples whose label is among the k highest scores. Ties count in the label's
 * favour: it is in the top k when fewer than k classes score strictly higher.
 * ```ts
 * topKAccuracy(logits, labels, 5);
 * ```
 */
export function topKAccuracy(predictions: Tensor<Shape, "float32">, labels: AnyTensor, k: number): number {
  const op = "topKAccuracy";
  expectTensor(op, predictions, "predictions");
  const s = predictions.shape;
  if (predictions.dtype !== "float32" || s.length !== 2) {
    throw new ShapeError(
      { op: op, expected: "float32 scores [batch, classes]", got: `${predictions.dtype} ${formatShape(s)}` },
      `${op}: predictions must be float32 scores [batch, classes], got ${predictions.dtype} ${formatShape(s)}`,
    );
  }
  const [rows, classes] = s;
  if (!Number.isInteger(k) || k < 1 || k > classes)
    throw new ValueError(
      { op: op, expected: `an integer k in 1..${classes}`, got: String(k) },
      `${op}: k must be an integer in 1..${classes}, got ${k}`,
    );
  const truth = trueClasses(op, labels);
  if (truth.ids.length !== rows)
    throw new ShapeError(
      { op: op, expected: `${rows} examples`, got: `${truth.ids.length}` },
      `${op}: predictions have ${rows} examples but labels have ${truth.ids.length}`,
    );
  if (rows === 0)
    throw new ValueError({ op: op, expected: "at least one example", got: "0 examples" }, `${op}: no examples (the batch is empty)`);
  const values = hostValues(op, predictions, "predictions");
  let hits = 0;
  for (let r = 0; r < rows; r++) {
    const label = truth.ids[r];
    if (label >= classes)
      throw new ValueError(
        { op: op, expected: `labels in 0..${classes - 1}`, got: `${label} at index ${r}` },
        `${op}: label ${label} at index ${r} is out of range for ${classes} classes (expected 0..${classes - 1})`,
      );
    const target = values[r * classes + label];
    let higher = 0;
    for (let j = 0; j < classes; j++) if (values[r * classes + j] > target) higher++;
    if (higher < k) hits++;
  }
  return hits / rows;
}

/** Options of `confusionMatrix` (and of the metrics built on it). */
export interface ConfusionOptions extends MetricOptions {
  /** Number of classes (default: from the predictions' shape, else the largest id + 1). */
  numClasses?: number;
}

function confusion(op: string, predictions: unknown, labels: unknown, opts: ConfusionOptions): number[][] {
  const { pred, truth } = pair(op, predictions, labels, opts);
  let n = opts.numClasses ?? pred.classes ?? truth.classes;
  if (n === undefined) {
    n = 0;
    for (let i = 0; i < pred.ids.length; i++) n = Math.max(n, pred.ids[i] + 1, truth.ids[i] + 1);
  }
  if (!Number.isInteger(n) || n < 1)
    throw new ValueError(
      { op: op, expected: "a positive integer numClasses", got: String(opts.numClasses) },
      `${op}: numClasses must be a positive integer, got ${String(opts.numClasses)}`,
    );
  const m = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < pred.ids.length; i++) {
    const [t, p] = [truth.ids[i], pred.ids[i]];
    if (t >= n)
      throw new ValueError(
        { op: op, expected: `labels in 0..${n - 1}`, got: `${t} at index ${i}` },
        `${op}: label ${t} at index ${i} is out of range for ${n} classes (expected 0..${n - 1})`,
      );
    if (p < 0 || p >= n)
      throw new ValueError(
        { op: op, expected: `classes in 0..${n - 1}`, got: `${p} at index ${i}` },
        `${op}: predicted class ${p} at index ${i} is out of range for ${n} classes (expected 0..${n - 1})`,
      );
    m[t][p]++;
  }
  return m;
}

/**
 * Counts `m[trueClass][predictedClass]` (rows are labels, columns predictions, as scikit-learn).
 * ```ts
 * confusionMatrix(logits, labels);   // number[][], K x K
 * ```
 */
export function confusionMatrix(predictions: AnyTensor, labels: AnyTensor, opts: ConfusionOptions = {}): number[][] {
  return confusion("confusionMatrix", predictions, labels, opts);
}

/** Options of `precision`, `recall` and `f1Score`: `f1Score(pred, labels, { average: "none" })` gives one value per class. */
export interface AveragedOptions extends ConfusionOptions {
  /**
   * "macro" (default): the unweighted mean over the classes that occur in the labels or the
   * predictions (scikit-learn's default); "none": one value per class.
   */
  average?: "macro" | "none";
}

type PerClass = (tp: number, fp: number, fn: number) => number;
const safeDiv = (a: number, b: number) => (b === 0 ? 0 : a / b);
const precisionOf: PerClass = (tp, fp) => safeDiv(tp, tp + fp);
const recallOf: PerClass = (tp, _fp, fn) => safeDiv(tp, tp + fn);
const f1Of: PerClass = (tp, fp, fn) => safeDiv(2 * tp, 2 * tp + fp + fn);

function averaged(op: string, predictions: unknown, labels: unknown, opts: AveragedOptions, score: PerClass): number | number[] {
  expectOptions(op, opts);
  const average = opts.average ?? "macro";
  if (average !== "macro" && average !== "none")
    throw new ValueError(
      { op: op, expected: '"macro" or "none"', got: String(JSON.stringify(average)) },
      `${op}: average must be "macro" or "none", got ${JSON.stringify(average)}`,
    );
  const m = confusion(op, predictions, labels, opts);
  const n = m.length;
  const per: number[] = [];
  const present: boolean[] = [];
  for (let c = 0; c < n; c++) {
    const tp = m[c][c];
    let fp = 0,
      fn = 0;
    for (let j = 0; j < n; j++) {
      if (j === c) continue;
      fp += m[j][c];
      fn += m[c][j];
    }
    per.push(score(tp, fp, fn));
    present.push(tp + fp + fn > 0);
  }
  if (average === "none") return per;
  const used = per.filter((_, c) => present[c]);
  return used.reduce((a, b) => a + b, 0) / used.length;
}

/**
 * Precision `tp / (tp + fp)` per class (0 for a class never predicted), macro-averaged by default.
 * ```ts
 * precision(logits, labels);                        // number
 * precision(logits, labels, { average: "none" });   // number[], one per class
 * ```
 */
export function precision(predictions: AnyTensor, labels: AnyTensor, opts?: AveragedOptions & { average?: "macro" }): number;
export function precision(predictions: AnyTensor, labels: AnyTensor, opts: AveragedOptions & { average: "none" }): number[];
export function precision(predictions: AnyTensor, labels: AnyTensor, opts: AveragedOptions = {}): number | number[] {
  return averaged("precision", predictions, labels, opts, precisionOf);
}

/**
 * Recall `tp / (tp + fn)` per class (0 for a class absent from the labels), macro-averaged by default.
 * ```ts
 * recall(logits, labels, { average: "none" });
 * ```
 */
export function recall(predictions: AnyTensor, labels: AnyTensor, opts?: AveragedOptions & { average?: "macro" }): number;
export function recall(predictions: AnyTensor, labels: AnyTensor, opts: AveragedOptions & { average: "none" }): number[];
export function recall(predictions: AnyTensor, labels: AnyTensor, opts: AveragedOptions = {}): number | number[] {
  return averaged("recall", predictions, labels, opts, recallOf);
}

/**
 * F1 `2 tp / (2 tp + fp + fn)` per class (the harmonic mean of precision and recall), macro-averaged by default.
 * ```ts
 * f1Score(logits, labels);
 * ```
 */
export function f1Score(predictions: AnyTensor, labels: AnyTensor, opts?: AveragedOptions & { average?: "macro" }): number;
export function f1Score(predictions: AnyTensor, labels: AnyTensor, opts: AveragedOptions & { average: "none" }): number[];
export function f1Score(predictions: AnyTensor, labels: AnyTensor, opts: AveragedOptions = {}): number | number[] {
  return averaged("f1Score", predictions, labels, opts, f1Of);
}

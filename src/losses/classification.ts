// Classification losses: binary and categorical cross-entropy, from probabilities or logits.
import type { Check, Shape } from "../../typelevel/index.js";
import { formatShape, sizeOf, type AnyTensor, type Tensor, DTypeError, ShapeError, ValueError } from "../tensor/index.js";
import {
  add,
  check,
  equal,
  log,
  maximum,
  minimum,
  mul,
  neg,
  reshape,
  softplus,
  sub,
  sum,
  oneHot,
  type CheckParams,
} from "../core/index.js";
import { logSoftmax, tidy } from "../ops/index.js";
import { pairLoss, perExample, reduce } from "./reduction.js";
import { softmaxCrossEntropy, sparseSoftmaxCrossEntropy, type XentReduction } from "./xent.js";
import {
  checkReduction,
  expectBatch,
  expectFloat,
  expectTensor,
  type LossOptions,
  type LossOut,
  type LossRule,
  type Reduction,
  type SparseLabels,
} from "./types.js";

const DEFAULT_EPS = 1e-7;

function checkEps(op: string, eps: unknown): number {
  if (eps === undefined) return DEFAULT_EPS;
  if (typeof eps !== "number" || !(eps > 0 && eps < 0.5))
    throw new ValueError(
      { op: op, expected: "a number in (0, 0.5)", got: String(eps) },
      `${op}: eps must be a number in (0, 0.5), got ${String(eps)}`,
    );
  return eps;
}

/** Probabilities clipped to [eps, 1 - eps] so log stays finite (the gradient is 0 outside). */
function clipProbabilities(p: AnyTensor, eps: number): AnyTensor {
  return minimum(maximum(p, eps), 1 - eps);
}

/** Options of `binaryCrossEntropy(probabilities, targets, { eps, reduction })`. */
export interface BinaryCrossEntropyOptions {
  /** Probabilities are clipped to [eps, 1 - eps] (default 1e-7). */
  eps?: number;
}

/**
 * Binary cross-entropy from probabilities: `-(y log p + (1 - y) log(1 - p))`, with p clipped to
 * [eps, 1 - eps] (default 1e-7), averaged over features, then the batch. Targets may be soft (0..1).
 * Prefer `binaryCrossEntropyWithLogits` when you have logits: it is exact where p saturates.
 * ```ts
 * binaryCrossEntropy(sigmoid(logits), labels);
 * ```
 */
export const binaryCrossEntropy = pairLoss("binaryCrossEntropy", (opts: BinaryCrossEntropyOptions | undefined) => {
  const eps = checkEps("binaryCrossEntropy", opts?.eps);
  return (probabilities, y) => {
    const p = clipProbabilities(probabilities, eps);
    return perExample(neg(add(mul(y, log(p)), mul(sub(1, y), log(sub(1, p))))));
  };
});

/**
 * Binary cross-entropy from logits x: `max(x, 0) - x y + log1p(exp(-|x|))`, which is
 * `softplus(x) - x y`. NOTE: computed with the softplus primitive (stable for any x, derivative
 * sigmoid(x)), so the gradient `sigmoid(x) - y` is exact also at x = 0, where max and |x| have kinks.
 * ```ts
 * binaryCrossEntropyWithLogits(logits, labels);   // finite for logits of ±1000
 * ```
 */
export const binaryCrossEntropyWithLogits = pairLoss(
  "binaryCrossEntropyWithLogits",
  () => (logits, y) => perExample(sub(softplus(logits), mul(logits, y))),
);

/** Class-axis losses: reduce the last axis first (sum), then the rest like any loss. */
function overClasses(x: AnyTensor): AnyTensor {
  return perExample(sum(x, -1));
}

/** Options of `categoricalCrossEntropy(predictions, targets, { fromLogits, eps, reduction })`. */
export interface CategoricalCrossEntropyOptions {
  /** The predictions are logits (`log p` is then the stable `logSoftmax`), not probabilities (default false). */
  fromLogits?: boolean;
  /** Probabilities are clipped to [eps, 1 - eps] (default 1e-7; unused with `fromLogits`). */
  eps?: number;
}

/**
 * Categorical cross-entropy `-sum(targets * log p)` over the class (last) axis, with targets a
 * distribution per example (one-hot or soft). By default the predictions are probabilities,
 * clipped to [eps, 1 - eps]; with `fromLogits: true` they are logits, and `log p` is the stable
 * `logSoftmax` (the loss and its gradient then one native kernel each on WASM).
 * ```ts
 * categoricalCrossEntropy(logits, oneHotLabels, { fromLogits: true });
 * ```
 */
export const categoricalCrossEntropy = pairLoss(
  "categoricalCrossEntropy",
  (opts: CategoricalCrossEntropyOptions | undefined) => {
    const op = "categoricalCrossEntropy";
    const eps = checkEps(op, opts?.eps);
    return (predictions, y) => {
      if (predictions.rank < 2)
        throw new ShapeError(
          { op: op, expected: "rank >= 2", got: formatShape(predictions.shape) },
          `${op}: predictions need a batch and a class axis (rank >= 2), got ${formatShape(predictions.shape)}`,
        );
      const logP = opts?.fromLogits ? logSoftmax(predictions) : log(clipProbabilities(predictions, eps));
      return overClasses(neg(mul(y, logP)));
    };
  },
  // from logits: the fused softmax cross-entropy (the same loss; `logs Σy − Σ y z` per row)
  (opts) =>
    opts?.fromLogits
      ? (predictions, y, reduction) => {
          const shape = predictions.shape;
          const lead = shape.slice(0, -1);
          const [rows, classes] = [sizeOf(lead), shape[shape.length - 1]];
          if (shape.length < 2 || rows === 0 || classes === 0) return undefined;
          return fusedLoss(lead, reduction, (r) =>
            softmaxCrossEntropy(reshape(predictions, [rows, classes]), reshape(y, [rows, classes]), r),
          );
        }
      : undefined,
);

/**
 * Cross-entropy from logits [..., K] and int32 class labels [...]: `logSumExp(x) - x[label]`,
 * stable for any logits (shifted by each row's max), the loss and its gradient one native kernel
 * each on WASM. Concrete labels outside 0..K-1 throw, naming the first one.
 * ```ts
 * sparseCategoricalCrossEntropy(logits, labels);   // Tensor<["batch", 10]>, Tensor<["batch"], "int32"> -> Tensor<[]>
 * ```
 */
export const sparseCategoricalCrossEntropy: SparseCategoricalCrossEntropy = sparseCrossEntropy;

/** The type of `sparseCategoricalCrossEntropy`: float32 logits [..., K] and int32 labels [...] in, a scalar out. */
export interface SparseCategoricalCrossEntropy {
  /** The loss of a batch (a scalar; one value per example with `reduction: "none"`). */
  <L extends Shape, I extends Shape, const R extends Reduction = "mean">(
    logits: Tensor<L, "float32">,
    labels: Tensor<I, "int32"> & Check<SparseLabels<L, I, "sparseCategoricalCrossEntropy">>,
    opts?: LossOptions<R>,
  ): LossOut<L, R>;
  /** Phantom (never set): tells `train.fit` the targets are int32 class ids, the logits' shape without the class axis. */
  readonly __lossRule?: LossRule<"sparse", "sparseCategoricalCrossEntropy">;
}

function sparseCrossEntropy<L extends Shape, I extends Shape, const R extends Reduction = "mean">(
  logits: Tensor<L, "float32">,
  labels: Tensor<I, "int32"> & Check<SparseLabels<L, I, "sparseCategoricalCrossEntropy">>,
  opts?: LossOptions<R>,
): LossOut<L, R> {
  const op = "sparseCategoricalCrossEntropy";
  expectTensor(op, logits, "logits");
  expectTensor(op, labels, "labels");
  expectFloat(op, logits, "logits");
  if (labels.dtype !== "int32")
    throw new DTypeError(
      { op: op, expected: "int32", got: labels.dtype },
      `${op}: labels must be int32 class indices, got ${labels.dtype}`,
    );
  const reduction = checkReduction(op, opts?.reduction);
  const ls = logits.shape as readonly number[],
    is = labels.shape as readonly number[];
  if (ls.length < 2)
    throw new ShapeError(
      { op: op, expected: "rank >= 2", got: formatShape(ls) },
      `${op}: logits need a batch and a class axis (rank >= 2), got ${formatShape(ls)}`,
    );
  expectBatch(op, labels, "labels");
  const lead = ls.slice(0, -1);
  if (is.length !== lead.length || is.some((d, i) => d !== lead[i])) {
    throw new ShapeError(
      { op: op, expected: formatShape(lead), got: formatShape(is) },
      `${op}: labels ${formatShape(is)} must have the logits' shape without the class axis, ${formatShape(lead)} (logits ${formatShape(ls)})`,
    );
  }
  const classes = ls[ls.length - 1];
  const rows = sizeOf(lead);
  return tidy(() => {
    if (rows === 0 || classes === 0) {
      // (nothing to fuse: the empty batch's mean throws in reduce, no classes fail the check)
      const checked = checkLabels(op, labels, classes);
      const logP = logSoftmax(logits as Tensor<Shape>) as AnyTensor;
      return reduce(op, overClasses(neg(mul(oneHot(checked, classes, { check: false }), logP))), reduction);
    }
    return fusedLoss(lead, reduction, (r) =>
      sparseSoftmaxCrossEntropy(reshape(logits, [rows, classes]), reshape(labels, [rows]), r, labelCheck(op, classes)),
    );
  }) as LossOut<L, R>;
}

/**
 * The loss from a fused softmax cross-entropy over the rows [N] = the logits' leading axes `lead`
 * flattened: the reduction folded into the kernel (the mean is over every row, the sum over the
 * batch of each example's mean over its positions), or, with "none", one loss per row, then each
 * example's mean.
 */
function fusedLoss(lead: readonly number[], reduction: Reduction, xent: (r: XentReduction) => AnyTensor): AnyTensor {
  const rows = sizeOf(lead);
  if (reduction === "none") return perExample(reshape(xent({ reduce: false, divisor: 1 }), lead));
  return xent({ reduce: true, divisor: reduction === "mean" ? rows : rows / lead[0] });
}

/**
 * The labels' check: class ids 0..classes-1. NOTE: a `check`, not a host read: eagerly it throws
 * at once naming the first bad label; inside jit (a user's, or fit's step) it is reported after the
 * call, so an out-of-range label never turns into a silent zero row of `oneHot`.
 */
function labelCheck(op: string, classes: number): CheckParams {
  return {
    op,
    message: `label {value} at index {index} is out of range for ${classes} classes (expected 0..${classes - 1})`,
    expected: `labels in 0..${classes - 1}`,
  };
}

/** The labels, checked (`labelCheck`). */
function checkLabels(op: string, labels: AnyTensor, classes: number): AnyTensor {
  const inRange = equal(labels, minimum(maximum(labels, 0), classes - 1));
  return check(labels, inRange, labelCheck(op, classes));
}

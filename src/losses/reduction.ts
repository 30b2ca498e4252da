// From elementwise losses to per-example losses to the result, and the signature every
// (predictions, targets) loss shares.
import type { Check, Shape } from "../../typelevel/index.js";
import type { AnyTensor, Tensor } from "../tensor/index.js";
import { div, sum } from "../core/index.js";
import { tidy } from "../ops/index.js";
import { checkPair, checkReduction, type LossOptions, type LossOut, type LossRule, type Reduction, type SameShape } from "./types.js";
import { ShapeError } from "../tensor/index.js";

/** Mean over every axis but the batch axis (0): one value per example, shape [batch]. */
export function perExample(x: AnyTensor): AnyTensor {
  const shape = x.shape;
  if (shape.length <= 1) return x;
  const axes = shape.map((_, i) => i).slice(1);
  const n = shape.slice(1).reduce((a, b) => a * b, 1);
  return div(sum(x, axes), n);
}

/** Per-example losses [batch] to the result the caller asked for. */
export function reduce(op: string, losses: AnyTensor, reduction: Reduction): AnyTensor {
  if (reduction === "none") return losses;
  const total = sum(losses);
  if (reduction === "sum") return total;
  const batch = losses.shape[0];
  if (batch === 0)
    throw new ShapeError(
      { op: op, expected: "a non-empty batch", got: "0 examples" },
      `${op}: the batch is empty, so its mean is undefined; use reduction "sum"`,
    );
  return div(total, batch);
}

/** A float32 tensor of any shape: what a loss's rule receives once the inputs are checked. */
export type FloatTensor = Tensor<Shape, "float32">;

/**
 * A loss over float32 predictions and targets of one shape, batch first, with the typed signature,
 * the checks and the reductions every such loss shares; only its per-example rule differs.
 * `perExampleOf` reads the loss's own options (`Extra`, checked before the inputs) and returns the
 * rule: checked predictions and targets in, losses of shape [batch] out. `reducedOf`, optional,
 * gives a rule that computes the reduced result itself (a fused kernel's), or undefined where the
 * per-example rule and `reduce` should (then and for the inputs it declines, returning undefined).
 */
export function pairLoss<const Op extends string, Extra = unknown>(
  op: Op,
  perExampleOf: (opts: Extra | undefined) => (predictions: FloatTensor, targets: FloatTensor) => AnyTensor,
  reducedOf?: (
    opts: Extra | undefined,
  ) => ((predictions: FloatTensor, targets: FloatTensor, reduction: Reduction) => AnyTensor | undefined) | undefined,
): PairLoss<Op, Extra> {
  return <P extends Shape, T extends Shape, const R extends Reduction = "mean">(
    predictions: Tensor<P, "float32">,
    targets: Tensor<T, "float32"> & Check<SameShape<P, T, Op>>,
    opts?: LossOptions<R> & Extra,
  ): LossOut<P, R> => {
    const rule = perExampleOf(opts);
    checkPair(op, predictions, targets);
    const reduction = checkReduction(op, opts?.reduction);
    const direct = reducedOf?.(opts);
    return tidy(() => direct?.(predictions, targets, reduction) ?? reduce(op, rule(predictions, targets), reduction)) as LossOut<P, R>;
  };
}

/**
 * A (predictions, targets) loss made by `pairLoss`: float32 predictions and targets of one shape
 * (checked at compile time: a mismatch is an error naming the loss), batch first; `Extra` are its
 * own options besides `reduction`.
 * ```ts
 * const l: PairLoss<"mse"> = losses.mse;
 * ```
 */
export interface PairLoss<Op extends string, Extra = unknown> {
  /** The loss of a batch (a scalar; one value per example with `reduction: "none"`). */
  <P extends Shape, T extends Shape, const R extends Reduction = "mean">(
    predictions: Tensor<P, "float32">,
    targets: Tensor<T, "float32"> & Check<SameShape<P, T, Op>>,
    opts?: LossOptions<R> & Extra,
  ): LossOut<P, R>;
  /** Phantom (never set): tells `train.fit` the targets are float32 and shaped like the predictions. */
  readonly __lossRule?: LossRule<"same", Op>;
}

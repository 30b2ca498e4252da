// Regression losses: squared, absolute and Huber error of `predictions - targets`, averaged over
// features, then the batch (the signature, checks and reductions are `pairLoss`'s).
import type { AnyTensor } from "../tensor/index.js";
import { abs, add, minimum, mul, square, sub } from "../core/index.js";
import { pairLoss, perExample } from "./reduction.js";
import { ValueError } from "../tensor/index.js";

/** The per-example rule `mean(f(predictions - targets))` over the features. */
const ofDifference = (f: (diff: AnyTensor) => AnyTensor) => (predictions: AnyTensor, targets: AnyTensor) =>
  perExample(f(sub(predictions, targets)));

/**
 * Mean squared error: `mean((predictions - targets)^2)` over features, then over the batch.
 * Shapes must match; axis 0 is the batch.
 * ```ts
 * const loss = mse(model.apply(params, x), y);                  // Tensor<[]>
 * const perExample = mse(pred, y, { reduction: "none" });       // Tensor<["batch"]>
 * ```
 */
export const mse = pairLoss("mse", () => ofDifference(square));

/**
 * Mean absolute error: `mean(|predictions - targets|)` (the derivative at 0 is 0).
 * ```ts
 * mae(pred, y);
 * ```
 */
export const mae = pairLoss("mae", () => ofDifference(abs));

/** Options of `huber(predictions, targets, { delta, reduction })`. */
export interface HuberOptions {
  /** Where the loss turns from quadratic to linear (default 1). */
  delta?: number;
}

/**
 * Huber loss: `0.5 d^2` where `|d| <= delta`, `delta (|d| - 0.5 delta)` beyond (default delta 1),
 * written as optax does, `0.5 q^2 + delta (|d| - q)` with `q = min(|d|, delta)`, so the
 * gradient is continuous without a branch.
 * ```ts
 * huber(pred, y, { delta: 0.5 });
 * ```
 */
export const huber = pairLoss("huber", (opts: HuberOptions | undefined) => {
  const delta = opts?.delta ?? 1;
  if (typeof delta !== "number" || !(delta > 0) || !Number.isFinite(delta))
    throw new ValueError(
      { op: "huber", expected: "a positive number", got: String(delta) },
      `huber: delta must be a positive number, got ${String(delta)}`,
    );
  return ofDifference((d) => {
    const a = abs(d);
    const q = minimum(a, delta);
    return add(mul(square(q), 0.5), mul(sub(a, q), delta));
  });
});

// Regression losses: squared, absolute and Huber error, averaged over features, then the batch.
import type { Check, Shape } from "../../typelevel/index.js";
import type { AnyTensor, Tensor } from "../tensor/index.js";
import { abs, add, minimum, mul, square, sub } from "../core/index.js";
import { tidy } from "../ops/index.js";
import { perExample, reduce } from "./reduction.js";
import { checkPair, checkReduction, type LossOptions, type LossOut, type Reduction, type SameShape } from "./types.js";

function elementwiseLoss(
  op: string,
  predictions: unknown,
  targets: unknown,
  opts: LossOptions | undefined,
  f: (diff: AnyTensor) => AnyTensor,
): AnyTensor {
  checkPair(op, predictions, targets);
  const reduction = checkReduction(op, opts?.reduction);
  return tidy(() => reduce(op, perExample(f(sub(predictions, targets as AnyTensor))), reduction));
}

/**
 * Mean squared error: `mean((predictions - targets)^2)` over features, then over the batch.
 * Shapes must match; axis 0 is the batch.
 * ```ts
 * const loss = mse(model.apply(params, x), y);                  // Tensor<[]>
 * const perExample = mse(pred, y, { reduction: "none" });       // Tensor<["batch"]>
 * ```
 */
export function mse<P extends Shape, T extends Shape, const R extends Reduction = "mean">(
  predictions: Tensor<P, "float32">,
  targets: Tensor<T, "float32"> & Check<SameShape<P, T, "mse">>,
  opts?: LossOptions<R>,
): LossOut<P, R> {
  return elementwiseLoss("mse", predictions, targets, opts, square) as LossOut<P, R>;
}

/**
 * Mean absolute error: `mean(|predictions - targets|)` (the derivative at 0 is 0).
 * ```ts
 * mae(pred, y);
 * ```
 */
export function mae<P extends Shape, T extends Shape, const R extends Reduction = "mean">(
  predictions: Tensor<P, "float32">,
  targets: Tensor<T, "float32"> & Check<SameShape<P, T, "mae">>,
  opts?: LossOptions<R>,
): LossOut<P, R> {
  return elementwiseLoss("mae", predictions, targets, opts, abs) as LossOut<P, R>;
}

/**
 * Huber loss: `0.5 d^2` where `|d| <= delta`, `delta (|d| - 0.5 delta)` beyond (default delta 1),
 * written as optax does, `0.5 q^2 + delta (|d| - q)` with `q = min(|d|, delta)`, so the
 * gradient is continuous without a branch.
 * ```ts
 * huber(pred, y, { delta: 0.5 });
 * ```
 */
export function huber<P extends Shape, T extends Shape, const R extends Reduction = "mean">(
  predictions: Tensor<P, "float32">,
  targets: Tensor<T, "float32"> & Check<SameShape<P, T, "huber">>,
  opts?: LossOptions<R> & { delta?: number },
): LossOut<P, R> {
  const delta = opts?.delta ?? 1;
  if (typeof delta !== "number" || !(delta > 0) || !Number.isFinite(delta))
    throw new Error(`huber: delta must be a positive number, got ${String(delta)}`);
  return elementwiseLoss("huber", predictions, targets, opts, (d) => {
    const a = abs(d);
    const q = minimum(a, delta);
    return add(mul(square(q), 0.5), mul(sub(a, q), delta));
  }) as LossOut<P, R>;
}

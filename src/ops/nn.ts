// Normalising ops over one axis: softmax and logSoftmax, written to stay finite for any input.
import type { Checked, Reduce, Shape } from "../../typelevel/index.js";
import type { AnyTensor, Tensor } from "../tensor/index.js";
import * as P from "../core/index.js";
import { logSumExpCore, singleAxis } from "./reduce.js";
import { tidy } from "./tidy.js";
import { typed } from "./result.js";
import { DTypeError } from "../tensor/index.js";

function oneAxis(op: string, x: AnyTensor, axis: unknown): number {
  const a = singleAxis(op, x, axis);
  if (x.dtype !== "float32")
    throw new DTypeError({ op: op, expected: "float32", got: x.dtype }, `${op}: expects a float32 tensor, got ${x.dtype}; cast it first`);
  return P.normAxes(op, a, x.rank)[0];
}

/**
 * exp(x) normalised to sum to 1 along `axis` (default the last).
 * NOTE: x - max(x) before exp keeps exp <= 1, so large logits do not overflow; the max is
 * stopped (the shift cancels), so the gradient is the exact softmax Jacobian.
 * ```ts
 * softmax(logits);   // ["batch", 10], each row sums to 1
 * ```
 */
export function softmax<S extends Shape, const A extends number = -1>(
  x: Tensor<S, "float32">,
  axis?: Checked<A, Reduce<S, A, false, "softmax">>,
): Tensor<S, "float32"> {
  const a = oneAxis("softmax", x, axis);
  return typed(
    tidy(() => {
      const e = P.exp(P.sub(x, P.stopGradient(P.max(x, [a], { keepDims: true }))));
      return P.div(e, P.sum(e, [a], { keepDims: true }));
    }),
  );
}

/**
 * log(softmax(x)) along `axis` (default the last), computed as x - logSumExp(x): finite for
 * inputs such as [1000, 0, -1000] where log(softmax(x)) would give -Infinity.
 * ```ts
 * const nll = neg(mean(sum(mul(logSoftmax(logits), oneHot(labels, 10)), -1)));
 * ```
 */
export function logSoftmax<S extends Shape, const A extends number = -1>(
  x: Tensor<S, "float32">,
  axis?: Checked<A, Reduce<S, A, false, "logSoftmax">>,
): Tensor<S, "float32"> {
  const a = oneAxis("logSoftmax", x, axis);
  return typed(tidy(() => P.sub(x, logSumExpCore(x, [a], true))));
}

// Clipping: elementwise, and by the global norm over every leaf.
import type { Tensor } from "../tensor/index.js";
import { map } from "../tree/index.js";
import { div, maximum, minimum, sqrt, scoped, leafTensors } from "../core/index.js";
import { scaleTree, sumOfSquares } from "./tree-math.js";
import { checkNonNegative, transformation, type EmptyFamily, type GradientTransformation } from "./transform.js";
import { ValueError } from "../tensor/index.js";

/**
 * The L2 norm of all leaves together, `sqrt(sum of every squared entry)`, as a scalar tensor.
 * ```ts
 * globalNorm({ a: tensor([3], [1]), b: tensor([4], [1]) }).item();   // 5
 * ```
 */
export function globalNorm(tree: unknown): Tensor<[]> {
  return scoped(() => sqrt(sumOfSquares(tree)), leafTensors) as Tensor<[]>;
}

/**
 * Each update entry clipped to `[-maxDelta, maxDelta]`.
 * ```ts
 * const opt = chain(clip(1), sgd(0.1));
 * ```
 */
export function clip(maxDelta: number): GradientTransformation<EmptyFamily> {
  checkNonNegative("clip", "maxDelta", maxDelta);
  return transformation(
    "clip",
    () => ({}),
    (updates, state) => [map(updates, (u) => minimum(maximum(u, -maxDelta), maxDelta)), state],
  );
}

/**
 * Rescales all updates together so their global norm is at most `maxNorm`:
 * `u * maxNorm / max(norm, maxNorm)` (unchanged when the norm is already within bounds).
 * ```ts
 * const opt = chain(clipByGlobalNorm(1), scaleByAdam(), scaleByLearningRate(1e-3));
 * ```
 */
export function clipByGlobalNorm(maxNorm: number): GradientTransformation<EmptyFamily> {
  if (!(Number.isFinite(maxNorm) && maxNorm > 0))
    throw new ValueError(
      { op: "clipByGlobalNorm", expected: "a positive maxNorm", got: String(maxNorm) },
      `clipByGlobalNorm: maxNorm must be a positive number, got ${String(maxNorm)}`,
    );
  return transformation(
    "clipByGlobalNorm",
    () => ({}),
    (updates, state) => {
      // NOTE: dividing by max(norm, maxNorm) instead of norm avoids 0/0 for all-zero gradients.
      const norm = sqrt(sumOfSquares(updates));
      const factor = div(maxNorm, maximum(norm, maxNorm));
      return [scaleTree(updates, factor), state];
    },
  );
}

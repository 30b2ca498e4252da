// Leafwise helpers shared by the transforms (untyped: each transform types its own surface).
import type { AnyTensor } from "../tensor/index.js";
import { leaves, map } from "../tree/index.js";
import { add, mul, square, broadcastTo, asTensor, sum } from "../core/index.js";

/** A float32 tensor of `value` with x's shape (always a new tensor, even for scalars). */
export function fullLike(x: AnyTensor, value: number): AnyTensor {
  const shape = x.shape;
  const c = asTensor(value);
  return shape.length === 0 ? c : broadcastTo(c, shape);
}

/** A tree like `tree` with every leaf a float32 tensor of `value`. */
export function fullLikeTree<P>(tree: P, value: number): P {
  return map(tree, (x) => fullLike(x, value));
}

/** `decay * moment + (1 - decay) * value` for one leaf (optax's update_moment). */
export function movingAverage(moment: AnyTensor, value: AnyTensor, decay: number): AnyTensor {
  return add(mul(moment, decay), mul(value, 1 - decay));
}

/** Every leaf times one scalar (a number or a scalar tensor). */
export function scaleTree<P>(tree: P, factor: AnyTensor | number): P {
  return map(tree, (x) => mul(x, factor));
}

/** The sum of squares of every leaf, as a scalar tensor. */
export function sumOfSquares(tree: unknown): AnyTensor {
  let total: AnyTensor = asTensor(0);
  for (const x of leaves(tree)) total = add(total, sum(square(x)));
  return total;
}

// Leafwise helpers shared by the transforms (untyped: each transform types its own surface).
import type { AnyTensor } from "../tensor/index.js";
import { leaves, map, map2 } from "../tree/index.js";
import { add, div, mul, pow, square, sub, broadcastTo, asTensor, sum } from "../core/index.js";

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

/** `decay * moment + (1 - decay) * g^order`, leaf by leaf (optax's update_moment). */
export function updateMoment<P>(updates: P, moments: P, decay: number, order: 1 | 2): P {
  return map2(updates, moments, (g, m) => add(mul(m, decay), mul(order === 1 ? g : square(g), 1 - decay)));
}

/** `moment / (1 - decay^count)`, leaf by leaf; `count` is the new step count (1 at the first step). */
export function biasCorrection<P>(moments: P, decay: number, count: AnyTensor): P {
  const correction = sub(1, pow(asTensor(decay), count));
  return map(moments, (m) => div(m, correction));
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

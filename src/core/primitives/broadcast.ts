// broadcastTo, and its adjoint `unbroadcast` (sum over the broadcast axes).
import * as tf from "@tensorflow/tfjs-core";
import { formatShape, type AnyTensor, ShapeError } from "../../tensor/index.js";
import { bind } from "../trace.js";
import { definePrimitive, type Aval, type Primitive } from "../primitive.js";
import { asTensor, sameShape } from "./util.js";
import { reshape } from "./shape.js";
import { sum } from "./reduce.js";

export const broadcastToP: Primitive<{ shape: readonly number[] }> = definePrimitive<{ shape: readonly number[] }>({
  name: "broadcastTo",
  abstractEval([x], { shape }) {
    const offset = shape.length - x.shape.length;
    const ok = offset >= 0 && x.shape.every((d, i) => d === 1 || d === shape[i + offset]);
    if (!ok)
      throw new ShapeError(
        { op: "broadcastTo", expected: `a shape that broadcasts to ${formatShape(shape)}`, got: formatShape(x.shape) },
        `broadcastTo: cannot broadcast ${formatShape(x.shape)} to ${formatShape(shape)}`,
      );
    return { shape, dtype: x.dtype };
  },
  // NOTE: tfjs broadcasts [1] to [0] as [1], so an empty target is just zeros of its shape; and
  // WASM's broadcastTo (Tile) is ~10x slower than a broadcasting product with ones (which,
  // unlike adding zeros, keeps -0 exact).
  impl([x], { shape }) {
    if (shape.includes(0)) return tf.zeros(shape as number[], x.dtype);
    if (x.dtype === "bool") return tf.broadcastTo(x, shape as number[]);
    const ones = tf.ones(shape as number[], x.dtype);
    const out = tf.mul(ones, x);
    ones.dispose();
    return out;
  },
  jvp: (_x, [t], p) => (t === null ? null : broadcastTo(t, p.shape)),
  vjp: (ct, [x]) => [unbroadcast(ct, x.shape)],
  batch: ([x], _b, { shape }, n) => bind(broadcastToP, [alignBatched(x, shape.length)], { shape: [n, ...shape] }),
});

export function broadcastTo(x: AnyTensor, shape: readonly number[]): AnyTensor {
  return sameShape(x.shape, shape) ? x : bind(broadcastToP, [x], { shape });
}

/** Sums `x` down to `shape` (the adjoint of broadcasting `shape` up to x's shape). */
export function unbroadcast(x: AnyTensor, shape: readonly number[]): AnyTensor {
  const s = x.shape;
  if (sameShape(s, shape)) return x;
  const lead = s.length - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (i < lead || (shape[i - lead] === 1 && s[i] !== 1)) axes.push(i);
  }
  const summed = axes.length ? sum(x, axes) : x;
  return reshape(summed, shape);
}

/** `x` repeated `n` times along a new leading axis (for batching rules with unbatched inputs). */
export function withBatchAxis(x: AnyTensor, n: number): AnyTensor {
  const s = x.shape;
  return broadcastTo(reshape(x, [1, ...s]), [n, ...s]);
}

/**
 * A batched value `[n, ...s]` with size-1 axes inserted after the batch axis until each example
 * has rank `rank`: numpy aligns ranks from the right, so without them the batch axis would meet
 * an example axis of the other operand.
 */
export function alignBatched(x: AnyTensor, rank: number): AnyTensor {
  const s = x.shape;
  const missing = rank - (s.length - 1);
  return missing > 0 ? reshape(x, [s[0], ...new Array<number>(missing).fill(1), ...s.slice(1)]) : x;
}

/** Zeros of `a`'s shape: int32 for int32, float32 otherwise. */
export function zerosLike(a: Aval): AnyTensor {
  return broadcastTo(asTensor(0, a), a.shape);
}

/** Ones of `a`'s shape: int32 for int32, float32 otherwise. */
export function onesLike(a: Aval): AnyTensor {
  return broadcastTo(asTensor(1, a), a.shape);
}

// concat: tensors joined along an existing axis (variadic). Its vjp slices the cotangent back
// into pieces. stack is a composite: a size-1 axis on each input, then concat.
import * as tf from "@tensorflow/tfjs-core";
import { formatShape, type AnyTensor, DTypeError, ShapeError, ValueError } from "../../tensor/index.js";
import { bind, scoped } from "../trace.js";
import { definePrimitive, type Primitive } from "../primitive.js";
import { leafTensors } from "../util.js";
import { sameShape } from "./util.js";
import { reshape } from "./shape.js";
import { withBatchAxis, zerosLike } from "./broadcast.js";
import { slice } from "./slice.js";

export const concatP: Primitive<{ axis: number }> = definePrimitive<{ axis: number }>({
  name: "concat",
  abstractEval(xs, { axis }) {
    if (xs.length === 0)
      throw new ValueError({ op: "concat", expected: "at least one tensor", got: "none" }, "concat: needs at least one tensor, got none");
    const first = xs[0].shape;
    const rank = first.length;
    if (rank === 0)
      throw new ShapeError(
        { op: "concat", expected: "tensors of rank >= 1", got: "rank 0" },
        "concat: cannot join scalars (rank 0) along an axis; use stack",
      );
    if (!Number.isInteger(axis) || axis < 0 || axis >= rank) {
      throw new ShapeError(
        { op: "concat", expected: `an axis in 0..${rank - 1}`, got: String(axis) },
        `concat: axis ${axis} is out of range for ${formatShape(first)} (rank ${rank})`,
      );
    }
    let total = 0;
    xs.forEach((x, i) => {
      if (x.dtype !== xs[0].dtype)
        throw new DTypeError(
          { op: "concat", expected: xs[0].dtype, got: x.dtype },
          `concat: tensor ${i} is ${x.dtype} but tensor 0 is ${xs[0].dtype}; cast one first`,
        );
      if (x.shape.length !== rank)
        throw new ShapeError(
          { op: "concat", expected: `rank ${rank}`, got: formatShape(x.shape) },
          `concat: all shapes need rank ${rank}, got ${formatShape(first)} and ${formatShape(x.shape)} (tensor ${i})`,
        );
      x.shape.forEach((d, k) => {
        if (k !== axis && d !== first[k]) {
          throw new ShapeError(
            { op: "concat", expected: `dim ${first[k]} at axis ${k}`, got: formatShape(x.shape) },
            `concat: dims differ at axis ${k} (${first[k]} vs ${d}) in ${formatShape(first)} and ${formatShape(x.shape)} (tensor ${i}); only axis ${axis} may differ`,
          );
        }
      });
      total += x.shape[axis];
    });
    return { shape: first.map((d, k) => (k === axis ? total : d)), dtype: xs[0].dtype };
  },
  impl: (xs, { axis }) => tf.concat(xs, axis),
  jvp(primals, tangents, p) {
    if (tangents.every((t) => t === null)) return null;
    return bind(
      concatP,
      tangents.map((t, i) => t ?? zerosLike(primals[i])),
      p,
    );
  },
  vjp(ct, primals, { axis }) {
    let offset = 0;
    return primals.map((x) => {
      const s = x.shape;
      const begin = s.map((_, k) => (k === axis ? offset : 0));
      offset += s[axis];
      return x.dtype === "float32" ? slice(ct, begin, s) : null;
    });
  },
  batch: (xs, batched, { axis }, n) =>
    bind(
      concatP,
      xs.map((x, i) => (batched[i] ? x : withBatchAxis(x, n))),
      { axis: axis + 1 },
    ),
});

/**
 * Tensors joined along an existing `axis` (negative counts from the end); every other dim
 * must agree, and so must the dtypes.
 * ```ts
 * concat([a, b], -1);   // [B, 3] and [B, 5] -> [B, 8]
 * ```
 */
export function concat(xs: readonly AnyTensor[], axis = 0): AnyTensor {
  if (!Array.isArray(xs) || xs.length === 0)
    throw new ValueError({ op: "concat", expected: "at least one tensor", got: "none" }, "concat: needs at least one tensor, got none");
  const rank = xs[0].rank;
  const a = Number.isInteger(axis) && axis < 0 && axis >= -rank ? axis + rank : axis;
  if (xs.length === 1) {
    // nothing to join: check the axis as the primitive would, and hand the tensor back
    concatP.abstractEval([{ shape: xs[0].shape as readonly number[], dtype: xs[0].dtype }], { axis: a });
    return xs[0];
  }
  return bind(concatP, [...xs], { axis: a });
}

/**
 * Equal-shaped tensors stacked along a new `axis` in -(rank+1)..rank (-1 appends it last).
 * ```ts
 * stack([a, b, c]);       // three [2, 3] -> [3, 2, 3]
 * stack([a, b], -1);      // two [2, 3] -> [2, 3, 2]
 * ```
 */
export function stack(xs: readonly AnyTensor[], axis = 0): AnyTensor {
  if (!Array.isArray(xs) || xs.length === 0)
    throw new ValueError({ op: "stack", expected: "at least one tensor", got: "none" }, "stack: needs at least one tensor, got none");
  const s = xs[0].shape as readonly number[];
  const rank = s.length;
  if (!Number.isInteger(axis) || axis < -(rank + 1) || axis > rank) {
    throw new ShapeError(
      { op: "stack", expected: `an axis in ${-(rank + 1)}..${rank}`, got: String(axis) },
      `stack: axis ${axis} is out of range for stacking ${formatShape(s)} (axes -${rank + 1} to ${rank})`,
    );
  }
  xs.forEach((x, i) => {
    if (!sameShape(x.shape as readonly number[], s)) {
      throw new ShapeError(
        { op: "stack", expected: formatShape(s), got: formatShape(x.shape as readonly number[]) },
        `stack: tensor ${i} has shape ${formatShape(x.shape as readonly number[])} but tensor 0 has ${formatShape(s)}; stacked tensors need equal shapes`,
      );
    }
    if (x.dtype !== xs[0].dtype)
      throw new DTypeError(
        { op: "stack", expected: xs[0].dtype, got: x.dtype },
        `stack: tensor ${i} is ${x.dtype} but tensor 0 is ${xs[0].dtype}; cast one first`,
      );
  });
  const a = axis < 0 ? axis + rank + 1 : axis;
  const expanded = [...s.slice(0, a), 1, ...s.slice(a)];
  return scoped(() => {
    const parts = xs.map((x) => reshape(x, expanded));
    return parts.length === 1 ? parts[0] : bind(concatP, parts, { axis: a });
  }, leafTensors);
}

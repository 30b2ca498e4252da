// Data-movement primitives: reshape and transpose.
import * as tf from "@tensorflow/tfjs-core";
import { formatShape, type AnyTensor, ShapeError, ValueError } from "../../tensor/index.js";
import { bind } from "../trace.js";
import { definePrimitive, type Primitive } from "../primitive.js";
import { inversePermutation, range, sameShape, sizeOf } from "./util.js";

/** Resolves one -1 and checks the element count. */
export function resolveReshape(from: readonly number[], to: readonly number[]): number[] {
  const n = sizeOf(from);
  const holes = to.filter((d) => d === -1).length;
  if (holes > 1)
    throw new ValueError(
      { op: "reshape", expected: "at most one -1", got: formatShape(to) },
      `reshape: at most one -1 allowed, got ${formatShape(to)}`,
    );
  to.forEach((d) => {
    if (d !== -1 && (!Number.isInteger(d) || d < 0))
      throw new ValueError(
        { op: "reshape", expected: "non-negative integer dims or -1", got: formatShape(to) },
        `reshape: dims must be non-negative integers or -1, got ${formatShape(to)}`,
      );
  });
  if (holes === 1) {
    const known = sizeOf(to.filter((d) => d !== -1));
    if (known === 0 || n % known !== 0) {
      throw new ShapeError(
        { op: "reshape", expected: `a shape of ${n} elements`, got: formatShape(to) },
        `reshape: cannot reshape ${formatShape(from)} (${n} elements) into ${formatShape(to)}`,
      );
    }
    return to.map((d) => (d === -1 ? n / known : d));
  }
  if (sizeOf(to) !== n) {
    throw new ShapeError(
      { op: "reshape", expected: `a shape of ${n} elements`, got: formatShape(to) },
      `reshape: cannot reshape ${formatShape(from)} (${n} elements) into ${formatShape(to)} (${sizeOf(to)} elements)`,
    );
  }
  return [...to];
}

export const reshapeP: Primitive<{ shape: readonly number[] }> = definePrimitive<{ shape: readonly number[] }>({
  name: "reshape",
  abstractEval: ([x], { shape }) => ({ shape: resolveReshape(x.shape, shape), dtype: x.dtype }),
  impl: ([x], { shape }) => tf.reshape(x, shape as number[]),
  jvp: (_x, [t], { shape }) => (t === null ? null : reshape(t, shape)),
  vjp: (ct, [x]) => [reshape(ct, x.shape)],
  batch: ([x], _b, { shape }, n) => bind(reshapeP, [x], { shape: [n, ...resolveReshape(x.shape.slice(1), shape)] }),
});

export function reshape(x: AnyTensor, shape: readonly number[]): AnyTensor {
  const target = resolveReshape(x.shape, shape);
  return sameShape(x.shape, target) ? x : bind(reshapeP, [x], { shape: target });
}

export function checkPermutation(op: string, perm: readonly number[], rank: number): void {
  const seen = new Set(perm);
  if (perm.length !== rank || seen.size !== rank || perm.some((p) => !Number.isInteger(p) || p < 0 || p >= rank)) {
    throw new ValueError(
      { op: op, expected: `a permutation of ${rank} axes`, got: formatShape(perm) },
      `${op}: ${formatShape(perm)} is not a permutation of the ${rank} axes`,
    );
  }
}

export const transposeP: Primitive<{ perm: readonly number[] }> = definePrimitive<{ perm: readonly number[] }>({
  name: "transpose",
  abstractEval([x], { perm }) {
    checkPermutation("transpose", perm, x.shape.length);
    return { shape: perm.map((p) => x.shape[p]), dtype: x.dtype };
  },
  impl: ([x], { perm }) => tf.transpose(x, perm as number[]),
  jvp: (_x, [t], { perm }) => (t === null ? null : transpose(t, perm)),
  vjp: (ct, _x, { perm }) => [transpose(ct, inversePermutation(perm))],
  batch: ([x], _b, { perm }) => bind(transposeP, [x], { perm: [0, ...perm.map((p) => p + 1)] }),
});

/** Materialised transpose; `perm` defaults to reversing the axes. */
export function transpose(x: AnyTensor, perm?: readonly number[]): AnyTensor {
  const p = perm ?? range(x.rank).reverse();
  if (p.every((v, i) => v === i) && p.length === x.rank) return x;
  return bind(transposeP, [x], { perm: p });
}

/** Swaps the last two axes. */
export function swapLast(x: AnyTensor): AnyTensor {
  const p = range(x.rank);
  [p[x.rank - 2], p[x.rank - 1]] = [p[x.rank - 1], p[x.rank - 2]];
  return transpose(x, p);
}

/** Moves axis `from` to position `to`. */
export function moveAxis(x: AnyTensor, from: number, to: number): AnyTensor {
  if (from === to) return x;
  const p = range(x.rank).filter((a) => a !== from);
  p.splice(to, 0, from);
  return transpose(x, p);
}

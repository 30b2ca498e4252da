// Data-movement primitives: reshape and transpose.
import * as tf from "@tensorflow/tfjs-core";
import { formatShape, type AnyTensor, type TfTensor, ShapeError, ValueError } from "../../tensor/index.js";
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
  impl: ([x], { perm }) => transposeKernel(x, perm),
  jvp: (_x, [t], { perm }) => (t === null ? null : transpose(t, perm)),
  vjp: (ct, _x, { perm }) => [transpose(ct, inversePermutation(perm))],
  batch: ([x], _b, { perm }) => bind(transposeP, [x], { perm: [0, ...perm.map((p) => p + 1)] }),
});

/**
 * The transpose as the backend kernel runs best. Size-1 axes are dropped and axes that stay adjacent
 * are merged (reshapes are free), so the kernel sees the lowest-rank equivalent. A resulting 2-D
 * transpose [r, c] -> [c, r] whose output rows are a large power-of-two bytes apart thrashes the cache
 * sets in the 2-D kernel (it writes c output rows at once, each r elements apart: [50176, 32] takes
 * 4-6x the time of [50000, 32]); then r is split into blocks and the kernel gets the rank-3 transpose
 * [r/b, b, c] -> [c, r/b, b], same bytes. Measured on WASM, see bench/transpose.ts. The result never
 * shares its buffer with `x` (an identity permutation still copies, as tfjs' kernel does: impls must
 * return fresh buffers, a reshape of the input corrupts the WASM heap on dispose).
 */
export function transposeKernel(x: TfTensor, perm: readonly number[]): TfTensor {
  const outShape = perm.map((p) => x.shape[p]);
  // Axes of size > 1, in input order, and their order in the output.
  const kept = range(x.rank).filter((a) => x.shape[a] !== 1);
  const order = perm.filter((p) => x.shape[p] !== 1);
  // Merge runs of input axes that appear consecutively in the output.
  const groups: number[][] = [];
  for (const a of order) {
    const last = groups[groups.length - 1];
    if (last !== undefined && kept.indexOf(last[last.length - 1]) + 1 === kept.indexOf(a)) last.push(a);
    else groups.push([a]);
  }
  if (groups.length <= 1) return tf.transpose(x, perm as number[]); // a copy, as the kernel makes
  // Merged input shape and the permutation of the groups.
  const byInput = [...groups].sort((g, h) => g[0] - h[0]);
  const inShape = byInput.map((g) => sizeOf(g.map((a) => x.shape[a])));
  const gperm = groups.map((g) => byInput.indexOf(g));
  if (inShape.length === 2) {
    const [r, c] = inShape;
    const b = r * 4 < 2 ** 31 ? rowBlock(r, c, x.dtype === "bool" ? 1 : 4) : 0;
    if (b > 0) return tf.tidy(() => tf.reshape(tf.transpose(tf.reshape(x, [r / b, b, c]), [2, 0, 1]), outShape));
  }
  if (gperm.length === x.rank) return tf.transpose(x, perm as number[]);
  return tf.tidy(() => tf.reshape(tf.transpose(tf.reshape(x, inShape), gperm), outShape));
}

/**
 * The row block b (dividing r) for a 2-D transpose of [r, c] elements of `bytes` each, or 0 to keep the
 * 2-D kernel. The kernel writes c output rows r * bytes apart per input row; when that stride is a
 * multiple of 512 bytes or more (largest power of two p, capped at 4096), those c lines share
 * 4096 / p L1 sets, and past about 12 lines a set (c * p > 49152) they evict each other.
 */
function rowBlock(r: number, c: number, bytes: number): number {
  const stride = r * bytes;
  const p = Math.min(4096, stride & -stride);
  if (p < 512 || c * p <= 49152) return 0;
  for (const b of [64, 32, 128, 16, 256, 8]) if (r % b === 0 && r > b) return b;
  return 0;
}

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

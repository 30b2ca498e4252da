// Shared shape helpers for primitive rules.
import * as tf from "@tensorflow/tfjs-core";
import { Concrete, formatShape, type AnyTensor, type DType } from "../../tensor/index.js";
import type { Aval } from "../primitive.js";

export type Operand = AnyTensor | number;

export { sameShape, sizeOf } from "../../tensor/index.js";

/** numpy broadcasting of two shapes, with a message naming the op on failure. */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
    const db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`${op}: shapes ${formatShape(a)} and ${formatShape(b)} do not broadcast (dim ${i}: ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Normalises a possibly negative axis; throws when out of range. */
export function normAxis(op: string, axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new Error(`${op}: axis ${axis} is out of range for rank ${rank} (expected ${-rank}..${rank - 1})`);
  }
  return axis < 0 ? axis + rank : axis;
}

export function checkFloat(op: string, avals: readonly Aval[]): void {
  avals.forEach((a, i) => {
    if (a.dtype !== "float32") throw new Error(`${op}: argument ${i} must be float32, got ${a.dtype}`);
  });
}

export function checkSameDType(op: string, a: Aval, b: Aval): void {
  if (a.dtype !== b.dtype) throw new Error(`${op}: dtypes differ (${a.dtype} vs ${b.dtype}); cast one first`);
}

/** A constant with `like`'s dtype. */
export function constant(value: number, dtype: DType = "float32"): AnyTensor {
  return new Concrete(tf.scalar(value, dtype === "bool" ? "bool" : dtype));
}

/** A number as a scalar constant (int32 when `like` is int32, else float32); a tensor as is. */
export function asTensor(x: Operand, like?: Pick<Aval, "dtype">): AnyTensor {
  return typeof x === "number" ? constant(x, like?.dtype === "int32" ? "int32" : "float32") : x;
}

export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

export function inversePermutation(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

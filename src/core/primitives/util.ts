// Shared shape helpers for primitive rules.
import * as tf from "@tensorflow/tfjs-core";
import { Concrete, DTypeError, formatShape, ShapeError, type AnyTensor, type DType } from "../../tensor/index.js";
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
      throw new ShapeError(
        { op, expected: `a shape that broadcasts with ${formatShape(a)}`, got: formatShape(b) },
        `${op}: shapes ${formatShape(a)} and ${formatShape(b)} do not broadcast (dim ${i}: ${da} vs ${db})`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Normalises a possibly negative axis; throws when out of range. */
export function normAxis(op: string, axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new ShapeError(
      { op, expected: `an axis in ${-rank}..${rank - 1}`, got: String(axis) },
      `${op}: axis ${axis} is out of range for rank ${rank} (expected ${-rank}..${rank - 1})`,
    );
  }
  return axis < 0 ? axis + rank : axis;
}

export function checkFloat(op: string, avals: readonly Aval[]): void {
  avals.forEach((a, i) => {
    if (a.dtype !== "float32")
      throw new DTypeError({ op, expected: "float32", got: a.dtype }, `${op}: argument ${i} must be float32, got ${a.dtype}`);
  });
}

export function checkSameDType(op: string, a: Aval, b: Aval): void {
  if (a.dtype !== b.dtype)
    throw new DTypeError({ op, expected: a.dtype, got: b.dtype }, `${op}: dtypes differ (${a.dtype} vs ${b.dtype}); cast one first`);
}

/** Throws a DTypeError unless `x` is numeric (float32 or int32): bool has no arithmetic. */
export function checkNumeric(op: string, x: Aval, message = `${op}: expects a numeric tensor, got bool`): void {
  if (x.dtype === "bool") throw new DTypeError({ op, expected: "float32 or int32", got: "bool" }, message);
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

// Running sums and products along one axis: cumsum, cumprod.
// `{ reverse: true }` runs from the end of the axis; `{ exclusive: true }` leaves entry i out of
// its own result (the first entry is then 0 for cumsum, 1 for cumprod).
import type { AlongAxis, Check, Out, Shape } from "../../typelevel/index.js";
import type { AnyTensor, Tensor } from "../tensor/index.js";
import * as P from "../core/index.js";
import { describeValue, DTypeError, expectOptions, expectTensor, ValueError } from "../tensor/index.js";
import { tidy } from "./tidy.js";
import { owned, typed } from "./result.js";
import type { NumericDType } from "./types.js";

/** Options of `cumsum` and `cumprod`. */
export interface CumulativeOptions {
  /** Accumulate from the last entry of the axis towards the first (default false). */
  reverse?: boolean;
  /** Entry i accumulates the entries before it, not itself: the first is 0 (cumsum) or 1 (cumprod) (default false). */
  exclusive?: boolean;
}

/** A boolean option, checked. */
export function flagOf(op: string, opts: object | undefined, name: string): boolean {
  const v = (opts as Record<string, unknown> | undefined)?.[name];
  if (v !== undefined && typeof v !== "boolean")
    throw new ValueError(
      { op, expected: `a boolean ${name}`, got: describeValue(v) },
      `${op}: ${name} must be a boolean, got ${describeValue(v)}`,
    );
  return v ?? false;
}

/** A numeric tensor and one of its axes (negative counts from the end), checked. */
export function numericAxis(op: string, x: unknown, axis: unknown): number {
  expectTensor(op, x);
  if (x.dtype === "bool")
    throw new DTypeError({ op, expected: "float32 or int32", got: "bool" }, `${op}: expects a numeric tensor, got bool; cast it first`);
  if (typeof axis !== "number")
    throw new ValueError(
      { op, expected: "an axis (a number)", got: describeValue(axis) },
      `${op}: axis must be a number, got ${describeValue(axis)}`,
    );
  return P.normAxes(op, axis, x.rank)[0];
}

/** The options a running op reads, checked. */
interface Direction {
  readonly reverse: boolean;
  readonly exclusive: boolean;
}

/** A typed running op along one axis over `run` (`Op` names it in type errors and messages). */
function cumulative<const Op extends string>(op: Op, run: (x: AnyTensor, axis: number, direction: Direction) => AnyTensor) {
  return <S extends Shape, D extends NumericDType, const A extends number>(
    x: Tensor<S, D>,
    axis: A & Check<AlongAxis<S, A, Op>>,
    opts?: CumulativeOptions,
  ): Tensor<Out<AlongAxis<S, A, Op>>, D> => {
    const a = numericAxis(op, x, axis);
    expectOptions(op, opts);
    return typed(run(x, a, { reverse: flagOf(op, opts, "reverse"), exclusive: flagOf(op, opts, "exclusive") }));
  };
}

/**
 * Running sums along `axis`: entry i is x[0] + ... + x[i] (`reverse`: x[i] + ... + x[n-1];
 * `exclusive`: without x[i]). Shape and dtype are kept. One tfjs kernel; its derivative is
 * the running sum the other way.
 * ```ts
 * cumsum(tensor([1, 2, 3], [3]), 0);                        // [1, 3, 6]
 * cumsum(tensor([1, 2, 3], [3]), 0, { exclusive: true });   // [0, 1, 3]
 * ```
 */
export const cumsum = cumulative("cumsum", P.cumsum);

/** `x` moved `d` entries later along `axis` (entry i is x[i - d]), with 1 in the first d entries. */
function shiftedByOnes(x: AnyTensor, axis: number, d: number): AnyTensor {
  const size = x.shape.map((s, k) => (k === axis ? s - d : s));
  return P.pad(
    P.slice(x, new Array<number>(x.rank).fill(0), size),
    x.shape.map((_, k) => (k === axis ? [d, 0] : [0, 0])),
    1,
  );
}

/** Inclusive running products along `axis`, first to last: ceil(log2 n) rounds of shift-and-multiply. */
function scanProducts(x: AnyTensor, axis: number): AnyTensor {
  let y = x;
  for (let d = 1; d < x.shape[axis]; d *= 2) y = P.mul(y, shiftedByOnes(y, axis, d)); // y[i] *= y[i - d]
  return y;
}

/**
 * Running products along `axis`: entry i is x[0] * ... * x[i] (`reverse`: x[i] * ... * x[n-1];
 * `exclusive`: without x[i]). Shape and dtype are kept.
 * NOTE: built from products only (a log-depth scan: ceil(log2 n) rounds of shift-and-multiply), so
 * its derivative is exact where entries are 0; a rule that divides by x would give NaN there.
 * ```ts
 * cumprod(tensor([1, 2, 3, 4], [4]), 0);   // [1, 2, 6, 24]
 * ```
 */
export const cumprod = cumulative("cumprod", (x, a, { reverse, exclusive }) => {
  const out = tidy(() => {
    const v = reverse ? P.reverse(x, a) : x;
    const y = scanProducts(exclusive && x.shape[a] > 0 ? shiftedByOnes(v, a, 1) : v, a);
    return reverse ? P.reverse(y, a) : y;
  });
  // NOTE: with n <= 1 nothing was computed: the caller still gets its own handle
  return owned(out, x);
});

// Reductions over axes: sum, mean, max, min, argmax, argmin, logSumExp, variance, std.
// `axis` is one axis or a list (negative counts from the end); omitted, every axis is reduced.
// `{ keepDims: true }` keeps each reduced axis as size 1.
import type { Checked, CheckedShape, Out, Reduce, Shape } from "../../typelevel/index.js";
import type { DType, Tensor, AnyTensor } from "../tensor/index.js";
import * as P from "../core/index.js";
import { expectTensor, DTypeError, ValueError } from "../tensor/index.js";
import { tidy } from "./tidy.js";
import { typed } from "./result.js";
import type { DTypeRule, NumericDType } from "./types.js";

type Axes = number | readonly number[] | undefined;

/** Options of the reductions. */
export interface ReduceOptions<K extends boolean = boolean> {
  /** Keep each reduced axis as size 1, so the result broadcasts against the input (default false). */
  keepDims?: K;
}

const numeric = ["float32", "int32"] as const;
const floats = ["float32"] as const;

/** Axes sorted and normalised, checked with the op's name, and keepDims. */
function reduceArgs(op: string, x: AnyTensor, axis: Axes, opts: unknown, dtypes: readonly string[]): [number[], boolean] {
  expectTensor(op, x);
  if (!dtypes.includes(x.dtype)) {
    throw new DTypeError(
      { op: op, expected: dtypes.join(" or "), got: x.dtype },
      `${op}: expects a ${dtypes.length === 1 ? dtypes[0] : "numeric"} tensor, got ${x.dtype}; cast it first`,
    );
  }
  if (axis !== undefined && typeof axis !== "number" && !Array.isArray(axis)) {
    throw new ValueError(
      { op: op, expected: "a number or an array of numbers", got: typeof axis },
      `${op}: axis must be a number or an array of numbers, got ${typeof axis}`,
    );
  }
  if (opts !== undefined && (opts === null || typeof opts !== "object")) {
    throw new ValueError(
      { op: op, expected: "an options object", got: opts === null ? "null" : typeof opts },
      `${op}: options must be an object such as { keepDims: true }, got ${opts === null ? "null" : typeof opts}`,
    );
  }
  const keepDims = (opts as ReduceOptions | undefined)?.keepDims;
  if (keepDims !== undefined && typeof keepDims !== "boolean")
    throw new ValueError(
      { op: op, expected: "a boolean keepDims", got: typeof keepDims },
      `${op}: keepDims must be a boolean, got ${typeof keepDims}`,
    );
  const axes = P.normAxes(op, axis, x.rank);
  for (let i = 1; i < axes.length; i++)
    if (axes[i] === axes[i - 1])
      throw new ValueError(
        { op: op, expected: "distinct axes", got: `[${(axis as number[]).join(", ")}]` },
        `${op}: repeated axis in [${(axis as number[]).join(", ")}]`,
      );
  return [axes, keepDims ?? false];
}

/**
 * A typed reduction over `run`: the type rule `Reduce` (named `op` in messages) gives the result
 * shape, `dtypes` the accepted input dtypes; the result keeps the input's dtype.
 */
function reduction<const Op extends string, const D0 extends NumericDType>(
  op: Op,
  dtypes: readonly D0[],
  run: (x: AnyTensor, axes: readonly number[], keepDims: boolean) => AnyTensor,
) {
  return <S extends Shape, D extends DType, const A extends Axes = undefined, const K extends boolean = false>(
    x: Checked<Tensor<S, D>, DTypeRule<D, D0, Op>>,
    axis?: CheckedShape<A, Reduce<S, A, K, Op>>,
    opts?: ReduceOptions<K>,
  ): Tensor<Out<Reduce<S, A, K, Op>>, D> => {
    const t = x as AnyTensor;
    const [axes, keepDims] = reduceArgs(op, t, axis, opts, dtypes);
    return typed(run(t, axes, keepDims));
  };
}

function countOf(x: AnyTensor, axes: readonly number[]): number {
  let n = 1;
  for (const a of axes) n *= x.shape[a];
  return n;
}

/**
 * Sum over `axis` (all axes by default).
 * ```ts
 * sum(x);                         // Tensor<[]>
 * sum(x, -1, { keepDims: true }); // [batch, 10] -> [batch, 1]
 * ```
 */
export const sum = reduction("sum", numeric, (x, axes, keepDims) => P.sum(x, axes, { keepDims }));

/**
 * Arithmetic mean over `axis` (float32).
 * ```ts
 * mean(square(sub(pred, target)));   // mean squared error
 * ```
 */
export const mean = reduction("mean", floats, (x, axes, keepDims) => tidy(() => P.div(P.sum(x, axes, { keepDims }), countOf(x, axes))));

/**
 * Largest value over `axis`; ties share the gradient evenly.
 * ```ts
 * max(logits, -1);   // [batch, 10] -> [batch]
 * ```
 */
export const max = reduction("max", numeric, (x, axes, keepDims) => P.max(x, axes, { keepDims }));

/** Smallest value over `axis`; ties share the gradient evenly. `min(x, 0)`. */
export const min = reduction("min", numeric, (x, axes, keepDims) => P.min(x, axes, { keepDims }));

/** log(sum(exp(x))) over the axes, on normalised axes (shared with logSoftmax). */
export function logSumExpCore(x: AnyTensor, axes: readonly number[], keepDims: boolean): AnyTensor {
  // NOTE: shifting by the max keeps exp in range; stopGradient keeps max's tie-splitting rule out
  // of the derivative (the shift cancels exactly). A non-finite max (all -inf) shifts by 0.
  const m = P.stopGradient(P.max(x, axes, { keepDims: true }));
  const shift = P.where(P.less(P.abs(m), Infinity), m, 0);
  const out = P.add(P.log(P.sum(P.exp(P.sub(x, shift)), axes, { keepDims: true })), shift);
  return keepDims
    ? out
    : P.reshape(
        out,
        out.shape.filter((_, i) => !axes.includes(i)),
      );
}

/**
 * log(sum(exp(x))) over `axis`, stable for large |x|; its gradient is softmax(x).
 * ```ts
 * logSumExp(tensor([1000, 0, -1000], [3]));   // 1000, not Infinity
 * ```
 */
export const logSumExp = reduction("logSumExp", floats, (x, axes, keepDims) => tidy(() => logSumExpCore(x, axes, keepDims)));

function varianceCore(x: AnyTensor, axes: readonly number[], keepDims: boolean): AnyTensor {
  const n = countOf(x, axes);
  const centred = P.sub(x, P.div(P.sum(x, axes, { keepDims: true }), n));
  return P.div(P.sum(P.square(centred), axes, { keepDims }), n);
}

/**
 * Population variance (divides by n) over `axis`: mean of squared deviations from the mean.
 * ```ts
 * variance(x, 0);   // per-feature variance of a [batch, features] tensor
 * ```
 */
export const variance = reduction("variance", floats, (x, axes, keepDims) => tidy(() => varianceCore(x, axes, keepDims)));

/**
 * Population standard deviation: sqrt(variance). Its gradient is infinite where the variance
 * is 0 (as for sqrt); add an epsilon inside when that can happen.
 * ```ts
 * std(x, -1, { keepDims: true });
 * ```
 */
export const std = reduction("std", floats, (x, axes, keepDims) => tidy(() => P.sqrt(varianceCore(x, axes, keepDims))));

/** One axis (default the last), for ops along a single axis (argmax, softmax, ...). */
export function singleAxis(op: string, x: unknown, axis: unknown): number {
  expectTensor(op, x);
  const a = axis ?? -1;
  if (typeof a !== "number")
    throw new ValueError(
      { op: op, expected: "a single axis", got: Array.isArray(a) ? "an array" : typeof a },
      `${op}: axis must be a single number, got ${Array.isArray(a) ? "an array" : typeof a}`,
    );
  return a;
}

/** A typed arg-reduction over one axis (default the last): int32 indices. */
function argReduction<const Op extends string>(op: Op, run: (x: AnyTensor, axis: number) => AnyTensor) {
  return <S extends Shape, D extends NumericDType, const A extends number = -1>(
    x: Tensor<S, D>,
    axis?: Checked<A, Reduce<S, A, false, Op>>,
  ): Tensor<Out<Reduce<S, A, false, Op>>, "int32"> => typed(run(x, singleAxis(op, x, axis)));
}

/**
 * Index (int32) of the largest value along one axis (default the last); the first on ties.
 * ```ts
 * argmax(logits);   // [batch, 10] -> [batch] class ids
 * ```
 */
export const argmax = argReduction("argmax", P.argmax);

/** Index (int32) of the smallest value along one axis (default the last); the first on ties. */
export const argmin = argReduction("argmin", P.argmin);

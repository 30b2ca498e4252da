// Reductions over axes: sum, mean, max, min, argmax, argmin, logSumExp, variance, std.
// `axis` is one axis or a list (negative counts from the end); omitted, every axis is reduced.
import type { Check, Out, Reduce, Shape } from "../../typelevel/index.js";
import type { Tensor, AnyTensor } from "../tensor/index.js";
import * as R from "../core/index.js";
import * as E from "../core/index.js";
import { reshape as reshapeCore, stopGradient as stopGradientCore } from "../core/index.js";
import { expectTensor } from "../tensor/index.js";
import { tidy } from "./tidy.js";
import { typed } from "./result.js";
import type { NumericDType } from "./types.js";

type Axes = number | readonly number[] | undefined;

/** Axes sorted and normalised, checked with the op's name; keepDims must be a boolean. */
function axesOf(op: string, x: AnyTensor, axis: Axes, keepDims: unknown): number[] {
  expectTensor(op, x);
  if (axis !== undefined && typeof axis !== "number" && !Array.isArray(axis)) {
    throw new Error(`${op}: axis must be a number or an array of numbers, got ${typeof axis}`);
  }
  if (keepDims !== undefined && typeof keepDims !== "boolean") throw new Error(`${op}: keepDims must be a boolean, got ${typeof keepDims}`);
  const axes = R.normAxes(op, axis, x.rank);
  for (let i = 1; i < axes.length; i++)
    if (axes[i] === axes[i - 1]) throw new Error(`${op}: repeated axis in [${(axis as number[]).join(", ")}]`);
  return axes;
}

function countOf(x: AnyTensor, axes: readonly number[]): number {
  let n = 1;
  for (const a of axes) n *= x.shape[a];
  return n;
}

/**
 * Sum over `axis` (all axes by default); `keepDims` keeps reduced axes as size 1.
 * ```ts
 * sum(x);            // Tensor<[]>
 * sum(x, -1, true);  // [batch, 10] -> [batch, 1]
 * ```
 */
export function sum<S extends Shape, D extends NumericDType, const A extends Axes = undefined, const K extends boolean = false>(
  x: Tensor<S, D>,
  axis?: A & Check<Reduce<S, A, K, "sum">>,
  keepDims?: K,
): Tensor<Out<Reduce<S, A, K, "sum">>, D> {
  const axes = axesOf("sum", x, axis, keepDims);
  return typed(R.sum(x, axes, keepDims ?? false));
}

/**
 * Arithmetic mean over `axis` (float32).
 * ```ts
 * mean(square(sub(pred, target)));   // mean squared error
 * ```
 */
export function mean<S extends Shape, const A extends Axes = undefined, const K extends boolean = false>(
  x: Tensor<S, "float32">,
  axis?: A & Check<Reduce<S, A, K, "mean">>,
  keepDims?: K,
): Tensor<Out<Reduce<S, A, K, "mean">>, "float32"> {
  const axes = axesOf("mean", x, axis, keepDims);
  if (x.dtype !== "float32") throw new Error(`mean: expects a float32 tensor, got ${x.dtype}; cast it first`);
  return typed(tidy(() => E.div(R.sum(x, axes, keepDims ?? false), countOf(x, axes))));
}

/**
 * Largest value over `axis`; ties share the gradient evenly.
 * ```ts
 * max(logits, -1);   // [batch, 10] -> [batch]
 * ```
 */
export function max<S extends Shape, D extends NumericDType, const A extends Axes = undefined, const K extends boolean = false>(
  x: Tensor<S, D>,
  axis?: A & Check<Reduce<S, A, K, "max">>,
  keepDims?: K,
): Tensor<Out<Reduce<S, A, K, "max">>, D> {
  const axes = axesOf("max", x, axis, keepDims);
  return typed(R.max(x, axes, keepDims ?? false));
}

/** Smallest value over `axis`; ties share the gradient evenly. `min(x, 0)`. */
export function min<S extends Shape, D extends NumericDType, const A extends Axes = undefined, const K extends boolean = false>(
  x: Tensor<S, D>,
  axis?: A & Check<Reduce<S, A, K, "min">>,
  keepDims?: K,
): Tensor<Out<Reduce<S, A, K, "min">>, D> {
  const axes = axesOf("min", x, axis, keepDims);
  return typed(R.min(x, axes, keepDims ?? false));
}

function argAxis(op: string, x: AnyTensor, axis: unknown): number {
  expectTensor(op, x);
  if (typeof axis !== "number")
    throw new Error(`${op}: axis must be a single number, got ${Array.isArray(axis) ? "an array" : typeof axis}`);
  return axis;
}

/**
 * Index (int32) of the largest value along one axis (default the last); the first on ties.
 * ```ts
 * argmax(logits);   // [batch, 10] -> [batch] class ids
 * ```
 */
export function argmax<S extends Shape, D extends NumericDType, const A extends number = -1>(
  x: Tensor<S, D>,
  axis?: A & Check<Reduce<S, A, false, "argmax">>,
): Tensor<Out<Reduce<S, A, false, "argmax">>, "int32"> {
  return typed(R.argmax(x, argAxis("argmax", x, axis ?? -1)));
}

/** Index (int32) of the smallest value along one axis (default the last). */
export function argmin<S extends Shape, D extends NumericDType, const A extends number = -1>(
  x: Tensor<S, D>,
  axis?: A & Check<Reduce<S, A, false, "argmin">>,
): Tensor<Out<Reduce<S, A, false, "argmin">>, "int32"> {
  return typed(R.argmin(x, argAxis("argmin", x, axis ?? -1)));
}

/** log(sum(exp(x))) over the axes, on normalised axes (shared with logSoftmax). */
export function logSumExpCore(x: AnyTensor, axes: readonly number[], keepDims: boolean): AnyTensor {
  // NOTE: shifting by the max keeps exp in range; stopGradient keeps max's tie-splitting rule out
  // of the derivative (the shift cancels exactly). A non-finite max (all -inf) shifts by 0.
  const m = stopGradientCore(R.max(x, axes, true));
  const shift = E.where(E.less(E.abs(m), Infinity), m, 0);
  const out = E.add(E.log(R.sum(E.exp(E.sub(x, shift)), axes, true)), shift);
  return keepDims
    ? out
    : reshapeCore(
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
export function logSumExp<S extends Shape, const A extends Axes = undefined, const K extends boolean = false>(
  x: Tensor<S, "float32">,
  axis?: A & Check<Reduce<S, A, K, "logSumExp">>,
  keepDims?: K,
): Tensor<Out<Reduce<S, A, K, "logSumExp">>, "float32"> {
  const axes = axesOf("logSumExp", x, axis, keepDims);
  if (x.dtype !== "float32") throw new Error(`logSumExp: expects a float32 tensor, got ${x.dtype}`);
  return typed(tidy(() => logSumExpCore(x, axes, keepDims ?? false)));
}

function varianceCore(op: string, x: AnyTensor, axis: Axes, keepDims: boolean | undefined): AnyTensor {
  const axes = axesOf(op, x, axis, keepDims);
  if (x.dtype !== "float32") throw new Error(`${op}: expects a float32 tensor, got ${x.dtype}`);
  const n = countOf(x, axes);
  const centred = E.sub(x, E.div(R.sum(x, axes, true), n));
  return E.div(R.sum(E.square(centred), axes, keepDims ?? false), n);
}

/**
 * Population variance (divides by n) over `axis`: mean of squared deviations from the mean.
 * ```ts
 * variance(x, 0);   // per-feature variance of a [batch, features] tensor
 * ```
 */
export function variance<S extends Shape, const A extends Axes = undefined, const K extends boolean = false>(
  x: Tensor<S, "float32">,
  axis?: A & Check<Reduce<S, A, K, "variance">>,
  keepDims?: K,
): Tensor<Out<Reduce<S, A, K, "variance">>, "float32"> {
  return typed(tidy(() => varianceCore("variance", x, axis, keepDims)));
}

/**
 * Population standard deviation: sqrt(variance). Its gradient is infinite where the variance
 * is 0 (as for sqrt); add an epsilon inside when that can happen.
 * ```ts
 * std(x, -1, true);
 * ```
 */
export function std<S extends Shape, const A extends Axes = undefined, const K extends boolean = false>(
  x: Tensor<S, "float32">,
  axis?: A & Check<Reduce<S, A, K, "std">>,
  keepDims?: K,
): Tensor<Out<Reduce<S, A, K, "std">>, "float32"> {
  return typed(tidy(() => E.sqrt(varianceCore("std", x, axis, keepDims))));
}

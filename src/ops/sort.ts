// Ordering: sort, argsort, topK. All stand on one primitive (argTopK: the positions of the k
// largest or smallest entries of the last axis, in order); the values are a gather at those
// positions, so their derivative goes back to the positions the values came from.
// NOTE: ties keep the lower index first (a stable order), ascending or descending; NaN is not ordered.
import type { AlongAxis, Check, Out, Shape, TopK } from "../../typelevel/index.js";
import { formatShape, type AnyTensor, type Tensor, ShapeError, ValueError, describeValue, expectOptions } from "../tensor/index.js";
import * as P from "../core/index.js";
import { tidy } from "./tidy.js";
import { typed } from "./result.js";
import { flagOf, numericAxis } from "./cumulative.js";
import type { NumericDType } from "./types.js";

/** Options of `sort` and `argsort`. */
export interface SortOptions<A extends number = number> {
  /** The axis sorted along (default -1, the last; negative counts from the end). */
  axis?: A;
  /** Largest first (default false: smallest first). */
  descending?: boolean;
}

/** Options of `topK`. */
export interface TopKOptions {
  /** Values in descending order (default true); false keeps the k entries in the order they have in x. */
  sorted?: boolean;
}

/** The values of x at `indices` along the last axis (take-along-axis), differentiable in x. */
function takeLast(x: AnyTensor, indices: AnyTensor): AnyTensor {
  return P.gather(x, indices, x.rank - 1, { batchDims: x.rank - 1 });
}

/** Ordering positions of x along `axis` (moved last, then back). */
function order(x: AnyTensor, axis: number, descending: boolean, values: boolean): AnyTensor {
  const last = x.rank - 1;
  const moved = P.moveAxis(x, axis, last);
  const idx = P.argTopK(moved, x.shape[axis], { largest: descending });
  return P.moveAxis(values ? takeLast(moved, idx) : idx, last, axis);
}

function sortArgs(op: string, x: unknown, opts: SortOptions | undefined): [number, boolean] {
  expectOptions(op, opts);
  return [numericAxis(op, x, opts?.axis ?? -1), flagOf(op, opts, "descending")];
}

/**
 * x sorted along `axis` (default the last), smallest first (`descending: true`: largest first).
 * Ties keep their order. The gradient goes back to the position each value came from.
 * ```ts
 * sort(tensor([3, 1, 2], [3]));                           // [1, 2, 3]
 * sort(x, { axis: 0, descending: true });                 // each column, largest first
 * ```
 */
export function sort<S extends Shape, D extends NumericDType, const A extends number = -1>(
  x: Tensor<S, D>,
  opts?: SortOptions<A> & Check<AlongAxis<S, A, "sort">>,
): Tensor<Out<AlongAxis<S, A, "sort">>, D> {
  const [axis, descending] = sortArgs("sort", x, opts);
  return typed(tidy(() => order(x as AnyTensor, axis, descending, true)));
}

/**
 * The int32 positions that sort x along `axis` (default the last): `sort(x)` equals x gathered
 * at `argsort(x)` along that axis. Ties keep the lower index first. No gradient (integers).
 * ```ts
 * argsort(tensor([3, 1, 2], [3]));                        // [1, 2, 0]
 * argsort(tensor([3, 1, 2], [3]), { descending: true });  // [0, 2, 1]
 * ```
 */
export function argsort<S extends Shape, D extends NumericDType, const A extends number = -1>(
  x: Tensor<S, D>,
  opts?: SortOptions<A> & Check<AlongAxis<S, A, "argsort">>,
): Tensor<Out<AlongAxis<S, A, "argsort">>, "int32"> {
  const [axis, descending] = sortArgs("argsort", x, opts);
  return typed(tidy(() => order(x as AnyTensor, axis, descending, false)));
}

/**
 * The `k` largest entries along the last axis and their int32 positions: the last dim becomes
 * `k` in both. Sorted largest first (`sorted: false`: in the order they appear in x); among
 * equal values the lower index comes first. A literal `k` larger than a literal last dim does
 * not compile. The values' gradient goes back to their positions; the indices have none.
 * ```ts
 * const { values, indices } = topK(logits, 5);   // [batch, 1000] -> [batch, 5] twice
 * ```
 */
export function topK<S extends Shape, D extends NumericDType, const K extends number>(
  x: Tensor<S, D>,
  k: K & Check<TopK<S, K>>,
  opts?: TopKOptions,
): { values: Tensor<Out<TopK<S, K>>, D>; indices: Tensor<Out<TopK<S, K>>, "int32"> } {
  const last = numericAxis("topK", x, -1);
  expectOptions("topK", opts);
  const sorted = opts?.sorted === undefined ? true : flagOf("topK", opts, "sorted");
  const n = x.shape[last];
  if (typeof k !== "number" || !Number.isInteger(k) || k < 0)
    throw new ValueError(
      { op: "topK", expected: "a non-negative integer k", got: describeValue(k) === "number" ? String(k) : describeValue(k) },
      `topK: k must be a non-negative integer, got ${typeof k === "number" ? k : describeValue(k)}`,
    );
  if (k > n)
    throw new ShapeError(
      { op: "topK", expected: `k <= ${n}`, got: String(k) },
      `topK: k = ${k} is larger than the last dim ${n} of ${formatShape(x.shape)}`,
    );
  const [values, indices] = tidy(() => {
    let idx = P.argTopK(x, k, { largest: true });
    // in x's order: the chosen positions, sorted ascending
    if (!sorted) idx = takeLast(idx, P.argTopK(idx, k, { largest: false }));
    return [takeLast(x, idx), idx];
  });
  return { values: typed(values), indices: typed(indices) };
}

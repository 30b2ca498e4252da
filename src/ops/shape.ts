// Shape ops: reshape, flatten, transpose, squeeze, expandDims, broadcastTo, concat, stack,
// slice, pad, gather, oneHot. All move data; none computes.
import type {
  BroadcastTo,
  Check,
  Checked,
  Concat,
  ExpandDims,
  Flatten,
  Gather,
  NamedDimsAligned,
  OneHot,
  Out,
  Pad,
  Reshape,
  Shape,
  Slice,
  Squeeze,
  Stack,
  Transpose,
} from "../../typelevel/index.js";
import { formatShape, type AnyTensor, type DType, type Tensor, ShapeError, ValueError } from "../tensor/index.js";
import {
  reshape as reshapeCore,
  transpose as transposeCore,
  broadcastTo as broadcastToCore,
  squeeze as squeezeCore,
  expandDims as expandDimsCore,
  concat as concatCore,
  stack as stackCore,
  slice as sliceCore,
  pad as padCore,
  gather as gatherCore,
  oneHot as oneHotCore,
} from "../core/index.js";
import { expectTensor } from "../tensor/index.js";
import { owned, typed } from "./result.js";
import type { DTypeRule, ShapeOf } from "./types.js";

type Axes = number | readonly number[] | undefined;

/**
 * x with a new shape of the same element count. One dim may be -1 (inferred). A named dim
 * ("batch") must sit at the same index as in x's type and takes x's size there, so
 * `reshape(x, ["batch", -1])` flattens all but the batch axis.
 * ```ts
 * reshape(pool, ["batch", -1]);   // Tensor<["batch", 7, 7, 64]> -> Tensor<["batch", 3136]>
 * reshape(tensor(data, [2, 6]), [3, 4]);
 * ```
 */
export function reshape<S extends Shape, D extends DType, const T extends Shape>(
  x: Tensor<S, D>,
  shape: T & Check<Reshape<S, T>> & NamedDimsAligned<S, T>,
): Tensor<Out<Reshape<S, T>>, D> {
  expectTensor("reshape", x);
  if (!Array.isArray(shape))
    throw new ValueError(
      { op: "reshape", expected: "an array of dims", got: typeof shape },
      `reshape: shape must be an array of dims, got ${typeof shape}`,
    );
  const xs = x.shape as readonly number[];
  const target = (shape as readonly (number | string)[]).map((d, i) => {
    if (typeof d === "number") return d;
    if (typeof d !== "string")
      throw new ValueError(
        { op: "reshape", expected: "numbers, -1 or named dims", got: String(d) },
        `reshape: dims must be numbers, -1 or named dims, got ${String(d)} at index ${i}`,
      );
    // NOTE: names do not exist at run time; the type rule guarantees x has this name at index i.
    if (i >= xs.length)
      throw new ShapeError(
        { op: "reshape", expected: `an input dim at index ${i}`, got: formatShape(xs) },
        `reshape: named dim ${d} at index ${i} of ${formatShape(shape as Shape)} has no input dim at that index (input ${formatShape(xs)})`,
      );
    return xs[i];
  });
  return typed(owned(reshapeCore(x, target), x));
}

/**
 * Axes from `startAxis` (default 0) to the last folded into one.
 * ```ts
 * flatten(x);      // [2, 3, 4] -> [24]
 * flatten(x, 1);   // ["batch", 7, 7, 64] -> ["batch", 3136]
 * ```
 */
export function flatten<S extends Shape, D extends DType, const A extends number = 0>(
  x: Tensor<S, D>,
  startAxis?: Checked<A, Flatten<S, A>>,
): Tensor<Out<Flatten<S, A>>, D> {
  expectTensor("flatten", x);
  const xs = x.shape as readonly number[];
  const start = (startAxis as number | undefined) ?? 0;
  const rank = xs.length;
  const ok = Number.isInteger(start) && (rank === 0 ? start === 0 : start >= -rank && start < rank);
  if (!ok)
    throw new ShapeError(
      { op: "flatten", expected: `a startAxis in ${-rank}..${rank - 1}`, got: String(start) },
      `flatten: startAxis ${start} is out of range for ${formatShape(xs)} (rank ${rank})`,
    );
  const s = start < 0 ? start + rank : start;
  return typed(owned(reshapeCore(x, [...xs.slice(0, s), -1]), x));
}

/**
 * Axes permuted: result axis i is x's axis perm[i]; without perm the axes are reversed.
 * ```ts
 * transpose(w);                    // [784, 128] -> [128, 784]
 * transpose(images, [0, 3, 1, 2]); // NHWC -> NCHW
 * ```
 */
export function transpose<S extends Shape, D extends DType, const P extends readonly number[] | undefined = undefined>(
  x: Tensor<S, D>,
  perm?: Checked<P, Transpose<S, P>>,
): Tensor<Out<Transpose<S, P>>, D> {
  expectTensor("transpose", x);
  if (perm !== undefined && !Array.isArray(perm))
    throw new ValueError(
      { op: "transpose", expected: "an array of axes", got: typeof perm },
      `transpose: perm must be an array of axes, got ${typeof perm}`,
    );
  return typed(owned(transposeCore(x, perm as readonly number[] | undefined), x));
}

/**
 * x without the given size-1 axes. Without axes every size-1 axis goes at run time, but the
 * type drops only literal 1s (a named dim such as "batch" stays): give axes when a symbolic
 * dim could be 1.
 * ```ts
 * squeeze(x, -1);   // ["batch", 10, 1] -> ["batch", 10]
 * ```
 */
export function squeeze<S extends Shape, D extends DType, const A extends Axes = undefined>(
  x: Tensor<S, D>,
  axis?: Checked<A, Squeeze<S, A>>,
): Tensor<Out<Squeeze<S, A>>, D> {
  expectTensor("squeeze", x);
  return typed(owned(squeezeCore(x, axis as Axes), x));
}

/**
 * x with a new size-1 axis at `axis` (-1 appends it last).
 * ```ts
 * expandDims(labels, -1);   // ["batch"] -> ["batch", 1]
 * ```
 */
export function expandDims<S extends Shape, D extends DType, const A extends number>(
  x: Tensor<S, D>,
  axis: Checked<A, ExpandDims<S, A>>,
): Tensor<Out<ExpandDims<S, A>>, D> {
  expectTensor("expandDims", x);
  return typed(owned(expandDimsCore(x, axis as number), x));
}

/**
 * x repeated along size-1 (or missing leading) axes up to `shape`. The gradient sums back.
 * ```ts
 * broadcastTo(bias, [32, 10]);   // [10] -> [32, 10]
 * ```
 */
export function broadcastTo<S extends Shape, D extends DType, const T extends readonly number[]>(
  x: Tensor<S, D>,
  shape: Checked<T, BroadcastTo<S, T>>,
): Tensor<Out<BroadcastTo<S, T>>, D> {
  expectTensor("broadcastTo", x);
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ValueError(
      { op: "broadcastTo", expected: "an array of non-negative integers", got: Array.isArray(shape) ? formatShape(shape) : typeof shape },
      `broadcastTo: shape must be an array of non-negative integers, got ${Array.isArray(shape) ? formatShape(shape) : typeof shape}`,
    );
  }
  return typed(owned(broadcastToCore(x, shape), x));
}

/** The shapes of a tuple of tensors, and their dtype. */
type ShapesOf<X extends readonly unknown[]> = { [K in keyof X]: ShapeOf<X[K]> };
type DTypeOfAll<X extends readonly unknown[]> = X[number] extends Tensor<Shape, infer D> ? D : never;

function expectTensors(op: string, xs: unknown): asserts xs is AnyTensor[] {
  if (!Array.isArray(xs))
    throw new ValueError(
      { op: op, expected: "an array of tensors", got: typeof xs },
      `${op}: expected an array of tensors, got ${typeof xs}`,
    );
  xs.forEach((x, i) => expectTensor(op, x, `tensor ${i}`));
}

/**
 * Tensors joined along an existing axis (default 0; negative counts from the end); every
 * other dim must agree. The type error, if any, is on the array (the axis may be omitted).
 * ```ts
 * concat([a, b], -1);   // ["batch", 3] and ["batch", 5] -> ["batch", 8]
 * ```
 */
export function concat<const X extends readonly Tensor<Shape, DType>[], const A extends number = 0>(
  xs: Checked<X, Concat<ShapesOf<X>, A>>,
  axis?: A,
): Tensor<Out<Concat<ShapesOf<X>, A>>, DTypeOfAll<X>> {
  expectTensors("concat", xs);
  return typed(owned(concatCore(xs, axis ?? 0), ...xs));
}

/**
 * Equal-shaped tensors stacked along a new axis (default 0; -1 appends it last).
 * ```ts
 * stack([a, b, c]);   // three [2, 3] -> [3, 2, 3]
 * ```
 */
export function stack<const X extends readonly Tensor<Shape, DType>[], const A extends number = 0>(
  xs: Checked<X, Stack<ShapesOf<X>, A>>,
  axis?: A,
): Tensor<Out<Stack<ShapesOf<X>, A>>, DTypeOfAll<X>> {
  expectTensors("stack", xs);
  return typed(owned(stackCore(xs, axis ?? 0), ...xs));
}

/**
 * The window of x starting at `begin` with `size` entries per axis; a size of -1 (or a
 * missing trailing entry) means "to the end". The type error, if any, is on `begin`.
 * ```ts
 * slice(images, [0, 2, 2], [-1, 24, 24]);   // ["batch", 28, 28, 1] -> ["batch", 24, 24, 1]
 * ```
 */
export function slice<S extends Shape, D extends DType, const B extends readonly number[], const Z extends readonly number[] = []>(
  x: Tensor<S, D>,
  begin: Checked<B, Slice<S, B, Z>>,
  size?: Z,
): Tensor<Out<Slice<S, B, Z>>, D> {
  expectTensor("slice", x);
  if (!Array.isArray(begin))
    throw new ValueError({ op: "slice", expected: "an array", got: typeof begin }, `slice: begin must be an array, got ${typeof begin}`);
  if (size !== undefined && !Array.isArray(size))
    throw new ValueError({ op: "slice", expected: "an array", got: typeof size }, `slice: size must be an array, got ${typeof size}`);
  return typed(owned(sliceCore(x, begin, size ?? []), x));
}

/**
 * x padded with `value` (default 0): `paddings[i] = [before, after]` for axis i.
 * ```ts
 * pad(images, [[0, 0], [2, 2], [2, 2], [0, 0]]);   // ["batch", 28, 28, 1] -> ["batch", 32, 32, 1]
 * ```
 */
export function pad<S extends Shape, D extends DType, const P extends readonly (readonly [number, number])[]>(
  x: Tensor<S, D>,
  paddings: Checked<P, Pad<S, P>>,
  value = 0,
): Tensor<Out<Pad<S, P>>, D> {
  expectTensor("pad", x);
  return typed(owned(padCore(x, paddings as P, value), x));
}

/**
 * Entries of x picked along `axis` (default 0) by int32 indices: the output shape is
 * x[:axis] ++ indices ++ x[axis+1:]. An out-of-range index throws naming it.
 * ```ts
 * gather(embeddings, tokens);   // [1000, 64] x ["batch", 20] -> ["batch", 20, 64]
 * ```
 */
export function gather<S extends Shape, D extends DType, I extends Shape, DI extends DType, const A extends number = 0>(
  x: Tensor<S, D>,
  indices: Checked<Tensor<I, DI>, [DI] extends ["int32"] ? Gather<S, I, A> : DTypeRule<DI, "int32", "gather", "indices">>,
  axis?: A,
): Tensor<Out<Gather<S, I, A>>, D> {
  expectTensor("gather", x);
  expectTensor("gather", indices, "indices");
  return typed(gatherCore(x, indices, axis ?? 0));
}

/**
 * int32 labels as float32 one-hot rows: [...labels.shape, depth]. A label outside 0..depth-1
 * throws naming it.
 * ```ts
 * oneHot(labels, 10);   // Tensor<["batch"], "int32"> -> Tensor<["batch", 10]>
 * ```
 */
export function oneHot<S extends Shape, DI extends DType, const N extends number>(
  indices: Checked<Tensor<S, DI>, DTypeRule<DI, "int32", "oneHot", "indices">>,
  depth: N,
): Tensor<Out<OneHot<S, N>>> {
  expectTensor("oneHot", indices, "indices");
  return typed(oneHotCore(indices, depth));
}

// Joining tensors: concat along an existing axis, stack along a new one.
/* eslint-disable @typescript-eslint/no-explicit-any -- any in, any out: after an earlier error the chain stays quiet (one error, not a cascade) */
import type { Add } from "./arith.js";
import type { ShapeError, ShowDim, ShowShape } from "./errors.js";
import type { Counter, Dim, InsertAt, IsAny, IsTuple, NormalizeAxis, Shape, Unify } from "./shape.js";

/**
 * Shapes joined along Axis (negative counts from the end): that dim is summed, every other
 * dim must agree (symbolic dims agree with anything, see Unify).
 * @example Concat<[["batch", 3], ["batch", 5]], -1>  // ["batch", 8]
 */
export type Concat<Shapes extends readonly Shape[], Axis extends number> =
  IsAny<Shapes[number]> extends true
    ? any
    : Shapes extends readonly [infer First extends Shape, ...infer Rest extends Shape[]]
      ? AllTuples<Shapes> extends true
        ? [NormalizeAxis<First, Axis>] extends [infer I extends number]
          ? [I] extends [never]
            ? ShapeError<`concat: axis ${Axis} is out of range for ${ShowShape<First>} (rank ${First["length"]})`>
            : ConcatAll<[...First], Rest, I>
          : never
        : Dim[]
      : Shapes extends readonly []
        ? ShapeError<"concat: needs at least one shape, got none">
        : Dim[];

/**
 * Equal shapes stacked along a new axis of size Shapes["length"] inserted at Axis
 * (-1 appends it last).
 * @example Stack<[[2, 3], [2, 3]], 0>  // [2, 2, 3]
 */
export type Stack<Shapes extends readonly Shape[], Axis extends number = 0> =
  IsAny<Shapes[number]> extends true
    ? any
    : Shapes extends readonly [infer First extends Shape, ...infer Rest extends Shape[]]
      ? AllTuples<Shapes> extends true
        ? [NormalizeAxis<[...First, 0], Axis>] extends [infer I extends number]
          ? [I] extends [never]
            ? ShapeError<`stack: axis ${Axis} is out of range for stacking ${ShowShape<First>} (axes -${[...First, 0]["length"]} to ${First["length"]})`>
            : StackAll<[...First], Rest> extends infer R
              ? R extends Dim[]
                ? InsertAt<R, I, Shapes["length"]>
                : R
              : never
          : never
        : Dim[]
      : Shapes extends readonly []
        ? ShapeError<"stack: needs at least one shape, got none">
        : Dim[];

type AllTuples<Shapes extends readonly Shape[]> = Shapes extends readonly [infer H extends Shape, ...infer T extends Shape[]]
  ? IsTuple<H> extends true
    ? AllTuples<T>
    : false
  : number extends Shapes["length"]
    ? false
    : true;

type ConcatAll<Acc extends Dim[], Rest extends readonly Shape[], I extends number> = Rest extends readonly [
  infer N extends Shape,
  ...infer T extends Shape[],
]
  ? N["length"] extends Acc["length"]
    ? ConcatPair<Acc, N, I> extends infer R
      ? R extends Dim[]
        ? ConcatAll<R, T, I>
        : R extends { differ: [infer a, infer b, infer axis] }
          ? ShapeError<`concat: dims differ at axis ${axis & number} (${ShowDim<a>} vs ${ShowDim<b>}) in ${ShowShape<Acc>} and ${ShowShape<N>}; only axis ${I} may differ`>
          : never
      : never
    : ShapeError<`concat: all shapes need rank ${Acc["length"]}, got ${ShowShape<Acc>} and ${ShowShape<N>}`>
  : Acc;

/** Dim-wise merge of two equal-rank shapes, summing axis I; `{ differ }` on a mismatch. */
type ConcatPair<A extends Shape, B extends Shape, I extends number, K extends Counter = [], Acc extends Dim[] = []> = A extends readonly [
  infer a extends Dim,
  ...infer AT extends Dim[],
]
  ? B extends readonly [infer b extends Dim, ...infer BT extends Dim[]]
    ? K["length"] extends I
      ? ConcatPair<AT, BT, I, [...K, 0], [...Acc, Add<a, b>]>
      : [Unify<a, b>] extends [infer d extends Dim]
        ? [d] extends [never]
          ? { differ: [a, b, K["length"]] }
          : ConcatPair<AT, BT, I, [...K, 0], [...Acc, d]>
        : never
    : Acc
  : Acc;

type StackAll<Acc extends Dim[], Rest extends readonly Shape[]> = Rest extends readonly [infer N extends Shape, ...infer T extends Shape[]]
  ? N["length"] extends Acc["length"]
    ? UnifyShapes<Acc, N> extends infer R
      ? R extends Dim[]
        ? StackAll<R, T>
        : ShapeError<`stack: all shapes must be equal, got ${ShowShape<Acc>} and ${ShowShape<N>}`>
      : never
    : ShapeError<`stack: all shapes must be equal, got ${ShowShape<Acc>} and ${ShowShape<N>}`>
  : Acc;

type UnifyShapes<A extends Shape, B extends Shape, Acc extends Dim[] = []> = A extends readonly [
  infer a extends Dim,
  ...infer AT extends Dim[],
]
  ? B extends readonly [infer b extends Dim, ...infer BT extends Dim[]]
    ? [Unify<a, b>] extends [infer d extends Dim]
      ? [d] extends [never]
        ? false
        : UnifyShapes<AT, BT, [...Acc, d]>
      : never
    : Acc
  : Acc;

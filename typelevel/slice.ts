// Static slices.
/* eslint-disable @typescript-eslint/no-explicit-any -- any in, any out: after an earlier error the chain stays quiet (one error, not a cascade) */
import type { Add, Compare, Sub } from "./arith.js";
import type { ShapeError, ShowDim, ShowShape } from "./errors.js";
import type { Counter, Dim, IsAny, IsLiteral, IsTuple, Shape } from "./shape.js";

/**
 * S sliced from Begin with Size elements per axis (tfjs `slice`). Size -1 means "to the
 * end" (dim - begin); axes past the end of Begin/Size are kept whole. For literal dims,
 * begin + size must fit in the dim; on a symbolic dim the size is taken on trust.
 * @example Slice<["batch", 28, 28], [0, 2, 2], [-1, 24, 24]>  // ["batch", 24, 24]
 */
export type Slice<S extends Shape, Begin extends readonly number[], Size extends readonly number[]> =
  IsAny<S> extends true
    ? any
    : [IsTuple<S>, IsTuple<Begin>, IsTuple<Size>] extends [true, true, true]
      ? Begin["length"] extends S["length"] | SmallerLengths<S>
        ? Size["length"] extends S["length"] | SmallerLengths<S>
          ? SliceDims<S, Begin, Size, S>
          : ShapeError<`slice: size ${ShowShape<Size>} has more entries than the rank of ${ShowShape<S>}`>
        : ShapeError<`slice: begin ${ShowShape<Begin>} has more entries than the rank of ${ShowShape<S>}`>
      : IsTuple<S> extends true
        ? { [K in keyof S]: number } extends infer R extends Shape
          ? [...R]
          : never
        : Dim[];

type SmallerLengths<S extends Shape, Acc extends Counter = [], U = never> = Acc["length"] extends S["length"]
  ? U
  : SmallerLengths<S, [...Acc, 0], U | Acc["length"]>;

type SliceDims<
  S extends Shape,
  Begin extends readonly number[],
  Size extends readonly number[],
  Full extends Shape,
  I extends Counter = [],
  Acc extends Dim[] = [],
> = S extends readonly [infer d extends Dim, ...infer ST extends Dim[]]
  ? [Begin, Size] extends [
      readonly [infer b extends number, ...infer BT extends number[]],
      readonly [infer z extends number, ...infer ZT extends number[]],
    ]
    ? SliceDim<d, b, z, I["length"], Full> extends infer R
      ? R extends Dim
        ? SliceDims<ST, BT, ZT, Full, [...I, 0], [...Acc, R]>
        : R
      : never
    : [Begin, Size] extends [readonly [infer b extends number, ...infer BT extends number[]], readonly []]
      ? SliceDims<S, [b, ...BT], [-1], Full, I, Acc>
      : [Begin, Size] extends [readonly [], readonly [infer z extends number, ...infer ZT extends number[]]]
        ? SliceDims<S, [0], [z, ...ZT], Full, I, Acc>
        : [...Acc, ...S]
  : Acc;

type SliceDim<d extends Dim, b extends number, z extends number, Axis extends number, Full extends Shape> = `${b}` extends `-${string}`
  ? ShapeError<`slice: begin ${b} at axis ${Axis} is negative (shape ${ShowShape<Full>})`>
  : z extends -1
    ? b extends 0
      ? d
      : IsLiteral<d> extends true
        ? Compare<b, d> extends 1
          ? ShapeError<`slice: begin ${b} exceeds dim ${ShowDim<d>} at axis ${Axis} of ${ShowShape<Full>}`>
          : Sub<d, b>
        : number
    : `${z}` extends `-${string}`
      ? ShapeError<`slice: size ${z} at axis ${Axis} is invalid (only -1, meaning "to the end", may be negative)`>
      : IsLiteral<d> extends true
        ? (Add<b, z> extends infer End extends Dim ? Compare<End, d> : never) extends 1
          ? ShapeError<`slice: begin ${b} + size ${z} exceeds dim ${ShowDim<d>} at axis ${Axis} of ${ShowShape<Full>}`>
          : z
        : z;

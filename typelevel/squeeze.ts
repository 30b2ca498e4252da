// Removing and inserting size-1 axes.
/* eslint-disable @typescript-eslint/no-explicit-any -- any in, any out: after an earlier error the chain stays quiet (one error, not a cascade) */
import type { KnownAxes, ResolveAxes } from "./axes.js";
import type { ShapeError, ShowDim, ShowShape } from "./errors.js";
import type { Counter, Dim, InsertAt, IsAny, IsLiteral, IsTuple, NormalizeAxis, Shape } from "./shape.js";

/**
 * S without size-1 axes. Without Axes every literal 1 goes (symbolic dims stay: they may
 * not be 1). Given axes must be 1; a symbolic dim there is taken on trust and removed.
 * @example Squeeze<["batch", 1, 10]>  // ["batch", 10]
 */
export type Squeeze<S extends Shape, Axes extends number | readonly number[] | undefined = undefined> =
  IsAny<S> extends true
    ? any
    : IsTuple<S> extends true
      ? Axes extends undefined
        ? DropOnes<S>
        : [Axes, KnownAxes<Axes>] extends [infer A extends number | readonly number[], true]
          ? ResolveAxes<S, A> extends infer R
            ? [R] extends [{ bad: infer A extends number }]
              ? ShapeError<`squeeze: axis ${A} is out of range for ${ShowShape<S>} (rank ${S["length"]})`>
              : DropAxes<S, R & number>
            : never
          : Dim[]
      : Dim[];

type DropOnes<S extends Shape, Acc extends Dim[] = []> = S extends readonly [infer H extends Dim, ...infer T extends Dim[]]
  ? DropOnes<T, H extends 1 ? Acc : [...Acc, H]>
  : Acc;

type DropAxes<
  S extends Shape,
  Axes extends number,
  Full extends Shape = S,
  I extends Counter = [],
  Acc extends Dim[] = [],
> = S extends readonly [infer H extends Dim, ...infer T extends Dim[]]
  ? I["length"] extends Axes
    ? IsLiteral<H> extends true
      ? H extends 1
        ? DropAxes<T, Axes, Full, [...I, 0], Acc>
        : ShapeError<`squeeze: axis ${I["length"]} has size ${ShowDim<H>}, expected 1 (shape ${ShowShape<Full>})`>
      : DropAxes<T, Axes, Full, [...I, 0], Acc>
    : DropAxes<T, Axes, Full, [...I, 0], [...Acc, H]>
  : Acc;

/**
 * S with a new axis of size 1 at Axis, in -(rank+1)..rank (-1 appends it last).
 * @example ExpandDims<["batch", 10], -1>  // ["batch", 10, 1]
 */
export type ExpandDims<S extends Shape, Axis extends number> =
  IsAny<S> extends true
    ? any
    : IsTuple<S> extends true
      ? [NormalizeAxis<[...S, 0], Axis>] extends [infer I extends number]
        ? [I] extends [never]
          ? ShapeError<`expandDims: axis ${Axis} is out of range for ${ShowShape<S>} (rank ${S["length"]})`>
          : InsertAt<S, I, 1>
        : never
      : Dim[];

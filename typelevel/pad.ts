// Constant padding.
/* eslint-disable @typescript-eslint/no-explicit-any -- any in, any out: after an earlier error the chain stays quiet (one error, not a cascade) */
import type { Add } from "./arith.js";
import type { ShapeError, ShowShape } from "./errors.js";
import type { Dim, IsAny, IsTuple, Shape } from "./shape.js";

/**
 * S padded per axis by [before, after]: dim + before + after. One pair per axis; a [0, 0]
 * pair leaves a symbolic dim untouched.
 * @example Pad<["batch", 28, 28, 1], [[0, 0], [2, 2], [2, 2], [0, 0]]>  // ["batch", 32, 32, 1]
 */
export type Pad<S extends Shape, Paddings extends readonly (readonly [number, number])[]> =
  IsAny<S> extends true
    ? any
    : [IsTuple<S>, IsTuple<Paddings>] extends [true, true]
      ? Paddings["length"] extends S["length"]
        ? PadDims<S, Paddings>
        : ShapeError<`pad: expected ${S["length"]} [before, after] pairs (one per axis of ${ShowShape<S>}), got ${Paddings["length"]}`>
      : IsTuple<S> extends true
        ? { [K in keyof S]: number } extends infer R extends Shape
          ? [...R]
          : never
        : Dim[];

type PadDims<S extends Shape, P extends readonly (readonly [number, number])[], Acc extends Dim[] = []> = S extends readonly [
  infer d extends Dim,
  ...infer ST extends Dim[],
]
  ? P extends readonly [readonly [infer b extends number, infer a extends number], ...infer PT extends (readonly [number, number])[]]
    ? PadDims<ST, PT, [...Acc, Add<d, b> extends infer X extends Dim ? Add<X, a> : never]>
    : Acc
  : Acc;

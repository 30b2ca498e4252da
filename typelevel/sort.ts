// Axis-wise ops that keep the shape (cumsum, cumprod, sort, argsort) and topK (last dim -> k).
/* eslint-disable @typescript-eslint/no-explicit-any -- any in, any out: after an earlier error the chain stays quiet (one error, not a cascade) */
import type { ShapeError, ShowDim, ShowShape } from "./errors.js";
import type { Compare } from "./arith.js";
import type { Dim, IsAny, IsLiteral, IsTuple, NormalizeAxis, Shape } from "./shape.js";

/**
 * S itself when Axis is an axis of S (negative counts from the end); an error naming `Op`
 * otherwise. A scalar has no axis.
 * @example AlongAxis<["batch", 10], -1, "cumsum">  // ["batch", 10]
 */
export type AlongAxis<S extends Shape, Axis extends number, Op extends string> =
  IsAny<S> extends true
    ? any
    : IsTuple<S> extends true
      ? number extends Axis
        ? S
        : [NormalizeAxis<S, Axis>] extends [never]
          ? ShapeError<`${Op}: axis ${Axis} is out of range for ${ShowShape<S>} (rank ${S["length"]})`>
          : S
      : S;

/**
 * The shape of topK's values and indices: the last dim of S becomes K. A literal K larger
 * than a literal last dim is an error; a symbolic last dim accepts any K.
 * @example TopK<["batch", 10], 3>  // ["batch", 3]
 */
export type TopK<S extends Shape, K extends number> =
  IsAny<S> extends true
    ? any
    : IsTuple<S> extends true
      ? S extends readonly [...infer Init extends Dim[], infer N extends Dim]
        ? [IsLiteral<N>, IsLiteral<K>] extends [true, true]
          ? Compare<K & number, N & number> extends 1
            ? ShapeError<`topK: k = ${K} is larger than the last dim ${ShowDim<N>} of ${ShowShape<S>}`>
            : [...Init, K]
          : [...Init, K]
        : ShapeError<`topK expects a tensor of rank >= 1, got a scalar`>
      : Dim[];

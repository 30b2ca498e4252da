// Index-driven ops: gather and oneHot.
/* eslint-disable @typescript-eslint/no-explicit-any -- any in, any out: after an earlier error the chain stays quiet (one error, not a cascade) */
import type { ShapeError, ShowShape } from "./errors.js";
import type { Dim, IsAny, IsTuple, NormalizeAxis, Shape, SplitAt } from "./shape.js";

/**
 * Rows of S picked by indices of shape I along Axis: S[:axis] ++ I ++ S[axis+1:].
 * @example Gather<[1000, 64], ["batch", 20]>  // ["batch", 20, 64] (an embedding lookup)
 */
export type Gather<S extends Shape, I extends Shape, Axis extends number = 0> =
  IsAny<S | I> extends true
    ? any
    : [IsTuple<S>, IsTuple<I>] extends [true, true]
      ? [NormalizeAxis<S, Axis>] extends [infer A extends number]
        ? [A] extends [never]
          ? ShapeError<`gather: axis ${Axis} is out of range for ${ShowShape<S>} (rank ${S["length"]})`>
          : SplitAt<S, A> extends [infer Before extends Dim[], Dim, infer After extends Dim[]]
            ? [...Before, ...I, ...After]
            : never
        : never
      : Dim[];

/**
 * Indices of shape S one-hot encoded: [...S, Depth].
 * @example OneHot<["batch"], 10>  // ["batch", 10]
 */
export type OneHot<S extends Shape, Depth extends number> = IsAny<S> extends true ? any : IsTuple<S> extends true ? [...S, Depth] : Dim[];

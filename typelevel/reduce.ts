// Reductions (sum, mean, max, ...): drop or keep the reduced axes.
/* eslint-disable @typescript-eslint/no-explicit-any -- any in, any out: after an earlier error the chain stays quiet (one error, not a cascade) */
import type { KnownAxes, ResolveAxes } from "./axes.js";
import type { ShapeError, ShowShape } from "./errors.js";
import type { Counter, Dim, IsAny, IsTuple, Shape } from "./shape.js";

/**
 * S reduced over Axes (all axes when undefined; negative axes count from the end). The
 * reduced axes are dropped, or kept as 1 with KeepDims. `Op` names the op in the message.
 * @example Reduce<["batch", 10], -1>  // ["batch"]
 */
export type Reduce<
  S extends Shape,
  Axes extends number | readonly number[] | undefined = undefined,
  KeepDims extends boolean = false,
  Op extends string = "reduce",
> =
  IsAny<S> extends true
    ? any
    : IsTuple<S> extends true
      ? Axes extends undefined
        ? KeepOrDrop<S, number, KeepDims>
        : [Axes, KnownAxes<Axes>] extends [infer A extends number | readonly number[], true]
          ? ResolveAxes<S, A> extends infer R
            ? [R] extends [{ bad: infer A extends number }]
              ? ShapeError<`${Op}: axis ${A} is out of range for ${ShowShape<S>} (rank ${S["length"]})`>
              : KeepOrDrop<S, R & number, KeepDims>
            : never
          : Dim[]
      : Dim[];

type KeepOrDrop<
  S extends Shape,
  Axes extends number,
  Keep extends boolean,
  I extends Counter = [],
  Acc extends Dim[] = [],
> = S extends readonly [infer H extends Dim, ...infer T extends Dim[]]
  ? KeepOrDrop<T, Axes, Keep, [...I, 0], I["length"] extends Axes ? (Keep extends true ? [...Acc, 1] : Acc) : [...Acc, H]>
  : Acc;

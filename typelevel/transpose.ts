// Axis permutation.
/* eslint-disable @typescript-eslint/no-explicit-any -- any in, any out: after an earlier error the chain stays quiet (one error, not a cascade) */
import type { ShapeError, ShowShape } from "./errors.js";
import type { Dim, IsAny, IsTuple, Shape } from "./shape.js";

/**
 * S with its axes permuted: result[i] = S[Perm[i]]. Without Perm the axes are reversed.
 * Perm must list each of 0..rank-1 exactly once.
 * @example Transpose<["batch", 3, 5], [0, 2, 1]>  // ["batch", 5, 3]
 */
export type Transpose<S extends Shape, Perm extends readonly number[] | undefined = undefined> =
  IsAny<S> extends true
    ? any
    : IsTuple<S> extends true
      ? Perm extends readonly number[]
        ? IsTuple<Perm> extends true
          ? Perm["length"] extends S["length"]
            ? Permute<S, Perm> extends infer R
              ? R extends Dim[]
                ? R
                : ShapeError<PermMessage<S, Perm>>
              : never
            : ShapeError<PermMessage<S, Perm>>
          : Dim[]
        : Reversed<S>
      : Dim[];

type Reversed<S extends Shape, Acc extends Dim[] = []> = S extends readonly [infer H extends Dim, ...infer T extends Dim[]]
  ? Reversed<T, [H, ...Acc]>
  : Acc;

/** Picks S[p] for each p; false for an axis out of range or repeated. */
type Permute<
  S extends Shape,
  Perm extends readonly number[],
  P extends readonly number[] = Perm,
  Acc extends Dim[] = [],
> = P extends readonly [infer p extends number, ...infer Rest extends number[]]
  ? `${p}` extends keyof S
    ? p extends Rest[number]
      ? false
      : Permute<S, Perm, Rest, [...Acc, S[p]]>
    : false
  : Acc;
// NOTE: messages are built as strings and wrapped in ShapeError at the use site, so tsc
// prints `ShapeError<"...">` rather than a helper alias name.
type PermMessage<
  S extends Shape,
  Perm extends readonly number[],
> = `transpose: perm ${ShowShape<Perm>} is not a permutation of the ${S["length"]} axes of ${ShowShape<S>}`;

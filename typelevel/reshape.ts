// Reshape, with one inferred (-1) dim.
/* eslint-disable @typescript-eslint/no-explicit-any -- any in, any out: after an earlier error the chain stays quiet (one error, not a cascade) */
import type { FloorDiv, Mod, Product } from "./arith.js";
import type { ShapeError, ShowShape } from "./errors.js";
import type { Dim, IsAny, IsLiteral, IsTuple, NormalizeAxis, Shape } from "./shape.js";

/**
 * S reshaped to T. Element counts must match when they can be compared; one -1 in T is
 * inferred as Product(S) / Product(rest of T). Dims that appear on both sides cancel first,
 * named ones included, so ["batch", 7, 7, 64] -> ["batch", -1] gives ["batch", 3136].
 * When a symbolic dim is left over, the count check is skipped and a -1 becomes `number`.
 * @example Reshape<[2, 3, 4], [-1, 4]>  // [6, 4]
 */
export type Reshape<S extends Shape, T extends Shape> =
  IsAny<S | T> extends true ? any : [IsTuple<S>, IsTuple<T>] extends [true, true] ? ReshapeKnown<S, T, SplitTarget<T>> : Dim[];

/** [dims of T other than -1, number of -1s, invalid dims (negative other than -1)]. */
type SplitTarget<T extends Shape, Rest extends Dim[] = [], Holes extends 0[] = [], Bad = never> = T extends readonly [
  infer H extends Dim,
  ...infer R extends Dim[],
]
  ? H extends -1
    ? SplitTarget<R, Rest, [...Holes, 0], Bad>
    : `${H}` extends `-${string}`
      ? SplitTarget<R, Rest, Holes, Bad | H>
      : SplitTarget<R, [...Rest, H], Holes, Bad>
  : [Rest, Holes["length"], Bad];

type ReshapeKnown<S extends Shape, T extends Shape, Split> = Split extends [infer Rest extends Dim[], infer Holes extends number, infer Bad]
  ? [Bad] extends [never]
    ? Holes extends 0 | 1
      ? CancelCommon<S, Rest> extends [infer SL extends Dim[], infer RL extends Dim[]]
        ? [AllLiteral<SL>, AllLiteral<RL>] extends [true, true]
          ? [Product<SL>, Product<RL>] extends [infer PS extends Dim, infer PR extends Dim]
            ? Holes extends 0
              ? [PS] extends [PR]
                ? [...T]
                : ShapeError<CountMessage<S, T, Rest, PS, PR, "">>
              : PR extends 0
                ? ShapeError<`reshape: cannot infer -1 in ${ShowShape<T>}: the other dims hold 0 elements`>
                : Mod<PS, PR> extends 0
                  ? FillHole<T, FloorDiv<PS, PR>>
                  : ShapeError<CountMessage<S, T, Rest, PS, PR, "-1">>
            : never
          : Holes extends 0
            ? [...T]
            : FillHole<T, number>
        : never
      : ShapeError<`reshape: at most one -1 allowed, got ${ShowShape<T>}`>
    : ShapeError<`reshape: invalid dim ${Bad & number} in ${ShowShape<T>} (only -1 may be negative)`>
  : never;

/**
 * [S, Rest] without the dims they share (as a multiset) and without 1s. Only literals other
 * than 0 and named dims cancel: two `number` dims may differ, and a 0 empties both sides.
 */
type CancelCommon<S, Rest, Kept extends Dim[] = []> = Rest extends readonly [infer r extends Dim, ...infer RT]
  ? r extends 1
    ? CancelCommon<S, RT, Kept>
    : Cancels<r> extends true
      ? RemoveFirst<S, r> extends infer S2 extends Dim[]
        ? CancelCommon<S2, RT, Kept>
        : CancelCommon<S, RT, [...Kept, r]>
      : CancelCommon<S, RT, [...Kept, r]>
  : [S, Kept];
type Cancels<D> = D extends 0 ? false : number extends D ? false : true;
/** A without its first X, or false when X is not there. */
type RemoveFirst<A, X, Acc extends Dim[] = []> = A extends readonly [infer H extends Dim, ...infer T]
  ? [H] extends [X]
    ? [X] extends [H]
      ? [...Acc, ...T]
      : RemoveFirst<T, X, [...Acc, H]>
    : RemoveFirst<T, X, [...Acc, H]>
  : false;
type AllLiteral<S> = S extends readonly [infer H, ...infer T] ? (IsLiteral<H> extends true ? AllLiteral<T> : false) : true;

type FillHole<T extends Shape, V extends Dim> = { [K in keyof T]: T[K] extends -1 ? V : T[K] } extends infer R extends Shape
  ? [...R]
  : never;

/**
 * The count mismatch message. With every dim literal it gives the full element counts;
 * otherwise the counts left once the shared dims cancel. Hole is "-1" for a failed inference.
 */
type CountMessage<S extends Shape, T extends Shape, Rest extends Shape, PS extends Dim, PR extends Dim, Hole extends string> = [
  AllLiteral<S>,
  AllLiteral<Rest>,
] extends [true, true]
  ? [Product<S>, Product<Rest>] extends [infer FS extends number, infer FR extends number]
    ? Hole extends "-1"
      ? `reshape: cannot reshape ${ShowShape<S>} (${FS} elements) into ${ShowShape<T>}: ${FS} is not divisible by ${FR}`
      : `reshape: cannot reshape ${ShowShape<S>} (${FS} elements) into ${ShowShape<T>} (${FR} elements)`
    : never
  : Hole extends "-1"
    ? `reshape: cannot reshape ${ShowShape<S>} into ${ShowShape<T>}: ${PS & number} is not divisible by ${PR & number} (once shared dims cancel)`
    : `reshape: cannot reshape ${ShowShape<S>} into ${ShowShape<T>}: ${PS & number} vs ${PR & number} elements once shared dims cancel`;

/**
 * Named dims in a reshape target must sit at the same index as in the input: at run time a
 * name is resolved to the input's size at that index. `unknown` when they do, else the error.
 * @example NamedDimsAligned<["batch", 7, 7, 64], ["batch", -1]>  // unknown (no error)
 */
export type NamedDimsAligned<S extends Shape, T extends Shape> =
  IsAny<S> extends true ? unknown : IsTuple<S> extends false ? unknown : AlignedFrom<S, T, S>;
type AlignedFrom<S extends Shape, T extends Shape, FS extends Shape, I extends unknown[] = []> = T extends readonly [
  infer t extends Dim,
  ...infer TR extends Dim[],
]
  ? t extends string
    ? S extends readonly [infer s extends Dim, ...infer SR extends Dim[]]
      ? [s] extends [t]
        ? [t] extends [s]
          ? AlignedFrom<SR, TR, FS, [...I, 0]>
          : ShapeError<Misaligned<t, I["length"], FS>>
        : ShapeError<Misaligned<t, I["length"], FS>>
      : ShapeError<Misaligned<t, I["length"], FS>>
    : AlignedFrom<S extends readonly [Dim, ...infer SR extends Dim[]] ? SR : [], TR, FS, [...I, 0]>
  : unknown;
// NOTE: messages are strings wrapped in ShapeError at the use site, so tsc prints the text, not this alias.
type Misaligned<
  Name extends string,
  I extends number,
  S extends Shape,
> = `reshape: named dim ${Name} at index ${I} of the target must be at index ${I} of the input ${ShowShape<S>}`;

/** The first `N` dims of S (N <= rank). */
type Take<S extends Shape, N extends number, Acc extends Dim[] = []> = Acc["length"] extends N
  ? Acc
  : S extends readonly [infer H extends Dim, ...infer T extends Dim[]]
    ? Take<T, N, [...Acc, H]>
    : Acc;

/**
 * Axes from Start (0..rank-1, negative from the end) to the last folded into one.
 * @example Flatten<["batch", 7, 7, 64], 1>  // ["batch", 3136]
 */
export type Flatten<S extends Shape, Start extends number> =
  IsAny<S> extends true
    ? any
    : IsTuple<S> extends true
      ? S extends readonly []
        ? Start extends 0
          ? [1]
          : ShapeError<`flatten: startAxis ${Start} is out of range for [] (rank 0)`>
        : [NormalizeAxis<S, Start>] extends [infer I extends number]
          ? [I] extends [never]
            ? ShapeError<`flatten: startAxis ${Start} is out of range for ${ShowShape<S>} (rank ${S["length"]})`>
            : Reshape<S, [...Take<S, I>, -1]>
          : never
      : Dim[];

// Reshape, with one inferred (-1) dim.
import type { FloorDiv, Mod, Product } from "./arith.js";
import type { ShapeError, ShowShape } from "./errors.js";
import type { Dim, IsAny, IsLiteral, IsTuple, Shape } from "./shape.js";

/**
 * S reshaped to T. Element counts must match when they can be compared; one -1 in T is
 * inferred as Product(S) / Product(rest of T). Named dims that appear in both S and T
 * cancel, so ["batch", 7, 7, 64] -> ["batch", -1] gives ["batch", 3136]; otherwise a
 * symbolic element count makes the -1 `number` and skips the count check.
 * @example Reshape<[2, 3, 4], [-1, 4]>  // [6, 4]
 */
export type Reshape<S extends Shape, T extends Shape> =
  IsAny<S | T> extends true ? any
  : [IsTuple<S>, IsTuple<T>] extends [true, true] ? ReshapeKnown<S, T, SplitTarget<T>>
  : Dim[];

/** [dims of T other than -1, number of -1s, first invalid dim (negative other than -1) or never]. */
type SplitTarget<T extends Shape, Rest extends Dim[] = [], Holes extends 0[] = [], Bad = never> =
  T extends readonly [infer H extends Dim, ...infer R extends Dim[]]
    ? H extends -1 ? SplitTarget<R, Rest, [...Holes, 0], Bad>
    : `${H}` extends `-${string}` ? SplitTarget<R, Rest, Holes, Bad | H>
    : SplitTarget<R, [...Rest, H], Holes, Bad>
    : [Rest, Holes["length"], Bad];

type ReshapeKnown<S extends Shape, T extends Shape, Split> =
  Split extends [infer Rest extends Dim[], infer Holes extends number, infer Bad]
    ? [Bad] extends [never]
      ? Holes extends 0 | 1
        ? Comparable<S, Rest> extends [infer PS extends Dim, infer PR extends Dim, infer Exact extends boolean]
          ? Holes extends 0
            ? [PS] extends [PR] ? [...T]
              : Exact extends true ? ShapeError<CountMessage<S, T, PS, PR>>
              : ShapeError<SymbolicCountMessage<S, T, PS, PR>>
            : IsLiteral<PS> extends true
              ? PR extends 0 ? ShapeError<`reshape: cannot infer -1 in ${ShowShape<T>}: the other dims have 0 elements`>
              : Mod<PS, PR> extends 0 ? FillHole<T, FloorDiv<PS, PR>>
              : ShapeError<`reshape: cannot reshape ${ShowShape<S>} into ${ShowShape<T>}: ${PS} elements are not divisible by ${PR}`>
              : FillHole<T, number>
          : never
        : ShapeError<`reshape: at most one -1 allowed, got ${ShowShape<T>}`>
      : ShapeError<`reshape: invalid dim ${Bad & number} in ${ShowShape<T>}`>
    : never;

/**
 * [count of S, count of the rest of T, exact] once shared named dims cancel. When something
 * stays symbolic the counts are `number` and never compared.
 */
type Comparable<S extends Shape, Rest extends Shape> =
  [Product<S>, Product<Rest>] extends [infer PS extends Dim, infer PR extends Dim]
    ? IsLiteral<PS> extends true
      ? IsLiteral<PR> extends true ? [PS, PR, true] : [number, number, false]
      : Cancel<Symbols<S>, Symbols<Rest>> extends true
        ? [Literals<S>, Literals<Rest>] extends [infer LS extends Shape, infer LR extends Shape] ? [Product<LS>, Product<LR>, false] : never
        : [number, number, false]
    : [number, number, false];

type Literals<S extends Shape, Acc extends Dim[] = []> =
  S extends readonly [infer H extends Dim, ...infer T extends Dim[]]
    ? Literals<T, IsLiteral<H> extends true ? [...Acc, H] : Acc> : Acc;
type Symbols<S extends Shape, Acc extends Dim[] = []> =
  S extends readonly [infer H extends Dim, ...infer T extends Dim[]]
    ? Symbols<T, IsLiteral<H> extends true ? Acc : [...Acc, H]> : Acc;
/** true when the symbolic dims of both sides are the same named dims (`number` never cancels). */
type Cancel<A, B> =
  B extends [infer H extends string, ...infer BT extends Dim[]]
    ? string extends H ? false : RemoveFirst<A, H> extends infer AR extends Dim[] ? Cancel<AR, BT> : false
    : B extends [] ? (A extends [] ? true : false) : false;
type RemoveFirst<A, X, Acc extends Dim[] = []> =
  A extends [infer H extends Dim, ...infer T extends Dim[]]
    ? [H] extends [X] ? [...Acc, ...T] : RemoveFirst<T, X, [...Acc, H]>
    : false;

type FillHole<T extends Shape, V extends Dim> = { [K in keyof T]: T[K] extends -1 ? V : T[K] } extends infer R extends Shape ? [...R] : never;

type CountMessage<S extends Shape, T extends Shape, PS extends Dim, PR extends Dim> =
  `reshape: cannot reshape ${ShowShape<S>} (${PS & number} elements) into ${ShowShape<T>} (${PR & number} elements)`;
type SymbolicCountMessage<S extends Shape, T extends Shape, PS extends Dim, PR extends Dim> =
  `reshape: cannot reshape ${ShowShape<S>} into ${ShowShape<T>} (${PS & number} vs ${PR & number} elements besides the shared named dims)`;

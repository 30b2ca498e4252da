// Dims, shapes and the small tuple helpers every shape operator shares.

/** A dim: a number literal (exact), `number` (unknown), or a named symbolic dim such as "batch". */
export type Dim = number | string;
/** A shape: a tuple of dims. `Dim[]` (not a tuple) means the rank is unknown. */
export type Shape = readonly Dim[];
/** The runtime view of a shape: literal dims stay, symbolic dims are numbers. */
export type RuntimeShape<S extends Shape> = { readonly [K in keyof S]: S[K] extends number ? S[K] : number };

/** S with each named dim widened to "that name or any size": how a tensor type matches a named-dim parameter. */
export type NamedAcceptsSize<S extends Shape> = { readonly [K in keyof S]: S[K] extends string ? S[K] | number : S[K] };

/** true for `any`. Ops return `any` for an `any` input, so a chain reports one error only. */
export type IsAny<T> = 0 extends 1 & T ? true : false;
/** true when the rank of S is known (a tuple, not `Dim[]`). */
export type IsTuple<S extends readonly unknown[]> = number extends S["length"] ? false : true;
/** true for a concrete number dim such as 28 (not `number`, not a named dim). */
export type IsLiteral<D> = D extends number ? (number extends D ? false : true) : false;

/**
 * The dim two dims that must be equal resolve to, or `never` when they cannot be.
 * NOTE: permissive on purpose, because a symbolic dim may hold any size at run time:
 * literal vs symbolic takes the literal (it is more precise), a named dim beats `number`,
 * and two different names give `number` (either could be right).
 */
export type Unify<A extends Dim, B extends Dim> = [A] extends [B] ? ([B] extends [A] ? A : UnifyDistinct<A, B>) : UnifyDistinct<A, B>;
type UnifyDistinct<A extends Dim, B extends Dim> =
  IsLiteral<A> extends true
    ? IsLiteral<B> extends true
      ? never
      : A
    : IsLiteral<B> extends true
      ? B
      : number extends A
        ? B
        : number extends B
          ? A
          : number;

/** true when A and B are different literal dims (a definite mismatch). */
export type LiteralsDiffer<A, B> =
  IsLiteral<A> extends true ? (IsLiteral<B> extends true ? ([A] extends [B] ? false : true) : false) : false;

/** A tuple used as a small counter: its length is the count. */
export type Counter = unknown[];

/**
 * Resolves an axis for a shape of rank `S["length"]`: negative axes count from the end
 * (-1 = last). `never` when out of range or not a literal integer.
 */
export type NormalizeAxis<S extends Shape, A extends number> = `${A}` extends `-${infer P extends number}`
  ? DropEnd<S, P>
  : `${A}` extends keyof S
    ? A
    : never;
type DropEnd<S extends Shape, P extends number, C extends Counter = []> = C["length"] extends P
  ? S["length"]
  : S extends readonly [...infer Init extends Dim[], Dim]
    ? DropEnd<Init, P, [...C, 0]>
    : never;

/** Inserts dim V before index I (I may equal the rank: append). */
export type InsertAt<S extends Shape, I extends number, V extends Dim, Acc extends Dim[] = []> = Acc["length"] extends I
  ? [...Acc, V, ...S]
  : S extends readonly [infer H extends Dim, ...infer T extends Dim[]]
    ? InsertAt<T, I, V, [...Acc, H]>
    : [...Acc, V];

/** [S[:I], S[I], S[I+1:]] for a valid index I. */
export type SplitAt<S extends Shape, I extends number, Acc extends Dim[] = []> = Acc["length"] extends I
  ? S extends readonly [infer H extends Dim, ...infer T extends Dim[]]
    ? [Acc, H, T]
    : never
  : S extends readonly [infer H extends Dim, ...infer T extends Dim[]]
    ? SplitAt<T, I, [...Acc, H]>
    : never;

// NOTE: a conditional type whose check type is a bare type parameter, or a tuple holding one
// (`[S] extends [...]`), stays deferred inside a generic function, so `add(x, 1)` on a
// `Tensor<S>` could neither be checked nor typed. Wrapped in an object type the comparison is
// resolved: with the same type parameter on both sides it is true for every S.
interface Box<T> {
  readonly boxed: T;
}
/** true when A and B are the same type; decided also for generic types (`Same<S, S>` is true inside `<S extends Shape>`). */
export type Same<A, B> = Box<A> extends Box<B> ? (Box<B> extends Box<A> ? true : false) : false;

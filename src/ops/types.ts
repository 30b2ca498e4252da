// Types shared by the typed ops: operands, dtypes, and the few shape rules that only ops need
// (the shape algebra itself lives in typelevel/).
import type {
  Broadcast,
  Check,
  Dim,
  IsAny,
  IsTuple,
  MatMul,
  NormalizeAxis,
  Reshape,
  Shape,
  ShapeError,
  ShowDim,
  ShowShape,
  Unify,
} from "../../typelevel/index.js";
import { Concrete, type AnyTensor, type DType, type Tensor } from "../tensor/index.js";
import { bind, stopGradientP } from "../core/index.js";

export type NumericDType = "float32" | "int32";
/** A tensor or a plain number (a scalar that broadcasts). */
export type Operand<D extends DType = DType> = Tensor<Shape, D> | number;
/** The shape of an operand: a number is a scalar. */
export type ShapeOf<X> = X extends Tensor<infer S, any> ? S : [];
/** The dtype of the first tensor operand (numbers follow the tensor; two numbers are float32). */
export type DTypeOf<X, Y = number> = X extends Tensor<any, infer D> ? D : Y extends Tensor<any, infer D> ? D : "float32";

/** Dtypes of two tensor operands must agree (numbers take the tensor's dtype). */
type DTypeMismatch<X, Y, Op extends string> =
  X extends Tensor<any, infer DX>
    ? Y extends Tensor<any, infer DY>
      ? [DX & DY] extends [never]
        ? ShapeError<`${Op}: dtypes differ (${DX} vs ${DY}); cast one first`>
        : false
      : false
    : false;

/** The output shape of a broadcasting binary op, or the error (dtype first, then shapes). */
export type BinaryShape<X, Y, Op extends string> =
  DTypeMismatch<X, Y, Op> extends infer E ? (E extends ShapeError<string> ? E : Broadcast<ShapeOf<X>, ShapeOf<Y>, Op>) : never;

/** `where(cond, a, b)`: cond broadcast with a (checked on a), then with b (checked on b). */
export type WhereFirst<C extends Shape, X> = Broadcast<C, ShapeOf<X>, "where">;
export type WhereShape<C extends Shape, X, Y> =
  WhereFirst<C, X> extends infer W
    ? W extends ShapeError<string>
      ? any
      : W extends Shape
        ? BinaryShape<Tensor<W, DTypeOf<X, Y>>, Y, "where">
        : any
    : never;
/** Like WhereShape, but `unknown` when the first broadcast already failed (one error per call). */
export type WhereSecondCheck<C extends Shape, X, Y> = WhereFirst<C, X> extends ShapeError<string> ? unknown : Check<WhereShape<C, X, Y>>;

/**
 * vector . vector -> scalar; both rank 1 with equal (or symbolic) length.
 * @example Dot<[3], [3]>  // []
 */
export type Dot<A extends Shape, B extends Shape> =
  IsAny<A | B> extends true
    ? any
    : [A, B] extends [readonly [infer a extends Dim], readonly [infer b extends Dim]]
      ? [Unify<a, b>] extends [never]
        ? ShapeError<`dot: lengths differ (${ShowDim<a>} vs ${ShowDim<b>})`>
        : []
      : [IsTuple<A>, IsTuple<B>] extends [true, true]
        ? ShapeError<`dot expects two vectors, got ${ShowShape<A>} and ${ShowShape<B>}`>
        : [];

/**
 * [..., m, k] x [k] -> [..., m].
 * @example MatVec<["batch", 3, 4], [4]>  // ["batch", 3]
 */
export type MatVec<A extends Shape, V extends Shape> =
  IsAny<A | V> extends true
    ? any
    : [IsTuple<A>, IsTuple<V>] extends [true, true]
      ? V extends readonly [infer k extends Dim]
        ? A extends readonly [...infer Lead extends Dim[], infer m extends Dim, infer ka extends Dim]
          ? [Unify<ka, k>] extends [never]
            ? ShapeError<`matvec: inner dims differ (${ShowDim<ka>} vs ${ShowDim<k>}) for ${ShowShape<A>} x ${ShowShape<V>}`>
            : [...Lead, m]
          : ShapeError<`matvec expects a matrix of rank >= 2 and a vector, got ${ShowShape<A>} and ${ShowShape<V>}`>
        : ShapeError<`matvec expects a matrix of rank >= 2 and a vector, got ${ShowShape<A>} and ${ShowShape<V>}`>
      : Dim[];

/** MatMul is re-exported so every linalg rule is found in one place. */
export type { MatMul };

/**
 * S broadcast up to T: S right-aligned against T, each dim 1 or equal to T's.
 * @example BroadcastTo<[1, 10], [32, 10]>  // [32, 10]
 */
export type BroadcastTo<S extends Shape, T extends Shape> =
  IsAny<S> extends true ? [...T] : [IsTuple<S>, IsTuple<T>] extends [true, true] ? BroadcastToDims<S, T, S, T> : [...T];
type BroadcastToDims<S extends Shape, T extends Shape, FS extends Shape, FT extends Shape> = S extends readonly [
  ...infer SI extends Dim[],
  infer s extends Dim,
]
  ? T extends readonly [...infer TI extends Dim[], infer t extends Dim]
    ? s extends 1
      ? BroadcastToDims<SI, TI, FS, FT>
      : [Unify<s, t>] extends [never]
        ? ShapeError<`broadcastTo: cannot broadcast ${ShowShape<FS>} to ${ShowShape<FT>} (${ShowDim<s>} vs ${ShowDim<t>})`>
        : BroadcastToDims<SI, TI, FS, FT>
    : ShapeError<`broadcastTo: cannot broadcast ${ShowShape<FS>} to ${ShowShape<FT>} (rank ${FS["length"]} > ${FT["length"]})`>
  : [...FT];

/**
 * Named dims in a reshape target must sit at the same index as in the input: at run time a
 * name is resolved to the input's size at that index.
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
export type Take<S extends Shape, N extends number, Acc extends Dim[] = []> = Acc["length"] extends N
  ? Acc
  : S extends readonly [infer H extends Dim, ...infer T extends Dim[]]
    ? Take<T, N, [...Acc, H]>
    : Acc;

/** Runtime-typed helper: every op result passes through this one cast. */
export function typed<T>(x: AnyTensor): T {
  return x as unknown as T;
}

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

/**
 * Every op hands back a tensor its caller owns: where a rule returned an input unchanged
 * (an identity reshape, a full slice, a same-dtype cast), an eager result gets its own handle
 * (sharing the data), so disposing the output never frees the input.
 */
export function owned(out: AnyTensor, ...inputs: unknown[]): AnyTensor {
  return out instanceof Concrete && inputs.includes(out) ? bind(stopGradientP, [out]) : out;
}

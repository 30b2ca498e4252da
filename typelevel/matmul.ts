// Batched matrix product.
/* eslint-disable @typescript-eslint/no-explicit-any -- any in, any out: after an earlier error the chain stays quiet (one error, not a cascade) */
import type { BroadcastShapes, Mismatch } from "./broadcast.js";
import type { ShapeError, ShowDim, ShowShape } from "./errors.js";
import type { Dim, IsAny, IsTuple, LiteralsDiffer, Shape, Unify } from "./shape.js";

/**
 * [..., m, k] x [..., k, n] -> [...broadcast(batch dims), m, n]. Both ranks must be >= 2.
 * Inner dims must agree when both are literal; a symbolic inner dim is accepted.
 * @example MatMul<["batch", 784], [784, 128]>  // ["batch", 128]
 */
export type MatMul<A extends Shape, B extends Shape> =
  IsAny<A | B> extends true ? any : [IsTuple<A>, IsTuple<B>] extends [true, true] ? MatMulKnown<A, B> : Dim[];

type MatMulKnown<A extends Shape, B extends Shape> = A extends readonly [
  ...infer AB extends Dim[],
  infer m extends Dim,
  infer k extends Dim,
]
  ? B extends readonly [...infer BB extends Dim[], infer k2 extends Dim, infer n extends Dim]
    ? LiteralsDiffer<k, k2> extends true
      ? ShapeError<`matmul: inner dims differ (${ShowDim<k>} vs ${ShowDim<k2>})`>
      : BroadcastShapes<AB, BB> extends infer batch
        ? batch extends Mismatch<infer a, infer b, infer axis>
          ? ShapeError<`matmul: batch dims of ${ShowShape<A>} and ${ShowShape<B>} do not broadcast (${ShowDim<a>} vs ${ShowDim<b>} at batch axis -${axis})`>
          : batch extends Dim[]
            ? [...batch, m, n]
            : never
        : never
    : ShapeError<RankMessage<A, B>>
  : ShapeError<RankMessage<A, B>>;
type RankMessage<A extends Shape, B extends Shape> = `matmul expects two tensors of rank >= 2, got ${ShowShape<A>} and ${ShowShape<B>}`;

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

// Batched matrix product.
import type { BroadcastShapes, Mismatch } from "./broadcast.js";
import type { ShapeError, ShowDim, ShowShape } from "./errors.js";
import type { Dim, IsAny, IsTuple, LiteralsDiffer, Shape } from "./shape.js";

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

// numpy broadcasting, right-aligned.
/* eslint-disable @typescript-eslint/no-explicit-any -- any in, any out: after an earlier error the chain stays quiet (one error, not a cascade) */
import type { ShapeError, ShowDim, ShowShape } from "./errors.js";
import type { Counter, Dim, IsAny, IsTuple, Shape, Unify } from "./shape.js";

/**
 * The broadcast shape of A and B (numpy rules, dims aligned from the right): a 1 takes the
 * other dim, equal dims stay, two different literals (neither 1) are an error. A symbolic
 * dim against a literal other than 1 takes the literal (the run-time check decides);
 * against a literal 1 it stays symbolic. `Op` names the op in the message.
 * @example Broadcast<["batch", 1, 3], [4, 1]>  // ["batch", 4, 3]
 */
// NOTE: `Extract<R, Shape>` (R itself for a shape) rather than `R`: over a generic shape this rule
// stays unresolved, and tsc reads its success branch as a shape only in this form, which lets
// `CheckedShape` accept the argument in a generic helper (src/ops/types.ts BinaryArg).
export type Broadcast<A extends Shape, B extends Shape, Op extends string = "broadcast"> =
  IsAny<A | B> extends true
    ? any
    : [IsTuple<A>, IsTuple<B>] extends [true, true]
      ? BroadcastShapes<A, B> extends infer R
        ? R extends Mismatch<infer a, infer b, infer axis>
          ? ShapeError<`${Op}: shapes ${ShowShape<A>} and ${ShowShape<B>} do not broadcast (${ShowDim<a>} vs ${ShowDim<b>} at axis -${axis})`>
          : Extract<R, Shape>
        : never
      : Dim[];

/** A failed pair of dims, `Axis` counted from the right (1 = last). */
export interface Mismatch<A, B, Axis extends number> {
  readonly __mismatch: [A, B, Axis];
}

/** The dim two dims broadcast to, or `never` for a definite mismatch. */
export type BroadcastDim<A extends Dim, B extends Dim> = [A] extends [B]
  ? [B] extends [A]
    ? A
    : BroadcastDistinct<A, B>
  : BroadcastDistinct<A, B>;
type BroadcastDistinct<A extends Dim, B extends Dim> = A extends 1 ? B : B extends 1 ? A : Unify<A, B>;

/** The broadcast of two known-rank shapes, or a Mismatch (ops word their own message). */
export type BroadcastShapes<A extends Shape, B extends Shape, Acc extends Dim[] = [], Axis extends Counter = [0]> = A extends readonly [
  ...infer AI extends Dim[],
  infer a extends Dim,
]
  ? B extends readonly [...infer BI extends Dim[], infer b extends Dim]
    ? [BroadcastDim<a, b>] extends [infer d extends Dim]
      ? [d] extends [never]
        ? Mismatch<a, b, Axis["length"]>
        : BroadcastShapes<AI, BI, [d, ...Acc], [...Axis, 0]>
      : never
    : [...A, ...Acc]
  : [...B, ...Acc];

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

// Shape rules for losses (type level) and the matching run-time checks.
import type { Dim, IsAny, IsTuple, Shape, ShapeError, ShowShape, Unify } from "../../typelevel/index.js";
import {
  expectTensor,
  formatShape,
  sameShape,
  type AnyTensor,
  type Tensor,
  DTypeError,
  ValueError,
  ShapeError as ShapeErrorClass,
} from "../tensor/index.js";
export { expectTensor, sameShape };

/** How per-example losses become the result: their mean (default), their sum, or all of them. */
export type Reduction = "mean" | "sum" | "none";

/** The option every loss takes: `mse(p, y, { reduction: "none" })` gives one loss per example. */
export interface LossOptions<R extends Reduction = Reduction> {
  /** "mean" (default) and "sum" give a scalar; "none" gives one loss per example, shape [batch]. */
  reduction?: R;
}

/**
 * What a stock loss declares about its targets (the type of a phantom `__lossRule` property, never
 * set): `"sparse"` losses take int32 class ids shaped like the predictions without their last axis,
 * `"same"` losses take float32 targets shaped like the predictions. `train.fit` reads it to name the
 * loss and both shapes when a model, a data set and a loss do not go together.
 */
export interface LossRule<Kind extends "sparse" | "same" = "sparse" | "same", Op extends string = string> {
  /** How the targets relate to the predictions. */
  kind: Kind;
  /** The loss's name, for messages. */
  op: Op;
}

/** The batch dim (axis 0) of S. */
export type BatchDim<S extends Shape> = S extends readonly [infer B extends Dim, ...Dim[]] ? B : number;

/** A loss's result: a scalar, or one value per example with reduction "none". */
export type LossOut<S extends Shape, R extends Reduction> = R extends "none" ? Tensor<[BatchDim<S>]> : Tensor<[]>;

type DimsUnify<A extends Shape, B extends Shape> = A extends readonly [infer a extends Dim, ...infer AR extends Dim[]]
  ? B extends readonly [infer b extends Dim, ...infer BR extends Dim[]]
    ? [Unify<a, b>] extends [never]
      ? false
      : DimsUnify<AR, BR>
    : false
  : B extends readonly []
    ? true
    : false;

/**
 * A when B can be the same shape (symbolic dims match anything, and so does an `any` shape), else
 * an error naming the op.
 * @example SameShape<["batch", 10], [32, 10], "mse">   // ["batch", 10]
 */
export type SameShape<A extends Shape, B extends Shape, Op extends string> =
  IsAny<A | B> extends true
    ? A
    : [IsTuple<A>, IsTuple<B>] extends [true, true]
      ? DimsUnify<A, B> extends true
        ? A
        : ShapeError<`${Op}: predictions ${ShowShape<A>} and targets ${ShowShape<B>} must have the same shape`>
      : A;

/**
 * Integer labels for logits of shape L: L without its last (class) axis (I itself when either is `any`).
 * @example SparseLabels<["batch", 10], ["batch"], "op">   // ["batch"]
 */
export type SparseLabels<L extends Shape, I extends Shape, Op extends string> =
  IsAny<L | I> extends true
    ? I
    : [IsTuple<L>, IsTuple<I>] extends [true, true]
      ? L extends readonly [...infer Lead extends Dim[], Dim]
        ? DimsUnify<Lead, I> extends true
          ? I
          : ShapeError<`${Op}: labels ${ShowShape<I>} must have the logits' shape without the class axis, ${ShowShape<Lead>}`>
        : ShapeError<`${Op}: logits need a class axis, got ${ShowShape<L>}`>
      : I;

// ---------------------------------------------------------------- run-time checks

export function expectFloat(op: string, x: AnyTensor, what: string): void {
  if (x.dtype !== "float32")
    throw new DTypeError({ op: op, expected: "float32", got: x.dtype }, `${op}: ${what} must be float32, got ${x.dtype}`);
}

export function expectBatch(op: string, x: AnyTensor, what: string): void {
  if (x.rank < 1)
    throw new ShapeErrorClass(
      { op: op, expected: "a batch axis (rank >= 1)", got: "shape []" },
      `${op}: ${what} need a batch axis (rank >= 1), got shape []`,
    );
}

/** The checks every (predictions, targets) loss starts with. */
export function checkPair(op: string, predictions: unknown, targets: unknown): asserts predictions is AnyTensor {
  expectTensor(op, predictions, "predictions");
  expectTensor(op, targets, "targets");
  expectFloat(op, predictions, "predictions");
  expectFloat(op, targets, "targets");
  expectBatch(op, predictions, "predictions");
  const p = predictions.shape,
    t = targets.shape;
  if (!sameShape(p, t))
    throw new ShapeErrorClass(
      { op: op, expected: formatShape(p), got: formatShape(t) },
      `${op}: predictions ${formatShape(p)} and targets ${formatShape(t)} must have the same shape`,
    );
}

export function checkReduction(op: string, r: unknown): Reduction {
  if (r === undefined) return "mean";
  if (r !== "mean" && r !== "sum" && r !== "none")
    throw new ValueError(
      { op: op, expected: '"mean", "sum" or "none"', got: String(JSON.stringify(r)) },
      `${op}: reduction must be "mean", "sum" or "none", got ${JSON.stringify(r)}`,
    );
  return r;
}

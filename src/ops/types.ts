// Types shared by the typed ops: operands, dtypes, and the operand rules of binary ops and
// `where`. Types only: the shape algebra lives in typelevel/, the runtime helpers in result.ts.
import type { Broadcast, Checked, CheckedShape, IsAny, Out, Same, Shape, ShapeError } from "../../typelevel/index.js";
import type { DType, Tensor } from "../tensor/index.js";

/** The dtypes arithmetic accepts: `"float32"` and `"int32"` (not `"bool"`; `cast` a mask first). */
export type NumericDType = "float32" | "int32";
/** A tensor or a plain number (a scalar that broadcasts). */
export type Operand<D extends DType = DType> = Tensor<Shape, D> | number;
/** The shape of an operand: a number is a scalar. */
export type ShapeOf<X> = X extends Tensor<infer S, infer _D> ? S : [];
/** The dtype of the first tensor operand (numbers follow the tensor; two numbers are float32). */
// NOTE: `Tensor<infer _, ...>`, not `Tensor<Shape, ...>`: a generic `Tensor<S>` is not provably a `Tensor<Shape>` inside a conditional.
export type DTypeOf<X, Y = number> = X extends Tensor<infer _S, infer D> ? D : Y extends Tensor<infer _S, infer D> ? D : "float32";

/** How a dtype list reads in messages: `float32`, `float32 or int32`. */
type ShowDTypes<D extends DType> = [D] extends ["float32"] ? "float32" : [D] extends ["int32"] ? "int32" : "float32 or int32";

/**
 * `unknown` when dtype D is one the op accepts, else an error naming the op and suggesting
 * `cast` (`mean: expects a float32 tensor, got bool; cast it first: cast(x, "float32")`).
 */
export type DTypeRule<D extends DType, Allowed extends DType, Op extends string, What extends string = "x"> = [D] extends [Allowed]
  ? unknown
  : ShapeError<`${Op}: expects ${[Allowed] extends ["int32"] ? "an int32" : `a ${ShowDTypes<Allowed>}`} tensor for ${What}, got ${D}; cast it first: cast(${What}, "${[Allowed] extends ["int32"] ? "int32" : "float32"}")`>;

/** Dtypes of two tensor operands must agree (numbers take the tensor's dtype). */
type DTypeMismatch<X, Y, Op extends string> =
  X extends Tensor<infer _SX, infer DX>
    ? Y extends Tensor<infer _SY, infer DY>
      ? [DX & DY] extends [never]
        ? ShapeError<`${Op}: dtypes differ (${DX} vs ${DY}); cast one first`>
        : false
      : false
    : false;

/** The output shape of a broadcasting binary op, or the error (dtype first, then shapes). */
export type BinaryShape<X, Y, Op extends string> =
  DTypeMismatch<X, Y, Op> extends infer E ? (E extends ShapeError<string> ? E : Broadcast<ShapeOf<X>, ShapeOf<Y>, Op>) : never;

// NOTE: the fast paths (a number operand, or two operands of one type) come first and never look
// inside a shape, so they resolve for a generic `Tensor<S>`: `mul(x, 0.1)`, `add(x, x)` and
// `greater(x, 0)` type as `Tensor<S>` in `<S extends Shape>(x: Tensor<S>) => ...`. Other generic
// combinations stay deferred (the broadcasting rule needs the dims). Each fast path is its own
// branch returning the final type: a second conditional over a resolved `S` would defer again.

/** The result shape of a binary op (`any` after an earlier error). */
export type BinaryOut<X, Y, Op extends string> =
  IsAny<X | Y> extends true
    ? Out<BinaryShape<X, Y, Op>>
    : Y extends number
      ? ShapeOf<X>
      : X extends number
        ? ShapeOf<Y>
        : Same<X, Y> extends true
          ? ShapeOf<X>
          : Out<BinaryShape<X, Y, Op>>;
/** The parameter type of a binary op's second operand: Y itself, or the error (see `Checked`). */
export type BinaryArg<X, Y, Op extends string> =
  IsAny<X | Y> extends true
    ? Y
    : Y extends number
      ? Y
      : X extends number
        ? Y
        : Same<X, Y> extends true
          ? Y
          : DTypeMismatch<X, Y, Op> extends infer E extends ShapeError<string>
            ? E
            : CheckedShape<Y, Broadcast<ShapeOf<X>, ShapeOf<Y>, Op>>;

/** `where(cond, a, b)`: cond broadcast with a (checked on a), then with b (checked on b). */
export type WhereFirst<C extends Shape, X> = Broadcast<C, ShapeOf<X>, "where">;
/** After a failed first broadcast the shape is `any`: the error is already on `a`, so the chain reports once. */
export type WhereShape<C extends Shape, X, Y> =
  WhereFirst<C, X> extends infer W
    ? W extends Shape
      ? BinaryShape<Tensor<W, DTypeOf<X, Y>>, Y, "where">
      : // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the error was reported on `a`; `any` keeps the rest of the chain quiet
        any
    : never;
/** true when `a` needs no broadcasting against cond (a number, or a tensor of cond's shape, also generic). */
type WhereFastA<C extends Shape, X> = X extends number ? true : Same<C, ShapeOf<X>>;
/** true when `b` needs no rule: a number, a tensor of cond's shape next to a number `a`, or the same type as `a`. */
type WhereFastB<C extends Shape, X, Y> = Y extends number ? true : X extends number ? Same<C, ShapeOf<Y>> : Same<X, Y>;
/** The parameter type of `where`'s `a`. */
export type WhereArgA<C extends Shape, X> = WhereFastA<C, X> extends true ? X : CheckedShape<X, WhereFirst<C, X>>;
/** The parameter type of `where`'s `b` (no second error when `a` already failed). */
export type WhereArgB<C extends Shape, X, Y> =
  WhereFastA<C, X> extends true
    ? WhereFastB<C, X, Y> extends true
      ? Y
      : Checked<Y, WhereShape<C, X, Y>>
    : WhereFirst<C, X> extends ShapeError<string>
      ? Y
      : Checked<Y, WhereShape<C, X, Y>>;
/** The result shape of `where`. */
export type WhereOut<C extends Shape, X, Y> =
  WhereFastA<C, X> extends true ? (WhereFastB<C, X, Y> extends true ? C : Out<WhereShape<C, X, Y>>) : Out<WhereShape<C, X, Y>>;

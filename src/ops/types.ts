// Types shared by the typed ops: operands, dtypes, and the operand rules of binary ops and
// `where`. Types only: the shape algebra lives in typelevel/, the runtime helpers in result.ts.
import type { Broadcast, Check, Shape, ShapeError } from "../../typelevel/index.js";
import type { DType, Tensor } from "../tensor/index.js";

/** The dtypes arithmetic accepts: `"float32"` and `"int32"` (not `"bool"`; `cast` a mask first). */
export type NumericDType = "float32" | "int32";
/** A tensor or a plain number (a scalar that broadcasts). */
export type Operand<D extends DType = DType> = Tensor<Shape, D> | number;
/** The shape of an operand: a number is a scalar. */
export type ShapeOf<X> = X extends Tensor<infer S, DType> ? S : [];
/** The dtype of the first tensor operand (numbers follow the tensor; two numbers are float32). */
export type DTypeOf<X, Y = number> = X extends Tensor<Shape, infer D> ? D : Y extends Tensor<Shape, infer D> ? D : "float32";

/** Dtypes of two tensor operands must agree (numbers take the tensor's dtype). */
type DTypeMismatch<X, Y, Op extends string> =
  X extends Tensor<Shape, infer DX>
    ? Y extends Tensor<Shape, infer DY>
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
/** After a failed first broadcast the shape is `any`: the error is already on `a`, so the chain reports once. */
export type WhereShape<C extends Shape, X, Y> =
  WhereFirst<C, X> extends infer W
    ? W extends Shape
      ? BinaryShape<Tensor<W, DTypeOf<X, Y>>, Y, "where">
      : // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the error was reported on `a`; `any` keeps the rest of the chain quiet
        any
    : never;
/** Like WhereShape, but `unknown` when the first broadcast already failed (one error per call). */
export type WhereSecondCheck<C extends Shape, X, Y> = WhereFirst<C, X> extends ShapeError<string> ? unknown : Check<WhereShape<C, X, Y>>;

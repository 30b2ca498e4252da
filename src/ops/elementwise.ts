// Elementwise ops: unary maths, binary ops with numpy broadcasting, comparisons, where, cast.
// Each is one primitive (src/core/primitives/elementwise.ts); the types carry shape and dtype.
import type { Shape } from "../../typelevel/index.js";
import { expectOperand, expectTensor, type AnyTensor, type DType, type Tensor, DTypeError, ValueError } from "../tensor/index.js";
import * as P from "../core/index.js";
import { tidy } from "./tidy.js";
import { owned, typed } from "./result.js";
import {
  type BinaryArg,
  type BinaryOut,
  type DTypeOf,
  type NumericDType,
  type Operand,
  type WhereArgA,
  type WhereArgB,
  type WhereOut,
} from "./types.js";

// ---------------------------------------------------------------- unary

function unaryFloat(name: string, f: (x: AnyTensor) => AnyTensor) {
  return <S extends Shape>(x: Tensor<S, "float32">): Tensor<S, "float32"> => {
    expectTensor(name, x);
    return typed(f(x));
  };
}

function unaryNumeric(name: string, f: (x: AnyTensor) => AnyTensor) {
  return <S extends Shape, D extends NumericDType>(x: Tensor<S, D>): Tensor<S, D> => {
    expectTensor(name, x);
    return typed(f(x));
  };
}

/** -x (float32 or int32). `neg(tensor([1, -2], [2]))` gives `[-1, 2]`. */
export const neg = unaryNumeric("neg", P.neg);
/** |x| (float32 or int32). `abs(tensor([-1, 2], [2]))` gives `[1, 2]`. */
export const abs = unaryNumeric("abs", P.abs);
/** -1, 0 or 1 by the sign of x; its derivative is zero. `sign(tensor([-3, 0, 2], [3]))` gives `[-1, 0, 1]`. */
export const sign = unaryNumeric("sign", P.sign);
/** x * x. `square(tensor([3], [1]))` gives `[9]`. */
export const square = unaryNumeric("square", P.square);

/** e^x. `exp(zeros([2]))` gives `[1, 1]`. */
export const exp = unaryFloat("exp", P.exp);
/** e^x - 1, accurate near 0. `expm1(scalar(1e-7))` is `1e-7`, not 0. */
export const expm1 = unaryFloat("expm1", P.expm1);
/** Natural log. `log(scalar(Math.E))` is 1. */
export const log = unaryFloat("log", P.log);
/** log(1 + x), accurate near 0. `log1p(scalar(1e-7))` is `1e-7`. */
export const log1p = unaryFloat("log1p", P.log1p);
/** Square root. `sqrt(tensor([4, 9], [2]))` gives `[2, 3]`. */
export const sqrt = unaryFloat("sqrt", P.sqrt);
/** 1 / sqrt(x). `rsqrt(scalar(4))` is 0.5. */
export const rsqrt = unaryFloat("rsqrt", P.rsqrt);
/** Round down; derivative zero. `floor(scalar(1.7))` is 1. */
export const floor = unaryFloat("floor", P.floor);
/** Round up; derivative zero. `ceil(scalar(1.2))` is 2. */
export const ceil = unaryFloat("ceil", P.ceil);
/** Round to nearest, ties to even (tfjs); derivative zero. `round(scalar(2.5))` is 2. */
export const round = unaryFloat("round", P.round);
/** Sine. `sin(scalar(Math.PI / 2))` is 1. */
export const sin = unaryFloat("sin", P.sin);
/** Cosine. `cos(scalar(0))` is 1. */
export const cos = unaryFloat("cos", P.cos);
/** Hyperbolic tangent. `tanh(scalar(0))` is 0. */
export const tanh = unaryFloat("tanh", P.tanh);
/** 1 / (1 + e^-x). `sigmoid(scalar(0))` is 0.5. */
export const sigmoid = unaryFloat("sigmoid", P.sigmoid);
/** max(x, 0); derivative 0 at x <= 0. `relu(tensor([-1, 2], [2]))` gives `[0, 2]`. */
export const relu = unaryFloat("relu", P.relu);
/** log(1 + e^x), computed stably for large |x|. `softplus(scalar(0))` is log 2. */
export const softplus = unaryFloat("softplus", P.softplus);
/** The error function. `erf(scalar(0))` is 0. */
export const erf = unaryFloat("erf", P.erf);
/** 1 / x. `reciprocal(tensor([2, 4], [2]))` gives `[0.5, 0.25]`. */
export const reciprocal = unaryFloat("reciprocal", (x) => tidy(() => P.reciprocal(x)));

// ---------------------------------------------------------------- binary, broadcasting

/** Binds a binary primitive; a number operand becomes a constant freed right after (eagerly). */
function binary(name: string, f: (a: AnyTensor | number, b: AnyTensor | number) => AnyTensor, a: unknown, b: unknown): AnyTensor {
  expectOperand(name, a, "the first argument");
  expectOperand(name, b, "the second argument");
  return typeof a === "number" || typeof b === "number" ? tidy(() => f(a, b)) : f(a, b);
}

/**
 * A broadcasting op that keeps its operands' dtype (`Op` names it in type errors; the second
 * argument carries them). `Allowed` is the operand dtype the op accepts.
 */
function arithmetic<const Op extends string, Allowed extends NumericDType = NumericDType>(
  op: Op,
  f: (a: AnyTensor | number, b: AnyTensor | number) => AnyTensor,
) {
  return <X extends Operand<Allowed>, Y extends Operand<Allowed>>(
    a: X,
    b: BinaryArg<X, Y, Op>,
  ): Tensor<BinaryOut<X, Y, Op>, DTypeOf<X, Y>> => typed(binary(op, f, a, b));
}

/** A broadcasting comparison: any dtype in (both the same), bool out. */
function comparison<const Op extends string>(op: Op, f: (a: AnyTensor | number, b: AnyTensor | number) => AnyTensor) {
  return <X extends Operand, Y extends Operand>(a: X, b: BinaryArg<X, Y, Op>): Tensor<BinaryOut<X, Y, Op>, "bool"> =>
    typed(binary(op, f, a, b));
}

/**
 * a + b with numpy broadcasting; numbers broadcast as scalars. The second argument's type
 * carries the error when the shapes cannot broadcast.
 * ```ts
 * add(tensor([1, 2, 3, 4, 5, 6], [2, 3]), tensor([10, 20, 30], [3]));   // Tensor<[2, 3]>
 * add(x, 1);
 * ```
 */
export const add = arithmetic("add", P.add);
/** a - b with broadcasting. `sub(x, mean(x, -1, { keepDims: true }))` centres each row. */
export const sub = arithmetic("sub", P.sub);
/** a * b with broadcasting. `mul(x, 2)` doubles x. */
export const mul = arithmetic("mul", P.mul);
/** a / b with broadcasting; int32 tensors divide with floor. `div(x, sum(x))` normalises. */
export const div = arithmetic("div", P.div);
/** a ** b (float32). The gradient in b is 0 where a <= 0 rather than NaN. `pow(x, 3)`. */
export const pow = arithmetic<"pow", "float32">("pow", P.pow);
/** Elementwise max; ties send the gradient to a. `maximum(x, 0)` is relu. */
export const maximum = arithmetic("maximum", P.maximum);
/** Elementwise min; ties send the gradient to a. `minimum(x, 6)`. */
export const minimum = arithmetic("minimum", P.minimum);

/** a > b as a bool tensor. `where(greater(x, 0), x, 0)`. */
export const greater = comparison("greater", P.greater);
/** a >= b as a bool tensor, with broadcasting. `greaterEqual(scores, 0.5)` thresholds. */
export const greaterEqual = comparison("greaterEqual", P.greaterEqual);
/** a < b as a bool tensor, with broadcasting. `less(tensor([1, 5], [2]), 3)` gives `[true, false]`. */
export const less = comparison("less", P.less);
/** a <= b as a bool tensor, with broadcasting. */
export const lessEqual = comparison("lessEqual", P.lessEqual);
/** a == b as a bool tensor. `mean(cast(equal(argmax(logits), labels), "float32"))` is accuracy. */
export const equal = comparison("equal", P.equal);
/** a != b as a bool tensor, with broadcasting. `notEqual(labels, 0)` masks padding ids. */
export const notEqual = comparison("notEqual", P.notEqual);

// ---------------------------------------------------------------- where, cast, clip, stopGradient

/**
 * a where cond is true, else b; all three broadcast together. The gradient flows to the
 * chosen side only.
 * ```ts
 * where(greater(x, 0), x, mul(x, 0.01));   // leaky relu
 * ```
 */
export function where<C extends Shape, X extends Operand, Y extends Operand>(
  cond: Tensor<C, "bool">,
  a: WhereArgA<C, X>,
  b: WhereArgB<C, X, Y>,
): Tensor<WhereOut<C, X, Y>, DTypeOf<X, Y>> {
  expectTensor("where", cond, "cond");
  expectOperand("where", a, "a");
  expectOperand("where", b, "b");
  const run = () => P.where(cond, a, b);
  return typed(typeof a === "number" || typeof b === "number" ? tidy(run) : run());
}

/**
 * x converted to `dtype`. float32 -> int32 truncates toward zero; anything -> bool is `x != 0`.
 * Only float32 -> float32 carries a gradient.
 * ```ts
 * cast(greater(x, 0), "float32");   // 0/1 mask
 * ```
 */
export function cast<S extends Shape, D extends DType, const T extends DType>(x: Tensor<S, D>, dtype: T): Tensor<S, T> {
  expectTensor("cast", x);
  if (dtype !== "float32" && dtype !== "int32" && dtype !== "bool") {
    throw new DTypeError(
      { op: "cast", expected: '"float32", "int32" or "bool"', got: String(JSON.stringify(dtype)) },
      `cast: dtype must be "float32", "int32" or "bool", got ${JSON.stringify(dtype)}`,
    );
  }
  return typed(owned(P.cast(x, dtype), x));
}

/**
 * x limited to [lo, hi]: `minimum(maximum(x, lo), hi)`. The gradient is 1 inside (and at the
 * bounds), 0 outside.
 * ```ts
 * clip(grads, -1, 1);
 * ```
 */
export function clip<S extends Shape, D extends NumericDType>(x: Tensor<S, D>, lo: number, hi: number): Tensor<S, D> {
  expectTensor("clip", x);
  if (typeof lo !== "number" || typeof hi !== "number" || Number.isNaN(lo) || Number.isNaN(hi)) {
    throw new ValueError(
      { op: "clip", expected: "numbers lo and hi", got: `${String(lo)} and ${String(hi)}` },
      `clip: lo and hi must be numbers, got ${String(lo)} and ${String(hi)}`,
    );
  }
  if (lo > hi)
    throw new ValueError(
      { op: "clip", expected: "lo <= hi", got: `lo ${lo} and hi ${hi}` },
      `clip: lo must be <= hi, got lo ${lo} and hi ${hi}`,
    );
  return typed(tidy(() => P.minimum(P.maximum(x, lo), hi)));
}

/**
 * The value of x, treated as a constant by every derivative.
 * ```ts
 * grad((x: Tensor<[]>) => mul(x, stopGradient(x)))(scalar(3));   // 3, not 6
 * ```
 */
export function stopGradient<S extends Shape, D extends DType>(x: Tensor<S, D>): Tensor<S, D> {
  expectTensor("stopGradient", x);
  return typed(owned(P.stopGradient(x), x));
}

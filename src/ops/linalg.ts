// Matrix products: matmul (2-D and batched), dot (vector . vector), matvec (matrix . vector).
import type { Checked, Dot, MatMul, MatVec, Out, Shape, ShapeError as ShapeErrorType } from "../../typelevel/index.js";
import { formatShape, type DType, type Tensor, ShapeError } from "../tensor/index.js";
import { matmul as matmulCore, reshape as reshapeCore } from "../core/index.js";
import { expectTensor } from "../tensor/index.js";
import { tidy } from "./tidy.js";
import { typed } from "./result.js";
import type { DTypeRule, NumericDType } from "./types.js";

/** Rule R, unless the dtypes of the two operands differ (then an error naming the op). */
type SameDType<DA extends DType, DB extends DType, Op extends string, R> = [DA] extends [DB]
  ? [DB] extends [DA]
    ? R
    : ShapeErrorType<`${Op}: dtypes differ (${DA} vs ${DB}); cast one first`>
  : ShapeErrorType<`${Op}: dtypes differ (${DA} vs ${DB}); cast one first`>;

/**
 * Matrix product over the last two axes: [..., m, k] x [..., k, n] -> [..., m, n]; the batch
 * axes broadcast. A rank-2 right side with a batched left side runs as one big product.
 * ```ts
 * const h = matmul(x, w);   // Tensor<["batch", 784]> x Tensor<[784, 128]> -> Tensor<["batch", 128]>
 * ```
 */
export function matmul<A extends Shape, B extends Shape, D extends DType, D2 extends DType>(
  a: Checked<Tensor<A, D>, DTypeRule<D, NumericDType, "matmul", "a">>,
  b: Checked<Tensor<B, D2>, SameDType<D, D2, "matmul", MatMul<A, B>>>,
): Tensor<Out<MatMul<A, B>>, D> {
  expectTensor("matmul", a, "a");
  expectTensor("matmul", b, "b");
  return typed(matmulCore(a, b));
}

/**
 * Inner product of two vectors of equal length: a scalar.
 * ```ts
 * dot(tensor([1, 2, 3], [3]), tensor([4, 5, 6], [3]));   // 32
 * ```
 */
export function dot<A extends Shape, B extends Shape, D extends DType, D2 extends DType>(
  a: Checked<Tensor<A, D>, DTypeRule<D, NumericDType, "dot", "a">>,
  b: Checked<Tensor<B, D2>, SameDType<D, D2, "dot", Dot<A, B>>>,
): Tensor<Out<Dot<A, B>>, D> {
  expectTensor("dot", a, "a");
  expectTensor("dot", b, "b");
  const [sa, sb] = [a.shape as readonly number[], b.shape as readonly number[]];
  if (sa.length !== 1 || sb.length !== 1)
    throw new ShapeError(
      { op: "dot", expected: "two vectors", got: `${formatShape(sa)} and ${formatShape(sb)}` },
      `dot expects two vectors, got ${formatShape(sa)} and ${formatShape(sb)}`,
    );
  if (sa[0] !== sb[0])
    throw new ShapeError(
      { op: "dot", expected: `a vector of length ${sa[0]}`, got: `length ${sb[0]}` },
      `dot: lengths differ (${sa[0]} vs ${sb[0]})`,
    );
  // NOTE: as a [1, k] x [k, 1] product it reaches the fast matmul kernel.
  return typed(tidy(() => reshapeCore(matmulCore(reshapeCore(a, [1, sa[0]]), reshapeCore(b, [sb[0], 1])), [])));
}

/**
 * Matrix times vector: [..., m, k] x [k] -> [..., m].
 * ```ts
 * matvec(w, v);   // Tensor<[10, 784]> x Tensor<[784]> -> Tensor<[10]>
 * ```
 */
export function matvec<A extends Shape, V extends Shape, D extends DType, D2 extends DType>(
  a: Checked<Tensor<A, D>, DTypeRule<D, NumericDType, "matvec", "a">>,
  v: Checked<Tensor<V, D2>, SameDType<D, D2, "matvec", MatVec<A, V>>>,
): Tensor<Out<MatVec<A, V>>, D> {
  expectTensor("matvec", a, "a");
  expectTensor("matvec", v, "v");
  const [sa, sv] = [a.shape as readonly number[], v.shape as readonly number[]];
  if (sa.length < 2 || sv.length !== 1) {
    throw new ShapeError(
      { op: "matvec", expected: "a matrix of rank >= 2 and a vector", got: `${formatShape(sa)} and ${formatShape(sv)}` },
      `matvec expects a matrix of rank >= 2 and a vector, got ${formatShape(sa)} and ${formatShape(sv)}`,
    );
  }
  const k = sa[sa.length - 1];
  if (k !== sv[0])
    throw new ShapeError(
      { op: "matvec", expected: `a vector of length ${k}`, got: `length ${sv[0]}` },
      `matvec: inner dims differ (${k} vs ${sv[0]}) for ${formatShape(sa)} x ${formatShape(sv)}`,
    );
  return typed(tidy(() => reshapeCore(matmulCore(a, reshapeCore(v, [k, 1])), sa.slice(0, -1))));
}

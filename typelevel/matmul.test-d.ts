// Batched matrix product.
import type { Dot, ErrorMessage, MatMul, MatVec, ShapeError } from "./index.js";
import { matmul, type Tensor, type Equal, type Expect } from "./mock-ops.test-d.js";

export type MatMulCases = [
  Expect<Equal<MatMul<["batch", 784], [784, 128]>, ["batch", 128]>>,
  Expect<Equal<MatMul<[8, 2, 3], [3, 5]>, [8, 2, 5]>>,
  Expect<Equal<MatMul<[8, 1, 2, 3], [4, 3, 5]>, [8, 4, 2, 5]>>,
  Expect<Equal<MatMul<["batch", "k"], [784, 10]>, ["batch", 10]>>, // symbolic inner dim accepted
  Expect<Equal<MatMul<[2, 784], [28, 10]>, ShapeError<"matmul: inner dims differ (784 vs 28)">>>,
  Expect<Equal<MatMul<[784], [784, 10]>, ShapeError<"matmul expects two tensors of rank >= 2, got [784] and [784, 10]">>>,
  Expect<
    Equal<
      MatMul<[2, 3, 4], [3, 4, 5]>,
      ShapeError<"matmul: batch dims of [2, 3, 4] and [3, 4, 5] do not broadcast (2 vs 3 at batch axis -1)">
    >
  >,
];

declare const x: Tensor<["batch", 784]>;
declare const w1: Tensor<[784, 128]>;
declare const w2: Tensor<[28, 10]>;
declare const v: Tensor<[784]>;
declare const batched: Tensor<[8, 2, 3]>;
declare const batched3: Tensor<[3, 3, 4]>;
export const h = matmul(x, w1);
// @ts-expect-error matmul: inner dims differ (784 vs 28)
export const e1 = matmul(x, w2);
// @ts-expect-error matmul expects two tensors of rank >= 2
export const e2 = matmul(x, v);
// @ts-expect-error matmul: inner dims differ (128 vs 784): the product is not commutative
export const e3 = matmul(h, w1);
// @ts-expect-error matmul: batch dims do not broadcast (8 vs 3)
export const e4 = matmul(batched, batched3);

// dot and matvec: the messages users read; symbolic dims stay symbolic.
export type DotMatVecCases = [
  Expect<Equal<ErrorMessage<Dot<[3], [4]>>, "dot: lengths differ (3 vs 4)">>,
  Expect<Equal<ErrorMessage<Dot<[2, 3], [3]>>, "dot expects two vectors, got [2, 3] and [3]">>,
  Expect<Equal<Dot<[number], [3]>, []>>,
  Expect<Equal<ErrorMessage<MatVec<[2, 3], [4]>>, "matvec: inner dims differ (3 vs 4) for [2, 3] x [4]">>,
  Expect<Equal<MatVec<["batch", 3, 4], [4]>, ["batch", 3]>>,
];

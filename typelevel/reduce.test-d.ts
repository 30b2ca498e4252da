// Reductions.
import type { Reduce, ShapeError } from "./index.js";
import { sum, type Tensor, type Equal, type Expect } from "./mock-ops.test-d.js";

export type ReduceCases = [
  Expect<Equal<Reduce<["batch", 10]>, []>>,
  Expect<Equal<Reduce<["batch", 10], undefined, true>, [1, 1]>>,
  Expect<Equal<Reduce<["batch", 10], -1>, ["batch"]>>,
  Expect<Equal<Reduce<["batch", 4, 10], [1, -1]>, ["batch"]>>,
  Expect<Equal<Reduce<["batch", 4, 10], [1, 2], true>, ["batch", 1, 1]>>,
  Expect<Equal<Reduce<["batch", 4, 10], 0>, [4, 10]>>,
  Expect<Equal<Reduce<[2, 3], 2>, ShapeError<"reduce: axis 2 is out of range for [2, 3] (rank 2)">>>,
  Expect<Equal<Reduce<[2, 3], -3, false, "mean">, ShapeError<"mean: axis -3 is out of range for [2, 3] (rank 2)">>>,
];

declare const x: Tensor<["batch", 4, 10]>;
export const perExample = sum(x, [-2, -1]);
export const kept = sum(x, -1, { keepDims: true });
// @ts-expect-error sum: axis 3 is out of range for [batch, 4, 10] (rank 3)
export const e1 = sum(x, 3);
// @ts-expect-error sum: axis -4 is out of range
export const e2 = sum(x, [0, -4]);

export type ReduceCallCases = [Expect<Equal<typeof perExample, Tensor<["batch"]>>>, Expect<Equal<typeof kept, Tensor<["batch", 4, 1]>>>];

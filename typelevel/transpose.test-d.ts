// Axis permutations.
import type { ShapeError, Transpose } from "./index.js";
import { transpose, type Tensor, type Equal, type Expect } from "./mock-ops.test-d.js";

export type TransposeCases = [
  Expect<Equal<Transpose<[2, 3]>, [3, 2]>>,
  Expect<Equal<Transpose<["batch", 3, 5]>, [5, 3, "batch"]>>,
  Expect<Equal<Transpose<["batch", 3, 5], [0, 2, 1]>, ["batch", 5, 3]>>,
  Expect<Equal<Transpose<[], []>, []>>,
  Expect<Equal<Transpose<[2, 3], [0, 0]>, ShapeError<"transpose: perm [0, 0] is not a permutation of the 2 axes of [2, 3]">>>,
  Expect<Equal<Transpose<[2, 3], [0]>, ShapeError<"transpose: perm [0] is not a permutation of the 2 axes of [2, 3]">>>,
];

declare const x: Tensor<["batch", 3, 5]>;
export const swapped = transpose(x, [0, 2, 1]);
// @ts-expect-error transpose: perm [0, 3, 1] names an axis out of range
export const e1 = transpose(x, [0, 3, 1]);
// @ts-expect-error transpose: perm repeats an axis
export const e2 = transpose(x, [1, 1, 0]);
// @ts-expect-error transpose: perm too short
export const e3 = transpose(x, [1, 0]);
// @ts-expect-error transpose: negative axes are not allowed in a perm
export const e4 = transpose(x, [0, -1, 1]);

export type TransposeCallCases = [Expect<Equal<typeof swapped, Tensor<["batch", 5, 3]>>>];

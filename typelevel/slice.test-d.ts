// Static slices.
import type { ShapeError, Slice } from "./index.js";
import { slice, type Tensor, type Equal, type Expect } from "./mock-ops.test-d.js";

export type SliceCases = [
  Expect<Equal<Slice<["batch", 28, 28], [0, 2, 2], [-1, 24, 24]>, ["batch", 24, 24]>>,
  Expect<Equal<Slice<[10, 20], [3], [-1]>, [7, 20]>>, // missing entries keep the axis whole
  Expect<Equal<Slice<[10, 20], [0, 5], [10, 15]>, [10, 15]>>,
  Expect<Equal<Slice<["batch", 20], [2, 0], [-1, 4]>, [number, 4]>>,
  Expect<Equal<Slice<["batch", 20], [0, 0], [8, -1]>, [8, 20]>>,
  Expect<Equal<Slice<[4, 5], [2, 0], [3, -1]>, ShapeError<"slice: begin 2 + size 3 exceeds dim 4 at axis 0 of [4, 5]">>>,
  Expect<Equal<Slice<[4, 5], [0, 6], [-1, -1]>, ShapeError<"slice: begin 6 exceeds dim 5 at axis 1 of [4, 5]">>>,
];

declare const x: Tensor<["batch", 28, 28]>;
export const cropped = slice(x, [0, 2, 2], [-1, 24, 24]);
// @ts-expect-error slice: begin 2 + size 27 exceeds dim 28 at axis 1
export const e1 = slice(x, [0, 2, 0], [-1, 27, 28]);
// @ts-expect-error slice: begin has more entries than the rank
export const e2 = slice(x, [0, 0, 0, 0], [-1, -1, -1, -1]);
// @ts-expect-error slice: size -2 is invalid
export const e3 = slice(x, [0, 0, 0], [-1, -2, -1]);

export type SliceCallCases = [Expect<Equal<typeof cropped, Tensor<["batch", 24, 24]>>>];

// Squeeze and expandDims.
import type { ExpandDims, ShapeError, Squeeze } from "./index.js";
import { expandDims, squeeze, type Tensor, type Equal, type Expect } from "./mock-ops.test-d.js";

export type SqueezeCases = [
  Expect<Equal<Squeeze<["batch", 1, 10, 1]>, ["batch", 10]>>,
  Expect<Equal<Squeeze<["batch", 1, 10, 1], -1>, ["batch", 1, 10]>>,
  Expect<Equal<Squeeze<["batch", 1, 10, 1], [1, 3]>, ["batch", 10]>>,
  Expect<Equal<Squeeze<["batch", 10], 0>, [10]>>, // a symbolic dim is taken on trust
  Expect<Equal<Squeeze<[2, 3], 1>, ShapeError<"squeeze: axis 1 has size 3, expected 1 (shape [2, 3])">>>,
  Expect<Equal<ExpandDims<["batch", 10], 0>, [1, "batch", 10]>>,
  Expect<Equal<ExpandDims<["batch", 10], -1>, ["batch", 10, 1]>>,
  Expect<Equal<ExpandDims<["batch", 10], 2>, ["batch", 10, 1]>>,
  Expect<Equal<ExpandDims<["batch", 10], -3>, [1, "batch", 10]>>,
  Expect<Equal<ExpandDims<["batch", 10], 3>, ShapeError<"expandDims: axis 3 is out of range for [batch, 10] (rank 2)">>>,
];

declare const x: Tensor<["batch", 1, 10]>;
export const squeezed = squeeze(x, -2);
export const expanded = expandDims(x, -1);
// @ts-expect-error squeeze: axis 2 has size 10, expected 1
export const e1 = squeeze(x, 2);
// @ts-expect-error squeeze: axis 3 is out of range
export const e2 = squeeze(x, [1, 3]);
// @ts-expect-error expandDims: axis -5 is out of range
export const e3 = expandDims(x, -5);

export type SqueezeCallCases = [
  Expect<Equal<typeof squeezed, Tensor<["batch", 10]>>>,
  Expect<Equal<typeof expanded, Tensor<["batch", 1, 10, 1]>>>,
];

// Constant padding.
import type { Pad, ShapeError } from "./index.js";
import { pad, type Tensor, type Equal, type Expect } from "./mock-ops.test-d.js";

export type PadCases = [
  Expect<Equal<Pad<["batch", 28, 28, 1], [[0, 0], [2, 2], [2, 2], [0, 0]]>, ["batch", 32, 32, 1]>>,
  Expect<Equal<Pad<[1024], [[1, 0]]>, [1025]>>,
  Expect<Equal<Pad<["batch", 3], [[1, 1], [0, 0]]>, [number, 3]>>,
  Expect<Equal<Pad<[2, 3], [[1, 1]]>, ShapeError<"pad: expected 2 [before, after] pairs (one per axis of [2, 3]), got 1">>>,
];

declare const x: Tensor<["batch", 28, 28, 1]>;
export const padded = pad(x, [
  [0, 0],
  [2, 2],
  [2, 2],
  [0, 0],
]);
// @ts-expect-error pad: expected 4 [before, after] pairs, got 2
export const e1 = pad(x, [
  [2, 2],
  [2, 2],
]);

export type PadCallCases = [Expect<Equal<typeof padded, Tensor<["batch", 32, 32, 1]>>>];

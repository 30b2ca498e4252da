// Concat and stack.
import type { Concat, ShapeError, Stack } from "./index.js";
import { concat, stack, type Tensor, type Equal, type Expect } from "./mock-ops.test-d.js";

export type ConcatCases = [
  Expect<Equal<Concat<[[2, 3], [4, 3]], 0>, [6, 3]>>,
  Expect<Equal<Concat<[["batch", 3], ["batch", 5]], -1>, ["batch", 8]>>,
  Expect<Equal<Concat<[["batch", 3], ["batch", 3]], 0>, [number, 3]>>, // sum of symbolic dims
  Expect<Equal<Concat<[[2, 3], [2, 4], [2, 5]], 1>, [2, 12]>>,
  Expect<
    Equal<Concat<[[2, 3], [2, 4]], 0>, ShapeError<"concat: dims differ at axis 1 (3 vs 4) in [2, 3] and [2, 4]; only axis 0 may differ">>
  >,
  Expect<Equal<Concat<[[2, 3], [2, 3, 1]], 0>, ShapeError<"concat: all shapes need rank 2, got [2, 3] and [2, 3, 1]">>>,
  Expect<Equal<Concat<[], 0>, ShapeError<"concat: needs at least one shape, got none">>>,
  Expect<Equal<Stack<[[2, 3], [2, 3]]>, [2, 2, 3]>>,
  Expect<Equal<Stack<[["batch", 3], ["batch", 3], ["batch", 3]], -1>, ["batch", 3, 3]>>,
  Expect<Equal<Stack<[[2, 3], [2, 4]]>, ShapeError<"stack: all shapes must be equal, got [2, 3] and [2, 4]">>>,
];

declare const a: Tensor<["batch", 3]>;
declare const b: Tensor<["batch", 5]>;
declare const c: Tensor<[7, 3]>;
export const joined = concat([a, b], -1);
export const stacked = stack([a, a], 1);
// @ts-expect-error concat: dims differ at axis 1 (3 vs 5); only axis 0 may differ
export const e1 = concat([a, b], 0);
// @ts-expect-error concat: axis 2 is out of range
export const e2 = concat([a, b], 2);
// @ts-expect-error stack: all shapes must be equal
export const e3 = stack([a, b]);
// @ts-expect-error stack: axis 3 is out of range for stacking rank-2 shapes
export const e4 = stack([a, c], 3);

export type ConcatCallCases = [Expect<Equal<typeof joined, Tensor<["batch", 8]>>>, Expect<Equal<typeof stacked, Tensor<["batch", 2, 3]>>>];

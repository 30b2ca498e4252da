// Gather and oneHot.
import type { Gather, OneHot, ShapeError } from "./index.js";
import { gather, oneHot, type Tensor, type Equal, type Expect } from "./mock-ops.test-d.js";

export type GatherCases = [
  Expect<Equal<Gather<[1000, 64], ["batch", 20]>, ["batch", 20, 64]>>,
  Expect<Equal<Gather<["batch", 10, 64], [3], 1>, ["batch", 3, 64]>>,
  Expect<Equal<Gather<["batch", 10, 64], [3], -1>, ["batch", 10, 3]>>,
  Expect<Equal<Gather<[10, 64], [3], 2>, ShapeError<"gather: axis 2 is out of range for [10, 64] (rank 2)">>>,
  Expect<Equal<OneHot<["batch"], 10>, ["batch", 10]>>,
  Expect<Equal<OneHot<[4, 7], 3>, [4, 7, 3]>>,
];

declare const table: Tensor<[1000, 64]>;
declare const ids: Tensor<["batch", 20]>;
export const embedded = gather(table, ids);
export const encoded = oneHot(ids, 1000);
// @ts-expect-error gather: axis 2 is out of range for [1000, 64]
export const e1 = gather(table, ids, 2);

export type GatherCallCases = [
  Expect<Equal<typeof embedded, Tensor<["batch", 20, 64]>>>,
  Expect<Equal<typeof encoded, Tensor<["batch", 20, 1000]>>>,
];

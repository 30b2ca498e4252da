// Type tests for cumsum, cumprod, sort, argsort, topK: the shapes and dtypes a user sees, and
// the mistakes that must not compile. Checked by tsc (not run by vitest).
import type { Tensor } from "../src/tensor/index.js";
import { argsort, cumprod, cumsum, sort, topK } from "../src/ops/index.js";
import type { Equal, Expect } from "../typelevel/mock-ops.test-d.js";

declare const x: Tensor<["batch", 10]>;
declare const ints: Tensor<[4, 6], "int32">;
declare const mask: Tensor<[4], "bool">;

const c1 = cumsum(x, -1, { reverse: true });
const c2 = cumprod(ints, 0, { exclusive: true });
const s1 = sort(x);
const s2 = sort(ints, { axis: 0, descending: true });
const a1 = argsort(x, { axis: -1 });
const t1 = topK(x, 3);
const t2 = topK(ints, 6, { sorted: false });

export type SortShapes = [
  Expect<Equal<typeof c1, Tensor<["batch", 10], "float32">>>,
  Expect<Equal<typeof c2, Tensor<[4, 6], "int32">>>,
  Expect<Equal<typeof s1, Tensor<["batch", 10], "float32">>>,
  Expect<Equal<typeof s2, Tensor<[4, 6], "int32">>>,
  Expect<Equal<typeof a1, Tensor<["batch", 10], "int32">>>,
  Expect<Equal<typeof t1.values, Tensor<["batch", 3], "float32">>>,
  Expect<Equal<typeof t1.indices, Tensor<["batch", 3], "int32">>>,
  Expect<Equal<typeof t2.values, Tensor<[4, 6], "int32">>>,
];

// @ts-expect-error topK: k = 11 is larger than the last dim 10 of [batch, 10]
export const e1 = topK(x, 11);
// @ts-expect-error cumsum: axis 2 is out of range for [batch, 10] (rank 2)
export const e2 = cumsum(x, 2);
// @ts-expect-error sort: axis -3 is out of range for [batch, 10] (rank 2)
export const e3 = sort(x, { axis: -3 });
// @ts-expect-error argsort: axis 5 is out of range
export const e4 = argsort(ints, { axis: 5 });
// @ts-expect-error bool has no order here: cast it first
export const e5 = sort(mask);
// @ts-expect-error cumprod: bool is not numeric
export const e6 = cumprod(mask, 0);

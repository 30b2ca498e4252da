// Type tests for einsum: the shapes and dtypes a user sees, and the calls that must not compile
// (the message is on the subscript string). Checked by tsc (not run by vitest).
import type { Tensor } from "../src/tensor/index.js";
import { einsum, sum } from "../src/ops/index.js";
import { grad } from "../src/core/index.js";
import type { Equal, Expect } from "../typelevel/mock-ops.test-d.js";

declare const q: Tensor<["batch", "q", 64]>;
declare const k: Tensor<["batch", "k", 64]>;
declare const m: Tensor<[3, 3]>;
declare const a: Tensor<[2, 3]>;
declare const b: Tensor<[3, 4]>;
declare const c: Tensor<[5, 3]>;
declare const d: Tensor<[6, 4]>;
declare const ints: Tensor<[2, 3], "int32">;
declare const any: Tensor<number[]>;

const scores = einsum("bqd,bkd->bqk", q, k);
const trace = einsum("ii", m);
const diag = einsum("ii->i", m);
const prod = einsum("ij,jk", a, b);
const chain = einsum("ij,jk,lk->il", a, b, d);
const batched = einsum("...ij,...jk->...ik", q, einsum("bkd->bdk", k));
const intProd = einsum("ij,ij->i", ints, ints);
const unknown = einsum("ij,jk->ik", any, b);
const g = grad((x: Tensor<[2, 3]>) => sum(einsum("ij,jk->ik", x, b)))(a);

export type EinsumOpShapes = [
  Expect<Equal<typeof scores, Tensor<["batch", "q", "k"], "float32">>>,
  Expect<Equal<typeof trace, Tensor<[], "float32">>>,
  Expect<Equal<typeof diag, Tensor<[3], "float32">>>,
  Expect<Equal<typeof prod, Tensor<[2, 4], "float32">>>,
  Expect<Equal<typeof chain, Tensor<[2, 6], "float32">>>,
  Expect<Equal<typeof batched, Tensor<["batch", "q", "k"], "float32">>>,
  Expect<Equal<typeof intProd, Tensor<[2], "int32">>>,
  Expect<Equal<typeof g, Tensor<[2, 3], "float32">>>,
];
// a tensor of unknown rank: the result's rank is unknown too, no error
export const u: Tensor<(string | number)[], "float32"> = unknown;

// @ts-expect-error einsum "ij,jk->ik": j is 3 in operand 0 but 5 in operand 1
export const e1 = einsum("ij,jk->ik", a, c);
// @ts-expect-error einsum "ij,jk->ik": expects 2 operands, got 1
export const e2 = einsum("ij,jk->ik", a);
// @ts-expect-error einsum "ijk,jk->ik": operand 0 has rank 2 ([2, 3]) but "ijk" names 3 dims
export const e3 = einsum("ijk,jk->ik", a, b);
// @ts-expect-error einsum "ij->iz": output letter z is not in the inputs
export const e4 = einsum("ij->iz", a);
// @ts-expect-error einsum "ii": i is 2 in operand 0 but 3 in operand 0
export const e5 = einsum("ii", a);

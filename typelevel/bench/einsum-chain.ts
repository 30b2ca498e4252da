// An einsum-heavy file (multi-head attention written with einsum, plus the classic forms),
// through a mock einsum with the real op's signature: the type-checking cost of the subscript
// parser. Measured alone by `tsc -p typelevel/bench/tsconfig.einsum.json`.
import type { Check, Einsum, Out, Shape } from "../index.js";
import type { Equal, Expect, Tensor } from "../mock-ops.test-d.js";

type ShapesOf<T extends readonly Tensor<Shape>[]> = { [K in keyof T]: T[K] extends Tensor<infer S> ? S : never };
declare function einsum<const Sub extends string, T extends readonly Tensor<Shape>[]>(
  subscripts: Sub & Check<Einsum<Sub, ShapesOf<T>>>,
  ...operands: T
): Tensor<Out<Einsum<Sub, ShapesOf<T>>>>;

declare const x: Tensor<["batch", "seq", 512]>;
declare const wq: Tensor<[512, 8, 64]>;
declare const wk: Tensor<[512, 8, 64]>;
declare const wv: Tensor<[512, 8, 64]>;
declare const wo: Tensor<[8, 64, 512]>;
declare const m: Tensor<[16, 16]>;
declare const a: Tensor<[32, 16]>;
declare const b: Tensor<[16, 24]>;
declare const c: Tensor<[24, 8]>;

export const q = einsum("bsd,dhk->bhsk", x, wq); //           ["batch", 8, "seq", 64]
export const k = einsum("bsd,dhk->bhsk", x, wk);
export const v = einsum("bsd,dhk->bhsk", x, wv);
export const scores = einsum("bhqk,bhsk->bhqs", q, k); //     ["batch", 8, "seq", "seq"]
export const mixed = einsum("bhqs,bhsk->bhqk", scores, v); // ["batch", 8, "seq", 64]
export const out = einsum("bhqk,hkd->bqd", mixed, wo); //     ["batch", "seq", 512]
export const trace = einsum("ii", m);
export const diag = einsum("ii->i", m);
export const chain = einsum("ij,jk,kl->il", a, b, c);
export const implicit = einsum("ij,jk", a, b);
export const transposed = einsum("ij->ji", a);
export const batched = einsum("...ij,...jk->...ik", scores, mixed);

export type Checks = [
  Expect<Equal<typeof scores, Tensor<["batch", 8, "seq", "seq"]>>>,
  Expect<Equal<typeof out, Tensor<["batch", "seq", 512]>>>,
  Expect<Equal<typeof trace, Tensor<[]>>>,
  Expect<Equal<typeof diag, Tensor<[16]>>>,
  Expect<Equal<typeof chain, Tensor<[32, 8]>>>,
  Expect<Equal<typeof implicit, Tensor<[32, 24]>>>,
  Expect<Equal<typeof transposed, Tensor<[16, 32]>>>,
  Expect<Equal<typeof batched, Tensor<["batch", 8, "seq", 64]>>>,
];

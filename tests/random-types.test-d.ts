// Type tests for src/random and src/nn/init: the shapes a user sees on hover, and the calls
// that must not compile. Checked by `tsc -p tsconfig.json` (not run by vitest).
import type { Tensor } from "../src/tensor/index.js";
import {
  bernoulli,
  categorical,
  foldIn,
  key,
  normal,
  permutation,
  randint,
  split,
  splitStacked,
  truncatedNormal,
  uniform,
  type Key,
} from "../src/random/index.js";
import { glorotUniform, initializers, orthogonal } from "../src/nn/init.js";

type Expect<T extends true> = T;
type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;

declare const logits: Tensor<["batch", 10]>;
declare const k: Key;

const n = normal(k, [3, 4]);
const u = uniform(k, [784, 500], { min: -1, max: 1 });
const t = truncatedNormal(k, [5]);
const b = bernoulli(k, [128, 500], { p: 0.5 });
const bf = bernoulli(k, [128, 500], { p: 0.5, dtype: "float32" });
const c = categorical(k, logits);
const c2 = categorical(k, logits, [7, 3]);
const p = permutation(k, 60);
const r = randint(k, [2], { max: 10 });
const pair = split(k);
const four = split(k, 4);
const many = split(k, 100);
const stacked = splitStacked(k, 8);
const w = glorotUniform(k, [784, 128]);
const q = orthogonal(k, [3, 3, 16, 32]);
const fromRegistry = initializers.heNormal(k, [64, 10]);

export type Tests = [
  Expect<Equal<typeof n, Tensor<[3, 4]>>>,
  Expect<Equal<typeof u, Tensor<[784, 500]>>>,
  Expect<Equal<typeof t, Tensor<[5]>>>,
  Expect<Equal<typeof b, Tensor<[128, 500], "bool">>>,
  Expect<Equal<typeof bf, Tensor<[128, 500], "float32">>>,
  Expect<Equal<typeof c, Tensor<["batch"], "int32">>>,
  Expect<Equal<typeof c2, Tensor<[7, 3], "int32">>>,
  Expect<Equal<typeof p, Tensor<[60], "int32">>>,
  Expect<Equal<typeof r, Tensor<[2], "int32">>>,
  Expect<Equal<typeof pair, [Key, Key]>>,
  Expect<Equal<typeof four, [Key, Key, Key, Key]>>,
  Expect<Equal<typeof many, Key[]>>,
  Expect<Equal<typeof stacked, Tensor<[8, 2], "int32">>>,
  Expect<Equal<typeof w, Tensor<[784, 128]>>>,
  Expect<Equal<typeof q, Tensor<[3, 3, 16, 32]>>>,
  Expect<Equal<typeof fromRegistry, Tensor<[64, 10]>>>,
  Expect<Equal<Key, Tensor<[2], "int32">>>,
];

// ---------------------------------------------------------------- what must not compile
// @ts-expect-error a float tensor is not a key
normal(n, [2]);
// @ts-expect-error a number is not a key
uniform(0, [2]);
// @ts-expect-error shapes are numbers at sampling time
normal(k, ["batch", 3]);
// @ts-expect-error two keys do not destructure into three
const [, , third] = split(k);
// @ts-expect-error foldIn data is an integer or an int32 scalar
foldIn(k, n);
// @ts-expect-error p is a number
bernoulli(k, [2], { p: n });
export { third };
export const kk: Key = key(0);

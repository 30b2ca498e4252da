// Type tests for control flow: the types a user sees for scan, cond, whileLoop, foriLoop,
// customJvp and remat, and the mistakes that must not compile (a carry that changes type, a
// cond whose branches differ). Checked by `tsc -p tsconfig.json` (not run by vitest).
import type { Tensor } from "../src/tensor/index.js";
import { add, matmul, mul, tanh, sum, greater, log, cast, less, sigmoid, exp, reshape } from "../src/ops/index.js";
import { scan, cond, whileLoop, foriLoop, customJvp, remat, type ScanSlice, type ScanLength } from "../src/index.js";

type Expect<T extends true> = T;
type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;

declare const h0: Tensor<["batch", 64]>;
declare const w: Tensor<[64, 64]>;
declare const u: Tensor<[28, 64]>;
declare const seq: Tensor<[28, "batch", 28]>;
declare const xs5: Tensor<[5, 3]>;
declare const s: Tensor<[]>;
declare const v3: Tensor<[3]>;
declare const v2: Tensor<[2]>;
declare const i: Tensor<[], "int32">;

// ---------------------------------------------------------------- scan: slices, stacked ys, pytrees
const [hT, hs] = scan(
  (h: Tensor<["batch", 64]>, x: Tensor<["batch", 28]>) => {
    const next = tanh(add(matmul(h, w), matmul(x, reshape(u, [28, 64]))));
    return [next, sum(next, 1)] as const;
  },
  h0,
  seq,
);
type _scan1 = Expect<Equal<typeof hT, Tensor<["batch", 64]>>>;
type _scan2 = Expect<Equal<typeof hs, Tensor<[28, "batch"]>>>;

// the body's x is inferred from xs when not annotated: Tensor<[5, 3]> gives Tensor<[3]>
const [c2, ys2] = scan(
  (c: Tensor<[3]>, x) => {
    type _x = Expect<Equal<typeof x, Tensor<[3]>>>;
    return [add(c, x), { sq: mul(x, x), first: c }] as const;
  },
  v3,
  xs5,
);
type _scan3 = Expect<Equal<typeof c2, Tensor<[3]>>>;
type _scan4 = Expect<Equal<typeof ys2, { readonly sq: Tensor<[5, 3]>; readonly first: Tensor<[5, 3]> }>>;

// record xs: each leaf loses its leading dim; the length is read from the leaves
type _slice = Expect<Equal<ScanSlice<{ a: Tensor<[7, 2]>; b: Tensor<[7], "int32"> }>, { a: Tensor<[2]>; b: Tensor<[], "int32"> }>>;
type _length = Expect<Equal<ScanLength<{ a: Tensor<[7, 2]>; b: Tensor<[7], "int32"> }>, 7>>;
type _length2 = Expect<Equal<ScanLength<[Tensor<["time", 2]>]>, "time">>;

// a record carry
const [acc] = scan(
  (c: { sum: Tensor<[3]>; n: Tensor<[]> }, x: Tensor<[3]>) => [{ sum: add(c.sum, x), n: add(c.n, 1) }, null] as const,
  { sum: v3, n: s },
  xs5,
);
type _scan5 = Expect<Equal<typeof acc, { sum: Tensor<[3]>; n: Tensor<[]> }>>;

// must not compile: the carry changes shape (the error names scan)
scan(
  (c: Tensor<[3]>, x: Tensor<[3]>) => [reshape(add(c, x), [3, 1]), x] as const,
  // @ts-expect-error scan: the body must return a carry of the same type as init
  v3,
  xs5,
);
// must not compile: the carry changes dtype
scan(
  (c: Tensor<[3]>, x: Tensor<[3]>) => [cast(add(c, x), "int32"), x] as const,
  // @ts-expect-error scan: the body must return a carry of the same type as init
  v3,
  xs5,
);

// ---------------------------------------------------------------- cond
const r1 = cond(
  greater(s, 0),
  (a: Tensor<[]>) => log(a),
  (a: Tensor<[]>) => mul(a, 0),
  s,
);
type _cond1 = Expect<Equal<typeof r1, Tensor<[]>>>;
const r2 = cond(
  true,
  () => [v3, s] as const,
  () => [add(v3, 1), s] as const,
);
type _cond2 = Expect<Equal<typeof r2, readonly [Tensor<[3]>, Tensor<[]>]>>;
// must not compile: the branches return different shapes
cond(
  greater(s, 0),
  () => v3,
  // @ts-expect-error cond: both branches must return the same type
  () => v2,
);
// must not compile: the predicate is not a bool scalar
cond(
  // @ts-expect-error a float predicate
  s,
  () => v3,
  () => v3,
);

// ---------------------------------------------------------------- whileLoop, foriLoop
const [n, x] = whileLoop(
  ([k]: readonly [Tensor<[], "int32">, Tensor<[3]>]) => less(k, 10),
  ([k, v]: readonly [Tensor<[], "int32">, Tensor<[3]>]) => [add(k, 1), mul(v, 2)] as const,
  [i, v3] as const,
);
type _while = Expect<Equal<[typeof n, typeof x], [Tensor<[], "int32">, Tensor<[3]>]>>;
whileLoop(
  (v: Tensor<[3]>) => less(sum(v), 10),
  (v: Tensor<[3]>) => reshape(v, [1, 3]),
  // @ts-expect-error whileLoop: the body must return a carry of the same type as init
  v3,
);
const f1 = foriLoop(0, 10, (k, c: Tensor<[3]>) => add(c, cast(k, "float32")), v3);
type _fori = Expect<Equal<typeof f1, Tensor<[3]>>>;
foriLoop(
  0,
  10,
  (k, c: Tensor<[3]>) => sum(c),
  // @ts-expect-error foriLoop: the body must return a carry of the same type as init
  v3,
);

// ---------------------------------------------------------------- customJvp, remat keep f's type
const softplus = customJvp(
  (a: Tensor<[3]>) => log(add(exp(a), 1)),
  ([a], [aDot]) => [log(add(exp(a), 1)), mul(aDot, sigmoid(a))] as const,
);
type _custom = Expect<Equal<typeof softplus, (a: Tensor<[3]>) => Tensor<[3]>>>;
const block = remat((p: { w: Tensor<[64, 64]> }, h: Tensor<["batch", 64]>) => tanh(matmul(h, p.w)));
type _remat = Expect<Equal<ReturnType<typeof block>, Tensor<["batch", 64]>>>;

export type Checks = [
  _scan1,
  _scan2,
  _scan3,
  _scan4,
  _slice,
  _length,
  _length2,
  _scan5,
  _cond1,
  _cond2,
  _while,
  _fori,
  _custom,
  _remat,
  typeof r1,
];

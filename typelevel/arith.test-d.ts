// Digit-wise dim arithmetic: exact literals up to 2^53, symbolic dims stay symbolic.
import type { Add, CeilDiv, Compare, FloorDiv, Mod, Mul, Product, Sub } from "./index.js";
import type { Equal, Expect } from "./mock-ops.test-d.js";

export type AddCases = [
  Expect<Equal<Add<999, 1>, 1000>>,
  Expect<Equal<Add<12345678, 87654322>, 100000000>>,
  Expect<Equal<Add<9007199254740990, 1>, 9007199254740991>>, // 2^53 - 1
  Expect<Equal<Add<"batch", 0>, "batch">>, // x + 0 = x for every x
  Expect<Equal<Add<"batch", 2>, number>>,
  Expect<Equal<Add<number, 2>, number>>,
];

export type SubCases = [
  Expect<Equal<Sub<1000, 1>, 999>>,
  Expect<Equal<Sub<1000, 999>, 1>>,
  Expect<Equal<Sub<9007199254740992, 9007199254740991>, 1>>,
  Expect<Equal<Sub<3, 5>, -2>>, // negative: conv uses it to detect a too-small input
  Expect<Equal<Sub<"batch", "batch">, 0>>,
  Expect<Equal<Sub<"batch", 1>, number>>,
];

export type MulCases = [
  Expect<Equal<Mul<94906265, 94906265>, 9007199136250225>>, // the largest square below 2^53
  Expect<Equal<Mul<94906267, 94906267>, number>>, // past 2^53 the literal would be inexact
  Expect<Equal<Mul<1024, 1024>, 1048576>>,
  Expect<Equal<Mul<9, 9>, 81>>,
  Expect<Equal<Mul<"batch", 1>, "batch">>,
  Expect<Equal<Mul<"batch", 0>, 0>>,
  Expect<Equal<Mul<"batch", 7>, number>>,
];

export type DivisionCases = [
  Expect<Equal<FloorDiv<9007199254740991, 7>, 1286742750677284>>,
  Expect<Equal<FloorDiv<1000, 13>, 76>>,
  Expect<Equal<FloorDiv<5, 7>, 0>>,
  Expect<Equal<FloorDiv<"batch", 1>, "batch">>,
  Expect<Equal<FloorDiv<28, 0>, number>>, // no dim to report a division by zero on
  Expect<Equal<CeilDiv<28, 3>, 10>>,
  Expect<Equal<CeilDiv<27, 3>, 9>>,
  Expect<Equal<CeilDiv<9007199254740991, 2>, 4503599627370496>>,
  Expect<Equal<Mod<3145728, 7>, 5>>,
  Expect<Equal<Mod<1000, 13>, 12>>,
];

export type CompareAndProductCases = [
  Expect<Equal<Compare<100, 99>, 1>>,
  Expect<Equal<Compare<99, 100>, -1>>,
  Expect<Equal<Compare<4096, 4096>, 0>>,
  Expect<Equal<Compare<"batch", 4>, number>>,
  Expect<Equal<Product<[1024, 1024, 3]>, 3145728>>,
  Expect<Equal<Product<[]>, 1>>,
  Expect<Equal<Product<["batch"]>, "batch">>,
  Expect<Equal<Product<["batch", 7, 7, 64]>, number>>,
  Expect<Equal<Product<number[]>, number>>,
];

// Type tests for the layer table (tests/nn-registry.ts): every row's expected shape is the
// type-level output shape, and every kind registered in LayerTypes has a row, so a new layer
// is type-tested the day it lands. Checked by `tsc -p tsconfig.json` (not run by vitest).
import type { Shape } from "../typelevel/index.js";
import type { LayerOut, LayerTypes } from "../src/nn/index.js";
import type { cases, LayerCase } from "./nn-registry.js";

type Expect<T extends true> = T;
type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;

type Cases = typeof cases;
/** true when every row's type-level output equals its expected shape; else the first bad row. */
type AllRows<T extends readonly unknown[]> = T extends readonly [infer H, ...infer R]
  ? H extends LayerCase<infer L, infer In, infer E>
    ? Equal<LayerOut<L, [...In]>, [...E]> extends true
      ? AllRows<R>
      : H
    : H
  : true;
type _rows = Expect<Equal<AllRows<Cases>, true>>;

/**
 * Kinds registered in LayerTypes without a row in the table ("identity" is the registry's seed;
 * "tile" is the user-layer example of nn-models.test-d.ts: declaration merging is program-wide).
 */
type Missing = Exclude<keyof LayerTypes<Shape, unknown>, Cases[number]["layer"]["kind"] | "identity" | "tile">;
type _coverage = Expect<Equal<Missing, never>>;

// a row with the wrong expected shape would not compile:
type _wrong = Expect<Equal<Equal<LayerOut<Cases[0]["layer"], [2, 4]>, [2, 4]>, false>>;

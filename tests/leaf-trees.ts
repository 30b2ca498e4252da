// Deterministic parameter-like trees for the optimizer tests (native-adam, optim-apply), and the
// leaf-by-leaf closeness check they compare kernels and composites with.
import { expect } from "vitest";
import * as tree from "../src/tree/index.js";
import { tensor, type AnyTensor } from "../src/tensor/index.js";

/** Deterministic values in [lo, hi), every 7th exactly 0 when `zeros` (a small LCG: no random backend involved). */
export function values(n: number, seed: number, lo = -1, hi = 1, zeros = false): number[] {
  let s = seed * 2654435761 + 1;
  return Array.from({ length: n }, (_, i) => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return zeros && i % 7 === 3 ? 0 : lo + ((hi - lo) * s) / 2147483648;
  });
}

export type Leaves = Record<string, AnyTensor>;

/** One leaf `l${i}` per shape, filled by `values` from `seed + i`. */
export const leafTree = (shapes: readonly number[][], seed: number, lo = -1, hi = 1, zeros = false): Leaves =>
  Object.fromEntries(
    shapes.map((s, i) => [
      `l${i}`,
      tensor(
        values(
          s.reduce((a, d) => a * d, 1),
          seed + i,
          lo,
          hi,
          zeros,
        ),
        s,
      ),
    ]),
  );

export const flat = (t: unknown): number[][] => tree.leaves(t).map((l) => Array.from(l.dataSync() as Float32Array));

/** Every entry of a within rel * max(|b|, floor) of b's; leaf by leaf (trees of equal structure) or as flat arrays. */
export function expectClose(a: unknown, b: unknown, rel = 2e-6, floor = 1e-6): void {
  const [fa, fb] = Array.isArray(a) && typeof a[0] === "number" ? [[a as number[]], [b as number[]]] : [flat(a), flat(b)];
  expect(fa.map((l) => l.length)).toEqual(fb.map((l) => l.length));
  fa.forEach((la, i) =>
    la.forEach((x, j) => {
      const y = fb[i][j];
      if (!(Math.abs(x - y) <= rel * Math.max(Math.abs(y), floor))) throw new Error(`leaf ${i} entry ${j}: ${x} vs ${y}`);
    }),
  );
}

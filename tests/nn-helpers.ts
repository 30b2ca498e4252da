// Helpers shared by the nn tests: seeded inputs, plain-JS tensors, leak-checked blocks.
import { expect } from "vitest";
import { liveTensors } from "../src/backend/index.js";
import { tensor, type AnyTensor } from "../src/tensor/index.js";
import { leaves } from "../src/tree/index.js";

/** A small seeded generator (mulberry32), so inputs do not depend on the PRNG under test. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    let t = (s = (s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n values in [-1, 1) (or integers in [0, maxInt) when given). */
export function values(n: number, seed: number, maxInt?: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => (maxInt === undefined ? 2 * r() - 1 : Math.floor(r() * maxInt)));
}

export function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A seeded input tensor; int32 ids in [0, 10) for embeddings. */
export function input(shape: readonly number[], dtype: "float32" | "int32" = "float32", seed = 1): AnyTensor {
  return tensor(values(size(shape), seed, dtype === "int32" ? 10 : undefined), shape as number[], dtype);
}

/** A tensor from flat values. */
export function t(data: readonly number[], shape: readonly number[]): AnyTensor {
  return tensor([...data], shape as number[]);
}

export function disposeTree(...trees: unknown[]): void {
  for (const tr of trees) for (const l of leaves(tr)) l.dispose();
}

/** Runs `body`; fails if it leaves tensors behind (it must dispose what it keeps). */
export function noLeaks<T>(body: () => T): T {
  const before = liveTensors();
  const out = body();
  expect(liveTensors() - before, "tensors left behind").toBe(0);
  return out;
}

/** Flat float64 values of a tensor. */
export function read(x: AnyTensor): number[] {
  return Array.from(x.dataSync() as ArrayLike<number>);
}

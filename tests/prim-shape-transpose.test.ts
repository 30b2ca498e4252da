import { describe, expect, test } from "vitest";
import { tensor, type AnyTensor } from "../src/tensor/index.js";
import { jit, transpose } from "../src/core/index.js";
import { at, build, noLeaks, rng } from "./prim-shape-helpers.js";

type DT = "float32" | "int32" | "bool";

function make(shape: readonly number[], dtype: DT, seed: number) {
  const pick = rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = Array.from({ length: n }, (_, i) => (dtype === "bool" ? (pick() < 0.5 ? 1 : 0) : (i % 1000) - Math.floor(pick() * 50)));
  const arr = dtype === "int32" ? Int32Array.from(data) : dtype === "bool" ? Uint8Array.from(data) : Float32Array.from(data);
  return { data, t: tensor(arr, shape, dtype) };
}

function shuffled(rank: number, next: () => number): number[] {
  const p = Array.from({ length: rank }, (_, i) => i);
  for (let i = rank - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

/** Transposes `shape`/`data` by `perm` in plain JS and compares with the primitive (eager and jitted). */
function check(shape: readonly number[], perm: readonly number[], dtype: DT, seed: number, own: <T extends AnyTensor>(x: T) => T): void {
  const { data, t } = make(shape, dtype, seed);
  own(t);
  const outShape = perm.map((p) => shape[p]);
  const want = build(outShape, (o) => {
    const idx = new Array<number>(shape.length);
    perm.forEach((p, k) => (idx[p] = o[k]));
    return at(data, shape, idx);
  });
  const y = own(transpose(t, perm));
  expect(y.shape).toEqual(outShape);
  expect(y.dtype).toBe(dtype);
  expect(Array.from(y.dataSync()).map(Number)).toEqual(want);
  const z = own(jit((x: AnyTensor) => transpose(x, perm))(t));
  expect(Array.from(z.dataSync()).map(Number)).toEqual(want);
}

describe("transpose kernel routing (size-1 axes dropped, adjacent axes merged, tall 2-D split into rank 3)", () => {
  test("random shapes, perms and dtypes, ranks 1-6, against plain JS", () => {
    noLeaks((own) => {
      const pick = rng(11);
      for (let trial = 0; trial < 90; trial++) {
        const rank = 1 + (trial % 6);
        const shape = Array.from({ length: rank }, () => Math.floor(pick() * (rank > 4 ? 4 : 6)));
        if (trial % 13 !== 7) for (let k = 0; k < rank; k++) shape[k] = Math.max(shape[k], 1); // some empty
        check(shape, shuffled(rank, pick), (["float32", "int32", "bool"] as const)[trial % 3], trial, own);
      }
    });
  });

  test("the shapes that take the split path and their near misses", () => {
    noLeaks((own) => {
      const cases: [number[], number[], DT][] = [
        [[1024, 32], [1, 0], "float32"], // rows 4096 bytes apart: split
        [[1024, 32], [1, 0], "int32"],
        [[4096, 16], [1, 0], "bool"], // 1-byte elements: rows 4096 bytes apart
        [[1024, 12], [1, 0], "float32"], // below the threshold: 2-D kernel
        [[1000, 64], [1, 0], "float32"], // stride not a large power of two
        [[4, 256, 32], [2, 0, 1], "float32"], // merges to [1024, 32]
        [[2, 1, 512, 1, 64], [4, 3, 0, 1, 2], "float32"], // size-1 axes, merges to [1024, 64]
        [[8, 128, 3, 2, 5], [3, 4, 0, 1, 2], "int32"], // merges to [3072, 10]
        [[512, 2, 1, 48], [1, 2, 3, 0], "float32"], // [512, 96]
        [[1031, 64], [1, 0], "float32"], // prime rows: no block divides, 2-D kernel
        [[5, 6, 7], [0, 1, 2], "float32"],
        [[1, 1, 1], [2, 0, 1], "int32"],
      ];
      cases.forEach(([shape, perm, dtype], i) => check(shape, perm, dtype, 100 + i, own));
    });
  });
});

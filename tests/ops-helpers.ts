// Small helpers shared by the tests/ops-*.test.ts files: seeded data, float64 references,
// closeness, leak checks.
import { expect } from "vitest";
import { tensor, type Tensor } from "../src/tensor/index.js";
import { liveTensors } from "../src/backend/index.js";

/** A seeded generator (mulberry32) so failures reproduce. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Values in [lo, hi), rounded to float32 so JS references see exactly what the kernel sees. */
export function values(n: number, seed = 1, lo = -2, hi = 2): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Math.fround(lo + (hi - lo) * r()));
}

/** A float32 tensor of seeded values and the same values as a JS array. */
export function randTensor<const S extends readonly number[]>(
  shape: S,
  seed = 1,
  lo = -2,
  hi = 2,
): [Tensor<{ -readonly [K in keyof S]: S[K] }>, number[]] {
  const v = values(size(shape), seed, lo, hi);
  // NOTE: a typed array, because tensor([v], []) (a one-element array for a scalar) is rejected.
  return [tensor(Float32Array.from(v), shape), v];
}

export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const [a, e] = [actual[i], expected[i]];
    if (Number.isNaN(e)) {
      expect(a, `index ${i}`).toBeNaN();
      continue;
    }
    if (!Number.isFinite(e)) {
      expect(a, `index ${i}`).toBe(e);
      continue;
    }
    if (Math.abs(a - e) > tol * (1 + Math.abs(e))) {
      throw new Error(`index ${i}: got ${a}, expected ${e} (tol ${tol}); actual ${Array.from(actual).slice(0, 12).join(", ")}`);
    }
  }
}

/** Runs fn, disposes what it returns (tensors in a flat array or one tensor), and checks nothing else survived. */
export function expectNoLeaks(fn: () => unknown): void {
  const before = liveTensors();
  const out = fn();
  const list = Array.isArray(out) ? out : [out];
  for (const t of list) (t as Tensor<any, any>)?.dispose?.();
  expect(liveTensors()).toBe(before);
}

/** Row-major strides. */
export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export function unravel(i: number, shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  for (let k = shape.length - 1; k >= 0; k--) {
    out[k] = i % shape[k];
    i = Math.floor(i / shape[k]);
  }
  return out;
}

/** numpy broadcasting of two shapes (plain JS mirror of the Broadcast type), or undefined. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] | undefined {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
    const db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
    if (da !== db && da !== 1 && db !== 1) return undefined;
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Flat index into `shape` of the multi-index `idx` of a broadcast output. */
export function broadcastIndex(idx: readonly number[], shape: readonly number[]): number {
  const lead = idx.length - shape.length;
  const st = strides(shape);
  let k = 0;
  for (let i = 0; i < shape.length; i++) k += (shape[i] === 1 ? 0 : idx[i + lead]) * st[i];
  return k;
}

/** f applied elementwise with broadcasting, in float64. */
export function broadcastRef(
  a: readonly number[],
  as: readonly number[],
  b: readonly number[],
  bs: readonly number[],
  f: (x: number, y: number) => number,
): number[] {
  const out = broadcastShape(as, bs)!;
  return Array.from({ length: size(out) }, (_, i) => {
    const idx = unravel(i, out);
    return f(a[broadcastIndex(idx, as)], b[broadcastIndex(idx, bs)]);
  });
}

/** Central finite differences of a float64 JS function. */
export function numericGrad(f: (x: number[]) => number, x: readonly number[], eps = 1e-6): number[] {
  return x.map((_, i) => {
    const p = [...x];
    const m = [...x];
    p[i] += eps;
    m[i] -= eps;
    return (f(p) - f(m)) / (2 * eps);
  });
}

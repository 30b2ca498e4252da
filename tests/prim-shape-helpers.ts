// Shared checks for the data-movement primitive tests (prim-shape-*.test.ts): gradients via the
// public checkGrads, the jvp/vjp inner-product identity, vmap against a loop, leak checks.
import { expect } from "vitest";
import { tensor, type AnyTensor } from "../src/tensor/index.js";
import { liveTensors } from "../src/backend/index.js";
import { jvp, vjp, vmap } from "../src/core/index.js";
import { checkGrads } from "../src/testing/index.js";

export type Op = (...xs: AnyTensor[]) => AnyTensor;
export interface Input {
  readonly data: readonly number[];
  readonly shape: readonly number[];
}

import { rng, size } from "./ops-helpers.js";

export { rng };

/** Values k/64 in [-2, 2]: exact in float32, and so are their sums and x ± 2^-7. */
export function gridValues(shape: readonly number[], next: () => number): Input {
  return { data: Array.from({ length: size(shape) }, () => Math.round((next() * 4 - 2) * 64) / 64), shape };
}

export function toTensor(i: Input): AnyTensor {
  return tensor(i.shape.length === 0 ? i.data[0] : [...i.data], i.shape);
}

export function ints(data: readonly number[], shape: readonly number[]): AnyTensor {
  return tensor(shape.length === 0 ? data[0] : [...data], shape, "int32");
}

/** Runs `body`, disposes what it registered with `own`, and asserts that no tfjs tensor leaked. */
export function noLeaks(body: (own: <T extends AnyTensor | readonly AnyTensor[]>(x: T) => T) => void): void {
  const before = liveTensors();
  const owned: AnyTensor[] = [];
  const own = <T extends AnyTensor | readonly AnyTensor[]>(x: T): T => {
    if (Array.isArray(x)) owned.push(...(x as readonly AnyTensor[]));
    else owned.push(x as AnyTensor);
    return x;
  };
  try {
    body(own);
  } finally {
    for (const t of new Set(owned)) if (!t.isDisposed) t.dispose();
  }
  expect(liveTensors()).toBe(before);
}

export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    if (!(err <= tol * (1 + Math.abs(expected[i])))) {
      throw new Error(`entry ${i}: got ${actual[i]}, expected ${expected[i]} (tolerance ${tol})`);
    }
  }
}

/**
 * First and second derivatives of `op` at `inputs` against finite differences (forward mode in a
 * random direction, reverse mode by the inner-product identity), via the public `checkGrads`.
 */
export function checkGradient(op: Op, inputs: readonly Input[], seed = 1): void {
  noLeaks((own) => {
    const xs = own(inputs.map(toTensor));
    checkGrads(op, xs, { order: 2, seed });
  });
}

/** <u, J v> (forward mode) equals <J^T u, v> (reverse mode) for random u, v. */
export function checkJvpVjp(op: Op, inputs: readonly Input[], seed = 2): void {
  noLeaks((own) => {
    const next = rng(seed);
    const xs = own(inputs.map(toTensor));
    const vs = inputs.map((i) => gridValues(i.shape, next));
    const [y, yDot] = jvp(op, xs, own(vs.map(toTensor)));
    own([y, yDot]);
    const u = gridValues(y.shape, next);
    const [y2, back] = vjp(op, ...xs);
    own(y2);
    const xBars = own(back(own(toTensor(u))));
    back.dispose();
    const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
      let s = 0;
      for (let i = 0; i < a.length; i++) s += a[i] * b[i];
      return s;
    };
    const lhs = dot(u.data, yDot.dataSync());
    const rhs = xBars.reduce((acc, xb, i) => acc + dot(xb.dataSync(), vs[i].data), 0);
    expect(Math.abs(lhs - rhs)).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(lhs)));
    expect(Math.abs(lhs)).toBeGreaterThan(0); // a vacuous identity would not test anything
  });
}

/** Example i of a batched tensor, rebuilt from plain data (so the check does not use the ops under test). */
function example(x: AnyTensor, i: number): AnyTensor {
  const rows = x.arraySync() as unknown[];
  return tensor(rows[i] as never, x.shape.slice(1), x.dtype);
}

/** vmap(op)(args) equals op applied to each example and stacked (args with axis null are shared). */
export function checkVmap(op: Op, args: readonly AnyTensor[], inAxes: readonly (0 | null)[]): void {
  noLeaks((own) => {
    const n = args[inAxes.indexOf(0)].shape[0];
    const batched = own(vmap(op, { inAxes })(...args) as AnyTensor);
    const rows = batched.arraySync() as unknown[];
    expect(batched.shape[0]).toBe(n);
    for (let i = 0; i < n; i++) {
      const each = own(op(...args.map((a, k) => (inAxes[k] === 0 ? own(example(a, i)) : a))));
      expect(rows[i]).toEqual(each.arraySync());
    }
  });
}

/** The error `fn` throws, for exact message assertions. */
export function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("expected an error, none was thrown");
}

// ---------------------------------------------------------------- plain-JS references (flat, row-major)

export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export function at(data: readonly number[], shape: readonly number[], idx: readonly number[]): number {
  const st = strides(shape);
  return data[idx.reduce((a, v, i) => a + v * st[i], 0)];
}

/** A flat array of the given shape, entry by multi-index. */
export function build(shape: readonly number[], entry: (idx: number[]) => number): number[] {
  const n = size(shape);
  const out = new Array<number>(n);
  for (let f = 0; f < n; f++) {
    const idx = new Array<number>(shape.length);
    let r = f;
    for (let k = shape.length - 1; k >= 0; k--) {
      idx[k] = r % shape[k];
      r = Math.floor(r / shape[k]);
    }
    out[f] = entry(idx);
  }
  return out;
}

/** gather(x, indices, axis, batchDims) in plain JS: [shape, data]. */
export function refGather(x: Input, indices: Input, axis: number, batchDims = 0): [number[], number[]] {
  const k = indices.shape.length - batchDims;
  const shape = [...x.shape.slice(0, axis), ...indices.shape.slice(batchDims), ...x.shape.slice(axis + 1)];
  const data = build(shape, (o) => {
    const pre = o.slice(0, axis);
    const ii = o.slice(axis, axis + k);
    const post = o.slice(axis + k);
    const j = at(indices.data, indices.shape, [...pre.slice(0, batchDims), ...ii]);
    return at(x.data, x.shape, [...pre, j, ...post]);
  });
  return [shape, data];
}

/** scatterAdd(updates, indices, size, axis, batchDims) in plain JS: [shape, data]. */
export function refScatterAdd(u: Input, indices: Input, sizeAtAxis: number, axis: number, batchDims = 0): [number[], number[]] {
  const k = indices.shape.length - batchDims;
  const shape = [...u.shape.slice(0, axis), sizeAtAxis, ...u.shape.slice(axis + k)];
  const out = new Array<number>(size(shape)).fill(0);
  const st = strides(shape);
  build(u.shape, (o) => {
    const pre = o.slice(0, axis);
    const j = at(indices.data, indices.shape, [...pre.slice(0, batchDims), ...o.slice(axis, axis + k)]);
    const target = [...pre, j, ...o.slice(axis + k)];
    out[target.reduce((a, v, i) => a + v * st[i], 0)] += at(u.data, u.shape, o);
    return 0;
  });
  return [shape, out];
}

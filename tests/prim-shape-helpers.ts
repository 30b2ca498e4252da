// Shared checks for the data-movement primitive tests (prim-shape-*.test.ts): float64
// finite differences, the jvp/vjp inner-product identity, vmap against a loop, leak checks.
import { expect } from "vitest";
import { tensor, type AnyTensor } from "../src/tensor/index.js";
import { liveTensors } from "../src/backend/index.js";
import { grad, jvp, vjp, vmap } from "../src/core/index.js";
import { mul, sin } from "../src/core/primitives/elementwise.js";
import { sum } from "../src/core/primitives/reduce.js";

export type Op = (...xs: AnyTensor[]) => AnyTensor;
export interface Input {
  readonly data: readonly number[];
  readonly shape: readonly number[];
}

/** A small deterministic generator (mulberry32). */
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

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Values k/64 in [-2, 2]: exact in float32, and so are their sums and x ± 2^-7. */
export function gridValues(shape: readonly number[], next: () => number): Input {
  return { data: Array.from({ length: size(shape) }, () => Math.round((next() * 4 - 2) * 64) / 64), shape };
}

export function toTensor(i: Input): AnyTensor {
  return tensor([...i.data], i.shape) as AnyTensor;
}

export function ints(data: readonly number[], shape: readonly number[]): AnyTensor {
  return tensor([...data], shape, "int32") as AnyTensor;
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
 * Checks the gradient of L(xs) = sum(w * sin(op(xs))) w.r.t. every input against float64 central
 * differences (eps 2^-7; op's outputs are exact in float32 for data movement on grid values).
 */
export function checkGradient(op: Op, inputs: readonly Input[], seed = 1, tol = 1e-4): void {
  noLeaks((own) => {
    const next = rng(seed);
    const xs = own(inputs.map(toTensor));
    const out = own(op(...xs));
    const w = gridValues(out.shape as readonly number[], next);
    const wT = own(toTensor(w));
    const lossOf = (vals: Input[]): number => {
      const ins = vals.map(toTensor);
      const y = op(...ins);
      const d = y.dataSync();
      for (const t of [y, ...ins]) t.dispose();
      let s = 0;
      for (let i = 0; i < d.length; i++) s += w.data[i] * Math.sin(d[i]);
      return s;
    };
    const argnums = inputs.map((_, i) => i);
    const f = (...a: AnyTensor[]) => sum(mul(wT, sin(op(...a))));
    const grads = own(grad(f as never, { argnums } as never)(...(xs as never[])) as unknown as AnyTensor[]);
    const eps = 2 ** -7;
    inputs.forEach((input, k) => {
      const fd = input.data.map((_, j) => {
        const shifted = (delta: number) => inputs.map((v, m) => (m !== k ? v : { shape: v.shape, data: v.data.map((x, i) => (i === j ? x + delta : x)) }));
        return (lossOf(shifted(eps)) - lossOf(shifted(-eps))) / (2 * eps);
      });
      expectClose(grads[k].dataSync(), fd, tol);
    });
  });
}

/** <u, J v> (forward mode) equals <J^T u, v> (reverse mode) for random u, v. */
export function checkJvpVjp(op: Op, inputs: readonly Input[], seed = 2): void {
  noLeaks((own) => {
    const next = rng(seed);
    const xs = own(inputs.map(toTensor));
    const vs = inputs.map((i) => gridValues(i.shape, next));
    const [y, yDot] = jvp(op as (...a: AnyTensor[]) => AnyTensor, xs, own(vs.map(toTensor)));
    own([y, yDot]);
    const u = gridValues(y.shape as readonly number[], next);
    const [y2, back] = vjp(op as (...a: AnyTensor[]) => AnyTensor, ...xs);
    own(y2);
    const xBars = own(back(own(toTensor(u))) as AnyTensor[]);
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
  return tensor(rows[i] as never, (x.shape as readonly number[]).slice(1), x.dtype) as AnyTensor;
}

/** vmap(op)(args) equals op applied to each example and stacked (args with axis null are shared). */
export function checkVmap(op: Op, args: readonly AnyTensor[], inAxes: readonly (0 | null)[]): void {
  noLeaks((own) => {
    const n = (args[inAxes.indexOf(0)].shape as readonly number[])[0];
    const batched = own(vmap(op as (...a: AnyTensor[]) => AnyTensor, { inAxes })(...args) as AnyTensor);
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

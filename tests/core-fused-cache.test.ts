// The fused ops' trace cache (src/core/fused.ts): a composite is traced once per op and operand
// shapes and dtypes; cached calls give the same values as uncached ones (kernel and composite, eager
// and under grad, jvp, vmap and jit); the cache holds no tensors (nothing leaks, nothing is used
// after a dispose); shapes, dtypes and ops do not collide; a composite that closes over a traced
// value is traced per call.
import { afterEach, describe, expect, test } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import * as lax from "../src/core/index.js";
import {
  clearFusedCache,
  fused,
  fusedTraceCount,
  grad,
  jit,
  jvp,
  mul,
  nativeAvailable,
  setFusedCache,
  setNativeKernels,
  sum,
  vmap,
  type FusedOp,
} from "../src/core/index.js";
import { liveTensors } from "../src/backend/index.js";
import { tensor, type AnyTensor, type Tensor } from "../src/tensor/index.js";
import { AXPY_KERNEL } from "./fixtures/native/axpy.js";
import { expectFlatMemory, leakFree } from "./primitive-harness.js";

afterEach(() => {
  setNativeKernels(true);
  setFusedCache(true);
});

function values(n: number, seed: number): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = Math.sin(seed * 7.31 + i * 1.77) * 3;
  return v;
}
const read = (t: AnyTensor) => Array.from(t.concrete().dataSync());
const free = (...ts: (AnyTensor | AnyTensor[])[]) => ts.flat().forEach((t) => t.dispose());
const sizeOf = (shape: number[]) => shape.reduce((p, q) => p * q, 1);
const input = (shape: number[], seed: number) => tensor(values(sizeOf(shape), seed), shape);

/** The fixture kernel's op ([a x + y, x y]) with a composite that counts its traces, and `extra` constants made in it. */
function countingAxpy(a: number, extra = false): FusedOp & { traces: number } {
  const op = {
    traces: 0,
    name: "countingAxpy",
    kernel: AXPY_KERNEL,
    attrs: { a },
    composite([x, y]: AnyTensor[]): AnyTensor[] {
      op.traces++;
      // a tensor the composite makes (a captured constant of the body); ones, so the values are the same
      const s = lax.add(lax.mul(x, a), y);
      return [extra ? lax.mul(s, tensor(new Float32Array(x.shape.at(-1) ?? 1).fill(1), [x.shape.at(-1) ?? 1])) : s, lax.mul(x, y)];
    },
    supports: ([x, y]: readonly { shape: readonly number[] }[]) =>
      x.shape.length === y.shape.length && x.shape.every((d, i) => d === y.shape[i]),
  };
  return op;
}

/** Whether the cache is on now. */
function fusedCacheOn(): boolean {
  const on = setFusedCache(true);
  setFusedCache(on);
  return on;
}

/** `f` run with the cache off (every call traced), then on: the results of both. */
function withoutAndWith<T>(f: () => T): [T, T] {
  setFusedCache(false);
  const off = f();
  setFusedCache(true);
  return [off, f()];
}

/** Kernel names the engine ran inside `f`. */
async function kernelsRun(f: () => AnyTensor[]): Promise<string[]> {
  const info = await tf.profile(() => f().map((t) => t.concrete()));
  return info.kernelNames;
}

describe("the trace cache", () => {
  test("eager calls trace the composite once per shape, run the kernel, and give the uncached values", async () => {
    expect(nativeAvailable(AXPY_KERNEL)).toBe(true);
    const op = countingAxpy(-0.75, true);
    const x = input([3, 5], 1);
    const y = input([3, 5], 2);
    const uncachedTraces = fusedTraceCount();
    setFusedCache(false);
    const want = fused(op, [x, y]);
    setFusedCache(true);
    expect(op.traces).toBe(1);
    expect(fusedTraceCount()).toBe(uncachedTraces + 1);
    for (let i = 0; i < 5; i++) {
      let got: AnyTensor[] = [];
      const names = await kernelsRun(() => (got = fused(op, [x, y])));
      expect(names).toEqual([AXPY_KERNEL]);
      expect(got.map(read)).toEqual(want.map(read));
      free(got);
    }
    // traced by the first cached call only
    expect(op.traces).toBe(2);
    // composites too (native kernels off): from the cached body, no trace
    setNativeKernels(false);
    for (let i = 0; i < 3; i++) {
      let got: AnyTensor[] = [];
      expect(await kernelsRun(() => (got = fused(op, [x, y])))).not.toContain(AXPY_KERNEL);
      got.map(read).forEach((v, k) => v.forEach((e, j) => expect(e).toBeCloseTo(read(want[k])[j], 5)));
      free(got);
    }
    expect(op.traces).toBe(2);
    free(x, y, want);
  });

  test("composite values with and without the cache are the same bytes", () => {
    setNativeKernels(false);
    const op = countingAxpy(1.25, true);
    const x = input([4, 7], 3);
    const y = input([4, 7], 4);
    const [off, on] = withoutAndWith(() => [fused(op, [x, y]), fused(op, [x, y])]);
    expect(on.flat().map(read)).toEqual(off.flat().map(read));
    free(x, y, ...off.flat(), ...on.flat());
  });

  test("switched off, every call traces", () => {
    const op = countingAxpy(2);
    const x = input([6], 5);
    setFusedCache(false);
    for (let i = 0; i < 3; i++) free(fused(op, [x, x]));
    expect(op.traces).toBe(3);
    free(x);
  });

  test("shapes and dtypes do not collide; each is traced once", () => {
    const op = countingAxpy(0.5);
    const shapes = [[3], [5], [3, 1], [1, 3], [2, 0, 2], []];
    for (let round = 0; round < 3; round++)
      for (const [i, s] of shapes.entries()) {
        const x = input(s, 10 + i);
        const y = input(s, 20 + i);
        const [sum0, prod] = fused(op, [x, y]);
        expect(sum0.shape).toEqual(s);
        const [vx, vy] = [read(x), read(y)];
        read(sum0).forEach((v, j) => expect(v).toBeCloseTo(0.5 * vx[j] + vy[j], 5));
        read(prod).forEach((v, j) => expect(v).toBeCloseTo(vx[j] * vy[j], 5));
        free(x, y, sum0, prod);
      }
    expect(op.traces).toBe(shapes.length);
    // the same shape in another dtype is another trace (the kernel does not take int32: the composite runs)
    const intOp: FusedOp & { traces: number } = {
      ...countingAxpy(3),
      traces: 0,
      composite([x, y]) {
        intOp.traces++;
        return [lax.add(lax.add(lax.add(x, x), x), y), lax.mul(x, y)];
      },
      supports: ([x]) => x.dtype === "float32",
    };
    const xf = tensor([1.5, 2, -1], [3]);
    const xi = tensor([1, 2, -1], [3], "int32");
    for (let i = 0; i < 2; i++) {
      const [f] = fused(intOp, [xf, xf]);
      const [n] = fused(intOp, [xi, xi]);
      expect(f.dtype).toBe("float32");
      expect(n.dtype).toBe("int32");
      expect(read(f)).toEqual([6, 8, -4]);
      expect(read(n)).toEqual([4, 8, -4]);
      free(f, n);
    }
    expect(intOp.traces).toBe(2);
    free(xf, xi);
  });

  test("the cache is bounded per op, least recently used first out", () => {
    const op = countingAxpy(1);
    const hot = input([1], 60);
    const first = input([2], 61);
    const run = (x: AnyTensor) => free(fused(op, [x, x]));
    run(hot);
    run(first);
    for (let n = 3; n < 103; n++) {
      const x = input([n], n);
      run(x);
      run(hot);
      free(x);
    }
    // 102 shapes traced once each; the hot one stayed, the first other one was dropped
    expect(op.traces).toBe(102);
    run(hot);
    expect(op.traces).toBe(102);
    run(first);
    expect(op.traces).toBe(103);
    free(hot, first);
  });

  test("ops are told apart by identity, or by a declared key (with their name, kernel and attrs)", () => {
    const x = input([4], 30);
    const y = input([4], 31);
    // the same a, two objects: two traces
    const [p, q] = [countingAxpy(2), countingAxpy(2)];
    free(fused(p, [x, y]), fused(q, [x, y]), fused(p, [x, y]), fused(q, [x, y]));
    expect([p.traces, q.traces]).toEqual([1, 1]);
    // made per call with a key: traced once per key and attrs
    let traces = 0;
    const keyed = (a: number): FusedOp => ({
      name: "keyedAxpy",
      kernel: AXPY_KERNEL,
      attrs: { a },
      key: `a=${a}`,
      composite: ([u, v]) => (traces++, [lax.add(lax.mul(u, a), v), lax.mul(u, v)]),
    });
    for (let i = 0; i < 3; i++) {
      const [s2] = fused(keyed(2), [x, y]);
      const [s3] = fused(keyed(3), [x, y]);
      read(s2).forEach((v, j) => expect(v).toBeCloseTo(2 * read(x)[j] + read(y)[j], 5));
      read(s3).forEach((v, j) => expect(v).toBeCloseTo(3 * read(x)[j] + read(y)[j], 5));
      free(s2, s3);
    }
    expect(traces).toBe(2);
    clearFusedCache();
    free(fused(keyed(2), [x, y]));
    expect(traces).toBe(3);
    free(x, y);
  });

  test("grad, jvp, vmap and jit through a cached op agree with the uncached op", () => {
    for (const native of [true, false]) {
      setNativeKernels(native);
      const op = countingAxpy(1.5, true);
      const x = input([3, 4], 40);
      const y = input([3, 4], 41);
      const loss = (a: AnyTensor, b: AnyTensor) => {
        const [s, p] = fused(op, [a, b]);
        return sum(mul(s, p)) as Tensor<[]>;
      };
      const run = () => {
        const g = grad(loss, { argnums: [0, 1] })(x, y) as unknown as AnyTensor[];
        const gg = grad((a: AnyTensor) => sum(grad(loss)(a, y)) as Tensor<[]>)(x);
        const [out, tan] = jvp((a: AnyTensor) => fused(op, [a, y])[0], [x], [y]);
        const batched = vmap((a: AnyTensor, b: AnyTensor) => fused(op, [a, b]))(x, y) as AnyTensor[];
        const f = jit((a: AnyTensor, b: AnyTensor) => fused(op, [a, b]));
        const jitted = f(x, y);
        f.dispose();
        return [...g, gg, out, tan, ...batched, ...jitted];
      };
      const [off, on] = withoutAndWith(() => {
        const first = run();
        const traced = op.traces;
        const second = run();
        // cached: the second round traces nothing (grad, jvp, vmap and jit included)
        if (fusedCacheOn()) expect(op.traces).toBe(traced);
        return [first, second];
      });
      // the reference: d/da sum((1.5a + b) a b) = (3a + b) b, d/db = (1.5a + 2b) a
      const [vx, vy] = [read(x), read(y)];
      read(on[0][0]).forEach((v, j) => expect(v).toBeCloseTo((3 * vx[j] + vy[j]) * vy[j], 4));
      read(on[0][1]).forEach((v, j) => expect(v).toBeCloseTo((1.5 * vx[j] + 2 * vy[j]) * vx[j], 4));
      for (const r of [...on, off[1]]) r.forEach((t, k) => expect(read(t)).toEqual(read(off[0][k])));
      free(x, y, ...off.flat(), ...on.flat());
    }
  });

  test("the cache holds no tensors: a caching call leaks nothing, memory stays flat, clearing disposes nothing", () => {
    const op = countingAxpy(-2, true);
    const x = input([5, 3], 50);
    const y = input([5, 3], 51);
    for (const native of [true, false]) {
      setNativeKernels(native);
      clearFusedCache();
      leakFree(() => free(fused(op, [x, y])));
      leakFree(() => free(grad((a: AnyTensor) => sum(fused(op, [a, y])[0]) as Tensor<[]>)(x)));
      expectFlatMemory(() => free(fused(op, [x, y])));
      expectFlatMemory(() => free(grad((a: AnyTensor) => sum(mul(...(fused(op, [a, y]) as [AnyTensor, AnyTensor]))) as Tensor<[]>)(x)));
      const before = liveTensors();
      clearFusedCache();
      expect(liveTensors()).toBe(before);
    }
    free(x, y);
  });

  test("constants the composite closed over are copied: disposing the original does not break a cached op", () => {
    const scale = tensor([2, -1, 0.5], [3]);
    const op: FusedOp = {
      name: "scaled",
      kernel: AXPY_KERNEL,
      attrs: { a: 1 },
      composite: ([a, b]) => [lax.add(lax.mul(a, scale), b), lax.mul(a, b)],
      // the kernel computes a x + y, not this: the composite always runs
      supports: () => false,
    };
    const x = tensor([1, 2, 3], [3]);
    const first = fused(op, [x, x]);
    scale.dispose();
    const again = fused(op, [x, x]);
    expect(read(again[0])).toEqual([3, 0, 4.5]);
    expect(read(again[0])).toEqual(read(first[0]));
    free(x, first, again);
  });

  test("a composite that closes over a traced value is traced at every call (and differentiates through it)", () => {
    let traces = 0;
    let w: AnyTensor | undefined;
    const op: FusedOp = {
      name: "closesOverW",
      kernel: AXPY_KERNEL,
      attrs: { a: 1 },
      composite: ([a, b]) => (traces++, [lax.add(lax.mul(a, w!), b), lax.mul(a, b)]),
      supports: () => false,
    };
    const x = tensor([1, 2, 3], [3]);
    const dw = (v: number) => {
      const at = tensor([v, v, v], [3]);
      const g = grad((wt: AnyTensor) => {
        w = wt;
        return sum(fused(op, [x, x])[0]) as Tensor<[]>;
      })(at);
      at.dispose();
      return g;
    };
    const g1 = dw(1);
    const g2 = dw(5);
    expect(read(g1)).toEqual([1, 2, 3]);
    expect(read(g2)).toEqual([1, 2, 3]);
    expect(traces).toBe(2);
    free(x, g1, g2);
  });
});

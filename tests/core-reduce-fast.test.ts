// Sum over leading axes on the native column-sum kernel (src/core/native/colsum.c, kernel
// ShapeflowSumLeading), which a float32 sum over axes 0 .. j < rank - 1 runs on WASM (every dense
// layer's bias gradient): against a float64 reference over odd shapes (columns 1 to 600, rows 1 to
// 70,000, not multiples of 4, 8 or 16) with native kernels on and off, at least as accurate as the
// pooled path on long columns; leading axes of rank 3 and 4, keepDims; the kernel ran (eagerly and in a
// jit plan); grad of grad through a dense layer with a bias and a jitted training step against
// native-off; no leaks.
import { afterEach, describe, expect, test } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import {
  SUM_LEADING_KERNEL,
  add,
  grad,
  jit,
  matmul,
  nativeAvailable,
  setNativeKernels,
  setNativeSumLeading,
  sum,
  tanh,
  withNativeKernels,
} from "../src/core/index.js";
import { losses, nn, optim, random } from "../src/index.js";
import { trainLosses } from "./train-harness.js";
import { Concrete, tensor, type AnyTensor, type Tensor } from "../src/tensor/index.js";
import * as tree from "../src/tree/index.js";
import { expectFlatMemory } from "./primitive-harness.js";

afterEach(() => {
  setNativeKernels(true);
  setNativeSumLeading(true);
});

/** Deterministic values in [lo, lo + 2) (a small LCG: no random backend involved). */
function values(n: number, seed: number, lo = -1): Float32Array {
  let s = seed * 2654435761 + 1;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return lo + (2 * s) / 2147483648;
  });
}

/** The worst error of got against the float64 column sums of x [m, n], relative to the sum of the column's absolute values. */
function worstError(got: Float32Array | Int32Array | Uint8Array, x: Float32Array, m: number, n: number): number {
  expect(got.length).toBe(n);
  let worst = 0;
  for (let j = 0; j < n; j++) {
    let s = 0;
    let scale = 0;
    for (let i = 0; i < m; i++) {
      s += x[i * n + j];
      scale += Math.abs(x[i * n + j]);
    }
    worst = Math.max(worst, scale === 0 ? Math.abs(got[j]) : Math.abs(got[j] - s) / scale);
  }
  return worst;
}

/** sum(x, leading axes) with the native kernel on or off, as a tfjs tensor the caller disposes. */
function sumLeading(x: tf.Tensor, axes: number[], on: boolean, keepDims = false): tf.Tensor {
  const was = setNativeSumLeading(on);
  try {
    return sum(new Concrete(x), axes, { keepDims }).concrete();
  } finally {
    setNativeSumLeading(was);
  }
}

/** The kernel names one call of f dispatches. */
async function kernelsOf(f: () => unknown): Promise<string[]> {
  const info = await tf.profile(() => void tree.dispose(f()));
  return info.kernels.map((k) => k.name);
}

// [rows, columns]: 1 to 70,000 rows, 1 to 600 columns; odd, powers of two and their neighbours
const SHAPES: [number, number][] = [
  [1, 1],
  [1, 600],
  [2, 3],
  [3, 17],
  [7, 5],
  [63, 65],
  [64, 16],
  [65, 33],
  [128, 500],
  [129, 300],
  [4095, 4],
  [4097, 31],
  [12544, 64],
  [50001, 17],
  [50176, 32],
  [70000, 9],
  [3001, 600],
];

describe("the kernel", () => {
  test("is there on WASM", () => {
    expect(tf.getBackend()).toBe("wasm");
    expect(nativeAvailable(SUM_LEADING_KERNEL)).toBe(true);
  });

  test.each([true, false])("native %s: column sums against a float64 reference over odd shapes", (on) => {
    SHAPES.forEach(([m, n], s) => {
      const v = values(m * n, s);
      const x = tf.tensor(v, [m, n]);
      const y = sumLeading(x, [0], on);
      expect(y.shape).toEqual([n]);
      expect(worstError(y.dataSync(), v, m, n)).toBeLessThan(on ? 2e-7 : 1e-5);
      tf.dispose([x, y]);
    });
  });

  test("long columns of positive values: at least as accurate as the pooled path (float64 reference)", () => {
    // positive values: the error grows with the number of sequential additions
    for (const [m, n] of [
      [50001, 32],
      [50176, 32],
      [65536, 20],
      [70000, 40],
    ]) {
      const v = values(m * n, m + n, 0.5);
      const x = tf.tensor(v, [m, n]);
      const [on, off] = [true, false].map((o) => sumLeading(x, [0], o));
      const [eOn, eOff] = [on, off].map((y) => worstError(y.dataSync(), v, m, n));
      expect(eOn).toBeLessThan(2.5e-7); // a few ulp of the sum
      expect(eOn).toBeLessThanOrEqual(Math.max(eOff, 2.5e-7));
      tf.dispose([x, on, off]);
    }
  });

  test("leading axes of rank 3 and 4, keepDims, and empty tensors", () => {
    for (const [shape, axes] of [
      [
        [3, 5, 7, 9],
        [0, 1],
      ],
      [
        [3, 5, 7, 9],
        [0, 1, 2],
      ],
      [[2, 3, 4], [0]],
      [[4, 6, 2, 5], [0]],
      [
        [5, 1, 3],
        [0, 1],
      ],
    ] as [number[], number[]][]) {
      const size = shape.reduce((a, b) => a * b, 1);
      const v = values(size, shape.length);
      const x = tf.tensor(v, shape);
      for (const keepDims of [false, true]) {
        const [on, off] = [true, false].map((o) => sumLeading(x, axes, o, keepDims));
        const ref = tf.sum(x, axes, keepDims);
        expect(on.shape).toEqual(ref.shape);
        expect(off.shape).toEqual(ref.shape);
        const m = shape.slice(0, axes.length).reduce((a, b) => a * b, 1);
        expect(worstError(on.dataSync(), v, m, size / m)).toBeLessThan(2e-7);
        tf.dispose([on, off, ref]);
      }
      tf.dispose(x);
    }
    for (const shape of [
      [0, 5],
      [5, 0],
      [2, 0, 3],
    ]) {
      const x = tf.zeros(shape);
      const y = sumLeading(x, [0], true);
      expect(y.shape).toEqual(shape.slice(1));
      expect(Array.from(y.dataSync()).every((e) => e === 0)).toBe(true);
      tf.dispose([x, y]);
    }
  });

  test("runs as one kernel call (eager), none with it off; int32 sums keep tfjs' Sum", async () => {
    const x = tensor(Array.from(values(64 * 10, 3)), [64, 10]);
    const on = await kernelsOf(() => sum(x, 0));
    expect(on).toEqual([SUM_LEADING_KERNEL]);
    setNativeSumLeading(false);
    const off = await kernelsOf(() => sum(x, 0));
    expect(off).not.toContain(SUM_LEADING_KERNEL);
    expect(off.length).toBeGreaterThan(1);
    setNativeSumLeading(true);
    expect(await kernelsOf(() => withNativeKernels(false, () => sum(x, 0)))).not.toContain(SUM_LEADING_KERNEL);
    const i = tensor(
      Int32Array.from({ length: 12 }, (_, k) => k - 5),
      [4, 3],
      "int32",
    );
    expect(await kernelsOf(() => sum(i, 0))).not.toContain(SUM_LEADING_KERNEL);
    const iv = i.concrete().dataSync();
    const is = sum(i, 0);
    expect(Array.from(is.concrete().dataSync())).toEqual([0, 1, 2].map((j) => iv[j] + iv[3 + j] + iv[6 + j] + iv[9 + j]));
    tree.dispose(is);
    tree.dispose([x, i]);
  });
});

const dense = (x: AnyTensor, w: AnyTensor, b: AnyTensor) => sum(tanh(add(matmul(x, w), b))) as Tensor<[]>;

describe("in gradients and plans", () => {
  const x = () => tensor(Array.from(values(6 * 5, 1)), [6, 5]);
  const w = () => tensor(Array.from(values(5 * 3, 2)), [5, 3]);
  const b = () => tensor(Array.from(values(3, 4)), [3]);

  test("a jitted dense layer's gradient runs it in its plan (the bias gradient) and matches native-off", () => {
    const [xs, ws, bs] = [x(), w(), b()];
    const results = [true, false].map((on) =>
      withNativeKernels(on, () => {
        const f = jit(grad(dense, { argnums: [0, 1, 2] }));
        const r = [f(xs, ws, bs), f(xs, ws, bs)];
        const calls = f.lastPlan?.steps.flatMap((st) => (st.kind === "call" ? [st.name] : [])) ?? [];
        expect(calls.filter((k) => k === SUM_LEADING_KERNEL).length).toBe(on ? 1 : 0);
        f.dispose();
        tree.dispose(r[0]);
        return r[1];
      }),
    );
    const flat = (t: unknown) => tree.leaves(t).map((l) => Array.from(l.dataSync()));
    const [on, off] = results.map(flat);
    expect(on.length).toBe(3);
    on.forEach((l, i) => l.forEach((v, j) => expect(Math.abs(v - off[i][j])).toBeLessThan(1e-6)));
    tree.dispose([results, xs, ws, bs]);
  });

  test("grad of grad through a dense layer with a bias matches native-off", () => {
    const [xs, ws, bs] = [x(), w(), b()];
    // d/db sum(tanh(grad_b f)) and d/dw of the same: the bias gradient's sum differentiated
    const f = () =>
      grad(
        (c: AnyTensor, d: AnyTensor) => {
          const gb = grad((e: AnyTensor) => dense(xs, c, e))(d);
          return sum(tanh(gb)) as Tensor<[]>;
        },
        { argnums: [0, 1] },
      )(ws, bs);
    const [on, off] = [true, false].map((n) => withNativeKernels(n, f));
    tree.leaves(on).forEach((l, i) => {
      const r = tree.leaves(off)[i];
      expect(l.shape).toEqual(r.shape);
      const u = l.dataSync();
      expect(u.every(Number.isFinite)).toBe(true);
      expect(u.some((e) => e !== 0)).toBe(true);
      u.forEach((e, j) => expect(Math.abs(e - r.dataSync()[j])).toBeLessThan(1e-5));
    });
    tree.dispose([on, off, xs, ws, bs]);
  });

  test("a jitted MLP training step gives native-off's losses to float32 rounding", () => {
    const xs = tensor(Array.from(values(32 * 20, 11)), [32, 20]);
    const ys = tensor(
      Int32Array.from({ length: 32 }, (_, j) => (j * 7) % 5),
      [32],
      "int32",
    );
    const train = (on: boolean) => {
      const was = setNativeSumLeading(on);
      try {
        const model = nn.input(["batch", 20]).add(nn.dense(24)).add(nn.relu()).add(nn.dense(5));
        return trainLosses(model, xs, ys, 5, (step) => {
          const calls = step.lastPlan?.steps.filter((st) => st.kind === "call" && st.name === SUM_LEADING_KERNEL).length;
          expect(calls).toBe(on ? 2 : 0); // the two bias gradients
        });
      } finally {
        setNativeSumLeading(was);
      }
    };
    const [on, off] = [train(true), train(false)];
    expect(on[4]).toBeLessThan(on[0]);
    on.forEach((l, i) => expect(Math.abs(l - off[i])).toBeLessThan(2e-6 * Math.max(1, Math.abs(off[i]))));
    tree.dispose([xs, ys]);
  });

  test("leaves no tensors (nor backend buffers) behind, eager and jitted", () => {
    const [xs, ws, bs] = [x(), w(), b()];
    const f = (p: AnyTensor, q: AnyTensor, r: AnyTensor) => grad(dense, { argnums: [0, 1, 2] })(p, q, r);
    const jitted = jit(f);
    const big = tensor(Array.from(values(300 * 70, 5)), [3, 100, 70]);
    expectFlatMemory(() => {
      tree.dispose(f(xs, ws, bs));
      tree.dispose(jitted(xs, ws, bs));
      tree.dispose(sum(big, [0, 1], { keepDims: true }));
    });
    jitted.dispose();
    tree.dispose([xs, ws, bs, big]);
  });
});

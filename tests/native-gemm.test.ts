// The native float32 GEMM (src/core/native/gemm.c, kernel ShapeflowMatMul): each variant (NN, TN,
// NT, and TT) against a float64 reference over odd shapes; matmul's impl and its vjp's fused
// transposed products running it (eager and in the jit plan, no Transpose left); matmul's spec
// (values, derivatives of order 1 and 2, vmap, jit) with native kernels on and off; grad of grad
// and vmap through a dense layer, a training step against native-off, the threaded gate, no leaks.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import {
  MATMUL_KERNEL,
  grad,
  jit,
  matmul,
  nativeAvailable,
  primitives,
  setNativeGemm,
  setNativeKernels,
  sum,
  tanh,
  vmap,
  withNativeKernels,
} from "../src/core/index.js";
import { liveTensors } from "../src/backend/index.js";
import { losses, nn, optim, random } from "../src/index.js";
import { trainLosses } from "./train-harness.js";
import { tensor, type AnyTensor, type Tensor } from "../src/tensor/index.js";
import * as tree from "../src/tree/index.js";
import { specs, type PrimitiveSpec } from "./primitive-specs.js";
import { checkFirstOrder, checkJit, checkSecondOrder, checkShapeAndValues, checkVmap, forCases } from "./primitive-harness.js";

afterEach(() => {
  setNativeKernels(true);
  setNativeGemm(true);
});

/** Deterministic values in [-1, 1) (a small LCG: no random backend involved). */
function values(n: number, seed: number): number[] {
  let s = seed * 2654435761 + 1;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return -1 + (2 * s) / 2147483648;
  });
}

type Variant = "NN" | "TN" | "NT" | "TT";

/** The kernel on a (given as [k, m] when transposed) and b (given as [n, k] when transposed). */
function kernel(a: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean): tf.Tensor {
  const y = tf.engine().runKernel<tf.Tensor | tf.Tensor[]>(MATMUL_KERNEL, { x0: a, x1: b }, { transposeA, transposeB });
  return Array.isArray(y) ? y[0] : y;
}

/**
 * Every entry of got within tol of the float64 product: relative to the sum of the absolute
 * products that make it (the scale float32 accumulation errs against), k = 0 exactly 0.
 */
function expectProduct(got: Float32Array, a: Float32Array, b: Float32Array, m: number, n: number, k: number, v: Variant): void {
  const [ta, tb] = [v[0] === "T", v[1] === "T"];
  const at = (i: number, p: number) => (ta ? a[p * m + i] : a[i * k + p]);
  const bt = (p: number, j: number) => (tb ? b[j * k + p] : b[p * n + j]);
  expect(got.length).toBe(m * n);
  let worst = 0;
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      let scale = 0;
      for (let p = 0; p < k; p++) {
        s += at(i, p) * bt(p, j);
        scale += Math.abs(at(i, p) * bt(p, j));
      }
      const e = Math.abs(got[i * n + j] - s);
      if (k === 0) expect(got[i * n + j]).toBe(0);
      else worst = Math.max(worst, e / scale);
    }
  expect(worst).toBeLessThan(1e-6);
}

// m, n, k from 1 to ~70 (multiples of 4, 8 and 16 and not), k = 0, k past one block of 256, and
// m < 4 with n of 16 and 32 and more (the wide one- and two-row tiles), one row with n >= 256 (streamed)
const DIMS: [number, number, number][] = [
  [1, 1, 1],
  [1, 7, 3],
  [1, 70, 9],
  [2, 40, 300],
  [3, 33, 20],
  [2, 16, 5],
  [1, 259, 7],
  [1, 300, 601],
  [3, 1, 5],
  [2, 3, 0],
  [4, 8, 16],
  [5, 9, 17],
  [7, 13, 4],
  [8, 16, 1],
  [12, 24, 33],
  [15, 17, 31],
  [16, 70, 8],
  [33, 5, 64],
  [64, 64, 70],
  [70, 63, 65],
  [9, 11, 257],
  [6, 20, 600],
];
const VARIANTS: Variant[] = ["NN", "TN", "NT", "TT"];

describe("the kernel", () => {
  test("is there on WASM", () => {
    expect(tf.getBackend()).toBe("wasm");
    expect(nativeAvailable(MATMUL_KERNEL)).toBe(true);
  });

  test.each(VARIANTS)("%s against a float64 reference over odd shapes (k = 0 and k > 256 included)", (v) => {
    DIMS.forEach(([m, n, k], s) => {
      const [ta, tb] = [v[0] === "T", v[1] === "T"];
      const a = tf.tensor(values(m * k, s), ta ? [k, m] : [m, k]);
      const b = tf.tensor(values(k * n, s + 100), tb ? [n, k] : [k, n]);
      const y = kernel(a, b, ta, tb);
      expect(y.shape).toEqual([m, n]);
      expectProduct(y.dataSync() as Float32Array, a.dataSync() as Float32Array, b.dataSync() as Float32Array, m, n, k, v);
      tf.dispose([a, b, y]);
    });
  });

  test("folds a's leading axes into rows (NN and NT), and takes empty operands", () => {
    for (const tb of [false, true]) {
      const a = tf.tensor(values(2 * 3 * 5 * 7, 7), [2, 3, 5, 7]);
      const b = tf.tensor(values(7 * 9, 8), tb ? [9, 7] : [7, 9]);
      const y = kernel(a, b, false, tb);
      expect(y.shape).toEqual([2, 3, 5, 9]);
      expectProduct(y.dataSync() as Float32Array, a.dataSync() as Float32Array, b.dataSync() as Float32Array, 30, 9, 7, tb ? "NT" : "NN");
      tf.dispose([a, b, y]);
    }
    for (const [sa, sb, out] of [
      [
        [0, 4],
        [4, 3],
        [0, 3],
      ],
      [
        [3, 4],
        [4, 0],
        [3, 0],
      ],
    ]) {
      const a = tf.zeros(sa);
      const b = tf.zeros(sb);
      const y = kernel(a, b, false, false);
      expect(y.shape).toEqual(out);
      tf.dispose([a, b, y]);
    }
  });
});

/** The kernel names one call of f dispatches. */
async function kernelsOf(f: () => unknown): Promise<string[]> {
  const info = await tf.profile(() => void tree.dispose(f()));
  return info.kernels.map((k) => k.name);
}

const dense = (x: AnyTensor, w: AnyTensor) => sum(tanh(matmul(x, w))) as Tensor<[]>;

describe("matmul on the kernel", () => {
  const x = () => tensor(values(6 * 5, 1), [6, 5]);
  const w = () => tensor(values(5 * 3, 2), [5, 3]);

  test("the impl and both cotangents run it, eagerly: no BatchMatMul, no Transpose", async () => {
    const [xs, ws] = [x(), w()];
    const g = () => grad((a: AnyTensor, b: AnyTensor) => dense(a, b), { argnums: [0, 1] })(xs, ws);
    const native = await kernelsOf(g);
    expect(native.filter((k) => k === MATMUL_KERNEL).length).toBe(3);
    expect(native).not.toContain("BatchMatMul");
    expect(native).not.toContain("Transpose");
    const off = await kernelsOf(() => withNativeKernels(false, g));
    expect(off).not.toContain(MATMUL_KERNEL);
    expect(off.filter((k) => k === "BatchMatMul").length).toBe(3);
    expect(off).toContain("Transpose");
    // the GEMM alone off: XNNPACK's products, the other native kernels untouched
    setNativeGemm(false);
    expect(await kernelsOf(g)).not.toContain(MATMUL_KERNEL);
    setNativeGemm(true);
    tree.dispose([xs, ws]);
  });

  test("a jitted gradient's plan calls it three times, and no Transpose", () => {
    const [xs, ws] = [x(), w()];
    const results = [true, false].map((on) =>
      withNativeKernels(on, () => {
        const f = jit(grad((a: AnyTensor, b: AnyTensor) => dense(a, b), { argnums: [0, 1] }));
        const r = [f(xs, ws), f(xs, ws)];
        const calls = f.lastPlan?.steps.flatMap((st) => (st.kind === "call" ? [st.name] : [])) ?? [];
        expect(calls.filter((k) => k === MATMUL_KERNEL).length).toBe(on ? 3 : 0);
        if (on) expect(calls).not.toContain("Transpose");
        f.dispose();
        tree.dispose(r[0]);
        return r[1];
      }),
    );
    const flat = (t: unknown) => tree.leaves(t).map((l) => Array.from(l.dataSync()));
    const [on, off] = results.map(flat);
    on.forEach((l, i) => l.forEach((v, j) => expect(Math.abs(v - off[i][j])).toBeLessThan(1e-6)));
    tree.dispose([results, xs, ws]);
  });

  test("batched a against one matrix b (folded rows), and b with leading 1 axes", () => {
    const a = tensor(values(2 * 3 * 4, 3), [2, 3, 4]);
    const bs = [tensor(values(4 * 5, 4), [4, 5]), tensor(values(4 * 5, 4), [1, 1, 4, 5])];
    for (const b of bs) {
      const [on, off] = [true, false].map((n) => withNativeKernels(n, () => matmul(a, b)));
      expect(on.shape).toEqual(off.shape);
      const [u, v] = [on.dataSync(), off.dataSync()];
      u.forEach((e, i) => expect(Math.abs(e - v[i])).toBeLessThan(1e-6));
      // its gradients through the fused products
      const g = (n: boolean) => withNativeKernels(n, () => grad((p: AnyTensor, q: AnyTensor) => dense(p, q), { argnums: [0, 1] })(a, b));
      const [gn, gf] = [g(true), g(false)];
      tree.leaves(gn).forEach((l, i) => {
        const r = tree.leaves(gf)[i];
        expect(l.shape).toEqual(r.shape);
        l.dataSync().forEach((e, j) => expect(Math.abs(e - r.dataSync()[j])).toBeLessThan(1e-5));
      });
      tree.dispose([on, off, gn, gf]);
    }
    tree.dispose([a, bs]);
  });

  test("grad of grad and vmap through a dense layer match native-off", () => {
    const [xs, ws] = [x(), w()];
    const v = tensor(values(5 * 3, 9), [5, 3]);
    // d/dw <grad_w f(x, w), v>: the fused products differentiated through their composites
    const hvp = () =>
      grad((b: AnyTensor) => {
        const gw = grad((c: AnyTensor) => dense(xs, c))(b);
        return sum(tanh(gw)) as Tensor<[]>;
      })(ws);
    const perExample = () => vmap((row: AnyTensor) => grad((c: AnyTensor) => dense(row, c))(ws))(tensor(values(4 * 2 * 5, 5), [4, 2, 5]));
    for (const f of [hvp, perExample]) {
      const [on, off] = [true, false].map((n) => withNativeKernels(n, f));
      expect(on.shape).toEqual(off.shape);
      const [u, r] = [on.dataSync(), off.dataSync()];
      expect(u.every(Number.isFinite)).toBe(true);
      u.forEach((e, i) => expect(Math.abs(e - r[i])).toBeLessThan(1e-5));
      tree.dispose([on, off]);
    }
    tree.dispose([xs, ws, v]);
  });

  test("training steps of an MLP (jit, adam) give native-off's losses to float32 rounding", () => {
    const xs = tensor(values(32 * 20, 11), [32, 20]);
    const ys = tensor(
      Int32Array.from({ length: 32 }, (_, j) => (j * 7) % 5),
      [32],
      "int32",
    );
    const train = (on: boolean) =>
      withNativeKernels(on, () => {
        const model = nn.input(["batch", 20]).add(nn.dense(24)).add(nn.relu()).add(nn.dense(16)).add(nn.tanh()).add(nn.dense(5));
        return trainLosses(model, xs, ys, 6);
      });
    const [on, off] = [train(true), train(false)];
    expect(on[5]).toBeLessThan(on[0]);
    on.forEach((l, i) => expect(Math.abs(l - off[i])).toBeLessThan(2e-6 * Math.max(1, Math.abs(off[i]))));
    tree.dispose([xs, ys]);
  });

  test("leaves no tensors (nor backend buffers) behind, eager and jitted", () => {
    const [xs, ws] = [x(), w()];
    const before = [liveTensors(), tf.engine().backend.numDataIds()];
    const f = (a: AnyTensor, b: AnyTensor) => grad((p: AnyTensor, q: AnyTensor) => dense(p, q), { argnums: [0, 1] })(a, b);
    const jitted = jit(f);
    for (const g of [f, jitted, f, jitted]) tree.dispose(g(xs, ws));
    tree.dispose(matmul(xs, ws));
    jitted.dispose();
    expect([liveTensors(), tf.engine().backend.numDataIds()]).toEqual(before);
    tree.dispose([xs, ws]);
  });
});

describe("matmul's spec with native kernels on and off", () => {
  const spec = specs.matmul as PrimitiveSpec;
  const prim = primitives.matmul;
  const RUNS = 12;
  describe.each([true, false])("native %s", (on) => {
    test("values, first derivatives", () => {
      withNativeKernels(on, () => {
        forCases(spec, (c) => checkShapeAndValues("matmul", prim, spec, c), RUNS);
        forCases(spec, (c) => checkFirstOrder(prim, spec, c), RUNS);
      });
    });
    test("second derivatives, vmap, jit", () => {
      withNativeKernels(on, () => {
        forCases(spec, (c) => checkSecondOrder(prim, c), RUNS / 2);
        forCases(spec, (c, seed) => checkVmap("matmul", prim, c, seed), RUNS);
        forCases(spec, (c, seed) => checkJit("matmul", prim, spec, c, seed), RUNS);
      });
    });
  });
});

describe("on tfjs' threaded build", () => {
  /** What `body` reports (JSON lines "REPORT ...") in a new Node process (the setup has started a backend in this one). */
  function child(body: string): unknown[] {
    const script = `import * as sf from "./src/index.ts";
import * as tf from "@tensorflow/tfjs-core";
const core = await import("./src/core/index.ts");
const out = [];
const report = (x) => out.push(x);
${body}
console.log("REPORT " + JSON.stringify(out));
process.exit(0);`;
    const env = { ...process.env };
    delete env.SHAPEFLOW_THREADS;
    delete env.SHAPEFLOW_BACKEND;
    const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: join(import.meta.dirname, ".."),
      env,
      encoding: "utf8",
      timeout: 60_000,
    });
    const line = r.stdout.split("\n").find((l) => l.startsWith("REPORT "));
    if (line === undefined) throw new Error(`child failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
    return JSON.parse(line.slice("REPORT ".length)) as unknown[];
  }

  // with the gate on, every product on ours but the tall, big ones (THREADED_MIN_ROWS rows and
  // THREADED_MIN_WORK multiply-adds, and over minThreadedWork), which run on XNNPACK's thread pool;
  // the transposed products of the vjp (NT, TN) by the same rule; with every kernel threaded, none on ours
  const body = (gate: string) => `
await sf.init({ threads: 2, minThreadedWork: ${gate} });
report(sf.backendInfo().threads);
const kernels = async (f) => (await tf.profile(() => f().concrete())).kernelNames.filter((k) => k.includes("MatMul"));
const product = (m, k, n) => kernels(() => core.matmul(sf.ones([m, k]), sf.ones([k, n])));
// the cotangents of a [m, k] and b [k, n]: ct [m, n] times bᵀ (NT, m rows), aᵀ times ct (TN, k rows)
const grads = (m, k, n) => kernels(() => {
  const back = core.vjp((a, b) => core.matmul(a, b), sf.ones([m, k]), sf.ones([k, n]))[1];
  const [ga, gb] = back(sf.ones([m, n]));
  gb.concrete();
  return ga;
});
report(await product(64, 64, 64));
report(await product(128, 128, 128));
report(await product(128, 4096, 256));
report(await product(512, 512, 512));
report(await product(1024, 128, 512));
report(await grads(128, 512, 1024));
report(Array.from(core.matmul(sf.ones([64, 64]), sf.ones([64, 64])).dataSync().slice(0, 2)));`;

  test("on the threaded build our GEMM runs every product but the tall, big ones, which run on XNNPACK's pool", () => {
    const ours = [MATMUL_KERNEL];
    const pool = ["BatchMatMul"];
    // 64^3 = 2^18 and 128^3 = 2^21 multiply-adds (128^3 over the gate); 128x4096x256 = 2^27 with 128 rows;
    // 512^3 = 2^27 with 512 rows; 1024x128x512 = 2^26 with 1024 rows; grads: the forward 2^26 with 128 rows,
    // NT 128 rows, TN 512 rows of 2^26 (tf.profile lists each kernel name once)
    expect(child(body("1e6"))).toEqual([2, ours, ours, ours, pool, pool, [MATMUL_KERNEL, "BatchMatMul"], [64, 64]]);
    // a gate over the product's work keeps it on ours whatever its rows
    expect(child(body("2e8")).slice(4, 6)).toEqual([ours, ours]);
    expect(child(body("false"))).toEqual([2, pool, pool, pool, pool, pool, pool, [64, 64]]);
  });
});

// Softmax cross-entropy's native kernels (src/core/native/xent.c, fused ops in src/losses/xent.ts):
// the sparse and dense (fromLogits) classification losses with the kernels against their composites
// (native kernels off) and against the losses' former formulation (-oneHot · logSoftmax), over odd
// shapes and extreme logits, values and gradients; that the kernels run (eagerly and in a jit plan);
// grad of grad, jvp and vmap through the loss; bad labels; no leaks; and a training step's plan.
import { afterEach, describe, expect, test } from "vitest";
import "@tensorflow/tfjs-backend-cpu"; // registers the CPU backend, which init() imports only when asked for it
import * as tf from "@tensorflow/tfjs-core";
import {
  XENT_KERNELS,
  grad,
  jit,
  jvp,
  mul,
  nativeAvailable,
  neg,
  oneHot,
  setNativeKernels,
  sum,
  valueAndGrad,
  vmap,
  withNativeKernels,
} from "../src/core/index.js";
import { liveTensors } from "../src/backend/index.js";
import { logSoftmax } from "../src/ops/index.js";
import { tensor, type AnyTensor, type Tensor } from "../src/tensor/index.js";
import * as tree from "../src/tree/index.js";
import * as losses from "../src/losses/index.js";
import { nn, optim, random } from "../src/index.js";
import { makeTrainStep } from "../src/train/index.js";
import { exportOnnxFunction } from "../src/io/onnx.js";
import type { Reduction } from "../src/losses/index.js";

afterEach(() => void setNativeKernels(true));

/** Deterministic values in [lo, hi) (a small LCG). */
function values(n: number, seed: number, lo = -1, hi = 1): number[] {
  let s = seed * 2654435761 + 1;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return lo + ((hi - lo) * s) / 2147483648;
  });
}
const labelsFor = (n: number, c: number, seed: number) => Int32Array.from({ length: n }, (_, i) => (i * 7 + seed * 3 + (i >> 2)) % c);
const read = (t: unknown): number[] =>
  Array.isArray(t) && typeof t[0] === "number" ? (t as number[]) : tree.leaves(t).flatMap((l) => Array.from(l.dataSync() as Float32Array));
/** The values of what `f` returns, its tensors disposed. */
const valuesOf = (f: () => unknown): number[] => {
  const r = f();
  const out = read(r);
  tree.dispose(r);
  return out;
};

const leavesOf = (t: unknown): number[][] =>
  Array.isArray(t) && typeof t[0] === "number" ? [t as number[]] : tree.leaves(t).map((l) => Array.from(l.dataSync() as Float32Array));

/**
 * Leaf by leaf, every entry of a within rel * max(|b|, floor, the leaf's largest |b|) of b's (NaN
 * only against NaN): float32 rounding at the leaf's scale, since a gradient entry p − 1 or p Σy − y
 * cancels.
 */
function expectClose(a: unknown, b: unknown, rel = 2e-6, floor = 1e-6): void {
  const [la, lb] = [leavesOf(a), leavesOf(b)];
  expect(la.map((l) => l.length)).toEqual(lb.map((l) => l.length));
  la.forEach((fa, i) => {
    const fb = lb[i];
    const scale = fb.reduce((m, y) => (Number.isFinite(y) ? Math.max(m, Math.abs(y)) : m), floor);
    fa.forEach((x, j) => {
      const y = fb[j];
      if (Number.isNaN(y) && Number.isNaN(x)) return;
      if (!(Math.abs(x - y) <= rel * Math.max(Math.abs(y), scale))) throw new Error(`leaf ${i} entry ${j}: ${x} vs ${y}`);
    });
  });
}

/** `f` with native kernels on, then off (the composite), each result owned by the caller. */
function bothWays<T>(f: () => T): [T, T] {
  return [withNativeKernels(true, f), withNativeKernels(false, f)];
}

type F = Tensor<number[], "float32">;
type I = Tensor<number[], "int32">;
const sparse = (x: AnyTensor, l: AnyTensor, reduction: Reduction = "mean") =>
  losses.sparseCategoricalCrossEntropy(x as F, l as never, { reduction }) as AnyTensor;
const dense = (x: AnyTensor, y: AnyTensor, reduction: Reduction = "mean") =>
  losses.categoricalCrossEntropy(x as F, y as never, { fromLogits: true, reduction }) as AnyTensor;

/** The losses' former formulation, per example: -Σ oneHot(label) logSoftmax(x), mean over the middle axes. */
function reference(x: AnyTensor, targets: AnyTensor, reduction: Reduction): AnyTensor {
  const c = x.shape[x.rank - 1];
  const y = targets.dtype === "int32" ? oneHot(targets, c) : targets;
  let rows = neg(sum(mul(y, logSoftmax(x as F)), -1));
  if (rows.rank > 1) {
    const inner = rows.shape.slice(1).reduce((a, d) => a * d, 1);
    rows = mul(
      sum(
        rows,
        rows.shape.slice(1).map((_, i) => i + 1),
      ),
      1 / inner,
    );
  }
  if (reduction === "none") return rows;
  return reduction === "sum" ? sum(rows) : mul(sum(rows), 1 / rows.shape[0]);
}

/** Cotangent weights for a per-example loss (so "none" has a gradient to compare too). */
const weigh = (loss: AnyTensor, w: AnyTensor) => (loss.rank === 0 ? loss : sum(mul(loss, w)));

async function kernelsOf(f: () => unknown): Promise<string[]> {
  const info = await tf.profile(() => void tree.dispose(f()));
  return info.kernelNames;
}

const CLASSES = [1, 2, 3, 5, 10, 17];
const BATCHES = [1, 7, 128];
const REDUCTIONS: Reduction[] = ["mean", "sum", "none"];
const cases = CLASSES.flatMap((c) => BATCHES.map((b) => [b, c] as const));

describe("sparseCategoricalCrossEntropy on the native kernels", () => {
  test("the kernels are there on WASM and replace the loss's elementwise kernels", async () => {
    expect(tf.getBackend()).toBe("wasm");
    Object.values(XENT_KERNELS).forEach((k) => expect(nativeAvailable(k)).toBe(true));
    const x = tensor(values(70, 1, -3, 3), [7, 10]);
    const l = tensor(labelsFor(7, 10, 1), [7], "int32");
    const lossAndGrad = () => valueAndGrad((v: F) => sparse(v, l) as Tensor<[]>)(x);
    const native = await kernelsOf(lossAndGrad);
    const composite = await withNativeKernels(false, () => kernelsOf(lossAndGrad));
    expect(native).toEqual(expect.arrayContaining([XENT_KERNELS.sparseForward, XENT_KERNELS.sparseBackward]));
    expect(native.filter((k) => k.startsWith("Shapeflow")).length).toBe(2);
    // the composite's exp, log and the one-hot comparison are gone
    for (const k of ["Exp", "Log", "Max"]) expect(native).not.toContain(k);
    expect(composite).not.toContain(XENT_KERNELS.sparseForward);
    expect(composite).toEqual(expect.arrayContaining(["Exp", "Log", "Max"]));
    tree.dispose([x, l]);
  });

  test.each(cases)("B %i, C %i: values and gradients are the composite's and the former formulation's, every reduction", (b, c) => {
    const x = tensor(values(b * c, b + 10 * c, -4, 4), [b, c]);
    const l = tensor(labelsFor(b, c, b), [b], "int32");
    const w = tensor(values(b, 3 * b + c, 0.5, 2), [b]);
    for (const reduction of REDUCTIONS) {
      const run = () => valueAndGrad((v: F) => weigh(sparse(v, l, reduction), w) as Tensor<[]>)(x);
      const [native, composite] = bothWays(() => [sparse(x, l, reduction), ...run()]);
      const former = [reference(x, l, reduction), ...valueAndGrad((v: F) => weigh(reference(v, l, reduction), w) as Tensor<[]>)(x)];
      expect(native[0].shape).toEqual(reduction === "none" ? [b] : []);
      expectClose(native, composite);
      expectClose(native, former, 1e-5);
      tree.dispose([native, composite, former]);
    }
    tree.dispose([x, l, w]);
  });

  test.each([
    ["logits of ±80", (n: number) => values(n, 5).map((v) => (v < 0 ? -80 : 80))],
    ["logits in [-80, 80]", (n: number) => values(n, 6, -80, 80)],
    ["every logit equal (0)", (n: number) => new Array<number>(n).fill(0)],
    ["every logit equal (80)", (n: number) => new Array<number>(n).fill(80)],
    ["every logit equal (-80)", (n: number) => new Array<number>(n).fill(-80)],
    ["logits of ±1e30", (n: number) => values(n, 7).map((v) => (v < 0 ? -1e30 : 1e30))],
  ])("%s: values and gradients within float32 rounding", (_, make) => {
    for (const c of [3, 10, 17]) {
      const b = 9;
      const x = tensor(make(b * c), [b, c]);
      const l = tensor(labelsFor(b, c, 2), [b], "int32");
      const run = () => [sparse(x, l, "none"), ...valueAndGrad((v: F) => sparse(v, l, "sum") as Tensor<[]>)(x)];
      const [native, composite] = bothWays(run);
      expect(read(native).every(Number.isFinite)).toBe(true);
      // (absolute floor: a loss of ~160 is exact to ~1e-5)
      expectClose(native, composite, 2e-6, 1);
      tree.dispose([native, composite, x, l]);
    }
  });

  test("a -Infinity logit (not the label's) gives finite values, as the composite", () => {
    const x = tensor([0, -Infinity, 1, 2, -Infinity, -Infinity, 3, 0.5, -1, -Infinity, 4, 5], [2, 6]);
    const l = tensor([2, 4], [2], "int32");
    const run = () => [sparse(x, l, "none"), grad((v: F) => sparse(v, l) as Tensor<[]>)(x)];
    const [native, composite] = bothWays(run);
    expect(read(native).every(Number.isFinite)).toBe(true);
    expectClose(native, composite);
    tree.dispose([native, composite, x, l]);
  });

  test("logits [B, T, C] and labels [B, T]: the rows' losses, each example's mean over T, every reduction", () => {
    const [b, t, c] = [5, 3, 7];
    const x = tensor(values(b * t * c, 40, -3, 3), [b, t, c]);
    const l = tensor(labelsFor(b * t, c, 4), [b, t], "int32");
    const w = tensor(values(b, 41, 0.5, 2), [b]);
    for (const reduction of REDUCTIONS) {
      const run = () => [sparse(x, l, reduction), grad((v: F) => weigh(sparse(v, l, reduction), w) as Tensor<[]>)(x)];
      const [native, composite] = bothWays(run);
      const former = [reference(x, l, reduction), grad((v: F) => weigh(reference(v, l, reduction), w) as Tensor<[]>)(x)];
      expect(native[0].shape).toEqual(reduction === "none" ? [b] : []);
      expectClose(native, composite);
      expectClose(native, former, 1e-5);
      tree.dispose([native, composite, former]);
    }
    tree.dispose([x, l, w]);
  });

  test("jitted: the plan calls both kernels, and gives the eager values", () => {
    const x = tensor(values(128 * 10, 50, -3, 3), [128, 10]);
    const l = tensor(labelsFor(128, 10, 5), [128], "int32");
    const f = (v: F, lab: I) => valueAndGrad((u: F) => sparse(u, lab) as Tensor<[]>)(v);
    const eager = f(x, l);
    const [native, composite] = bothWays(() => {
      const j = jit(f);
      const r = [j(x, l), j(x, l)];
      const calls = j.lastPlan?.steps.flatMap((s) => (s.kind === "call" ? [s.name] : [])) ?? [];
      const on = nativeAvailable(XENT_KERNELS.sparseForward);
      expect(calls.filter((k) => k === XENT_KERNELS.sparseForward).length).toBe(on ? 1 : 0);
      expect(calls.filter((k) => k === XENT_KERNELS.sparseBackward).length).toBe(on ? 1 : 0);
      j.dispose();
      tree.dispose(r[0]);
      return r[1];
    });
    expectClose(native, eager);
    expectClose(native, composite);
    tree.dispose([eager, native, composite, x, l]);
  });

  test("grad of grad and jvp of grad are the composite's and the former formulation's (the kernel evaluates, the composite differentiates)", () => {
    const [b, c] = [6, 5];
    const x = tensor(values(b * c, 60, -2, 2), [b, c]);
    const l = tensor(labelsFor(b, c, 6), [b], "int32");
    const w = tensor(values(b * c, 61), [b, c]);
    const dir = tensor(values(b * c, 62), [b, c]);
    const second = (loss: (v: AnyTensor) => AnyTensor) => {
      const g = (v: F) => grad((u: F) => loss(u) as Tensor<[]>)(v);
      return [grad((v: F) => sum(mul(g(v), w)) as Tensor<[]>)(x), jvp(g, [x as F], [dir as F])[1]];
    };
    for (const reduction of ["mean", "sum"] as const) {
      const [native, composite] = bothWays(() => second((v) => sparse(v, l, reduction)));
      const former = second((v) => reference(v, l, reduction));
      expect(read(native).every(Number.isFinite)).toBe(true);
      expect(read(native).some((v) => v !== 0)).toBe(true);
      expectClose(native, composite, 1e-5);
      expectClose(native, former, 1e-4, 1e-3);
      tree.dispose([native, composite, former]);
    }
    tree.dispose([x, l, w, dir]);
  });

  test("vmap over a stack of batches: each slice the unbatched loss and gradient", () => {
    const [k, b, c] = [3, 4, 6];
    const xs = tensor(values(k * b * c, 70, -3, 3), [k, b, c]);
    const l = tensor(labelsFor(b, c, 7), [b], "int32");
    const perSlice = (v: F) => valueAndGrad((u: F) => sparse(u, l) as Tensor<[]>)(v);
    const [native, composite] = bothWays(() => vmap(perSlice)(xs as F));
    expectClose(native, composite);
    const slices = [0, 1, 2].map((i) => {
      const xi = tensor(values(k * b * c, 70, -3, 3).slice(i * b * c, (i + 1) * b * c), [b, c]);
      const r = perSlice(xi);
      xi.dispose();
      return r;
    });
    expectClose(
      read(native[0]),
      slices.flatMap((s) => read(s[0])),
    );
    expectClose(
      read(native[1]),
      slices.flatMap((s) => read(s[1])),
    );
    tree.dispose([native, composite, slices, xs, l]);
  });

  describe("a label out of range fails as before", () => {
    const message = "sparseCategoricalCrossEntropy: label 12 at index 3 is out of range for 10 classes (expected 0..9)";
    test.each([true, false])("native %s: eagerly, under grad, and in a jitted step (reported after the call), leaking nothing", (on) => {
      withNativeKernels(on, () => {
        const x = tensor(values(50, 80), [5, 10]);
        const bad = tensor([1, 2, 3, 12, -1], [5], "int32");
        const before = [liveTensors(), tf.engine().backend.numDataIds()];
        expect(() => sparse(x, bad)).toThrow(message);
        expect(() => grad((v: F) => sparse(v, bad) as Tensor<[]>)(x as F)).toThrow(message);
        const j = jit((v: F, lab: I) => valueAndGrad((u: F) => sparse(u, lab) as Tensor<[]>)(v));
        expect(() => j(x as F, bad as I)).toThrow(message);
        j.dispose();
        expect([liveTensors(), tf.engine().backend.numDataIds()]).toEqual(before);
        // the flat index of labels [B, T]
        const x3 = tensor(values(60, 81), [2, 3, 10]);
        const bad3 = tensor([0, 1, 2, 3, 10, 5], [2, 3], "int32");
        expect(() => sparse(x3, bad3)).toThrow("label 10 at index 4 is out of range for 10 classes");
        tree.dispose([x, bad, x3, bad3]);
      });
    });
  });

  test("leaves no tensors (nor backend buffers) behind, eager and jitted", () => {
    const x = tensor(values(7 * 5, 90), [7, 5]);
    const l = tensor(labelsFor(7, 5, 9), [7], "int32");
    const step = (v: F, lab: I) => valueAndGrad((u: F) => sparse(u, lab) as Tensor<[]>)(v);
    const before = [liveTensors(), tf.engine().backend.numDataIds()];
    for (let i = 0; i < 4; i++) tree.dispose([step(x, l), sparse(x, l, "none")]);
    expect([liveTensors(), tf.engine().backend.numDataIds()]).toEqual(before);
    // a jitted step holds its plan's constants until disposed
    const jitted = jit(step);
    for (let i = 0; i < 4; i++) tree.dispose(jitted(x, l));
    jitted.dispose();
    expect([liveTensors(), tf.engine().backend.numDataIds()]).toEqual(before);
    tree.dispose([x, l]);
  });
});

describe("categoricalCrossEntropy from logits on the native kernels", () => {
  /** Soft targets: rows of positive weights summing to 1, some one-hot. */
  function targets(b: number, c: number, seed: number): AnyTensor {
    const v = values(b * c, seed, 0.01, 1);
    for (let i = 0; i < b; i++) {
      const row = v.slice(i * c, i * c + c);
      const hot = i % 3 === 0;
      const s = row.reduce((a, e) => a + e, 0);
      row.forEach((e, j) => (v[i * c + j] = hot ? Number(j === i % c) : e / s));
    }
    return tensor(v, [b, c]);
  }

  test("the dense kernels run, and the composite's exp is gone", async () => {
    const x = tensor(values(70, 100, -3, 3), [7, 10]);
    const y = targets(7, 10, 101);
    const run = () => valueAndGrad((v: F) => dense(v, y) as Tensor<[]>)(x);
    const native = await kernelsOf(run);
    expect(native).toEqual(expect.arrayContaining([XENT_KERNELS.denseForward, XENT_KERNELS.denseBackward]));
    expect(native).not.toContain("Exp");
    expect(await withNativeKernels(false, () => kernelsOf(run))).not.toContain(XENT_KERNELS.denseForward);
    tree.dispose([x, y]);
  });

  test.each(cases)("B %i, C %i: values and gradients (logits and targets) as the composite's and the former formulation's", (b, c) => {
    const x = tensor(values(b * c, b + 10 * c + 200, -4, 4), [b, c]);
    const y = targets(b, c, b + c);
    const w = tensor(values(b, 3 * b + c, 0.5, 2), [b]);
    for (const reduction of REDUCTIONS) {
      const run = (loss: (v: AnyTensor, u: AnyTensor) => AnyTensor) => [
        loss(x, y),
        ...grad((v: F, u: F) => weigh(loss(v, u), w) as Tensor<[]>, { argnums: [0, 1] })(x, y as F),
      ];
      const [native, composite] = bothWays(() => run((v, u) => dense(v, u, reduction)));
      const former = run((v, u) => reference(v, u, reduction));
      expectClose(native, composite);
      expectClose(native, former, 1e-5);
      tree.dispose([native, composite, former]);
    }
    tree.dispose([x, y, w]);
  });

  test("extreme logits, logits [B, T, C], grad of grad, vmap", () => {
    const x = tensor(
      values(9 * 10, 300).map((v) => (v < 0 ? -80 : 80)),
      [9, 10],
    );
    const y = targets(9, 10, 301);
    const [ext, extC] = bothWays(() => [
      dense(x, y, "none"),
      ...grad((v: F, u: F) => dense(v, u, "sum") as Tensor<[]>, { argnums: [0, 1] })(x as F, y as F),
    ]);
    expectClose(ext, extC, 2e-6, 1);
    const x3 = tensor(values(4 * 3 * 6, 302, -3, 3), [4, 3, 6]);
    const y3 = tensor(values(4 * 3 * 6, 303, 0, 1), [4, 3, 6]);
    for (const reduction of REDUCTIONS) {
      const [r3, r3C] = bothWays(() => [dense(x3, y3, reduction), grad((v: F) => sum(dense(v, y3, reduction)) as Tensor<[]>)(x3 as F)]);
      expectClose(r3, r3C);
      expectClose(r3, [reference(x3, y3, reduction), grad((v: F) => sum(reference(v, y3, reduction)) as Tensor<[]>)(x3)], 1e-5);
      tree.dispose([r3, r3C]);
    }
    const xs = tensor(values(5 * 6, 304, -2, 2), [5, 6]);
    const ys = targets(5, 6, 305);
    const w = tensor(values(30, 306), [5, 6]);
    const hvp = (loss: (v: AnyTensor) => AnyTensor) =>
      grad((v: F) => sum(mul(grad((u: F) => loss(u) as Tensor<[]>)(v), w)) as Tensor<[]>)(xs);
    const [h, hC] = bothWays(() => hvp((v) => dense(v, ys)));
    expectClose(h, hC, 1e-5);
    expectClose(
      h,
      hvp((v) => reference(v, ys, "mean")),
      1e-4,
      1e-3,
    );
    const stack = tensor(values(4 * 5 * 6, 307, -3, 3), [4, 5, 6]);
    const [vm, vmC] = bothWays(() => vmap((v: F) => dense(v, ys))(stack as F));
    expectClose(vm, vmC);
    tree.dispose([ext, extC, x, y, x3, y3, xs, ys, w, h, hC, vm, vmC, stack]);
  });
});

describe("ONNX export", () => {
  test.each(["sparse", "dense"] as const)("%s: writes the composites (the kernels are not ONNX ops)", (kind) => {
    const x = tensor(values(20, 3), [4, 5]);
    const t = kind === "sparse" ? tensor(labelsFor(4, 5, 1), [4], "int32") : tensor(values(20, 2, 0, 1), [4, 5]);
    const loss = (v: AnyTensor) => (kind === "sparse" ? sparse(v, t) : dense(v, t));
    const text = new TextDecoder("latin1").decode(exportOnnxFunction(loss, [x]));
    for (const op of ["Exp", "Log", "ReduceSum"]) expect(text).toContain(op);
    expect(text).not.toContain("ShapeflowXent");
    tree.dispose([x, t]);
  });
});

describe("a training step (M1-like MLP, jit)", () => {
  test("the plan calls the two kernels instead of the loss's ~30, and trains as the composite does", () => {
    const model = nn.input(["batch", 32]).add(nn.dense(16)).add(nn.relu()).add(nn.dense(10));
    const x = tensor(values(64 * 32, 400), [64, 32]);
    const y = tensor(labelsFor(64, 10, 8), [64], "int32");
    const run = () => {
      const opt = optim.adam(1e-2);
      const step = makeTrainStep(model as never, losses.sparseCategoricalCrossEntropy as never, opt);
      const key = random.key(0);
      let params: unknown = model.init(key);
      let optState: unknown = opt.init(params as never);
      let state: unknown = model.initState();
      const seen: number[] = [];
      for (let i = 0; i < 3; i++) {
        const r = step(params, optState, state, x, y, key) as {
          loss: AnyTensor;
          params: unknown;
          optState: unknown;
          state: unknown;
        };
        seen.push(r.loss.item());
        tree.dispose([params, optState, state, r.loss, (r as { out?: unknown }).out, (r as { probe?: unknown }).probe]);
        ({ params, optState, state } = r);
      }
      const plan = step.lastPlan!;
      const calls = plan.steps.flatMap((s) => (s.kind === "call" ? [s.name] : []));
      const out = { seen, params: read(params), kernelCalls: plan.stats.kernelCalls, calls };
      tree.dispose([params, optState, state, key]);
      step.dispose();
      return out;
    };
    const [native, composite] = bothWays(run);
    expect(native.calls).toEqual(expect.arrayContaining([XENT_KERNELS.sparseForward, XENT_KERNELS.sparseBackward]));
    expect(composite.calls).not.toContain(XENT_KERNELS.sparseForward);
    // the loss and its gradient were ~30 kernel calls: now 2
    expect(composite.kernelCalls - native.kernelCalls).toBeGreaterThanOrEqual(20);
    expectClose(native.seen, composite.seen, 1e-5);
    expectClose(native.params, composite.params, 1e-4, 1e-2);
    tree.dispose([x, y]);
  });
});

describe("on the CPU backend", () => {
  test("the losses run their composites there and agree with the kernels", async () => {
    const x = tensor(values(7 * 5, 500, -3, 3), [7, 5]);
    const l = tensor(labelsFor(7, 5, 11), [7], "int32");
    const run = () => valuesOf(() => valueAndGrad((v: F) => sparse(v, l) as Tensor<[]>)(x));
    const onWasm = run();
    tree.dispose([x, l]);
    await tf.setBackend("cpu");
    try {
      expect(nativeAvailable(XENT_KERNELS.sparseForward)).toBe(false);
      const x2 = tensor(values(7 * 5, 500, -3, 3), [7, 5]);
      const l2 = tensor(labelsFor(7, 5, 11), [7], "int32");
      const lossAndGrad = () => valueAndGrad((v: F) => sparse(v, l2) as Tensor<[]>)(x2);
      const kernels = await kernelsOf(lossAndGrad);
      expect(kernels).not.toContain(XENT_KERNELS.sparseForward);
      expect(kernels).toContain("Exp");
      expectClose(valuesOf(lossAndGrad), onWasm, 2e-6);
      tree.dispose([x2, l2]);
    } finally {
      await tf.setBackend("wasm");
    }
  });
});

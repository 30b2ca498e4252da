// The optimizer step applied to the params in one pass (updateAndApply: applyGradients and the
// training step): each per-leaf native step's *_apply kernel (src/core/native/adam.c) against the
// composite (native kernels off) and against the plain update + applyUpdates (the fold off), over
// several steps and odd leaf sizes; the kernel ran and replaced the Adds and the probe's Sums; a NaN
// gradient still makes the probe non-finite; no leaks; the jitted M1 step's kernel calls.
import { afterEach, describe, expect, test } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import {
  abs,
  add,
  checkify,
  grad,
  jit,
  mul,
  nativeAvailable,
  setNativeKernels,
  sqrt,
  sub,
  sum,
  withNativeKernels,
} from "../src/core/index.js";
import { liveTensors } from "../src/backend/index.js";
import { losses, random } from "../src/index.js";
import { scalar, tensor, type AnyTensor, type Tensor } from "../src/tensor/index.js";
import * as tree from "../src/tree/index.js";
import * as optim from "../src/optim/index.js";
import type { GradientTransformation } from "../src/optim/index.js";
import { expectClose, flat, leafTree as sharedLeafTree, values, type Leaves } from "./leaf-trees.js";
import { setApplyFold, updateAndApply } from "../src/optim/transform.js";
import { makeTrainStep } from "../src/train/index.js";
import * as train from "../src/train/index.js";
import { data, nn } from "../src/index.js";
import { expectFlatMemory } from "./primitive-harness.js";
import { seedModels } from "./io-export-models.js";

afterEach(() => {
  setNativeKernels(true);
  setApplyFold(true);
});

const SHAPES: number[][] = [[1], [3], [5], [17], [1000], [], [0], [4, 33]];
const leafTree = (seed: number, lo = -1, hi = 1): Leaves => sharedLeafTree(SHAPES, seed, lo, hi);

interface Entry {
  name: string;
  make: () => GradientTransformation;
  /** The kernel its folded step runs once per leaf. */
  kernel: string;
}
const decayed = optim.exponentialDecay({ init: 0.05, transitionSteps: 1, decayRate: 0.7 });
const folded: Entry[] = [
  { name: "adam", make: () => optim.adam(0.01), kernel: "ShapeflowAdamApply" },
  { name: "adam (a schedule, epsRoot 1e-6)", make: () => optim.adam(decayed, { epsRoot: 1e-6 }), kernel: "ShapeflowAdamApply" },
  { name: "scaleByAdam alone (no scaling)", make: () => optim.scaleByAdam({ b1: 0.5, eps: 1e-3 }), kernel: "ShapeflowAdamApply" },
  {
    name: "clipByGlobalNorm, scaleByAdam, scaleByLearningRate",
    make: () => optim.chain(optim.clipByGlobalNorm(1), optim.scaleByAdam(), optim.scaleByLearningRate(0.02)),
    kernel: "ShapeflowAdamApply",
  },
  { name: "adamw", make: () => optim.adamw(0.01, { weightDecay: 0.1 }), kernel: "ShapeflowAdamApply" },
  {
    name: "adamw (a schedule, a mask)",
    make: () => optim.adamw(decayed, { weightDecay: 0.05, mask: /l[13]$/ }),
    kernel: "ShapeflowAdamApply",
  },
  {
    name: "scaleByRms, addDecayedWeights, scaleByLearningRate",
    make: () => optim.chain(optim.scaleByRms(), optim.addDecayedWeights(0.1), optim.scaleByLearningRate(0.01)),
    kernel: "ShapeflowRmsApply",
  },
  {
    name: "scaleByMomentum, addDecayedWeights (no scaling)",
    make: () => optim.chain(optim.scaleByMomentum({ decay: 0.5 }), optim.addDecayedWeights(0.01, { mask: /l4$/ })),
    kernel: "ShapeflowMomentumApply",
  },
  { name: "adamax", make: () => optim.adamax(0.02), kernel: "ShapeflowAdamaxApply" },
  { name: "rmsprop", make: () => optim.rmsprop(0.01), kernel: "ShapeflowRmsApply" },
  {
    name: "rmsprop (eps outside the root)",
    make: () => optim.rmsprop(0.01, { epsInSqrt: false, eps: 1e-3, decay: 0.8 }),
    kernel: "ShapeflowRmsApply",
  },
  { name: "rmsprop (momentum)", make: () => optim.rmsprop(0.01, { momentum: 0.8 }), kernel: "ShapeflowMomentumApply" },
  {
    name: "rmsprop (nesterov momentum)",
    make: () => optim.rmsprop(0.01, { momentum: 0.8, nesterov: true }),
    kernel: "ShapeflowNesterovApply",
  },
  { name: "adagrad", make: () => optim.adagrad(0.1), kernel: "ShapeflowAdagradApply" },
  { name: "momentum", make: () => optim.momentum(0.05), kernel: "ShapeflowMomentumApply" },
  { name: "nesterov", make: () => optim.nesterov(0.05, { beta: 0.8 }), kernel: "ShapeflowNesterovApply" },
];

/** `steps` steps of updateAndApply from fixed params and gradients, with the probe: [params, state, probes]. */
function run(opt: GradientTransformation, jitted: boolean, steps = 5, gradSeed = 50) {
  const eager = (g: Leaves, s: unknown, p: Leaves, probe: AnyTensor) => updateAndApply(opt, g, s, p, probe);
  const compiled = jitted ? jit(eager) : undefined;
  const step = compiled ?? eager;
  let p = leafTree(40);
  let s: unknown = opt.init(p);
  const probes: number[] = [];
  for (let t = 0; t < steps; t++) {
    const g = leafTree(gradSeed + 10 * t);
    const probeIn = scalar(0.25 * t);
    const [np, ns, probe] = step(g, s, p, probeIn);
    probes.push((probe as AnyTensor).item());
    tree.dispose([g, s, p, probe, probeIn]);
    [p, s] = [np as Leaves, ns];
  }
  compiled?.dispose();
  return { p, s, probes };
}

/** `f` with the fold and native kernels set as asked, both restored after. */
function withSettings<T>(fold: boolean, native: boolean, f: () => T): T {
  const before = setApplyFold(fold);
  try {
    return withNativeKernels(native, f);
  } finally {
    setApplyFold(before);
  }
}

/** The sum of every param, in float64: what the probe sums (up to float32 rounding). */
const probeOf = (p: unknown, start: number) => flat(p).reduce((a, l) => l.reduce((b, x) => b + x, a), start);

describe.each(folded)("$name: the update applied in the step", (e) => {
  test.each([false, true])("matches the composite and the plain update + applyUpdates over 5 steps (jitted: %s)", (jitted) => {
    const opt = e.make();
    const native = withSettings(true, true, () => run(opt, jitted));
    const composite = withSettings(true, false, () => run(opt, jitted));
    const plain = withSettings(false, false, () => run(opt, jitted));
    const plainNative = withSettings(false, true, () => run(opt, jitted));
    // the fused op's composite is the plain path's math, op for op: equal bit for bit
    expect(flat(composite.p)).toEqual(flat(plain.p));
    expect(flat(composite.s)).toEqual(flat(plain.s));
    expect(composite.probes).toEqual(plain.probes);
    // the kernel: float32 rounding of the updates against the params' scale (~1), of the statistics
    expectClose(native.p, composite.p, 1e-6, 1);
    expectClose(native.s, composite.s, 1e-5, 1e-2);
    expectClose(native.p, plainNative.p, 1e-6, 1);
    expectClose(native.s, plainNative.s, 1e-5, 1e-2);
    // the probe: its start plus the sum of the new params (last step's start 1), summed in another order
    const total = flat(native.p).reduce((a, l) => l.reduce((b, x) => b + Math.abs(x), a), 1);
    expect(Math.abs(native.probes[4] - probeOf(native.p, 1))).toBeLessThan(1e-5 * total);
    native.probes.forEach((x, i) => expect(Math.abs(x - composite.probes[i])).toBeLessThan(1e-5 * total));
    tree.dispose([native, composite, plain, plainNative].map((r) => [r.p, r.s]));
  });

  test("one kernel per leaf, and no Add or Sum of a leaf's size (eager and in the jitted plan)", async () => {
    expect(nativeAvailable(e.kernel)).toBe(true);
    const opt = e.make();
    const p = leafTree(1);
    const g = leafTree(2);
    const s = opt.init(p);
    const probe = scalar(0);
    const info = await tf.profile(() => void tree.dispose(updateAndApply(opt, g, s, p, probe)));
    const names = info.kernels.map((k) => k.name);
    expect(names.filter((k) => k === e.kernel).length).toBe(SHAPES.length);
    // of a leaf's size, nothing but what update itself runs (clipByGlobalNorm's sums of squares)
    const leafSized = (kernels: typeof info.kernels) =>
      kernels
        .filter((k) => (k.name === "Add" || k.name === "Sum") && k.inputShapes.some((shape) => shape !== null && shape.length > 0))
        .map((k) => k.name);
    const updateOnly = await tf.profile(() => void tree.dispose(opt.update(g, s, p)));
    expect(leafSized(info.kernels)).toEqual(leafSized(updateOnly.kernels));
    const callsOf = (fn: { lastPlan?: { steps: readonly { kind: string; name?: string }[] } }) =>
      fn.lastPlan?.steps.flatMap((st) => (st.kind === "call" && st.name !== undefined ? [st.name] : [])) ?? [];
    const f = jit((gs: Leaves, st: unknown, ps: Leaves, pr: AnyTensor) => updateAndApply(opt, gs, st, ps, pr));
    const u = jit((gs: Leaves, st: unknown, ps: Leaves) => opt.update(gs, st as never, ps));
    tree.dispose([f(g, s, p, probe), f(g, s, p, probe), u(g, s, p), u(g, s, p)]);
    const calls = callsOf(f);
    expect(calls.filter((k) => k === e.kernel).length).toBe(SHAPES.length);
    expect(calls.filter((k) => k === "Sum").length).toBe(callsOf(u).filter((k) => k === "Sum").length);
    u.dispose();
    f.dispose();
    // the fold off: the plain update, applyUpdates' Adds and the probe's Sums
    setApplyFold(false);
    const plainNames = (await tf.profile(() => void tree.dispose(updateAndApply(opt, g, s, p, probe)))).kernels.map((k) => k.name);
    expect(plainNames).not.toContain(e.kernel);
    expect(plainNames.filter((k) => k === "Sum").length).toBeGreaterThanOrEqual(SHAPES.length);
    tree.dispose([p, g, s, probe]);
  });

  test("a NaN gradient makes the probe non-finite as the plain path's does (eager and jitted)", () => {
    const opt = e.make();
    const p = leafTree(3);
    const s = opt.init(p);
    const g = leafTree(4);
    const bad = values(17, 5);
    bad[11] = NaN;
    tree.dispose(g.l3);
    g.l3 = tensor(bad, [17]);
    const probe = scalar(0);
    const finite = (fold: boolean, jitted: boolean) =>
      withSettings(fold, true, () => {
        const f = (gs: Leaves, st: unknown, ps: Leaves, pr: AnyTensor) => updateAndApply(opt, gs, st, ps, pr);
        const j = jitted ? jit(f) : undefined;
        const r = (j ?? f)(g, s, p, probe);
        const out = [Number.isFinite((r[2] as AnyTensor).item()), flat(r[0]).flat().every(Number.isFinite)];
        tree.dispose(r);
        j?.dispose();
        return out;
      });
    for (const jitted of [false, true]) {
      const [probeFinite, paramsFinite] = finite(true, jitted);
      // the probe is finite exactly when every new param is, as with the fold off
      expect(probeFinite).toBe(paramsFinite);
      expect(finite(false, jitted)).toEqual([probeFinite, paramsFinite]);
      // adagrad masks a non-positive accumulator (NaN included) to a zero update: its params stay finite
      expect(probeFinite).toBe(e.kernel === "ShapeflowAdagradApply");
    }
    tree.dispose([p, s, g, probe]);
  });

  test("leaves no tensors nor backend buffers behind across steps, eager and jitted", () => {
    const opt = e.make();
    const before = [liveTensors(), tf.engine().backend.numDataIds()];
    const eager = (g: Leaves, s: unknown, p: Leaves, probe: AnyTensor) => updateAndApply(opt, g, s, p, probe);
    const jitted = jit(eager);
    for (const step of [eager, jitted]) {
      let p = leafTree(60);
      let s: unknown = opt.init(p);
      const g = leafTree(61);
      const probe = scalar(1);
      expectFlatMemory(() => {
        const [np, ns, pr] = step(g, s, p, probe);
        tree.dispose([s, p, pr]);
        [p, s] = [np as Leaves, ns];
      });
      tree.dispose([p, s, g, probe]);
    }
    jitted.dispose();
    expect([liveTensors(), tf.engine().backend.numDataIds()]).toEqual(before);
  });
});

describe("optimizers with nothing to fold take the plain path", () => {
  const plainOnes: [string, () => GradientTransformation][] = [
    ["sgd", () => optim.sgd(0.1)],
    [
      "adam then clip (a transform after the scaling)",
      () => optim.chain(optim.scaleByAdam(), optim.scaleByLearningRate(0.01), optim.clip(0.1)),
    ],
    [
      "scaleByAdam, scale, addDecayedWeights (a transform between the step and the decay)",
      () => optim.chain(optim.scaleByAdam(), optim.scale(0.5), optim.addDecayedWeights(0.1)),
    ],
    ["scaleByAdam then scale (not a learning-rate scaling)", () => optim.chain(optim.scaleByAdam(), optim.scale(-0.5))],
    [
      "a custom transformation",
      () =>
        optim.transformation(
          "halve",
          () => ({}),
          (u, s) => [tree.map(u, (x: AnyTensor) => mul(x, -0.5)), s],
        ),
    ],
  ];
  test.each(plainOnes)("%s: update then applyUpdates, bit for bit, no applied kernel", async (_, make) => {
    const opt = make();
    const p = leafTree(70);
    const g = leafTree(71);
    const s = opt.init(p);
    const probe = scalar(0.5);
    const [np, ns, pr] = updateAndApply(opt, g, s, p, probe);
    const [u, ns2] = opt.update(g, s as never, p);
    const np2 = optim.applyUpdates(p, u);
    expect(flat(np)).toEqual(flat(np2));
    expect(flat(ns)).toEqual(flat(ns2));
    const expected = tree.leaves(np2).reduce<AnyTensor>((acc, x) => add(acc, sum(x)), sum(probe));
    expect((pr as AnyTensor).item()).toBe(expected.item());
    const names = (await tf.profile(() => void tree.dispose(updateAndApply(opt, g, s, p, probe)))).kernels.map((k) => k.name);
    expect(names.some((k) => k.endsWith("Apply"))).toBe(false);
    tree.dispose([np, ns, pr, u, ns2, np2, expected, p, g, s, probe]);
  });
});

describe("applyGradients", () => {
  test("folds too, and its errors are applyUpdates' when params do not fit the grads", async () => {
    const opt = optim.adam(0.01);
    const p = leafTree(80);
    const g = leafTree(81);
    const s = opt.init(p);
    const names = (await tf.profile(() => void tree.dispose(optim.applyGradients(opt, g, s, p)))).kernels.map((k) => k.name);
    expect(names.filter((k) => k === "ShapeflowAdamApply").length).toBe(SHAPES.length);
    const [a, sa] = optim.applyGradients(opt, g, s, p);
    const [u, sb] = opt.update(g, s, p);
    const b = optim.applyUpdates(p, u);
    expectClose(a, b, 1e-6, 1);
    expectClose(sa, sb, 1e-6, 1e-2);
    const w = { w: tensor([1, 2, 3], [3]) };
    const ws = opt.init(w);
    const wrong = { w: tensor([1, 2], [2]) };
    const before = liveTensors();
    expect(() => optim.applyGradients(opt, w, ws, wrong as never)).toThrow("applyUpdates: w has shape [2] in params but [3] in updates");
    expect(liveTensors()).toBe(before);
    tree.dispose([p, g, s, a, sa, u, sb, b, w, ws, wrong]);
  });
});

describe("derivatives through the folded step are the composite's", () => {
  const table: [string, (lr: Tensor<[]>) => GradientTransformation][] = [
    ["adam", (lr) => optim.adam(() => lr)],
    ["adamw", (lr) => optim.adamw(() => lr, { weightDecay: 0.1 })],
    ["momentum", (lr) => optim.momentum(() => lr)],
  ];
  test.each(table)("%s: d/dlr of the new params' squared norm after two steps, natively and not", (_, make) => {
    const p = { w: tensor(values(9, 330), [9]), b: tensor(values(3, 331), [3]) };
    const gs = [0, 1].map((t) => ({ w: tensor(values(9, 332 + t), [9]), b: tensor(values(3, 334 + t), [3]) }));
    const meta = (lr: Tensor<[]>) => {
      const opt = make(lr);
      let [q, s]: [unknown, unknown] = [p, opt.init(p)];
      for (const g of gs) [q, s] = optim.applyGradients(opt, g, s as never, q as typeof p);
      return tree.leaves(q).reduce<AnyTensor>((acc, x) => add(acc, sum(mul(x, x))), scalar(0)) as Tensor<[]>;
    };
    const lr = scalar(0.1);
    const native = withSettings(true, true, () => grad(meta)(lr));
    const composite = withSettings(true, false, () => grad(meta)(lr));
    const plain = withSettings(false, false, () => grad(meta)(lr));
    expect(Number.isFinite(native.item())).toBe(true);
    expect(composite.item()).toBe(plain.item());
    expect(Math.abs(native.item() - composite.item())).toBeLessThan(1e-5 * Math.abs(composite.item()) + 1e-6);
    tree.dispose([native, composite, plain, p, gs, lr]);
  });
});

describe("the training step", () => {
  test("M1's jitted step: the update kernels replace the Adds and the probe's Sums (3 kernel calls fewer per leaf)", () => {
    const model = seedModels.mlp();
    const key = random.key(0);
    const params = model.init(key);
    const leavesCount = tree.leaves(params).length;
    const x = tensor(values(16 * 784, 90), [16, 784]);
    const y = tensor(
      Array.from({ length: 16 }, (_, i) => i % 10),
      [16],
      "int32",
    );
    const calls = (fold: boolean) =>
      withSettings(fold, true, () => {
        const opt = optim.adam(1e-3);
        const s = opt.init(params);
        const step = makeTrainStep(model as never, losses.sparseCategoricalCrossEntropy as never, opt);
        const r = step(params, s, model.initState(), x, y, key);
        const kernels = step.lastPlan?.stats.kernelCalls ?? 0;
        const plan = step.lastPlan?.steps.flatMap((st) => (st.kind === "call" ? [st.name] : [])) ?? [];
        const out = {
          kernels,
          applied: plan.filter((k) => k === "ShapeflowAdamApply").length,
          sums: plan.filter((k) => k === "Sum").length,
        };
        const loss = r.loss.item();
        tree.dispose([r, s]);
        step.dispose();
        return { ...out, loss };
      });
    const on = calls(true);
    const off = calls(false);
    expect(on.applied).toBe(leavesCount);
    expect(off.applied).toBe(0);
    expect(on.loss).toBe(off.loss);
    // per leaf: applyUpdates' Add, the probe's Sum and its Add are gone (and the loss's Sum)
    expect(off.kernels - on.kernels).toBeGreaterThanOrEqual(3 * leavesCount);
    expect(off.sums - on.sums).toBeGreaterThanOrEqual(leavesCount);
    tree.dispose([params, x, y, key]);
  });

  const line = () => data.regressionLine({ n: 32, slope: 2, intercept: -1, noise: 0.05, seed: 0 });
  const linear = () => nn.input(["batch", 1]).add(nn.dense(1));

  test.each([
    ["adam", () => optim.adam(0.01)],
    ["momentum", () => optim.momentum(0.01)],
    ["rmsprop", () => optim.rmsprop(0.01)],
  ] as const)("fit with %s stops on a NaN gradient under a finite loss, with the divergence message", async (_, make) => {
    // 0 * sqrt(|out - out|): 0 in value, NaN in gradient (0 * Inf)
    const nanGrad: train.LossFn = (out: Tensor<[number, 1]>, y: Tensor<[number, 1]>) =>
      add(losses.mse(out, y), mul(sum(sqrt(abs(sub(out, out)))), 0)) as Tensor<[]>;
    const model = linear();
    const params = model.init(random.key(0));
    const r = await train.fit({
      model,
      params,
      optimizer: make(),
      loss: nanGrad,
      train: line(),
      epochs: 2,
      batchSize: 32,
      progress: "silent",
    });
    expect(r.stopReason).toBe(
      "the parameters became non-finite (NaN or Inf) at epoch 1, step 1; kept the parameters from before this step",
    );
    expect(flat(r.params)).toEqual(flat(params));
    tree.dispose([params, r.params, r.optState, r.state]);
  });

  test("a jitted step's check fails on params that overflow (momentum, lr 1e39)", () => {
    const model = linear();
    const params = model.init(random.key(0));
    const opt = optim.momentum(1e39);
    const s = opt.init(params);
    const step = makeTrainStep(model as never, losses.mse as never, opt);
    const x = tensor([1, 2, 3, 4], [4, 1]);
    const y = tensor([3, 5, 7, 9], [4, 1]);
    const key = random.key(1);
    const [err, r] = checkify(step)(params, s, model.initState(), x, y, key);
    expect(err?.message).toContain("the parameters became non-finite (NaN or Inf)");
    expect(Number.isFinite(r.loss.item())).toBe(true);
    expect(step.lastPlan?.steps.some((st) => st.kind === "call" && st.name === "ShapeflowMomentumApply")).toBe(true);
    tree.dispose([r, params, s, x, y, key]);
    step.dispose();
  });
});

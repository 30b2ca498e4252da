// The optimizers' fused per-leaf steps (src/core/native/adam.c): each native kernel against the
// composite it stands for (native kernels off) on odd leaf sizes, eagerly and under jit, over several
// steps; derivatives and vmap through the step, the kernel actually used, the CPU backend, no leaks.
import { afterEach, describe, expect, test } from "vitest";
import "@tensorflow/tfjs-backend-cpu"; // registers the CPU backend, which init() imports only when asked for it
import * as tf from "@tensorflow/tfjs-core";
import { add, grad, jit, mul, nativeAvailable, setNativeKernels, withNativeKernels, sum, vmap } from "../src/core/index.js";
import { liveTensors } from "../src/backend/index.js";
import { scalar, tensor, type AnyTensor, type Tensor } from "../src/tensor/index.js";
import * as tree from "../src/tree/index.js";
import * as optim from "../src/optim/index.js";
import type { GradientTransformation } from "../src/optim/index.js";
import { expectClose, flat, leafTree as sharedLeafTree, values, type Leaves } from "./leaf-trees.js";

afterEach(() => void setNativeKernels(true));

const SHAPES: number[][] = [[0], [1], [], [3], [7], [5, 3], [2, 0, 4], [33], [4, 129]];
const NONEMPTY = SHAPES.filter((s) => !s.includes(0)).length;
const leafTree = (seed: number, lo = -1, hi = 1): Leaves => sharedLeafTree(SHAPES, seed, lo, hi, true);

/** `f` with native kernels on, then off (the composite), each result owned by the caller. */
function bothWays<T>(f: () => T): [T, T] {
  const native = withNativeKernels(true, f);
  return [native, withNativeKernels(false, f)];
}

/** The kernel names one call of f dispatches. */
async function kernelsOf(f: () => unknown): Promise<string[]> {
  const info = await tf.profile(() => void tree.dispose(f()));
  return info.kernels.map((k) => k.name);
}

interface Entry {
  name: string;
  kernel: string;
  make: () => GradientTransformation;
  /** Each statistic's range for random states (and whether the state counts steps). */
  statistics: Record<string, [number, number]>;
  counted: boolean;
}
const adamStats: Record<string, [number, number]> = { mu: [-0.1, 0.1], nu: [0, 0.01] };
const table: Entry[] = [
  { name: "scaleByAdam", kernel: "ShapeflowAdamUpdate", make: () => optim.scaleByAdam(), statistics: adamStats, counted: true },
  {
    name: "scaleByAdam (epsRoot 1e-6)",
    kernel: "ShapeflowAdamUpdate",
    make: () => optim.scaleByAdam({ epsRoot: 1e-6 }),
    statistics: adamStats,
    counted: true,
  },
  {
    name: "scaleByAdam (b1 0.5, b2 0.9, eps 1e-3, epsRoot 1e-3)",
    kernel: "ShapeflowAdamUpdate",
    make: () => optim.scaleByAdam({ b1: 0.5, b2: 0.9, eps: 1e-3, epsRoot: 1e-3 }),
    statistics: adamStats,
    counted: true,
  },
  {
    name: "scaleByAdamax",
    kernel: "ShapeflowAdamaxUpdate",
    make: () => optim.scaleByAdamax({ b2: 0.99 }),
    statistics: { mu: [-0.1, 0.1], nu: [0, 1] },
    counted: true,
  },
  { name: "scaleByRms", kernel: "ShapeflowRmsUpdate", make: () => optim.scaleByRms(), statistics: { nu: [0, 0.01] }, counted: false },
  {
    name: "scaleByRms (eps outside the root)",
    kernel: "ShapeflowRmsUpdate",
    make: () => optim.scaleByRms({ epsInSqrt: false, eps: 1e-3, decay: 0.8 }),
    statistics: { nu: [0, 0.01] },
    counted: false,
  },
  {
    name: "scaleByAdagrad",
    kernel: "ShapeflowAdagradUpdate",
    make: () => optim.scaleByAdagrad(),
    statistics: { sumOfSquares: [0.1, 1] },
    counted: false,
  },
  {
    name: "scaleByAdagrad (eps 0, zero accumulator: the guarded 0/0)",
    kernel: "ShapeflowAdagradUpdate",
    make: () => optim.scaleByAdagrad({ eps: 0, initialAccumulatorValue: 0 }),
    statistics: { sumOfSquares: [0, 0] },
    counted: false,
  },
  {
    name: "scaleByMomentum",
    kernel: "ShapeflowMomentumUpdate",
    make: () => optim.scaleByMomentum(),
    statistics: { trace: [-1, 1] },
    counted: false,
  },
  {
    name: "scaleByMomentum (nesterov)",
    kernel: "ShapeflowNesterovUpdate",
    make: () => optim.scaleByMomentum({ decay: 0.8, nesterov: true }),
    statistics: { trace: [-1, 1] },
    counted: false,
  },
];

/** A random state for the entry: statistics in their ranges, the count at 2 when counted. */
function randomState(e: Entry, seed: number): Record<string, unknown> {
  const s: Record<string, unknown> = e.counted ? { count: scalar(2) } : {};
  Object.entries(e.statistics).forEach(([k, [lo, hi]], i) => (s[k] = leafTree(seed + 100 * i, lo, hi)));
  return s;
}

describe.each(table)("$name: the native step", (e) => {
  test("is there on WASM and replaces the elementwise kernels", async () => {
    expect(tf.getBackend()).toBe("wasm");
    expect(nativeAvailable(e.kernel)).toBe(true);
    const opt = e.make();
    const g = leafTree(1);
    const s = randomState(e, 2);
    const native = await kernelsOf(() => opt.update(g, s));
    setNativeKernels(false);
    const composite = await kernelsOf(() => opt.update(g, s));
    setNativeKernels(true);
    // one call per leaf (a size-0 leaf's writes nothing) and nothing else per leaf: the composite's
    // Multiply per non-empty leaf is gone
    expect(native.filter((k) => k === e.kernel).length).toBe(SHAPES.length);
    expect(native.filter((k) => k === "Multiply").length).toBe(0);
    expect(composite).not.toContain(e.kernel);
    expect(composite.filter((k) => k === "Multiply").length).toBeGreaterThanOrEqual(NONEMPTY);
    tree.dispose([g, s]);
  });

  test("matches the composite from random statistics, eager and jitted", () => {
    const opt = e.make();
    const g = leafTree(10);
    const state = randomState(e, 20);
    for (const jitted of [false, true]) {
      // a jitted function keeps the plan it lowered: one per setting
      const [native, composite] = bothWays(() => {
        const step = (gs: Leaves, s: typeof state) => opt.update(gs, s);
        if (!jitted) return step(g, state);
        const f = jit(step);
        const r = [f(g, state), f(g, state)];
        // the static plan calls the kernel itself, or the composite's kernels
        const calls = f.lastPlan?.steps.flatMap((st) => (st.kind === "call" ? [st.name] : [])) ?? [];
        expect(calls.filter((k) => k === e.kernel).length).toBe(nativeAvailable(e.kernel) ? SHAPES.length : 0);
        f.dispose();
        tree.dispose(r[0]);
        return r[1];
      });
      expectClose(native[0], composite[0]);
      // the statistics are the same float32 operations in the same order
      expect(flat(native[1])).toEqual(flat(composite[1]));
      tree.dispose([native, composite]);
    }
    tree.dispose([g, state]);
  });

  /** One [9] leaf `a`: a random state and gradient (no exact zeros: the roots' derivatives are finite). */
  function oneLeaf(seed: number) {
    const state: Record<string, unknown> = e.counted ? { count: scalar(4) } : {};
    Object.entries(e.statistics).forEach(([k, [lo, hi]], i) => (state[k] = { a: tensor(values(9, seed + i, lo, hi, false), [9]) }));
    return { state, g: tensor(values(9, seed + 10, -1, 1, false), [9]) };
  }

  test("derivatives through the step are the composite's (grad and grad of grad)", () => {
    // the kernel evaluates, the composite differentiates
    const opt = e.make();
    const { state, g } = oneLeaf(80);
    const w = tensor(values(9, 90, -1, 1, false), [9]);
    const stat = Object.keys(e.statistics)[0];
    const f = (x: Tensor<[9]>) => {
      const [u, s] = opt.update({ a: x }, state);
      const next = (s as Record<string, { a: AnyTensor }>)[stat].a;
      return sum(mul(mul(u.a, w), add(next, 1))) as Tensor<[]>;
    };
    const [native, composite] = bothWays(() => [grad(f)(g), grad((x: Tensor<[9]>) => sum(grad(f)(x)) as Tensor<[]>)(g)]);
    expect(flat(native).flat().every(Number.isFinite)).toBe(true);
    expectClose(native, composite, 1e-5);
    tree.dispose([native, composite, state, w, g]);
  });

  test("vmap over a batch of gradients: the composite's batching, each row the unbatched step", () => {
    const opt = e.make();
    const { state } = oneLeaf(100);
    const rowsData = values(27, 110, -1, 1, true);
    const gs = tensor(rowsData, [3, 9]);
    const perExample = vmap((x: Tensor<[9]>) => opt.update({ a: x }, state)[0].a);
    const [native, composite] = bothWays(() => perExample(gs));
    expectClose(native, composite);
    const rows = [0, 1, 2].map((i) => {
      const x = tensor(rowsData.slice(9 * i, 9 * i + 9), [9]);
      const [u, s] = opt.update({ a: x }, state);
      tree.dispose([x, s]);
      return u.a;
    });
    expectClose(flat(native)[0], flat(rows).flat());
    tree.dispose([native, composite, rows, state, gs]);
  });

  test("leaves no tensors (nor backend buffers) behind, eager and jitted", () => {
    const opt = e.make();
    const before = [liveTensors(), tf.engine().backend.numDataIds()];
    const eager = (g: Leaves, s: unknown) => opt.update(g, s as never);
    const jitted = jit(eager);
    for (const step of [eager, jitted]) {
      let s: unknown = randomState(e, 120);
      for (let t = 0; t < 4; t++) {
        const g = leafTree(130 + t);
        const [u, ns] = step(g, s);
        tree.dispose([g, s, u]);
        s = ns;
      }
      tree.dispose(s);
    }
    jitted.dispose();
    expect([liveTensors(), tf.engine().backend.numDataIds()]).toEqual(before);
  });
});

describe("named optimizers on the fused steps", () => {
  const optimizers: [string, () => GradientTransformation][] = [
    ["adam", () => optim.adam(0.01)],
    ["adam (epsRoot 1e-8)", () => optim.adam(0.05, { epsRoot: 1e-8 })],
    ["adam (a schedule)", () => optim.adam(optim.warmupCosineDecay({ peak: 0.05, warmupSteps: 2, decaySteps: 10 }))],
    ["adamw", () => optim.adamw(0.01, { weightDecay: 0.1 })],
    ["adamax", () => optim.adamax(0.02)],
    ["rmsprop (momentum)", () => optim.rmsprop(0.01, { momentum: 0.8 })],
    ["adagrad", () => optim.adagrad(0.1)],
    ["nesterov", () => optim.nesterov(0.05)],
  ];
  test.each(optimizers)("%s gives the composite's params over 6 steps, eager and jitted", (_, make) => {
    const opt = make();
    for (const jitted of [false, true]) {
      const [native, composite] = bothWays(() => {
        const eager = (g: Leaves, s: unknown, p: Leaves) => optim.applyGradients(opt, g, s as never, p);
        const compiled = jitted ? jit(eager) : undefined;
        const step = compiled ?? eager;
        let p = leafTree(40);
        let s: unknown = opt.init(p);
        for (let t = 0; t < 6; t++) {
          const g = leafTree(50 + t);
          const [np, ns] = step(g, s, p);
          tree.dispose([g, s, p]);
          [p, s] = [np, ns];
        }
        compiled?.dispose();
        return [p, s] as const;
      });
      // params of size ~1 after six steps of ~1e-2: float32 rounding of the updates, against the params' scale
      expectClose(native[0], composite[0], 1e-6, 1);
      // statistics read the gradients only (the same float32 operations), or the scaled steps (rmsprop's momentum)
      expectClose(native[1], composite[1], 1e-5, 1e-2);
      tree.dispose([native, composite]);
    }
  });
});

describe("adam's learning rate folded into the step (chain(scaleByAdam, scaleByLearningRate))", () => {
  const decayed = optim.exponentialDecay({ init: 0.1, transitionSteps: 1, decayRate: 0.5 });
  /** The two transforms applied in turn, as chain did before folding the scaling in. */
  const inTurn = (g: Leaves, s: unknown[], lr: optim.LearningRate, opts: optim.AdamOptions = {}) => {
    const [u1, s1] = optim.scaleByAdam(opts).update(g, s[0] as never);
    const [u2, s2] = optim.scaleByLearningRate(lr).update(u1, s[1] as never);
    tree.dispose(u1);
    return [u2, [s1, s2]] as const;
  };

  test("one kernel per leaf, and nothing else of a leaf's size", async () => {
    const opt = optim.adam(0.01);
    const g = leafTree(1);
    const s = opt.init(g);
    const info = await tf.profile(() => void tree.dispose(opt.update(g, s)));
    const perLeaf = info.kernels.filter((k) => k.inputShapes.some((shape) => shape !== null && shape.length > 0));
    expect(perLeaf.map((k) => k.name)).toEqual(SHAPES.filter((sh) => sh.length > 0).map(() => "ShapeflowAdamScaledUpdate"));
    expect(info.kernels.filter((k) => k.name === "ShapeflowAdamScaledUpdate").length).toBe(SHAPES.length);
    tree.dispose([g, s]);
  });

  test.each([
    ["a constant rate", 0.01, {}],
    ["a schedule, epsRoot 1e-6", decayed, { epsRoot: 1e-6 }],
  ] as const)("gives what the two give in turn (%s): exactly as composites, to rounding natively", (_, lr, opts) => {
    const opt = optim.adam(lr, opts);
    const g = leafTree(300);
    let s: unknown = opt.init(g);
    // a state some steps in
    for (let t = 0; t < 2; t++) {
      const [u, ns] = opt.update(leafTree(310 + t), s as never);
      tree.dispose([u, s]);
      s = ns;
    }
    const [[chainedNative, inTurnNative], [chained, inTurnComposite]] = bothWays(() => [
      opt.update(g, s as never),
      inTurn(g, s as unknown[], lr, opts),
    ]);
    expect(flat(chained)).toEqual(flat(inTurnComposite));
    expectClose(chainedNative[0], inTurnNative[0]);
    expect(flat(chainedNative[1])).toEqual(flat(inTurnNative[1]));
    tree.dispose([chainedNative, inTurnNative, chained, inTurnComposite, g, s]);
  });

  test("a jitted step's plan calls the scaled kernel", () => {
    const opt = optim.adam(decayed);
    const g = leafTree(320);
    const s = opt.init(g);
    const f = jit((gs: Leaves, st: typeof s) => opt.update(gs, st));
    tree.dispose([f(g, s), f(g, s)]);
    const calls = f.lastPlan?.steps.flatMap((st) => (st.kind === "call" ? [st.name] : [])) ?? [];
    expect(calls.filter((k) => k === "ShapeflowAdamScaledUpdate").length).toBe(SHAPES.length);
    expect(calls).not.toContain("ShapeflowAdamUpdate");
    f.dispose();
    tree.dispose([g, s]);
  });

  test("errors name the transform whose state is wrong, in chain order", () => {
    const opt = optim.adam(0.01);
    const g = { w: tensor([1, 2], [2]) };
    const [adamState, lrState] = opt.init(g);
    expect(() => opt.update(g, [adamState, {}] as never)).toThrow(
      "scaleByLearningRate: expected the state from init ({ count: scalar tensor }), got {  }",
    );
    expect(() => opt.update(g, [{}, {}] as never)).toThrow("scaleByAdam: expected the state from init ({ count, mu, nu }), got {  }");
    expect(() => opt.update({}, [{ count: scalar(0), mu: {}, nu: {} }, {}] as never)).toThrow(
      "scaleByLearningRate: expected the state from init",
    );
    tree.dispose([g, adamState, lrState]);
  });

  test("the learning rate gets the same meta-gradient natively", () => {
    // d/dlr of |p + update(lr)|^2 after a few steps: through the fused op's composite either way
    const p = { w: tensor(values(9, 330, -1, 1, false), [9]) };
    const g = { w: tensor(values(9, 331, -1, 1, false), [9]) };
    const meta = (lr: Tensor<[]>) => {
      const opt = optim.adam(() => lr);
      const [u, s] = opt.update(g, opt.init(p));
      void s;
      return sum(mul(add(p.w, u.w), add(p.w, u.w))) as Tensor<[]>;
    };
    const lr = scalar(0.1);
    const [native, composite] = bothWays(() => grad(meta)(lr));
    expect(Number.isFinite(native.item())).toBe(true);
    expectClose([native.item()], [composite.item()], 1e-5);
    tree.dispose([native, composite, p, g, lr]);
  });
});

describe("on the CPU backend", () => {
  test("the optimizers run their composites there and agree with the native steps", async () => {
    const opt = optim.adam(0.01, { epsRoot: 1e-6 });
    const run = () => {
      let p = leafTree(200);
      let s: unknown = opt.init(p);
      for (let t = 0; t < 3; t++) {
        const g = leafTree(210 + t);
        const [np, ns] = optim.applyGradients(opt, g, s as never, p);
        tree.dispose([g, s, p]);
        [p, s] = [np, ns];
      }
      const out = flat(p);
      tree.dispose([p, s]);
      return out;
    };
    const onWasm = run();
    await tf.setBackend("cpu");
    try {
      expect(nativeAvailable("ShapeflowAdamUpdate")).toBe(false);
      const kernels = await kernelsOf(() => opt.update(leafTree(1), opt.init(leafTree(2))));
      expect(kernels).not.toContain("ShapeflowAdamUpdate");
      expect(kernels).toContain("Sqrt");
      expectClose(run(), onWasm, 1e-6, 1);
    } finally {
      await tf.setBackend("wasm");
    }
  });
});

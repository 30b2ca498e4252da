// Every named optimizer against its published update equations (plain-JS float64 references),
// on a quadratic and on Rosenbrock, under jit, and for memory. One table drives all of it.
import { describe, expect, test } from "vitest";
import { Concrete, scalar, tensor, type Tensor } from "../src/tensor/index.js";
import { grad, jit, valueAndGrad, add, mul, square, sub, sum } from "../src/core/index.js";
import { liveTensors } from "../src/backend/index.js";
import * as tree from "../src/tree/index.js";
import * as optim from "../src/optim/index.js";
import type { GradientTransformation } from "../src/optim/index.js";

// ------------------------------------------------------------------ plain-JS references
// A reference is a stateful step on the flat parameter vector (leaves in tree order): p, g -> new p.
type Reference = (p: number[], g: number[]) => number[];

const zeros = (n: number) => new Array<number>(n).fill(0);

function sgdRef(lr: (t: number) => number): Reference {
  let t = 0;
  return (p, g) => {
    const a = lr(t++);
    return p.map((x, i) => x - a * g[i]);
  };
}

function momentumRef(lr: number, beta: number, nesterov: boolean): Reference {
  let v: number[] | undefined;
  return (p, g) => {
    v ??= zeros(p.length);
    return p.map((x, i) => {
      v![i] = g[i] + beta * v![i];
      return x - lr * (nesterov ? g[i] + beta * v![i] : v![i]);
    });
  };
}

function adamRef(lr: (t: number) => number, b1 = 0.9, b2 = 0.999, eps = 1e-8, weightDecay = 0, decayed = (_i: number) => true): Reference {
  let m: number[] | undefined, v: number[] | undefined;
  let t = 0;
  return (p, g) => {
    m ??= zeros(p.length);
    v ??= zeros(p.length);
    const a = lr(t);
    t++;
    return p.map((x, i) => {
      m![i] = b1 * m![i] + (1 - b1) * g[i];
      v![i] = b2 * v![i] + (1 - b2) * g[i] * g[i];
      const mHat = m![i] / (1 - b1 ** t);
      const vHat = v![i] / (1 - b2 ** t);
      const wd = decayed(i) ? weightDecay * x : 0;
      return x - a * (mHat / (Math.sqrt(vHat) + eps) + wd);
    });
  };
}

function adagradRef(lr: number, init = 0.1, eps = 1e-7): Reference {
  let s: number[] | undefined;
  return (p, g) => {
    s ??= new Array<number>(p.length).fill(init);
    return p.map((x, i) => {
      s![i] += g[i] * g[i];
      return x - (lr * g[i]) / Math.sqrt(s![i] + eps);
    });
  };
}

function adamaxRef(lr: number, b1 = 0.9, b2 = 0.999, eps = 1e-8): Reference {
  let m: number[] | undefined, u: number[] | undefined;
  let t = 0;
  return (p, g) => {
    m ??= zeros(p.length);
    u ??= zeros(p.length);
    t++;
    return p.map((x, i) => {
      m![i] = b1 * m![i] + (1 - b1) * g[i];
      u![i] = Math.max(b2 * u![i], Math.abs(g[i]) + eps);
      return x - (lr * m![i]) / (1 - b1 ** t) / u![i];
    });
  };
}

function rmspropRef(lr: number, decay = 0.9, eps = 1e-8, momentum?: number, epsInSqrt = true): Reference {
  let nu: number[] | undefined, v: number[] | undefined;
  return (p, g) => {
    nu ??= zeros(p.length);
    v ??= zeros(p.length);
    return p.map((x, i) => {
      nu![i] = decay * nu![i] + (1 - decay) * g[i] * g[i];
      const stepped = (-lr * g[i]) / (epsInSqrt ? Math.sqrt(nu![i] + eps) : Math.sqrt(nu![i]) + eps);
      if (momentum === undefined) return x + stepped;
      // optax: the momentum trace runs on the already scaled (negative) step
      v![i] = stepped + momentum * v![i];
      return x + v![i];
    });
  };
}

function clippedSgdRef(maxNorm: number, lr: number): Reference {
  return (p, g) => {
    const norm = Math.sqrt(g.reduce((s, x) => s + x * x, 0));
    const f = maxNorm / Math.max(norm, maxNorm);
    return p.map((x, i) => x - lr * f * g[i]);
  };
}

// ------------------------------------------------------------------ the table
interface Entry {
  name: string;
  make: () => GradientTransformation<any>;
  /** A fresh reference with the same hyperparameters. */
  reference: () => Reference;
  /** Learning rate and steps that bring f(x, y) = (x^2 + 10 y^2) / 2 from (3, -2) below 1e-3. */
  quadratic: { make: () => GradientTransformation<any>; steps: number };
  /** When given: from (-1.2, 1) to within 0.02 of (1, 1) on Rosenbrock. */
  rosenbrock?: { make: () => GradientTransformation<any>; steps: number };
}

// the leaves of PARAMS in tree order: b (2 values) then w (4 values)
const kernelIndex = (i: number) => i >= 2;

const table: Entry[] = [
  {
    name: "sgd",
    make: () => optim.sgd(0.1),
    reference: () => sgdRef(() => 0.1),
    quadratic: { make: () => optim.sgd(0.1), steps: 100 },
  },
  {
    name: "momentum",
    make: () => optim.momentum(0.05, { beta: 0.9 }),
    reference: () => momentumRef(0.05, 0.9, false),
    quadratic: { make: () => optim.momentum(0.02, { beta: 0.9 }), steps: 150 },
    rosenbrock: { make: () => optim.momentum(0.003, { beta: 0.9 }), steps: 450 },
  },
  {
    name: "nesterov",
    make: () => optim.nesterov(0.05, { beta: 0.9 }),
    reference: () => momentumRef(0.05, 0.9, true),
    quadratic: { make: () => optim.nesterov(0.05, { beta: 0.9 }), steps: 100 },
  },
  {
    name: "momentum (nesterov option)",
    make: () => optim.momentum(0.05, { beta: 0.8, nesterov: true }),
    reference: () => momentumRef(0.05, 0.8, true),
    quadratic: { make: () => optim.momentum(0.05, { nesterov: true }), steps: 100 },
  },
  {
    name: "adam",
    make: () => optim.adam(0.01),
    reference: () => adamRef(() => 0.01),
    quadratic: { make: () => optim.adam(0.1), steps: 200 },
    rosenbrock: { make: () => optim.adam(0.2), steps: 800 },
  },
  {
    name: "adam (b1 0.5, b2 0.9, eps 1e-3, exponentially decayed rate)",
    make: () => optim.adam(optim.exponentialDecay({ init: 0.1, transitionSteps: 1, decayRate: 0.5 }), { b1: 0.5, b2: 0.9, eps: 1e-3 }),
    reference: () => adamRef((t) => 0.1 * 0.5 ** t, 0.5, 0.9, 1e-3),
    quadratic: { make: () => optim.adam(optim.cosineDecay({ init: 0.2, decaySteps: 200, alpha: 0.05 })), steps: 200 },
  },
  {
    name: "adamw",
    make: () => optim.adamw(0.01, { weightDecay: 0.1 }),
    reference: () => adamRef(() => 0.01, 0.9, 0.999, 1e-8, 0.1),
    quadratic: { make: () => optim.adamw(0.1, { weightDecay: 1e-3 }), steps: 200 },
  },
  {
    name: "adamw (kernels only)",
    make: () => optim.adamw(0.01, { weightDecay: 0.5, mask: /^w$/ }),
    reference: () => adamRef(() => 0.01, 0.9, 0.999, 1e-8, 0.5, kernelIndex),
    quadratic: { make: () => optim.adamw(0.1, { weightDecay: 1e-3, mask: (p) => p === "xy" }), steps: 200 },
  },
  {
    name: "adagrad",
    make: () => optim.adagrad(0.1),
    reference: () => adagradRef(0.1),
    quadratic: { make: () => optim.adagrad(0.5), steps: 200 },
  },
  {
    name: "adamax",
    make: () => optim.adamax(0.02),
    reference: () => adamaxRef(0.02),
    quadratic: { make: () => optim.adamax(0.2), steps: 200 },
  },
  {
    name: "rmsprop",
    make: () => optim.rmsprop(0.01),
    reference: () => rmspropRef(0.01),
    quadratic: { make: () => optim.rmsprop(0.01), steps: 400 },
  },
  {
    name: "rmsprop (momentum 0.8, decay 0.8, eps 1e-4)",
    make: () => optim.rmsprop(0.01, { decay: 0.8, eps: 1e-4, momentum: 0.8 }),
    reference: () => rmspropRef(0.01, 0.8, 1e-4, 0.8),
    quadratic: { make: () => optim.rmsprop(0.005, { momentum: 0.9 }), steps: 300 },
  },
  {
    name: "rmsprop (PyTorch's eps placement: epsInSqrt false, eps 1e-2, momentum 0.5)",
    make: () => optim.rmsprop(0.01, { eps: 1e-2, epsInSqrt: false, momentum: 0.5 }),
    reference: () => rmspropRef(0.01, 0.9, 1e-2, 0.5, false),
    quadratic: { make: () => optim.rmsprop(0.01, { epsInSqrt: false }), steps: 400 },
  },
  {
    name: "chain(clipByGlobalNorm(1), sgd)",
    make: () => optim.chain(optim.clipByGlobalNorm(1), optim.sgd(0.1)),
    reference: () => clippedSgdRef(1, 0.1),
    quadratic: { make: () => optim.chain(optim.clipByGlobalNorm(5), optim.sgd(0.1)), steps: 150 },
  },
];

// ------------------------------------------------------------------ fixtures
const P0 = [0.3, -0.7, 0.5, -1.5, 2.0, 0.1];
// three steps of gradients; step 2 has a global norm > 1 so the clipping entry clips there only
const GRADS = [
  [0.1, -0.2, 0.3, -0.4, 0.5, 0.05],
  [1.5, 0.4, -0.9, 0.3, -0.2, 0.6],
  [-0.05, 0.1, 0.02, 0.3, -0.25, 0.15],
];

type Params = { b: Tensor<[2]>; w: Tensor<[2, 2]> };
const makeParams = (flat: readonly number[] = P0): Params => ({ b: tensor(flat.slice(0, 2), [2]), w: tensor(flat.slice(2), [2, 2]) });
const flat = (t: unknown): number[] => tree.leaves(t).flatMap((l) => Array.from(l.dataSync() as Float32Array));

function expectClose(actual: number[], expected: number[], tol: number): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => {
    if (!(Math.abs(a - expected[i]) <= tol)) throw new Error(`entry ${i}: got ${a}, expected ${expected[i]} (tolerance ${tol})`);
  });
}

/** Runs `steps` eager updates and disposes everything but the result. */
function run(opt: GradientTransformation<any>, grads: number[][]): { params: Params; trajectory: number[][] } {
  let params = makeParams();
  let state = opt.init(params);
  const trajectory: number[][] = [];
  for (const g of grads) {
    const gt = makeParams(g);
    const [updates, next] = opt.update(gt, state, params);
    const newParams = optim.applyUpdates(params, updates);
    tree.dispose([gt, updates, params, state]);
    params = newParams;
    state = next;
    trajectory.push(flat(params));
  }
  tree.dispose(state);
  return { params, trajectory };
}

function referenceTrajectory(ref: Reference, grads: number[][]): number[][] {
  let p = [...P0];
  return grads.map((g) => (p = ref(p, g)));
}

const quadratic = (p: { xy: Tensor<[2]> }) => mul(sum(mul(square(p.xy), tensor([1, 10], [2]))), 0.5) as Tensor<[]>;
const rosenbrock = (p: { xy: Tensor<[2]> }) => {
  const [x, y] = [p.xy, p.xy].map((v, i) => sum(mul(v, tensor(i === 0 ? [1, 0] : [0, 1], [2]))));
  return add(square(sub(1, x)), mul(square(sub(y, square(x))), 100)) as Tensor<[]>;
};

/** Minimises f with a jitted step; returns the final point, f there and how many traces happened. */
function minimise(f: (p: { xy: Tensor<[2]> }) => Tensor<[]>, opt: GradientTransformation<any>, start: [number, number], steps: number) {
  let params = { xy: tensor(start, [2]) };
  let state = opt.init(params);
  const step = jit((p: typeof params, s: unknown) => {
    const [loss, g] = valueAndGrad(f)(p);
    const [u, ns] = opt.update(g, s, p);
    return [optim.applyUpdates(p, u), ns, loss] as const;
  });
  for (let i = 0; i < steps; i++) {
    const [np, ns, loss] = step(params, state);
    tree.dispose([params, state, loss]);
    params = np;
    state = ns;
  }
  const value = f(params).item();
  const point = Array.from(params.xy.dataSync());
  const traces = step.traceCount;
  tree.dispose([params, state]);
  step.dispose();
  return { point, value, traces };
}

describe.each(table)("$name", (entry) => {
  test("follows its update equations for 3 steps (to 1e-5)", () => {
    const { params, trajectory } = run(entry.make(), GRADS);
    tree.dispose(params);
    const expected = referenceTrajectory(entry.reference(), GRADS);
    trajectory.forEach((p, i) => expectClose(p, expected[i], 1e-5));
  });

  test("gives the same steps under jit, tracing once", () => {
    const opt = entry.make();
    const update = jit((g: Params, s: unknown, p: Params) => {
      const [u, ns] = opt.update(g, s, p);
      return [optim.applyUpdates(p, u), ns] as const;
    });
    let params = makeParams();
    let state = opt.init(params);
    const expected = referenceTrajectory(entry.reference(), GRADS);
    GRADS.forEach((g, i) => {
      const gt = makeParams(g);
      const [np, ns] = update(gt, state, params);
      tree.dispose([gt, params, state]);
      params = np;
      state = ns;
      expectClose(flat(params), expected[i], 1e-5);
    });
    expect(update.traceCount).toBe(1);
    tree.dispose([params, state]);
    update.dispose();
  });

  test("minimises a quadratic", () => {
    const { value, traces } = minimise(quadratic, entry.quadratic.make(), [3, -2], entry.quadratic.steps);
    expect(value).toBeLessThan(1e-3);
    expect(traces).toBe(1);
  });

  test("leaves no tensors behind over 50 eager steps", () => {
    const opt = entry.make();
    const before = liveTensors();
    const grads = Array.from({ length: 50 }, (_, i) => GRADS[i % 3]);
    const { params } = run(opt, grads);
    tree.dispose(params);
    expect(liveTensors()).toBe(before);
    // and through applyGradients
    let p = makeParams();
    let s = opt.init(p);
    for (let i = 0; i < 10; i++) {
      const g = makeParams(GRADS[i % 3]);
      const [np, ns] = optim.applyGradients(opt, g, s, p);
      tree.dispose([g, p, s]);
      p = np;
      s = ns;
    }
    tree.dispose([p, s]);
    expect(liveTensors()).toBe(before);
  });

  test("returns only new tensors, each once", () => {
    const opt = entry.make();
    const params = makeParams();
    const state = opt.init(params);
    const grads = makeParams(GRADS[0]);
    const [updates, next] = opt.update(grads, state, params);
    const handles = (t: unknown) => tree.leaves(t).map((l) => (l as Concrete).value);
    const inputs = new Set(handles([params, state, grads]));
    const outputs = handles([updates, next]);
    expect(outputs.filter((h) => inputs.has(h))).toEqual([]);
    expect(new Set(outputs).size).toBe(outputs.length);
    tree.dispose([params, state, grads, updates, next]);
  });

  test("keeps the params' structure in updates and state", () => {
    const opt = entry.make();
    const params = makeParams();
    const state = opt.init(params);
    const grads = makeParams(GRADS[0]);
    const [updates, next] = opt.update(grads, state, params);
    expect(() => tree.assertSameStructure(updates, params)).not.toThrow();
    expect(tree.paths(next)).toEqual(tree.paths(state));
    expect(tree.shapes(next)).toBe(tree.shapes(state));
    tree.dispose([params, state, grads, updates, next]);
  });
});

describe.each(table.filter((e) => e.rosenbrock !== undefined))("$name on Rosenbrock", (entry) => {
  test("reaches (1, 1) from (-1.2, 1)", () => {
    const { point, traces } = minimise(rosenbrock, entry.rosenbrock!.make(), [-1.2, 1], entry.rosenbrock!.steps);
    expect(Math.abs(point[0] - 1)).toBeLessThan(0.02);
    expect(Math.abs(point[1] - 1)).toBeLessThan(0.02);
    expect(traces).toBe(1);
  });
});

// ------------------------------------------------------------------ single transforms

describe("transforms", () => {
  const vec = (xs: number[]) => tensor(xs, [xs.length]);

  test("clipByGlobalNorm rescales to the exact norm, leaves small updates alone, and is safe at 0", () => {
    const clip = optim.clipByGlobalNorm(1);
    const g = { a: vec([3]), b: vec([0, 4]) };
    const s = clip.init(g);
    const [u] = clip.update(g, s);
    expectClose(flat(u), [0.6, 0, 0.8], 1e-7);
    const norm = optim.globalNorm(u);
    expect(norm.item()).toBeCloseTo(1, 6);
    const small = { a: vec([0.3]), b: vec([0.4, 0]) };
    const [u2] = clip.update(small, s);
    expectClose(flat(u2), [0.3, 0.4, 0], 1e-7);
    const zero = { a: vec([0]), b: vec([0, 0]) };
    const [u3] = clip.update(zero, s);
    expect(flat(u3)).toEqual([0, 0, 0]);
    tree.dispose([g, u, norm, small, u2, zero, u3]);
  });

  test("globalNorm is the L2 norm over every leaf", () => {
    const t = { a: vec([1, 2]), b: [tensor([[2, 4]], [1, 2])] };
    const n = optim.globalNorm(t);
    expect(n.item()).toBeCloseTo(5, 6);
    tree.dispose([t, n]);
  });

  test("clip bounds every entry", () => {
    const c = optim.clip(0.5);
    const g = vec([-2, -0.25, 0, 0.7]);
    const [u] = c.update(g, c.init(g));
    expect(flat(u)).toEqual([-0.5, -0.25, 0, 0.5]);
    tree.dispose([g, u]);
  });

  test("scale, scaleBySchedule and scaleByLearningRate's sign", () => {
    const g = vec([1, -2]);
    const [a] = optim.scale(3).update(g, {});
    expect(flat(a)).toEqual([3, -6]);
    const bySchedule = optim.scaleBySchedule(optim.linear({ init: 1, end: 0, steps: 4 }));
    let s = bySchedule.init(g);
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) {
      const [u, ns] = bySchedule.update(g, s);
      seen.push(flat(u)[0]);
      expect(ns.count.item()).toBe(i + 1);
      tree.dispose([u, s]);
      s = ns;
    }
    expectClose(seen, [1, 0.75, 0.5], 1e-7);
    const ascent = optim.scaleByLearningRate(0.5, { flipSign: false });
    const [b, bs] = ascent.update(g, ascent.init(g));
    expect(flat(b)).toEqual([0.5, -1]);
    const descent = optim.scaleByLearningRate(0.5);
    const [c, cs] = descent.update(g, descent.init(g));
    expect(flat(c)).toEqual([-0.5, 1]);
    tree.dispose([g, a, s, b, bs, c, cs]);
  });

  test("scaleByMomentum alias trace, and adamw's decay reaches only masked leaves", () => {
    expect(optim.trace).toBe(optim.scaleByMomentum);
    const decay = optim.addDecayedWeights(0.5, { mask: /kernel$/ });
    const params = { dense: { kernel: vec([2, 4]), bias: vec([6]) } };
    const grads = { dense: { kernel: vec([1, 1]), bias: vec([1]) } };
    const [u] = decay.update(grads, decay.init(params), params);
    expect(flat(u)).toEqual([1, 2, 3]); // bias first (sorted keys): untouched
    tree.dispose([params, grads, u]);
  });

  test("errors name the transform and what came", () => {
    const g = { w: vec([1, 2]) };
    expect(() => optim.chain()).toThrow("chain: needs at least one transform");
    expect(() => optim.chain(optim.sgd(1), {} as never)).toThrow(
      "chain: argument 1 is not a gradient transformation (expected { init, update }), got object",
    );
    expect(() => optim.sgd(1).update(g, {} as never)).toThrow(
      "chain(scaleByLearningRate): expected the state from init (an array of 1), got object",
    );
    expect(() => optim.addDecayedWeights(0.1).update(g, {})).toThrow(
      "addDecayedWeights: update needs the current params; call update(grads, state, params)",
    );
    expect(() => optim.addDecayedWeights(0.1, { mask: /kernel/ }).init(g)).toThrow(
      "addDecayedWeights: the mask matches none of the params' leaves (w)",
    );
    expect(() => optim.adam(0.1, { b1: 1 })).toThrow("scaleByAdam: b1 must be in [0, 1), got 1");
    expect(() => optim.sgd(NaN)).toThrow("scaleByLearningRate: learning rate must be a finite number or a schedule, got NaN");
    expect(() => optim.clipByGlobalNorm(0)).toThrow("clipByGlobalNorm: maxNorm must be a positive number, got 0");
    expect(() => optim.momentum(0.1, { beta: -1 })).toThrow("scaleByMomentum: decay must be a non-negative number, got -1");
    expect(() => optim.scaleByRms({ decay: 1 })).toThrow("scaleByRms: decay must be in [0, 1), got 1");

    // a state made for other params
    const opt = optim.adam(0.1);
    const other = { w: vec([1, 2, 3]) };
    const s = opt.init(other);
    expect(() => opt.update(g, s as never)).toThrow("scaleByAdam: state.mu has shape [3] at w, but the updates have [2]");
    const s2 = opt.init({ v: vec([1, 2]) });
    expect(() => opt.update(g, s2 as never)).toThrow(
      "scaleByAdam: state.mu does not match the updates' structure (at the root: keys {w} vs {v}); was the state made by init for other params?",
    );
    expect(() => optim.applyUpdates(g, { w: vec([1]) })).toThrow("applyUpdates: w has shape [2] in params but [1] in updates");
    expect(() => optim.applyUpdates(g, { v: g.w } as never)).toThrow(
      "applyUpdates: params and updates: structures differ at the root: keys {w} vs {v}",
    );
    tree.dispose([g, other, s, s2]);
  });

  test("update runs under grad: the learning rate gets a meta-gradient", () => {
    // f(p + u) with u = -lr * g, f = |p|^2 / 2 and g = p: d/dlr at lr = 0 is -|p|^2 = -5
    const p = { w: vec([1, 2]) };
    const meta = grad((lr: Tensor<[]>) => {
      const opt = optim.scaleBySchedule(() => mul(lr, -1) as Tensor<[]>);
      const [updates, state] = opt.update(p, opt.init(p));
      const next = optim.applyUpdates(p, updates);
      expect(state.count).toBeInstanceOf(Concrete);
      return mul(sum(square(next.w)), 0.5) as Tensor<[]>;
    });
    const lr0 = scalar(0);
    const d = meta(lr0);
    expect(d.item()).toBeCloseTo(-5, 5);
    tree.dispose([p, lr0, d]);
  });
});

// Schedules against their closed forms (plain JS, float64), eagerly and under jit.
import { describe, expect, test } from "vitest";
import { scalar, type Tensor } from "../src/tensor/index.js";
import { jit } from "../src/core/index.js";
import { liveTensors } from "../src/backend/index.js";
import * as optim from "../src/optim/index.js";

interface Entry {
  name: string;
  schedule: optim.Schedule;
  reference: (step: number) => number;
}

const cosine =
  (init: number, decaySteps: number, alpha = 0, exponent = 1) =>
  (t: number) =>
    init * ((1 - alpha) * (0.5 * (1 + Math.cos((Math.PI * Math.min(Math.max(t, 0), decaySteps)) / decaySteps))) ** exponent + alpha);

const table: Entry[] = [
  { name: "constant", schedule: optim.constant(0.25), reference: () => 0.25 },
  {
    name: "linear",
    schedule: optim.linear({ init: 1, end: 0.2, steps: 40, begin: 10 }),
    reference: (t) => 1 + (0.2 - 1) * (Math.min(Math.max(t - 10, 0), 40) / 40),
  },
  {
    name: "piecewiseConstant",
    schedule: optim.piecewiseConstant(0.1, { 100: 0.5, 50: 0.1 }),
    reference: (t) => 0.1 * (t >= 50 ? 0.1 : 1) * (t >= 100 ? 0.5 : 1),
  },
  {
    name: "stepDecay",
    schedule: optim.stepDecay({ init: 0.1, stepSize: 30, gamma: 0.1 }),
    reference: (t) => 0.1 * 0.1 ** Math.floor(t / 30),
  },
  {
    name: "exponentialDecay",
    schedule: optim.exponentialDecay({ init: 2, transitionSteps: 20, decayRate: 0.5, begin: 5 }),
    reference: (t) => 2 * 0.5 ** (Math.max(t - 5, 0) / 20),
  },
  {
    name: "exponentialDecay (staircase, endValue)",
    schedule: optim.exponentialDecay({ init: 2, transitionSteps: 20, decayRate: 0.5, staircase: true, endValue: 0.3 }),
    reference: (t) => Math.max(2 * 0.5 ** Math.floor(t / 20), 0.3),
  },
  {
    name: "exponentialDecay (growth capped by endValue)",
    schedule: optim.exponentialDecay({ init: 1, transitionSteps: 50, decayRate: 2, endValue: 3 }),
    reference: (t) => Math.min(2 ** (t / 50), 3),
  },
  { name: "cosineDecay", schedule: optim.cosineDecay({ init: 0.1, decaySteps: 100 }), reference: cosine(0.1, 100) },
  {
    name: "cosineDecay (alpha, exponent)",
    schedule: optim.cosineDecay({ init: 1, decaySteps: 100, alpha: 0.1, exponent: 2 }),
    reference: cosine(1, 100, 0.1, 2),
  },
  {
    name: "warmup then cosine",
    schedule: optim.warmup(optim.cosineDecay({ init: 1e-2, decaySteps: 90 }), { steps: 10, init: 1e-3 }),
    reference: (t) => (t < 10 ? 1e-3 + (1e-2 - 1e-3) * (t / 10) : cosine(1e-2, 90)(t - 10)),
  },
  {
    name: "warmupCosineDecay",
    schedule: optim.warmupCosineDecay({ peak: 1, warmupSteps: 50, decaySteps: 250, end: 0.1 }),
    reference: (t) => (t < 50 ? t / 50 : cosine(1, 200, 0.1)(t - 50)),
  },
  {
    name: "joinSchedules",
    schedule: optim.joinSchedules([0.5, optim.linear({ init: 1, end: 0, steps: 50 }), 0.01], [10, 60]),
    reference: (t) => (t < 10 ? 0.5 : t < 60 ? 1 - (t - 10) / 50 : 0.01),
  },
];

const STEPS = [0, 1, 5, 9, 10, 11, 25, 49, 50, 51, 99, 100, 101, 150, 250, 400];

function expectNear(actual: number[], expected: number[]): void {
  actual.forEach((a, i) => {
    const tol = 1e-6 * Math.max(1, Math.abs(expected[i]));
    if (!(Math.abs(a - expected[i]) <= tol)) throw new Error(`step ${STEPS[i]}: got ${a}, expected ${expected[i]}`);
  });
}

describe.each(table)("$name", ({ schedule, reference }) => {
  test("matches its closed form", () => {
    const before = liveTensors();
    expectNear(optim.scheduleValues(schedule, STEPS), STEPS.map(reference));
    expect(liveTensors()).toBe(before);
  });

  test("runs under jit on a traced step count, tracing once", () => {
    const f = jit((step: Tensor<[]>) => schedule(step));
    const values = STEPS.map((s) => {
      const t = scalar(s);
      const v = f(t);
      const x = v.item();
      t.dispose();
      v.dispose();
      return x;
    });
    expectNear(values, STEPS.map(reference));
    expect(f.traceCount).toBe(1);
    f.dispose();
  });
});

test("scaleByLearningRate reads its schedule at the count kept in its state", () => {
  const sched = optim.piecewiseConstant(1, { 2: 0.1 });
  const opt = optim.scaleByLearningRate(sched);
  const g = scalar(1);
  let s = opt.init(g);
  const seen: number[] = [];
  for (let i = 0; i < 4; i++) {
    const [u, ns] = opt.update(g, s);
    seen.push(u.item());
    u.dispose();
    s.count.dispose();
    s = ns;
  }
  expect(seen.map((x) => Math.fround(x))).toEqual([-1, -1, Math.fround(-0.1), Math.fround(-0.1)]);
  g.dispose();
  s.count.dispose();
});

test("schedule arguments are checked", () => {
  expect(() => optim.constant(NaN)).toThrow("constant: value must be a finite number, got NaN");
  expect(() => optim.linear({ init: 1, end: 0, steps: 0 })).toThrow("linear: steps must be a positive number, got 0");
  expect(() => optim.cosineDecay({ init: 1, decaySteps: -5 })).toThrow("cosineDecay: decaySteps must be a positive number, got -5");
  expect(() => optim.exponentialDecay({ init: 1, transitionSteps: 10, decayRate: 0 })).toThrow(
    "exponentialDecay: decayRate must be a positive number, got 0",
  );
  expect(() => optim.stepDecay({ init: 1, stepSize: 0, gamma: 0.5 })).toThrow("stepDecay: stepSize must be a positive number, got 0");
  expect(() => optim.piecewiseConstant(1, { [-3]: 0.5 })).toThrow("piecewiseConstant: a boundary must be a non-negative number, got -3");
  expect(() => optim.joinSchedules([1, 2], [])).toThrow("joinSchedules: expected 1 schedules for 0 boundaries, got 2");
  expect(() => optim.joinSchedules([1, 2, 3], [10, 5])).toThrow("joinSchedules: boundaries must be increasing, got [10, 5]");
  expect(() => optim.warmup(1, { steps: -1 })).toThrow("warmup: steps must be a non-negative number, got -1");
  expect(() => optim.warmupCosineDecay({ peak: 1, warmupSteps: 10, decaySteps: 10 })).toThrow(
    "warmupCosineDecay: decaySteps (10) must be greater than warmupSteps (10)",
  );
});

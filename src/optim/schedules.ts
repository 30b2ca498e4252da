// Schedules: step -> value, written with primitives so they run under jit on a traced step count.
// Semantics follow optax's schedules (the first update uses the value at step 0).
import { type AnyTensor, type Tensor, scalar, ValueError, describeValue, expectOptions } from "../tensor/index.js";
import { scoped, add, cos, div, floor, greaterEqual, maximum, minimum, mul, pow, sub, where, asTensor } from "../core/index.js";
import { checkOptions } from "./transform.js";

/** A value per step (e.g. a learning rate). Accepts a scalar step tensor (as kept in optimizer state) or a number. */
export type Schedule = (step: Tensor<[]> | number) => Tensor<[]>;

function stepTensor(step: Tensor<[]> | number): AnyTensor {
  return typeof step === "number" ? scalar(step) : step;
}

function define(f: (step: AnyTensor) => AnyTensor): Schedule {
  return (step) => f(stepTensor(step)) as Tensor<[]>;
}

function check(op: string, name: string, v: number, ok: (v: number) => boolean, expected: string): void {
  if (typeof v !== "number" || !ok(v))
    throw new ValueError(
      { op: op, expected: `${name} ${expected}`, got: String(v) },
      `${op}: ${name} must be ${expected}, got ${String(v)}`,
    );
}
const finite = (v: number) => Number.isFinite(v);
const positive = (v: number) => Number.isFinite(v) && v > 0;
const nonNegative = (v: number) => Number.isFinite(v) && v >= 0;

/** The same value at every step. `constant(1e-3)(10).item() === 1e-3` (in float32). */
export function constant(value: number): Schedule {
  check("constant", "value", value, finite, "a finite number");
  return define(() => asTensor(value));
}

/**
 * From `init` to `end` linearly over `steps` steps starting at `begin`; constant outside.
 * ```ts
 * linear({ init: 0, end: 1e-3, steps: 100 })(50);   // 5e-4
 * ```
 */
export function linear(opts: { init: number; end: number; steps: number; begin?: number }): Schedule {
  checkOptions("linear", opts);
  const { init, end, steps, begin = 0 } = opts;
  check("linear", "init", init, finite, "a finite number");
  check("linear", "end", end, finite, "a finite number");
  check("linear", "steps", steps, positive, "a positive number");
  check("linear", "begin", begin, nonNegative, "a non-negative number");
  return define((step) => {
    const t = minimum(maximum(sub(step, begin), 0), steps);
    return add(mul(div(t, steps), end - init), init);
  });
}

/**
 * `init` scaled by every `scale` whose boundary the step has reached (optax's piecewise_constant_schedule).
 * ```ts
 * piecewiseConstant(0.1, { 100: 0.1, 200: 0.5 });  // 0.1 before 100, 0.01 from 100, 0.005 from 200
 * ```
 */
export function piecewiseConstant(init: number, boundariesAndScales: Record<number, number>): Schedule {
  check("piecewiseConstant", "init", init, finite, "a finite number");
  expectOptions("piecewiseConstant", boundariesAndScales, true);
  const pairs = Object.entries(boundariesAndScales).map(([b, s]) => [Number(b), s] as const);
  for (const [b, s] of pairs) {
    check("piecewiseConstant", "a boundary", b, nonNegative, "a non-negative number");
    check("piecewiseConstant", `the scale at ${b}`, s, finite, "a finite number");
  }
  pairs.sort((x, y) => x[0] - y[0]);
  return define((step) => {
    let v: AnyTensor = asTensor(init);
    for (const [b, s] of pairs) v = where(greaterEqual(step, b), mul(v, s), v);
    return v;
  });
}

/**
 * `init * gamma^floor(step / stepSize)` (PyTorch's StepLR).
 * ```ts
 * stepDecay({ init: 0.1, stepSize: 30, gamma: 0.1 })(65);   // 0.001
 * ```
 */
export function stepDecay(opts: { init: number; stepSize: number; gamma: number }): Schedule {
  checkOptions("stepDecay", opts);
  const { init, stepSize, gamma } = opts;
  check("stepDecay", "init", init, finite, "a finite number");
  check("stepDecay", "stepSize", stepSize, positive, "a positive number");
  check("stepDecay", "gamma", gamma, positive, "a positive number");
  return define((step) => mul(pow(asTensor(gamma), floor(div(maximum(step, 0), stepSize))), init));
}

/**
 * `init * decayRate^((step - begin) / transitionSteps)` from `begin` on (`init` before), with the
 * exponent floored when `staircase`, and clipped at `endValue` when given (optax's exponential_decay).
 * ```ts
 * exponentialDecay({ init: 1, transitionSteps: 10, decayRate: 0.5 })(20);   // 0.25
 * ```
 */
export function exponentialDecay(opts: {
  init: number;
  transitionSteps: number;
  decayRate: number;
  begin?: number;
  staircase?: boolean;
  endValue?: number;
}): Schedule {
  checkOptions("exponentialDecay", opts);
  const { init, transitionSteps, decayRate, begin = 0, staircase = false, endValue } = opts;
  check("exponentialDecay", "init", init, finite, "a finite number");
  check("exponentialDecay", "transitionSteps", transitionSteps, positive, "a positive number");
  check("exponentialDecay", "decayRate", decayRate, positive, "a positive number");
  check("exponentialDecay", "begin", begin, nonNegative, "a non-negative number");
  if (endValue !== undefined) check("exponentialDecay", "endValue", endValue, finite, "a finite number");
  return define((step) => {
    let e = div(maximum(sub(step, begin), 0), transitionSteps);
    if (staircase) e = floor(e);
    let v = mul(pow(asTensor(decayRate), e), init);
    if (endValue !== undefined) v = decayRate < 1 ? maximum(v, endValue) : minimum(v, endValue);
    return v;
  });
}

/**
 * Half a cosine from `init` down to `alpha * init` over `decaySteps`, then flat (optax's cosine_decay_schedule):
 * `init * ((1 - alpha) * (0.5 * (1 + cos(pi * min(step, decaySteps) / decaySteps)))^exponent + alpha)`.
 * ```ts
 * cosineDecay({ init: 1, decaySteps: 100 })(50);   // 0.5
 * ```
 */
export function cosineDecay(opts: { init: number; decaySteps: number; alpha?: number; exponent?: number }): Schedule {
  checkOptions("cosineDecay", opts);
  const { init, decaySteps, alpha = 0, exponent = 1 } = opts;
  check("cosineDecay", "init", init, finite, "a finite number");
  check("cosineDecay", "decaySteps", decaySteps, positive, "a positive number");
  check("cosineDecay", "alpha", alpha, finite, "a finite number");
  check("cosineDecay", "exponent", exponent, positive, "a positive number");
  return define((step) => {
    const t = div(minimum(maximum(step, 0), decaySteps), decaySteps);
    let c = mul(add(cos(mul(t, Math.PI)), 1), 0.5);
    // NOTE: clamp at 0: float32 cos(pi) is a hair above -1, and pow of a negative base is NaN.
    if (exponent !== 1) c = pow(maximum(c, 0), asTensor(exponent));
    return mul(add(mul(c, 1 - alpha), alpha), init);
  });
}

/**
 * `schedules[i]` between `boundaries[i-1]` and `boundaries[i]`, each restarted at 0 at its boundary
 * (optax's join_schedules).
 * ```ts
 * joinSchedules([constant(1), constant(0.1)], [100]);   // 1 before step 100, 0.1 from step 100
 * ```
 */
export function joinSchedules(schedules: readonly (Schedule | number)[], boundaries: readonly number[]): Schedule {
  if (!Array.isArray(schedules) || !Array.isArray(boundaries)) {
    const got = `${describeValue(schedules)} and ${describeValue(boundaries)}`;
    throw new ValueError(
      { op: "joinSchedules", expected: "an array of schedules and an array of boundaries", got },
      `joinSchedules: expected an array of schedules and an array of boundaries, got ${got}`,
    );
  }
  if (schedules.length !== boundaries.length + 1) {
    throw new ValueError(
      { op: "joinSchedules", expected: `${boundaries.length + 1} schedules`, got: String(schedules.length) },
      `joinSchedules: expected ${boundaries.length + 1} schedules for ${boundaries.length} boundaries, got ${schedules.length}`,
    );
  }
  boundaries.forEach((b, i) => {
    check("joinSchedules", `boundary ${i}`, b, nonNegative, "a non-negative number");
    if (i > 0 && b < boundaries[i - 1])
      throw new ValueError(
        { op: "joinSchedules", expected: "increasing boundaries", got: `[${boundaries.join(", ")}]` },
        `joinSchedules: boundaries must be increasing, got [${boundaries.join(", ")}]`,
      );
  });
  const fs = schedules.map(asSchedule);
  return define((step) => {
    let v = fs[0](step as Tensor<[]>) as AnyTensor;
    boundaries.forEach((b, i) => {
      v = where(greaterEqual(step, b), fs[i + 1](sub(step, b) as Tensor<[]>), v);
    });
    return v;
  });
}

/**
 * A linear warm-up from `init` to the value `after` starts at, over `steps` steps; then `after`,
 * restarted at 0 (so `after`'s own step 0 comes right when the warm-up ends).
 * ```ts
 * warmup(cosineDecay({ init: 1e-3, decaySteps: 1000 }), { steps: 100 });   // 0 -> 1e-3 over 100 steps, then cosine
 * ```
 */
export function warmup(after: Schedule | number, opts: { steps: number; init?: number }): Schedule {
  checkOptions("warmup", opts);
  const { steps, init = 0 } = opts;
  check("warmup", "steps", steps, nonNegative, "a non-negative number");
  check("warmup", "init", init, finite, "a finite number");
  const f = asSchedule(after);
  if (steps === 0) return f;
  return define((step) => {
    const peak = f(0) as AnyTensor;
    const ramp = add(mul(div(minimum(maximum(step, 0), steps), steps), sub(peak, init)), init);
    return where(greaterEqual(step, steps), f(sub(step, steps) as Tensor<[]>), ramp);
  });
}

/**
 * optax's warmup_cosine_decay_schedule: linear from `init` to `peak` over `warmupSteps`, then a cosine
 * from `peak` to `end` ending at step `decaySteps` (which counts the warm-up).
 * ```ts
 * warmupCosineDecay({ init: 0, peak: 1e-3, warmupSteps: 100, decaySteps: 1000, end: 1e-5 });
 * ```
 */
export function warmupCosineDecay(opts: {
  init?: number;
  peak: number;
  warmupSteps: number;
  decaySteps: number;
  end?: number;
  exponent?: number;
}): Schedule {
  checkOptions("warmupCosineDecay", opts);
  const { init = 0, peak, warmupSteps, decaySteps, end = 0, exponent = 1 } = opts;
  check("warmupCosineDecay", "peak", peak, finite, "a finite number");
  check("warmupCosineDecay", "end", end, finite, "a finite number");
  if (!(decaySteps > warmupSteps)) {
    throw new ValueError(
      { op: "warmupCosineDecay", expected: `decaySteps > warmupSteps (${warmupSteps})`, got: String(decaySteps) },
      `warmupCosineDecay: decaySteps (${decaySteps}) must be greater than warmupSteps (${warmupSteps})`,
    );
  }
  const alpha = peak === 0 ? 0 : end / peak;
  return warmup(cosineDecay({ init: peak, decaySteps: decaySteps - warmupSteps, alpha, exponent }), { steps: warmupSteps, init });
}

/** A number as a constant schedule; a schedule as itself. */
export function asSchedule(s: Schedule | number): Schedule {
  return typeof s === "number" ? constant(s) : s;
}

/**
 * A schedule's values at the given steps, as plain numbers (no tensors left behind): for tests and plots.
 * ```ts
 * scheduleValues(cosineDecay({ init: 1, decaySteps: 10 }), [0, 5, 10]);   // [1, 0.5, 0]
 * ```
 */
export function scheduleValues(schedule: Schedule, steps: readonly number[]): number[] {
  if (typeof schedule !== "function" || !Array.isArray(steps)) {
    const got = `${describeValue(schedule)} and ${describeValue(steps)}`;
    throw new ValueError(
      { op: "scheduleValues", expected: "a schedule and an array of steps", got },
      `scheduleValues: expected a schedule and an array of steps, got ${got}`,
    );
  }
  return steps.map((s) =>
    scoped(
      () => schedule(s).item(),
      () => [],
    ),
  );
}

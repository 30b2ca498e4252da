// Per-coordinate scaling by accumulated squared gradients: RMSProp and Adagrad.
import { add, greater, mul, rsqrt, sqrt, div, square, where } from "../core/index.js";
import type { AnyTensor } from "../tensor/index.js";
import { appliedLeafStep, fusedLeafStep, leafwiseTransformation, withAppliedLeafRule, type LeafwiseSpec } from "./leafwise.js";
import { movingAverage } from "./tree-math.js";
import { checkDecayRate, checkNonNegative, type GradientTransformation, type StateFamily, checkOptions } from "./transform.js";

/** The running mean of squared gradients. */
export interface ScaleByRmsState<P> {
  /** The running mean of squared gradients, a tree like the params. */
  nu: P;
}
/** The state family of `scaleByRms`: `ScaleByRmsState<P>` for params P. */
export interface ScaleByRmsFamily extends StateFamily {
  /** The state type for params `this["params"]`. */
  readonly state: ScaleByRmsState<this["params"]>;
}

/** Options of `scaleByRms(options)` and `rmsprop(lr, options)`. */
export interface ScaleByRmsOptions {
  /** Decay of the squared-gradient average (default 0.9). */
  decay?: number;
  /** Added inside the root (default 1e-8), or to the root with `epsInSqrt: false`. */
  eps?: number;
  /** The average's starting value (default 0). */
  initialScale?: number;
  /** `g / sqrt(nu + eps)` (default, optax) or, when false, PyTorch's `g / (sqrt(nu) + eps)`. */
  epsInSqrt?: boolean;
}

/**
 * RMSProp's direction: `nu = decay nu + (1-decay) g^2`, update `g / sqrt(nu + eps)` (optax's
 * scale_by_rms; `epsInSqrt: false` gives PyTorch's `g / (sqrt(nu) + eps)`).
 * ```ts
 * const opt = chain(scaleByRms({ decay: 0.9 }), scaleByLearningRate(1e-3));
 * ```
 */
export function scaleByRms(opts: ScaleByRmsOptions = {}): GradientTransformation<ScaleByRmsFamily> {
  checkOptions("scaleByRms", opts);
  const { decay = 0.9, eps = 1e-8, initialScale = 0, epsInSqrt = true } = opts;
  checkDecayRate("scaleByRms", "decay", decay);
  checkNonNegative("scaleByRms", "eps", eps);
  checkNonNegative("scaleByRms", "initialScale", initialScale);
  // one pass per leaf on WASM (core/native/adam.c)
  const math = (g: AnyTensor, nu: AnyTensor): [AnyTensor, AnyTensor] => {
    const v = movingAverage(nu, square(g), decay);
    return [epsInSqrt ? mul(g, rsqrt(add(v, eps))) : div(g, add(sqrt(v), eps)), v];
  };
  const attrs = { decay, eps, epsInSqrt };
  const step = fusedLeafStep({ name: "scaleByRms", kernel: "ShapeflowRmsUpdate", attrs, composite: ([g, nu]) => math(g, nu) }, 2);
  // and applied to the params in the same pass (updateAndApply)
  const applied = appliedLeafStep({
    name: "scaleByRms",
    kernel: "ShapeflowRmsApply",
    attrs,
    statistics: 1,
    step: (g, [nu]) => {
      const [update, v] = math(g, nu);
      return [update, [v]];
    },
  });
  const spec: LeafwiseSpec<"nu", false> = {
    initial: { nu: initialScale },
    counted: false,
    rule:
      () =>
      (g, { nu }) => {
        const [update, v] = step([g, nu]);
        return [update, { nu: v }];
      },
  };
  return withAppliedLeafRule(leafwiseTransformation("scaleByRms", spec), spec, (_, factor) => (g, { nu }, p, probe, decay) => {
    const [[v], q, pr] = applied(g, [nu], p, [], factor, probe, decay);
    return [q, { nu: v }, pr];
  });
}

/** The running sum of squared gradients. */
export interface ScaleByAdagradState<P> {
  /** The running sum of squared gradients (from `initialAccumulatorValue`), a tree like the params. */
  sumOfSquares: P;
}
/** The state family of `scaleByAdagrad`: `ScaleByAdagradState<P>` for params P. */
export interface ScaleByAdagradFamily extends StateFamily {
  /** The state type for params `this["params"]`. */
  readonly state: ScaleByAdagradState<this["params"]>;
}

/** Options of `scaleByAdagrad(options)` and `adagrad(lr, options)`. */
export interface ScaleByAdagradOptions {
  /** The accumulator's starting value (default 0.1). */
  initialAccumulatorValue?: number;
  /** Added inside the root (default 1e-7). */
  eps?: number;
}

/**
 * Adagrad's direction: `s = s + g^2`, update `g / sqrt(s + eps)` (0 where `s` is 0), as optax's
 * scale_by_rss. The accumulator starts at `initialAccumulatorValue` (default 0.1).
 * ```ts
 * const opt = chain(scaleByAdagrad(), scaleByLearningRate(0.1));
 * ```
 */
export function scaleByAdagrad(opts: ScaleByAdagradOptions = {}): GradientTransformation<ScaleByAdagradFamily> {
  checkOptions("scaleByAdagrad", opts);
  const { initialAccumulatorValue = 0.1, eps = 1e-7 } = opts;
  checkNonNegative("scaleByAdagrad", "initialAccumulatorValue", initialAccumulatorValue);
  checkNonNegative("scaleByAdagrad", "eps", eps);
  // one pass per leaf on WASM (core/native/adam.c)
  const math = (g: AnyTensor, sumOfSquares: AnyTensor): [AnyTensor, AnyTensor] => {
    const s = add(sumOfSquares, square(g));
    // NOTE: where(s > 0) guards the rsqrt of 0 when both eps and the accumulator are 0.
    const positive = greater(s, 0);
    return [mul(g, where(positive, rsqrt(add(where(positive, s, 1), eps)), 0)), s];
  };
  const step = fusedLeafStep(
    { name: "scaleByAdagrad", kernel: "ShapeflowAdagradUpdate", attrs: { eps }, composite: ([g, s]) => math(g, s) },
    2,
  );
  // and applied to the params in the same pass (updateAndApply)
  const applied = appliedLeafStep({
    name: "scaleByAdagrad",
    kernel: "ShapeflowAdagradApply",
    attrs: { eps },
    statistics: 1,
    step: (g, [sumOfSquares]) => {
      const [update, s] = math(g, sumOfSquares);
      return [update, [s]];
    },
  });
  const spec: LeafwiseSpec<"sumOfSquares", false> = {
    initial: { sumOfSquares: initialAccumulatorValue },
    counted: false,
    rule:
      () =>
      (g, { sumOfSquares }) => {
        const [update, s] = step([g, sumOfSquares]);
        return [update, { sumOfSquares: s }];
      },
  };
  return withAppliedLeafRule(
    leafwiseTransformation("scaleByAdagrad", spec),
    spec,
    (_, factor) =>
      (g, { sumOfSquares }, p, probe, decay) => {
        const [[s], q, pr] = applied(g, [sumOfSquares], p, [], factor, probe, decay);
        return [q, { sumOfSquares: s }, pr];
      },
  );
}

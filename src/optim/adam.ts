// Adam and Adamax moment estimates (Kingma & Ba 2015, Algorithm 1 and section 7.1).
import { abs, add, div, maximum, mul, pow, sqrt, square, sub, asTensor } from "../core/index.js";
import type { AnyTensor } from "../tensor/index.js";
import {
  appliedLeafStep,
  fusedLeafStep,
  leafwiseTransformation,
  scalableLeafwiseTransformation,
  withAppliedLeafRule,
  type LeafRule,
  type LeafwiseSpec,
} from "./leafwise.js";
import { movingAverage } from "./tree-math.js";
import { checkDecayRate, checkNonNegative, type Count, type GradientTransformation, type StateFamily, checkOptions } from "./transform.js";

/** Step count and the first and second moment estimates. */
export interface ScaleByAdamState<P> {
  /** Steps taken so far (read by the bias corrections). */
  count: Count;
  /** First moment: the running mean of the gradients, a tree like the params. */
  mu: P;
  /** Second moment: the running mean of the squared gradients, a tree like the params. */
  nu: P;
}
/** The state family of `scaleByAdam`: `ScaleByAdamState<P>` for params P. */
export interface ScaleByAdamFamily extends StateFamily {
  /** The state type for params `this["params"]`. */
  readonly state: ScaleByAdamState<this["params"]>;
}

/** Options of `adam(lr, options)` and `scaleByAdam(options)`: `adam(1e-3, { b2: 0.99 })`. */
export interface AdamOptions {
  /** Decay of the first moment (default 0.9). */
  b1?: number;
  /** Decay of the second moment (default 0.999). */
  b2?: number;
  /** Added to the root of the second moment (default 1e-8). */
  eps?: number;
  /** Added to the second moment inside the root (default 0). */
  epsRoot?: number;
}

/** b1, b2 and eps with their defaults (0.9, 0.999, 1e-8: the same for Adam and Adamax), checked. */
function momentOptions(op: string, opts: AdamOptions): Required<Omit<AdamOptions, "epsRoot">> {
  checkOptions(op, opts);
  const { b1 = 0.9, b2 = 0.999, eps = 1e-8 } = opts;
  checkDecayRate(op, "b1", b1);
  checkDecayRate(op, "b2", b2);
  checkNonNegative(op, "eps", eps);
  return { b1, b2, eps };
}

/** `1 - decay^count`: divide a moment by it to undo its bias towards 0 (`count` is 1 at the first step). */
function biasCorrection(decay: number, count: AnyTensor): AnyTensor {
  return sub(1, pow(asTensor(decay), count));
}

/**
 * One leaf's Adam step, `[g, mu, nu, c1, c2] -> [update, mu', nu']` with the bias corrections c1, c2 as
 * scalar tensors (shared by every leaf): `mu' = b1 mu + (1-b1) g`, `nu' = b2 nu + (1-b2) g^2`,
 * `update = (mu' / c1) / (sqrt(nu' / c2 + epsRoot) + eps)`; `scaled`, it takes a sixth input, a scalar
 * the update is multiplied by (the learning rate a chain folds in). A fused op: one pass of a native
 * kernel (core/native/adam.c) on WASM in place of eleven elementwise kernels; the composite everywhere
 * else and for every derivative.
 */
function adamLeafStep(b1: number, b2: number, eps: number, epsRoot: number, scaled: boolean): (inputs: AnyTensor[]) => AnyTensor[] {
  return fusedLeafStep(
    {
      name: scaled ? "scaleByAdam (scaled)" : "scaleByAdam",
      kernel: scaled ? "ShapeflowAdamScaledUpdate" : "ShapeflowAdamUpdate",
      attrs: { b1, b2, eps, epsRoot },
      composite: ([g, mu, nu, c1, c2, scale]) => {
        const [update, m, v] = adamMath(b1, b2, eps, epsRoot, g, mu, nu, c1, c2);
        return [scaled ? mul(update, scale) : update, m, v];
      },
    },
    3,
  );
}

/** Adam's step in core's ops: `[update, mu', nu']` (the fused steps' composites). */
function adamMath(b1: number, b2: number, eps: number, epsRoot: number, ...[g, mu, nu, c1, c2]: AnyTensor[]): AnyTensor[] {
  const m = movingAverage(mu, g, b1);
  const v = movingAverage(nu, square(g), b2);
  const vHat = div(v, c2);
  return [div(div(m, c1), add(sqrt(epsRoot === 0 ? vHat : add(vHat, epsRoot)), eps)), m, v];
}

/**
 * Adam's direction: `mu = b1 mu + (1-b1) g`, `nu = b2 nu + (1-b2) g^2`, then
 * `mû / (sqrt(nû + epsRoot) + eps)` with the bias corrections `mû = mu / (1 - b1^t)`, `nû = nu / (1 - b2^t)`.
 * ```ts
 * const opt = chain(scaleByAdam({ b1: 0.9, b2: 0.999 }), scaleByLearningRate(1e-3));
 * ```
 */
export function scaleByAdam(opts: AdamOptions = {}): GradientTransformation<ScaleByAdamFamily> {
  const { b1, b2, eps } = momentOptions("scaleByAdam", opts);
  const epsRoot = opts.epsRoot ?? 0;
  checkNonNegative("scaleByAdam", "epsRoot", epsRoot);
  const [plain, scaled] = [adamLeafStep(b1, b2, eps, epsRoot, false), adamLeafStep(b1, b2, eps, epsRoot, true)];
  const ruleWith = (count: AnyTensor, factor?: AnyTensor): LeafRule<"mu" | "nu"> => {
    const [c1, c2] = [biasCorrection(b1, count), biasCorrection(b2, count)];
    return (g, { mu, nu }) => {
      const [update, m, v] = factor === undefined ? plain([g, mu, nu, c1, c2]) : scaled([g, mu, nu, c1, c2, factor]);
      return [update, { mu: m, nu: v }];
    };
  };
  // in a chain, the learning-rate scaling that follows is folded into the same pass
  const spec: LeafwiseSpec<"mu" | "nu", true> = { initial: { mu: 0, nu: 0 }, counted: true, rule: (count) => ruleWith(count) };
  // and updateAndApply (applyGradients, a training step) adds the update to the params in it too
  const applied = appliedLeafStep({
    name: "scaleByAdam",
    kernel: "ShapeflowAdamApply",
    attrs: { b1, b2, eps, epsRoot },
    statistics: 2,
    step: (g, [mu, nu], [c1, c2]) => {
      const [update, m, v] = adamMath(b1, b2, eps, epsRoot, g, mu, nu, c1, c2);
      return [update, [m, v]];
    },
  });
  return withAppliedLeafRule(scalableLeafwiseTransformation("scaleByAdam", spec, ruleWith), spec, (count, factor) => {
    const [c1, c2] = [biasCorrection(b1, count), biasCorrection(b2, count)];
    return (g, { mu, nu }, p, probe, decay) => {
      const [[m, v], q, pr] = applied(g, [mu, nu], p, [c1, c2], factor, probe, decay);
      return [q, { mu: m, nu: v }, pr];
    };
  });
}

/** Step count, first moment and the exponentially weighted infinity norm. */
export interface ScaleByAdamaxState<P> {
  /** Steps taken so far (read by the bias correction of `mu`). */
  count: Count;
  /** First moment: the running mean of the gradients, a tree like the params. */
  mu: P;
  /** The exponentially weighted infinity norm: `max(b2 nu, |g|)`, a tree like the params. */
  nu: P;
}
/** The state family of `scaleByAdamax`: `ScaleByAdamaxState<P>` for params P. */
export interface ScaleByAdamaxFamily extends StateFamily {
  /** The state type for params `this["params"]`. */
  readonly state: ScaleByAdamaxState<this["params"]>;
}

/** Adamax's options: Adam's without `epsRoot` (its second statistic is a max, not a mean). */
export type AdamaxOptions = Omit<AdamOptions, "epsRoot">;

/**
 * Adamax's direction: `mu = b1 mu + (1-b1) g`, `nu = max(b2 nu, |g| + eps)`, update `mu / (1 - b1^t) / nu`
 * (optax's scale_by_adamax; eps sits inside the max so nu is never 0).
 * ```ts
 * const opt = chain(scaleByAdamax(), scaleByLearningRate(2e-3));
 * ```
 */
export function scaleByAdamax(opts: AdamaxOptions = {}): GradientTransformation<ScaleByAdamaxFamily> {
  const { b1, b2, eps } = momentOptions("scaleByAdamax", opts);
  // one pass per leaf on WASM (core/native/adam.c), like scaleByAdam's
  const math = (g: AnyTensor, mu: AnyTensor, nu: AnyTensor, c1: AnyTensor): [AnyTensor, AnyTensor, AnyTensor] => {
    const m = movingAverage(mu, g, b1);
    const u = maximum(add(abs(g), eps), mul(nu, b2));
    return [div(div(m, c1), u), m, u];
  };
  const step = fusedLeafStep(
    { name: "scaleByAdamax", kernel: "ShapeflowAdamaxUpdate", attrs: { b1, b2, eps }, composite: ([g, mu, nu, c1]) => math(g, mu, nu, c1) },
    3,
  );
  const applied = appliedLeafStep({
    name: "scaleByAdamax",
    kernel: "ShapeflowAdamaxApply",
    attrs: { b1, b2, eps },
    statistics: 2,
    step: (g, [mu, nu], [c1]) => {
      const [update, m, u] = math(g, mu, nu, c1);
      return [update, [m, u]];
    },
  });
  const spec: LeafwiseSpec<"mu" | "nu", true> = {
    initial: { mu: 0, nu: 0 },
    counted: true,
    rule: (count) => {
      const c1 = biasCorrection(b1, count);
      return (g, { mu, nu }) => {
        const [update, m, u] = step([g, mu, nu, c1]);
        return [update, { mu: m, nu: u }];
      };
    },
  };
  return withAppliedLeafRule(leafwiseTransformation("scaleByAdamax", spec), spec, (count, factor) => {
    const c1 = biasCorrection(b1, count);
    return (g, { mu, nu }, p, probe, decay) => {
      const [[m, u], q, pr] = applied(g, [mu, nu], p, [c1], factor, probe, decay);
      return [q, { mu: m, nu: u }, pr];
    };
  });
}

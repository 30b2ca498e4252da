// Adam and Adamax moment estimates (Kingma & Ba 2015, Algorithm 1 and section 7.1).
import type { AnyTensor } from "../tensor/index.js";
import { map2 } from "../tree/index.js";
import { abs, add, div, maximum, mul, sqrt, asTensor } from "../core/index.js";
import { biasCorrection, fullLikeTree, updateMoment } from "./tree-math.js";
import { checkTree, transformation, type Count, type GradientTransformation, type StateFamily } from "./transform.js";

/** Step count and the first and second moment estimates. */
export interface ScaleByAdamState<P> {
  count: Count;
  mu: P;
  nu: P;
}
export interface ScaleByAdamFamily extends StateFamily {
  readonly state: ScaleByAdamState<this["params"]>;
}

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

function checkDecay(op: string, name: string, v: number): void {
  if (!(Number.isFinite(v) && v >= 0 && v < 1)) throw new Error(`${op}: ${name} must be in [0, 1), got ${String(v)}`);
}
function checkEps(op: string, name: string, v: number): void {
  if (!(Number.isFinite(v) && v >= 0)) throw new Error(`${op}: ${name} must be a non-negative number, got ${String(v)}`);
}

/**
 * Adam's direction: `mu = b1 mu + (1-b1) g`, `nu = b2 nu + (1-b2) g^2`, then
 * `mû / (sqrt(nû + epsRoot) + eps)` with the bias corrections `mû = mu / (1 - b1^t)`, `nû = nu / (1 - b2^t)`.
 * ```ts
 * const opt = chain(scaleByAdam({ b1: 0.9, b2: 0.999 }), scaleByLearningRate(1e-3));
 * ```
 */
export function scaleByAdam(opts: AdamOptions = {}): GradientTransformation<ScaleByAdamFamily> {
  const { b1 = 0.9, b2 = 0.999, eps = 1e-8, epsRoot = 0 } = opts;
  checkDecay("scaleByAdam", "b1", b1);
  checkDecay("scaleByAdam", "b2", b2);
  checkEps("scaleByAdam", "eps", eps);
  checkEps("scaleByAdam", "epsRoot", epsRoot);
  return transformation(
    "scaleByAdam",
    (params) => ({ count: asTensor(0), mu: fullLikeTree(params, 0), nu: fullLikeTree(params, 0) }),
    (updates, state: ScaleByAdamState<unknown>) => {
      checkTree("scaleByAdam", "state.mu", updates, state?.mu);
      checkTree("scaleByAdam", "state.nu", updates, state.nu);
      const mu = updateMoment(updates, state.mu, b1, 1);
      const nu = updateMoment(updates, state.nu, b2, 2);
      const count = add(state.count, 1);
      const muHat = biasCorrection(mu, b1, count);
      const nuHat = biasCorrection(nu, b2, count);
      const out = map2(muHat, nuHat, (m, v) => div(m, add(sqrt(epsRoot === 0 ? v : add(v, epsRoot)), eps)));
      return [out, { count, mu, nu }];
    },
  );
}

/** Step count, first moment and the exponentially weighted infinity norm. */
export interface ScaleByAdamaxState<P> {
  count: Count;
  mu: P;
  nu: P;
}
export interface ScaleByAdamaxFamily extends StateFamily {
  readonly state: ScaleByAdamaxState<this["params"]>;
}

/**
 * Adamax's direction: `mu = b1 mu + (1-b1) g`, `nu = max(b2 nu, |g| + eps)`, update `mu / (1 - b1^t) / nu`
 * (optax's scale_by_adamax; eps sits inside the max so nu is never 0).
 * ```ts
 * const opt = chain(scaleByAdamax(), scaleByLearningRate(2e-3));
 * ```
 */
export function scaleByAdamax(opts: { b1?: number; b2?: number; eps?: number } = {}): GradientTransformation<ScaleByAdamaxFamily> {
  const { b1 = 0.9, b2 = 0.999, eps = 1e-8 } = opts;
  checkDecay("scaleByAdamax", "b1", b1);
  checkDecay("scaleByAdamax", "b2", b2);
  checkEps("scaleByAdamax", "eps", eps);
  return transformation(
    "scaleByAdamax",
    (params) => ({ count: asTensor(0), mu: fullLikeTree(params, 0), nu: fullLikeTree(params, 0) }),
    (updates, state: ScaleByAdamaxState<unknown>) => {
      checkTree("scaleByAdamax", "state.mu", updates, state?.mu);
      checkTree("scaleByAdamax", "state.nu", updates, state.nu);
      const count = add(state.count, 1);
      const mu = updateMoment(updates, state.mu, b1, 1);
      const nu = map2(updates, state.nu, (g, v) => maximum(add(abs(g), eps), mul(v, b2)));
      const out = map2(biasCorrection(mu, b1, count), nu, (m, v) => div(m, v));
      return [out, { count, mu, nu }];
    },
  );
}

// Per-coordinate scaling by accumulated squared gradients: RMSProp and Adagrad.
import { map2 } from "../tree/index.js";
import { add, greater, mul, rsqrt, sqrt, div, square, where } from "../core/index.js";
import { fullLikeTree, updateMoment } from "./tree-math.js";
import { checkTree, transformation, type GradientTransformation, type StateFamily } from "./transform.js";

/** The running mean of squared gradients. */
export interface ScaleByRmsState<P> {
  nu: P;
}
export interface ScaleByRmsFamily extends StateFamily {
  readonly state: ScaleByRmsState<this["params"]>;
}

/**
 * RMSProp's direction: `nu = decay nu + (1-decay) g^2`, update `g / sqrt(nu + eps)` (optax's
 * scale_by_rms; `epsInSqrt: false` gives PyTorch's `g / (sqrt(nu) + eps)`).
 * ```ts
 * const opt = chain(scaleByRms({ decay: 0.9 }), scaleByLearningRate(1e-3));
 * ```
 */
export function scaleByRms(
  opts: { decay?: number; eps?: number; initialScale?: number; epsInSqrt?: boolean } = {},
): GradientTransformation<ScaleByRmsFamily> {
  const { decay = 0.9, eps = 1e-8, initialScale = 0, epsInSqrt = true } = opts;
  if (!(Number.isFinite(decay) && decay >= 0 && decay < 1)) throw new Error(`scaleByRms: decay must be in [0, 1), got ${String(decay)}`);
  if (!(Number.isFinite(eps) && eps >= 0)) throw new Error(`scaleByRms: eps must be a non-negative number, got ${String(eps)}`);
  if (!(Number.isFinite(initialScale) && initialScale >= 0))
    throw new Error(`scaleByRms: initialScale must be a non-negative number, got ${String(initialScale)}`);
  return transformation(
    "scaleByRms",
    (params) => ({ nu: fullLikeTree(params, initialScale) }),
    (updates, state: ScaleByRmsState<unknown>) => {
      checkTree("scaleByRms", "state.nu", updates, state?.nu);
      const nu = updateMoment(updates, state.nu, decay, 2);
      const out = map2(updates, nu, (g, v) => (epsInSqrt ? mul(g, rsqrt(add(v, eps))) : div(g, add(sqrt(v), eps))));
      return [out, { nu }];
    },
  );
}

/** The running sum of squared gradients. */
export interface ScaleByAdagradState<P> {
  sumOfSquares: P;
}
export interface ScaleByAdagradFamily extends StateFamily {
  readonly state: ScaleByAdagradState<this["params"]>;
}

/**
 * Adagrad's direction: `s = s + g^2`, update `g / sqrt(s + eps)` (0 where `s` is 0), as optax's
 * scale_by_rss. The accumulator starts at `initialAccumulatorValue` (default 0.1).
 * ```ts
 * const opt = chain(scaleByAdagrad(), scaleByLearningRate(0.1));
 * ```
 */
export function scaleByAdagrad(
  opts: { initialAccumulatorValue?: number; eps?: number } = {},
): GradientTransformation<ScaleByAdagradFamily> {
  const { initialAccumulatorValue = 0.1, eps = 1e-7 } = opts;
  if (!(Number.isFinite(initialAccumulatorValue) && initialAccumulatorValue >= 0)) {
    throw new Error(`scaleByAdagrad: initialAccumulatorValue must be a non-negative number, got ${String(initialAccumulatorValue)}`);
  }
  if (!(Number.isFinite(eps) && eps >= 0)) throw new Error(`scaleByAdagrad: eps must be a non-negative number, got ${String(eps)}`);
  return transformation(
    "scaleByAdagrad",
    (params) => ({ sumOfSquares: fullLikeTree(params, initialAccumulatorValue) }),
    (updates, state: ScaleByAdagradState<unknown>) => {
      checkTree("scaleByAdagrad", "state.sumOfSquares", updates, state?.sumOfSquares);
      const sumOfSquares = map2(updates, state.sumOfSquares, (g, s) => add(s, square(g)));
      const out = map2(updates, sumOfSquares, (g, s) => {
        // NOTE: where(s > 0) guards the rsqrt of 0 when both eps and the accumulator are 0.
        const positive = greater(s, 0);
        return mul(g, where(positive, rsqrt(add(where(positive, s, 1), eps)), 0));
      });
      return [out, { sumOfSquares }];
    },
  );
}

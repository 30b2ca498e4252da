// Named optimizers: each a one-line chain of transforms, as in optax.
import type { Schedule } from "./schedules.js";
import { chain } from "./chain.js";
import { scaleByAdam, scaleByAdamax, type AdamOptions, type ScaleByAdamState, type ScaleByAdamaxState } from "./adam.js";
import { scaleByAdagrad, scaleByRms, type ScaleByAdagradState, type ScaleByRmsState } from "./rms.js";
import { scaleByMomentum, type ScaleByMomentumState } from "./momentum.js";
import { scaleByLearningRate, type ScaleByScheduleState } from "./scale.js";
import { addDecayedWeights } from "./weight-decay.js";
import type { PathFilter } from "../tree/index.js";
import type { EmptyState, GradientTransformation, StateFamily } from "./transform.js";

/** A learning rate: a number, or a schedule of the step count. */
export type LearningRate = number | Schedule;

/** An optimizer whose state for params P is `S<P>`: a transformation with a named state. */
type Named<F extends StateFamily> = GradientTransformation<F>;
const named = <F extends StateFamily>(t: GradientTransformation<any>): Named<F> => t as Named<F>;

export type SgdState = [ScaleByScheduleState];
export interface SgdFamily extends StateFamily {
  readonly state: SgdState;
}
/**
 * Plain gradient descent: `p -= lr * g`.
 * ```ts
 * const opt = sgd(0.1);
 * ```
 */
export function sgd(learningRate: LearningRate): Named<SgdFamily> {
  return named(chain(scaleByLearningRate(learningRate)));
}

export type MomentumState<P> = [ScaleByMomentumState<P>, ScaleByScheduleState];
export interface MomentumFamily extends StateFamily {
  readonly state: MomentumState<this["params"]>;
}
/**
 * Heavy-ball momentum: `v = g + beta v; p -= lr * v`.
 * ```ts
 * const opt = momentum(0.01, 0.9);
 * ```
 */
export function momentum(learningRate: LearningRate, beta = 0.9): Named<MomentumFamily> {
  return named(chain(scaleByMomentum({ decay: beta }), scaleByLearningRate(learningRate)));
}

/**
 * Nesterov momentum: `v = g + beta v; p -= lr * (g + beta v)`. Same state as `momentum`.
 * ```ts
 * const opt = nesterov(0.01, 0.9);
 * ```
 */
export function nesterov(learningRate: LearningRate, beta = 0.9): Named<MomentumFamily> {
  return named(chain(scaleByMomentum({ decay: beta, nesterov: true }), scaleByLearningRate(learningRate)));
}

export type AdamState<P> = [ScaleByAdamState<P>, ScaleByScheduleState];
export interface AdamFamily extends StateFamily {
  readonly state: AdamState<this["params"]>;
}
/**
 * Adam (Kingma & Ba 2015) with defaults b1 0.9, b2 0.999, eps 1e-8.
 * ```ts
 * const opt = adam(1e-3);
 * let state = opt.init(params);
 * ```
 */
export function adam(learningRate: LearningRate, opts: AdamOptions = {}): Named<AdamFamily> {
  return named(chain(scaleByAdam(opts), scaleByLearningRate(learningRate)));
}

export type AdamWState<P> = [ScaleByAdamState<P>, EmptyState, ScaleByScheduleState];
export interface AdamWFamily extends StateFamily {
  readonly state: AdamWState<this["params"]>;
}
/**
 * AdamW: Adam with decoupled weight decay, `p -= lr * (adam direction + weightDecay * p)` (default
 * weightDecay 1e-4, as optax; `mask` limits decay to some leaves, e.g. `/kernel$/`).
 * ```ts
 * const opt = adamw(1e-3, { weightDecay: 1e-2, mask: /kernel$/ });
 * ```
 */
export function adamw(
  learningRate: LearningRate,
  opts: AdamOptions & { weightDecay?: number; mask?: PathFilter } = {},
): Named<AdamWFamily> {
  const { weightDecay = 1e-4, mask, ...adamOpts } = opts;
  return named(chain(scaleByAdam(adamOpts), addDecayedWeights(weightDecay, { mask }), scaleByLearningRate(learningRate)));
}

export type AdagradState<P> = [ScaleByAdagradState<P>, ScaleByScheduleState];
export interface AdagradFamily extends StateFamily {
  readonly state: AdagradState<this["params"]>;
}
/**
 * Adagrad (Duchi et al. 2011): `s += g^2; p -= lr * g / sqrt(s + eps)`, s starting at 0.1.
 * ```ts
 * const opt = adagrad(0.1);
 * ```
 */
export function adagrad(learningRate: LearningRate, opts: { initialAccumulatorValue?: number; eps?: number } = {}): Named<AdagradFamily> {
  return named(chain(scaleByAdagrad(opts), scaleByLearningRate(learningRate)));
}

export type AdamaxState<P> = [ScaleByAdamaxState<P>, ScaleByScheduleState];
export interface AdamaxFamily extends StateFamily {
  readonly state: AdamaxState<this["params"]>;
}
/**
 * Adamax, Adam's infinity-norm variant (Kingma & Ba 2015, section 7.1).
 * ```ts
 * const opt = adamax(2e-3);
 * ```
 */
export function adamax(learningRate: LearningRate, opts: { b1?: number; b2?: number; eps?: number } = {}): Named<AdamaxFamily> {
  return named(chain(scaleByAdamax(opts), scaleByLearningRate(learningRate)));
}

export interface RmspropOptions {
  /** Decay of the squared-gradient average (default 0.9). */
  decay?: number;
  /** Added inside the root (default 1e-8). */
  eps?: number;
  /** The average's starting value (default 0). */
  initialScale?: number;
}
export type RmspropState<P> = [ScaleByRmsState<P>, ScaleByScheduleState];
export interface RmspropFamily extends StateFamily {
  readonly state: RmspropState<this["params"]>;
}
export type RmspropMomentumState<P> = [ScaleByRmsState<P>, ScaleByScheduleState, ScaleByMomentumState<P>];
export interface RmspropMomentumFamily extends StateFamily {
  readonly state: RmspropMomentumState<this["params"]>;
}
/**
 * RMSProp (Tieleman & Hinton 2012) as optax: `nu = decay nu + (1-decay) g^2; u = -lr g / sqrt(nu + eps)`,
 * followed by momentum on the scaled step when `momentum` is given.
 * ```ts
 * const opt = rmsprop(1e-3, { decay: 0.9, momentum: 0.9 });
 * ```
 */
export function rmsprop(
  learningRate: LearningRate,
  opts?: RmspropOptions & { momentum?: undefined; nesterov?: undefined },
): Named<RmspropFamily>;
export function rmsprop(
  learningRate: LearningRate,
  opts: RmspropOptions & { momentum: number; nesterov?: boolean },
): Named<RmspropMomentumFamily>;
export function rmsprop(
  learningRate: LearningRate,
  opts: RmspropOptions & { momentum?: number; nesterov?: boolean } = {},
): Named<StateFamily> {
  const { momentum: beta, nesterov: useNesterov = false, ...rms } = opts;
  const head = [scaleByRms(rms), scaleByLearningRate(learningRate)] as const;
  return beta === undefined ? named(chain(...head)) : named(chain(...head, scaleByMomentum({ decay: beta, nesterov: useNesterov })));
}

// Named optimizers: each a one-line chain of transforms, as in optax. Their state types are not
// declared but read off the chain each one returns (`OptimizerStateOf`), so they cannot drift from it.
import type { Schedule } from "./schedules.js";
import { chain } from "./chain.js";
import { scaleByAdam, scaleByAdamax, type AdamOptions, type AdamaxOptions } from "./adam.js";
import { scaleByAdagrad, scaleByRms, type ScaleByAdagradOptions, type ScaleByRmsOptions } from "./rms.js";
import { scaleByMomentum } from "./momentum.js";
import { scaleByLearningRate } from "./scale.js";
import { addDecayedWeights } from "./weight-decay.js";
import type { PathFilter } from "../tree/index.js";
import type { FamilyOf, OptimizerStateOf } from "./transform.js";
import { checkOptions, named } from "./transform.js";

/** A learning rate: a number, or a schedule of the step count. */
export type LearningRate = number | Schedule;

/**
 * Plain gradient descent: `p -= lr * g`.
 * ```ts
 * const opt = sgd(0.1);
 * ```
 */
export function sgd(learningRate: LearningRate) {
  return named("sgd", chain(scaleByLearningRate(learningRate)));
}
/** sgd's state, `[ScaleByScheduleState]` (the same for any params). */
export type SgdState = OptimizerStateOf<ReturnType<typeof sgd>, unknown>;
/** sgd's state family (`SgdState` for any params), for code generic over optimizers. */
export type SgdFamily = FamilyOf<ReturnType<typeof sgd>>;

/** Options of `momentum(lr, { beta, nesterov })`. */
export interface MomentumOptions {
  /** How much of the previous velocity each step keeps (default 0.9). */
  beta?: number;
  /** Nesterov's look-ahead step `g + beta v` instead of `v` (default false; `nesterov(lr)` sets it). */
  nesterov?: boolean;
}
/**
 * Heavy-ball momentum: `v = g + beta v; p -= lr * v` (default beta 0.9); with `nesterov: true`,
 * `p -= lr * (g + beta v)`.
 * ```ts
 * const opt = momentum(0.01, { beta: 0.9 });
 * ```
 */
export function momentum(learningRate: LearningRate, opts: MomentumOptions = {}) {
  checkOptions("momentum", opts);
  const { beta = 0.9, nesterov = false } = opts;
  return named("momentum", chain(scaleByMomentum({ decay: beta, nesterov }), scaleByLearningRate(learningRate)));
}
/** momentum's (and nesterov's) state: `[ScaleByMomentumState<P>, ScaleByScheduleState]`. */
export type MomentumState<P> = OptimizerStateOf<ReturnType<typeof momentum>, P>;
/** momentum's (and nesterov's) state family: `MomentumState<P>` for params P. */
export type MomentumFamily = FamilyOf<ReturnType<typeof momentum>>;

/**
 * Nesterov momentum: `v = g + beta v; p -= lr * (g + beta v)` (default beta 0.9). Same state as `momentum`.
 * ```ts
 * const opt = nesterov(0.01, { beta: 0.9 });
 * ```
 */
export function nesterov(learningRate: LearningRate, opts: Omit<MomentumOptions, "nesterov"> = {}) {
  return momentum(learningRate, { ...opts, nesterov: true });
}

/**
 * Adam (Kingma & Ba 2015) with defaults b1 0.9, b2 0.999, eps 1e-8.
 * ```ts
 * const opt = adam(1e-3);
 * let state = opt.init(params);   // AdamState<typeof params>
 * ```
 */
export function adam(learningRate: LearningRate, opts: AdamOptions = {}) {
  return named("adam", chain(scaleByAdam(opts), scaleByLearningRate(learningRate)));
}
/** adam's state: `[ScaleByAdamState<P>, ScaleByScheduleState]`. */
export type AdamState<P> = OptimizerStateOf<ReturnType<typeof adam>, P>;
/** adam's state family: `AdamState<P>` for params P. */
export type AdamFamily = FamilyOf<ReturnType<typeof adam>>;

/** Options of `adamw(lr, options)`: Adam's and the weight decay's. */
export interface AdamWOptions extends AdamOptions {
  /** The decay rate (default 1e-4, as optax). */
  weightDecay?: number;
  /** The leaves to decay (default all), e.g. `/kernel$/` to skip biases. */
  mask?: PathFilter;
}
/**
 * AdamW: Adam with decoupled weight decay, `p -= lr * (adam direction + weightDecay * p)` (default
 * weightDecay 1e-4, as optax; `mask` limits decay to some leaves, e.g. `/kernel$/`).
 * ```ts
 * const opt = adamw(1e-3, { weightDecay: 1e-2, mask: /kernel$/ });
 * ```
 */
export function adamw(learningRate: LearningRate, opts: AdamWOptions = {}) {
  checkOptions("adamw", opts);
  const { weightDecay = 1e-4, mask, ...adamOpts } = opts;
  return named("adamw", chain(scaleByAdam(adamOpts), addDecayedWeights(weightDecay, { mask }), scaleByLearningRate(learningRate)));
}
/** adamw's state: `[ScaleByAdamState<P>, EmptyState, ScaleByScheduleState]`. */
export type AdamWState<P> = OptimizerStateOf<ReturnType<typeof adamw>, P>;
/** adamw's state family: `AdamWState<P>` for params P. */
export type AdamWFamily = FamilyOf<ReturnType<typeof adamw>>;

/**
 * Adagrad (Duchi et al. 2011): `s += g^2; p -= lr * g / sqrt(s + eps)`, s starting at 0.1.
 * ```ts
 * const opt = adagrad(0.1);
 * ```
 */
export function adagrad(learningRate: LearningRate, opts: ScaleByAdagradOptions = {}) {
  return named("adagrad", chain(scaleByAdagrad(opts), scaleByLearningRate(learningRate)));
}
/** adagrad's state: `[ScaleByAdagradState<P>, ScaleByScheduleState]`. */
export type AdagradState<P> = OptimizerStateOf<ReturnType<typeof adagrad>, P>;
/** adagrad's state family: `AdagradState<P>` for params P. */
export type AdagradFamily = FamilyOf<ReturnType<typeof adagrad>>;

/**
 * Adamax, Adam's infinity-norm variant (Kingma & Ba 2015, section 7.1).
 * ```ts
 * const opt = adamax(2e-3);
 * ```
 */
export function adamax(learningRate: LearningRate, opts: AdamaxOptions = {}) {
  return named("adamax", chain(scaleByAdamax(opts), scaleByLearningRate(learningRate)));
}
/** adamax's state: `[ScaleByAdamaxState<P>, ScaleByScheduleState]`. */
export type AdamaxState<P> = OptimizerStateOf<ReturnType<typeof adamax>, P>;
/** adamax's state family: `AdamaxState<P>` for params P. */
export type AdamaxFamily = FamilyOf<ReturnType<typeof adamax>>;

/** RMSProp's scaling options (see `scaleByRms`). */
export type RmspropOptions = ScaleByRmsOptions;

// The two chains rmsprop returns; its overloads and state types are read off them.
const rmspropChain = (learningRate: LearningRate, rms: RmspropOptions) =>
  named("rmsprop", chain(scaleByRms(rms), scaleByLearningRate(learningRate)));
const rmspropMomentumChain = (learningRate: LearningRate, rms: RmspropOptions, decay: number, nesterov: boolean) =>
  named("rmsprop", chain(scaleByRms(rms), scaleByLearningRate(learningRate), scaleByMomentum({ decay, nesterov })));

/** rmsprop's state without momentum: `[ScaleByRmsState<P>, ScaleByScheduleState]`. */
export type RmspropState<P> = OptimizerStateOf<ReturnType<typeof rmspropChain>, P>;
/** rmsprop's state family without momentum: `RmspropState<P>` for params P. */
export type RmspropFamily = FamilyOf<ReturnType<typeof rmspropChain>>;
/** rmsprop's state with momentum: `[ScaleByRmsState<P>, ScaleByScheduleState, ScaleByMomentumState<P>]`. */
export type RmspropMomentumState<P> = OptimizerStateOf<ReturnType<typeof rmspropMomentumChain>, P>;
/** rmsprop's state family with momentum: `RmspropMomentumState<P>` for params P. */
export type RmspropMomentumFamily = FamilyOf<ReturnType<typeof rmspropMomentumChain>>;

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
): ReturnType<typeof rmspropChain>;
export function rmsprop(
  learningRate: LearningRate,
  opts: RmspropOptions & { momentum: number; nesterov?: boolean },
): ReturnType<typeof rmspropMomentumChain>;
export function rmsprop(
  learningRate: LearningRate,
  opts: RmspropOptions & { momentum?: number; nesterov?: boolean } = {},
): ReturnType<typeof rmspropChain> | ReturnType<typeof rmspropMomentumChain> {
  checkOptions("rmsprop", opts);
  const { momentum: beta, nesterov: useNesterov = false, ...rms } = opts;
  return beta === undefined ? rmspropChain(learningRate, rms) : rmspropMomentumChain(learningRate, rms, beta, useNesterov);
}

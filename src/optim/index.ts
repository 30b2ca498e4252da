// Public surface of optim: optax-style gradient transformations, named optimizers and schedules.
export {
  applyUpdates,
  applyGradients,
  transformation,
  type GradientTransformation,
  type StateFamily,
  type StateFromFamily,
  type OptimizerStateOf,
  type CheckedState,
  type FamilyOf,
  type Count,
  type EmptyState,
  type EmptyFamily,
} from "./transform.js";
export { chain, type ChainFamily } from "./chain.js";
export { scale, scaleBySchedule, scaleByLearningRate, type ScaleByScheduleState, type ScaleByScheduleFamily } from "./scale.js";
export {
  scaleByAdam,
  scaleByAdamax,
  type AdamOptions,
  type ScaleByAdamState,
  type ScaleByAdamFamily,
  type ScaleByAdamaxState,
  type ScaleByAdamaxFamily,
  type AdamaxOptions,
} from "./adam.js";
export {
  scaleByRms,
  scaleByAdagrad,
  type ScaleByRmsState,
  type ScaleByRmsFamily,
  type ScaleByAdagradState,
  type ScaleByAdagradFamily,
  type ScaleByRmsOptions,
  type ScaleByAdagradOptions,
} from "./rms.js";
export { scaleByMomentum, trace, type ScaleByMomentumState, type ScaleByMomentumFamily, type ScaleByMomentumOptions } from "./momentum.js";
export {
  leafwiseTransformation,
  type LeafwiseSpec,
  type LeafRule,
  type LeafStatistics,
  type LeafwiseState,
  type LeafwiseFamily,
} from "./leafwise.js";
export { addDecayedWeights } from "./weight-decay.js";
export type { PathFilter } from "../tree/index.js";
export { clip, clipByGlobalNorm, globalNorm } from "./clip.js";
export {
  sgd,
  momentum,
  nesterov,
  adam,
  adamw,
  adagrad,
  adamax,
  rmsprop,
  type LearningRate,
  type MomentumOptions,
  type AdamWOptions,
  type RmspropOptions,
  type SgdState,
  type MomentumState,
  type AdamState,
  type AdamWState,
  type AdagradState,
  type AdamaxState,
  type RmspropState,
  type RmspropMomentumState,
  type SgdFamily,
  type MomentumFamily,
  type AdamFamily,
  type AdamWFamily,
  type AdagradFamily,
  type AdamaxFamily,
  type RmspropFamily,
  type RmspropMomentumFamily,
} from "./optimizers.js";
export {
  constant,
  linear,
  piecewiseConstant,
  stepDecay,
  exponentialDecay,
  cosineDecay,
  joinSchedules,
  warmup,
  warmupCosineDecay,
  asSchedule,
  scheduleValues,
  type Schedule,
} from "./schedules.js";

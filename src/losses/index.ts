// Public surface of losses: losses (differentiable, Tensor<[]> out), penalties, and host-side metrics.
export { mse, mae, huber, type HuberOptions } from "./regression.js";
export type { PairLoss } from "./reduction.js";
export {
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  categoricalCrossEntropy,
  sparseCategoricalCrossEntropy,
  type BinaryCrossEntropyOptions,
  type CategoricalCrossEntropyOptions,
  type SparseCategoricalCrossEntropy,
} from "./classification.js";
export { l1Penalty, l2Penalty, type PenaltyOptions } from "./penalties.js";
export type { PathFilter } from "../tree/index.js";
export {
  accuracy,
  topKAccuracy,
  confusionMatrix,
  precision,
  recall,
  f1Score,
  type MetricOptions,
  type ConfusionOptions,
  type AveragedOptions,
} from "./metrics.js";
export type { Reduction, LossOptions, LossOut, BatchDim, SameShape, SparseLabels, LossRule } from "./types.js";

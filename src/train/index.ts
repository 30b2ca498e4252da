// shapeflow/train: the training loop (fit), evaluation and prediction, callbacks, progress.
export { fit, type FitOptions, type FitResult } from "./fit.js";
export type {
  AnyTrainable,
  ModelTypesOf,
  ModelParams,
  ModelState,
  CheckedParams,
  CheckedData,
  CheckedInput,
  CheckedLoss,
  CheckedValidation,
  LossFor,
  PredictShape,
  RecordInputMismatch,
} from "./fit-types.js";
export {
  evaluate,
  predict,
  type EvaluateOptions,
  type ModelLossOptions,
  type PredictOptions,
  type PredictInput,
  type PredictResult,
} from "./evaluate.js";
export { earlyStopping, type Callback, type EpochContext, type EarlyStoppingOptions } from "./callbacks.js";
// checkpoint files (the checkpoint callback, saveCheckpoint, loadCheckpoint, ...) are Node's: node.ts
export { CHECKPOINT_FORMAT, type Checkpoint, type CheckpointInfo, type CheckpointLike } from "./resume.js";
export type { History, HistoryLike, EpochLogs } from "./history.js";
export type { Metric, MetricsSpec, Scores } from "./metrics.js";
export { toTensor, type Trainable, type StepModel, type LossFn } from "./model.js";
export { combinedLoss, type RecordDataset, type HostTree, type TensorTree, type TreeLossFn, type LossSpec } from "./records.js";
export { makeProgress, type ProgressMode, type ProgressOptions, type Progress } from "./progress.js";
export { makeTrainStep, DIVERGENCE, type TrainStep, type StepResult } from "./step.js";

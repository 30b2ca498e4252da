export {
  fit,
  evaluate,
  predict,
  earlyStopping,
  checkpoint,
  toTensor,
  type FitOptions,
  type FitResult,
  type History,
  type EpochLogs,
  type Callback,
  type Trainable,
  type LossFn,
  type Metric,
} from "./fit.js";
export { makeProgress, isInteractive, type ProgressMode, type Progress } from "./progress.js";
export { makeTrainStep, type TrainStep, type StepResult, type StepModel } from "./step.js";

// shapeflow/data: data sets as host arrays with runtime checks. No tfjs here (see README).
// Browser-safe: the loaders that read packages from disk (MNIST, Iris) are in node.ts.
export {
  hostArray,
  sampleCount,
  sampleSize,
  takeSamples,
  sliceSamples,
  type HostArray,
  type HostArrayOptions,
  type HostDType,
  type HostShape,
  type DataFor,
  type NestedNumbers,
  type WithSampleCount,
} from "./hostArray.js";
export { dataset, checkDataset, type Dataset, type ResizedDataset } from "./dataset.js";
export { asDataset, asHostArray, type DatasetSpec, type SpecDim, type SpecShape } from "./narrow.js";
export { hostRng, type HostRng } from "./rng.js";
export {
  xor,
  twoSpirals,
  regressionLine,
  sineWaves,
  type XorOptions,
  type TwoSpiralsOptions,
  type RegressionLineOptions,
  type SineWavesOptions,
  type SineWavesNext,
  type SineWavesFrequency,
} from "./synthetic.js";
export { circles, gaussians, type CirclesOptions, type GaussiansOptions } from "./planar.js";
export { sirEpidemic, SIR_COLUMNS, type SirOptions } from "./sir.js";
export { shuffle, takeDataset, trainTestSplit, validationSplit, type TrainTestSplitOptions, type ValidationSplitOptions } from "./split.js";
export { batches, batchCount, type BatchesOptions } from "./batches.js";
export { fitStandardize, standardize, standardizeSplits, normalizeL2, oneHot, labelCounts, type StandardizeStats } from "./transforms.js";
export { augment, type AugmentOptions } from "./augment.js";

// Public surface of nn: layers as typed pure functions, composition, activations, initializers.
export {
  sequential,
  append,
  Model,
  type Accept,
  type ModelParamsArg,
  type ParamsOf,
  type ModelStateOf,
  type OutputOf,
  type InputOf,
} from "./model.js";
export type { InputDim } from "./probe.js";
export {
  input,
  model,
  add,
  concat,
  Node,
  FunctionalModel,
  asLayer,
  type ModelLayerConfig,
  type AnyNode,
  type AddShape,
  type ConcatShape,
  type InputTensors,
  type OutputTensors,
  type GraphParams,
  type GraphState,
} from "./functional.js";
export type {
  Layer,
  LayerTypes,
  LayerEntry,
  LayerOut,
  LayerParams,
  LayerState,
  Chain,
  ApplyContext,
  Key,
  LayerError,
  PositiveInt,
} from "./layer.js";
export { defineLayer, type LayerDef, type TensorRecord } from "./layers/define.js";
export { dense, type DenseOptions } from "./layers/dense.js";
export { maxout } from "./layers/maxout.js";
export { conv1d, conv2d, conv2dTranspose, type Conv1dOptions, type Conv2dOptions, type Conv2dTransposeOptions } from "./layers/conv.js";
export {
  maxPool1d,
  maxPool2d,
  avgPool1d,
  avgPool2d,
  globalAvgPool1d,
  globalAvgPool2d,
  globalMaxPool1d,
  globalMaxPool2d,
  type Pool1dOptions,
  type Pool2dOptions,
  type AvgPool1dOptions,
  type AvgPool2dOptions,
} from "./layers/pool.js";
export { upsampling2d } from "./layers/upsampling.js";
export { chain, residual, concatBranches } from "./layers/combinators.js";
export { flatten, reshape } from "./layers/reshape.js";
export { dropout } from "./layers/dropout.js";
export { batchNorm, layerNorm, type BatchNormOptions, type LayerNormOptions, type AffineParams } from "./layers/norm.js";
export { embedding } from "./layers/embedding.js";
export {
  simpleRnn,
  lstm,
  gru,
  type RecurrentOptions,
  type GruOptions,
  type RecurrentContext,
  type RecurrentLayer,
  type RecurrentConfig,
  type GruConfig,
  type RecurrentParams,
  type BidirectionalParams,
} from "./layers/recurrent.js";
export {
  multiHeadAttention,
  attention,
  type AttentionParams,
  type AttentionOptions,
  type MultiHeadAttentionOptions,
  type MultiHeadAttentionConfig,
} from "./layers/attention.js";
export {
  positionalEmbedding,
  transformerEncoder,
  type PositionEncoding,
  type PositionalEmbeddingOptions,
  type PositionalEmbeddingConfig,
  type TransformerEncoderOptions,
  type TransformerEncoderConfig,
  type TransformerEncoderParams,
} from "./layers/transformer.js";
export {
  step,
  sigmoid,
  tanh,
  relu,
  softplus,
  selu,
  swish,
  silu,
  gelu,
  softmax,
  logSoftmax,
  leakyRelu,
  elu,
  smelu,
} from "./layers/activation.js";
export * as activations from "./activations.js";
export * as initializers from "./init.js";

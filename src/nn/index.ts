// Public surface of nn: layers as typed pure functions, composition, activations, initializers.
export { input, sequential, Model, type ParamsOf, type StateOf, type OutputOf, type Thread, type ValidateLayers, type ModelContext } from "./model.js";
export type { Layer, LayerTypes, LayerOut, LayerParams, LayerState, ApplyContext, Key, LayerError } from "./layer.js";
export { defineLayer, type LayerDef } from "./layers/define.js";
export { dense, type DenseOptions } from "./layers/dense.js";
export { flatten, reshape } from "./layers/reshape.js";
export { dropout } from "./layers/dropout.js";
export { batchNorm, layerNorm, type BatchNormOptions } from "./layers/norm.js";
export { embedding } from "./layers/embedding.js";
export { simpleRnn, lstm, gru, type RecurrentOptions } from "./layers/recurrent.js";
export { step, sigmoid, tanh, relu, softplus, selu, swish, silu, gelu, softmax, logSoftmax, leakyRelu, elu, smelu } from "./layers/activation.js";
export * as activations from "./activations.js";
export * as initializers from "./init.js";

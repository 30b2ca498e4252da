// lax: the one internal, untyped op surface. Everything above core (ops, nn, losses, optim,
// train, random, testing) builds on these functions and never on core's file layout.
// Each function binds a primitive, so it works eagerly and under every transform.
// `ops/` is the typed layer over exactly this set.

// ---------------------------------------------------------------- elementwise
export {
  neg,
  exp,
  expm1,
  log,
  log1p,
  sqrt,
  rsqrt,
  square,
  abs,
  sign,
  floor,
  ceil,
  round,
  sin,
  cos,
  tanh,
  sigmoid,
  relu,
  softplus,
  erf,
  step,
  reciprocal,
  add,
  sub,
  mul,
  div,
  pow,
  maximum,
  minimum,
  greater,
  greaterEqual,
  less,
  lessEqual,
  equal,
  notEqual,
  where,
  cast,
} from "./primitives/elementwise.js";

// ---------------------------------------------------------------- shape
export { broadcastTo, unbroadcast, zerosLike, onesLike } from "./primitives/broadcast.js";
export { reshape, transpose, swapLast, moveAxis } from "./primitives/shape.js";
export { expandDims, squeeze } from "./primitives/squeeze.js";
export { concat, stack } from "./primitives/concat.js";
export { slice, stridedSlice } from "./primitives/slice.js";
export { pad, type Paddings } from "./primitives/pad.js";
export { reverse } from "./primitives/reverse.js";
export { gather, scatterAdd, oneHot } from "./primitives/gather.js";

// ---------------------------------------------------------------- reductions and products
export { sum, max, min, argmax, argmin, normAxes } from "./primitives/reduce.js";
export { matmul } from "./primitives/matmul.js";
export { cumsum } from "./primitives/cumulative.js";
export { argTopK } from "./primitives/sort.js";

// ---------------------------------------------------------------- convolution and pooling
export {
  conv2d,
  conv1d,
  conv2dInputGrad,
  conv2dFilterGrad,
  conv2dP,
  type Conv2dCallOptions,
  type Conv1dCallOptions,
  type ConvParams,
  type ConvFormulation,
  type FilterGradFormulation,
} from "./primitives/conv.js";
export { maxPool2d, avgPool2d, globalAvgPool2d, globalMaxPool2d, maxPool2dP, avgPool2dP, type PoolParams } from "./primitives/pool.js";
// the one options model of conv and pool ops (core, ops and nn): parsing, error texts, geometry
export {
  parseConv2dOptions,
  parseConv1dOptions,
  parsePool2dOptions,
  parsePool1dOptions,
  checkOptionNames,
  POOL_OPTION_NAMES,
  AVG_POOL_OPTION_NAMES,
  ceilModeExtra,
  positiveInt,
  positivePair,
  dilateSize,
  resolvePadding,
  resolvePadding1d,
  windowOut,
  windowOut2d,
  type Conv2dOptions,
  type Conv1dOptions,
  type Pool2dOptions,
  type Pool1dOptions,
  type AvgPool2dOptions,
  type AvgPool1dOptions,
  type Conv1dPadding,
  type ConvWindow2d,
  type ConvWindow1d,
  type PoolWindow2d,
  type PoolWindow1d,
  type WindowSite,
  type Pair,
  type Padding,
  type Padding1d,
  type Padding2d,
} from "./window.js";

// ---------------------------------------------------------------- checks (reported after a jitted step; see checkify.ts)
export { check, finiteMask, checkP } from "./primitives/check.js";
export {
  checkify,
  collectChecks,
  collectingChecks,
  checkError,
  PendingChecks,
  setHostChecks,
  type CheckParams,
  type CheckFailure,
} from "./checkify.js";

// ---------------------------------------------------------------- gradients
export { stopGradient, stopGradientP } from "./primitives/stop-gradient.js";

// ---------------------------------------------------------------- building blocks for ops and primitives outside core
export { asTensor, type Operand } from "./primitives/util.js";
export { leafTensors, call, type AnyFunction } from "./util.js";
export { bind, scoped, Tracer, currentLevel } from "./trace.js";
export { definePrimitive, type Primitive, type Aval } from "./primitive.js";

// The typed public op set. Each op is one primitive or a short composition of them; the
// types (from typelevel/) carry shapes and dtypes, and abstractEval re-checks at run time.
export {
  neg,
  abs,
  sign,
  square,
  exp,
  expm1,
  log,
  log1p,
  sqrt,
  rsqrt,
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
  clip,
  stopGradient,
} from "./elementwise.js";
export { sum, mean, max, min, argmax, argmin, logSumExp, variance, std, type ReduceOptions } from "./reduce.js";
export { matmul, dot, matvec } from "./linalg.js";
export { einsum } from "./einsum.js";
export { reshape, flatten, transpose, squeeze, expandDims, broadcastTo, concat, stack, slice, pad, gather, oneHot } from "./shape.js";
export { softmax, logSoftmax } from "./nn.js";
export { cumsum, cumprod, type CumulativeOptions } from "./cumulative.js";
export { sort, argsort, topK, type SortOptions, type TopKOptions } from "./sort.js";
export { conv2d, conv1d, maxPool2d, avgPool2d, globalAvgPool2d, globalMaxPool2d } from "./conv.js";
export { tidy } from "./tidy.js";
export { check, finiteMask } from "./check.js";
export type { Operand, NumericDType } from "./types.js";
export type { Conv2dOptions, Conv1dOptions, Pool2dOptions, GlobalPool2d, Grouped } from "./conv.js";

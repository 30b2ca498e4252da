// shapeflow: typed neural networks as pure functions.
export * from "./ops/index.js";
export { tensor, scalar, zeros, ones, fill, arange, linspace, assertShape, withShape, fromArray, Tensor, type DType, type AnyTensor } from "./tensor/index.js";
export { grad, valueAndGrad, vjp, jvp, vmap, jit, jacrev, jacfwd, hessian, stopGradient, customVjp, type GradOptions, type VmapOptions, type Batched, type Jitted, type Pullback } from "./core/index.js";
export { init, liveTensors, backendName, type BackendName, type InitOptions } from "./backend/index.js";
export type { Shape, Dim, ShapeError } from "../typelevel/index.js";
export * as tree from "./tree/index.js";
export * as random from "./random/index.js";
export * as nn from "./nn/index.js";
export * as optim from "./optim/index.js";
export * as losses from "./losses/index.js";
export * as train from "./train/index.js";
export * as data from "./data/index.js";
export * as plot from "./plot/index.js";
export * as io from "./io/index.js";
export * as testing from "./testing/index.js";

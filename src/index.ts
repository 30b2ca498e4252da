// shapeflow's public surface. Ops are top-level (`add`, `matmul`, ...); each other area is a
// namespace (`nn.dense`, `optim.adam`, `tree.map`, ...) so names never collide.
// Runs in browsers and in Node: nothing here imports a Node built-in or a native package
// (tests/browser-bundle checks it). Node-only parts: "shapeflow/node" (node.ts); charts:
// "shapeflow/plot" (plot/index.ts, needs the optional peers vega and vega-lite).

/**
 * shapeflow: typed neural networks for TypeScript, written as pure functions. Shapes are types
 * (`Tensor<["batch", 28, 28, 1]>`), models are pure functions of parameter trees, and the
 * JAX-like transforms (`grad`, `vmap`, `jit`, ...) compose in any order. Call `await init()`
 * once before making tensors.
 * ```ts
 * import { init, grad, mul, scalar, type Tensor } from "shapeflow";
 * await init();
 * grad((x: Tensor<[]>) => mul(x, x))(scalar(3)).item();   // 6
 * ```
 * @module shapeflow
 */

// ---- ops: the typed op set (and `tidy`, `stopGradient`)
export * from "./ops/index.js";

// ---- tensors: creation and the typed handle
export {
  tensor,
  scalar,
  zeros,
  ones,
  fill,
  arange,
  linspace,
  assertShape,
  withShape,
  fromArray,
  Tensor,
  type DType,
  type FromArrayOptions,
} from "./tensor/index.js";
// ---- errors: what a caller can catch (each has `op`, `expected` and `got`)
export { ShapeflowError, ShapeError, DTypeError, ValueError, type ErrorParts } from "./tensor/index.js";
export type { Shape, Dim } from "../typelevel/index.js";

// ---- transforms (stopGradient comes typed from ops); core's untyped op surface stays internal
export {
  grad,
  valueAndGrad,
  vjp,
  jvp,
  vmap,
  jit,
  jacrev,
  jacfwd,
  hessian,
  customVjp,
  customJvp,
  remat,
  scan,
  cond,
  whileLoop,
  foriLoop,
  checkify,
  type CheckParams,
  type GradOptions,
  type Pullback,
  type VmapOptions,
  type Batched,
  type Jitted,
  type ScanOptions,
  type ScanSlice,
  type ScanLength,
  type LeadingDim,
  type CarryCheck,
  type BranchCheck,
  type BranchMismatch,
  type Predicate,
  nativeStatus,
} from "./core/index.js";

// ---- backend
export {
  init,
  backendInfo,
  liveTensors,
  type InitOptions,
  type BackendName,
  type BackendInfo,
  type Threads,
  type WasmBinary,
} from "./backend/index.js";

// ---- namespaces
/** Pytrees: flatten, unflatten and map nested records and tuples of tensors; path filters. */
export * as tree from "./tree/index.js";
/** Explicit PRNG keys (Threefry-2x32, as JAX) and samplers: every draw takes a key. */
export * as random from "./random/index.js";
/** Layers as typed pure functions, model composition (`nn.input(...).add(...)`), activations, initializers. */
export * as nn from "./nn/index.js";
/** Losses (differentiable, a `Tensor<[]>` out), weight penalties, and host-side metrics. */
export * as losses from "./losses/index.js";
/** Optax-style optimizers: gradient transformations as `{ init, update }` over pytrees, and schedules. */
export * as optim from "./optim/index.js";
/** The training loop (`fit`), `evaluate`, `predict`, callbacks, resuming and progress output. */
export * as train from "./train/index.js";
/** Data sets as host arrays: generated data, splits, mini-batches, transforms (the loaders that read from disk are in `shapeflow/node`). */
export * as data from "./data/index.js";
/**
 * Checkpoints as bytes (trees of tensors to safetensors and back, checked on the way in) and model
 * export to tfjs-layers and ONNX. The functions on files (`save`, `load`, ...) are `shapeflow/node`'s `io`.
 */
export * as io from "./io/index.js";
/** Property tests for tensor functions: fast-check arbitraries, finite differences, `checkGrads`. */
export * as testing from "./testing/index.js";

// shapeflow's public surface. Ops are top-level (`add`, `matmul`, ...); each other area is a
// namespace (`nn.dense`, `optim.adam`, `tree.map`, ...) so names never collide.
// Runs in browsers and in Node: nothing here imports a Node built-in or a native package
// (tests/browser-bundle checks it). Node-only parts: "shapeflow/node" (node.ts); charts:
// "shapeflow/plot" (plot/index.ts, needs the optional peers vega and vega-lite).

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
} from "./tensor/index.js";
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
  type GradOptions,
  type Pullback,
  type VmapOptions,
  type Batched,
  type Jitted,
} from "./core/index.js";

// ---- backend
export { init, liveTensors, type InitOptions, type BackendName } from "./backend/index.js";

// ---- namespaces
export * as tree from "./tree/index.js";
export * as random from "./random/index.js"; //   random: PRNG keys and samplers
export * as nn from "./nn/index.js"; //           nn: layers, activations, initializers
export * as losses from "./losses/index.js"; //   losses
export * as optim from "./optim/index.js"; //     optim: optimizers as { init, update }
export * as train from "./train/index.js"; //     train: fit loops
export * as data from "./data/index.js"; //       data: datasets and batching
export * as io from "./io/index.js"; //           io: saving and loading
export * as testing from "./testing/index.js"; // testing: arbitraries and gradient checks

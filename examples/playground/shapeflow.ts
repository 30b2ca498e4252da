// The parts of shapeflow the playground uses, in one place.
// TODO(issue 9): import from the package root ("../../src/index.js") once it is browser-safe. Today
// src/index.ts reaches Node-only modules (node:fs through data's MNIST/Iris loaders, io and plot;
// resvg; cli-progress through train), which a browser bundle cannot resolve, so this file picks
// the folders that run anywhere. data/index.ts itself loads the Node-only loaders, hence its files.
export { init } from "../../src/backend/index.js";
export { jit, valueAndGrad } from "../../src/core/index.js";
export { add } from "../../src/ops/index.js";
export { tensor, type AnyTensor, type Tensor } from "../../src/tensor/index.js";
export * as nn from "../../src/nn/index.js";
export * as optim from "../../src/optim/index.js";
export * as losses from "../../src/losses/index.js";
export * as random from "../../src/random/index.js";
export * as tree from "../../src/tree/index.js";
export * as data from "./data.js";

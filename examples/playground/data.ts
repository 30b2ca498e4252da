// The browser-safe part of shapeflow's data folder that the playground uses (see shapeflow.ts).
// TODO(issue 9): drop this file for the root entry's `data` namespace once it is browser-safe.
export { xor, twoSpirals } from "../../src/data/synthetic.js";
export { circles, gaussians } from "../../src/data/planar.js";
export { trainTestSplit } from "../../src/data/split.js";
export { batches } from "../../src/data/batches.js";
export type { Dataset } from "../../src/data/dataset.js";

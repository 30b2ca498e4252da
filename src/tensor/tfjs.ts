// tfjs-core's Tensor type (what a Concrete wraps), taken from its own declaration file.
// NOTE: a public declaration naming tfjs-core's package index makes every consumer's type check
// load all 294 of tfjs-core's declaration files, some of which fail under `types: ["node"]`
// (they need @types/long as a global); dist/tensor.d.ts brings 3 files and no such error.
export type { Tensor as TfTensor } from "@tensorflow/tfjs-core/dist/tensor.js";

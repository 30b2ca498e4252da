// tfjs-core's Tensor type (what a Concrete wraps), taken from its own declaration file.
// NOTE: a public declaration naming tfjs-core's package index makes every consumer's type check
// load all 294 of tfjs-core's declaration files, some of which fail under `types: ["node"]`
// (they need @types/long as a global); dist/tensor.d.ts brings 3 files and no such error.
export type { Tensor as TfTensor } from "@tensorflow/tfjs-core/dist/tensor.js";
// The kernel-level types the static plan, the WASM kernels and the backend name, from the same files.
export type { KernelBackend as TfKernelBackend } from "@tensorflow/tfjs-core/dist/backends/backend.js";
export type {
  KernelFunc as TfKernelFunc,
  NamedAttrMap as TfAttrMap,
  NamedTensorInfoMap as TfTensorInfoMap,
} from "@tensorflow/tfjs-core/dist/kernel_registry.js";
export type { TensorInfo as TfTensorInfo } from "@tensorflow/tfjs-core/dist/tensor_info.js";
export type { DataType as TfDataType, TypedArray as TfTypedArray } from "@tensorflow/tfjs-core/dist/types.js";

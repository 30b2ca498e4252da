// The native kernels (see registry.ts): importing this registers every module's kernels on "wasm".
export {
  nativeAvailable,
  nativeStatus,
  registerNativeKernel,
  setNativeKernels,
  withNativeKernels,
  type NativeBinary,
  type NativeExports,
  type NativeKernelContext,
  type NativeKernelSpec,
} from "./registry.js";
import "./adam.js";
import "./recurrent.js";
import "./gemm.js";
import "./colsum.js";
// kernel names, for tests and profiles that look for them
export {
  CONV2D_FILTER_GRAD_KERNEL,
  CONV2D_FLIP_FILTER_KERNEL,
  CONV2D_FORWARD_KERNEL,
  MAX_POOL_GRAD_TILED_KERNEL,
  setConvForwardWide,
} from "./conv.js";
export { XENT_KERNELS } from "./xent.js";
export { MATMUL_KERNEL, setNativeGemm } from "./gemm.js";
export { SUM_LEADING_KERNEL, setNativeSumLeading } from "./colsum.js";

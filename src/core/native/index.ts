// The native kernels (see registry.ts): importing this registers every module's kernels on "wasm".
export {
  nativeAvailable,
  nativeStatus,
  registerNativeKernel,
  setNativeKernels,
  type NativeBinary,
  type NativeExports,
  type NativeKernelContext,
  type NativeKernelSpec,
} from "./registry.js";
import "./adam.js";
import "./conv.js";
import "./lstm.js";

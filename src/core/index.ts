// core's public surface: the transforms, and the untyped op surface (lax) that every folder
// above core builds on. Nothing outside core imports core's internal files.
export * from "./lax.js";
export { grad, valueAndGrad, vjp, type GradOptions, type Pullback } from "./grad.js";
export { jvp } from "./jvp.js";
export { vmap, type VmapOptions, type Batched } from "./vmap.js";
export { jit, makeGraph, setJitExecution, type Jitted, type JitExecution, type Graph, type Equation } from "./jit.js";
export { describePlan, runPlan, setPlanBuffers, setPlanDirectCalls, type Plan, type Step } from "./plan.js";
export { directKeysMatch, freeDirect, lowerDirect, type DirectMemory } from "./plan-direct.js";
export { transposeKernel } from "./primitives/shape.js";
export { jacrev, jacfwd, hessian } from "./jacobian.js";
export { customVjp } from "./custom.js";
export { primitives, type PrimitiveName } from "./primitives/index.js";
export {
  scan,
  cond,
  whileLoop,
  foriLoop,
  type ScanOptions,
  type ScanSlice,
  type ScanLength,
  type LeadingDim,
  type CarryCheck,
  type BranchCheck,
  type BranchMismatch,
  type Predicate,
} from "./control.js";
export { customJvp } from "./custom-jvp.js";
export { remat } from "./remat.js";
export { fused, setFusedCache, clearFusedCache, fusedTraceCount, type FusedOp } from "./fused.js";
export * from "./native/index.js";
export { controlPrimitives, type ControlPrimitiveName } from "./control.js";

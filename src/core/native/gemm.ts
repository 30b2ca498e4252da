// The float32 matrix product (gemm.c) for matmul's impl and its vjp's transposed products
// (primitives/matmul.ts): inputs [a, b], attrs { transposeA, transposeB } as tfjs' BatchMatMul
// (a given as [k, m] when transposeA, b given as [n, k] when transposeB); b 2-D, a 2-D when
// transposed, else of any rank >= 2 with its leading axes folded into rows ([..., m, k] -> [..., m, n]).
import * as tf from "@tensorflow/tfjs-core";
import { nativeAvailable, registerNativeKernel, threadedHeap } from "./registry.js";
import { binary } from "./gemm.wasm.js";

/** The tfjs kernel name of the native float32 matrix product (2-D operands, optionally transposed). */
export const MATMUL_KERNEL = "ShapeflowMatMul";

/** Rows of k per block in gemm.c (its KC): the packed panels of B hold at most this many rows. */
const KC = 256;

/**
 * The tfjs flag through which the backend (src/backend, which core does not import) says from how many
 * multiply-adds a matmul runs on tfjs' thread pool (its thread gate's `minThreadedWork`; 0 when every
 * kernel is threaded): on the threaded build our single-threaded GEMM takes only the smaller products.
 */
export const MIN_THREADED_WORK_FLAG = "SHAPEFLOW_MIN_THREADED_WORK";

let gemmOn = true;

/** Our GEMM on (the default) or off while the other native kernels stay on (A/B benches, tests); returns the previous setting. */
export function setNativeGemm(on: boolean): boolean {
  const was = gemmOn;
  gemmOn = on;
  return was;
}

/** Whether our GEMM runs a float32 product of `work` multiply-adds now (native kernels on; below the thread gate on the threaded build). */
export function nativeGemm(work: number): boolean {
  if (!gemmOn || !nativeAvailable(MATMUL_KERNEL)) return false;
  if (!threadedHeap()) return true;
  const gate = tf.env().getFlags()[MIN_THREADED_WORK_FLAG];
  return typeof gate === "number" && work < gate;
}

registerNativeKernel({
  kernelName: MATMUL_KERNEL,
  binary,
  run(ctx, [a, b], attrs) {
    const ta = attrs.transposeA === true;
    const tb = attrs.transposeB === true;
    const rows = a.shape.slice(0, -1);
    const k = ta ? a.shape[0] : a.shape[a.shape.length - 1];
    const m = ta ? a.shape[1] : rows.reduce((x, d) => x * d, 1);
    const n = tb ? b.shape[0] : b.shape[1];
    const out = ctx.makeOutput(ta ? [m, n] : [...rows, n], "float32");
    if (m === 0 || n === 0) return [out];
    // NOTE: the panels of B the kernel packs (a block of rows, or one panel of bᵀ), freed here
    const kc = Math.min(k, KC);
    const scratch = ctx.makeOutput([Math.max(1, tb ? kc * 8 : Math.ceil(n / 8) * (kc * 8 + 16))], "float32");
    try {
      ctx.exports.gemm_f32(ctx.offset(a), ctx.offset(b), ctx.offset(out), ctx.offset(scratch), m, n, k, ta ? 1 : 0, tb ? 1 : 0);
    } finally {
      tf.backend().disposeData(scratch.dataId);
    }
    return [out];
  },
});

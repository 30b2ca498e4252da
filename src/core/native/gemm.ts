// The float32 matrix product (gemm.c) for matmul's impl and its vjp's transposed products
// (primitives/matmul.ts): inputs [a, b], attrs { transposeA, transposeB } as tfjs' BatchMatMul
// (a given as [k, m] when transposeA, b given as [n, k] when transposeB), both operands 2-D.
import * as tf from "@tensorflow/tfjs-core";
import { registerNativeKernel } from "./registry.js";
import { binary } from "./gemm.wasm.js";

/** The tfjs kernel name of the native float32 matrix product (2-D operands, optionally transposed). */
export const MATMUL_KERNEL = "ShapeflowMatMul";

/** Rows of k per block in gemm.c (its KC): the packed panel of B is at most this many x 8 floats. */
const KC = 256;

registerNativeKernel({
  kernelName: MATMUL_KERNEL,
  binary,
  run(ctx, [a, b], attrs) {
    const ta = attrs.transposeA === true;
    const tb = attrs.transposeB === true;
    const [m, k] = ta ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
    const n = tb ? b.shape[0] : b.shape[1];
    const out = ctx.makeOutput([m, n], "float32");
    if (m === 0 || n === 0) return [out];
    // NOTE: the panel of B the kernel packs, freed here (never an output of the kernel)
    const scratch = ctx.makeOutput([Math.max(1, Math.min(k, KC) * 8)], "float32");
    try {
      ctx.exports.gemm_f32(ctx.offset(a), ctx.offset(b), ctx.offset(out), ctx.offset(scratch), m, n, k, ta ? 1 : 0, tb ? 1 : 0);
    } finally {
      tf.backend().disposeData(scratch.dataId);
    }
    return [out];
  },
});

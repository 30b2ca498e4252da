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

/**
 * On the threaded build, the products XNNPACK's thread pool takes from our single-threaded GEMM: at
 * least this many rows of the result, and at least {@link THREADED_MIN_WORK} multiply-adds (and the
 * thread gate's `minThreadedWork`). XNNPACK packs its b on every call of a training step; on 2 threads,
 * wall µs, its pool beat our GEMM only on tall, big products on a quiet machine (load 1.4: 512^3 4721
 * against 5718, 784x128x500 1624 against 2058) and lost at every M1-M4 shape under load (load 5:
 * 2.1-3.6x slower, 512^3 1.32x, 1024^3 1.40x; `bench/gemm-threads.ts`): a pool waits for its slowest thread.
 */
export const THREADED_MIN_ROWS = 512;
/** Multiply-adds from which a product of {@link THREADED_MIN_ROWS} rows goes to XNNPACK's pool on the threaded build (2^26). */
export const THREADED_MIN_WORK = 2 ** 26;

/**
 * Whether our GEMM runs a float32 product of `work` multiply-adds with `rows` rows of the result now
 * (native kernels on). On the threaded build: every product but the tall, big ones
 * ({@link THREADED_MIN_ROWS}, {@link THREADED_MIN_WORK}, and at least the thread gate's
 * `minThreadedWork`), which XNNPACK runs on the pool; none when the gate is off (every kernel threaded, as tfjs does).
 */
export function nativeGemm(work: number, rows: number): boolean {
  if (!gemmOn || !nativeAvailable(MATMUL_KERNEL)) return false;
  if (!threadedHeap()) return true;
  const gate = tf.env().getFlags()[MIN_THREADED_WORK_FLAG];
  if (typeof gate !== "number" || gate <= 0) return false;
  return rows < THREADED_MIN_ROWS || work < Math.max(gate, THREADED_MIN_WORK);
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

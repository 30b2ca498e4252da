// Column sums (colsum.c) for sum over leading axes (primitives/reduce.ts): input x (float32, any
// rank), attrs `leading` (how many leading axes are summed, 1 .. rank - 1) and `keepDims` (they stay as
// size 1); x [...lead, ...rest] -> [...rest] (or [1, ..., 1, ...rest]), x read in place, once.
import * as tf from "@tensorflow/tfjs-core";
import { nativeAvailable, registerNativeKernel } from "./registry.js";
import { binary } from "./colsum.wasm.js";

/** The tfjs kernel name of the native sum over leading axes. */
export const SUM_LEADING_KERNEL = "ShapeflowSumLeading";

registerNativeKernel({
  kernelName: SUM_LEADING_KERNEL,
  binary,
  run(ctx, [x], attrs) {
    const leading = Number(attrs.leading);
    const lead = x.shape.slice(0, leading);
    const rest = x.shape.slice(leading);
    const m = lead.reduce((a, d) => a * d, 1);
    const n = rest.reduce((a, d) => a * d, 1);
    const out = ctx.makeOutput(attrs.keepDims === true ? [...lead.map(() => 1), ...rest] : rest, "float32");
    if (n === 0) return [out];
    const mid = ctx.makeOutput([n], "float32"); // the kernel's scratch, freed here
    try {
      ctx.exports.colsum_f32(ctx.offset(x), ctx.offset(out), ctx.offset(mid), m, n);
    } finally {
      tf.backend().disposeData(mid.dataId);
    }
    return [out];
  },
});

let on = true;

/** The native sum over leading axes on (the default) or off while the other native kernels stay on (A/B benches, tests); returns the previous setting. */
export function setNativeSumLeading(value: boolean): boolean {
  const was = on;
  on = value;
  return was;
}

/** Whether a float32 sum over leading axes runs on the native kernel now. */
export function nativeSumLeading(): boolean {
  return on && nativeAvailable(SUM_LEADING_KERNEL);
}

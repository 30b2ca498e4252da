// Native kernels of conv2d's gradients (conv.c), evaluating fused ops of primitives/conv.ts on WASM:
// the filter gradient (attributes: the filter's spatial size, strides, filter dilations and the
// top / left padding, negative crops; groups 1, no input dilation), and the flipped, channel-swapped
// filter of the input gradient; and the max-pool gradient of tiled windows (pool.ts).
import { registerNativeKernel } from "./registry.js";
import { binary } from "./conv.wasm.js";

/** The tfjs kernel name of the native conv2d filter gradient. */
export const CONV2D_FILTER_GRAD_KERNEL = "ShapeflowConv2dFilterGrad";
/** The tfjs kernel name of the native filter flip of the input gradient: [kh, kw, c, o] -> [KH-1-kh, KW-1-kw, o, c]. */
export const CONV2D_FLIP_FILTER_KERNEL = "ShapeflowConv2dFlipFilter";
/** The tfjs kernel name of the native forward conv2d (groups 1, no input dilation; attributes as the filter gradient's plus the output size). */
export const CONV2D_FORWARD_KERNEL = "ShapeflowConv2D";
/** The tfjs kernel name of the native max-pool gradient for windows with stride = window, no padding. */
export const MAX_POOL_GRAD_TILED_KERNEL = "ShapeflowMaxPoolGradTiled";

let forwardWide = true;
/**
 * Whether the native forward convolution runs 16-channel blocks (2 columns x 16 channels a tile)
 * before its 8-channel ones (4 x 8); on by default, off for A/B benches. Returns the previous value.
 */
export function setConvForwardWide(on: boolean): boolean {
  const was = forwardWide;
  forwardWide = on;
  return was;
}

const pair = (v: unknown): [number, number] => {
  if (!Array.isArray(v) || v.length !== 2 || !v.every((d) => typeof d === "number"))
    throw new Error(`internal: ${CONV2D_FILTER_GRAD_KERNEL}: expected a pair of numbers, got ${String(v)}`);
  return [Number(v[0]), Number(v[1])];
};

registerNativeKernel({
  kernelName: CONV2D_FILTER_GRAD_KERNEL,
  binary,
  run(ctx, [x, dy], attrs) {
    const [b, h, w, c] = x.shape;
    const [, ho, wo, o] = dy.shape;
    const [kh, kw] = pair(attrs.kernelSize);
    const [sh, sw] = pair(attrs.strides);
    const [dh, dw] = pair(attrs.dilations);
    const [top, left] = pair(attrs.padStart);
    const out = ctx.makeOutput([kh, kw, c, o], "float32");
    const args = [b, h, w, c, ho, wo, o, kh, kw, sh, sw, dh, dw, top, left];
    ctx.exports.conv2d_filter_grad(ctx.offset(x), ctx.offset(dy), ctx.offset(out), ...args);
    return [out];
  },
});

registerNativeKernel({
  kernelName: CONV2D_FLIP_FILTER_KERNEL,
  binary,
  run(ctx, [w]) {
    const [kh, kw, c, o] = w.shape;
    const out = ctx.makeOutput([kh, kw, o, c], "float32");
    ctx.exports.conv2d_flip_filter(ctx.offset(w), ctx.offset(out), kh, kw, c, o);
    return [out];
  },
});

registerNativeKernel({
  kernelName: MAX_POOL_GRAD_TILED_KERNEL,
  binary,
  run(ctx, [x, out, ct], attrs) {
    const [b, h, w, c] = x.shape;
    const [kh, kw] = pair(attrs.window);
    const dx = ctx.makeOutput([b, h, w, c], "float32");
    ctx.exports.max_pool_grad_tiled(ctx.offset(x), ctx.offset(out), ctx.offset(ct), ctx.offset(dx), b, h, w, c, kh, kw);
    return [dx];
  },
});

registerNativeKernel({
  kernelName: CONV2D_FORWARD_KERNEL,
  binary,
  run(ctx, [x, w], attrs) {
    const [b, h, wd, c] = x.shape;
    const [kh, kw, , o] = w.shape;
    const [ho, wo] = pair(attrs.outSize);
    const [sh, sw] = pair(attrs.strides);
    const [dh, dw] = pair(attrs.dilations);
    const [top, left] = pair(attrs.padStart);
    const out = ctx.makeOutput([b, ho, wo, o], "float32");
    const args = [b, h, wd, c, ho, wo, o, kh, kw, sh, sw, dh, dw, top, left, attrs.wide === false || !forwardWide ? 0 : 1];
    ctx.exports.conv2d_forward(ctx.offset(x), ctx.offset(w), ctx.offset(out), ...args);
    return [out];
  },
});

// 2-D pooling over NHWC tensors: maxPool2d and avgPool2d (XNNPACK kernels forward). Global
// pooling is a reduction (see globalAvgPool2d).
//
// NOTE: the derivative rules use only kernels that are fast on WASM (XNNPACK convolutions and
// broadcasting arithmetic). Measured there: broadcastTo (Tile), broadcasting comparisons, where and
// strided slices are plain loops, 20-100x slower; and tfjs' MaxPoolGrad / MaxPoolWithArgmax
// kernels start their search at FLT_MIN (the smallest positive float), so every window with no
// value above it (all <= 0, e.g. after relu) sends its derivative to flat index 0.
// - Tiled windows (stride = window, no padding; the usual 2x2 pooling): the window axes are
//   reshaped out ([B * Ho, kh, Wo, kw, C]), a free view.
// - Other windows: a depthwise conv2d with one-hot filters extracts the kh * kw pixels of every
//   window ([B, Ho, Wo, C, kh * kw]); its transpose (conv2d's own rule) puts values back.
// Max ties split the derivative evenly among the tied maxima, as the `max` reduction does.
//
// MEASURED (bench/conv.ts, x [64, 28, 28, 32], median ms, load ~3.5): window 2: maxPool2d
// forward 3.5, vjp 26 (tfjs MaxPoolGrad 76, and wrong on negative windows); avgPool2d forward 3.5,
// vjp 14 (tfjs AvgPoolGrad 43, which also divides padded windows by the full window size).
// Window 3 stride 2 "same": maxPool2d vjp 292, avgPool2d vjp 55.
import * as tf from "@tensorflow/tfjs-core";
import { Concrete, formatShape, type AnyTensor, ShapeError } from "../../tensor/index.js";
import { bind, scoped } from "../trace.js";
import { leafTensors } from "../util.js";
import { definePrimitive, type Aval, type Primitive } from "../primitive.js";
import { checkFloat } from "./util.js";
import { reshape } from "./shape.js";
import { add, div, mul, relu, sub } from "./elementwise.js";
import { stopGradient } from "./stop-gradient.js";
import { max, sum } from "./reduce.js";
import { slice } from "./slice.js";
import { pad } from "./pad.js";
import { conv2dInputGrad, conv2dP, type ConvParams } from "./conv.js";
import {
  ceilModeExtra,
  isPositivePair,
  notPositivePair,
  parsePool2dOptions,
  poolPaddingTooLarge,
  resolvePadding,
  windowOut2d,
  type AvgPool2dOptions,
  type Pair,
  type Padding2d,
  type Pool2dOptions,
} from "../window.js";

export interface PoolParams {
  readonly window: Pair;
  readonly strides: Pair;
  /** Explicit [[top, bottom], [left, right]], each smaller than the window. */
  readonly padding: Padding2d;
}

// ---------------------------------------------------------------- shape rule

function poolShape(op: string, x: Aval, p: PoolParams): number[] {
  if (x.shape.length !== 4)
    throw new ShapeError(
      { op: op, expected: "x as [batch, H, W, C]", got: formatShape(x.shape) },
      `${op} expects x as [batch, H, W, C], got ${formatShape(x.shape)}`,
    );
  checkFloat(op, [x]);
  if (!isPositivePair(p.window)) throw notPositivePair(op, "window", p.window);
  if (!isPositivePair(p.strides)) throw notPositivePair(op, "strides", p.strides);
  // NOTE: the pooling kernels need each window to hold at least one real pixel
  const pads = p.padding as unknown;
  const okPair = (q: unknown, k: number) => Array.isArray(q) && q.length === 2 && q.every((d) => Number.isInteger(d) && d >= 0 && d < k);
  if (!Array.isArray(pads) || pads.length !== 2 || !okPair(pads[0], p.window[0]) || !okPair(pads[1], p.window[1])) {
    throw poolPaddingTooLarge(op, p.window, pads);
  }
  const [b, h, w, c] = x.shape;
  const [oh, ow] = windowOut2d(
    { op, input: x.shape, kernel: ["window", p.window] },
    { spatial: [h, w], kernel: p.window, strides: p.strides, padding: p.padding },
  );
  return [b, oh, ow, c];
}

/** Runs a pooling kernel; empty tensors skip it (XNNPACK rejects them). */
function runPool(kernel: "MaxPool" | "AvgPool", x: tf.Tensor, p: PoolParams): tf.Tensor {
  if (x.size === 0) return tf.zeros(poolShape(kernel === "MaxPool" ? "maxPool2d" : "avgPool2d", { shape: x.shape, dtype: "float32" }, p));
  return tf.engine().runKernel<tf.Tensor>(kernel, { x }, poolAttrs(p));
}

function poolAttrs(p: PoolParams) {
  return {
    filterSize: [...p.window],
    strides: [...p.strides],
    pad: [[0, 0], [...p.padding[0]], [...p.padding[1]], [0, 0]],
  };
}

// ---------------------------------------------------------------- shared rule helpers

/** Folds the mapped axis into the batch, runs `prim`, unfolds. */
function foldBatch(prim: Primitive<PoolParams>, x: AnyTensor, p: PoolParams, n: number): AnyTensor {
  const s = x.shape;
  const y = bind(prim, [reshape(x, [n * s[1], ...s.slice(2)])], p);
  return reshape(y, [n, s[1], ...y.shape.slice(1)]);
}

interface Tiling {
  /** x cropped to whole windows: [B, Ho * kh, Wo * kw, C]. */
  readonly cropped: readonly number[];
  /** The window axes split out: [B * Ho, kh, Wo, kw, C]. */
  readonly split: readonly number[];
  /** One value per window, broadcastable against `split`: [B * Ho, 1, Wo, 1, C]. */
  readonly perWindow: readonly number[];
  /** The pooled shape [B, Ho, Wo, C]. */
  readonly out: readonly number[];
}

// NOTE: rank 5, not [B, Ho, kh, Wo, kw, C]: WASM's XNNPACK binary ops fail silently (garbage
// values) above rank 6, and vmap adds an axis.

/** Windows that tile x (stride = window, no padding): rules can reshape the window axes out. */
function tiling(xShape: readonly number[], p: PoolParams): Tiling | undefined {
  const [[t, bt], [l, r]] = p.padding;
  if (p.strides[0] !== p.window[0] || p.strides[1] !== p.window[1] || t + bt + l + r !== 0) return undefined;
  const [b, h, w, c] = xShape;
  const [kh, kw] = p.window;
  const [oh, ow] = [Math.floor(h / kh), Math.floor(w / kw)];
  return { cropped: [b, oh * kh, ow * kw, c], split: [b * oh, kh, ow, kw, c], perWindow: [b * oh, 1, ow, 1, c], out: [b, oh, ow, c] };
}

/** x cropped to the tiled windows, with window axes split out. */
function splitWindows(x: AnyTensor, tl: Tiling): AnyTensor {
  const s = x.shape;
  const whole = s[1] === tl.cropped[1] && s[2] === tl.cropped[2] ? x : slice(x, [0, 0, 0, 0], tl.cropped);
  return reshape(whole, tl.split);
}

/** The inverse of splitWindows' crop: [B * Ho, kh, Wo, kw, C] back to x's shape, zeros in the unused border. */
function joinWindows(v: AnyTensor, tl: Tiling, xShape: readonly number[]): AnyTensor {
  const joined = reshape(v, tl.cropped);
  if (xShape[1] === tl.cropped[1] && xShape[2] === tl.cropped[2]) return joined;
  return pad(joined, [
    [0, 0],
    [0, xShape[1] - tl.cropped[1]],
    [0, xShape[2] - tl.cropped[2]],
    [0, 0],
  ]);
}

// ---------------------------------------------------------------- window pixels (non-tiled windows)

/** The depthwise convolution that copies the kh * kw pixels of each window into channels. */
function patchConv(xShape: readonly number[], p: PoolParams): { filter: AnyTensor; params: ConvParams } {
  const [kh, kw] = p.window;
  const c = xShape[3];
  const k = kh * kw;
  // [kh, kw, 1, (c, k)]: output channel (c, k) reads channel c at window offset k
  const data = new Float32Array(k * c * k);
  for (let off = 0; off < k; off++) for (let ch = 0; ch < c; ch++) data[off * c * k + ch * k + off] = 1;
  return {
    filter: new Concrete(tf.tensor4d(data, [kh, kw, 1, c * k])),
    params: { strides: p.strides, padding: p.padding, dilations: [1, 1], lhsDilation: [1, 1], groups: c },
  };
}

/** Window pixels of x: [B, Ho, Wo, C, kh * kw] (zeros where a window hangs over the padding). */
function patches(x: AnyTensor, p: PoolParams): AnyTensor {
  const { filter, params } = patchConv(x.shape, p);
  const y = bind(conv2dP, [x, filter], params);
  const [b, oh, ow] = y.shape;
  return reshape(y, [b, oh, ow, x.shape[3], p.window[0] * p.window[1]]);
}

/** The transpose of `patches`: window pixels [B, Ho, Wo, C, kh * kw] added back into x's shape. */
function unpatches(v: AnyTensor, p: PoolParams, xShape: readonly number[]): AnyTensor {
  const { filter, params } = patchConv(xShape, p);
  const [b, oh, ow, c, k] = v.shape;
  return conv2dInputGrad(reshape(v, [b, oh, ow, c * k]), filter, params, xShape);
}

/**
 * [1, Ho, Wo, 1, kh * kw]: 0 for real window pixels, -2^127 for padding (so padding, read as 0 by
 * `patches`, never equals a window's maximum); undefined without padding.
 */
function paddingPenalty(xShape: readonly number[], p: PoolParams, oh: number, ow: number): AnyTensor | undefined {
  const [[t, bt], [l, r]] = p.padding;
  if (t + bt + l + r === 0) return undefined;
  const [kh, kw] = p.window;
  const data = new Float32Array(oh * ow * kh * kw);
  for (let i = 0; i < oh; i++)
    for (let j = 0; j < ow; j++)
      for (let a = 0; a < kh; a++)
        for (let c = 0; c < kw; c++) {
          const y = i * p.strides[0] + a - t,
            x = j * p.strides[1] + c - l;
          const real = y >= 0 && x >= 0 && y < xShape[1] && x < xShape[2];
          data[((i * ow + j) * kh + a) * kw + c] = real ? 0 : -(2 ** 127);
        }
  return new Concrete(tf.tensor(data, [1, oh, ow, 1, kh * kw]));
}

/**
 * 1 where d == 0, 0 where d < 0 (d <= 0 everywhere): any non-zero float32 times 2^200 is below
 * -1. NOTE: arithmetic and relu run on XNNPACK; WASM's comparison and sign kernels are slow loops.
 */
function zeroIndicator(d: AnyTensor): AnyTensor {
  return relu(add(mul(mul(d, 2 ** 100), 2 ** 100), 1));
}

// ---------------------------------------------------------------- maxPool2d

/**
 * Where each window's maxima are (mask: 1 at a maximum, else 0, in the layout of the window
 * pixels: tiled [B * Ho, kh, Wo, kw, C], else [B, Ho, Wo, C, k]) and how many there are (count,
 * broadcastable against mask). Derivatives split evenly among ties: share = mask / count.
 * Constants for derivatives (piecewise constant in x).
 */
function maxima(x: AnyTensor, out: AnyTensor, p: PoolParams, tl: Tiling | undefined): { mask: AnyTensor; count: AnyTensor } {
  const xs = x.shape;
  const os = out.shape;
  if (tl !== undefined) {
    const mask = zeroIndicator(sub(splitWindows(x, tl), reshape(out, tl.perWindow)));
    // ties per window: an average pool of the mask (an XNNPACK kernel) times the window size
    const count = mul(bind(avgPool2dP, [reshape(mask, tl.cropped)], p), p.window[0] * p.window[1]);
    return { mask: stopGradient(mask), count: stopGradient(reshape(count, tl.perWindow)) };
  }
  let below = sub(patches(x, p), reshape(out, [...os, 1]));
  const penalty = paddingPenalty(xs, p, os[1], os[2]);
  if (penalty !== undefined) below = add(below, penalty);
  const mask = zeroIndicator(below);
  return { mask: stopGradient(mask), count: stopGradient(sum(mask, [4], { keepDims: true })) };
}

export const maxPool2dP: Primitive<PoolParams> = definePrimitive<PoolParams>({
  name: "maxPool2d",
  abstractEval: ([x], p) => ({ shape: poolShape("maxPool2d", x, p), dtype: "float32" }),
  impl: ([x], p) => runPool("MaxPool", x, p),
  jvp([x], [t], p, out) {
    if (t === null) return null;
    const tl = tiling(x.shape, p);
    const { mask, count } = maxima(x, out, p, tl);
    if (tl === undefined) return div(sum(mul(mask, patches(t, p)), [4]), reshape(count, out.shape));
    return div(reshape(sum(mul(mask, splitWindows(t, tl)), [1, 3]), tl.out), reshape(count, tl.out));
  },
  vjp(ct, [x], p, out) {
    const xs = x.shape;
    const tl = tiling(xs, p);
    const { mask, count } = maxima(x, out, p, tl);
    // divide at the pooled size, then one broadcasting multiply at full size
    const perWindow = tl === undefined ? [...ct.shape, 1] : tl.perWindow;
    const spread = mul(mask, div(reshape(ct, perWindow), count));
    return [tl === undefined ? unpatches(spread, p, xs) : joinWindows(spread, tl, xs)];
  },
  batch: ([x], _b, p, n) => foldBatch(maxPool2dP, x, p, n),
});

// ---------------------------------------------------------------- avgPool2d

/** 1 / (number of real, unpadded pixels) of each window: a scalar when no window touches padding. */
function inverseCounts(xShape: readonly number[], p: PoolParams, outShape: readonly number[]): AnyTensor {
  const [[t], [l]] = p.padding;
  const [, h, w] = xShape;
  const [, oh, ow] = outShape;
  const covered = (o: number, stride: number, before: number, k: number, size: number) => {
    const start = o * stride - before;
    return Math.min(start + k, size) - Math.max(start, 0);
  };
  const data = new Float32Array(oh * ow);
  let uniform = true;
  for (let i = 0; i < oh; i++) {
    for (let j = 0; j < ow; j++) {
      const n = covered(i, p.strides[0], t, p.window[0], h) * covered(j, p.strides[1], l, p.window[1], w);
      data[i * ow + j] = 1 / n;
      if (n !== p.window[0] * p.window[1]) uniform = false;
    }
  }
  return new Concrete(uniform ? tf.scalar(1 / (p.window[0] * p.window[1])) : tf.tensor4d(data, [1, oh, ow, 1]));
}

/** The adjoint of avgPool2d: each output's cotangent spread evenly over the real pixels of its window. */
function avgPoolTranspose(ct: AnyTensor, xShape: readonly number[], p: PoolParams): AnyTensor {
  const tl = tiling(xShape, p);
  const [kh, kw] = p.window;
  if (tl !== undefined) {
    // NOTE: a broadcasting multiply by ones, not broadcastTo: WASM's Tile kernel is a slow loop
    const ones = new Concrete(tf.ones([1, kh, 1, kw, 1]));
    return joinWindows(mul(reshape(div(ct, kh * kw), tl.perWindow), ones), tl, xShape);
  }
  // sum pooling is a depthwise convolution with ones; its adjoint is conv2d's input rule
  const c = xShape[3];
  const ones = new Concrete(tf.ones([kh, kw, 1, c]));
  const scaled = mul(ct, inverseCounts(xShape, p, ct.shape));
  return conv2dInputGrad(
    scaled,
    ones,
    { strides: p.strides, padding: p.padding, dilations: [1, 1], lhsDilation: [1, 1], groups: c },
    xShape,
  );
}

export const avgPool2dP: Primitive<PoolParams> = definePrimitive<PoolParams>({
  name: "avgPool2d",
  abstractEval: ([x], p) => ({ shape: poolShape("avgPool2d", x, p), dtype: "float32" }),
  // NOTE: the kernel averages over the real pixels of a window (padding excluded), as TF does
  impl: ([x], p) => runPool("AvgPool", x, p),
  jvp: (_x, [t], p) => (t === null ? null : bind(avgPool2dP, [t], p)),
  vjp: (ct, [x], p) => [avgPoolTranspose(ct, x.shape, p)],
  batch: ([x], _b, p, n) => foldBatch(avgPool2dP, x, p, n),
});

// ---------------------------------------------------------------- untyped functions

/**
 * Explicit pool params for x; `options` is a window alone (a number or [h, w]) or Pool2dOptions.
 * `ceilMode` becomes extra padding after each axis (ignored by both kernels: it is never a real
 * pixel); `userPadding` is the padding before it, which `countIncludePad` counts.
 */
function poolParams(op: string, x: AnyTensor, options: unknown): { params: PoolParams; userPadding: Padding2d; countIncludePad: boolean } {
  const xs = x.shape;
  if (xs.length !== 4)
    throw new ShapeError(
      { op: op, expected: "x as [batch, H, W, C]", got: formatShape(xs) },
      `${op} expects x as [batch, H, W, C], got ${formatShape(xs)}`,
    );
  const { window, strides, padding, ceilMode, countIncludePad } = parsePool2dOptions(op, options);
  const userPadding = resolvePadding(padding, [xs[1], xs[2]], window, strides);
  const axis = (i: 0 | 1): Pair => {
    const pads = userPadding[i];
    return [pads[0], pads[1] + ceilModeExtra(xs[1 + i], window[i], strides[i], pads, ceilMode)];
  };
  return { params: { window, strides, padding: [axis(0), axis(1)] }, userPadding, countIncludePad };
}

/**
 * `countIncludePad`'s correction of the kernel's mean (over real pixels): per window, its real
 * pixels / its pixels inside the user's padding; undefined where every window has the same count.
 */
function includePadFactor(
  xShape: readonly number[],
  p: PoolParams,
  userPadding: Padding2d,
  outShape: readonly number[],
): AnyTensor | undefined {
  const [, oh, ow] = outShape;
  const count = (o: number, i: 0 | 1, lo: number, hi: number) => {
    const start = o * p.strides[i] - p.padding[i][0];
    return Math.min(start + p.window[i], hi) - Math.max(start, lo);
  };
  const data = new Float32Array(oh * ow);
  let uniform = true;
  for (let i = 0; i < oh; i++) {
    for (let j = 0; j < ow; j++) {
      const real = count(i, 0, 0, xShape[1]) * count(j, 1, 0, xShape[2]);
      const [[t, b], [l, r]] = userPadding;
      const padded = count(i, 0, -t, xShape[1] + b) * count(j, 1, -l, xShape[2] + r);
      data[i * ow + j] = real / padded;
      if (real !== padded) uniform = false;
    }
  }
  return uniform ? undefined : new Concrete(tf.tensor4d(data, [1, oh, ow, 1]));
}

/**
 * Max pooling: the largest value of each window, per channel. x [batch, H, W, C] -> [batch, H', W', C].
 * Padding never wins (a window's max is over its real pixels); `ceilMode` rounds the window count up.
 * ```ts
 * const y = maxPool2d(x, 2);   // [64, 28, 28, 32] -> [64, 14, 14, 32], as { window: 2 }
 * const z = maxPool2d(x, { window: 3, strides: 2, ceilMode: true });   // [64, 28, 28, 32] -> [64, 14, 14, 32]
 * ```
 */
export function maxPool2d(x: AnyTensor, options: number | Pair | Pool2dOptions): AnyTensor {
  return bind(maxPool2dP, [x], poolParams("maxPool2d", x, options).params);
}

/**
 * Average pooling: the mean of each window's real (unpadded) pixels, per channel; with
 * `countIncludePad` (PyTorch's default) the sum over the window divided by its size inside the
 * padding. `ceilMode` rounds the window count up.
 * ```ts
 * const y = avgPool2d(x, { window: 3, strides: 1, padding: "same" });   // [8, 32, 32, 16] -> [8, 32, 32, 16]
 * const z = avgPool2d(x, { window: 3, strides: 1, padding: 1, countIncludePad: true });   // as torch's AvgPool2d(3, 1, 1)
 * ```
 */
export function avgPool2d(x: AnyTensor, options: number | Pair | AvgPool2dOptions): AnyTensor {
  const { params, userPadding, countIncludePad } = poolParams("avgPool2d", x, options);
  if (!countIncludePad) return bind(avgPool2dP, [x], params);
  return scoped(() => {
    const y = bind(avgPool2dP, [x], params);
    const factor = includePadFactor(x.shape, params, userPadding, y.shape);
    return factor === undefined ? y : mul(y, factor);
  }, leafTensors);
}

function checkImage(op: string, x: AnyTensor): readonly number[] {
  const xs = x.shape;
  if (xs.length !== 4) {
    throw new ShapeError(
      { op, expected: "x as [batch, H, W, C]", got: formatShape(xs) },
      `${op} expects x as [batch, H, W, C], got ${formatShape(xs)}`,
    );
  }
  return xs;
}

/**
 * Mean over the spatial axes: [batch, H, W, C] -> [batch, C] ([batch, 1, 1, C] with keepDims).
 * ```ts
 * const features = globalAvgPool2d(x);   // [64, 7, 7, 128] -> [64, 128]
 * ```
 */
export function globalAvgPool2d(x: AnyTensor, keepDims = false): AnyTensor {
  const xs = checkImage("globalAvgPool2d", x);
  return scoped(() => div(sum(x, [1, 2], { keepDims }), xs[1] * xs[2]), leafTensors);
}

/** Max over the spatial axes: [batch, H, W, C] -> [batch, C] ([batch, 1, 1, C] with keepDims). */
export function globalMaxPool2d(x: AnyTensor, keepDims = false): AnyTensor {
  checkImage("globalMaxPool2d", x);
  return max(x, [1, 2], { keepDims });
}

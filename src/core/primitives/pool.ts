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
// - Other windows (max pooling): x padded to a grid of whole strides [B, Hq / sh, sh, Wq / sw,
//   sw, C] gives tap (i, j) of every window as one plain slice ([B, Ho, Wo, C], copied in runs of
//   C by the WASM slice kernel); its transpose pads each tap back into place.
// Max ties split the derivative evenly among the tied maxima, as the `max` reduction does.
// On WASM the tiled max-pool gradient is one native pass (core/native/conv.c, a fused op whose
// composite is the mask rule): in M3's step profile (load ~6) 1.6 ms for both pools against ~5 ms of
// Sub / Multiply / Add / Relu / AvgPool kernels before.
//
// MEASURED (bench/conv.ts, x [64, 28, 28, 32], median ms, load ~3.5): window 2: maxPool2d
// forward 3.5, vjp 26 (tfjs MaxPoolGrad 76, and wrong on negative windows); avgPool2d forward 3.5,
// vjp 14 (tfjs AvgPoolGrad 43, which also divides padded windows by the full window size).
// Window 3 stride 2 "same": maxPool2d vjp 292, avgPool2d vjp 55. The tap rule for overlapping
// max windows (CPU ms, load ~12, forward included): 40 against 96 for the one-hot depthwise rule.
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
import { conv2dInputGrad } from "./conv.js";
import { fused, type FusedOp } from "../fused.js";
import { nativeAvailable } from "../native/registry.js";
import { MAX_POOL_GRAD_TILED_KERNEL } from "../native/conv.js";
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

// ---------------------------------------------------------------- window taps (non-tiled windows)

/**
 * x padded (with `fill`) to a grid of whole strides, [B, Hq / sh, sh, Wq / sw, sw * C]: tap (i, j)
 * of every window is then the plain slice at rows i / sh (phase i % sh), columns j / sw (phase
 * j % sw, channels), which the WASM slice kernel copies in runs of C, no strided-slice loop.
 * NOTE: rank 5, as the tiled layout (vmap adds an axis; XNNPACK fails silently above rank 6).
 */
interface TapGrid {
  readonly grid: readonly number[];
  /** Padding of x on [top, bottom] and [left, right] to fill the grid. */
  readonly pads: Padding2d;
  /** The pooled [B, Ho, Wo, C]. */
  readonly out: readonly number[];
}

function tapGrid(xShape: readonly number[], p: PoolParams, outShape: readonly number[]): TapGrid {
  const [b, h, w, c] = xShape;
  const [, oh, ow] = outShape;
  const [kh, kw] = p.window;
  const [sh, sw] = p.strides;
  const [[t], [l]] = p.padding;
  const whole = (size: number, before: number, out: number, k: number, s: number) =>
    Math.ceil(Math.max(size + before, (out - 1) * s + k) / s) * s;
  const hq = whole(h, t, oh, kh, sh);
  const wq = whole(w, l, ow, kw, sw);
  return {
    grid: [b, hq / sh, sh, wq / sw, sw * c],
    pads: [
      [t, hq - h - t],
      [l, wq - w - l],
    ],
    out: outShape,
  };
}

/** Every window's tap (i, j) of x, row-major over the window: kh * kw tensors [B, Ho, Wo, C]. */
function taps(x: AnyTensor, p: PoolParams, g: TapGrid, fill: number): AnyTensor[] {
  const [[t, bt], [l, r]] = g.pads;
  const padded = pad(
    x,
    [
      [0, 0],
      [t, bt],
      [l, r],
      [0, 0],
    ],
    fill,
  );
  const grid = reshape(padded, g.grid);
  const [b, oh, ow, c] = g.out;
  const [sh, sw] = p.strides;
  const out: AnyTensor[] = [];
  for (let i = 0; i < p.window[0]; i++) {
    for (let j = 0; j < p.window[1]; j++) {
      const tap = slice(grid, [0, Math.floor(i / sh), i % sh, Math.floor(j / sw), (j % sw) * c], [b, oh, 1, ow, c]);
      out.push(reshape(tap, g.out));
    }
  }
  return out;
}

/** The transpose of `taps`: per-tap values [B, Ho, Wo, C] added back into x's shape. */
function untaps(vs: readonly AnyTensor[], p: PoolParams, g: TapGrid, xShape: readonly number[]): AnyTensor {
  const [b, oh, ow, c] = g.out;
  const [, rows, sh, cols] = g.grid;
  const sw = p.strides[1];
  let acc: AnyTensor | undefined;
  vs.forEach((v, k) => {
    const i = Math.floor(k / p.window[1]),
      j = k % p.window[1];
    const [a, q, e, f] = [Math.floor(i / sh), i % sh, Math.floor(j / sw), j % sw];
    const spread = pad(reshape(v, [b, oh, 1, ow, c]), [
      [0, 0],
      [a, rows - oh - a],
      [q, sh - 1 - q],
      [e, cols - ow - e],
      [f * c, (sw - 1 - f) * c],
    ]);
    const placed = reshape(spread, [b, rows * sh, cols * sw, c]);
    acc = acc === undefined ? placed : add(acc, placed);
  });
  return slice(acc!, [0, g.pads[0][0], g.pads[1][0], 0], xShape);
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
 * Tiled windows: where each window's maxima are (mask: 1 at a maximum, else 0, [B * Ho, kh, Wo,
 * kw, C]) and how many there are (count, [B * Ho, 1, Wo, 1, C]). Derivatives split evenly among
 * ties: share = mask / count. Constants for derivatives (piecewise constant in x).
 */
function tiledMaxima(x: AnyTensor, out: AnyTensor, p: PoolParams, tl: Tiling): { mask: AnyTensor; count: AnyTensor } {
  const mask = zeroIndicator(sub(splitWindows(x, tl), reshape(out, tl.perWindow)));
  // ties per window: an average pool of the mask (an XNNPACK kernel) times the window size
  const count = mul(bind(avgPool2dP, [reshape(mask, tl.cropped)], p), p.window[0] * p.window[1]);
  return { mask: stopGradient(mask), count: stopGradient(reshape(count, tl.perWindow)) };
}

/**
 * Other windows: the same per tap, masks[k] [B, Ho, Wo, C] for tap k of every window. Padding is
 * filled with -FLT_MAX, so it never equals a window's maximum (every window holds a real pixel).
 */
function tapMaxima(x: AnyTensor, out: AnyTensor, p: PoolParams, g: TapGrid): { masks: AnyTensor[]; count: AnyTensor } {
  const masks = taps(x, p, g, -FLT_MAX).map((v) => stopGradient(zeroIndicator(sub(v, out))));
  return { masks, count: stopGradient(masks.reduce((a, b) => add(a, b))) };
}

const FLT_MAX = 3.4028234663852886e38;

export const maxPool2dP: Primitive<PoolParams> = definePrimitive<PoolParams>({
  name: "maxPool2d",
  abstractEval: ([x], p) => ({ shape: poolShape("maxPool2d", x, p), dtype: "float32" }),
  impl: ([x], p) => runPool("MaxPool", x, p),
  jvp([x], [t], p, out) {
    if (t === null) return null;
    const tl = tiling(x.shape, p);
    if (tl === undefined) {
      const g = tapGrid(x.shape, p, out.shape);
      const { masks, count } = tapMaxima(x, out, p, g);
      const ts = taps(t, p, g, 0);
      return div(
        masks.map((m, k) => mul(m, ts[k])).reduce((a, b) => add(a, b)),
        count,
      );
    }
    const { mask, count } = tiledMaxima(x, out, p, tl);
    return div(reshape(sum(mul(mask, splitWindows(t, tl)), [1, 3]), tl.out), reshape(count, tl.out));
  },
  vjp(ct, [x], p, out) {
    const xs = x.shape;
    const tl = tiling(xs, p);
    if (tl === undefined) {
      const g = tapGrid(xs, p, out.shape);
      const { masks, count } = tapMaxima(x, out, p, g);
      const share = div(ct, count);
      return [
        untaps(
          masks.map((m) => mul(m, share)),
          p,
          g,
          xs,
        ),
      ];
    }
    const rule = (a: AnyTensor, o: AnyTensor, d: AnyTensor) => {
      const { mask, count } = tiledMaxima(a, o, p, tl);
      // divide at the pooled size, then one broadcasting multiply at full size
      const spread = mul(mask, div(reshape(d, tl.perWindow), count));
      return joinWindows(spread, tl, xs);
    };
    // NOTE: on WASM one native pass (core/native/conv.c) instead of ~8 full-size elementwise kernels
    if (x.size === 0 || !nativeAvailable(MAX_POOL_GRAD_TILED_KERNEL)) return [rule(x, out, ct)];
    const op: FusedOp = {
      name: "maxPool2dGrad",
      kernel: MAX_POOL_GRAD_TILED_KERNEL,
      attrs: { window: [...p.window] },
      composite: ([a, o, d]) => [rule(a, o, d)],
      // the rule's tiling is p's at x's shape (part of the cache's key already)
      key: JSON.stringify(p),
    };
    return [fused(op, [x, out, ct])[0]];
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

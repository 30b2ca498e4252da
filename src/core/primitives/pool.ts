// 2-D pooling over NHWC tensors: maxPool2d and avgPool2d, plus the two linear primitives that
// carry max-pooling derivatives through overlapping or padded windows (maxPool2dGather and its
// transpose maxPool2dScatter). Global pooling is a reduction (see globalAvgPool2d).
//
// NOTE: derivatives take two routes.
// - Tiled windows (stride = window, no padding; the usual 2x2 pooling): the window axes are
//   reshaped out ([B, Ho, kh, Wo, kw, C]) and the rules are elementwise ops and sums, which run
//   on fast kernels. Max ties split the derivative evenly, as the `max` reduction does.
// - Otherwise: avgPool2d's transpose is a transposed depthwise convolution with ones (conv2d's own
//   rule), scaled by how many real pixels each window saw; maxPool2d routes derivatives to one
//   arg-max position per window (the kernel's MaxPoolWithArgmax choice, on ties).
import * as tf from "@tensorflow/tfjs-core";
import { Concrete, formatShape, type AnyTensor } from "../../tensor/index.js";
import { bind, scoped } from "../trace.js";
import { leafTensors } from "../util.js";
import { definePrimitive, type Aval, type Primitive } from "../primitive.js";
import { checkFloat } from "./util.js";
import { reshape } from "./shape.js";
import { broadcastTo } from "./broadcast.js";
import { cast, div, equal, mul } from "./elementwise.js";
import { max, sum } from "./reduce.js";
import { slice } from "./slice.js";
import { pad } from "./pad.js";
import { conv2dInputGrad, positivePair, resolvePadding, windowOut, type Pair, type Padding2d, type PaddingSpec } from "./conv.js";

export interface PoolParams {
  readonly window: Pair;
  readonly strides: Pair;
  /** Explicit [[top, bottom], [left, right]], each smaller than the window. */
  readonly padding: Padding2d;
}

// ---------------------------------------------------------------- shape rule

function poolShape(op: string, x: Aval, p: PoolParams): number[] {
  if (x.shape.length !== 4) throw new Error(`${op} expects x as [batch, H, W, C], got ${formatShape(x.shape)}`);
  checkFloat(op, [x]);
  const pos = (q: unknown) => Array.isArray(q) && q.length === 2 && q.every((d) => Number.isInteger(d) && d > 0);
  if (!pos(p.window)) throw new Error(`${op}: window must be positive integers, got ${JSON.stringify(p.window)}`);
  if (!pos(p.strides)) throw new Error(`${op}: strides must be positive integers, got ${JSON.stringify(p.strides)}`);
  const pads = p.padding as unknown;
  const okPair = (q: unknown, k: number) => Array.isArray(q) && q.length === 2 && q.every((d) => Number.isInteger(d) && d >= 0 && d < k);
  if (!Array.isArray(pads) || pads.length !== 2 || !okPair(pads[0], p.window[0]) || !okPair(pads[1], p.window[1])) {
    throw new Error(`${op}: padding must be non-negative integers smaller than the window ${formatShape(p.window)}, got ${JSON.stringify(pads)}`);
  }
  const [b, h, w, c] = x.shape;
  const where = `(input ${formatShape(x.shape)}, window ${formatShape(p.window)})`;
  const oh = windowOut(h, p.window[0], p.strides[0], p.padding[0], 1, 1);
  const ow = windowOut(w, p.window[1], p.strides[1], p.padding[1], 1, 1);
  if (typeof oh === "string") throw new Error(`${op}: height: ${oh} ${where}`);
  if (typeof ow === "string") throw new Error(`${op}: width: ${ow} ${where}`);
  return [b, oh, ow, c];
}

function poolAttrs(p: PoolParams) {
  return {
    filterSize: [...p.window],
    strides: [...p.strides],
    pad: [[0, 0], [...p.padding[0]], [...p.padding[1]], [0, 0]],
    dimRoundingMode: undefined as unknown as string,
  };
}

// ---------------------------------------------------------------- shared rule helpers

/** Folds a mapped axis into the batch (broadcasting unmapped arguments), runs `prim`, unfolds. */
function foldBatch(prim: Primitive<PoolParams>, inputs: AnyTensor[], batched: boolean[], p: PoolParams, n: number): AnyTensor {
  const folded = inputs.map((v, i) => {
    const s = v.shape as readonly number[];
    const full = batched[i] ? v : broadcastTo(reshape(v, [1, ...s]), [n, ...s]);
    const fs = full.shape as readonly number[];
    return reshape(full, [n * fs[1], ...fs.slice(2)]);
  });
  const y = bind(prim, folded, p);
  const ys = y.shape as readonly number[];
  return reshape(y, [n, ys[0] / n, ...ys.slice(1)]);
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
  const s = x.shape as readonly number[];
  const whole = s[1] === tl.cropped[1] && s[2] === tl.cropped[2] ? x : slice(x, [0, 0, 0, 0], tl.cropped);
  return reshape(whole, tl.split);
}

/** The inverse of splitWindows' crop: [B * Ho, kh, Wo, kw, C] back to x's shape, zeros in the unused border. */
function joinWindows(v: AnyTensor, tl: Tiling, xShape: readonly number[]): AnyTensor {
  const joined = reshape(v, tl.cropped);
  if (xShape[1] === tl.cropped[1] && xShape[2] === tl.cropped[2]) return joined;
  return pad(joined, [[0, 0], [0, xShape[1] - tl.cropped[1]], [0, xShape[2] - tl.cropped[2]], [0, 0]]);
}

// ---------------------------------------------------------------- maxPool2d

/** [B * Ho, kh, Wo, kw, C]: each pixel's share of its window's derivative (1 / #ties at the maxima, else 0). */
function maxShare(x: AnyTensor, out: AnyTensor, tl: Tiling): AnyTensor {
  const mask = cast(equal(splitWindows(x, tl), reshape(out, tl.perWindow)), "float32");
  return div(mask, sum(mask, [1, 3], true));
}

export const maxPool2dP: Primitive<PoolParams> = definePrimitive<PoolParams>({
  name: "maxPool2d",
  abstractEval: ([x], p) => ({ shape: poolShape("maxPool2d", x, p), dtype: "float32" }),
  impl: ([x], p) => tf.engine().runKernel("MaxPool", { x }, poolAttrs(p)) as tf.Tensor,
  jvp([x], [t], p, out) {
    if (t === null) return null;
    const tl = tiling(x.shape as readonly number[], p);
    if (tl === undefined) return bind(maxPool2dGatherP, [x, t], p);
    return reshape(sum(mul(maxShare(x, out, tl), splitWindows(t, tl)), [1, 3]), tl.out);
  },
  vjp(ct, [x], p, out) {
    const xs = x.shape as readonly number[];
    const tl = tiling(xs, p);
    if (tl === undefined) return [bind(maxPool2dScatterP, [x, ct], p)];
    return [joinWindows(mul(maxShare(x, out, tl), reshape(ct, tl.perWindow)), tl, xs)];
  },
  batch: (inputs, batched, p, n) => foldBatch(maxPool2dP, inputs, batched, p, n),
});

/**
 * For each window offset (i, j), row-major: where that offset holds its window's maximum and no
 * earlier offset does (the first maximum wins ties), as bool [B, Ho, Wo, C]; with the padded-view
 * helper used to read (or write) that offset of every window.
 */
function firstMaxima(x: tf.Tensor, p: PoolParams): { masks: tf.Tensor[]; view: (t: tf.Tensor, i: number, j: number) => tf.Tensor; padded: (t: tf.Tensor, fill: number) => tf.Tensor } {
  // NOTE: not the MaxPoolWithArgmax / MaxPoolGrad kernels: on WASM they start the search from
  // FLT_MIN (the smallest positive float), so windows of negative values all pick index 0.
  const [b, , , c] = x.shape;
  const [[top, bottom], [left, right]] = p.padding;
  const [sh, sw] = p.strides;
  const y = tf.engine().runKernel("MaxPool", { x }, poolAttrs(p)) as tf.Tensor;
  const [, oh, ow] = y.shape;
  const padded = (t: tf.Tensor, fill: number) => (top + bottom + left + right === 0 ? t : tf.pad(t, [[0, 0], [top, bottom], [left, right], [0, 0]], fill));
  const view = (t: tf.Tensor, i: number, j: number) => tf.stridedSlice(t, [0, i, j, 0], [b, i + (oh - 1) * sh + 1, j + (ow - 1) * sw + 1, c], [1, sh, sw, 1]);
  const xp = padded(x, -Infinity);
  const masks: tf.Tensor[] = [];
  let found: tf.Tensor | undefined;
  for (let i = 0; i < p.window[0]; i++) {
    for (let j = 0; j < p.window[1]; j++) {
      let hit = tf.equal(view(xp, i, j), y);
      if (found !== undefined) hit = tf.logicalAnd(hit, tf.logicalNot(found));
      found = found === undefined ? hit : tf.logicalOr(found, hit);
      masks.push(hit);
    }
  }
  return { masks, view, padded };
}

/** maxPool2dGather(x, v): v read at each window's arg-max of x ([B, Ho, Wo, C]). Linear in v. */
export const maxPool2dGatherP: Primitive<PoolParams> = definePrimitive<PoolParams>({
  name: "maxPool2dGather",
  abstractEval([x, v], p) {
    if (formatShape(x.shape) !== formatShape(v.shape)) throw new Error(`maxPool2dGather: x ${formatShape(x.shape)} and v ${formatShape(v.shape)} must have the same shape`);
    checkFloat("maxPool2dGather", [v]);
    return { shape: poolShape("maxPool2dGather", x, p), dtype: "float32" };
  },
  impl: ([x, v], p) =>
    tf.tidy(() => {
      const { masks, view, padded } = firstMaxima(x, p);
      const vp = padded(v, 0);
      let out = tf.zeros(masks[0].shape);
      masks.forEach((m, k) => (out = tf.where(m, view(vp, Math.floor(k / p.window[1]), k % p.window[1]), out)));
      return out;
    }),
  jvp: ([x], [, t], p) => (t === null ? null : bind(maxPool2dGatherP, [x, t], p)),
  vjp: (ct, [x], p) => [null, bind(maxPool2dScatterP, [x, ct], p)],
  batch: (inputs, batched, p, n) => foldBatch(maxPool2dGatherP, inputs, batched, p, n),
});

/** maxPool2dScatter(x, dy): dy added at each window's arg-max of x (shape of x). Linear in dy; the transpose of maxPool2dGather. */
export const maxPool2dScatterP: Primitive<PoolParams> = definePrimitive<PoolParams>({
  name: "maxPool2dScatter",
  abstractEval([x, dy], p) {
    const out = poolShape("maxPool2dScatter", x, p);
    if (formatShape(out) !== formatShape(dy.shape)) throw new Error(`maxPool2dScatter: dy must have the pooled shape ${formatShape(out)}, got ${formatShape(dy.shape)}`);
    checkFloat("maxPool2dScatter", [dy]);
    return { shape: x.shape, dtype: "float32" };
  },
  impl: ([x, dy], p) =>
    tf.tidy(() => {
      const { masks } = firstMaxima(x, p);
      const [b, h, w, c] = x.shape;
      const [, oh, ow] = dy.shape;
      const [sh, sw] = p.strides;
      const [hp, wp] = [h + p.padding[0][0] + p.padding[0][1], w + p.padding[1][0] + p.padding[1][1]];
      const zero = tf.zerosLike(dy);
      // spread dy onto the stride grid once: [B, (Ho - 1) * sh + 1, (Wo - 1) * sw + 1, C]
      const spread = (t: tf.Tensor) => {
        const grid = tf.reshape(tf.pad(tf.reshape(t, [b, oh, 1, ow, 1, c]), [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]), [b, oh * sh, ow * sw, c]);
        return tf.slice(grid, [0, 0, 0, 0], [b, (oh - 1) * sh + 1, (ow - 1) * sw + 1, c]);
      };
      let dxp: tf.Tensor | undefined;
      masks.forEach((m, k) => {
        const [i, j] = [Math.floor(k / p.window[1]), k % p.window[1]];
        const part = spread(tf.where(m, dy, zero));
        const placed = tf.pad(part, [[0, 0], [i, hp - i - part.shape[1]!], [j, wp - j - part.shape[2]!], [0, 0]]);
        dxp = dxp === undefined ? placed : tf.add(dxp, placed);
      });
      return tf.slice(dxp!, [0, p.padding[0][0], p.padding[1][0], 0], [b, h, w, c]);
    }),
  jvp: ([x], [, t], p) => (t === null ? null : bind(maxPool2dScatterP, [x, t], p)),
  vjp: (ct, [x], p) => [null, bind(maxPool2dGatherP, [x, ct], p)],
  batch: (inputs, batched, p, n) => foldBatch(maxPool2dScatterP, inputs, batched, p, n),
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
  if (tl !== undefined) return joinWindows(broadcastTo(reshape(div(ct, kh * kw), tl.perWindow), tl.split), tl, xShape);
  // sum pooling is a depthwise convolution with ones; its adjoint is conv2d's input rule
  const c = xShape[3];
  const ones = broadcastTo(new Concrete(tf.scalar(1)), [kh, kw, 1, c]);
  const scaled = mul(ct, inverseCounts(xShape, p, ct.shape as readonly number[]));
  return conv2dInputGrad(scaled, ones, { strides: p.strides, padding: p.padding, dilations: [1, 1], lhsDilation: [1, 1], groups: c }, xShape);
}

export const avgPool2dP: Primitive<PoolParams> = definePrimitive<PoolParams>({
  name: "avgPool2d",
  abstractEval: ([x], p) => ({ shape: poolShape("avgPool2d", x, p), dtype: "float32" }),
  // NOTE: the kernel averages over the real pixels of a window (padding excluded), as TF does
  impl: ([x], p) => tf.engine().runKernel("AvgPool", { x }, poolAttrs(p)) as tf.Tensor,
  jvp: (_x, [t], p) => (t === null ? null : bind(avgPool2dP, [t], p)),
  vjp: (ct, [x], p) => [avgPoolTranspose(ct, x.shape as readonly number[], p)],
  batch: (inputs, batched, p, n) => foldBatch(avgPool2dP, inputs, batched, p, n),
});

// ---------------------------------------------------------------- untyped functions

export interface Pool2dOptions {
  /** Window size: one number or [h, w]. */
  window: number | Pair;
  /** Step between windows; defaults to the window (non-overlapping). */
  strides?: number | Pair;
  /** "valid" (default), "same", one number or [[top, bottom], [left, right]]; padded pixels are ignored. */
  padding?: PaddingSpec;
}

function poolParams(op: string, x: AnyTensor, o: Pool2dOptions): PoolParams {
  const xs = x.shape as readonly number[];
  if (xs.length !== 4) throw new Error(`${op} expects x as [batch, H, W, C], got ${formatShape(xs)}`);
  const window = positivePair(op, "window", o.window, [0, 0]);
  const strides = positivePair(op, "strides", o.strides, window);
  const padding = resolvePadding(op, o.padding ?? "valid", [xs[1], xs[2]], window, strides);
  return { window, strides, padding };
}

/**
 * Max pooling: the largest value of each window, per channel. x [batch, H, W, C] -> [batch, H', W', C].
 * ```ts
 * const y = maxPool2d(x, { window: 2 });   // [64, 28, 28, 32] -> [64, 14, 14, 32]
 * ```
 */
export function maxPool2d(x: AnyTensor, options: Pool2dOptions): AnyTensor {
  return bind(maxPool2dP, [x], poolParams("maxPool2d", x, options));
}

/**
 * Average pooling: the mean of each window's real (unpadded) pixels, per channel.
 * ```ts
 * const y = avgPool2d(x, { window: 3, strides: 1, padding: "same" });   // [8, 32, 32, 16] -> [8, 32, 32, 16]
 * ```
 */
export function avgPool2d(x: AnyTensor, options: Pool2dOptions): AnyTensor {
  return bind(avgPool2dP, [x], poolParams("avgPool2d", x, options));
}

function checkImage(op: string, x: AnyTensor): readonly number[] {
  const xs = x.shape as readonly number[];
  if (xs.length !== 4) throw new Error(`${op} expects x as [batch, H, W, C], got ${formatShape(xs)}`);
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
  return scoped(() => div(sum(x, [1, 2], keepDims), xs[1] * xs[2]), leafTensors);
}

/** Max over the spatial axes: [batch, H, W, C] -> [batch, C] ([batch, 1, 1, C] with keepDims). */
export function globalMaxPool2d(x: AnyTensor, keepDims = false): AnyTensor {
  checkImage("globalMaxPool2d", x);
  return max(x, [1, 2], keepDims);
}

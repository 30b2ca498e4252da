// conv2d: one general 2-D convolution primitive (NHWC input, [kh, kw, cin / groups, cout] filter)
// with strides, explicit padding, filter dilation, input dilation and feature groups, in the
// spirit of XLA's conv_general_dilated. Both of its transposes are again this primitive (after
// a few transposes/flips), so every derivative runs on the fast forward Conv2D kernel, and
// derivatives of any order and vmap of derivatives keep working.
//
// NOTE: why not tfjs's own gradient kernels: WASM has no Conv2DBackpropFilter at all, and its
// Conv2DBackpropInput is a plain loop (~10x slower than the XNNPACK forward conv).
//
// MEASURED (`npx tsx bench/conv.ts`; tfjs-backend-wasm 4.22, Node 20; fresh tensors every run,
// as in training; median ms of 15 runs on a shared 2-core machine, load ~3.5):
//   layer                                  forward | input grad: tfjs / ours | filter grad: ours, by rule
//   x [64,28,28,1]  w [3,3,1,32]  same        12   |          30 / 18-31     | ct as filter 41 (chosen), x as filter 46
//   x [64,14,14,32] w [3,3,32,64] same        48   |         383 / 37        | ct as filter 60, x as filter 58 (chosen)
//   x [64,28,28,32] w [3,3,32,64] stride 2    36   |         384 / 74        | ct as filter 83 (chosen), x as filter 501
// The strided input grad runs per output phase (subpixel): 74 ms against 142 ms for convolving
// the zero-interleaved cotangent. tfjs has no WASM filter-grad kernel; its CPU backend's
// Conv2DBackpropFilter takes 5.9 s (first layer) and 126 s (second layer).
// The first layer's filter grad by window patches (one product, see filterGradPatches), CPU ms at
// load ~10: 9.4 against 27 (ct as filter) and 18 (x as filter); RGB [64,28,28,3]: 12 against 20 / 14.
// On WASM the filter grad ("auto", groups 1, no input dilation) is one native kernel (core/native/
// conv.c, a fused op whose composite is the formulations above); CPU ms, `ONLY=native npx tsx
// bench/conv.ts`, alternating with the composite, medians, load 6-9: first layer 1.5 against 7.1,
// second 11.8 against 26.7, strided 16.7 against 36.6. The input gradient's filter flip is native too,
// and the forward convolution (runConv2D, from 4 output channels): XNNPACK 13.0 / ours 11.4 ms on
// the second layer, 16.5 / 15.0 on its input gradient (CPU, alternating, load ~7). M3's jitted step
// (training, Adam; CPU ms per step, alternating native on / off, load ~8.5): 54.5 against 84.1.
import * as tf from "@tensorflow/tfjs-core";
import { Concrete, formatShape, type AnyTensor, ShapeError, ValueError } from "../../tensor/index.js";
import { bind, scoped } from "../trace.js";
import { leafTensors } from "../util.js";
import { definePrimitive, type Aval, type Primitive } from "../primitive.js";
import {
  dilateSize,
  isPositivePair,
  notPositiveInt,
  notPositivePair,
  parseConv1dOptions,
  parseConv2dOptions,
  positiveInt,
  resolvePadding,
  resolvePadding1d,
  show,
  windowOut,
  windowOut2d,
  type Conv1dOptions,
  type Conv2dOptions,
  type Pair,
  type Padding2d,
} from "../window.js";
import { checkFloat } from "./util.js";
import { reshape, transpose } from "./shape.js";
import { add } from "./elementwise.js";
import { reverse } from "./reverse.js";
import { matmul } from "./matmul.js";
import { sliceKernel } from "./slice.js";
import { fused, type FusedOp } from "../fused.js";
import { nativeAvailable, threadedHeap } from "../native/registry.js";
import { CONV2D_FILTER_GRAD_KERNEL, CONV2D_FLIP_FILTER_KERNEL, CONV2D_FORWARD_KERNEL } from "../native/conv.js";

/** Which convolution computes the filter gradient (see conv2dFilterGrad). */
export type FilterGradFormulation = "auto" | "ctAsFilter" | "xAsFilter" | "patches";

/**
 * How the rules compute, not what: every choice gives the same values. A part of the params, so
 * a jitted graph keeps the formulation it was traced with, and the rules hand it on to the
 * convolutions they bind (derivatives of any order use it too).
 */
export interface ConvFormulation {
  /** Default "auto": picks per shape (see conv2dFilterGrad). */
  readonly filterGrad?: FilterGradFormulation;
  /** Input-dilated convolutions (transposed convs, input gradients of strided convs) run per output phase. Default true. */
  readonly subpixel?: boolean;
}

export interface ConvParams extends ConvFormulation {
  readonly strides: Pair;
  /** Explicit padding. Rules may pass negative values (they crop); users cannot. */
  readonly padding: Padding2d;
  /** Filter dilation (atrous convolution). */
  readonly dilations: Pair;
  /** Input dilation: zeros between input pixels (a transposed convolution). */
  readonly lhsDilation: Pair;
  /** Feature groups: input channels and output channels split into `groups` independent convolutions. */
  readonly groups: number;
}

const FILTER_GRADS: readonly FilterGradFormulation[] = ["auto", "ctAsFilter", "xAsFilter", "patches"];

/** The formulation fields of `p`, for the params of the convolutions a rule binds. */
function formulationOf(p: ConvFormulation): ConvFormulation {
  return { filterGrad: p.filterGrad, subpixel: p.subpixel };
}

function checkParams(p: ConvParams): void {
  if (!isPositivePair(p.strides)) throw notPositivePair("conv2d", "strides", p.strides);
  if (!isPositivePair(p.dilations)) throw notPositivePair("conv2d", "dilations", p.dilations);
  if (!isPositivePair(p.lhsDilation)) throw notPositivePair("conv2d", "lhsDilation", p.lhsDilation);
  if (!Number.isInteger(p.groups) || p.groups < 1) throw notPositiveInt("conv2d", "groups", p.groups);
  const pads = p.padding as unknown;
  const ints = (q: unknown) => Array.isArray(q) && q.length === 2 && q.every((d) => Number.isInteger(d));
  if (!Array.isArray(pads) || pads.length !== 2 || !ints(pads[0]) || !ints(pads[1])) {
    throw new ValueError(
      { op: "conv2d", expected: "[[top, bottom], [left, right]] integers", got: show(pads) },
      `conv2d: padding must be [[top, bottom], [left, right]] integers, got ${show(pads)}`,
    );
  }
  if (p.filterGrad !== undefined && !FILTER_GRADS.includes(p.filterGrad)) {
    throw new ValueError(
      { op: "conv2d", expected: '"auto", "ctAsFilter", "xAsFilter" or "patches"', got: show(p.filterGrad) },
      `conv2d: filterGrad must be "auto", "ctAsFilter", "xAsFilter" or "patches", got ${show(p.filterGrad)}`,
    );
  }
  if (p.subpixel !== undefined && typeof p.subpixel !== "boolean") {
    throw new ValueError(
      { op: "conv2d", expected: "true or false", got: show(p.subpixel) },
      `conv2d: subpixel must be true or false, got ${show(p.subpixel)}`,
    );
  }
}

function convShape(x: Aval, w: Aval, p: ConvParams): number[] {
  if (x.shape.length !== 4)
    throw new ShapeError(
      { op: "conv2d", expected: "x as [batch, H, W, C]", got: formatShape(x.shape) },
      `conv2d expects x as [batch, H, W, C], got ${formatShape(x.shape)}`,
    );
  if (w.shape.length !== 4)
    throw new ShapeError(
      { op: "conv2d", expected: "a filter [kh, kw, cin, cout]", got: formatShape(w.shape) },
      `conv2d expects the filter as [kh, kw, cin, cout], got ${formatShape(w.shape)}`,
    );
  checkParams(p);
  const [b, h, wd, c] = x.shape;
  const [kh, kw, cin, cout] = w.shape;
  const g = p.groups;
  if (c !== cin * g) {
    throw new ShapeError(
      { op: "conv2d", expected: `${cin * g} input channels`, got: `${c} channels` },
      g === 1
        ? `conv2d: x has ${c} channels but the filter expects ${cin} (${formatShape(w.shape)})`
        : `conv2d: x has ${c} channels but the filter expects ${cin} per group x ${g} groups (${formatShape(w.shape)})`,
    );
  }
  if (cout % g !== 0)
    throw new ShapeError(
      { op: "conv2d", expected: `output channels divisible by ${g} groups`, got: String(cout) },
      `conv2d: the filter's ${cout} output channels do not split into ${g} groups (${formatShape(w.shape)})`,
    );
  const [oh, ow] = windowOut2d(
    { op: "conv2d", input: x.shape, kernel: ["filter", w.shape] },
    { spatial: [h, wd], kernel: [kh, kw], strides: p.strides, padding: p.padding, dilations: p.dilations, lhsDilation: p.lhsDilation },
  );
  return [b, oh, ow, cout];
}

// ---------------------------------------------------------------- eager kernels

const NHWC = "NHWC" as const;

/** [B, H, W, C] -> [B, H * lh, W * lw, C] with each pixel followed by zeros (trailing zeros included). */
function interleaveZeros(x: tf.Tensor, lh: number, lw: number): tf.Tensor {
  const [b, h, w, c] = x.shape;
  const spread = tf.pad(tf.reshape(x, [b, h, 1, w, 1, c]), [
    [0, 0],
    [0, 0],
    [0, lh - 1],
    [0, 0],
    [0, lw - 1],
    [0, 0],
  ]);
  return tf.reshape(spread, [b, h * lh, w * lw, c]);
}

function runConv2D(x: tf.Tensor, filter: tf.Tensor, strides: Pair, pad: number[][], dilations: Pair): tf.Tensor {
  // NOTE: on WASM our own kernel (core/native/conv.c), 10-15% faster than XNNPACK's on M3's layers;
  // not below 4 output channels (a scalar loop there: the first layer's input gradient, ~10% slower),
  // nor on the threaded build, where XNNPACK's runs big convolutions on the pool (backend/gate.ts)
  if (x.size > 0 && filter.size > 0 && (filter.shape[3] ?? 0) >= 4 && nativeAvailable(CONV2D_FORWARD_KERNEL) && !threadedHeap()) {
    const [, h, w] = x.shape;
    const [kh, kw] = filter.shape;
    const out = (i: 0 | 1) =>
      Math.floor(([h, w][i] + pad[1 + i][0] + pad[1 + i][1] - dilateSize([kh, kw][i], dilations[i])) / strides[i]) + 1;
    const attrs = { outSize: [out(0), out(1)], strides: [...strides], dilations: [...dilations], padStart: [pad[1][0], pad[2][0]] };
    const y = tf.engine().runKernel<tf.Tensor | tf.Tensor[]>(CONV2D_FORWARD_KERNEL, { x0: x, x1: filter }, attrs);
    return Array.isArray(y) ? y[0] : y;
  }
  // NOTE: runKernel, not tf.conv2d: the op refuses strides and dilations both > 1, which the kernels handle.
  return tf
    .engine()
    .runKernel<tf.Tensor>("Conv2D", { x, filter }, { strides: [...strides], pad, dataFormat: NHWC, dilations: [...dilations] });
}

function runDepthwise(x: tf.Tensor, filter: tf.Tensor, strides: Pair, pad: number[][], dilations: Pair): tf.Tensor {
  const both = strides.some((s) => s > 1) && dilations.some((d) => d > 1);
  if (both && tf.getBackend() !== "wasm") {
    // the CPU kernel refuses strides and dilations both > 1: run at stride 1 and subsample
    const full = runDepthwise(x, filter, [1, 1], pad, dilations);
    return tf.stridedSlice(full, [0, 0, 0, 0], full.shape, [1, strides[0], strides[1], 1]);
  }
  return tf
    .engine()
    .runKernel<tf.Tensor>(
      "DepthwiseConv2dNative",
      { x, filter },
      { strides: [...strides], pad, dataFormat: NHWC, dilations: [...dilations] },
    );
}

/**
 * A stride-1, undilated convolution of an input dilated by s (a transposed convolution, such as
 * the input gradient of a strided conv) as s_h * s_w ordinary convolutions, one per output phase
 * r: output rows q * s + r only meet the filter taps k = a_r, a_r + s, ... (a_r = (top - r) mod s)
 * and undilated input rows. Saves the s^2 multiplications by interleaved zeros.
 */
function subpixelConvImpl(x: tf.Tensor, w: tf.Tensor, p: ConvParams, outShape: readonly number[]): tf.Tensor {
  const [b, h, wd] = x.shape;
  const [kh, kw, cin, cout] = w.shape as [number, number, number, number];
  const [, oh, ow, co] = outShape;
  const [sh, sw] = p.lhsDilation;
  // per axis and phase r: first tap a, taps count, input offset c (rows q + c + m), outputs count
  const phases = (s: number, k: number, top: number, out: number, inSize: number) =>
    Array.from({ length: s }, (_, r) => {
      const a = (((top - r) % s) + s) % s;
      const taps = Math.max(0, Math.ceil((k - a) / s));
      const c = (r + a - top) / s;
      const count = Math.max(0, Math.ceil((out - r) / s));
      // rows read: c .. c + count + taps - 2; none inside the input means an all-zero phase
      const empty = taps === 0 || count === 0 || c >= inSize || c + count + taps - 2 < 0;
      return { a, taps, count, empty, pad: [-c, count + taps - 1 - inSize + c] as Pair };
    });
  const rows = phases(sh, kh, p.padding[0][0], oh, h);
  const cols = phases(sw, kw, p.padding[1][0], ow, wd);
  const qh = rows[0].count,
    qw = cols[0].count;
  let out: tf.Tensor | undefined;
  rows.forEach((ry, i) =>
    cols.forEach((rx, j) => {
      if (ry.empty || rx.empty) return;
      const sub = tf.stridedSlice(w, [ry.a, rx.a, 0, 0], [kh, kw, cin, cout], [sh, sw, 1, 1]);
      const y = convImpl(x, sub, { ...p, lhsDilation: [1, 1], padding: [ry.pad, rx.pad] });
      // place phase (i, j) on its sub-grid of a [b, qh * sh, qw * sw, co] canvas
      const grid = tf.pad(tf.reshape(y, [b, ry.count, 1, rx.count, 1, co]), [
        [0, 0],
        [0, qh - ry.count],
        [i, sh - 1 - i],
        [0, qw - rx.count],
        [j, sw - 1 - j],
        [0, 0],
      ]);
      out = out === undefined ? grid : tf.add(out, grid);
    }),
  );
  if (out === undefined) return tf.zeros(outShape as number[]);
  return sliceKernel(tf.reshape(out, [b, qh * sh, qw * sw, co]), [0, 0, 0, 0], outShape);
}

function convImpl(x: tf.Tensor, w: tf.Tensor, p: ConvParams): tf.Tensor {
  const [lh, lw] = p.lhsDilation;
  if (x.size === 0 || w.size === 0)
    return tf.zeros(convShape({ shape: x.shape, dtype: "float32" }, { shape: w.shape, dtype: "float32" }, p));
  const plain = p.strides.every((s) => s === 1) && p.dilations.every((d) => d === 1);
  if ((lh > 1 || lw > 1) && plain && (p.subpixel ?? true)) {
    const outShape = convShape({ shape: x.shape, dtype: "float32" }, { shape: w.shape, dtype: "float32" }, p);
    return tf.tidy(() => subpixelConvImpl(x, w, p, outShape));
  }
  return tf.tidy(() => {
    let input = x;
    let [[top, bottom], [left, right]] = p.padding;
    if (lh > 1 || lw > 1) {
      input = interleaveZeros(input, lh, lw);
      bottom -= lh - 1; // the interleaved copy ends with lh - 1 extra zero rows
      right -= lw - 1;
    }
    if (top < 0 || bottom < 0 || left < 0 || right < 0) {
      // negative padding crops (the transposes of convolutions that skipped trailing pixels)
      const [b, h, wd, c] = input.shape;
      const [t, bt, l, r] = [top, bottom, left, right].map((v) => Math.max(0, -v));
      [top, bottom, left, right] = [top, bottom, left, right].map((v) => Math.max(0, v));
      if (h - t - bt <= 0 || wd - l - r <= 0) {
        // cropped away entirely: every window reads padding (XNNPACK rejects empty inputs)
        return tf.zeros(convShape({ shape: x.shape, dtype: "float32" }, { shape: w.shape, dtype: "float32" }, p));
      }
      input = sliceKernel(input, [0, t, l, 0], [b, h - t - bt, wd - l - r, c]);
    }
    const pad = [
      [0, 0],
      [top, bottom],
      [left, right],
      [0, 0],
    ];
    const g = p.groups;
    if (g === 1) return runConv2D(input, w, p.strides, pad, p.dilations);
    const [kh, kw, cin, cout] = w.shape;
    if (cin === 1) {
      // one input channel per group: exactly a depthwise convolution with multiplier cout / g
      return runDepthwise(input, tf.reshape(w, [kh, kw, g, cout / g]), p.strides, pad, p.dilations);
    }
    if (cout === g) {
      // one output channel per group: a depthwise convolution, then a sum over each group's inputs
      const filter = tf.reshape(tf.transpose(w, [0, 1, 3, 2]), [kh, kw, g * cin, 1]);
      const y = runDepthwise(input, filter, p.strides, pad, p.dilations);
      const [b, oh, ow] = y.shape;
      return tf.sum(tf.reshape(y, [b, oh, ow, g, cin]), 4);
    }
    const xs = tf.split(input, g, 3);
    const ws = tf.split(w, g, 3);
    return tf.concat(
      xs.map((xi, i) => runConv2D(xi, ws[i], p.strides, pad, p.dilations)),
      3,
    );
  });
}

// ---------------------------------------------------------------- rules

/** A transpose that degrades to a reshape when only size-1 axes move (no data movement). */
export function permute(x: AnyTensor, perm: readonly number[]): AnyTensor {
  const s = x.shape;
  const moving = perm.filter((a) => s[a] !== 1);
  if (moving.every((a, i) => i === 0 || a > moving[i - 1]))
    return reshape(
      x,
      perm.map((a) => s[a]),
    );
  return transpose(x, perm);
}

/**
 * `permute(t, perm)` for a 4-D t whose last axis holds `groups` groups of channels (group-major),
 * keeping the groups outermost on the last axis: [a, b, c, (g, d)] with perm [3, 1, 2, 0] gives
 * [d, b, c, (g, a)]. How the rules move channels between the roles of batch, input and output.
 */
function permuteGrouped(t: AnyTensor, groups: number, perm: readonly [number, number, number, number]): AnyTensor {
  if (groups === 1) return permute(t, perm);
  const [d0, d1, d2, d3] = t.shape;
  // split the last axis into [g, d]: the group is axis 3, a channel within it axis 4
  const [i0, i1, i2, i3] = perm.map((a) => (a === 3 ? 4 : a));
  const moved = permute(reshape(t, [d0, d1, d2, groups, d3 / groups]), [i0, i1, i2, 3, i3]);
  const [e0, e1, e2, , e4] = moved.shape;
  return reshape(moved, [e0, e1, e2, groups * e4]);
}

function bindConv(x: AnyTensor, w: AnyTensor, p: ConvParams): AnyTensor {
  return bind(conv2dP, [x, w], p);
}

/**
 * The adjoint of x -> conv2d(x, w) applied to `ct` (the input cotangent): a convolution of the
 * (stride-dilated) cotangent with the spatially flipped filter whose in/out channels are swapped
 * within each group. Also the transposed convolution.
 */
export function conv2dInputGrad(ct: AnyTensor, w: AnyTensor, p: ConvParams, xShape: readonly number[]): AnyTensor {
  const g = p.groups;
  // [kh, kw, cg, (g, o)] -> [kh, kw, o, (g, cg)]
  const flip = (f: AnyTensor) => permuteGrouped(reverse(f, [0, 1]), g, [0, 1, 3, 2]);
  // NOTE: one native pass on WASM: tfjs' Reverse kernel alone takes ~0.8 ms on a 3x3x32x64 filter
  const native = g === 1 && w.size > 0 && nativeAvailable(CONV2D_FLIP_FILTER_KERNEL);
  const swapped = native
    ? fused({ name: "conv2dFlipFilter", kernel: CONV2D_FLIP_FILTER_KERNEL, key: "groups 1", composite: ([f]) => [flip(f)] }, [w])[0]
    : flip(w);
  const cs = ct.shape;
  const axis = (i: 0 | 1): Pair => {
    const lhs = dilateSize(xShape[1 + i], p.lhsDilation[i]);
    const rhs = dilateSize(w.shape[i], p.dilations[i]);
    const out = dilateSize(cs[1 + i], p.strides[i]);
    const before = rhs - p.padding[i][0] - 1;
    return [before, lhs + rhs - 1 - out - before];
  };
  return bindConv(ct, swapped, {
    strides: p.lhsDilation,
    padding: [axis(0), axis(1)],
    dilations: p.dilations,
    lhsDilation: p.strides,
    groups: g,
    ...formulationOf(p),
  });
}

/**
 * Filter cotangent, with the cotangent as the filter: batch and channel axes of x swap roles,
 * the forward stride becomes the filter dilation (as in XLA's conv transpose rule).
 */
function filterGradCtAsFilter(x: AnyTensor, ct: AnyTensor, p: ConvParams, wShape: readonly number[]): AnyTensor {
  const [, h, wd] = x.shape;
  const g = p.groups;
  // x [B, H, W, (g, c)] -> [c, H, W, (g, B)]; ct [B, Ho, Wo, (g, o)] -> [Ho, Wo, B, (g, o)]
  const lhs = permuteGrouped(x, g, [3, 1, 2, 0]);
  const rhs = permute(ct, [1, 2, 0, 3]);
  const cs = ct.shape;
  const axis = (i: 0 | 1): Pair => {
    const lo = p.padding[i][0];
    const lhsD = dilateSize([h, wd][i], p.lhsDilation[i]);
    const rhsD = dilateSize(wShape[i], p.dilations[i]);
    const outD = dilateSize(cs[1 + i], p.strides[i]);
    return [lo, outD - lhsD + rhsD - lo - 1];
  };
  const dw = bindConv(lhs, rhs, {
    strides: p.dilations,
    padding: [axis(0), axis(1)],
    dilations: p.strides,
    lhsDilation: p.lhsDilation,
    groups: g,
    ...formulationOf(p),
  });
  return permute(dw, [1, 2, 0, 3]); // [c, kh, kw, cout] -> [kh, kw, c, cout]
}

/**
 * Filter cotangent, with x as the filter: a correlation of the (stride-dilated) cotangent with
 * x, flipped afterwards. Cheaper than the above when x is much smaller than the cotangent (few
 * input channels): XNNPACK repacks the filter operand on every call.
 */
function filterGradXAsFilter(x: AnyTensor, ct: AnyTensor, p: ConvParams, wShape: readonly number[]): AnyTensor {
  const [, h, wd] = x.shape;
  const cs = ct.shape;
  const g = p.groups;
  // ct [B, Ho, Wo, (g, o)] -> [o, Ho, Wo, (g, B)]; x [B, H, W, (g, c)] -> [H, W, B, (g, c)]
  const lhs = permuteGrouped(ct, g, [3, 1, 2, 0]);
  const rhs = permute(x, [1, 2, 0, 3]);
  const axis = (i: 0 | 1): Pair => {
    const lo = p.padding[i][0];
    const k = wShape[i];
    const before = (k - 1) * p.dilations[i] - lo;
    const xD = dilateSize([h, wd][i], p.lhsDilation[i]);
    const ctD = dilateSize(cs[1 + i], p.strides[i]);
    return [before, xD - ctD + lo];
  };
  const out = bindConv(lhs, rhs, {
    strides: p.dilations,
    padding: [axis(0), axis(1)],
    dilations: p.lhsDilation,
    lhsDilation: p.strides,
    groups: g,
    ...formulationOf(p),
  });
  const dw = reverse(out, [1, 2]); // [o, kh, kw, (g, c)]
  return permuteGrouped(dw, g, [1, 2, 3, 0]); // -> [kh, kw, c, (g, o)]
}

/** Patch sizes up to this (kh * kw * cin) make "auto" pick the patches formulation. */
const PATCHES_MAX = 32;

/**
 * Filter cotangent as one matrix product over the window pixels (im2col): a convolution with the
 * identity filter [kh, kw, cin, kh * kw * cin] copies each output position's window into
 * channels, P [m, k] (m = B * Ho * Wo positions, any strides, padding and dilations), and
 * dw[k, o] = sum_m P[m, k] ct[m, o]. Groups of one only. For few input channels (the first layer
 * of an image network): the convolution formulations above then make XNNPACK pack the whole
 * cotangent as a filter with ~9 output pixels, ~4x slower.
 * NOTE: the product is ct^T [o, m] @ P [m, k], not P^T @ ct: XNNPACK packs its right operand on
 * every call (~7 ns an element), so it must be the small P; and ct^T comes from a rank-3
 * transpose [B, Ho * Wo, o] -> [o, B, Ho * Wo], ~5x faster on WASM than the rank-2 [m, o] -> [o, m].
 */
function filterGradPatches(x: AnyTensor, ct: AnyTensor, p: ConvParams, wShape: readonly number[]): AnyTensor {
  const [kh, kw, cin, cout] = wShape;
  const k = kh * kw * cin;
  // [kh, kw, cin, k]: output channel (i, j, c) reads channel c at tap (i, j), an identity matrix
  const data = new Float32Array(k * k);
  for (let q = 0; q < k; q++) data[q * k + q] = 1;
  const eye = new Concrete(tf.tensor4d(data, [kh, kw, cin, k]));
  const patches = bindConv(x, eye, { ...p, groups: 1 });
  const [b, ho, wo] = ct.shape;
  const m = b * ho * wo;
  const ctT = reshape(permute(reshape(ct, [b, ho * wo, cout]), [2, 0, 1]), [cout, m]);
  const dwT = matmul(ctT, reshape(patches, [m, k])); // [cout, k]
  return reshape(permute(dwT, [1, 0]), wShape);
}

/**
 * The filter cotangent by the formulation `p.filterGrad` ("patches" with groups falls back to
 * "auto"'s choice between the other two), in primitives: the native kernel's composite.
 */
function filterGradComposite(x: AnyTensor, ct: AnyTensor, p: ConvParams, wShape: readonly number[]): AnyTensor {
  const formulation = p.filterGrad ?? "auto";
  const small = wShape[0] * wShape[1] * wShape[2] <= PATCHES_MAX;
  if (p.groups === 1 && (formulation === "patches" || (formulation === "auto" && small))) return filterGradPatches(x, ct, p, wShape);
  // NOTE: XNNPACK repacks the filter operand on every call and tiles output channels by 8, so
  // "auto" makes x the filter when it is the smaller tensor, has at least 8 channels, and the
  // forward conv is unstrided (else x-as-filter convolves a stride-dilated cotangent: ~10x slower).
  const cin = x.shape[3] / p.groups;
  const unstrided = p.strides.every((s) => s === 1);
  const pick = x.size < ct.size && cin >= 8 && unstrided ? "xAsFilter" : "ctAsFilter";
  const choice = formulation === "auto" || formulation === "patches" ? pick : formulation;
  return choice === "xAsFilter" ? filterGradXAsFilter(x, ct, p, wShape) : filterGradCtAsFilter(x, ct, p, wShape);
}

/**
 * The adjoint of w -> conv2d(x, w) applied to `ct` (the filter cotangent). With the "auto"
 * formulation, groups 1 and no input dilation, on WASM it is one fused op evaluated by the native
 * kernel (core/native/conv.c: implicit im2col, no transposes or flips), whose composite is
 * `filterGradComposite`; elsewhere, and for every derivative of it, the composite.
 */
export function conv2dFilterGrad(x: AnyTensor, ct: AnyTensor, p: ConvParams, wShape: readonly number[]): AnyTensor {
  const native =
    (p.filterGrad ?? "auto") === "auto" &&
    p.groups === 1 &&
    p.lhsDilation.every((d) => d === 1) &&
    x.size > 0 &&
    ct.size > 0 &&
    nativeAvailable(CONV2D_FILTER_GRAD_KERNEL);
  if (!native) return filterGradComposite(x, ct, p, wShape);
  const op: FusedOp = {
    name: "conv2dFilterGrad",
    kernel: CONV2D_FILTER_GRAD_KERNEL,
    attrs: {
      kernelSize: [wShape[0], wShape[1]],
      strides: [...p.strides],
      dilations: [...p.dilations],
      padStart: [p.padding[0][0], p.padding[1][0]],
    },
    composite: ([a, d]) => [filterGradComposite(a, d, p, wShape)],
    key: JSON.stringify([p, wShape]),
  };
  return fused(op, [x, ct])[0];
}

export const conv2dP: Primitive<ConvParams> = definePrimitive<ConvParams>({
  name: "conv2d",
  abstractEval([x, w], p) {
    const shape = convShape(x, w, p);
    checkFloat("conv2d", [x, w]);
    return { shape, dtype: "float32" };
  },
  impl: ([x, w], p) => convImpl(x, w, p),
  jvp([x, w], [tx, tw], p) {
    let t: AnyTensor | null = null;
    if (tx !== null) t = bindConv(tx, w, p);
    if (tw !== null) {
      const u = bindConv(x, tw, p);
      t = t === null ? u : add(t, u);
    }
    return t;
  },
  vjp: (ct, [x, w], p) => [conv2dInputGrad(ct, w, p, x.shape), conv2dFilterGrad(x, ct, p, w.shape)],
  batch([x, w], [bx, bw], p, n) {
    const xs = x.shape;
    const ws = w.shape;
    const g = p.groups;
    if (bx && !bw) {
      // fold the mapped axis into the batch: one big convolution
      const y = bindConv(reshape(x, [n * xs[1], ...xs.slice(2)]), w, p);
      return reshape(y, [n, xs[1], ...y.shape.slice(1)]);
    }
    if (!bx && bw) {
      // n filters side by side in the output channels: w [n, kh, kw, cg, (g, o)] -> [kh, kw, cg, (g, n, o)]
      const [, kh, kw, cg, cout] = ws;
      const cog = cout / g;
      const wAll = reshape(permute(reshape(w, [n, kh, kw, cg, g, cog]), [1, 2, 3, 4, 0, 5]), [kh, kw, cg, g * n * cog]);
      const y = bindConv(x, wAll, p);
      const [b, ho, wo] = y.shape;
      return reshape(permute(reshape(y, [b, ho, wo, g, n, cog]), [4, 0, 1, 2, 3, 5]), [n, b, ho, wo, cout]);
    }
    // both mapped (per-example filters, e.g. per-example gradients): n * g groups in one convolution
    const [, b, h, wd, c] = xs;
    const [, kh, kw, cg, cout] = ws;
    const xAll = reshape(permute(x, [1, 2, 3, 0, 4]), [b, h, wd, n * c]);
    const wAll = reshape(permute(w, [1, 2, 3, 0, 4]), [kh, kw, cg, n * cout]);
    const y = bindConv(xAll, wAll, { ...p, groups: n * g });
    const [, ho, wo] = y.shape;
    return permute(reshape(y, [b, ho, wo, n, cout]), [3, 0, 1, 2, 4]);
  },
});

// ---------------------------------------------------------------- untyped functions

/** Options of the untyped conv2d: the window options, feature groups, and the rules' formulation. */
export interface Conv2dCallOptions extends Conv2dOptions, ConvFormulation {
  /** Feature groups (default 1): the filter is [kh, kw, cin / groups, cout]. */
  readonly groups?: number;
}

/** Options of the untyped conv1d: the window options, feature groups, and the rules' formulation. */
export interface Conv1dCallOptions extends Conv1dOptions, ConvFormulation {
  /** Feature groups (default 1): the filter is [k, cin / groups, cout]. */
  readonly groups?: number;
}

/**
 * 2-D convolution (cross-correlation, as in every deep-learning library): x [batch, H, W, cin]
 * with filter [kh, kw, cin / groups, cout] gives [batch, H', W', cout], where per axis H' =
 * floor((H + padding - ((k - 1) * dilation + 1)) / stride) + 1 ("same": ceil(H / stride)).
 * ```ts
 * const y = conv2d(x, w, { strides: 1, padding: "same" });   // [64, 28, 28, 1] * [3, 3, 1, 32] -> [64, 28, 28, 32]
 * ```
 */
export function conv2d(x: AnyTensor, w: AnyTensor, options: Conv2dCallOptions = {}): AnyTensor {
  const xs = x.shape;
  const ws = w.shape;
  if (xs.length !== 4)
    throw new ShapeError(
      { op: "conv2d", expected: "x as [batch, H, W, C]", got: formatShape(xs) },
      `conv2d expects x as [batch, H, W, C], got ${formatShape(xs)}`,
    );
  if (ws.length !== 4)
    throw new ShapeError(
      { op: "conv2d", expected: "a filter [kh, kw, cin, cout]", got: formatShape(ws) },
      `conv2d expects the filter as [kh, kw, cin, cout], got ${formatShape(ws)}`,
    );
  const { strides, dilations, padding } = parseConv2dOptions("conv2d", options, ["groups", "filterGrad", "subpixel"]);
  const groups = positiveInt("conv2d", "groups", options.groups, 1);
  const eff: Pair = [dilateSize(ws[0], dilations[0]), dilateSize(ws[1], dilations[1])];
  const pads = resolvePadding(padding, [xs[1], xs[2]], eff, strides);
  return bindConv(x, w, { strides, padding: pads, dilations, lhsDilation: [1, 1], groups, ...formulationOf(options) });
}

/**
 * 1-D convolution over [batch, W, cin] with filter [k, cin / groups, cout], giving [batch, W', cout]:
 * a conv2d over a height-1 image.
 * ```ts
 * const y = conv1d(x, w, { padding: "same" });   // [8, 100, 4] * [5, 4, 16] -> [8, 100, 16]
 * ```
 */
export function conv1d(x: AnyTensor, w: AnyTensor, options: Conv1dCallOptions = {}): AnyTensor {
  const xs = x.shape;
  const ws = w.shape;
  if (xs.length !== 3)
    throw new ShapeError(
      { op: "conv1d", expected: "x as [batch, W, C]", got: formatShape(xs) },
      `conv1d expects x as [batch, W, C], got ${formatShape(xs)}`,
    );
  if (ws.length !== 3)
    throw new ShapeError(
      { op: "conv1d", expected: "a filter [k, cin, cout]", got: formatShape(ws) },
      `conv1d expects the filter as [k, cin, cout], got ${formatShape(ws)}`,
    );
  const { strides, dilations, padding } = parseConv1dOptions("conv1d", options, ["groups", "filterGrad", "subpixel"]);
  const groups = positiveInt("conv1d", "groups", options.groups, 1);
  if (xs[2] !== ws[1] * groups) {
    throw new ShapeError(
      { op: "conv1d", expected: `${ws[1] * groups} input channels`, got: `${xs[2]} channels` },
      groups === 1
        ? `conv1d: x has ${xs[2]} channels but the filter expects ${ws[1]} (${formatShape(ws)})`
        : `conv1d: x has ${xs[2]} channels but the filter expects ${ws[1]} per group x ${groups} groups (${formatShape(ws)})`,
    );
  }
  const pads = resolvePadding1d(padding, xs[1], dilateSize(ws[0], dilations), strides);
  // the 1-D message, before conv2d's about a height-1 image
  windowOut(
    { op: "conv1d", input: xs, kernel: ["filter", ws] },
    { axis: "width", size: xs[1], kernel: ws[0], stride: strides, padding: pads, dilation: dilations },
  );
  return scoped(() => {
    const y = bindConv(reshape(x, [xs[0], 1, xs[1], xs[2]]), reshape(w, [1, ...ws]), {
      strides: [1, strides],
      padding: [[0, 0], pads],
      dilations: [1, dilations],
      lhsDilation: [1, 1],
      groups,
      ...formulationOf(options),
    });
    const ys = y.shape;
    return reshape(y, [ys[0], ys[2], ys[3]]);
  }, leafTensors);
}

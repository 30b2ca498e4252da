// Convolution layers (NHWC / NWC, TensorFlow kernel layouts): conv1d, conv2d, conv2dTranspose.
// Shapes at the type level come from typelevel's Conv1d / Conv2d / ConvOutDim; at run time from
// the same formulas (core's windowOut), so both report the same text.
import type {
  Add,
  Conv1d,
  Conv2d,
  Dim,
  FloorDiv,
  IsAny,
  IsTuple,
  Mod,
  Mul,
  Shape,
  ShapeError,
  ShowDim,
  ShowShape,
  Sub,
} from "../../../typelevel/index.js";
import { formatShape, type Tensor } from "../../tensor/index.js";
import {
  bind,
  add,
  conv1d as conv1dOp,
  conv2dInputGrad,
  conv2dP,
  dilateSize,
  resolvePadding,
  windowOut,
  type Padding2d,
} from "../../core/index.js";
import { split } from "../../random/index.js";
import { glorotUniform, zeros, type Initializer } from "../init.js";
import type { LayerError, PositiveInt } from "../layer.js";
import { defineLayer, expectRank, positiveInt, positivePair, type TensorRecord } from "./define.js";

type Pair = readonly [number, number];

// ---------------------------------------------------------------- type-level helpers

/** O[K] when given, else Default. */
export type Opt<O, K extends string, Default> = O extends { readonly [P in K]: infer V }
  ? [V] extends [undefined]
    ? Default
    : Exclude<V, undefined>
  : Default;
/** T narrowed to U (an intersection would keep odd members such as `1 & [number, number]`). */
export type As<T, U> = T extends U ? T : never;
/** `3` -> [3, 3]; `[3, 5]` -> [3, 5]. */
export type PairOf<T> = T extends readonly [infer A extends number, infer B extends number] ? [A, B] : [T & number, T & number];
/** A typelevel error re-worded with the layer's name: "conv2d: height: ..." -> "conv2d(32, 3x3): height: ...". */
export type Renamed<R, Op extends string, Name extends string> =
  R extends ShapeError<`${Op}: ${infer M}`> ? ShapeError<`${Name}: ${M}`> : R;
/** Params of a conv layer: the kernel, and a bias unless `useBias: false`. */
export type ConvParams<Kernel extends Shape, F extends Dim, C> =
  Opt<C, "useBias", true> extends false ? { kernel: Tensor<Kernel> } : { kernel: Tensor<Kernel>; bias: Tensor<[F]> };
type Fail<O> = { out: O; params: never; state: {} };

/** Compile-time checks of a conv config's literal numbers. */
type ConvConfigCheck<O, Layer extends string> = PositiveInt<Opt<O, "filters", 1>, Layer, "filters"> &
  PositiveInt<Opt<O, "groups", 1>, Layer, "groups"> &
  (DividesOrUnknown<As<Opt<O, "filters", 1>, number>, As<Opt<O, "groups", 1>, number>> extends false
    ? ShapeError<`${Layer}: ${As<Opt<O, "filters", 1>, number>} filters do not split into ${As<Opt<O, "groups", 1>, number>} groups`>
    : unknown) &
  (PairOf<Opt<O, "kernel", 1>> extends [infer A, infer B] ? PositiveInt<A, Layer, "kernel"> & PositiveInt<B, Layer, "kernel"> : unknown);

// ---------------------------------------------------------------- conv2d

export interface Conv2dOptions {
  /** Output channels. */
  readonly filters: number;
  /** Window: one number or [h, w]. */
  readonly kernel: number | Pair;
  /** Step between windows: one number or [h, w]. Default 1. */
  readonly strides?: number | Pair;
  /** "valid" (default: no padding) or "same" (output ceil(in / stride)). */
  readonly padding?: "same" | "valid";
  /** Filter dilation (atrous convolution): one number or [h, w]. Default 1. */
  readonly dilation?: number | Pair;
  /** Feature groups: input and output channels split into `groups` independent convolutions. Default 1. */
  readonly groups?: number;
  /** Default true. */
  readonly useBias?: boolean;
  readonly kernelInit?: Initializer;
  readonly biasInit?: Initializer;
}

type Conv2dEntry<S extends Shape, C> = C extends { readonly filters: infer F extends number; readonly kernel: infer K }
  ? PairOf<K> extends [infer KH extends number, infer KW extends number]
    ? Conv2dShape<S, `conv2d(${F}, ${KH}x${KW})`, KH, KW, F, C, Opt<C, "groups", 1>>
    : never
  : never;

type Conv2dShape<S extends Shape, Name extends string, KH extends number, KW extends number, F extends number, C, G extends number> =
  IsAny<S> extends true
    ? { out: any; params: ConvParams<[KH, KW, number, F], F, C>; state: {} }
    : IsTuple<S> extends false
      ? { out: Dim[]; params: ConvParams<[KH, KW, number, F], F, C>; state: {} }
      : S extends readonly [Dim, Dim, Dim, infer Cin extends Dim]
        ? DividesOrUnknown<Cin, G> extends false
          ? Fail<ShapeError<`${Name}: ${ShowDim<Cin>} input channels do not split into ${G} groups (input ${ShowShape<S>})`>>
          : Conv2d<
                S,
                [KH, KW, Cin, F],
                As<Opt<C, "strides", 1>, number | Pair>,
                As<Opt<C, "padding", "valid">, "same" | "valid">,
                As<Opt<C, "dilation", 1>, number | Pair>
              > extends infer R
            ? [R] extends [Shape]
              ? { out: R; params: ConvParams<[KH, KW, FloorDiv<Cin, G>, F], F, C>; state: {} }
              : Fail<Renamed<R, "conv2d", Name>>
            : never
        : Fail<LayerError<Name, "[batch, H, W, C]", S>>;
/** false only when both are literals and G does not divide N. */
type DividesOrUnknown<N extends Dim, G extends number> = G extends 1
  ? true
  : Mod<N, G> extends infer R
    ? number extends R
      ? true
      : R extends 0
        ? true
        : false
    : never;

declare module "../layer.js" {
  interface LayerTypes<S extends Shape, C> {
    conv2d: Conv2dEntry<S, C>;
    conv1d: Conv1dEntry<S, C>;
    conv2dTranspose: Conv2dTransposeEntry<S, C>;
  }
}

/** The output length of one axis, or the reason there is none (same text as the type level). */
function axisOut(inSize: number, k: number, stride: number, padding: "same" | "valid", dilation: number): number | string {
  if (padding === "same") return Math.ceil(inSize / stride);
  return windowOut(inSize, k, stride, [0, 0], dilation, 1);
}

function initKernel(kernelInit: Initializer, biasInit: Initializer, useBias: boolean) {
  return (key: import("../layer.js").Key, kernelShape: readonly number[], filters: number): TensorRecord => {
    const [k1, k2] = split(key, 2);
    const kernel = kernelInit(k1, kernelShape);
    return useBias ? { kernel, bias: biasInit(k2, [filters]) } : { kernel };
  };
}

function checkPadding(layer: string, p: unknown): "same" | "valid" {
  if (p === undefined) return "valid";
  if (p !== "same" && p !== "valid") throw new Error(`${layer}: padding must be "same" or "valid", got ${JSON.stringify(p)}`);
  return p;
}

function checkOptions(layer: string, o: unknown): asserts o is Record<string, unknown> {
  if (o === null || typeof o !== "object") throw new Error(`${layer}: expected options { filters, kernel, ... }, got ${String(o)}`);
}

/**
 * 2-D convolution layer: `[batch, H, W, C] -> [batch, H', W', filters]`, kernel
 * `[kh, kw, C / groups, filters]` (glorotUniform), bias `[filters]` (zeros). Per axis
 * H' = ceil(H / stride) for "same", floor((H - ((k - 1) * dilation + 1)) / stride) + 1 for "valid".
 * ```ts
 * nn.input(["batch", 28, 28, 1]).add(nn.conv2d({ filters: 32, kernel: 3, padding: "same" }))   // ["batch", 28, 28, 32]
 * ```
 */
export function conv2d<const O extends Conv2dOptions>(options: O & ConvConfigCheck<O, "conv2d">) {
  checkOptions("conv2d", options);
  const o = options as Conv2dOptions;
  const filters = positiveInt("conv2d", "filters", o.filters);
  const [kh, kw] = positivePair("conv2d", "kernel", o.kernel);
  const strides = positivePair("conv2d", "strides", o.strides, [1, 1]);
  const dilation = positivePair("conv2d", "dilation", o.dilation, [1, 1]);
  const groups = positiveInt("conv2d", "groups", o.groups ?? 1);
  const padding = checkPadding("conv2d", o.padding);
  const useBias = o.useBias ?? true;
  const name = `conv2d(${filters}, ${kh}x${kw})`;
  if (filters % groups !== 0) throw new Error(`conv2d: ${filters} filters do not split into ${groups} groups`);
  const makeParams = initKernel(o.kernelInit ?? glorotUniform, o.biasInit ?? zeros, useBias);
  return defineLayer<"conv2d", O>({
    kind: "conv2d",
    name,
    config: options,
    outputShape(s) {
      expectRank(name, "[batch, H, W, C]", s, s.length === 4);
      const [b, h, w, c] = s;
      if (c % groups !== 0) throw new Error(`${name}: ${c} input channels do not split into ${groups} groups (input ${formatShape(s)})`);
      const where = `(input ${formatShape(s)}, filter ${formatShape([kh, kw, c, filters])})`;
      const oh = axisOut(h, kh, strides[0], padding, dilation[0]);
      const ow = axisOut(w, kw, strides[1], padding, dilation[1]);
      if (typeof oh === "string") throw new Error(`${name}: height: ${oh} ${where}`);
      if (typeof ow === "string") throw new Error(`${name}: width: ${ow} ${where}`);
      return [b, oh, ow, filters];
    },
    init: (key, s) => makeParams(key, [kh, kw, s[3] / groups, filters], filters),
    apply(p, x) {
      const s = x.shape;
      const eff: Pair = [dilateSize(kh, dilation[0]), dilateSize(kw, dilation[1])];
      const pads = resolvePadding(name, padding, [s[1], s[2]], eff, strides);
      const y = bind(conv2dP, [x, p.kernel], { strides, padding: pads, dilations: dilation, lhsDilation: [1, 1], groups });
      return useBias ? add(y, p.bias) : y;
    },
  });
}

// ---------------------------------------------------------------- conv1d

export interface Conv1dOptions {
  readonly filters: number;
  readonly kernel: number;
  /** Default 1. */
  readonly stride?: number;
  /** "valid" (default) or "same". "causal" is "valid" after left-padding the input by (k - 1) * dilation. */
  readonly padding?: "same" | "valid";
  readonly dilation?: number;
  readonly useBias?: boolean;
  readonly kernelInit?: Initializer;
  readonly biasInit?: Initializer;
}

type Conv1dEntry<S extends Shape, C> = C extends { readonly filters: infer F extends number; readonly kernel: infer K extends number }
  ? Conv1dShape<S, `conv1d(${F}, ${K})`, K, F, C>
  : never;
type Conv1dShape<S extends Shape, Name extends string, K extends number, F extends number, C> =
  IsAny<S> extends true
    ? { out: any; params: ConvParams<[K, number, F], F, C>; state: {} }
    : IsTuple<S> extends false
      ? { out: Dim[]; params: ConvParams<[K, number, F], F, C>; state: {} }
      : S extends readonly [Dim, Dim, infer Cin extends Dim]
        ? Conv1d<
            S,
            [K, Cin, F],
            As<Opt<C, "stride", 1>, number>,
            As<Opt<C, "padding", "valid">, "same" | "valid">,
            As<Opt<C, "dilation", 1>, number>
          > extends infer R
          ? [R] extends [Shape]
            ? { out: R; params: ConvParams<[K, Cin, F], F, C>; state: {} }
            : Fail<Renamed<R, "conv1d", Name>>
          : never
        : Fail<LayerError<Name, "[batch, W, C]", S>>;

/**
 * 1-D convolution layer over time series: `[batch, W, C] -> [batch, W', filters]`, kernel
 * `[k, C, filters]`.
 * ```ts
 * nn.input(["batch", 100, 3]).add(nn.conv1d({ filters: 16, kernel: 5 }))   // ["batch", 96, 16]
 * ```
 */
export function conv1d<const O extends Conv1dOptions>(options: O & ConvConfigCheck<O, "conv1d">) {
  checkOptions("conv1d", options);
  const o = options as Conv1dOptions;
  const filters = positiveInt("conv1d", "filters", o.filters);
  const k = positiveInt("conv1d", "kernel", o.kernel);
  const stride = positiveInt("conv1d", "stride", o.stride ?? 1);
  const dilation = positiveInt("conv1d", "dilation", o.dilation ?? 1);
  const padding = checkPadding("conv1d", o.padding);
  const useBias = o.useBias ?? true;
  const name = `conv1d(${filters}, ${k})`;
  const makeParams = initKernel(o.kernelInit ?? glorotUniform, o.biasInit ?? zeros, useBias);
  return defineLayer<"conv1d", O>({
    kind: "conv1d",
    name,
    config: options,
    outputShape(s) {
      expectRank(name, "[batch, W, C]", s, s.length === 3);
      const [b, w, c] = s;
      const ow = axisOut(w, k, stride, padding, dilation);
      if (typeof ow === "string")
        throw new Error(`${name}: width: ${ow} (input ${formatShape(s)}, filter ${formatShape([k, c, filters])})`);
      return [b, ow, filters];
    },
    init: (key, s) => makeParams(key, [k, s[2], filters], filters),
    apply(p, x) {
      const y = conv1dOp(x, p.kernel, { stride, padding, dilation });
      return useBias ? add(y, p.bias) : y;
    },
  });
}

// ---------------------------------------------------------------- conv2dTranspose

export interface Conv2dTransposeOptions {
  readonly filters: number;
  readonly kernel: number | Pair;
  /** Upsampling factor per axis. Default 1. */
  readonly strides?: number | Pair;
  /** "same": out = in * stride; "valid" (default): out = in * stride + max(k - stride, 0) (Keras). */
  readonly padding?: "same" | "valid";
  readonly useBias?: boolean;
  readonly kernelInit?: Initializer;
  readonly biasInit?: Initializer;
}

/** One axis of a transposed convolution (Keras' deconv_output_length without output padding). */
type TransposeOutDim<In extends Dim, K extends number, St extends number, P> =
  Mul<In, St> extends infer M extends Dim
    ? P extends "same"
      ? M
      : Sub<K, St> extends infer Extra extends number
        ? `${Extra}` extends `-${string}`
          ? M
          : Add<M, Extra>
        : never
    : never;

type Conv2dTransposeEntry<S extends Shape, C> = C extends { readonly filters: infer F extends number; readonly kernel: infer K }
  ? PairOf<K> extends [infer KH extends number, infer KW extends number]
    ? PairOf<Opt<C, "strides", 1>> extends [infer SH extends number, infer SW extends number]
      ? Conv2dTransposeShape<S, `conv2dTranspose(${F}, ${KH}x${KW})`, KH, KW, SH, SW, F, C>
      : never
    : never
  : never;
type Conv2dTransposeShape<
  S extends Shape,
  Name extends string,
  KH extends number,
  KW extends number,
  SH extends number,
  SW extends number,
  F extends number,
  C,
> =
  IsAny<S> extends true
    ? { out: any; params: ConvParams<[KH, KW, F, number], F, C>; state: {} }
    : IsTuple<S> extends false
      ? { out: Dim[]; params: ConvParams<[KH, KW, F, number], F, C>; state: {} }
      : S extends readonly [infer B extends Dim, infer H extends Dim, infer W extends Dim, infer Cin extends Dim]
        ? {
            out: [B, TransposeOutDim<H, KH, SH, Opt<C, "padding", "valid">>, TransposeOutDim<W, KW, SW, Opt<C, "padding", "valid">>, F];
            params: ConvParams<[KH, KW, F, Cin], F, C>;
            state: {};
          }
        : Fail<LayerError<Name, "[batch, H, W, C]", S>>;

/**
 * Transposed 2-D convolution (the adjoint of conv2d; "deconvolution" in autoencoders):
 * `[batch, H, W, C] -> [batch, H * stride (+ max(k - stride, 0) for "valid"), ..., filters]`,
 * kernel `[kh, kw, filters, C]` as in Keras. Runs as conv2d's input gradient, so it uses the
 * fast forward kernel and is differentiable again.
 * ```ts
 * nn.input(["batch", 7, 7, 16]).add(nn.conv2dTranspose({ filters: 8, kernel: 3, strides: 2, padding: "same" }))   // ["batch", 14, 14, 8]
 * ```
 */
export function conv2dTranspose<const O extends Conv2dTransposeOptions>(options: O & ConvConfigCheck<O, "conv2dTranspose">) {
  checkOptions("conv2dTranspose", options);
  const o = options as Conv2dTransposeOptions;
  const filters = positiveInt("conv2dTranspose", "filters", o.filters);
  const [kh, kw] = positivePair("conv2dTranspose", "kernel", o.kernel);
  const strides = positivePair("conv2dTranspose", "strides", o.strides, [1, 1]);
  const padding = checkPadding("conv2dTranspose", o.padding);
  const useBias = o.useBias ?? true;
  const name = `conv2dTranspose(${filters}, ${kh}x${kw})`;
  const makeParams = initKernel(o.kernelInit ?? glorotUniform, o.biasInit ?? zeros, useBias);
  const axis = (n: number, k: number, s: number) => (padding === "same" ? n * s : n * s + Math.max(k - s, 0));
  return defineLayer<"conv2dTranspose", O>({
    kind: "conv2dTranspose",
    name,
    config: options,
    outputShape(s) {
      expectRank(name, "[batch, H, W, C]", s, s.length === 4);
      return [s[0], axis(s[1], kh, strides[0]), axis(s[2], kw, strides[1]), filters];
    },
    init: (key, s) => makeParams(key, [kh, kw, filters, s[3]], filters),
    apply(p, x) {
      const [b, h, w] = x.shape;
      const out = [b, axis(h, kh, strides[0]), axis(w, kw, strides[1]), filters];
      // the forward convolution this one transposes maps `out` back to x's spatial size
      const pads: Padding2d =
        padding === "same"
          ? resolvePadding(name, "same", [out[1], out[2]], [kh, kw], strides)
          : [
              [0, 0],
              [0, 0],
            ];
      const y = conv2dInputGrad(x, p.kernel, { strides, padding: pads, dilations: [1, 1], lhsDilation: [1, 1], groups: 1 }, out);
      return useBias ? add(y, p.bias) : y;
    },
  });
}

// Convolution layers (NHWC / NWC, TensorFlow kernel layouts): conv1d, conv2d, conv2dTranspose.
// Their window options are core's one model (strides, dilations, padding: see core/window.ts),
// parsed by core's parser; shapes at the type level come from typelevel's Conv1d / Conv2d, at
// run time from the same formula (core's windowOut), so both report the same text.
import type {
  Add,
  Conv1d,
  Conv1dPadding,
  Conv2d,
  Dim,
  EffectiveKernel,
  FloorDiv,
  IsAny,
  IsTuple,
  Mod,
  Mul,
  Padding,
  Shape,
  ShapeError,
  ShowDim,
  ShowShape,
  Sub,
} from "../../../typelevel/index.js";
import { formatShape, type AnyTensor, type Tensor, ShapeError as ShapeErrorClass, ValueError } from "../../tensor/index.js";
import {
  add,
  checkOptionNames,
  conv1d as conv1dOp,
  conv2d as conv2dOp,
  conv2dInputGrad,
  dilateSize,
  parseConv1dOptions,
  parseConv2dOptions,
  positivePair,
  resolvePadding,
  resolvePadding1d,
  windowOut,
  windowOut2d,
  type Conv1dOptions as Conv1dWindowOptions,
  type Conv2dOptions as Conv2dWindowOptions,
  type Padding2d,
  type Pair,
} from "../../core/index.js";
import { split } from "../../random/index.js";
import { glorotUniform, zeros, type Initializer } from "../init.js";
import type { Key, LayerError, PositiveInt, FloatInput } from "../layer.js";
import { defineLayer, expectRank, positiveInt, type TensorRecord } from "./define.js";

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

/** True when N is a literal that is not a positive integer. */
type NotPositive<N> = number extends N
  ? false
  : N extends number
    ? `${N}` extends `-${string}` | "0" | `${string}.${string}` | `${string}e${string}`
      ? true
      : false
    : false;
/**
 * A compile-time check of a `number | [h, w]` option (kernel, strides, dilations, window): the
 * run-time text (core's positivePair) when a literal is not a positive integer, else `unknown`.
 */
export type PositivePair<V, Layer extends string, What extends string> =
  PairOf<V> extends [infer A, infer B]
    ? [NotPositive<A>, NotPositive<B>] extends [false, false]
      ? unknown
      : ShapeError<`${Layer}: ${What} must be a positive integer or [h, w] of positive integers, got ${V extends readonly [infer A extends number, infer B extends number] ? `[${A}, ${B}]` : `${V & number}`}`>
    : unknown;

/** "a, b, c": how messages list option names. */
type Join<T extends readonly string[]> = T extends readonly [infer H extends string, ...infer R extends readonly string[]]
  ? R extends readonly []
    ? H
    : `${H}, ${Join<R>}`
  : "";
/**
 * A compile-time check that O names only the options in Names (old names such as `dilation`
 * included), with the run-time text of core's checkOptionNames.
 */
export type KnownOptions<O, Names extends readonly string[], Layer extends string> = O extends number | readonly unknown[]
  ? unknown
  : Exclude<keyof O, Names[number]> extends infer K extends string
    ? [K] extends [never]
      ? unknown
      : ShapeError<`${Layer}: unknown option "${K}" (options: ${Join<Names>})`>
    : unknown;

/** Compile-time checks of a conv config's names and literal numbers; 2-D options take `number | [h, w]`. */
type ConvConfigCheck<O, Layer extends string, Rank extends 1 | 2, Names extends readonly string[] = typeof CONV_OPTIONS> = KnownOptions<
  O,
  Names,
  Layer
> &
  PositiveInt<Opt<O, "filters", 1>, Layer, "filters"> &
  PositiveInt<Opt<O, "groups", 1>, Layer, "groups"> &
  (DividesOrUnknown<As<Opt<O, "filters", 1>, number>, As<Opt<O, "groups", 1>, number>> extends false
    ? ShapeError<`${Layer}: ${As<Opt<O, "filters", 1>, number>} filters do not split into ${As<Opt<O, "groups", 1>, number>} groups`>
    : unknown) &
  (Rank extends 2
    ? PositivePair<Opt<O, "kernel", 1>, Layer, "kernel"> &
        PositivePair<Opt<O, "strides", 1>, Layer, "strides"> &
        PositivePair<Opt<O, "dilations", 1>, Layer, "dilations">
    : PositiveInt<Opt<O, "kernel", 1>, Layer, "kernel"> &
        PositiveInt<Opt<O, "strides", 1>, Layer, "strides"> &
        PositiveInt<Opt<O, "dilations", 1>, Layer, "dilations">);

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

/** The options of the conv layers (and their order in messages); conv2dTranspose has no groups. */
const CONV_OPTIONS = ["filters", "kernel", "strides", "padding", "dilations", "groups", "useBias", "kernelInit", "biasInit"] as const;
const CONV_TRANSPOSE_OPTIONS = [
  "filters",
  "kernel",
  "strides",
  "padding",
  "dilations",
  "outputPadding",
  "useBias",
  "kernelInit",
  "biasInit",
] as const;

/** What conv layers add to the window options. */
interface ConvLayerOptions {
  /** Output channels. */
  readonly filters: number;
  /** Feature groups: input and output channels split into `groups` independent convolutions. Default 1. */
  readonly groups?: number;
  /** Default true. */
  readonly useBias?: boolean;
  /** Default glorotUniform. */
  readonly kernelInit?: Initializer;
  /** Default zeros. */
  readonly biasInit?: Initializer;
}

// ---------------------------------------------------------------- conv2d

/** Options of nn.conv2d: the window options of every 2-D conv (strides, padding, dilations), plus the layer's own. */
export interface Conv2dOptions extends Conv2dWindowOptions, ConvLayerOptions {
  /** Window: one number or [h, w]. */
  readonly kernel: number | Pair;
}

type Conv2dEntry<S extends Shape, C> = C extends { readonly filters: infer F extends number; readonly kernel: infer K }
  ? PairOf<K> extends [infer KH extends number, infer KW extends number]
    ? Conv2dShape<S, `conv2d(${F}, ${KH}x${KW})`, KH, KW, F, C, Opt<C, "groups", 1>>
    : never
  : never;

type Conv2dShape<S extends Shape, Name extends string, KH extends number, KW extends number, F extends number, C, G extends number> =
  IsAny<S> extends true
    ? // eslint-disable-next-line @typescript-eslint/no-explicit-any -- an `any` shape (after an earlier error) stays `any`: one error per chain, not a cascade
      { out: any; params: ConvParams<[KH, KW, number, F], F, C>; state: {} }
    : IsTuple<S> extends false
      ? { out: Dim[]; params: ConvParams<[KH, KW, number, F], F, C>; state: {} }
      : S extends readonly [Dim, Dim, Dim, infer Cin extends Dim]
        ? DividesOrUnknown<Cin, G> extends false
          ? Fail<ShapeError<`${Name}: ${ShowDim<Cin>} input channels do not split into ${G} groups (input ${ShowShape<S>})`>>
          : Conv2d<
                S,
                [KH, KW, Cin, F],
                As<Opt<C, "strides", 1>, number | Pair>,
                As<Opt<C, "padding", "valid">, Padding>,
                As<Opt<C, "dilations", 1>, number | Pair>
              > extends infer R
            ? [R] extends [Shape]
              ? { out: R; params: ConvParams<[KH, KW, FloorDiv<Cin, G>, F], F, C>; state: {} }
              : Fail<Renamed<R, "conv2d", Name>>
            : never
        : Fail<LayerError<Name, "[batch, H, W, C]", S>>;

declare module "../layer.js" {
  interface LayerTypes<S extends Shape, C> {
    /** `[B, H, W, C] -> [B, H', W', filters]`; params kernel `[kh, kw, C / groups, filters]`, bias `[filters]`. */
    conv2d: Conv2dEntry<S, C> & FloatInput;
    /** `[B, W, C] -> [B, W', filters]`; params kernel `[k, C / groups, filters]`, bias `[filters]`. */
    conv1d: Conv1dEntry<S, C> & FloatInput;
    /** `[B, H, W, C] -> [B, H', W', filters]` (H' about H · strides); params kernel `[kh, kw, filters, C]`, bias `[filters]`. */
    conv2dTranspose: Conv2dTransposeEntry<S, C> & FloatInput;
  }
}

/** What every conv layer checks first: an options record that names only the layer's options. */
function checkOptions(layer: string, o: unknown, names: readonly string[]): asserts o is Record<string, unknown> {
  if (o === null || typeof o !== "object") {
    throw new ValueError(
      { op: layer, expected: "options { filters, kernel, ... }", got: String(o) },
      `${layer}: expected options { filters, kernel, ... }, got ${String(o)}`,
    );
  }
  checkOptionNames(layer, o, names);
}

/** Feature groups (default 1): a positive integer that divides the filters. */
function readGroups(layer: string, groups: number | undefined, filters: number): number {
  const g = positiveInt(layer, "groups", groups ?? 1);
  if (filters % g !== 0) {
    throw new ValueError(
      { op: layer, expected: `filters divisible by ${g} groups`, got: String(filters) },
      `${layer}: ${filters} filters do not split into ${g} groups`,
    );
  }
  return g;
}

/** Each group convolves C / groups of the input's C channels. */
function checkInputGroups(name: string, s: readonly number[], groups: number): void {
  const c = s[s.length - 1];
  if (c % groups !== 0) {
    throw new ShapeErrorClass(
      { op: name, expected: `input channels divisible by ${groups} groups`, got: formatShape(s) },
      `${name}: ${c} input channels do not split into ${groups} groups (input ${formatShape(s)})`,
    );
  }
}

/** A conv layer's kernel and bias (none with `useBias: false`): their initialization, and the bias added to the convolution. */
function kernelAndBias(o: Pick<ConvLayerOptions, "useBias" | "kernelInit" | "biasInit">) {
  const useBias = o.useBias ?? true;
  const kernelInit = o.kernelInit ?? glorotUniform;
  const biasInit = o.biasInit ?? zeros;
  return {
    init(key: Key, kernelShape: readonly number[], filters: number): TensorRecord {
      const [k1, k2] = split(key, 2);
      const kernel = kernelInit(k1, kernelShape);
      return useBias ? { kernel, bias: biasInit(k2, [filters]) } : { kernel };
    },
    addBias: (y: AnyTensor, p: TensorRecord): AnyTensor => (useBias ? add(y, p.bias) : y),
  };
}

/**
 * 2-D convolution layer: `[batch, H, W, C] -> [batch, H', W', filters]`, kernel
 * `[kh, kw, C / groups, filters]` (glorotUniform), bias `[filters]` (zeros). Per axis
 * H' = ceil(H / stride) for "same", else floor((H + pads - ((k - 1) * dilation + 1)) / stride) + 1.
 * ```ts
 * nn.input(["batch", 28, 28, 1]).add(nn.conv2d({ filters: 32, kernel: 3, padding: "same" }))   // ["batch", 28, 28, 32]
 * nn.input(["batch", 28, 28, 1]).add(nn.conv2d({ filters: 8, kernel: 3, padding: [[2, 0], [1, 1]], dilations: [1, 2] }))   // ["batch", 28, 26, 8]
 * ```
 */
export function conv2d<const O extends Conv2dOptions>(options: O & ConvConfigCheck<O, "conv2d", 2>) {
  checkOptions("conv2d", options, CONV_OPTIONS);
  const o = options as Conv2dOptions;
  const filters = positiveInt("conv2d", "filters", o.filters);
  const [kh, kw] = positivePair("conv2d", "kernel", o.kernel);
  const window = parseConv2dOptions("conv2d", o, CONV_OPTIONS);
  const { strides, dilations } = window;
  const groups = readGroups("conv2d", o.groups, filters);
  const params = kernelAndBias(o);
  const name = `conv2d(${filters}, ${kh}x${kw})`;
  return defineLayer<"conv2d", O>({
    kind: "conv2d",
    name,
    config: options,
    outputShape(s) {
      expectRank(name, "[batch, H, W, C]", s, s.length === 4);
      checkInputGroups(name, s, groups);
      const [b, h, w, c] = s;
      const eff: Pair = [dilateSize(kh, dilations[0]), dilateSize(kw, dilations[1])];
      const padding = resolvePadding(window.padding, [h, w], eff, strides);
      const [oh, ow] = windowOut2d(
        { op: name, input: s, kernel: ["filter", [kh, kw, c, filters]] },
        { spatial: [h, w], kernel: [kh, kw], strides, padding, dilations },
      );
      return [b, oh, ow, filters];
    },
    init: (key, s) => params.init(key, [kh, kw, s[3] / groups, filters], filters),
    apply: (p, x) => params.addBias(conv2dOp(x, p.kernel, { ...window, groups }), p),
  });
}

// ---------------------------------------------------------------- conv1d

/** Options of nn.conv1d: the 1-D window options (strides, padding, dilations as numbers), plus the layer's own. */
export interface Conv1dOptions extends Conv1dWindowOptions, ConvLayerOptions {
  /** Window length. */
  readonly kernel: number;
}

type Conv1dEntry<S extends Shape, C> = C extends { readonly filters: infer F extends number; readonly kernel: infer K extends number }
  ? Conv1dShape<S, `conv1d(${F}, ${K})`, K, F, C, Opt<C, "groups", 1>>
  : never;
type Conv1dShape<S extends Shape, Name extends string, K extends number, F extends number, C, G extends number> =
  IsAny<S> extends true
    ? // eslint-disable-next-line @typescript-eslint/no-explicit-any -- an `any` shape (after an earlier error) stays `any`: one error per chain, not a cascade
      { out: any; params: ConvParams<[K, number, F], F, C>; state: {} }
    : IsTuple<S> extends false
      ? { out: Dim[]; params: ConvParams<[K, number, F], F, C>; state: {} }
      : S extends readonly [Dim, Dim, infer Cin extends Dim]
        ? DividesOrUnknown<Cin, G> extends false
          ? Fail<ShapeError<`${Name}: ${ShowDim<Cin>} input channels do not split into ${G} groups (input ${ShowShape<S>})`>>
          : Conv1d<
                S,
                [K, Cin, F],
                As<Opt<C, "strides", 1>, number>,
                As<Opt<C, "padding", "valid">, Conv1dPadding>,
                As<Opt<C, "dilations", 1>, number>
              > extends infer R
            ? [R] extends [Shape]
              ? { out: R; params: ConvParams<[K, FloorDiv<Cin, G>, F], F, C>; state: {} }
              : Fail<Renamed<R, "conv1d", Name>>
            : never
        : Fail<LayerError<Name, "[batch, W, C]", S>>;

/**
 * 1-D convolution layer over time series: `[batch, W, C] -> [batch, W', filters]`, kernel
 * `[k, C / groups, filters]`. Padding "causal" (Keras' name; `[(k - 1) * dilations, 0]`) lets output t
 * see inputs up to t only: W' = ceil(W / strides). `groups` splits the channels into independent
 * convolutions (PyTorch's and Keras' `groups`; groups = C is a depthwise convolution).
 * ```ts
 * nn.input(["batch", 100, 3]).add(nn.conv1d({ filters: 16, kernel: 5 }))   // ["batch", 96, 16]
 * nn.input(["batch", 100, 4]).add(nn.conv1d({ filters: 8, kernel: 3, dilations: 2, padding: "causal", groups: 2 }))   // ["batch", 100, 8]
 * ```
 */
export function conv1d<const O extends Conv1dOptions>(options: O & ConvConfigCheck<O, "conv1d", 1>) {
  checkOptions("conv1d", options, CONV_OPTIONS);
  const o = options as Conv1dOptions;
  const filters = positiveInt("conv1d", "filters", o.filters);
  const k = positiveInt("conv1d", "kernel", o.kernel);
  const window = parseConv1dOptions("conv1d", o, CONV_OPTIONS);
  const { strides, dilations } = window;
  const groups = readGroups("conv1d", o.groups, filters);
  const params = kernelAndBias(o);
  const name = `conv1d(${filters}, ${k})`;
  return defineLayer<"conv1d", O>({
    kind: "conv1d",
    name,
    config: options,
    outputShape(s) {
      expectRank(name, "[batch, W, C]", s, s.length === 3);
      checkInputGroups(name, s, groups);
      const [b, w, c] = s;
      const padding = resolvePadding1d(window.padding, w, dilateSize(k, dilations), strides);
      const ow = windowOut(
        { op: name, input: s, kernel: ["filter", [k, c, filters]] },
        { axis: "width", size: w, kernel: k, stride: strides, padding, dilation: dilations },
      );
      return [b, ow, filters];
    },
    init: (key, s) => params.init(key, [k, s[2] / groups, filters], filters),
    apply: (p, x) => params.addBias(conv1dOp(x, p.kernel, { ...window, groups }), p),
  });
}

// ---------------------------------------------------------------- conv2dTranspose

/**
 * Options of nn.conv2dTranspose: the window options of conv2d and the layer's own (no groups).
 * "valid" and "same" name output sizes, as in Keras; a number or explicit pairs are the padding
 * of the convolution this one transposes, as in PyTorch (they crop the full output).
 */
export interface Conv2dTransposeOptions extends Conv2dWindowOptions, Omit<ConvLayerOptions, "groups"> {
  /** Window: one number or [h, w]. */
  readonly kernel: number | Pair;
  /**
   * Rows and columns added after the output (PyTorch's `output_padding`): one number or [h, w], each
   * smaller than max(stride, dilation). A strided conv maps several input sizes to one output size;
   * this picks which one the transpose gives back. Not with "same" (which fixes H' = H * stride).
   * Default 0.
   */
  readonly outputPadding?: number | Pair;
}

/** A transposed-conv axis whose padding crops the whole output (internal). */
interface Cropped<Msg extends string> {
  readonly __cropped: Msg;
}
/** Per-axis padding: [height, width]. */
type AxisPaddings<P> = P extends "same" | "valid"
  ? [P, P]
  : P extends number
    ? [[P, P], [P, P]]
    : P extends readonly [infer H, infer W]
      ? [H, W]
      : never;

/**
 * One axis of a transposed convolution, E the effective kernel, Op the output padding: "same"
 * In * St, "valid" In * St + max(E - St, 0) (Keras' deconv_output_length) or, with an output
 * padding, (In - 1) * St + E + Op; [b, a]: (In - 1) * St + E - b - a + Op (PyTorch's formula).
 */
type TransposeOutDim<In extends Dim, K extends number, St extends number, D extends number, P, Op extends number> =
  EffectiveKernel<K, D> extends infer E extends Dim
    ? P extends "same"
      ? Mul<In, St>
      : P extends "valid"
        ? Op extends 0
          ? Mul<In, St> extends infer M extends Dim
            ? Sub<E, St> extends infer Extra extends number
              ? `${Extra}` extends `-${string}`
                ? M
                : Add<M, Extra>
              : never
            : never
          : TransposeCropped<In, St, E, 0, 0, Op>
        : P extends readonly [infer B extends number, infer A extends number]
          ? TransposeCropped<In, St, E, B, A, Op>
          : never
    : never;
/** (In - 1) * St + E - b - a + Op, or Cropped when nothing is left. */
type TransposeCropped<In extends Dim, St extends number, E extends Dim, B extends number, A extends number, Op extends number> =
  Sub<In, 1> extends infer I1 extends Dim
    ? Mul<I1, St> extends infer M extends Dim
      ? Add<M, E> extends infer Full extends Dim
        ? Add<B, A> extends infer Pad extends Dim
          ? Sub<Full, Pad> extends infer R extends number
            ? `${R}` extends `-${string}` | "0"
              ? Cropped<`padding [${B}, ${A}] crops all of the full output ${Full & number}`>
              : Add<R, Op>
            : never
          : never
        : never
      : never
    : never;

type Conv2dTransposeEntry<S extends Shape, C> = C extends { readonly filters: infer F extends number; readonly kernel: infer K }
  ? PairOf<K> extends [infer KH extends number, infer KW extends number]
    ? Conv2dTransposeShape<S, `conv2dTranspose(${F}, ${KH}x${KW})`, KH, KW, F, C>
    : never
  : never;
type Conv2dTransposeShape<S extends Shape, Name extends string, KH extends number, KW extends number, F extends number, C> =
  IsAny<S> extends true
    ? // eslint-disable-next-line @typescript-eslint/no-explicit-any -- an `any` shape (after an earlier error) stays `any`: one error per chain, not a cascade
      { out: any; params: ConvParams<[KH, KW, F, number], F, C>; state: {} }
    : IsTuple<S> extends false
      ? { out: Dim[]; params: ConvParams<[KH, KW, F, number], F, C>; state: {} }
      : S extends readonly [infer B extends Dim, infer H extends Dim, infer W extends Dim, infer Cin extends Dim]
        ? [
            PairOf<Opt<C, "strides", 1>>,
            PairOf<Opt<C, "dilations", 1>>,
            AxisPaddings<As<Opt<C, "padding", "valid">, Padding>>,
            PairOf<Opt<C, "outputPadding", 0>>,
          ] extends [
            [infer SH extends number, infer SW extends number],
            [infer DH extends number, infer DW extends number],
            [infer PH, infer PW],
            [infer OPH extends number, infer OPW extends number],
          ]
          ? [TransposeOutDim<H, KH, SH, DH, PH, OPH>, TransposeOutDim<W, KW, SW, DW, PW, OPW>] extends [infer OH, infer OW]
            ? OH extends Cropped<infer M>
              ? Fail<ShapeError<`${Name}: height: ${M} (input ${ShowShape<S>}, filter ${ShowShape<[KH, KW, F, Cin]>})`>>
              : OW extends Cropped<infer M>
                ? Fail<ShapeError<`${Name}: width: ${M} (input ${ShowShape<S>}, filter ${ShowShape<[KH, KW, F, Cin]>})`>>
                : { out: [B, OH & Dim, OW & Dim, F]; params: ConvParams<[KH, KW, F, Cin], F, C>; state: {} }
            : never
          : never
        : Fail<LayerError<Name, "[batch, H, W, C]", S>>;

/** outputPadding: non-negative, smaller than max(stride, dilation) per axis (PyTorch's rule), never with "same". */
function readOutputPadding(o: Conv2dTransposeOptions, strides: Pair, dilations: Pair): Pair {
  const layer = "conv2dTranspose";
  const v = o.outputPadding ?? 0;
  const p = typeof v === "number" ? [v, v] : v;
  const ok = Array.isArray(p) && p.length === 2 && p.every((d) => typeof d === "number" && Number.isInteger(d) && d >= 0);
  const shown = Array.isArray(v) ? `[${v.join(", ")}]` : String(v);
  if (!ok) {
    throw new ValueError(
      { op: layer, expected: "a non-negative integer or [h, w] of them for outputPadding", got: shown },
      `${layer}: outputPadding must be a non-negative integer or [h, w] of non-negative integers, got ${shown}`,
    );
  }
  const pair: Pair = [p[0], p[1]];
  const limit: Pair = [Math.max(strides[0], dilations[0]), Math.max(strides[1], dilations[1])];
  if (pair[0] >= limit[0] || pair[1] >= limit[1]) {
    throw new ValueError(
      { op: layer, expected: `outputPadding smaller than max(strides, dilations) ${formatShape(limit)}`, got: shown },
      `${layer}: outputPadding must be smaller than max(strides, dilations) ${formatShape(limit)} per axis, got ${shown}`,
    );
  }
  if (o.padding === "same" && pair[0] + pair[1] > 0) {
    throw new ValueError(
      { op: layer, expected: 'outputPadding 0 with padding "same"', got: shown },
      `${layer}: outputPadding needs "valid" or explicit padding ("same" fixes the output at H * strides), got ${shown}`,
    );
  }
  return pair;
}

/**
 * Transposed 2-D convolution (the adjoint of conv2d; "deconvolution" in autoencoders):
 * `[batch, H, W, C] -> [batch, H', W', filters]`, kernel `[kh, kw, filters, C]` as in Keras.
 * Per axis, with E = (k - 1) * dilation + 1: "same" H' = H * stride, "valid" (default)
 * H * stride + max(E - stride, 0), padding [b, a] (H - 1) * stride + E - b - a + outputPadding
 * (PyTorch's ConvTranspose2d with padding p is [p, p]; "valid" with outputPadding is [0, 0]).
 * Runs as conv2d's input gradient, so it uses the fast forward kernel and is differentiable again.
 * ```ts
 * nn.input(["batch", 7, 7, 16]).add(nn.conv2dTranspose({ filters: 8, kernel: 3, strides: 2, padding: "same" }))   // ["batch", 14, 14, 8]
 * nn.input(["batch", 7, 7, 16]).add(nn.conv2dTranspose({ filters: 8, kernel: 4, strides: 2, padding: 1 }))   // ["batch", 14, 14, 8]
 * nn.input(["batch", 7, 7, 16]).add(nn.conv2dTranspose({ filters: 8, kernel: 3, strides: 2, padding: 1, outputPadding: 1 }))   // ["batch", 14, 14, 8]
 * ```
 */
export function conv2dTranspose<const O extends Conv2dTransposeOptions>(
  options: O & ConvConfigCheck<O, "conv2dTranspose", 2, typeof CONV_TRANSPOSE_OPTIONS>,
) {
  checkOptions("conv2dTranspose", options, CONV_TRANSPOSE_OPTIONS);
  const o = options as Conv2dTransposeOptions;
  const filters = positiveInt("conv2dTranspose", "filters", o.filters);
  const [kh, kw] = positivePair("conv2dTranspose", "kernel", o.kernel);
  const window = parseConv2dOptions("conv2dTranspose", o, CONV_TRANSPOSE_OPTIONS);
  const { strides, dilations } = window;
  const eff: Pair = [dilateSize(kh, dilations[0]), dilateSize(kw, dilations[1])];
  const outputPadding = readOutputPadding(o, strides, dilations);
  const hasOutputPadding = outputPadding[0] + outputPadding[1] > 0;
  // NOTE: "valid" and "same" are output sizes (Keras); explicit padding is the forward conv's (PyTorch).
  // With an output padding, "valid" is explicit padding 0 (Keras' formula then agrees with PyTorch's).
  const keras =
    (o.padding === undefined || o.padding === "valid") && !hasOutputPadding ? "valid" : o.padding === "same" ? "same" : undefined;
  const params = kernelAndBias(o);
  const name = `conv2dTranspose(${filters}, ${kh}x${kw})`;
  const outSize = (s: readonly number[], i: 0 | 1): number => {
    const [n, st] = [s[1 + i], strides[i]];
    if (keras === "same") return n * st;
    if (keras === "valid") return n * st + Math.max(eff[i] - st, 0);
    const [before, after] = (window.padding as Padding2d)[i];
    const full = (n - 1) * st + eff[i];
    if (full - before - after < 1) {
      throw new ShapeErrorClass(
        { op: name, expected: `padding smaller than the full output ${full}`, got: `[${before}, ${after}]` },
        `${name}: ${i === 0 ? "height" : "width"}: padding [${before}, ${after}] crops all of the full output ${full} ` +
          `(input ${formatShape(s)}, filter ${formatShape([kh, kw, filters, s[3]])})`,
      );
    }
    return full - before - after + outputPadding[i];
  };
  return defineLayer<"conv2dTranspose", O>({
    kind: "conv2dTranspose",
    name,
    config: options,
    outputShape(s) {
      expectRank(name, "[batch, H, W, C]", s, s.length === 4);
      return [s[0], outSize(s, 0), outSize(s, 1), filters];
    },
    init: (key, s) => params.init(key, [kh, kw, filters, s[3]], filters),
    apply(p, x) {
      const out = [x.shape[0], outSize(x.shape, 0), outSize(x.shape, 1), filters];
      // the forward convolution this one transposes maps `out` back to x's spatial size
      const padding = keras === "same" ? resolvePadding("same", [out[1], out[2]], eff, strides) : (window.padding as Padding2d);
      const y = conv2dInputGrad(x, p.kernel, { strides, padding, dilations, lhsDilation: [1, 1], groups: 1 }, out);
      return params.addBias(y, p);
    },
  });
}

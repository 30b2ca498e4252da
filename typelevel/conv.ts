// Convolutions and pooling (tfjs layouts: NHWC / NWC inputs, [kh, kw, cin, cout] filters).
/* eslint-disable @typescript-eslint/no-explicit-any -- any in, any out: after an earlier error the chain stays quiet (one error, not a cascade) */
import type { Add, CeilDiv, Compare, FloorDiv, Mul, Sub } from "./arith.js";
import type { ShapeError, ShowDim, ShowShape } from "./errors.js";
import type { Dim, IsAny, IsLiteral, IsTuple, LiteralsDiffer, Shape } from "./shape.js";

/**
 * Padding of a 2-D window op (conv2d, the 2-D pools, in ops and nn alike): "same", "valid", one
 * non-negative integer p for every side, or explicit [[top, bottom], [left, right]].
 */
export type Padding = "same" | "valid" | number | readonly [readonly [number, number], readonly [number, number]];
/** Padding of a 1-D window op (conv1d, the 1-D pools): "same", "valid", p for both sides, or [before, after]. */
export type Padding1d = "same" | "valid" | number | readonly [number, number];
/**
 * Padding of conv1d: the 1-D forms and "causal", [(k - 1) * dilation, 0] (Keras' `padding="causal"`):
 * output t sees inputs up to t only, and the length is ceil(W / stride).
 */
export type Conv1dPadding = Padding1d | "causal";

/** A failed output dim (internal): each op words the message with its own name and shapes. */
interface TooSmall<Msg extends string> {
  readonly __tooSmall: Msg;
}
/** Padding of one spatial axis. */
type AxisPadding = "same" | "valid" | "causal" | readonly [number, number];

/**
 * The output length of one spatial axis. Effective kernel = (K - 1) * Dilation + 1;
 * "valid": floor((In - eff) / Stride) + 1 (an error if In < eff); "same": ceil(In / Stride);
 * explicit p (or [before, after]): floor((In + before + after - eff) / Stride) + 1; "causal"
 * (conv1d's [eff - 1, 0]): ceil(In / Stride). `Ceil` (the pools' `ceilMode`, as PyTorch) rounds up
 * instead: ceil((In + before + after - eff) / Stride) + 1, less one when the last window would start
 * past In + before (in the padding after the input).
 * A symbolic In stays symbolic when the op cannot change it (stride 1 and "same", or a
 * 1-wide unpadded window); otherwise it becomes `number`.
 * @example ConvOutDim<28, 3, 2, "valid">  // 13
 * @example ConvOutDim<28, 3, 2, "valid", 1, true>  // 14
 */
export type ConvOutDim<
  In extends Dim,
  K extends number,
  Stride extends number,
  P extends Conv1dPadding,
  Dilation extends number = 1,
  Ceil extends boolean = false,
> =
  IsAny<In> extends true
    ? any
    : AxisOut<In, K, Stride, P extends number ? [P, P] : P, Dilation, Ceil> extends infer R
      ? R extends TooSmall<infer M>
        ? ShapeError<`conv: ${M}`>
        : R
      : never;

type AxisOut<
  In extends Dim,
  K extends number,
  Stride extends number,
  P extends AxisPadding,
  Dilation extends number,
  Ceil extends boolean = false,
> = P extends "same" | "causal"
  ? CeilDiv<In, Stride>
  : [PaddedLength<In, P>, EffectiveKernel<K, Dilation>] extends [infer Padded extends Dim, infer Eff extends Dim]
    ? [Eff, Stride] extends [1, 1]
      ? Padded
      : [IsLiteral<Padded>, IsLiteral<Eff>, Ceil] extends [true, true, true]
        ? CeilOut<In, P, Padded, Eff, Stride>
        : [IsLiteral<Padded>, IsLiteral<Eff>] extends [true, true]
          ? // A window as wide as its stride (the usual pooling): floor((In - K) / K) + 1 = floor(In / K).
            [Eff] extends [Stride]
            ? FloorDiv<Padded, Stride> extends infer Steps extends Dim
              ? Steps extends 0
                ? TooSmall<TooSmallMessage<P, Padded, Eff>>
                : Steps
              : never
            : Sub<Padded, Eff> extends infer Room extends number
              ? `${Room}` extends `-${string}`
                ? TooSmall<TooSmallMessage<P, Padded, Eff>>
                : FloorDiv<Room, Stride> extends infer Steps extends Dim
                  ? Add<Steps, 1>
                  : never
              : never
          : number
    : never;
/** ceilMode: ceil((Padded - Eff) / Stride) + 1 windows, less one if the last starts at or past In + before. */
type CeilOut<In extends Dim, P, Padded extends Dim, Eff extends Dim, Stride extends number> =
  Sub<Padded, Eff> extends infer Room extends number
    ? `${Room}` extends `-${string}`
      ? TooSmall<TooSmallMessage<P, Padded, Eff>>
      : CeilDiv<Room, Stride> extends infer Steps extends Dim
        ? [Mul<Steps, Stride>, Add<In, P extends readonly [infer b extends number, number] ? b : 0>] extends [
            infer LastStart extends Dim,
            infer Limit extends Dim,
          ]
          ? Compare<LastStart, Limit> extends -1
            ? Add<Steps, 1>
            : Steps
          : never
        : never
    : never;
type TooSmallMessage<P, Padded, Eff> =
  `${P extends "valid" ? "input" : "padded input"} ${Padded & number} is smaller than the effective kernel ${Eff & number}${P extends "valid" ? ` (padding "valid")` : ""}`;
// NOTE: nested arithmetic is bound through `infer` rather than written Add<Add<...>>: tsc
// would otherwise relate each inner conditional to the outer `Dim` constraint.
type PaddedLength<In extends Dim, P> = P extends readonly [infer b extends number, infer a extends number]
  ? Add<In, b> extends infer X extends Dim
    ? Add<X, a>
    : never
  : In;
/** The span of a dilated kernel: (K - 1) * Dilation + 1. */
export type EffectiveKernel<K extends number, Dilation extends number> = Dilation extends 1
  ? K
  : Sub<K, 1> extends infer K1 extends Dim
    ? Mul<K1, Dilation> extends infer S extends Dim
      ? Add<S, 1>
      : never
    : never;

/** A kernel dim as a number (a named kernel dim is unknown). */
type KernelSize<D> = D extends number ? D : number;
type Pair<T> = T extends readonly [infer A, infer B] ? [A, B] : [T, T];
/** Per-axis padding of a 2-D op: [height, width]. */
type Paddings2d<P extends Padding> = P extends "same" | "valid"
  ? [P, P]
  : P extends number
    ? [[P, P], [P, P]]
    : P extends readonly [infer H extends readonly [number, number], infer W extends readonly [number, number]]
      ? [H, W]
      : never;

/** The output [H', W'] of a 2-D window over [H, W], or a TooSmall naming the failing axis. */
type Spatial2d<
  H extends Dim,
  W extends Dim,
  KH extends number,
  KW extends number,
  Stride,
  P extends Padding,
  Dilation,
  Ceil extends boolean = false,
> = [Pair<Stride>, Pair<Dilation>, Paddings2d<P>] extends [
  [infer sh extends number, infer sw extends number],
  [infer dh extends number, infer dw extends number],
  [infer ph extends AxisPadding, infer pw extends AxisPadding],
]
  ? [AxisOut<H, KH, sh, ph, dh, Ceil>, AxisOut<W, KW, sw, pw, dw, Ceil>] extends [infer OH, infer OW]
    ? OH extends TooSmall<infer M>
      ? TooSmall<`height: ${M}`>
      : OW extends TooSmall<infer M>
        ? TooSmall<`width: ${M}`>
        : [OH, OW]
    : never
  : never;

/**
 * 2-D convolution: X [batch, H, W, C] (NHWC) with filter F [kh, kw, cin, cout], C = cin,
 * gives [batch, H', W', cout] (see ConvOutDim). Stride and dilation may be one number or
 * an [h, w] pair.
 * @example Conv2d<["batch", 28, 28, 1], [3, 3, 1, 32], 1, "same">  // ["batch", 28, 28, 32]
 */
export type Conv2d<
  X extends Shape,
  F extends Shape,
  Stride extends number | readonly [number, number] = 1,
  P extends Padding = "valid",
  Dilation extends number | readonly [number, number] = 1,
> =
  IsAny<X | F> extends true
    ? any
    : [IsTuple<X>, IsTuple<F>] extends [true, true]
      ? X extends readonly [infer B extends Dim, infer H extends Dim, infer W extends Dim, infer C extends Dim]
        ? F extends readonly [infer KH extends Dim, infer KW extends Dim, infer CIn extends Dim, infer COut extends Dim]
          ? LiteralsDiffer<C, CIn> extends true
            ? ShapeError<`conv2d: filter ${ShowShape<F>} expects ${ShowDim<CIn>} input channels, got ${ShowDim<C>} (input ${ShowShape<X>})`>
            : Spatial2d<H, W, KernelSize<KH>, KernelSize<KW>, Stride, P, Dilation> extends infer R
              ? R extends TooSmall<infer M>
                ? ShapeError<`conv2d: ${M} (input ${ShowShape<X>}, filter ${ShowShape<F>})`>
                : R extends [infer OH extends Dim, infer OW extends Dim]
                  ? [B, OH, OW, COut]
                  : never
              : never
          : ShapeError<`conv2d expects a filter [kh, kw, cin, cout], got ${ShowShape<F>}`>
        : ShapeError<`conv2d expects [batch, H, W, C], got ${ShowShape<X>}`>
      : Dim[];

/**
 * 1-D convolution: X [batch, W, C] with filter F [k, cin, cout], C = cin, gives [batch, W', cout].
 * @example Conv1d<["batch", 100, 8], [5, 8, 16], 1, "valid">  // ["batch", 96, 16]
 * @example Conv1d<["batch", 100, 8], [5, 8, 16], 1, "causal">  // ["batch", 100, 16] (as [4, 0])
 */
export type Conv1d<
  X extends Shape,
  F extends Shape,
  Stride extends number = 1,
  P extends Conv1dPadding = "valid",
  Dilation extends number = 1,
> =
  IsAny<X | F> extends true
    ? any
    : [IsTuple<X>, IsTuple<F>] extends [true, true]
      ? X extends readonly [infer B extends Dim, infer W extends Dim, infer C extends Dim]
        ? F extends readonly [infer K extends Dim, infer CIn extends Dim, infer COut extends Dim]
          ? LiteralsDiffer<C, CIn> extends true
            ? ShapeError<`conv1d: filter ${ShowShape<F>} expects ${ShowDim<CIn>} input channels, got ${ShowDim<C>} (input ${ShowShape<X>})`>
            : AxisOut<W, KernelSize<K>, Stride, P extends number ? [P, P] : P, Dilation> extends infer OW
              ? OW extends TooSmall<infer M>
                ? ShapeError<`conv1d: width: ${M} (input ${ShowShape<X>}, filter ${ShowShape<F>})`>
                : [B, OW & Dim, COut]
              : never
          : ShapeError<`conv1d expects a filter [k, cin, cout], got ${ShowShape<F>}`>
        : ShapeError<`conv1d expects [batch, W, C], got ${ShowShape<X>}`>
      : Dim[];

/** The window of pool options, which give it alone (`2`, `[2, 3]`) or as `{ window, strides?, padding? }`. */
export type WindowOf<O> = O extends { readonly window: infer W } ? W : O;
/** The `ceilMode` of pool options: true only when given as the literal true. */
export type CeilModeOf<O> = O extends { readonly ceilMode: true } ? true : false;

/**
 * 2-D pooling (max or average): X [batch, H, W, C] -> [batch, H', W', C]. The stride
 * defaults to the window. `Op` names the op in messages ("maxPool2d", "avgPool2d"); `Ceil` is
 * `ceilMode` (see ConvOutDim).
 * @example Pool2d<["batch", 28, 28, 32], 2>  // ["batch", 14, 14, 32]
 * @example Pool2d<["batch", 7, 7, 32], 2, 2, "valid", "maxPool2d", true>  // ["batch", 4, 4, 32]
 */
export type Pool2d<
  X extends Shape,
  Window extends number | readonly [number, number],
  Stride extends number | readonly [number, number] = Window,
  P extends Padding = "valid",
  Op extends string = "pool2d",
  Ceil extends boolean = false,
> =
  IsAny<X> extends true
    ? any
    : IsTuple<X> extends true
      ? X extends readonly [infer B extends Dim, infer H extends Dim, infer W extends Dim, infer C extends Dim]
        ? Pair<Window> extends [infer KH extends number, infer KW extends number]
          ? Spatial2d<H, W, KH, KW, Stride, P, 1, Ceil> extends infer R
            ? R extends TooSmall<infer M>
              ? ShapeError<`${Op}: ${M} (input ${ShowShape<X>}, window ${ShowShape<Pair<Window>>})`>
              : R extends [infer OH extends Dim, infer OW extends Dim]
                ? [B, OH, OW, C]
                : never
            : never
          : never
        : ShapeError<`${Op} expects [batch, H, W, C], got ${ShowShape<X>}`>
      : Dim[];

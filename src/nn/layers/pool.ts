// Pooling layers: maxPool1d/2d, avgPool1d/2d (windows), global pools (mean or max over space).
// 1-D pools run as 2-D pools over a height-1 image.
import type {
  CeilModeOf,
  ConvOutDim,
  Dim,
  IsAny,
  IsTuple,
  Padding,
  Padding1d,
  Pool2d,
  Shape,
  ShapeError,
  ShowShape,
  WindowOf,
} from "../../../typelevel/index.js";
import type { AnyTensor } from "../../tensor/index.js";
import {
  avgPool2d as avgPoolOp,
  ceilModeExtra,
  globalAvgPool2d as globalAvgOp,
  globalMaxPool2d as globalMaxOp,
  maxPool2d as maxPoolOp,
  parsePool1dOptions,
  parsePool2dOptions,
  resolvePadding,
  resolvePadding1d,
  windowOut,
  windowOut2d,
  reshape,
  max,
  sum,
  mul,
  type Pair,
  type Pool1dOptions,
  type Pool2dOptions,
  type AvgPool1dOptions,
  type AvgPool2dOptions,
  type POOL_OPTION_NAMES,
  type AVG_POOL_OPTION_NAMES,
} from "../../core/index.js";
import type { LayerError, PositiveInt } from "../layer.js";
import { defineLayer, expectRank, showWindow } from "./define.js";
import type { As, KnownOptions, Opt, PairOf, PositivePair } from "./conv.js";

// One options model with core and ops (core/window.ts): a window alone, or { window, strides?, padding?, ceilMode? }
// (average pools: and countIncludePad?).
export type { Pool1dOptions, Pool2dOptions, AvgPool1dOptions, AvgPool2dOptions };

type ShowWin<W> = PairOf<W> extends [infer A extends number, infer B extends number] ? `${A}x${B}` : never;
type Pool2dEntry<S extends Shape, O, Op extends string> =
  WindowOf<O> extends infer W extends number | Pair
    ? Pool2d<
        S,
        W,
        As<Opt<O, "strides", W>, number | Pair>,
        As<Opt<O, "padding", "valid">, Padding>,
        `${Op}(${ShowWin<W>})`,
        CeilModeOf<O>
      > extends infer R
      ? { out: R; params: {}; state: {} }
      : never
    : never;

type Pool1dEntry<S extends Shape, O, Op extends string> =
  WindowOf<O> extends infer K extends number
    ? Pool1dShape<S, K, As<Opt<O, "strides", K>, number>, As<Opt<O, "padding", "valid">, Padding1d>, `${Op}(${K})`, CeilModeOf<O>>
    : never;
type Pool1dShape<S extends Shape, K extends number, St extends number, P extends Padding1d, Name extends string, Ceil extends boolean> =
  IsAny<S> extends true
    ? // eslint-disable-next-line @typescript-eslint/no-explicit-any -- an `any` shape (after an earlier error) stays `any`: one error per chain, not a cascade
      { out: any; params: {}; state: {} }
    : IsTuple<S> extends false
      ? { out: Dim[]; params: {}; state: {} }
      : S extends readonly [infer B extends Dim, infer W extends Dim, infer C extends Dim]
        ? ConvOutDim<W, K, St, P, 1, Ceil> extends infer OW
          ? OW extends ShapeError<`conv: ${infer M}`>
            ? { out: ShapeError<`${Name}: width: ${M} (input ${ShowShape<S>}, window [${K}])`>; params: {}; state: {} }
            : { out: [B, OW & Dim, C]; params: {}; state: {} }
          : never
        : { out: LayerError<Name, "[batch, W, C]", S>; params: {}; state: {} };

type GlobalEntry<S extends Shape, Name extends string, Rank extends 3 | 4> =
  IsAny<S> extends true
    ? // eslint-disable-next-line @typescript-eslint/no-explicit-any -- an `any` shape (after an earlier error) stays `any`: one error per chain, not a cascade
      { out: any; params: {}; state: {} }
    : IsTuple<S> extends false
      ? { out: Dim[]; params: {}; state: {} }
      : Rank extends 4
        ? S extends readonly [infer B extends Dim, Dim, Dim, infer C extends Dim]
          ? { out: [B, C]; params: {}; state: {} }
          : { out: LayerError<Name, "[batch, H, W, C]", S>; params: {}; state: {} }
        : S extends readonly [infer B extends Dim, Dim, infer C extends Dim]
          ? { out: [B, C]; params: {}; state: {} }
          : { out: LayerError<Name, "[batch, W, C]", S>; params: {}; state: {} };

declare module "../layer.js" {
  interface LayerTypes<S extends Shape, C> {
    /** `[B, H, W, C] -> [B, H', W', C]`; no params, no state. */
    maxPool2d: Pool2dEntry<S, C, "maxPool2d">;
    /** `[B, H, W, C] -> [B, H', W', C]`; no params, no state. */
    avgPool2d: Pool2dEntry<S, C, "avgPool2d">;
    /** `[B, W, C] -> [B, W', C]`; no params, no state. */
    maxPool1d: Pool1dEntry<S, C, "maxPool1d">;
    /** `[B, W, C] -> [B, W', C]`; no params, no state. */
    avgPool1d: Pool1dEntry<S, C, "avgPool1d">;
    /** `[B, H, W, C] -> [B, C]`; no params, no state. */
    globalAvgPool2d: GlobalEntry<S, "globalAvgPool2d", 4>;
    /** `[B, H, W, C] -> [B, C]`; no params, no state. */
    globalMaxPool2d: GlobalEntry<S, "globalMaxPool2d", 4>;
    /** `[B, W, C] -> [B, C]`; no params, no state. */
    globalAvgPool1d: GlobalEntry<S, "globalAvgPool1d", 3>;
    /** `[B, W, C] -> [B, C]`; no params, no state. */
    globalMaxPool1d: GlobalEntry<S, "globalMaxPool1d", 3>;
  }
}

/** Compile-time checks of a pool config's names, literal window and strides (the run-time texts). */
type WindowCheck<O, Op extends string> = KnownOptions<O, PoolNames<Op>, Op> &
  PositivePair<WindowOf<O>, Op, "window"> &
  PositivePair<Opt<O, "strides", 1>, Op, "strides">;
type WindowCheck1d<O, Op extends string> = KnownOptions<O, PoolNames<Op>, Op> &
  PositiveInt<WindowOf<O>, Op, "window"> &
  PositiveInt<Opt<O, "strides", 1>, Op, "strides">;
/** Average pools also take countIncludePad. */
type PoolNames<Op extends string> = Op extends `avg${string}` ? typeof AVG_POOL_OPTION_NAMES : typeof POOL_OPTION_NAMES;

/** One axis of a pool layer: its padding, with what ceilMode adds after. */
function poolAxisPadding(size: number, k: number, stride: number, padding: Pair, ceilMode: boolean): Pair {
  return [padding[0], padding[1] + ceilModeExtra(size, k, stride, padding, ceilMode)];
}

function pool2dLayer<K extends "maxPool2d" | "avgPool2d", O>(kind: K, options: O) {
  const { window, strides, padding, ceilMode, countIncludePad } = parsePool2dOptions(kind, options);
  const name = `${kind}(${showWindow(window)})`;
  const apply =
    kind === "maxPool2d"
      ? (x: AnyTensor) => maxPoolOp(x, { window, strides, padding, ceilMode })
      : (x: AnyTensor) => avgPoolOp(x, { window, strides, padding, ceilMode, countIncludePad });
  return defineLayer<K, O>({
    kind,
    name,
    config: options,
    outputShape(s) {
      expectRank(name, "[batch, H, W, C]", s, s.length === 4);
      const pads = resolvePadding(padding, [s[1], s[2]], window, strides);
      const [oh, ow] = windowOut2d(
        { op: name, input: s, kernel: ["window", window] },
        {
          spatial: [s[1], s[2]],
          kernel: window,
          strides,
          padding: [
            poolAxisPadding(s[1], window[0], strides[0], pads[0], ceilMode),
            poolAxisPadding(s[2], window[1], strides[1], pads[1], ceilMode),
          ],
        },
      );
      return [s[0], oh, ow, s[3]];
    },
    apply: (_p, x) => apply(x),
  });
}

function pool1dLayer<K extends "maxPool1d" | "avgPool1d", O>(kind: K, options: O) {
  const { window: k, strides, padding, ceilMode, countIncludePad } = parsePool1dOptions(kind, options);
  const name = `${kind}(${k})`;
  const op = kind === "maxPool1d" ? maxPoolOp : avgPoolOp;
  return defineLayer<K, O>({
    kind,
    name,
    config: options,
    outputShape(s) {
      expectRank(name, "[batch, W, C]", s, s.length === 3);
      const pads = poolAxisPadding(s[1], k, strides, resolvePadding1d(padding, s[1], k, strides), ceilMode);
      const ow = windowOut(
        { op: name, input: s, kernel: ["window", [k]] },
        { axis: "width", size: s[1], kernel: k, stride: strides, padding: pads },
      );
      return [s[0], ow, s[2]];
    },
    apply(_p, x) {
      const [b, w, c] = x.shape;
      // a 2-D pool over a height-1 image ("same" keeps height 1: a 1-high window needs no padding)
      const y = op(reshape(x, [b, 1, w, c]), {
        window: [1, k],
        strides: [1, strides],
        padding: padding === "same" ? "same" : [[0, 0], padding],
        ceilMode,
        ...(kind === "avgPool1d" ? { countIncludePad } : {}),
      });
      const ys = y.shape;
      return reshape(y, [b, ys[2], c]);
    },
  });
}

/**
 * Max of each window, per channel: `[batch, H, W, C] -> [batch, H', W', C]`; the window alone
 * means stride = window and "valid". `ceilMode: true` rounds the window count up (PyTorch's `ceil_mode`).
 * ```ts
 * nn.input(["batch", 28, 28, 32]).add(nn.maxPool2d(2))   // ["batch", 14, 14, 32]
 * nn.input(["batch", 7, 7, 32]).add(nn.maxPool2d({ window: 2, ceilMode: true }))   // ["batch", 4, 4, 32]
 * ```
 */
export function maxPool2d<const O extends number | Pair | Pool2dOptions>(options: O & WindowCheck<O, "maxPool2d">) {
  return pool2dLayer("maxPool2d", options as O);
}

/**
 * Mean of each window's real (unpadded) pixels, per channel: `[batch, H, W, C] -> [batch, H', W', C]`.
 * `countIncludePad: true` divides by the whole window, padding included (PyTorch's default);
 * `ceilMode: true` rounds the window count up.
 * ```ts
 * nn.input(["batch", 8, 8, 16]).add(nn.avgPool2d({ window: 3, strides: 2, padding: 1, countIncludePad: true }))   // ["batch", 4, 4, 16]
 * ```
 */
export function avgPool2d<const O extends number | Pair | AvgPool2dOptions>(options: O & WindowCheck<O, "avgPool2d">) {
  return pool2dLayer("avgPool2d", options as O);
}

/**
 * Max of each window over time, per channel: `[batch, W, C] -> [batch, W', C]`.
 * ```ts
 * nn.input(["batch", 100, 16]).add(nn.maxPool1d(2))   // ["batch", 50, 16]
 * ```
 */
export function maxPool1d<const O extends number | Pool1dOptions>(options: O & WindowCheck1d<O, "maxPool1d">) {
  return pool1dLayer("maxPool1d", options as O);
}

/** Mean of each window over time, per channel: `[batch, W, C] -> [batch, W', C]` (options as avgPool2d's, with numbers). */
export function avgPool1d<const O extends number | AvgPool1dOptions>(options: O & WindowCheck1d<O, "avgPool1d">) {
  return pool1dLayer("avgPool1d", options as O);
}

function globalLayer<K extends "globalAvgPool2d" | "globalMaxPool2d" | "globalAvgPool1d" | "globalMaxPool1d">(
  kind: K,
  rank: 3 | 4,
  f: (x: AnyTensor) => AnyTensor,
) {
  const expected = rank === 4 ? "[batch, H, W, C]" : "[batch, W, C]";
  return defineLayer<K, {}>({
    kind,
    name: kind,
    config: {},
    outputShape(s) {
      expectRank(kind, expected, s, s.length === rank);
      return [s[0], s[rank - 1]];
    },
    apply: (_p, x) => f(x),
  });
}

/** Mean over H and W: `[batch, H, W, C] -> [batch, C]`. */
export const globalAvgPool2d = () => globalLayer("globalAvgPool2d", 4, (x) => globalAvgOp(x));
/** Max over H and W: `[batch, H, W, C] -> [batch, C]`. */
export const globalMaxPool2d = () => globalLayer("globalMaxPool2d", 4, (x) => globalMaxOp(x));
/** Mean over time: `[batch, W, C] -> [batch, C]`. */
export const globalAvgPool1d = () => globalLayer("globalAvgPool1d", 3, (x) => mul(sum(x, 1), 1 / x.shape[1]));
/** Max over time: `[batch, W, C] -> [batch, C]`. */
export const globalMaxPool1d = () => globalLayer("globalMaxPool1d", 3, (x) => max(x, 1));

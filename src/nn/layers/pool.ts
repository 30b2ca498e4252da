// Pooling layers: maxPool1d/2d, avgPool1d/2d (windows), global pools (mean or max over space).
// 1-D pools run as 2-D pools over a height-1 image.
import type { ConvOutDim, Dim, IsAny, IsTuple, Pool2d, Shape, ShapeError, ShowShape } from "../../../typelevel/index.js";
import { formatShape, type AnyTensor } from "../../tensor/index.js";
import {
  avgPool2d as avgPoolOp,
  globalAvgPool2d as globalAvgOp,
  globalMaxPool2d as globalMaxOp,
  maxPool2d as maxPoolOp,
  resolvePadding,
  windowOut,
  reshape,
  max,
  sum,
  mul,
} from "../../core/index.js";
import type { LayerError, PositiveInt } from "../layer.js";
import { defineLayer, expectRank, positiveInt, positivePair, showWindow } from "./define.js";
import type { As, Opt, PairOf } from "./conv.js";

type Pair = readonly [number, number];

/** A window alone (stride = window, "valid") or full options. */
export interface Pool2dOptions {
  readonly window: number | Pair;
  /** Default: the window (non-overlapping). */
  readonly strides?: number | Pair;
  /** "valid" (default) or "same"; padded pixels are ignored. */
  readonly padding?: "same" | "valid";
}
export interface Pool1dOptions {
  readonly window: number;
  readonly stride?: number;
  readonly padding?: "same" | "valid";
}

type WindowOf<O> = O extends { readonly window: infer W } ? W : O;
type ShowWin<W> = PairOf<W> extends [infer A extends number, infer B extends number] ? `${A}x${B}` : never;
type Pool2dEntry<S extends Shape, O, Op extends string> =
  WindowOf<O> extends infer W extends number | Pair
    ? Pool2d<
        S,
        W,
        As<Opt<O, "strides", W>, number | Pair>,
        As<Opt<O, "padding", "valid">, "same" | "valid">,
        `${Op}(${ShowWin<W>})`
      > extends infer R
      ? { out: R; params: {}; state: {} }
      : never
    : never;

type Pool1dEntry<S extends Shape, O, Op extends string> =
  WindowOf<O> extends infer K extends number
    ? Pool1dShape<S, K, As<Opt<O, "stride", K>, number>, As<Opt<O, "padding", "valid">, "same" | "valid">, `${Op}(${K})`>
    : never;
type Pool1dShape<S extends Shape, K extends number, St extends number, P extends "same" | "valid", Name extends string> =
  IsAny<S> extends true
    ? { out: any; params: {}; state: {} }
    : IsTuple<S> extends false
      ? { out: Dim[]; params: {}; state: {} }
      : S extends readonly [infer B extends Dim, infer W extends Dim, infer C extends Dim]
        ? ConvOutDim<W, K, St, P> extends infer OW
          ? OW extends ShapeError<`conv: ${infer M}`>
            ? { out: ShapeError<`${Name}: width: ${M} (input ${ShowShape<S>}, window [${K}])`>; params: {}; state: {} }
            : { out: [B, OW & Dim, C]; params: {}; state: {} }
          : never
        : { out: LayerError<Name, "[batch, W, C]", S>; params: {}; state: {} };

type GlobalEntry<S extends Shape, Name extends string, Rank extends 3 | 4> =
  IsAny<S> extends true
    ? { out: any; params: {}; state: {} }
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
    maxPool2d: Pool2dEntry<S, C, "maxPool2d">;
    avgPool2d: Pool2dEntry<S, C, "avgPool2d">;
    maxPool1d: Pool1dEntry<S, C, "maxPool1d">;
    avgPool1d: Pool1dEntry<S, C, "avgPool1d">;
    globalAvgPool2d: GlobalEntry<S, "globalAvgPool2d", 4>;
    globalMaxPool2d: GlobalEntry<S, "globalMaxPool2d", 4>;
    globalAvgPool1d: GlobalEntry<S, "globalAvgPool1d", 3>;
    globalMaxPool1d: GlobalEntry<S, "globalMaxPool1d", 3>;
  }
}

type WindowCheck<O, Op extends string> =
  PairOf<WindowOf<O>> extends [infer A, infer B] ? PositiveInt<A, Op, "window"> & PositiveInt<B, Op, "window"> : unknown;

function poolOptions2d(op: string, o: unknown): { window: [number, number]; strides: [number, number]; padding: "same" | "valid" } {
  const opts = (typeof o === "number" || Array.isArray(o) ? { window: o } : o) as Partial<Pool2dOptions> | null;
  if (opts === null || typeof opts !== "object" || !("window" in opts))
    throw new Error(`${op}: expected a window (a number, [h, w], or { window, strides?, padding? }), got ${String(o)}`);
  const window = positivePair(op, "window", opts.window);
  const strides = positivePair(op, "strides", opts.strides, window);
  const padding = opts.padding ?? "valid";
  if (padding !== "same" && padding !== "valid")
    throw new Error(`${op}: padding must be "same" or "valid", got ${JSON.stringify(padding)}`);
  return { window, strides, padding };
}

function pool2dLayer<K extends "maxPool2d" | "avgPool2d", O>(kind: K, options: O) {
  const { window, strides, padding } = poolOptions2d(kind, options);
  const name = `${kind}(${showWindow(window)})`;
  const op = kind === "maxPool2d" ? maxPoolOp : avgPoolOp;
  return defineLayer<K, O>({
    kind,
    name,
    config: options,
    outputShape(s) {
      expectRank(name, "[batch, H, W, C]", s, s.length === 4);
      const pads = resolvePadding(name, padding, [s[1], s[2]], window, strides);
      const where = `(input ${formatShape(s)}, window ${formatShape(window)})`;
      const oh = windowOut(s[1], window[0], strides[0], pads[0], 1, 1);
      const ow = windowOut(s[2], window[1], strides[1], pads[1], 1, 1);
      if (typeof oh === "string") throw new Error(`${name}: height: ${oh} ${where}`);
      if (typeof ow === "string") throw new Error(`${name}: width: ${ow} ${where}`);
      return [s[0], oh, ow, s[3]];
    },
    apply: (_p, x) => op(x, { window, strides, padding }),
  });
}

function pool1dLayer<K extends "maxPool1d" | "avgPool1d", O>(kind: K, options: O) {
  const opts = (typeof options === "number" ? { window: options } : options) as Partial<Pool1dOptions> | null;
  if (opts === null || typeof opts !== "object" || !("window" in opts))
    throw new Error(`${kind}: expected a window (a number or { window, stride?, padding? }), got ${String(options)}`);
  const k = positiveInt(kind, "window", opts.window);
  const stride = positiveInt(kind, "stride", opts.stride ?? k);
  const padding = opts.padding ?? "valid";
  if (padding !== "same" && padding !== "valid")
    throw new Error(`${kind}: padding must be "same" or "valid", got ${JSON.stringify(padding)}`);
  const name = `${kind}(${k})`;
  const op = kind === "maxPool1d" ? maxPoolOp : avgPoolOp;
  return defineLayer<K, O>({
    kind,
    name,
    config: options,
    outputShape(s) {
      expectRank(name, "[batch, W, C]", s, s.length === 3);
      const ow = padding === "same" ? Math.ceil(s[1] / stride) : windowOut(s[1], k, stride, [0, 0], 1, 1);
      if (typeof ow === "string") throw new Error(`${name}: width: ${ow} (input ${formatShape(s)}, window [${k}])`);
      return [s[0], ow, s[2]];
    },
    apply(_p, x) {
      const [b, w, c] = x.shape;
      const y = op(reshape(x, [b, 1, w, c]), { window: [1, k], strides: [1, stride], padding });
      const ys = y.shape;
      return reshape(y, [b, ys[2], c]);
    },
  });
}

/**
 * Max of each window, per channel: `[batch, H, W, C] -> [batch, H', W', C]`; the window alone
 * means stride = window and "valid".
 * ```ts
 * nn.input(["batch", 28, 28, 32]).add(nn.maxPool2d(2))   // ["batch", 14, 14, 32]
 * ```
 */
export function maxPool2d<const O extends number | Pair | Pool2dOptions>(options: O & WindowCheck<O, "maxPool2d">) {
  return pool2dLayer("maxPool2d", options as O);
}

/** Mean of each window's real (unpadded) pixels, per channel: `[batch, H, W, C] -> [batch, H', W', C]`. */
export function avgPool2d<const O extends number | Pair | Pool2dOptions>(options: O & WindowCheck<O, "avgPool2d">) {
  return pool2dLayer("avgPool2d", options as O);
}

/**
 * Max of each window over time, per channel: `[batch, W, C] -> [batch, W', C]`.
 * ```ts
 * nn.input(["batch", 100, 16]).add(nn.maxPool1d(2))   // ["batch", 50, 16]
 * ```
 */
export function maxPool1d<const O extends number | Pool1dOptions>(options: O & WindowCheck<O, "maxPool1d">) {
  return pool1dLayer("maxPool1d", options as O);
}

/** Mean of each window over time, per channel: `[batch, W, C] -> [batch, W', C]`. */
export function avgPool1d<const O extends number | Pool1dOptions>(options: O & WindowCheck<O, "avgPool1d">) {
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

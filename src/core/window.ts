// The options of every window op (conv2d, conv1d, the 2-D and 1-D pools), in core, ops and nn
// alike: their names and accepted values, the one parser for them, one error text per mistake,
// TF's "same" rule and the output length of a window axis. The accepted padding forms are
// typelevel's `Padding` / `Padding1d`, so the shape types and the run time agree.
//
//   strides    number | [h, w]              (1-D: number)            default 1 (pools: the window)
//   dilations  number | [h, w]              (1-D: number)            default 1
//   padding    "same" | "valid" | p | [[top, bottom], [left, right]]
//                                          (1-D: "same" | "valid" | p | [before, after]; conv1d also "causal")  default "valid"
//   ceilMode   pools: round the window count up (PyTorch's ceil_mode)                 default false
//   countIncludePad  avg pools: divide by the whole window, padding included       default false
import type { Conv1dPadding, Padding, Padding1d } from "../../typelevel/index.js";
import { formatShape, ShapeError, ValueError } from "../tensor/index.js";

export type { Conv1dPadding, Padding, Padding1d };
export type Pair = readonly [number, number];
/** Explicit padding of the two spatial axes: [[top, bottom], [left, right]]. */
export type Padding2d = readonly [Pair, Pair];

/** Options of a 2-D convolution. */
export interface Conv2dOptions {
  /** Step between windows: one number or [h, w]. Default 1. */
  readonly strides?: number | Pair;
  /** "valid" (default), "same" (output ceil(in / stride)), one number for every side, or [[top, bottom], [left, right]]. */
  readonly padding?: Padding;
  /** Filter dilation (atrous convolution): one number or [h, w]. Default 1. */
  readonly dilations?: number | Pair;
}

/** Options of a 1-D convolution: the 2-D names, with numbers. */
export interface Conv1dOptions {
  /** Step between windows. Default 1. */
  readonly strides?: number;
  /** "valid" (default), "same", "causal" ([(k - 1) * dilations, 0]: output t sees inputs up to t), one number for both sides, or [before, after]. */
  readonly padding?: Conv1dPadding;
  /** Filter dilation. Default 1. */
  readonly dilations?: number;
}

/** Options of a 2-D pool; a window alone means stride = window and "valid". */
export interface Pool2dOptions {
  /** Window: one number or [h, w]. */
  readonly window: number | Pair;
  /** Step between windows: one number or [h, w]. Default: the window (non-overlapping). */
  readonly strides?: number | Pair;
  /** "valid" (default), "same", one number or [[top, bottom], [left, right]]; padded pixels are ignored. */
  readonly padding?: Padding;
  /**
   * Round the number of windows up, not down (PyTorch's `ceil_mode`): a last, partial window covers
   * the input's tail, and none starts in the padding after the input. Default false.
   */
  readonly ceilMode?: boolean;
}

/** Options of a 2-D average pool: the pool options, and what the mean divides by. */
export interface AvgPool2dOptions extends Pool2dOptions {
  /**
   * Divide by the whole window, padded pixels counted as zeros (PyTorch's default
   * `count_include_pad=True`), rather than by the window's real pixels (default false, as TF and
   * Keras). Pixels beyond the padding, which only `ceilMode` windows reach, never count.
   */
  readonly countIncludePad?: boolean;
}

/** Options of a 1-D pool. */
export interface Pool1dOptions {
  /** Window length. */
  readonly window: number;
  /** Default: the window. */
  readonly strides?: number;
  /** "valid" (default), "same", one number for both sides, or [before, after]. */
  readonly padding?: Padding1d;
  /** Round the number of windows up (see Pool2dOptions). Default false. */
  readonly ceilMode?: boolean;
}

/** Options of a 1-D average pool (see AvgPool2dOptions). */
export interface AvgPool1dOptions extends Pool1dOptions {
  /** Divide by the whole window, padding included (PyTorch's default). Default false. */
  readonly countIncludePad?: boolean;
}

/** Parsed 2-D convolution options; "same" padding waits for the input's size. */
export interface ConvWindow2d {
  readonly strides: Pair;
  readonly dilations: Pair;
  readonly padding: "same" | Padding2d;
}

/** Parsed 1-D convolution options; "same" and "causal" wait for the input's size and the kernel. */
export interface ConvWindow1d {
  readonly strides: number;
  readonly dilations: number;
  readonly padding: "same" | "causal" | Pair;
}

/** Parsed 2-D pool options. */
export interface PoolWindow2d {
  readonly window: Pair;
  readonly strides: Pair;
  readonly padding: "same" | Padding2d;
  readonly ceilMode: boolean;
  /** Average pools only (false for max pools). */
  readonly countIncludePad: boolean;
}

/** Parsed 1-D pool options. */
export interface PoolWindow1d {
  readonly window: number;
  readonly strides: number;
  readonly padding: "same" | Pair;
  readonly ceilMode: boolean;
  /** Average pools only (false for max pools). */
  readonly countIncludePad: boolean;
}

// ---------------------------------------------------------------- error texts (one per mistake)

/** A value as a message shows it: [2, -1], [[1, 0], [2, 1]], "full", {"strides":2}. */
export function show(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(show).join(", ")}]`;
  if (typeof v === "string") return JSON.stringify(v);
  if (v !== null && typeof v === "object") {
    try {
      return JSON.stringify(v);
    } catch {
      return "an object";
    }
  }
  return String(v);
}

/** The error for a count that must be a positive integer: "conv1d: strides must be a positive integer, got 0". */
export function notPositiveInt(op: string, what: string, v: unknown): Error {
  return new ValueError(
    { op, expected: `a positive integer ${what}`, got: show(v) },
    `${op}: ${what} must be a positive integer, got ${show(v)}`,
  );
}

/** The error for a 2-D count: "conv2d: strides must be a positive integer or [h, w] of positive integers, got [2, -1]". */
export function notPositivePair(op: string, what: string, v: unknown): Error {
  return new ValueError(
    { op, expected: `a positive integer or [h, w] of positive integers for ${what}`, got: show(v) },
    `${op}: ${what} must be a positive integer or [h, w] of positive integers, got ${show(v)}`,
  );
}

function badPadding2d(op: string, v: unknown): Error {
  return new ValueError(
    { op, expected: '"same", "valid", a non-negative integer or [[top, bottom], [left, right]]', got: show(v) },
    `${op}: padding must be "same", "valid", a non-negative integer or [[top, bottom], [left, right]], got ${show(v)}`,
  );
}

function badPadding1d(op: string, v: unknown, causal = false): Error {
  const forms = `"same", "valid", ${causal ? '"causal", ' : ""}a non-negative integer or [before, after]`;
  return new ValueError({ op, expected: forms, got: show(v) }, `${op}: padding must be ${forms}, got ${show(v)}`);
}

/** The error for an option that must be true or false: "maxPool2d: ceilMode must be true or false, got 1". */
export function notBoolean(op: string, what: string, v: unknown): Error {
  return new ValueError(
    { op, expected: `true or false for ${what}`, got: show(v) },
    `${op}: ${what} must be true or false, got ${show(v)}`,
  );
}

/** The error for pool padding that leaves a window without a real pixel. */
export function poolPaddingTooLarge(op: string, window: readonly number[], v: unknown): Error {
  return new ValueError(
    { op, expected: `padding smaller than the window ${formatShape(window)}`, got: show(v) },
    `${op}: padding must be non-negative integers smaller than the window ${formatShape(window)}, got ${show(v)}`,
  );
}

// ---------------------------------------------------------------- value checks

const isPositiveInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v > 0;
const isNonNegativeInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0;

/** True for [a, b] of positive integers. */
export function isPositivePair(v: unknown): v is Pair {
  return Array.isArray(v) && v.length === 2 && v.every(isPositiveInt);
}

const isNonNegativePair = (v: unknown): v is Pair => Array.isArray(v) && v.length === 2 && v.every(isNonNegativeInt);

/** A boolean option (`fallback` when undefined), or the error naming the op. */
export function booleanOption(op: string, what: string, v: unknown, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== "boolean") throw notBoolean(op, what, v);
  return v;
}

/** A positive integer option (`fallback` when undefined), or the error naming the op. */
export function positiveInt(op: string, what: string, v: unknown, fallback?: number): number {
  const n = v === undefined ? fallback : v;
  if (!isPositiveInt(n)) throw notPositiveInt(op, what, v);
  return n;
}

/** A `number | [h, w]` option as a pair of positive integers (`fallback` when undefined), or the error naming the op. */
export function positivePair(op: string, what: string, v: unknown, fallback?: Pair): Pair {
  const p = v === undefined ? fallback : typeof v === "number" ? [v, v] : v;
  if (!isPositivePair(p)) throw notPositivePair(op, what, v);
  return [p[0], p[1]];
}

/** 2-D padding as "same" or explicit pairs ("valid" is zeros), or the error naming the op. */
export function padding2d(op: string, v: unknown): "same" | Padding2d {
  if (v === undefined || v === "valid")
    return [
      [0, 0],
      [0, 0],
    ];
  if (v === "same") return "same";
  if (isNonNegativeInt(v))
    return [
      [v, v],
      [v, v],
    ];
  if (Array.isArray(v) && v.length === 2 && isNonNegativePair(v[0]) && isNonNegativePair(v[1])) {
    return [
      [v[0][0], v[0][1]],
      [v[1][0], v[1][1]],
    ];
  }
  throw badPadding2d(op, v);
}

/** 1-D padding as "same" or [before, after] ("valid" is [0, 0]), or the error naming the op. */
export function padding1d(op: string, v: unknown): "same" | Pair {
  if (v === undefined || v === "valid") return [0, 0];
  if (v === "same") return "same";
  if (isNonNegativeInt(v)) return [v, v];
  if (isNonNegativePair(v)) return [v[0], v[1]];
  throw badPadding1d(op, v);
}

/** conv1d's padding: the 1-D forms and "causal", or the error naming the op. */
function convPadding1d(op: string, v: unknown): "same" | "causal" | Pair {
  if (v === "causal") return "causal";
  try {
    return padding1d(op, v);
  } catch {
    throw badPadding1d(op, v, true);
  }
}

/** Throws when `o` is not an options object or names an option outside `allowed` (say, an old name). */
export function checkOptionNames(op: string, o: unknown, allowed: readonly string[]): asserts o is Record<string, unknown> {
  if (o === null || typeof o !== "object" || Array.isArray(o)) {
    throw new ValueError(
      { op, expected: `an options object { ${allowed.join(", ")} }`, got: show(o) },
      `${op}: expected an options object { ${allowed.join(", ")} }, got ${show(o)}`,
    );
  }
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) {
      throw new ValueError(
        { op, expected: `one of the options ${allowed.join(", ")}`, got: `"${k}"` },
        `${op}: unknown option "${k}" (options: ${allowed.join(", ")})`,
      );
    }
  }
}

// ---------------------------------------------------------------- parsers

const CONV_NAMES = ["strides", "padding", "dilations"] as const;
/** The options of a max pool (and their order in messages). */
export const POOL_OPTION_NAMES = ["window", "strides", "padding", "ceilMode"] as const;
/** The options of an average pool (and their order in messages). */
export const AVG_POOL_OPTION_NAMES = [...POOL_OPTION_NAMES, "countIncludePad"] as const;

/** The option names of a pool op: "avgPool2d", "avgPool1d" (and their layer names) take countIncludePad. */
function poolOptionNames(op: string): readonly string[] {
  return op.startsWith("avgPool") ? AVG_POOL_OPTION_NAMES : POOL_OPTION_NAMES;
}

/**
 * Parses 2-D convolution options; `also` lists the caller's own option names (nn's `filters`,
 * core's `groups`, ...), which pass unchecked.
 */
export function parseConv2dOptions(op: string, o: unknown = {}, also: readonly string[] = []): ConvWindow2d {
  checkOptionNames(op, o, [...CONV_NAMES, ...also]);
  return {
    strides: positivePair(op, "strides", o.strides, [1, 1]),
    dilations: positivePair(op, "dilations", o.dilations, [1, 1]),
    padding: padding2d(op, o.padding),
  };
}

/** Parses 1-D convolution options (see parseConv2dOptions). */
export function parseConv1dOptions(op: string, o: unknown = {}, also: readonly string[] = []): ConvWindow1d {
  checkOptionNames(op, o, [...CONV_NAMES, ...also]);
  return {
    strides: positiveInt(op, "strides", o.strides, 1),
    dilations: positiveInt(op, "dilations", o.dilations, 1),
    padding: convPadding1d(op, o.padding),
  };
}

const hasWindow = (o: unknown): o is Record<string, unknown> => o !== null && typeof o === "object" && !Array.isArray(o) && "window" in o;

/** Parses 2-D pool options: a window alone (a number or [h, w]) or { window, strides?, padding? }. */
export function parsePool2dOptions(op: string, o: unknown): PoolWindow2d {
  const opts: unknown = typeof o === "number" || Array.isArray(o) ? { window: o } : o;
  if (!hasWindow(opts)) {
    throw new ValueError(
      { op, expected: "a window (a number, [h, w], or { window, strides?, padding? })", got: show(o) },
      `${op}: expected a window (a number, [h, w], or { window, strides?, padding? }), got ${show(o)}`,
    );
  }
  checkOptionNames(op, opts, poolOptionNames(op));
  const window = positivePair(op, "window", opts.window);
  const strides = positivePair(op, "strides", opts.strides, window);
  const padding = padding2d(op, opts.padding);
  // NOTE: the pooling kernels need a real pixel in every window ("same" padding always leaves one)
  if (padding !== "same" && padding.some((pair, i) => pair[0] >= window[i] || pair[1] >= window[i])) {
    throw poolPaddingTooLarge(op, window, opts.padding);
  }
  const ceilMode = booleanOption(op, "ceilMode", opts.ceilMode, false);
  const countIncludePad = booleanOption(op, "countIncludePad", opts.countIncludePad, false);
  return { window, strides, padding, ceilMode, countIncludePad };
}

/** Parses 1-D pool options: a window alone (a number) or { window, strides?, padding? }. */
export function parsePool1dOptions(op: string, o: unknown): PoolWindow1d {
  const opts: unknown = typeof o === "number" ? { window: o } : o;
  if (!hasWindow(opts)) {
    throw new ValueError(
      { op, expected: "a window (a number or { window, strides?, padding? })", got: show(o) },
      `${op}: expected a window (a number or { window, strides?, padding? }), got ${show(o)}`,
    );
  }
  checkOptionNames(op, opts, poolOptionNames(op));
  const window = positiveInt(op, "window", opts.window);
  const strides = positiveInt(op, "strides", opts.strides, window);
  const padding = padding1d(op, opts.padding);
  if (padding !== "same" && (padding[0] >= window || padding[1] >= window)) throw poolPaddingTooLarge(op, [window], opts.padding);
  const ceilMode = booleanOption(op, "ceilMode", opts.ceilMode, false);
  const countIncludePad = booleanOption(op, "countIncludePad", opts.countIncludePad, false);
  return { window, strides, padding, ceilMode, countIncludePad };
}

// ---------------------------------------------------------------- geometry

/** Length of `n` samples spread `d` apart (0 stays 0): the effective size of a dilated kernel or input. */
export function dilateSize(n: number, d: number): number {
  return n === 0 ? 0 : (n - 1) * d + 1;
}

/** TF's "same" padding of one axis: output ceil(size / stride); the odd pixel goes after. */
export function samePadding(size: number, effKernel: number, stride: number): Pair {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + effKernel - size, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** Explicit 2-D padding for an input of the given spatial size. */
export function resolvePadding(padding: "same" | Padding2d, spatial: Pair, effKernel: Pair, strides: Pair): Padding2d {
  if (padding !== "same") return padding;
  return [samePadding(spatial[0], effKernel[0], strides[0]), samePadding(spatial[1], effKernel[1], strides[1])];
}

/** Explicit 1-D padding for an input of the given length ("causal": [effKernel - 1, 0]). */
export function resolvePadding1d(padding: "same" | "causal" | Pair, size: number, effKernel: number, stride: number): Pair {
  if (padding === "causal") return [effKernel - 1, 0];
  return padding === "same" ? samePadding(size, effKernel, stride) : padding;
}

/**
 * The padding `ceilMode` adds after one axis (0 without it): enough for ceil((size + pads - k) / stride) + 1
 * windows, less the last one if it would start at or past size + before (PyTorch's rule). Always
 * smaller than the window, so every window keeps a real pixel.
 */
export function ceilModeExtra(size: number, kernel: number, stride: number, padding: Pair, ceilMode: boolean): number {
  const padded = size + padding[0] + padding[1];
  if (!ceilMode || padded < kernel) return 0;
  let out = Math.ceil((padded - kernel) / stride) + 1;
  if ((out - 1) * stride >= size + padding[0]) out -= 1;
  return Math.max((out - 1) * stride + kernel - padded, 0);
}

/** Where a window runs, for messages: "<op>: height: ... (input [1, 2, 5, 1], filter [3, 3, 1, 8])". */
export interface WindowSite {
  /** The op or layer that starts the message: "conv2d", "maxPool2d(2x2)". */
  readonly op: string;
  readonly input: readonly (number | string)[];
  /** What slides over the input: ["filter", [3, 3, 1, 8]] or ["window", [2, 2]]. */
  readonly kernel: readonly ["filter" | "window", readonly number[]];
}

/** One spatial axis of a window op. */
export interface WindowAxis {
  readonly axis: "height" | "width";
  readonly size: number;
  readonly kernel: number;
  readonly stride: number;
  /** [before, after]; rules may pass negative values (they crop). */
  readonly padding: Pair;
  /** Filter dilation. Default 1. */
  readonly dilation?: number;
  /** Input dilation (transposed convolutions). Default 1. */
  readonly lhsDilation?: number;
}

/**
 * Output length of one axis: floor((dilated size + pads - effective kernel) / stride) + 1, the
 * formula of the type-level ConvOutDim; throws, naming the site, when the window does not fit.
 */
export function windowOut(site: WindowSite, a: WindowAxis): number {
  const padded = dilateSize(a.size, a.lhsDilation ?? 1) + a.padding[0] + a.padding[1];
  const eff = dilateSize(a.kernel, a.dilation ?? 1);
  if (padded < eff) {
    const valid = a.padding[0] === 0 && a.padding[1] === 0;
    const reason = `${valid ? "input" : "padded input"} ${padded} is smaller than the effective kernel ${eff}${valid ? ` (padding "valid")` : ""}`;
    const [what, kernelShape] = site.kernel;
    throw new ShapeError(
      { op: site.op, expected: `${a.axis} of at least ${eff}`, got: `${padded}` },
      `${site.op}: ${a.axis}: ${reason} (input ${formatShape(site.input)}, ${what} ${formatShape(kernelShape)})`,
    );
  }
  return Math.floor((padded - eff) / a.stride) + 1;
}

/** The geometry of a 2-D window op over [H, W]. */
export interface Window2dGeometry {
  readonly spatial: Pair;
  readonly kernel: Pair;
  readonly strides: Pair;
  readonly padding: Padding2d;
  readonly dilations?: Pair;
  readonly lhsDilation?: Pair;
}

/** Output [H', W'] of a 2-D window op (see windowOut). */
export function windowOut2d(site: WindowSite, g: Window2dGeometry): [number, number] {
  const axis = (i: 0 | 1) =>
    windowOut(site, {
      axis: i === 0 ? "height" : "width",
      size: g.spatial[i],
      kernel: g.kernel[i],
      stride: g.strides[i],
      padding: g.padding[i],
      dilation: g.dilations?.[i],
      lhsDilation: g.lhsDilation?.[i],
    });
  return [axis(0), axis(1)];
}

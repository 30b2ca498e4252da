// Convolutions and pooling, NHWC (tfjs layout): x [batch, H, W, C], filters [kh, kw, cin, cout].
// Options are objects so call sites read by name; their literal values drive the shape types.
import type {
  CeilModeOf,
  Checked,
  Conv1d,
  Conv1dPadding,
  Conv2d,
  Dim,
  IsAny,
  IsTuple,
  Mod,
  Mul,
  Out,
  Padding,
  Pool2d,
  Shape,
  ShapeError,
  ShowDim,
  ShowShape,
  WindowOf,
} from "../../typelevel/index.js";
import type { AnyTensor, Tensor } from "../tensor/index.js";
import * as C from "../core/index.js";
import type {
  AvgPool2dOptions,
  Conv1dOptions as Conv1dWindowOptions,
  Conv2dOptions as Conv2dWindowOptions,
  Pair,
  Pool2dOptions,
} from "../core/index.js";
import { expectTensor, formatShape, ShapeError as ShapeErrorClass } from "../tensor/index.js";
import { typed } from "./result.js";

// One options model for core, ops and nn (core/window.ts): strides, dilations, padding.
export type { Pool2dOptions, AvgPool2dOptions };

/** Options of `conv2d`: the window options (strides, padding, dilations) and feature groups. */
export interface Conv2dOptions extends Conv2dWindowOptions {
  /**
   * Feature groups (default 1): x's C channels and the filter's cout split into `groups`
   * independent convolutions; the filter is [kh, kw, C / groups, cout]. groups = C with cout = C
   * (or a multiple) is a depthwise convolution.
   */
  readonly groups?: number;
}

/** Options of `conv1d`: the window options (strides, padding, dilations) and feature groups. */
export interface Conv1dOptions extends Conv1dWindowOptions {
  /** Feature groups (default 1): the filter is [k, C / groups, cout] (see `Conv2dOptions.groups`). */
  readonly groups?: number;
}

/** O[K] when given (and of type T), else Default. */
type Opt<O, K extends string, T, Default extends T> = O extends { readonly [P in K]: infer V }
  ? [Exclude<V, undefined>] extends [infer R extends T]
    ? [R] extends [never]
      ? Default
      : R
    : Default
  : Default;

/**
 * The feature groups of a convolution (`groups` in its options, default 1): x's C channels must
 * split into G groups of the filter's cin each, and the filter's cout into G groups. Gives the
 * filter with cin x G input channels (so the ungrouped rule checks the window), or the error
 * worded as the run-time one.
 * @example Grouped<"conv2d", ["batch", 8, 8, 6], [3, 3, 1, 6], 6>  // [3, 3, 6, 6] (depthwise)
 */
export type Grouped<Op extends string, X extends Shape, F extends Shape, G extends number> = G extends 1
  ? F
  : [IsTuple<X>, IsTuple<F>] extends [true, true]
    ? X extends readonly [...Dim[], infer C extends Dim]
      ? F extends readonly [...infer Win extends Dim[], infer CIn extends Dim, infer COut extends Dim]
        ? Mod<C, G> extends infer R extends number
          ? number extends R
            ? GroupedOut<Op, F, G, Win, C, COut>
            : R extends 0
              ? LiteralsDiffer<Mul<CIn, G>, C> extends true
                ? ShapeError<`${Op}: x has ${ShowDim<C>} channels but the filter expects ${ShowDim<CIn>} per group x ${G} groups (${ShowShape<F>})`>
                : GroupedOut<Op, F, G, Win, C, COut>
              : ShapeError<`${Op}: ${ShowDim<C>} input channels do not split into ${G} groups (input ${ShowShape<X>})`>
          : F
        : F
      : F
    : F;
type GroupedOut<Op extends string, F extends Shape, G extends number, Win extends Dim[], C extends Dim, COut extends Dim> =
  Mod<COut, G> extends infer R extends number
    ? number extends R
      ? [...Win, C, COut]
      : R extends 0
        ? [...Win, C, COut]
        : ShapeError<`${Op}: the filter's ${ShowDim<COut>} output channels do not split into ${G} groups (${ShowShape<F>})`>
    : [...Win, C, COut];
/** True when A and B are both literal numbers and differ. */
type LiteralsDiffer<A, B> = [A, B] extends [number, number]
  ? number extends A
    ? false
    : number extends B
      ? false
      : [A] extends [B]
        ? false
        : true
  : false;
/** `R` itself when it is a shape; an error passes through (the ungrouped rule is not asked). */
type Then<R, Rule> = [R] extends [Shape] ? Rule : R;

type Conv2dOf<X extends Shape, F extends Shape, O> =
  Grouped<"conv2d", X, F, Opt<O, "groups", number, 1>> extends infer G
    ? Then<
        G,
        Conv2d<
          X,
          G & Shape,
          Opt<O, "strides", number | Pair, 1>,
          Opt<O, "padding", Padding, "valid">,
          Opt<O, "dilations", number | Pair, 1>
        >
      >
    : never;
type Conv1dOf<X extends Shape, F extends Shape, O> =
  Grouped<"conv1d", X, F, Opt<O, "groups", number, 1>> extends infer G
    ? Then<G, Conv1d<X, G & Shape, Opt<O, "strides", number, 1>, Opt<O, "padding", Conv1dPadding, "valid">, Opt<O, "dilations", number, 1>>>
    : never;
type Pool2dOf<X extends Shape, O, Op extends string> = [WindowOf<O>] extends [infer W extends number | Pair]
  ? Pool2d<X, W, Opt<O, "strides", number | Pair, W>, Opt<O, "padding", Padding, "valid">, Op, CeilModeOf<O>>
  : never;

/**
 * Mean or max over H and W: [batch, H, W, C] -> [batch, C], or [batch, 1, 1, C] with keepDims.
 * @example GlobalPool2d<["batch", 7, 7, 64], false, "globalAvgPool2d">  // ["batch", 64]
 */
export type GlobalPool2d<X extends Shape, K extends boolean, Op extends string> =
  IsAny<X> extends true
    ? // eslint-disable-next-line @typescript-eslint/no-explicit-any -- an `any` shape (after an earlier error) stays `any`: one error per chain, not a cascade
      any
    : IsTuple<X> extends true
      ? X extends readonly [infer B extends Dim, Dim, Dim, infer Ch extends Dim]
        ? K extends true
          ? [B, 1, 1, Ch]
          : [B, Ch]
        : ShapeError<`${Op} expects [batch, H, W, C], got ${ShowShape<X>}`>
      : Dim[];

/**
 * 2-D convolution (cross-correlation): x [batch, H, W, cin] with filter [kh, kw, cin, cout]
 * gives [batch, H', W', cout]; per axis H' = ceil(H / stride) for "same", else
 * floor((H + pads - ((k - 1) * dilation + 1)) / stride) + 1. A channel mismatch or a window
 * larger than the input is a compile error on the filter.
 * ```ts
 * conv2d(images, kernel, { padding: "same" });   // ["batch", 28, 28, 1] * [3, 3, 1, 32] -> ["batch", 28, 28, 32]
 * ```
 */
export function conv2d<X extends Shape, F extends Shape, const O extends Conv2dOptions = {}>(
  x: Tensor<X, "float32">,
  filter: Checked<Tensor<F, "float32">, Conv2dOf<X, F, O>>,
  options?: O,
): Tensor<Out<Conv2dOf<X, F, O>>, "float32"> {
  expectTensor("conv2d", x);
  expectTensor("conv2d", filter, "filter");
  const o: Conv2dOptions = options ?? {};
  const groups = checkGroups("conv2d", x, filter, o.groups);
  return typed(C.conv2d(x, filter, { ...C.parseConv2dOptions("conv2d", o, ["groups"]), groups }));
}

/**
 * 1-D convolution: x [batch, W, cin] with filter [k, cin, cout] gives [batch, W', cout]; the
 * options are conv2d's with numbers, and padding [before, after].
 * ```ts
 * conv1d(signal, kernel, { padding: "same" });   // ["batch", 100, 8] * [5, 8, 16] -> ["batch", 100, 16]
 * conv1d(signal, kernel, { padding: "causal" });   // [4, 0]: ["batch", 100, 16]
 * ```
 */
export function conv1d<X extends Shape, F extends Shape, const O extends Conv1dOptions = {}>(
  x: Tensor<X, "float32">,
  filter: Checked<Tensor<F, "float32">, Conv1dOf<X, F, O>>,
  options?: O,
): Tensor<Out<Conv1dOf<X, F, O>>, "float32"> {
  expectTensor("conv1d", x);
  expectTensor("conv1d", filter, "filter");
  const o: Conv1dOptions = options ?? {};
  const groups = checkGroups("conv1d", x, filter, o.groups);
  return typed(C.conv1d(x, filter, { ...C.parseConv1dOptions("conv1d", o, ["groups"]), groups }));
}

/**
 * The feature groups of a convolution, checked as the type-level rule (`Grouped`) words it: x's
 * channels and the filter's output channels must split into them (the primitive checks the rest).
 */
function checkGroups(op: string, x: AnyTensor, filter: AnyTensor, groups: unknown): number {
  const g = C.positiveInt(op, "groups", groups, 1);
  const c = x.shape[x.rank - 1];
  const cout = filter.shape[filter.rank - 1];
  if (g > 1 && x.rank >= 3 && c % g !== 0) {
    throw new ShapeErrorClass(
      { op, expected: `input channels divisible by ${g} groups`, got: formatShape(x.shape) },
      `${op}: ${c} input channels do not split into ${g} groups (input ${formatShape(x.shape)})`,
    );
  }
  if (g > 1 && filter.rank >= 3 && c === filter.shape[filter.rank - 2] * g && cout % g !== 0) {
    throw new ShapeErrorClass(
      { op, expected: `output channels divisible by ${g} groups`, got: String(cout) },
      `${op}: the filter's ${cout} output channels do not split into ${g} groups (${formatShape(filter.shape)})`,
    );
  }
  return g;
}

/** A typed 2-D pool over core's (`Op` names it in type errors; `Options` its options type). */
function pool2d<const Op extends string, Options extends Pool2dOptions>(
  op: Op,
  pool: (x: AnyTensor, options: number | Pair | Options) => AnyTensor,
) {
  return <X extends Shape, const O extends number | Pair | Options>(
    x: Checked<Tensor<X, "float32">, Pool2dOf<X, O, Op>>,
    options: O,
  ): Tensor<Out<Pool2dOf<X, O, Op>>, "float32"> => {
    expectTensor(op, x);
    return typed(pool(x, options));
  };
}

/** A typed global 2-D pool over core's (`Op` names it in type errors). */
function globalPool2d<const Op extends string>(op: Op, pool: (x: AnyTensor, keepDims: boolean) => AnyTensor) {
  return <X extends Shape, const K extends boolean = false>(
    x: Checked<Tensor<X, "float32">, GlobalPool2d<X, K, Op>>,
    keepDims?: K,
  ): Tensor<Out<GlobalPool2d<X, K, Op>>, "float32"> => {
    expectTensor(op, x);
    return typed(pool(x, keepDims ?? false));
  };
}

/**
 * Max of each window, per channel: [batch, H, W, C] -> [batch, H', W', C]. Give the window
 * alone (stride = window, "valid") or options. Tied maxima share the gradient evenly.
 * ```ts
 * maxPool2d(x, 2);                                          // ["batch", 28, 28, 32] -> ["batch", 14, 14, 32]
 * maxPool2d(x, { window: 3, strides: 1, padding: "same" });  // shape kept
 * maxPool2d(y, { window: 2, ceilMode: true });               // ["batch", 7, 7, 32] -> ["batch", 4, 4, 32]
 * ```
 */
export const maxPool2d = pool2d("maxPool2d", C.maxPool2d);

/**
 * Mean of each window's real (unpadded) pixels, per channel: [batch, H, W, C] -> [batch, H', W', C];
 * `countIncludePad: true` divides by the whole window, padding included (PyTorch's default).
 * ```ts
 * avgPool2d(x, 2);   // ["batch", 28, 28, 32] -> ["batch", 14, 14, 32]
 * avgPool2d(x, { window: 3, strides: 2, padding: 1, countIncludePad: true });   // ["batch", 14, 14, 32]
 * ```
 */
export const avgPool2d = pool2d("avgPool2d", C.avgPool2d);

/**
 * Mean over H and W: [batch, H, W, C] -> [batch, C] ([batch, 1, 1, C] with keepDims).
 * ```ts
 * globalAvgPool2d(features);   // ["batch", 7, 7, 64] -> ["batch", 64]
 * ```
 */
export const globalAvgPool2d = globalPool2d("globalAvgPool2d", C.globalAvgPool2d);

/** Max over H and W: [batch, H, W, C] -> [batch, C] ([batch, 1, 1, C] with keepDims). */
export const globalMaxPool2d = globalPool2d("globalMaxPool2d", C.globalMaxPool2d);

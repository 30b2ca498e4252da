// Normalisation layers: batchNorm (over every axis but the feature axis, with running statistics
// as explicit state) and layerNorm (over chosen axes, per example). Both learn a scale (gamma) and
// an offset (beta) of the normalised axes' shape; `scale: false` / `center: false` drop them.
import type { Dim, IsAny, IsTuple, NormalizeAxis, Shape, ShapeError, ShowShape } from "../../../typelevel/index.js";
import { type AnyTensor, type Tensor, formatShape, ones, zeros, ShapeError as ShapeErrorClass, ValueError } from "../../tensor/index.js";
import { add, checkOptionNames, mul, reshape, rsqrt, sub, square, sum, stopGradient } from "../../core/index.js";
import type { LayerError, FloatInput } from "../layer.js";
import { defineLayer, expectRank } from "./define.js";
import type { Opt } from "./conv.js";

// ---------------------------------------------------------------- types

/** The dims of S at the axes A (one axis or a tuple; negative from the end), or `{ bad: axis }`. */
type DimsAt<S extends Shape, A> = number extends A
  ? [number]
  : A extends number
    ? DimsAtList<S, [A]>
    : A extends readonly number[]
      ? number extends A["length"]
        ? number[]
        : DimsAtList<S, A>
      : never;
type DimsAtList<S extends Shape, A extends readonly number[], Acc extends Dim[] = []> = A extends readonly [
  infer H extends number,
  ...infer R extends readonly number[],
]
  ? [NormalizeAxis<S, H>] extends [never]
    ? { bad: H }
    : DimsAtList<S, R, [...Acc, S[NormalizeAxis<S, H> & number]]>
  : Acc;

/** gamma and beta of shape F, each unless `scale: false` / `center: false`. */
export type AffineParams<C, F extends Shape> = [Opt<C, "scale", true>] extends [false]
  ? [Opt<C, "center", true>] extends [false]
    ? {}
    : { beta: Tensor<F> }
  : [Opt<C, "center", true>] extends [false]
    ? { gamma: Tensor<F> }
    : { gamma: Tensor<F>; beta: Tensor<F> };

/** A norm layer's entry: the shape kept, params (and state, from `State<F>`) of the normalised axes' shape F. */
type NormEntry<Name extends string, S extends Shape, C, Axes, Stateful extends boolean> =
  IsAny<S> extends true
    ? { out: S; params: AffineParams<C, [number]>; state: StateOf<Stateful, [number]> }
    : IsTuple<S> extends false
      ? { out: S; params: AffineParams<C, [number]>; state: StateOf<Stateful, [number]> }
      : S extends readonly [Dim, ...Dim[]]
        ? DimsAt<S, Axes> extends infer F
          ? F extends { bad: infer A extends number }
            ? { out: ShapeError<`${Name}: axis ${A} is out of range for input ${ShowShape<S>}`>; params: never; state: never }
            : F extends Shape
              ? { out: S; params: AffineParams<C, F>; state: StateOf<Stateful, F> }
              : never
          : never
        : { out: LayerError<Name, "[..., features]", S>; params: never; state: never };
type StateOf<Stateful extends boolean, F extends Shape> = Stateful extends true ? { mean: Tensor<F>; variance: Tensor<F> } : {};

declare module "../layer.js" {
  interface LayerTypes<S extends Shape, C> {
    /** Shape kept; params gamma, beta `[C]` (C the dim at `axis`, default the last); state running mean and variance `[C]`. */
    batchNorm: NormEntry<"batchNorm", S, C, Opt<C, "axis", -1>, true> & FloatInput;
    /** Shape kept; params gamma, beta of the dims at `axes` (default the last); no state. */
    layerNorm: NormEntry<"layerNorm", S, C, Opt<C, "axes", -1>, false> & FloatInput;
  }
}

// ---------------------------------------------------------------- shared helpers

function moments(x: AnyTensor, axes: number[]): [AnyTensor, AnyTensor] {
  const n = axes.reduce((a, i) => a * x.shape[i], 1);
  const mean = mul(sum(x, axes, { keepDims: true }), 1 / n);
  const variance = mul(sum(square(sub(x, mean)), axes, { keepDims: true }), 1 / n);
  return [mean, variance];
}

function badOption(op: string, what: string, expected: string, v: unknown): ValueError {
  const got = typeof v === "string" ? JSON.stringify(v) : Array.isArray(v) ? `[${v.join(", ")}]` : String(v);
  return new ValueError({ op, expected: `${expected} for ${what}`, got }, `${op}: ${what} must be ${expected}, got ${got}`);
}

function booleanOf(op: string, what: string, v: unknown): boolean {
  if (v === undefined) return true;
  if (typeof v !== "boolean") throw badOption(op, what, "true or false", v);
  return v;
}

function epsilonOf(op: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !(v >= 0) || !Number.isFinite(v)) throw badOption(op, "epsilon", "a non-negative number", v);
  return v;
}

function axisList(op: string, what: string, v: unknown): number[] {
  const list = typeof v === "number" ? [v] : v;
  if (!Array.isArray(list) || list.length === 0 || !list.every((a) => Number.isInteger(a))) {
    throw badOption(op, what, what === "axis" ? "an integer" : "an integer or a non-empty list of integers", v);
  }
  return list as number[];
}

/** The axes resolved for input shape s (negative from the end): distinct, increasing, in range. */
function resolveAxes(op: string, axes: readonly number[], s: readonly number[]): number[] {
  const r = s.length;
  const bad = axes.find((a) => a < -r || a >= r);
  if (bad !== undefined) {
    throw new ShapeErrorClass(
      { op, expected: `an axis in [${-r}, ${r - 1}]`, got: String(bad) },
      `${op}: axis ${bad} is out of range for input ${formatShape(s)}`,
    );
  }
  const resolved = axes.map((a) => (a < 0 ? a + r : a));
  if (resolved.some((a, i) => i > 0 && a <= resolved[i - 1])) {
    throw new ValueError(
      { op, expected: "distinct axes in increasing order", got: `[${axes.join(", ")}]` },
      `${op}: axes must be distinct and in increasing order, got [${axes.join(", ")}] (input ${formatShape(s)})`,
    );
  }
  return resolved;
}

/** The normalised axes' shape, and a view of a tensor of that shape that broadcasts against x. */
function paramsLayout(axes: readonly number[], s: readonly number[]) {
  const shape = axes.map((a) => s[a]);
  const trailing = axes.every((a, i) => a === s.length - axes.length + i);
  const broadcast = s.map((d, i) => (axes.includes(i) ? d : 1));
  return { shape, view: (t: AnyTensor): AnyTensor => (trailing ? t : reshape(t, broadcast)) };
}

/** The learned scale and offset, as options ask. */
function affine(scale: boolean, center: boolean) {
  return {
    init: (shape: number[]) => ({ ...(scale ? { gamma: ones(shape) } : {}), ...(center ? { beta: zeros(shape) } : {}) }),
    apply(y: AnyTensor, p: Record<string, AnyTensor>, view: (t: AnyTensor) => AnyTensor): AnyTensor {
      const scaled = scale ? mul(y, view(p.gamma)) : y;
      return center ? add(scaled, view(p.beta)) : scaled;
    },
  };
}

// ---------------------------------------------------------------- batchNorm

/** Options of `nn.batchNorm({ momentum, epsilon, axis, center, scale, runningVariance })`. */
export interface BatchNormOptions {
  /** Weight of the old running statistics per update (Keras' meaning; PyTorch's momentum m is 1 - m here). Default 0.99. */
  readonly momentum?: number;
  /** Added to the variance before the square root. Default 1e-3 (Keras; PyTorch's is 1e-5). */
  readonly epsilon?: number;
  /** The feature axis, which keeps its own statistics (negative from the end). Default -1 (channels last); 1 for [N, C, ...] data. */
  readonly axis?: number;
  /** Learn an offset beta. Default true. */
  readonly center?: boolean;
  /** Learn a scale gamma. Default true. */
  readonly scale?: boolean;
  /**
   * Which batch variance the running variance averages: "biased" (default, as Keras: the variance
   * the batch is normalised with) or "unbiased" (as PyTorch: times n / (n - 1), n the values per
   * feature). Normalisation in training always uses the biased one.
   */
  readonly runningVariance?: "biased" | "unbiased";
}

const BATCH_NORM_OPTIONS = ["momentum", "epsilon", "axis", "center", "scale", "runningVariance"];

/**
 * Batch normalisation over every axis but `axis` (default the last). Training mode normalises with
 * the batch's statistics and returns updated running statistics as state; eval mode uses the
 * state. PyTorch's BatchNorm2d(C) on NCHW data is `{ axis: 1, momentum: 0.9, epsilon: 1e-5, runningVariance: "unbiased" }`.
 * ```ts
 * const model = nn.input(["batch", 16]).add(nn.dense(32)).add(nn.batchNorm());
 * const [y, state2] = model.applyWithState(params, x, { state, training: true, key });
 * nn.input(["batch", 8, 100]).add(nn.batchNorm({ axis: 1, center: false }))   // statistics per channel of [N, C, L]
 * ```
 */
export function batchNorm<const O extends BatchNormOptions = {}>(opts: O = {} as O) {
  checkOptionNames("batchNorm", opts, BATCH_NORM_OPTIONS);
  const o = opts as BatchNormOptions;
  const momentum = o.momentum ?? 0.99;
  if (typeof momentum !== "number" || !(momentum >= 0 && momentum < 1))
    throw new ValueError(
      { op: "batchNorm", expected: "a momentum in [0, 1)", got: String(momentum) },
      `batchNorm: momentum must be in [0, 1), got ${momentum}`,
    );
  const eps = epsilonOf("batchNorm", o.epsilon, 1e-3);
  if (o.axis !== undefined && typeof o.axis !== "number") throw badOption("batchNorm", "axis", "an integer", o.axis);
  const [axis] = axisList("batchNorm", "axis", o.axis ?? -1);
  const center = booleanOf("batchNorm", "center", o.center);
  const scale = booleanOf("batchNorm", "scale", o.scale);
  const runningVariance = o.runningVariance ?? "biased";
  if (runningVariance !== "biased" && runningVariance !== "unbiased")
    throw badOption("batchNorm", "runningVariance", '"biased" or "unbiased"', runningVariance);
  const gammaBeta = affine(scale, center);
  const layout = (s: readonly number[]) => paramsLayout(resolveAxes("batchNorm", [axis], s), s);
  return defineLayer<"batchNorm", O>({
    kind: "batchNorm",
    name: "batchNorm",
    config: { ...opts, momentum, epsilon: eps },
    outputShape(s) {
      expectRank("batchNorm", "[..., features]", s, s.length >= 1);
      resolveAxes("batchNorm", [axis], s);
      return [...s];
    },
    init: (_k, s) => gammaBeta.init(layout(s).shape),
    initState: (s) => ({ mean: zeros(layout(s).shape), variance: ones(layout(s).shape) }),
    apply(p, x, { training, state }) {
      const [ax] = resolveAxes("batchNorm", [axis], x.shape);
      const { shape, view } = paramsLayout([ax], x.shape);
      const axes = Array.from({ length: x.rank }, (_, i) => i).filter((i) => i !== ax);
      if (training) {
        if (!state?.mean)
          throw new ValueError(
            { op: "batchNorm", expected: "{ state } from model.initState()", got: "no state" },
            "batchNorm: training mode updates the running statistics: pass { state } from model.initState()",
          );
        const [mean, variance] = moments(x, axes);
        const y = gammaBeta.apply(mul(sub(x, mean), rsqrt(add(variance, eps))), p, view);
        const n = axes.reduce((a, i) => a * x.shape[i], 1);
        // NOTE: PyTorch's running variance is the unbiased estimate (Bessel's correction); undefined for n = 1, kept biased there
        const correction = runningVariance === "unbiased" && n > 1 ? n / (n - 1) : 1;
        const flat = (t: AnyTensor) => stopGradient(reshape(t, shape)); // keepDims -> [C]
        const next = {
          mean: add(mul(state.mean, momentum), mul(flat(mean), 1 - momentum)),
          variance: add(mul(state.variance, momentum), mul(flat(variance), (1 - momentum) * correction)),
        };
        return [y, next];
      }
      if (!state?.mean) {
        throw new ValueError(
          { op: "batchNorm", expected: "{ state } from model.initState()", got: "no state" },
          "batchNorm: eval mode needs the running statistics: pass { state } from model.initState() or training",
        );
      }
      const c = x.shape[ax];
      if (state.mean.shape[0] !== c)
        throw new ShapeErrorClass(
          { op: "batchNorm", expected: `${c} channels`, got: `${state.mean.shape[0]} channels` },
          `batchNorm: state has ${state.mean.shape[0]} channels, input has ${c}`,
        );
      const y = gammaBeta.apply(mul(sub(x, view(state.mean)), rsqrt(add(view(state.variance), eps))), p, view);
      return [y, state];
    },
  });
}

// ---------------------------------------------------------------- layerNorm

/** Options of `nn.layerNorm({ epsilon, axes, center, scale })`. */
export interface LayerNormOptions {
  /** Added to the variance before the square root. Default 1e-5 (PyTorch; Keras' is 1e-3). */
  readonly epsilon?: number;
  /**
   * The axes normalised together, per example: one axis or a list in increasing order (negative
   * from the end); gamma and beta have their dims. Default -1. PyTorch's LayerNorm(normalized_shape)
   * with k dims is `[-k, ..., -1]`; Keras' LayerNormalization(axis) is the same list.
   */
  readonly axes?: number | readonly number[];
  /** Learn an offset beta. Default true. */
  readonly center?: boolean;
  /** Learn a scale gamma. Default true. (PyTorch's elementwise_affine=False is both false.) */
  readonly scale?: boolean;
}

const LAYER_NORM_OPTIONS = ["epsilon", "axes", "center", "scale"];

/**
 * Layer normalisation: each example normalised over `axes` (default the last) with its own mean
 * and (biased) variance, then scaled by gamma and shifted by beta, both of the normalised axes' shape.
 * ```ts
 * nn.input(["batch", 10, 64]).add(nn.layerNorm())                         // params gamma, beta [64]
 * nn.input(["batch", 10, 64]).add(nn.layerNorm({ axes: [-2, -1] }))        // params [10, 64], as torch's LayerNorm([10, 64])
 * ```
 */
export function layerNorm<const O extends LayerNormOptions = {}>(opts: O = {} as O) {
  checkOptionNames("layerNorm", opts, LAYER_NORM_OPTIONS);
  const o = opts as LayerNormOptions;
  const eps = epsilonOf("layerNorm", o.epsilon, 1e-5);
  const axes = axisList("layerNorm", "axes", o.axes ?? -1);
  const center = booleanOf("layerNorm", "center", o.center);
  const scale = booleanOf("layerNorm", "scale", o.scale);
  const gammaBeta = affine(scale, center);
  return defineLayer<"layerNorm", O>({
    kind: "layerNorm",
    name: "layerNorm",
    config: { ...opts, epsilon: eps },
    outputShape(s) {
      expectRank("layerNorm", "[..., features]", s, s.length >= 1);
      resolveAxes("layerNorm", axes, s);
      return [...s];
    },
    init: (_k, s) => gammaBeta.init(paramsLayout(resolveAxes("layerNorm", axes, s), s).shape),
    apply(p, x) {
      const resolved = resolveAxes("layerNorm", axes, x.shape);
      const { view } = paramsLayout(resolved, x.shape);
      const [mean, variance] = moments(x, resolved);
      return gammaBeta.apply(mul(sub(x, mean), rsqrt(add(variance, eps))), p, view);
    },
  });
}

// Normalisation over the last (feature/channel) axis: batchNorm (with running statistics as
// explicit state) and layerNorm.
import type { Dim, IsAny, Shape } from "../../../typelevel/index.js";
import { type AnyTensor, type Tensor, ones, zeros, ShapeError as ShapeErrorClass, ValueError, expectOptions } from "../../tensor/index.js";
import { add, mul, rsqrt, sub, square, sum, stopGradient } from "../../core/index.js";
import type { LayerError } from "../layer.js";
import { defineLayer, expectRank } from "./define.js";

type Last<S extends Shape> = S extends readonly [...Dim[], infer C extends Dim] ? C : never;
// NOTE: in the IsAny branch S *is* `any` (an earlier layer failed): passing it on keeps a chain to one error.
type NormEntry<Name extends string, S extends Shape, St> =
  IsAny<S> extends true
    ? { out: S; params: { gamma: Tensor<[number]>; beta: Tensor<[number]> }; state: St }
    : S extends readonly [Dim, ...Dim[]]
      ? { out: S; params: { gamma: Tensor<[Last<S>]>; beta: Tensor<[Last<S>]> }; state: St }
      : { out: LayerError<Name, "[..., features]", S>; params: never; state: St };

declare module "../layer.js" {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- declaration merging repeats LayerTypes' parameters
  interface LayerTypes<S extends Shape, C> {
    /** Shape kept; params gamma, beta `[C]` (C the last dim); state running mean and variance `[C]`. */
    batchNorm: NormEntry<"batchNorm", S, { mean: Tensor<[Last<S>]>; variance: Tensor<[Last<S>]> }>;
    /** Shape kept; params gamma, beta `[C]` (C the last dim); no state. */
    layerNorm: NormEntry<"layerNorm", S, {}>;
  }
}

function moments(x: AnyTensor, axes: number[]): [AnyTensor, AnyTensor] {
  const n = axes.reduce((a, i) => a * x.shape[i], 1);
  const mean = mul(sum(x, axes, { keepDims: true }), 1 / n);
  const variance = mul(sum(square(sub(x, mean)), axes, { keepDims: true }), 1 / n);
  return [mean, variance];
}

/** Options of `nn.batchNorm({ momentum, epsilon })`. */
export interface BatchNormOptions {
  /** Weight of the old running statistics per update. Default 0.99. */
  momentum?: number;
  /** Added to the variance before the square root. Default 1e-3 (Keras). */
  epsilon?: number;
}

/**
 * Batch normalisation over every axis but the last. Training mode normalises with batch
 * statistics and returns updated running statistics as state; eval mode uses the state.
 * ```ts
 * const [y, state2] = model.applyWithState(params, x, { state, training: true, key });
 * ```
 */
export function batchNorm(opts: BatchNormOptions = {}) {
  expectOptions("batchNorm", opts);
  const momentum = opts.momentum ?? 0.99;
  const eps = opts.epsilon ?? 1e-3;
  if (!(momentum >= 0 && momentum < 1))
    throw new ValueError(
      { op: "batchNorm", expected: "a momentum in [0, 1)", got: String(momentum) },
      `batchNorm: momentum must be in [0, 1), got ${momentum}`,
    );
  return defineLayer<"batchNorm", BatchNormOptions>({
    kind: "batchNorm",
    name: "batchNorm",
    config: { momentum, epsilon: eps },
    outputShape(s) {
      expectRank("batchNorm", "[..., features]", s, s.length >= 1);
      return [...s];
    },
    init: (_k, s) => ({ gamma: ones([s[s.length - 1]]), beta: zeros([s[s.length - 1]]) }),
    initState: (s) => ({ mean: zeros([s[s.length - 1]]), variance: ones([s[s.length - 1]]) }),
    apply(p, x, { training, state }) {
      const c = x.shape[x.rank - 1];
      const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
      if (training) {
        if (!state?.mean)
          throw new ValueError(
            { op: "batchNorm", expected: "{ state } from model.initState()", got: "no state" },
            "batchNorm: training mode updates the running statistics: pass { state } from model.initState()",
          );
        const [mean, variance] = moments(x, axes);
        const y = add(mul(mul(sub(x, mean), rsqrt(add(variance, eps))), p.gamma), p.beta);
        const flat = (t: AnyTensor) => stopGradient(sum(t, axes)); // [1,..,C] -> [C]
        const next = {
          mean: add(mul(state.mean, momentum), mul(flat(mean), 1 - momentum)),
          variance: add(mul(state.variance, momentum), mul(flat(variance), 1 - momentum)),
        };
        return [y, next];
      }
      if (!state?.mean) {
        throw new ValueError(
          { op: "batchNorm", expected: "{ state } from model.initState()", got: "no state" },
          "batchNorm: eval mode needs the running statistics: pass { state } from model.initState() or training",
        );
      }
      if (state.mean.shape[0] !== c)
        throw new ShapeErrorClass(
          { op: "batchNorm", expected: `${c} channels`, got: `${state.mean.shape[0]} channels` },
          `batchNorm: state has ${state.mean.shape[0]} channels, input has ${c}`,
        );
      const y = add(mul(mul(sub(x, state.mean), rsqrt(add(state.variance, eps))), p.gamma), p.beta);
      return [y, state];
    },
  });
}

/** Layer normalisation over the last axis, with learned scale and offset. */
export function layerNorm(opts: { epsilon?: number } = {}) {
  expectOptions("layerNorm", opts);
  const eps = opts.epsilon ?? 1e-5;
  return defineLayer<"layerNorm", { epsilon: number }>({
    kind: "layerNorm",
    name: "layerNorm",
    config: { epsilon: eps },
    outputShape(s) {
      expectRank("layerNorm", "[..., features]", s, s.length >= 1);
      return [...s];
    },
    init: (_k, s) => ({ gamma: ones([s[s.length - 1]]), beta: zeros([s[s.length - 1]]) }),
    apply(p, x) {
      const [mean, variance] = moments(x, [x.rank - 1]);
      return add(mul(mul(sub(x, mean), rsqrt(add(variance, eps))), p.gamma), p.beta);
    },
  });
}

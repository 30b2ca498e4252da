// Transformer building blocks over [batch, seq, D]: positionalEmbedding (learned or sinusoidal,
// added to the input) and transformerEncoder (self-attention and a feed-forward block, each with
// a residual connection and layer normalisation, before or after).
import type { Compare, Dim, IsAny, Shape, ShapeError } from "../../../typelevel/index.js";
import {
  type AnyTensor,
  type Tensor,
  ShapeError as ShapeErrorClass,
  ValueError,
  expectOptions,
  tensor,
  zeros,
} from "../../tensor/index.js";
import { add, mul, relu, slice } from "../../core/index.js";
import { bernoulli, foldIn, normal, split } from "../../random/index.js";
import { gelu } from "../activations.js";
import { glorotUniform } from "../init.js";
import type { Key, LayerError, PositiveInt, FloatInput } from "../layer.js";
import { defineLayer, expectRank, positiveInt } from "./define.js";
import { matmulLastAxis } from "./dense.js";
import { layerNorm } from "./norm.js";
import {
  type AttentionParams,
  type SelfAttentionInput,
  attentionForward,
  checkRate,
  initAttentionParams,
  selfAttentionDims,
} from "./attention.js";

// ---------------------------------------------------------------- positionalEmbedding

/** How positions are encoded: a learned table, or the fixed sines and cosines of Vaswani et al. */
export type PositionEncoding = "learned" | "sinusoidal";

/** The config of `nn.positionalEmbedding`, as its `LayerTypes` entry reads it. */
export interface PositionalEmbeddingConfig<
  M extends number = number,
  D extends number | undefined = number | undefined,
  E = PositionEncoding,
> {
  /** The longest sequence the layer takes. */
  maxLength: M;
  /** The feature size, when given (checked against the input). */
  dim: D;
  /** `"learned"` or `"sinusoidal"`. */
  encoding: E;
}

type PositionalEntry<S extends Shape, M extends number, Dm, E> =
  IsAny<S> extends true
    ? { out: S; params: E extends "sinusoidal" ? {} : { table: Tensor<[M, number]> }; state: {} }
    : S extends readonly [Dim, infer T extends Dim, infer D extends Dim]
      ? Dm extends number
        ? D extends number
          ? number extends D | Dm
            ? PositionalOk<S, M, D, E, T>
            : [D] extends [Dm]
              ? PositionalOk<S, M, D, E, T>
              : ShapeErrorEntry<`positionalEmbedding(${M}) expects [batch, seq, ${Dm}], got features ${D}`>
          : PositionalOk<S, M, D, E, T>
        : PositionalOk<S, M, D, E, T>
      : { out: LayerError<`positionalEmbedding(${M})`, "[batch, seq, features]", S>; params: never; state: {} };
type PositionalOk<S extends Shape, M extends number, D extends Dim, E, T extends Dim> =
  Compare<T, M> extends 1
    ? ShapeErrorEntry<`positionalEmbedding(${M}): sequence length ${T & number} exceeds maxLength ${M}`>
    : { out: S; params: E extends "sinusoidal" ? {} : { table: Tensor<[M, D]> }; state: {} };
type ShapeErrorEntry<M extends string> = { out: ShapeError<M>; params: never; state: {} };

declare module "../layer.js" {
  interface LayerTypes<S extends Shape, C> {
    /** `[B, T, D] -> [B, T, D]`: the input plus the first T position vectors; params table `[maxLength, D]` (learned) or none (sinusoidal). */
    positionalEmbedding: (C extends PositionalEmbeddingConfig<infer M, infer D, infer E> ? PositionalEntry<S, M, D, E> : never) &
      FloatInput;
  }
}

/** Options of `nn.positionalEmbedding`. */
export interface PositionalEmbeddingOptions<M extends number, D extends number | undefined, E extends PositionEncoding> {
  /** The longest sequence the layer takes (the learned table's rows). */
  maxLength: M & PositiveInt<M, "positionalEmbedding", "maxLength">;
  /** The feature size D, checked against the input's last dim (optional: read off the input). */
  dim?: D & PositiveInt<D, "positionalEmbedding", "dim">;
  /** `"learned"` (default: a table of trained vectors, as BERT and GPT) or `"sinusoidal"` (fixed, no params). */
  encoding?: E;
}

/** `[T, D]`: sin(pos / 10000^(2i/D)) at feature 2i, cos(...) at 2i + 1 (Vaswani et al. 2017, 3.5). */
export function sinusoidalTable(t: number, d: number): Float32Array {
  const table = new Float32Array(t * d);
  for (let pos = 0; pos < t; pos++)
    for (let i = 0; i < d; i++) {
      const angle = pos / Math.pow(10000, (2 * Math.floor(i / 2)) / d);
      table[pos * d + i] = i % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  return table;
}

/**
 * Adds a vector per position to a sequence of feature vectors: `[batch, seq, D] -> [batch, seq, D]`,
 * position t gets row t of a learned table `[maxLength, D]` (normal, std 0.02) or, with
 * `encoding: "sinusoidal"`, the fixed sines and cosines of the original transformer (no params).
 * Put it after `nn.embedding`. A literal seq longer than maxLength is a compile error; a symbolic
 * one is checked at apply time.
 * ```ts
 * nn.input(["batch", 12], "int32").add(nn.embedding(10, 32)).add(nn.positionalEmbedding({ maxLength: 12 }))   // ["batch", 12, 32]
 * ```
 */
export function positionalEmbedding<
  const M extends number,
  const D extends number | undefined = undefined,
  const E extends PositionEncoding = "learned",
>(opts: PositionalEmbeddingOptions<M, D, E>) {
  const op = "positionalEmbedding";
  expectOptions(op, opts, true);
  positiveInt(op, "maxLength", opts.maxLength);
  if (opts.dim !== undefined) positiveInt(op, "dim", opts.dim);
  const encoding = (opts.encoding ?? "learned") as E;
  if (encoding !== "learned" && encoding !== "sinusoidal")
    throw new ValueError(
      { op, expected: '"learned" or "sinusoidal"', got: String(encoding) },
      `${op}: encoding must be "learned" or "sinusoidal", got ${String(encoding)}`,
    );
  const maxLength = opts.maxLength;
  const dim = opts.dim as D;
  const name = `positionalEmbedding(${maxLength})`;
  return defineLayer<"positionalEmbedding", PositionalEmbeddingConfig<M, D, E>>({
    kind: "positionalEmbedding",
    name,
    config: { maxLength, dim, encoding },
    outputShape(s) {
      expectRank(name, "[batch, seq, features]", s, s.length === 3);
      if (dim !== undefined && s[2] !== dim)
        throw new ShapeErrorClass(
          { op: name, expected: `[batch, seq, ${dim}]`, got: `features ${s[2]}` },
          `${name} expects [batch, seq, ${dim}], got features ${s[2]}`,
        );
      return [...s];
    },
    ...(encoding === "learned"
      ? { init: (key: Key, s: readonly number[]) => ({ table: normal(key, [maxLength, s[2]], { std: 0.02 }) }) }
      : {}),
    apply(p, x) {
      const [, t, d] = x.shape;
      if (t > maxLength)
        throw new ShapeErrorClass(
          { op: name, expected: `a sequence of at most ${maxLength}`, got: String(t) },
          `${name}: sequence length ${t} exceeds maxLength ${maxLength}`,
        );
      const rows = encoding === "learned" ? slice(p.table, [0, 0], [t, d]) : tensor(sinusoidalTable(t, d), [t, d]);
      return add(x, rows);
    },
  });
}

// ---------------------------------------------------------------- transformerEncoder

/** The config of `nn.transformerEncoder`, as its `LayerTypes` entry reads it. */
export interface TransformerEncoderConfig<
  H extends number = number,
  K extends number | undefined = number | undefined,
  F extends number = number,
> {
  /** Attention heads. */
  heads: H;
  /** Head size (`undefined`: model dim / heads). */
  keyDim: K;
  /** Hidden size of the feed-forward block. */
  ffDim: F;
  /** Dropout rate in training mode. */
  dropout: number;
  /** Whether position i attends positions 0..i only. */
  causal: boolean;
  /** Layer norm after each residual sum (`"post"`) or before each sub-block (`"pre"`). */
  norm: "pre" | "post";
  /** The feed-forward activation. */
  activation: "relu" | "gelu";
}

/** The params of one encoder block on model dim D. */
export interface TransformerEncoderParams<D extends Dim = Dim, H extends Dim = Dim, K extends Dim = Dim, F extends Dim = Dim> {
  /** The self-attention's params (`nn.multiHeadAttention`'s layout, valueDim = keyDim). */
  attention: AttentionParams<D, H, K, K>;
  /** The layer norm of the attention sub-block. */
  attentionNorm: { gamma: Tensor<[D]>; beta: Tensor<[D]> };
  /** The feed-forward block: `[D, ffDim]`, then `[ffDim, D]`. */
  feedForward: { inner: { kernel: Tensor<[D, F]>; bias: Tensor<[F]> }; outer: { kernel: Tensor<[F, D]>; bias: Tensor<[D]> } };
  /** The layer norm of the feed-forward sub-block. */
  feedForwardNorm: { gamma: Tensor<[D]>; beta: Tensor<[D]> };
}

type EncoderEntry<S extends Shape, H extends number, K, F extends number> =
  SelfAttentionInput<`transformerEncoder(${H} heads)`, S, H, K> extends infer R
    ? R extends { out: infer O; model: infer D extends Dim; head: infer KD extends number }
      ? { out: O; params: TransformerEncoderParams<D, H, KD, F>; state: {} }
      : { out: R extends { error: infer E } ? E : never; params: never; state: {} }
    : never;

declare module "../layer.js" {
  interface LayerTypes<S extends Shape, C> {
    /** `[B, T, D] -> [B, T, D]`: self-attention and a feed-forward block `[D, ffDim, D]`, each residual with a layer norm. */
    transformerEncoder: (C extends TransformerEncoderConfig<infer H, infer K, infer F> ? EncoderEntry<S, H, K, F> : never) & FloatInput;
  }
}

/** Options of `nn.transformerEncoder`. */
export interface TransformerEncoderOptions<H extends number, K extends number | undefined, F extends number> {
  /** Attention heads. */
  heads: H & PositiveInt<H, "transformerEncoder", "heads">;
  /** Head size. Default: the model dim / heads (must divide). */
  keyDim?: K & PositiveInt<K, "transformerEncoder", "keyDim">;
  /** Hidden size of the feed-forward block. */
  ffDim: F & PositiveInt<F, "transformerEncoder", "ffDim">;
  /** Dropout rate on the attention weights and on each sub-block's output, in training mode. Default 0. */
  dropout?: number;
  /** Position i attends positions 0..i only (a decoder-only stack). Default false. */
  causal?: boolean;
  /**
   * `"post"` (default: the original transformer, PyTorch's and Keras' default): x = norm(x + f(x));
   * `"pre"`: x = x + f(norm(x)), which trains deep stacks without warm-up.
   */
  norm?: "pre" | "post";
  /** The feed-forward activation: `"relu"` (default) or `"gelu"`. */
  activation?: "relu" | "gelu";
  /** The layer norms' epsilon. Default 1e-5. */
  epsilon?: number;
}

function denseInit(key: Key, fanIn: number, units: number) {
  return { kernel: glorotUniform(key, [fanIn, units]), bias: zeros([units]) };
}

/**
 * One transformer encoder block (Vaswani et al. 2017): multi-head self-attention, then a
 * position-wise feed-forward block `D -> ffDim -> D`, each added back to its input (residual) with
 * a layer norm after it (`norm: "post"`, the default) or before the sub-block (`norm: "pre"`).
 * `[batch, seq, D] -> [batch, seq, D]`; keyDim defaults to D / heads (a compile error when it does
 * not divide). `causal` and the apply context's `mask` work as in `nn.multiHeadAttention`;
 * `dropout` applies to the attention weights and to each sub-block's output in training mode.
 * ```ts
 * nn.input(["batch", "seq", 64]).add(nn.transformerEncoder({ heads: 4, ffDim: 128, norm: "pre" }))   // ["batch", "seq", 64]
 * ```
 */
export function transformerEncoder<const H extends number, const F extends number, const K extends number | undefined = undefined>(
  opts: TransformerEncoderOptions<H, K, F>,
) {
  const op = "transformerEncoder";
  expectOptions(op, opts, true);
  positiveInt(op, "heads", opts.heads);
  positiveInt(op, "ffDim", opts.ffDim);
  if (opts.keyDim !== undefined) positiveInt(op, "keyDim", opts.keyDim);
  const heads = opts.heads;
  const keyDim = opts.keyDim as K;
  const ffDim = opts.ffDim;
  const dropout = checkRate(op, opts.dropout);
  const causal = opts.causal ?? false;
  const norm = opts.norm ?? "post";
  if (norm !== "pre" && norm !== "post")
    throw new ValueError(
      { op, expected: '"pre" or "post"', got: String(norm) },
      `${op}: norm must be "pre" or "post", got ${String(norm)}`,
    );
  const activation = opts.activation ?? "relu";
  if (activation !== "relu" && activation !== "gelu")
    throw new ValueError(
      { op, expected: '"relu" or "gelu"', got: String(activation) },
      `${op}: activation must be "relu" or "gelu", got ${String(activation)}`,
    );
  const ln = layerNorm({ epsilon: opts.epsilon ?? 1e-5 });
  const name = `transformerEncoder(${heads} heads)`;
  const dims = selfAttentionDims(name, heads, keyDim);
  return defineLayer<"transformerEncoder", TransformerEncoderConfig<H, K, F>, TransformerEncoderParams>({
    kind: "transformerEncoder",
    name,
    config: { heads, keyDim, ffDim, dropout, causal, norm, activation },
    stochastic: dropout > 0,
    outputShape: dims.outputShape,
    init(key, s) {
      const { d, kd } = dims.of(s);
      const [k1, k2, k3] = split(key, 3);
      return {
        attention: initAttentionParams(k1, { query: d, key: d, value: d, output: d }, heads, kd, kd),
        attentionNorm: ln.init(k1, s) as TransformerEncoderParams["attentionNorm"],
        feedForward: { inner: denseInit(k2, d, ffDim), outer: denseInit(k3, ffDim, d) },
        feedForwardNorm: ln.init(k1, s) as TransformerEncoderParams["feedForwardNorm"],
      };
    },
    apply(p, x, ctx) {
      const training = ctx.training ?? false;
      if (training && dropout > 0 && ctx.key === undefined)
        throw new ValueError(
          { op: name, expected: "a PRNG key in training mode", got: "no key" },
          `${name}: training mode needs a PRNG key ({ training: true, key })`,
        );
      const drop = (h: AnyTensor, i: number): AnyTensor =>
        training && dropout > 0 && ctx.key !== undefined
          ? mul(h, mul(bernoulli(foldIn(ctx.key, i), h.shape, { p: 1 - dropout, dtype: "float32" }), 1 / (1 - dropout)))
          : h;
      const normed = (g: { gamma: AnyTensor; beta: AnyTensor }, h: AnyTensor) => ln.apply(g, h)[0];
      const selfAttention = (h: AnyTensor) =>
        drop(
          attentionForward(name, p.attention, h, h, h, {
            mask: ctx.mask as never,
            causal,
            dropout,
            training,
            key: ctx.key === undefined ? undefined : foldIn(ctx.key, 0),
          }),
          1,
        );
      const feedForward = (h: AnyTensor) => {
        const f = p.feedForward;
        const inner = add(matmulLastAxis(h, f.inner.kernel), f.inner.bias);
        const act = activation === "relu" ? relu(inner) : gelu(inner as Tensor<Shape>);
        return drop(add(matmulLastAxis(act, f.outer.kernel), f.outer.bias), 2);
      };
      if (norm === "pre") {
        const h = add(x, selfAttention(normed(p.attentionNorm, x)));
        return add(h, feedForward(normed(p.feedForwardNorm, h)));
      }
      const h = normed(p.attentionNorm, add(x, selfAttention(x)));
      return normed(p.feedForwardNorm, add(h, feedForward(h)));
    },
  });
}

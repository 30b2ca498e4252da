// Multi-head attention (Vaswani et al. 2017) with Keras' projection layout: per-head query, key
// and value kernels [D, heads, headDim] and an output kernel [heads, valueDim, D]. The layer is
// self-attention over [batch, seq, D]; `attention(params, q, k, v, opts)` is the function form
// (cross-attention, multi-input models).
import type { Dim, FloorDiv, IsAny, Mod, Shape, ShapeError } from "../../../typelevel/index.js";
import {
  type AnyTensor,
  type Tensor,
  ShapeError as ShapeErrorClass,
  DTypeError,
  ValueError,
  expectOptions,
  expectTensor,
  formatShape,
  tensor,
  zeros,
} from "../../tensor/index.js";
import {
  add,
  div,
  exp,
  matmul,
  max,
  mul,
  reshape,
  scoped,
  leafTensors,
  stopGradient,
  sub,
  sum,
  transpose,
  where,
} from "../../core/index.js";
import { bernoulli, split } from "../../random/index.js";
import { glorotUniform } from "../init.js";
import type { Key, LayerError, PositiveInt, FloatInput } from "../layer.js";
import { defineLayer, expectRank, positiveInt } from "./define.js";

// ---------------------------------------------------------------- types

/** The params of multi-head attention: Keras' layout (`query/kernel` is `[D, heads, keyDim]`). */
export interface AttentionParams<
  Dq extends Dim = Dim,
  H extends Dim = Dim,
  K extends Dim = Dim,
  V extends Dim = Dim,
  Dk extends Dim = Dq,
  Dv extends Dim = Dq,
  Do extends Dim = Dq,
> {
  /** Query projection: kernel `[Dq, heads, keyDim]`, bias `[heads, keyDim]`. */
  query: { kernel: Tensor<[Dq, H, K]>; bias: Tensor<[H, K]> };
  /** Key projection: kernel `[Dk, heads, keyDim]`, bias `[heads, keyDim]`. */
  key: { kernel: Tensor<[Dk, H, K]>; bias: Tensor<[H, K]> };
  /** Value projection: kernel `[Dv, heads, valueDim]`, bias `[heads, valueDim]`. */
  value: { kernel: Tensor<[Dv, H, V]>; bias: Tensor<[H, V]> };
  /** Output projection: kernel `[heads, valueDim, Do]`, bias `[Do]`. */
  output: { kernel: Tensor<[H, V, Do]>; bias: Tensor<[Do]> };
}

/** The config of `nn.multiHeadAttention`, as its `LayerTypes` entry reads it (`undefined`: the default). */
export interface MultiHeadAttentionConfig<
  H extends number = number,
  K extends number | undefined = number | undefined,
  V extends number | undefined = number | undefined,
> {
  /** Number of heads. */
  heads: H;
  /** Head size of queries and keys (`undefined`: model dim / heads). */
  keyDim: K;
  /** Head size of values (`undefined`: keyDim). */
  valueDim: V;
  /** Dropout rate on the attention weights in training mode. */
  dropout: number;
  /** Whether position i attends positions 0..i only. */
  causal: boolean;
}

/**
 * The size of a head: `keyDim` when given; otherwise the model dim over the heads (PyTorch's
 * `embed_dim / num_heads`), which must divide exactly.
 */
export type HeadDim<Name extends string, D extends Dim, H extends number, K> = K extends number
  ? K
  : D extends number
    ? number extends D | H
      ? number
      : Mod<D, H> extends 0
        ? FloorDiv<D, H>
        : ShapeError<`${Name}: model dim ${D} is not divisible by ${H} heads; pass keyDim to choose the head size`>
    : number;

/**
 * What a self-attention layer (`Name`) reads of its input `[B, T, D]`: the output shape, the model
 * dim D and the head size; for an `any` input (after an earlier error) `any` and `number`s; or
 * the error its entry reports (not `[batch, seq, features]`, or heads that do not divide D).
 */
export type SelfAttentionInput<Name extends string, S extends Shape, H extends number, K> =
  IsAny<S> extends true
    ? { out: S; model: number; head: number }
    : S extends readonly [infer B extends Dim, infer T extends Dim, infer D extends Dim]
      ? HeadDim<Name, D, H, K> extends infer KD
        ? KD extends number
          ? { out: [B, T, D]; model: D; head: KD }
          : { error: KD }
        : never
      : { error: LayerError<Name, "[batch, seq, features]", S> };

type MhaEntry<S extends Shape, H extends number, K, V> =
  SelfAttentionInput<`multiHeadAttention(${H} heads)`, S, H, K> extends infer R
    ? R extends { out: infer O; model: infer D extends Dim; head: infer KD extends number }
      ? { out: O; params: AttentionParams<D, H, KD, V extends number ? V : KD>; state: {} }
      : { out: R extends { error: infer E } ? E : never; params: never; state: {} }
    : never;

// NOTE: in the IsAny branch S *is* `any` (an earlier layer failed): passing it on keeps a chain to one error.
declare module "../layer.js" {
  interface LayerTypes<S extends Shape, C> {
    /**
     * Self-attention `[B, T, D] -> [B, T, D]`; params query / key / value / output, each
     * `{ kernel, bias }` (`query.kernel` is `[D, heads, keyDim]`, `output.kernel` `[heads, valueDim, D]`).
     */
    multiHeadAttention: (C extends MultiHeadAttentionConfig<infer H, infer K, infer V> ? MhaEntry<S, H, K, V> : never) & FloatInput;
  }
}

// ---------------------------------------------------------------- masks and softmax

/**
 * The score given to masked positions: large and negative but finite, so a row with every
 * position masked becomes uniform instead of 0/0 = NaN (and gradients stay finite).
 */
export const MASKED_SCORE = -1e9;

/** `[Tq, Tk]` bool, true where query i may attend key j (j <= i): the causal mask. */
function causalMaskData(tq: number, tk: number): AnyTensor {
  const m = new Uint8Array(tq * tk);
  for (let i = 0; i < tq; i++) for (let j = 0; j <= i && j < tk; j++) m[i * tk + j] = 1;
  return tensor(m, [tq, tk], "bool");
}

/**
 * The user's mask as `[B, 1, Tq | 1, Tk]` bool, broadcasting against scores `[B, H, Tq, Tk]`:
 * `[B, Tk]` (padding: which keys exist) or `[B, Tq, Tk]` (which query sees which key).
 */
function maskFor(op: string, mask: unknown, b: number, tq: number, tk: number): AnyTensor {
  expectTensor(op, mask, "mask");
  const m = mask;
  const want = `bool [${b}, ${tk}] (padding) or [${b}, ${tq}, ${tk}]`;
  if (m.dtype !== "bool")
    throw new DTypeError({ op, expected: "a bool mask", got: m.dtype }, `${op}: mask must be bool (true = attend), got ${m.dtype}`);
  const s = m.shape;
  if (s.length === 2 && s[0] === b && s[1] === tk) return reshape(m, [b, 1, 1, tk]);
  if (s.length === 3 && s[0] === b && s[1] === tq && s[2] === tk) return reshape(m, [b, 1, tq, tk]);
  throw new ShapeErrorClass({ op, expected: want, got: formatShape(s) }, `${op}: mask must be ${want}, got ${formatShape(s)}`);
}

/** softmax over the last axis, shifted by a stopped max so exp never overflows. */
function softmaxLast(s: AnyTensor): AnyTensor {
  const e = exp(sub(s, stopGradient(max(s, [s.rank - 1], { keepDims: true }))));
  return div(e, sum(e, [s.rank - 1], { keepDims: true }));
}

// ---------------------------------------------------------------- the computation

/** Options of the function form `nn.attention(params, query, key, value, opts)`. */
export interface AttentionOptions<B extends Dim = Dim, Tq extends Dim = Dim, Tk extends Dim = Dim> {
  /**
   * true = attend. `[batch, keySeq]` masks keys (padding), `[batch, querySeq, keySeq]` masks
   * pairs. Combined with `causal` when both are given.
   */
  mask?: Tensor<[B, Tk], "bool"> | Tensor<[B, Tq, Tk], "bool">;
  /** Query i attends keys 0..i only (a decoder's mask). Default false. */
  causal?: boolean;
  /** Dropout rate on the attention weights in training mode. Default 0. */
  dropout?: number;
  /** Training mode: dropout active (needs `key`). Default false. */
  training?: boolean;
  /** The PRNG key of the dropout in training mode. */
  key?: Key;
}

/** `[B, T, Din] x kernel [Din, H, K] + bias [H, K] -> [B, H, T, K]`, as one 2-D product. */
function projectHeads(x: AnyTensor, kernel: AnyTensor, bias: AnyTensor): AnyTensor {
  const [b, t, din] = x.shape;
  const [, h, k] = kernel.shape;
  const y = add(matmul(reshape(x, [b * t, din]), reshape(kernel, [din, h * k])), reshape(bias, [h * k]));
  return transpose(reshape(y, [b, t, h, k]), [0, 2, 1, 3]);
}

function checkRank3(op: string, what: string, x: unknown): AnyTensor {
  expectTensor(op, x, what);
  if (x.rank !== 3)
    throw new ShapeErrorClass(
      { op, expected: `${what} [batch, seq, features]`, got: formatShape(x.shape) },
      `${op} expects ${what} [batch, seq, features], got ${formatShape(x.shape)}`,
    );
  if (x.dtype !== "float32")
    throw new DTypeError({ op, expected: "float32", got: x.dtype }, `${op}: ${what} must be float32, got ${x.dtype}`);
  return x;
}

/** A params record's tensor at `group.leaf`, or an error naming the path. */
function leaf(op: string, params: unknown, group: string, name: string): AnyTensor {
  const g = (params as Record<string, unknown> | null | undefined)?.[group];
  const t = (g as Record<string, unknown> | null | undefined)?.[name];
  expectTensor(op, t, `params.${group}.${name}`);
  return t;
}

/** The shared forward pass of the layer, the function form and the encoder block. */
export function attentionForward(op: string, params: unknown, q: AnyTensor, k: AnyTensor, v: AnyTensor, opts: AttentionOptions): AnyTensor {
  checkRank3(op, "query", q);
  checkRank3(op, "key", k);
  checkRank3(op, "value", v);
  const [b, tq, dq] = q.shape;
  const [bk, tk, dk] = k.shape;
  const [bv, tv, dv] = v.shape;
  if (bk !== b || bv !== b || tv !== tk)
    throw new ShapeErrorClass(
      { op, expected: `key and value [${b}, keySeq, ...] with one keySeq`, got: `${formatShape(k.shape)} and ${formatShape(v.shape)}` },
      `${op}: key ${formatShape(k.shape)} and value ${formatShape(v.shape)} must share the batch ${b} of the query and one sequence length`,
    );
  const p = {
    wq: leaf(op, params, "query", "kernel"),
    bq: leaf(op, params, "query", "bias"),
    wk: leaf(op, params, "key", "kernel"),
    bk: leaf(op, params, "key", "bias"),
    wv: leaf(op, params, "value", "kernel"),
    bv: leaf(op, params, "value", "bias"),
    wo: leaf(op, params, "output", "kernel"),
    bo: leaf(op, params, "output", "bias"),
  };
  const [h, kd] = p.wq.shape.slice(1);
  const vd = p.wv.shape[2];
  const expect = (name: string, t: AnyTensor, want: number[]) => {
    if (t.rank !== want.length || t.shape.some((d, i) => d !== want[i]))
      throw new ShapeErrorClass(
        { op, expected: `${name} ${formatShape(want)}`, got: formatShape(t.shape) },
        `${op}: ${name} must be ${formatShape(want)} for inputs ${formatShape(q.shape)}, ${formatShape(k.shape)}, ${formatShape(v.shape)}, got ${formatShape(t.shape)}`,
      );
  };
  expect("params.query.kernel", p.wq, [dq, h, kd]);
  expect("params.query.bias", p.bq, [h, kd]);
  expect("params.key.kernel", p.wk, [dk, h, kd]);
  expect("params.key.bias", p.bk, [h, kd]);
  expect("params.value.kernel", p.wv, [dv, h, vd]);
  expect("params.value.bias", p.bv, [h, vd]);
  const dout = p.wo.shape[2];
  expect("params.output.kernel", p.wo, [h, vd, dout]);
  expect("params.output.bias", p.bo, [dout]);
  const rate = opts.dropout ?? 0;
  const mask = opts.mask === undefined ? undefined : maskFor(op, opts.mask, b, tq, tk);
  if (opts.training && rate > 0 && opts.key === undefined)
    throw new ValueError(
      { op, expected: "a PRNG key in training mode", got: "no key" },
      `${op}: training mode with dropout needs a PRNG key ({ training: true, key })`,
    );

  // NOTE: scaling q (B·H·Tq·K values) is cheaper than scaling the scores (B·H·Tq·Tk)
  const qh = mul(projectHeads(q, p.wq, p.bq), 1 / Math.sqrt(kd)); // [B, H, Tq, K]
  const kh = projectHeads(k, p.wk, p.bk); // [B, H, Tk, K]
  const vh = projectHeads(v, p.wv, p.bv); // [B, H, Tk, V]
  let scores = matmul(qh, transpose(kh, [0, 1, 3, 2])); // [B, H, Tq, Tk]
  if (mask !== undefined) scores = where(mask, scores, MASKED_SCORE);
  if (opts.causal) scores = where(reshape(causalMaskData(tq, tk), [1, 1, tq, tk]), scores, MASKED_SCORE);
  let weights = softmaxLast(scores);
  if (opts.training && rate > 0 && opts.key !== undefined)
    weights = mul(weights, mul(bernoulli(opts.key, weights.shape, { p: 1 - rate, dtype: "float32" }), 1 / (1 - rate)));
  const heads = transpose(matmul(weights, vh), [0, 2, 1, 3]); // [B, Tq, H, V]
  const out = add(matmul(reshape(heads, [b * tq, h * vd]), reshape(p.wo, [h * vd, dout])), p.bo);
  return reshape(out, [b, tq, dout]);
}

/**
 * Fresh params for query, key and value inputs of the given feature sizes and an output size
 * (glorotUniform kernels, zero biases); temporaries are freed.
 */
export function initAttentionParams(
  key: Key,
  dims: { query: number; key: number; value: number; output: number },
  heads: number,
  keyDim: number,
  valueDim: number,
): AttentionParams {
  return scoped(() => {
    const [k1, k2, k3, k4] = split(key, 4);
    // NOTE: Keras' glorot fans for a [D, H, K] kernel are D and H·K: draw it as the 2-D [D, H·K] matrix
    const kernel = (k: Key, fanIn: number, a: number, b: number) => reshape(glorotUniform(k, [fanIn, a * b]), [fanIn, a, b]);
    return {
      query: { kernel: kernel(k1, dims.query, heads, keyDim), bias: zeros([heads, keyDim]) },
      key: { kernel: kernel(k2, dims.key, heads, keyDim), bias: zeros([heads, keyDim]) },
      value: { kernel: kernel(k3, dims.value, heads, valueDim), bias: zeros([heads, valueDim]) },
      output: {
        kernel: reshape(glorotUniform(k4, [heads * valueDim, dims.output]), [heads, valueDim, dims.output]),
        bias: zeros([dims.output]),
      },
    } as AttentionParams;
  }, leafTensors);
}

/**
 * Multi-head attention as a function: `query [B, Tq, Dq]`, `key [B, Tk, Dk]`, `value [B, Tk, Dv]`
 * to `[B, Tq, Do]`, with params in `nn.multiHeadAttention`'s layout (heads, head sizes and Do are
 * read off them). For cross-attention and models with several inputs; the layer is this with
 * `query = key = value = x`. The mask is typed: `[B, Tk]` or `[B, Tq, Tk]` bool, true = attend.
 * ```ts
 * const layer = nn.multiHeadAttention({ heads: 4 });
 * const params = layer.init(random.key(0), [2, 10, 32]);
 * const y = nn.attention(params, x, memory, memory, { mask: notEqual(ids, 0) });   // [2, 10, 32]
 * ```
 */
export function attention<
  B extends Dim,
  Tq extends Dim,
  Tk extends Dim,
  Dq extends Dim,
  Dk extends Dim,
  Dv extends Dim,
  H extends Dim,
  K extends Dim,
  V extends Dim,
  Do extends Dim,
>(
  params: AttentionParams<Dq, H, K, V, Dk, Dv, Do>,
  query: Tensor<[B, Tq, NoInfer<Dq>]>,
  key: Tensor<[B, Tk, NoInfer<Dk>]>,
  value: Tensor<[B, Tk, NoInfer<Dv>]>,
  opts: AttentionOptions<NoInfer<B>, NoInfer<Tq>, NoInfer<Tk>> = {},
): Tensor<[B, Tq, Do]> {
  expectOptions("attention", opts);
  return scoped(() => attentionForward("attention", params, query, key, value, opts), leafTensors) as Tensor<[B, Tq, Do]>;
}

// ---------------------------------------------------------------- the layer

/** Options of `nn.multiHeadAttention`. */
export interface MultiHeadAttentionOptions<H extends number, K extends number | undefined, V extends number | undefined> {
  /** Number of heads. */
  heads: H & PositiveInt<H, "multiHeadAttention", "heads">;
  /** Size of each head's queries and keys. Default: the model dim / heads (must divide). */
  keyDim?: K & PositiveInt<K, "multiHeadAttention", "keyDim">;
  /** Size of each head's values. Default `keyDim`. */
  valueDim?: V & PositiveInt<V, "multiHeadAttention", "valueDim">;
  /** Dropout rate on the attention weights in training mode. Default 0. */
  dropout?: number;
  /** Position i attends positions 0..i only. Default false. */
  causal?: boolean;
}

export function checkRate(op: string, rate: unknown): number {
  if (rate === undefined) return 0;
  if (typeof rate !== "number" || !(rate >= 0 && rate < 1))
    throw new ValueError(
      { op, expected: "a dropout rate in [0, 1)", got: String(rate) },
      `${op}: dropout must be in [0, 1), got ${String(rate)}`,
    );
  return rate;
}

/** The head size for model dim d: keyDim, or d / heads (an error naming the layer when it does not divide). */
function headDim(name: string, d: number, heads: number, keyDim: number | undefined): number {
  if (keyDim !== undefined) return keyDim;
  if (d % heads !== 0)
    throw new ShapeErrorClass(
      { op: name, expected: `a model dim divisible by ${heads}`, got: String(d) },
      `${name}: model dim ${d} is not divisible by ${heads} heads; pass keyDim to choose the head size`,
    );
  return d / heads;
}

/**
 * The shape rule of a self-attention layer `name` (`[batch, seq, D]` kept; heads must divide D
 * unless `keyDim` is given) and the model dim and head size its params are made for.
 */
export function selfAttentionDims(name: string, heads: number, keyDim: number | undefined) {
  return {
    outputShape(s: readonly number[]): number[] {
      expectRank(name, "[batch, seq, features]", s, s.length === 3);
      headDim(name, s[2], heads, keyDim);
      return [...s];
    },
    /** D and the head size for input shape `s`. */
    of(s: readonly number[]): { d: number; kd: number } {
      return { d: s[2], kd: headDim(name, s[2], heads, keyDim) };
    },
  };
}

/**
 * Multi-head self-attention over `[batch, seq, D]`, output `[batch, seq, D]` (Keras'
 * `MultiHeadAttention` with query = key = value). Each head projects to `keyDim` (default
 * D / heads, which must divide: a compile error otherwise) and `valueDim` (default keyDim); the
 * output projection maps heads · valueDim back to D, so any heads and keyDim fit any D when keyDim
 * is given. Scores are scaled by 1/√keyDim; masked positions get a large negative score (never
 * NaN, even for a row with nothing to attend). `causal` masks the future; a padding mask
 * (`[batch, seq]` or `[batch, seq, seq]` bool, true = attend) comes as `mask` in the apply context.
 * Symbolic sequence lengths are kept: `["batch", "seq", 64]` in gives `["batch", "seq", 64]`.
 * ```ts
 * const m = nn.input(["batch", "seq", 64], "int32").add(nn.multiHeadAttention({ heads: 8, causal: true }));
 * m.apply(params, x, { mask: notEqual(ids, 0) });
 * ```
 */
export function multiHeadAttention<
  const H extends number,
  const K extends number | undefined = undefined,
  const V extends number | undefined = undefined,
>(opts: MultiHeadAttentionOptions<H, K, V>) {
  const op = "multiHeadAttention";
  expectOptions(op, opts);
  if (opts === null || typeof opts !== "object")
    throw new ValueError({ op, expected: "options { heads, ... }", got: String(opts) }, `${op}: expected options { heads, ... }`);
  positiveInt(op, "heads", opts.heads);
  if (opts.keyDim !== undefined) positiveInt(op, "keyDim", opts.keyDim);
  if (opts.valueDim !== undefined) positiveInt(op, "valueDim", opts.valueDim);
  const heads = opts.heads;
  const keyDim = opts.keyDim as K;
  const valueDim = opts.valueDim as V;
  const dropout = checkRate(op, opts.dropout);
  const causal = opts.causal ?? false;
  const name = `multiHeadAttention(${heads} heads)`;
  const dims = selfAttentionDims(name, heads, keyDim);
  return defineLayer<"multiHeadAttention", MultiHeadAttentionConfig<H, K, V>, AttentionParams>({
    kind: "multiHeadAttention",
    name,
    config: { heads, keyDim, valueDim, dropout, causal },
    stochastic: dropout > 0,
    outputShape: dims.outputShape,
    init(key, s) {
      const { d, kd } = dims.of(s);
      return initAttentionParams(key, { query: d, key: d, value: d, output: d }, heads, kd, valueDim ?? kd);
    },
    apply: (p, x, ctx) =>
      attentionForward(name, p, x, x, x, {
        mask: ctx.mask as AttentionOptions["mask"],
        causal,
        dropout,
        training: ctx.training,
        key: ctx.key,
      }),
  });
}

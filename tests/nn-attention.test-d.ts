// Type tests for attention and the transformer layers: the shapes a user sees (symbolic
// sequence lengths kept), the params' types, and the mistakes that must not compile (each
// `@ts-expect-error` on the offending argument, the exact message asserted beside it).
// Checked by `tsc -p tsconfig.json` (not run by vitest).
import type { ErrorMessage } from "../typelevel/index.js";
import * as nn from "../src/nn/index.js";
import type { LayerOut, OutputOf, ParamsOf } from "../src/nn/index.js";
import type { Tensor } from "../src/tensor/index.js";

type Expect<T extends true> = T;
type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;
type AddError<M, L> = ErrorMessage<LayerOut<L, OutputOf<M>>>;
declare const anyTensor: <S extends readonly (string | number)[], D extends "float32" | "int32" | "bool" = "float32">() => Tensor<
  [...S],
  D
>;

// ---------------------------------------------------------------- shapes kept, symbolic dims too

const encoder = nn
  .input(["batch", "seq"], "int32")
  .add(nn.embedding(100, 64))
  .add(nn.positionalEmbedding({ maxLength: 128, encoding: "sinusoidal" }))
  .add(nn.multiHeadAttention({ heads: 8, causal: true }))
  .add(nn.transformerEncoder({ heads: 4, ffDim: 256, norm: "pre" }))
  .add(nn.dense(100));
type _out = Expect<Equal<OutputOf<typeof encoder>, ["batch", "seq", 100]>>;

// params: keyDim defaults to D / heads (64 / 8 = 8), valueDim to keyDim
type MhaParams = ParamsOf<typeof encoder>[2];
type _q = Expect<Equal<MhaParams["query"]["kernel"], Tensor<[64, 8, 8]>>>;
type _o = Expect<Equal<MhaParams["output"]["kernel"], Tensor<[8, 8, 64]>>>;
type EncParams = ParamsOf<typeof encoder>[3];
type _ff = Expect<Equal<EncParams["feedForward"]["inner"]["kernel"], Tensor<[64, 256]>>>;
type _k = Expect<Equal<EncParams["attention"]["key"]["kernel"], Tensor<[64, 4, 16]>>>;
// sinusoidal positions have no params; learned ones a [maxLength, D] table
type _pos = Expect<Equal<ParamsOf<typeof encoder>[1], {}>>;
const learned = nn.input([2, 10, 32]).add(nn.positionalEmbedding({ maxLength: 16 }));
type _table = Expect<Equal<ParamsOf<typeof learned>[0], { table: Tensor<[16, 32]> }>>;

// explicit head sizes: Keras' semantics, any heads and keyDim fit any model dim
const keras = nn.input(["batch", "seq", 30]).add(nn.multiHeadAttention({ heads: 4, keyDim: 16, valueDim: 8 }));
type _kerasOut = Expect<Equal<OutputOf<typeof keras>, ["batch", "seq", 30]>>;
type _kerasV = Expect<Equal<ParamsOf<typeof keras>[0]["value"]["kernel"], Tensor<[30, 4, 8]>>>;

// ---------------------------------------------------------------- mistakes that must not compile

// 1. the model dim does not divide into the heads (and no keyDim says the head size)
const d30 = nn.input(["batch", "seq", 30]);
const bad1 = d30
  // @ts-expect-error multiHeadAttention(4 heads): model dim 30 is not divisible by 4 heads
  .add(nn.multiHeadAttention({ heads: 4 }));
type _b1 = Expect<
  Equal<
    AddError<typeof d30, ReturnType<typeof nn.multiHeadAttention<4>>>,
    "multiHeadAttention(4 heads): model dim 30 is not divisible by 4 heads; pass keyDim to choose the head size"
  >
>;

// 2. attention over a rank-2 input
const flat = nn.input(["batch", 64]);
const bad2 = flat
  // @ts-expect-error multiHeadAttention(2 heads) expects [batch, seq, features], got [batch, 64]
  .add(nn.multiHeadAttention({ heads: 2 }));
type _b2 = Expect<
  Equal<
    AddError<typeof flat, ReturnType<typeof nn.multiHeadAttention<2>>>,
    "multiHeadAttention(2 heads) expects [batch, seq, features], got [batch, 64]"
  >
>;

// 3. the encoder block checks its heads the same way
const bad3 = d30
  // @ts-expect-error transformerEncoder(4 heads): model dim 30 is not divisible by 4 heads
  .add(nn.transformerEncoder({ heads: 4, ffDim: 64 }));

// 4. non-positive configs fail on the call
// @ts-expect-error multiHeadAttention: heads must be a positive integer, got 0
const bad4 = nn.multiHeadAttention({ heads: 0 });
// @ts-expect-error transformerEncoder: ffDim must be a positive integer, got -1
const bad5 = nn.transformerEncoder({ heads: 2, ffDim: -1 });

// 6. a literal sequence longer than the position table
const long = nn.input(["batch", 20, 8]);
const bad6 = long
  // @ts-expect-error positionalEmbedding(16): sequence length 20 exceeds maxLength 16
  .add(nn.positionalEmbedding({ maxLength: 16 }));
type _b6 = Expect<
  Equal<
    AddError<typeof long, ReturnType<typeof nn.positionalEmbedding<16>>>,
    "positionalEmbedding(16): sequence length 20 exceeds maxLength 16"
  >
>;

// 7. a position table of the wrong width
const bad7 = long
  // @ts-expect-error positionalEmbedding(32) expects [batch, seq, 16], got features 8
  .add(nn.positionalEmbedding({ maxLength: 32, dim: 16 }));

// ---------------------------------------------------------------- the function form: typed masks

declare const params: nn.AttentionParams<64, 4, 16, 16>;
const q = anyTensor<["batch", "tq", 64]>();
const kv = anyTensor<["batch", "tk", 64]>();
const y = nn.attention(params, q, kv, kv, { mask: anyTensor<["batch", "tk"], "bool">() });
type _y = Expect<Equal<typeof y, Tensor<["batch", "tq", 64]>>>;
nn.attention(params, q, kv, kv, { mask: anyTensor<["batch", "tq", "tk"], "bool">(), causal: true });
// @ts-expect-error a mask over the query length where the key length belongs
nn.attention(params, q, kv, kv, { mask: anyTensor<["batch", "tq"], "bool">() });
// @ts-expect-error a float mask
nn.attention(params, q, kv, kv, { mask: anyTensor<["batch", "tk"], "float32">() });
// @ts-expect-error the query's features (32) do not match the params' (64)
nn.attention(params, anyTensor<["batch", "tq", 32]>(), kv, kv);

export { bad1, bad2, bad3, bad4, bad5, bad6, bad7 };

// The layer table that drives the nn tests: one entry per layer (and per interesting config),
// with a small input shape and the expected output shape. `entry` checks at compile time that
// the expected shape is the type-level output shape, so a table row ties together the three
// views of a layer's shape: the type, `layer.outputShape`, and the tensor `apply` returns.
// A new layer gets a row here and is then shape-, leak-, jit- and gradient-tested.
import type { ShapeError, ShowShape } from "../typelevel/index.js";
import * as nn from "../src/nn/index.js";
import type { Layer, LayerOut } from "../src/nn/index.js";

type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;

type Shown<O> = O extends readonly unknown[] ? ShowShape<O> : O extends ShapeError<infer M> ? `an error: ${M}` : "not a shape";

export interface LayerCase<
  L extends Layer = Layer,
  In extends readonly number[] = readonly number[],
  E extends readonly number[] = readonly number[],
> {
  readonly name: string;
  readonly layer: L;
  readonly input: In;
  readonly expected: E;
  /** Input dtype (int32 for token ids). */
  readonly dtype: "float32" | "int32";
  /** Also check second derivatives (slow; smooth layers only). */
  readonly order2?: boolean;
}

/** A table row; `expected` must equal the type-level output shape of `layer` on `input`. */
function entry<L extends Layer, const In extends readonly number[], const E extends readonly number[]>(
  name: string,
  layer: L,
  input: In,
  expected: E &
    (Equal<LayerOut<L, [...In]>, [...E]> extends true ? unknown : ShapeError<`type-level output is ${Shown<LayerOut<L, [...In]>>}`>),
  opts: { dtype?: "int32"; order2?: boolean } = {},
): LayerCase<L, In, E> {
  return { name, layer, input, expected: expected, dtype: opts.dtype ?? "float32", order2: opts.order2 };
}

export const cases = [
  entry("dense", nn.dense(3), [2, 4], [2, 3], { order2: true }),
  entry("dense (rank 3)", nn.dense(3), [2, 3, 4], [2, 3, 3]),
  entry("dense (no bias)", nn.dense(3, { useBias: false }), [2, 4], [2, 3]),
  entry("maxout", nn.maxout(3, 2), [2, 4], [2, 3]),
  entry("conv2d", nn.conv2d({ filters: 3, kernel: 3 }), [2, 5, 5, 2], [2, 3, 3, 3]),
  entry(
    "conv2d (same, strided, [h, w] kernel)",
    nn.conv2d({ filters: 2, kernel: [2, 3], strides: 2, padding: "same" }),
    [2, 5, 6, 2],
    [2, 3, 3, 2],
  ),
  entry("conv2d (dilated)", nn.conv2d({ filters: 2, kernel: 2, dilations: 2 }), [1, 6, 6, 1], [1, 4, 4, 2]),
  entry(
    "conv2d (explicit padding, dilations [1, 2])",
    nn.conv2d({
      filters: 2,
      kernel: [3, 2],
      dilations: [1, 2],
      padding: [
        [1, 0],
        [2, 1],
      ],
    }),
    [1, 5, 4, 2],
    [1, 4, 5, 2],
  ),
  entry("conv2d (groups)", nn.conv2d({ filters: 4, kernel: 2, groups: 2, useBias: false }), [2, 4, 4, 2], [2, 3, 3, 4]),
  entry("conv1d", nn.conv1d({ filters: 3, kernel: 3 }), [2, 6, 2], [2, 4, 3]),
  entry("conv1d (same, strided)", nn.conv1d({ filters: 3, kernel: 3, strides: 2, padding: "same" }), [2, 7, 2], [2, 4, 3]),
  entry(
    "conv1d (causal padding [2, 0], dilations, groups)",
    nn.conv1d({ filters: 4, kernel: 2, dilations: 2, padding: [2, 0], groups: 2 }),
    [2, 5, 2],
    [2, 5, 4],
  ),
  entry(
    "conv1d (causal padding by name, dilations, groups)",
    nn.conv1d({ filters: 4, kernel: 3, dilations: 2, padding: "causal", groups: 2 }),
    [2, 5, 2],
    [2, 5, 4],
  ),
  entry("conv1d (causal, strided)", nn.conv1d({ filters: 2, kernel: 3, strides: 2, padding: "causal" }), [1, 7, 1], [1, 4, 2]),
  entry("conv2dTranspose (same)", nn.conv2dTranspose({ filters: 2, kernel: 3, strides: 2, padding: "same" }), [2, 3, 3, 2], [2, 6, 6, 2]),
  entry("conv2dTranspose (valid)", nn.conv2dTranspose({ filters: 2, kernel: 3, strides: 2 }), [1, 3, 3, 2], [1, 7, 7, 2]),
  entry("conv2dTranspose (kernel < stride)", nn.conv2dTranspose({ filters: 1, kernel: 2, strides: 3 }), [1, 2, 3, 1], [1, 6, 9, 1]),
  entry("conv2dTranspose (padding 1)", nn.conv2dTranspose({ filters: 2, kernel: 4, strides: 2, padding: 1 }), [1, 3, 3, 2], [1, 6, 6, 2]),
  entry("conv2dTranspose (dilations)", nn.conv2dTranspose({ filters: 1, kernel: 2, strides: 2, dilations: 2 }), [1, 2, 2, 1], [1, 5, 5, 1]),
  entry(
    "conv2dTranspose (padding 1, outputPadding 1)",
    nn.conv2dTranspose({ filters: 2, kernel: 3, strides: 2, padding: 1, outputPadding: 1 }),
    [1, 3, 3, 2],
    [1, 6, 6, 2],
  ),
  entry(
    "conv2dTranspose (valid, dilations 3, outputPadding 2 > stride)",
    nn.conv2dTranspose({ filters: 1, kernel: 2, dilations: 3, outputPadding: 2 }),
    [1, 2, 2, 1],
    [1, 7, 7, 1],
  ),
  entry(
    "conv2dTranspose (explicit pairs, [h, w] strides, dilations and outputPadding)",
    nn.conv2dTranspose({
      filters: 2,
      kernel: 3,
      strides: [2, 3],
      dilations: 2,
      padding: [
        [1, 2],
        [0, 1],
      ],
      outputPadding: [1, 2],
    }),
    [1, 3, 2, 2],
    [1, 7, 9, 2],
  ),
  entry("upsampling2d", nn.upsampling2d(2), [2, 3, 3, 2], [2, 6, 6, 2]),
  entry("upsampling2d ([h, w])", nn.upsampling2d([1, 3]), [1, 2, 2, 1], [1, 2, 6, 1]),
  entry("maxPool2d", nn.maxPool2d(2), [2, 5, 5, 2], [2, 2, 2, 2]),
  entry("maxPool2d (same, overlapping)", nn.maxPool2d({ window: 3, strides: 1, padding: "same" }), [1, 4, 4, 2], [1, 4, 4, 2]),
  entry(
    "maxPool2d (explicit padding)",
    nn.maxPool2d({
      window: 2,
      strides: 1,
      padding: [
        [1, 0],
        [0, 1],
      ],
    }),
    [1, 3, 3, 2],
    [1, 3, 3, 2],
  ),
  entry("maxPool2d (ceilMode)", nn.maxPool2d({ window: 2, ceilMode: true }), [1, 5, 5, 2], [1, 3, 3, 2]),
  entry(
    "maxPool2d (ceilMode, padding 1, strides 2)",
    nn.maxPool2d({ window: 3, strides: 2, padding: 1, ceilMode: true }),
    [1, 6, 6, 1],
    [1, 4, 4, 1],
  ),
  entry("avgPool2d", nn.avgPool2d(2), [2, 4, 4, 1], [2, 2, 2, 1]),
  entry(
    "avgPool2d (countIncludePad)",
    nn.avgPool2d({ window: 3, strides: 1, padding: 1, countIncludePad: true }),
    [1, 4, 4, 2],
    [1, 4, 4, 2],
  ),
  entry(
    "avgPool2d (countIncludePad, ceilMode)",
    nn.avgPool2d({ window: 3, strides: 2, padding: 1, countIncludePad: true, ceilMode: true }),
    [1, 6, 6, 1],
    [1, 4, 4, 1],
  ),
  entry("avgPool2d (ceilMode)", nn.avgPool2d({ window: [2, 3], ceilMode: true }), [1, 5, 7, 1], [1, 3, 3, 1]),
  entry("avgPool2d ([h, w] window and strides)", nn.avgPool2d({ window: [2, 3], strides: [1, 2] }), [1, 4, 5, 1], [1, 3, 2, 1]),
  entry("maxPool1d", nn.maxPool1d(2), [2, 5, 3], [2, 2, 3]),
  entry("maxPool1d (ceilMode)", nn.maxPool1d({ window: 2, ceilMode: true }), [2, 5, 3], [2, 3, 3]),
  entry(
    "avgPool1d (countIncludePad, ceilMode)",
    nn.avgPool1d({ window: 3, strides: 2, padding: 1, ceilMode: true, countIncludePad: true }),
    [2, 6, 3],
    [2, 4, 3],
  ),
  entry("avgPool1d (same)", nn.avgPool1d({ window: 3, strides: 1, padding: "same" }), [2, 5, 3], [2, 5, 3]),
  entry("avgPool1d ([before, after])", nn.avgPool1d({ window: 3, strides: 2, padding: [1, 1] }), [2, 5, 3], [2, 3, 3]),
  entry("globalAvgPool2d", nn.globalAvgPool2d(), [2, 3, 3, 2], [2, 2]),
  entry("globalMaxPool2d", nn.globalMaxPool2d(), [2, 3, 3, 2], [2, 2]),
  entry("globalAvgPool1d", nn.globalAvgPool1d(), [2, 4, 3], [2, 3]),
  entry("globalMaxPool1d", nn.globalMaxPool1d(), [2, 4, 3], [2, 3]),
  entry("flatten", nn.flatten(), [2, 3, 2, 2], [2, 12]),
  entry("reshape", nn.reshape([3, 4]), [2, 12], [2, 3, 4]),
  entry("dropout", nn.dropout(0.5), [2, 3], [2, 3]),
  entry("batchNorm", nn.batchNorm(), [2, 3, 4], [2, 3, 4]),
  entry("layerNorm", nn.layerNorm(), [2, 4], [2, 4]),
  entry("batchNorm (axis 1, no center)", nn.batchNorm({ axis: 1, center: false }), [2, 3, 4], [2, 3, 4]),
  entry("batchNorm (no scale, unbiased running variance)", nn.batchNorm({ scale: false, runningVariance: "unbiased" }), [3, 2], [3, 2]),
  entry("layerNorm (axes [-2, -1])", nn.layerNorm({ axes: [-2, -1] }), [2, 3, 4], [2, 3, 4], { order2: true }),
  entry("layerNorm (axis 1 of 3, no scale)", nn.layerNorm({ axes: 1, scale: false }), [2, 3, 4], [2, 3, 4]),
  entry("layerNorm (no center, no scale)", nn.layerNorm({ center: false, scale: false }), [2, 4], [2, 4]),
  entry("embedding", nn.embedding(10, 3), [2, 4], [2, 4, 3], { dtype: "int32" }),
  entry("simpleRnn", nn.simpleRnn(3), [2, 4, 2], [2, 3]),
  entry("lstm (sequences)", nn.lstm(3, { returnSequences: true }), [2, 3, 2], [2, 3, 3]),
  entry("lstm", nn.lstm(2), [1, 3, 2], [1, 2]),
  entry("gru", nn.gru(3), [2, 3, 2], [2, 3]),
  entry("gru (reset before)", nn.gru(2, { resetAfter: false }), [2, 3, 2], [2, 2]),
  entry("lstm (bidirectional, sequences)", nn.lstm(2, { bidirectional: true, returnSequences: true }), [2, 3, 2], [2, 3, 4]),
  entry("simpleRnn (masked, bidirectional)", nn.simpleRnn(2, { maskValue: 0, bidirectional: true }), [2, 3, 2], [2, 4]),
  entry("multiHeadAttention", nn.multiHeadAttention({ heads: 2 }), [2, 3, 4], [2, 3, 4]),
  entry(
    "multiHeadAttention (causal, keyDim 3, valueDim 2, dropout)",
    nn.multiHeadAttention({ heads: 3, keyDim: 3, valueDim: 2, causal: true, dropout: 0.2 }),
    [2, 4, 5],
    [2, 4, 5],
  ),
  entry("positionalEmbedding", nn.positionalEmbedding({ maxLength: 5, dim: 4 }), [2, 3, 4], [2, 3, 4]),
  entry("positionalEmbedding (sinusoidal)", nn.positionalEmbedding({ maxLength: 8, encoding: "sinusoidal" }), [2, 3, 4], [2, 3, 4]),
  entry("transformerEncoder", nn.transformerEncoder({ heads: 2, ffDim: 6 }), [2, 3, 4], [2, 3, 4]),
  entry(
    "transformerEncoder (pre-norm, causal, gelu, keyDim, dropout)",
    nn.transformerEncoder({ heads: 3, keyDim: 2, ffDim: 5, norm: "pre", causal: true, activation: "gelu", dropout: 0.1 }),
    [2, 3, 4],
    [2, 3, 4],
  ),
  entry("step", nn.step(), [2, 3], [2, 3]),
  entry("relu", nn.relu(), [2, 3], [2, 3]),
  entry("tanh", nn.tanh(), [2, 3], [2, 3], { order2: true }),
  entry("sigmoid", nn.sigmoid(), [2, 3], [2, 3]),
  entry("softplus", nn.softplus(), [2, 3], [2, 3]),
  entry("selu", nn.selu(), [2, 3], [2, 3]),
  entry("swish", nn.swish(), [2, 3], [2, 3]),
  entry("silu", nn.silu(), [2, 3], [2, 3]),
  entry("gelu", nn.gelu(), [2, 3], [2, 3]),
  entry("gelu (tanh approximation)", nn.gelu({ approximate: "tanh" }), [2, 3], [2, 3], { order2: true }),
  entry("softmax", nn.softmax(), [2, 3], [2, 3]),
  entry("logSoftmax", nn.logSoftmax(), [2, 3], [2, 3]),
  entry("leakyRelu", nn.leakyRelu(0.1), [2, 3], [2, 3]),
  entry("elu", nn.elu(1), [2, 3], [2, 3]),
  entry("smelu", nn.smelu(1), [2, 3], [2, 3]),
  entry("chain", nn.chain(nn.dense(3), nn.tanh(), nn.dense(2)), [2, 4], [2, 2], { order2: true }),
  entry("residual", nn.residual(nn.dense(4), nn.tanh()), [2, 4], [2, 4]),
  entry("asLayer (a sequential model)", nn.asLayer(nn.input(["batch", 4]).add(nn.dense(3)).add(nn.tanh())), [2, 4], [2, 3], {
    order2: true,
  }),
  entry(
    "asLayer (a functional model)",
    nn.asLayer(
      (() => {
        const x = nn.input("x", ["batch", 4]);
        return nn.model({ inputs: { x }, outputs: { y: nn.add([x.pipe(nn.dense(4), "a"), x]).pipe(nn.dense(2), "b") } });
      })(),
    ),
    [3, 4],
    [3, 2],
  ),
  entry("concatBranches", nn.concatBranches(nn.dense(2), [nn.dense(3), nn.tanh()]), [2, 4], [2, 5]),
] as const;

/** Every layer factory `nn` exports, so a new layer without a table row fails a test. */
export const coveredKinds = new Set(cases.map((c) => c.layer.kind));

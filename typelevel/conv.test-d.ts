// Convolution and pooling output shapes.
import type { CeilModeOf, Conv1d, Conv2d, ConvOutDim, EffectiveKernel, Pool2d, ShapeError, WindowOf } from "./index.js";
import { conv1d, conv2d, maxPool2d, type Tensor, type Equal, type Expect } from "./mock-ops.test-d.js";

export type ConvOutDimCases = [
  Expect<Equal<ConvOutDim<28, 3, 1, "valid">, 26>>,
  Expect<Equal<ConvOutDim<28, 3, 2, "valid">, 13>>,
  Expect<Equal<ConvOutDim<28, 3, 2, "same">, 14>>,
  Expect<Equal<ConvOutDim<28, 3, 1, 1>, 28>>,
  Expect<Equal<ConvOutDim<28, 3, 1, "valid", 2>, 24>>, // effective kernel 5
  Expect<Equal<ConvOutDim<1026, 3, 1, [0, 2]>, 1026>>,
  Expect<Equal<ConvOutDim<"batch", 3, 1, "same">, "batch">>, // stride 1 "same" keeps the dim
  Expect<Equal<ConvOutDim<"width", 3, 2, "valid">, number>>,
  Expect<Equal<ConvOutDim<3, 5, 1, "valid">, ShapeError<`conv: input 3 is smaller than the effective kernel 5 (padding "valid")`>>>,
];

export type Conv2dCases = [
  Expect<Equal<Conv2d<["batch", 28, 28, 1], [3, 3, 1, 32], 1, "same">, ["batch", 28, 28, 32]>>,
  Expect<Equal<Conv2d<["batch", 28, 28, 1], [5, 5, 1, 8]>, ["batch", 24, 24, 8]>>,
  Expect<Equal<Conv2d<[1, 64, 128, 3], [3, 3, 3, 16], [2, 1], [[1, 1], [0, 0]]>, [1, 32, 126, 16]>>,
  Expect<Equal<Conv2d<[1, 32, 32, 3], [3, 3, 3, 16], 1, "valid", [2, 1]>, [1, 28, 30, 16]>>,
  Expect<Equal<Conv2d<["batch", 784], [3, 3, 1, 8]>, ShapeError<"conv2d expects [batch, H, W, C], got [batch, 784]">>>,
  Expect<
    Equal<
      Conv2d<["batch", 28, 28, 3], [3, 3, 1, 32]>,
      ShapeError<"conv2d: filter [3, 3, 1, 32] expects 1 input channels, got 3 (input [batch, 28, 28, 3])">
    >
  >,
  Expect<
    Equal<
      Conv2d<["batch", 4, 28, 1], [5, 5, 1, 8]>,
      ShapeError<`conv2d: height: input 4 is smaller than the effective kernel 5 (padding "valid") (input [batch, 4, 28, 1], filter [5, 5, 1, 8])`>
    >
  >,
  Expect<Equal<Conv1d<["batch", 100, 8], [5, 8, 16]>, ["batch", 96, 16]>>,
  Expect<Equal<Conv1d<["batch", 100, 8], [5, 8, 16], 2, "same">, ["batch", 50, 16]>>,
  Expect<Equal<Conv1d<["batch", 100], [5, 8, 16]>, ShapeError<"conv1d expects [batch, W, C], got [batch, 100]">>>,
  Expect<Equal<Pool2d<["batch", 28, 28, 32], 2>, ["batch", 14, 14, 32]>>,
  Expect<Equal<Pool2d<["batch", 27, 27, 32], 2>, ["batch", 13, 13, 32]>>,
  Expect<Equal<Pool2d<["batch", 28, 28, 32], 3, 2, "same">, ["batch", 14, 14, 32]>>,
  Expect<Equal<Pool2d<["batch", 28, 28, 32], [2, 4]>, ["batch", 14, 7, 32]>>,
  // pool options give the window alone or as { window, ... }
  Expect<Equal<WindowOf<2>, 2>>,
  Expect<Equal<WindowOf<[2, 3]>, [2, 3]>>,
  Expect<Equal<WindowOf<{ window: 3; strides: 1 }>, 3>>,
  // the one padding model: 2-D explicit pairs and one number; 1-D [before, after] (causal) and one number
  Expect<Equal<EffectiveKernel<3, 2>, 5>>,
  Expect<Equal<Conv1d<["batch", 100, 8], [5, 8, 16], 1, [4, 0]>, ["batch", 100, 16]>>,
  Expect<Equal<Conv1d<["batch", 100, 8], [5, 8, 16], 1, 2>, ["batch", 100, 16]>>,
  Expect<Equal<Conv1d<["batch", 10, 8], [5, 8, 16], 1, [1, 0], 2>, ["batch", 3, 16]>>, // effective kernel 9
  Expect<
    Equal<
      Conv1d<["batch", 3, 8], [5, 8, 16], 1, [1, 0]>,
      ShapeError<"conv1d: width: padded input 4 is smaller than the effective kernel 5 (input [batch, 3, 8], filter [5, 8, 16])">
    >
  >,
  Expect<Equal<Pool2d<["batch", 28, 28, 32], 3, 2, [[1, 1], [0, 0]]>, ["batch", 14, 13, 32]>>,
  Expect<Equal<Pool2d<["batch", 5, 5, 1], 2, 1, 1>, ["batch", 6, 6, 1]>>,
  Expect<
    Equal<
      Pool2d<["batch", 1, 28, 32], 2, 2, "valid", "maxPool2d">,
      ShapeError<`maxPool2d: height: input 1 is smaller than the effective kernel 2 (padding "valid") (input [batch, 1, 28, 32], window [2, 2])`>
    >
  >,
];

// ceilMode (PyTorch's ceil_mode): sizes checked against torch.nn.functional.max_pool2d
export type CeilModeCases = [
  Expect<Equal<ConvOutDim<7, 2, 2, "valid", 1, true>, 4>>,
  Expect<Equal<ConvOutDim<7, 2, 2, "valid">, 3>>,
  Expect<Equal<ConvOutDim<5, 3, 2, 1, 1, true>, 3>>,
  Expect<Equal<ConvOutDim<5, 2, 2, 1, 1, true>, 3>>, // the 4th window would start in the padding after the input
  Expect<Equal<ConvOutDim<6, 3, 2, "valid", 1, true>, 3>>,
  Expect<Equal<ConvOutDim<28, 3, 2, "valid", 1, true>, 14>>,
  Expect<Equal<ConvOutDim<10, 3, 3, 1, 1, true>, 4>>,
  Expect<Equal<ConvOutDim<28, 3, 2, "same", 1, true>, 14>>, // "same" already covers the input
  Expect<Equal<ConvOutDim<"len", 3, 2, "valid", 1, true>, number>>,
  Expect<
    Equal<ConvOutDim<1, 3, 2, "valid", 1, true>, ShapeError<`conv: input 1 is smaller than the effective kernel 3 (padding "valid")`>>
  >,
  Expect<Equal<Pool2d<["batch", 7, 6, 32], 2, 2, "valid", "maxPool2d", true>, ["batch", 4, 3, 32]>>,
  Expect<Equal<CeilModeOf<{ window: 2; ceilMode: true }>, true>>,
  Expect<Equal<CeilModeOf<{ window: 2; ceilMode: false }>, false>>,
  Expect<Equal<CeilModeOf<2>, false>>,
];

// "causal" conv1d padding: [(k - 1) * dilation, 0], so the length is ceil(W / stride)
export type CausalCases = [
  Expect<Equal<ConvOutDim<100, 5, 1, "causal">, 100>>,
  Expect<Equal<ConvOutDim<100, 5, 3, "causal", 2>, 34>>,
  Expect<Equal<ConvOutDim<"time", 5, 1, "causal", 4>, "time">>, // a symbolic length stays symbolic
  Expect<Equal<Conv1d<["batch", 100, 8], [5, 8, 16], 1, "causal", 2>, ["batch", 100, 16]>>,
];

declare const images: Tensor<["batch", 28, 28, 1]>;
declare const flat: Tensor<["batch", 784]>;
declare const rgb: Tensor<["batch", 28, 28, 3]>;
declare const k3: Tensor<[3, 3, 1, 32]>;
declare const k31: Tensor<[31, 31, 1, 8]>;
declare const signal: Tensor<["batch", 100, 8]>;
declare const k1d: Tensor<[5, 8, 16]>;
export const features = conv2d(images, k3, 1, "same");
export const pooled = maxPool2d(features, 2);
export const strided = conv2d(images, k3, 2, "valid", 1);
export const filtered = conv1d(signal, k1d, 1, "same");
// @ts-expect-error conv2d expects [batch, H, W, C], got [batch, 784]
export const e1 = conv2d(flat, k3);
// @ts-expect-error conv2d: filter [3, 3, 1, 32] expects 1 input channels, got 3
export const e2 = conv2d(rgb, k3, 1, "same");
// @ts-expect-error conv2d: height: input 28 is smaller than the effective kernel 31
export const e3 = conv2d(images, k31);
// @ts-expect-error conv2d: dilation 15 makes the effective kernel 31
export const e4 = conv2d(images, k3, 1, "valid", 15);
// @ts-expect-error maxPool2d expects [batch, H, W, C], got [batch, 784]
export const e5 = maxPool2d(flat, 2);
// @ts-expect-error conv1d: filter [5, 8, 16] expects 8 input channels, got 1
export const e6 = conv1d(images as unknown as Tensor<["batch", 28, 1]>, k1d);

// @ts-expect-error 1-D padding is [before, after], not 2-D pairs
export type BadPadding1 = Conv1d<["batch", 100, 8], [5, 8, 16], 1, [[0, 0], [4, 0]]>;
// @ts-expect-error 2-D padding is [[top, bottom], [left, right]], not [before, after]
export type BadPadding2 = Conv2d<["batch", 28, 28, 1], [3, 3, 1, 8], 1, [1, 1]>;
// @ts-expect-error "causal" is conv1d's alone
export type BadPadding4 = Conv2d<["batch", 28, 28, 1], [3, 3, 1, 8], 1, "causal">;
// @ts-expect-error the pools take the same 2-D padding
export type BadPadding3 = Pool2d<["batch", 28, 28, 1], 2, 2, [1, 1]>;

export type ConvCallCases = [
  Expect<Equal<typeof features, Tensor<["batch", 28, 28, 32]>>>,
  Expect<Equal<typeof pooled, Tensor<["batch", 14, 14, 32]>>>,
  Expect<Equal<typeof strided, Tensor<["batch", 13, 13, 32]>>>,
  Expect<Equal<typeof filtered, Tensor<["batch", 100, 16]>>>,
];

// Type corpus for the Keras / PyTorch parity options: the output shapes, params and state a user
// sees with them, and the configs that must not compile. Checked by `tsc -p tsconfig.json`.
import type { ErrorMessage } from "../typelevel/index.js";
import * as nn from "../src/nn/index.js";
import * as ops from "../src/ops/index.js";
import * as optim from "../src/optim/index.js";
import type { LayerOut, ModelStateOf, OutputOf, ParamsOf } from "../src/nn/index.js";
import type { Tensor } from "../src/tensor/index.js";

type Expect<T extends true> = T;
type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;

// ---- conv1d "causal": the length is ceil(W / strides), a symbolic length kept at stride 1
const causal = nn.input(["batch", "time", 8]).add(nn.conv1d({ filters: 16, kernel: 5, dilations: 2, padding: "causal", groups: 2 }));
type _c1 = Expect<Equal<OutputOf<typeof causal>, ["batch", "time", 16]>>;
type _c2 = Expect<Equal<ParamsOf<typeof causal>[0], { kernel: Tensor<[5, 4, 16]>; bias: Tensor<[16]> }>>;
const causal2 = nn.input(["batch", 100, 8]).add(nn.conv1d({ filters: 4, kernel: 3, strides: 3, padding: "causal" }));
type _c3 = Expect<Equal<OutputOf<typeof causal2>, ["batch", 34, 4]>>;
declare const signal: Tensor<["batch", 100, 8]>;
declare const filter: Tensor<[5, 8, 16]>;
const causalOp = ops.conv1d(signal, filter, { padding: "causal", dilations: 3 });
type _c4 = Expect<Equal<typeof causalOp, Tensor<["batch", 100, 16]>>>;

// ---- conv2dTranspose outputPadding: PyTorch's (H - 1) * stride - 2p + (k - 1) * d + outputPadding + 1
const up = nn.input(["batch", 7, 7, 16]).add(nn.conv2dTranspose({ filters: 8, kernel: 3, strides: 2, padding: 1, outputPadding: 1 }));
type _t1 = Expect<Equal<OutputOf<typeof up>, ["batch", 14, 14, 8]>>;
const up2 = nn.input(["batch", 3, 4, 2]).add(
  nn.conv2dTranspose({
    filters: 3,
    kernel: [3, 2],
    strides: [2, 3],
    dilations: [2, 1],
    padding: [
      [1, 1],
      [0, 0],
    ],
    outputPadding: [1, 2],
  }),
);
type _t2 = Expect<Equal<OutputOf<typeof up2>, ["batch", 8, 13, 3]>>; // torch.nn.functional.conv_transpose2d's shape
const up3 = nn.input(["batch", 5, 5, 1]).add(nn.conv2dTranspose({ filters: 1, kernel: 2, strides: 3, outputPadding: 1 }));
type _t3 = Expect<Equal<OutputOf<typeof up3>, ["batch", 15, 15, 1]>>; // "valid" with outputPadding: (5 - 1) * 3 + 2 + 1

// ---- pools: ceilMode rounds up, typed (sizes as torch's max_pool2d / avg_pool2d)
const pooled = nn.input(["batch", 7, 6, 32]).add(nn.maxPool2d({ window: 3, strides: 2, padding: 1, ceilMode: true }));
type _p1 = Expect<Equal<OutputOf<typeof pooled>, ["batch", 4, 4, 32]>>;
const floorPooled = nn.input(["batch", 7, 6, 32]).add(nn.maxPool2d({ window: 2, ceilMode: false }));
type _p2 = Expect<Equal<OutputOf<typeof floorPooled>, ["batch", 3, 3, 32]>>;
const avg = nn.input(["batch", 7, 6, 32]).add(nn.avgPool2d({ window: 2, ceilMode: true, countIncludePad: true }));
type _p3 = Expect<Equal<OutputOf<typeof avg>, ["batch", 4, 3, 32]>>;
const avg1d = nn.input(["batch", 9, 4]).add(nn.avgPool1d({ window: 2, ceilMode: true }));
type _p4 = Expect<Equal<OutputOf<typeof avg1d>, ["batch", 5, 4]>>;
declare const image: Tensor<["batch", 7, 7, 3]>;
const pooledOp = ops.maxPool2d(image, { window: 2, ceilMode: true });
type _p5 = Expect<Equal<typeof pooledOp, Tensor<["batch", 4, 4, 3]>>>;
const avgOp = ops.avgPool2d(image, { window: 3, strides: 2, padding: 1, countIncludePad: true });
type _p6 = Expect<Equal<typeof avgOp, Tensor<["batch", 4, 4, 3]>>>;
// @ts-expect-error maxPool2d: unknown option "countIncludePad" (an average pool's option)
export const badPool = nn.maxPool2d({ window: 2, countIncludePad: true });

// ---- batchNorm: params and state of the dim at `axis`; center / scale drop beta / gamma
const ncl = nn.input(["batch", 8, 100]).add(nn.batchNorm({ axis: 1, momentum: 0.9, epsilon: 1e-5, runningVariance: "unbiased" }));
type _b1 = Expect<Equal<ParamsOf<typeof ncl>[0], { gamma: Tensor<[8]>; beta: Tensor<[8]> }>>;
type _b2 = Expect<Equal<ModelStateOf<typeof ncl>[0], { mean: Tensor<[8]>; variance: Tensor<[8]> }>>;
const noCenter = nn.input(["batch", 8, 100]).add(nn.batchNorm({ center: false }));
type _b3 = Expect<Equal<ParamsOf<typeof noCenter>[0], { gamma: Tensor<[100]> }>>;
const neither = nn.input(["batch", 16]).add(nn.batchNorm({ center: false, scale: false }));
type _b4 = Expect<Equal<ParamsOf<typeof neither>[0], {}>>;
type _b5 = Expect<
  Equal<
    ErrorMessage<LayerOut<ReturnType<typeof nn.batchNorm<{ axis: 2 }>>, ["batch", 16]>>,
    "batchNorm: axis 2 is out of range for input [batch, 16]"
  >
>;
// @ts-expect-error batchNorm: axis 2 is out of range for input [batch, 16]
export const badAxis = nn.input(["batch", 16]).add(nn.batchNorm({ axis: 2 }));

// ---- layerNorm over chosen axes: params of those dims
const seqNorm = nn.input(["batch", 10, 64]).add(nn.layerNorm({ axes: [-2, -1] }));
type _l1 = Expect<Equal<ParamsOf<typeof seqNorm>[0], { gamma: Tensor<[10, 64]>; beta: Tensor<[10, 64]> }>>;
type _l2 = Expect<Equal<OutputOf<typeof seqNorm>, ["batch", 10, 64]>>;
const middle = nn.input(["batch", 10, 64]).add(nn.layerNorm({ axes: 1, scale: false }));
type _l3 = Expect<Equal<ParamsOf<typeof middle>[0], { beta: Tensor<[10]> }>>;
const plain = nn.input(["batch", 64]).add(nn.layerNorm());
type _l4 = Expect<Equal<ParamsOf<typeof plain>[0], { gamma: Tensor<[64]>; beta: Tensor<[64]> }>>;
// @ts-expect-error layerNorm: axis -3 is out of range for input [batch, 64]
export const badAxes = nn.input(["batch", 64]).add(nn.layerNorm({ axes: [-3, -1] }));

// ---- GELU's form
export const geluTanh = nn.input(["batch", 64]).add(nn.gelu({ approximate: "tanh" }));
// @ts-expect-error approximate is "none" or "tanh" (Keras' boolean is not accepted)
export const badGelu = nn.gelu({ approximate: true });

// ---- rmsprop takes its own epsInSqrt, with and without momentum
export const torchRms = optim.rmsprop(1e-2, { eps: 1e-8, epsInSqrt: false });
export const torchRmsMomentum = optim.rmsprop(1e-2, { epsInSqrt: false, momentum: 0.9 });
// @ts-expect-error a misspelt option does not compile
export const badRms = optim.rmsprop(1e-2, { epsInSQRT: false });

// Type tests for src/ops: the shapes a user sees on hover, and the mistakes that must not
// compile. Checked by `tsc -p tsconfig.json` (not run by vitest).
import type { Tensor } from "../src/tensor/index.js";
import type { ErrorMessage } from "../typelevel/index.js";
import type { Grouped } from "../src/ops/index.js";
import {
  add,
  argmax,
  div,
  broadcastTo,
  cast,
  clip,
  concat,
  dot,
  equal,
  exp,
  expandDims,
  flatten,
  gather,
  greater,
  logSoftmax,
  logSumExp,
  matmul,
  matvec,
  max,
  mean,
  mul,
  neg,
  oneHot,
  pad,
  relu,
  reshape,
  slice,
  softmax,
  squeeze,
  stack,
  sub,
  sum,
  transpose,
  variance,
  where,
} from "../src/ops/index.js";

type Expect<T extends true> = T;
type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;

declare const x: Tensor<["batch", 784]>;
declare const w: Tensor<[784, 128]>;
declare const b: Tensor<[128]>;
declare const m23: Tensor<[2, 3]>;
declare const m34: Tensor<[3, 4]>;
declare const v3: Tensor<[3]>;
declare const v4: Tensor<[4]>;
declare const i3: Tensor<[3], "int32">;
declare const labels: Tensor<["batch"], "int32">;
declare const img: Tensor<["batch", 28, 28, 1]>;
declare const seq: Tensor<["batch", "time", 16]>;
declare const bm: Tensor<["batch", 5, 3]>;
declare const emb: Tensor<[1000, 64]>;
declare const tokens: Tensor<["batch", 20], "int32">;
declare const col: Tensor<["batch", 1]>;
declare const row: Tensor<[1, 10]>;

// ---------------------------------------------------------------- what must compile, and to what
const e1 = add(matmul(x, w), b);
const e2 = mul(x, 2);
const e3 = sub(1, v3);
const e4 = add(i3, 1);
const e5 = greater(x, 0);
const e6 = where(e5, x, 0);
const e7 = cast(e5, "float32");
const e8 = exp(neg(x));
const e9 = sum(img, [1, 2]);
const e10 = mean(img, -1, { keepDims: true });
const e11 = argmax(matmul(x, w));
const e12 = logSumExp(x, -1);
const e13 = matmul(bm, m34);
const e14 = dot(v3, v3);
const e15 = matvec(m23, v3);
const e16 = reshape(img, ["batch", -1]);
const e17 = reshape(m23, [3, 2]);
const e18 = flatten(img, 1);
const e19 = transpose(m23);
const e20 = transpose(seq, [1, 0, 2]);
const e21 = squeeze(img, -1);
const e22 = expandDims(labels, -1);
const e23 = broadcastTo(v3, [2, 3]);
const e24 = concat([m23, m23], 0);
const e25 = stack([v3, v3, v3], -1);
const e26 = slice(img, [0, 2, 2], [-1, 24, 24]);
const e27 = pad(img, [
  [0, 0],
  [2, 2],
  [2, 2],
  [0, 0],
]);
const e28 = gather(emb, tokens);
const e29 = oneHot(labels, 10);
const e30 = softmax(seq);
const e31 = logSoftmax(x, 0);
const e32 = variance(seq, [0, 1]);
const e33 = max(i3);
const e34 = clip(i3, 0, 2);
const e35 = add(col, row);
const e36 = sum(x);
const e37 = flatten(m23);
const e38 = relu(seq);
const e39 = where(greater(v3, 0), m23, v3);
const e40 = concat([i3, i3]);
const e41 = sum(img, undefined, { keepDims: true });
const e42 = reshape(seq, ["batch", "time", 4, 4]);
const e43 = div(labels, 2);

export type Compiles = [
  Expect<Equal<typeof e1, Tensor<["batch", 128]>>>,
  Expect<Equal<typeof e2, Tensor<["batch", 784]>>>,
  Expect<Equal<typeof e3, Tensor<[3]>>>,
  Expect<Equal<typeof e4, Tensor<[3], "int32">>>,
  Expect<Equal<typeof e5, Tensor<["batch", 784], "bool">>>,
  Expect<Equal<typeof e6, Tensor<["batch", 784]>>>,
  Expect<Equal<typeof e7, Tensor<["batch", 784], "float32">>>,
  Expect<Equal<typeof e8, Tensor<["batch", 784]>>>,
  Expect<Equal<typeof e9, Tensor<["batch", 1]>>>,
  Expect<Equal<typeof e10, Tensor<["batch", 28, 28, 1]>>>,
  Expect<Equal<typeof e11, Tensor<["batch"], "int32">>>,
  Expect<Equal<typeof e12, Tensor<["batch"]>>>,
  Expect<Equal<typeof e13, Tensor<["batch", 5, 4]>>>,
  Expect<Equal<typeof e14, Tensor<[]>>>,
  Expect<Equal<typeof e15, Tensor<[2]>>>,
  Expect<Equal<typeof e16, Tensor<["batch", 784]>>>,
  Expect<Equal<typeof e17, Tensor<[3, 2]>>>,
  Expect<Equal<typeof e18, Tensor<["batch", 784]>>>,
  Expect<Equal<typeof e19, Tensor<[3, 2]>>>,
  Expect<Equal<typeof e20, Tensor<["time", "batch", 16]>>>,
  Expect<Equal<typeof e21, Tensor<["batch", 28, 28]>>>,
  Expect<Equal<typeof e22, Tensor<["batch", 1], "int32">>>,
  Expect<Equal<typeof e23, Tensor<[2, 3]>>>,
  Expect<Equal<typeof e24, Tensor<[4, 3]>>>,
  Expect<Equal<typeof e25, Tensor<[3, 3]>>>,
  Expect<Equal<typeof e26, Tensor<["batch", 24, 24, 1]>>>,
  Expect<Equal<typeof e27, Tensor<["batch", 32, 32, 1]>>>,
  Expect<Equal<typeof e28, Tensor<["batch", 20, 64]>>>,
  Expect<Equal<typeof e29, Tensor<["batch", 10]>>>,
  Expect<Equal<typeof e30, Tensor<["batch", "time", 16]>>>,
  Expect<Equal<typeof e31, Tensor<["batch", 784]>>>,
  Expect<Equal<typeof e32, Tensor<[16]>>>,
  Expect<Equal<typeof e33, Tensor<[], "int32">>>,
  Expect<Equal<typeof e34, Tensor<[3], "int32">>>,
  Expect<Equal<typeof e35, Tensor<["batch", 10]>>>,
  Expect<Equal<typeof e36, Tensor<[]>>>,
  Expect<Equal<typeof e37, Tensor<[6]>>>,
  Expect<Equal<typeof e38, Tensor<["batch", "time", 16]>>>,
  Expect<Equal<typeof e39, Tensor<[2, 3]>>>,
  Expect<Equal<typeof e40, Tensor<[6], "int32">>>,
  Expect<Equal<typeof e41, Tensor<[1, 1, 1, 1]>>>,
  Expect<Equal<typeof e42, Tensor<["batch", "time", 4, 4]>>>,
  Expect<Equal<typeof e43, Tensor<["batch"], "int32">>>,
];

// ---------------------------------------------------------------- what must not compile
// Each line below is one mistake; tsc prints the message on the offending argument.
// @ts-expect-error matmul: inner dims differ (784 vs 3)
matmul(x, m34);
// @ts-expect-error matmul expects two tensors of rank >= 2
matmul(v3, m34);
// @ts-expect-error add: shapes [batch, time, 16] and [4] do not broadcast
add(seq, v4);
// @ts-expect-error add: dtypes differ (int32 vs float32)
add(i3, v3);
// @ts-expect-error a bool tensor is not a numeric operand
mul(e5, 2);
// @ts-expect-error reshape: 6 elements into 8
reshape(m23, [4, 2]);
// @ts-expect-error reshape: at most one -1
reshape(m23, [-1, -1]);
// @ts-expect-error reshape: named dim "batch" must keep its index
reshape(seq, [-1, "batch"]);
// @ts-expect-error transpose: [0, 0] is not a permutation
transpose(m23, [0, 0]);
// @ts-expect-error sum: axis 4 is out of range for rank 4
sum(img, 4);
// @ts-expect-error exp needs float32
exp(i3);
// @ts-expect-error mean needs float32
mean(i3);
// @ts-expect-error argmax takes one axis
argmax(x, [0]);
// @ts-expect-error dot: lengths differ (3 vs 4)
dot(v3, v4);
// @ts-expect-error matvec: inner dims differ
matvec(m23, v4);
// @ts-expect-error concat: dims differ at axis 1
concat([m23, m34], 0);
// @ts-expect-error stack: all shapes must be equal
stack([v3, v4]);
// @ts-expect-error slice: begin 0 + size 30 exceeds dim 28
slice(img, [0, 0], [-1, 30]);
// @ts-expect-error pad: expected 4 pairs
pad(img, [[1, 1]]);
// @ts-expect-error squeeze: axis 1 has size 28
squeeze(img, 1);
// @ts-expect-error expandDims: axis 3 is out of range
expandDims(v3, 3);
// @ts-expect-error broadcastTo: cannot broadcast [3] to [2, 4]
broadcastTo(v3, [2, 4]);
// @ts-expect-error oneHot needs int32 labels
oneHot(v3, 10);
// @ts-expect-error gather needs int32 indices
gather(emb, v3);
// @ts-expect-error softmax: axis 2 is out of range for rank 2
softmax(x, 2);
// @ts-expect-error where needs a bool condition
where(x, x, 0);
// @ts-expect-error flatten: startAxis 2 is out of range for rank 2
flatten(m23, 2);
// @ts-expect-error logSumExp: axis -3 is out of range
logSumExp(x, -3);
// @ts-expect-error clip needs number bounds
clip(x, v3, 1);
// @ts-expect-error cast to an unknown dtype
cast(x, "float64");

// ---------------------------------------------------------------- convolutions: a CNN chain
import { avgPool2d, conv1d, conv2d, globalAvgPool2d, maxPool2d } from "../src/ops/index.js";

declare const images: Tensor<["batch", 28, 28, 1]>;
declare const kernel1: Tensor<[3, 3, 1, 32]>;
declare const kernel2: Tensor<[3, 3, 32, 64]>;
declare const weights1: Tensor<[3136, 128]>;
declare const bias1: Tensor<[128]>;
declare const weights2: Tensor<[128, 10]>;
declare const bias2: Tensor<[10]>;
declare const signal: Tensor<["batch", 100, 8]>;
declare const kernel1d: Tensor<[5, 8, 16]>;
declare const seq13: Tensor<["batch", 10, 8]>;

const conv1 = relu(conv2d(images, kernel1, { padding: "same" }));
const pool1 = maxPool2d(conv1, 2);
const conv2 = relu(conv2d(pool1, kernel2, { padding: "same" }));
const pool2 = maxPool2d(conv2, { window: 2 });
const flat = flatten(pool2, 1);
const hidden = relu(add(matmul(flat, weights1), bias1));
const logits = add(matmul(hidden, weights2), bias2);
const probs = softmax(logits);
const loss = neg(mean(sum(mul(logSoftmax(logits), oneHot(labels, 10)), -1)));

const c1 = conv2d(images, kernel1);
const c2 = conv2d(images, kernel1, { strides: 2, padding: "valid" });
const c3 = conv2d(images, kernel1, { strides: [2, 1], padding: 1, dilations: 2 });
const c4 = conv1d(signal, kernel1d);
const c5 = conv1d(signal, kernel1d, { padding: "same", strides: 2 });
const p1 = avgPool2d(conv1, { window: 3, strides: 1, padding: "same" });
// the one padding model (as in core and nn): 2-D pairs, 1-D [before, after], one number
const c6 = conv1d(signal, kernel1d, { padding: [4, 0] }); // causal
const c7 = conv2d(images, kernel1, {
  strides: [1, 2],
  padding: [
    [2, 0],
    [0, 0],
  ],
});
const c8 = conv1d(signal, kernel1d, { strides: 3, dilations: 2, padding: 1 });
const p4 = maxPool2d(conv1, {
  window: 2,
  padding: [
    [1, 1],
    [0, 0],
  ],
});
const p2 = globalAvgPool2d(pool2);
const p3 = globalAvgPool2d(pool2, true);

export type Convs = [
  Expect<Equal<typeof conv1, Tensor<["batch", 28, 28, 32]>>>,
  Expect<Equal<typeof pool1, Tensor<["batch", 14, 14, 32]>>>,
  Expect<Equal<typeof pool2, Tensor<["batch", 7, 7, 64]>>>,
  Expect<Equal<typeof flat, Tensor<["batch", 3136]>>>,
  Expect<Equal<typeof logits, Tensor<["batch", 10]>>>,
  Expect<Equal<typeof probs, Tensor<["batch", 10]>>>,
  Expect<Equal<typeof loss, Tensor<[]>>>,
  Expect<Equal<typeof c1, Tensor<["batch", 26, 26, 32]>>>,
  Expect<Equal<typeof c2, Tensor<["batch", 13, 13, 32]>>>,
  Expect<Equal<typeof c3, Tensor<["batch", 13, 26, 32]>>>,
  Expect<Equal<typeof c4, Tensor<["batch", 96, 16]>>>,
  Expect<Equal<typeof c5, Tensor<["batch", 50, 16]>>>,
  Expect<Equal<typeof p1, Tensor<["batch", 28, 28, 32]>>>,
  Expect<Equal<typeof c6, Tensor<["batch", 100, 16]>>>,
  Expect<Equal<typeof c7, Tensor<["batch", 28, 13, 32]>>>,
  Expect<Equal<typeof c8, Tensor<["batch", 32, 16]>>>,
  Expect<Equal<typeof p4, Tensor<["batch", 15, 14, 32]>>>,
  Expect<Equal<typeof p2, Tensor<["batch", 64]>>>,
  Expect<Equal<typeof p3, Tensor<["batch", 1, 1, 64]>>>,
];

// @ts-expect-error conv2d: filter [3, 3, 32, 64] expects 32 input channels, got 1
conv2d(images, kernel2);
// @ts-expect-error conv2d expects [batch, H, W, C], got [batch, 784]
conv2d(x, kernel1);
// @ts-expect-error conv2d: height: input 28 is smaller than the effective kernel 29
conv2d(images, kernel1, { dilations: 14 });
// @ts-expect-error conv1d: filter [5, 8, 16] expects 8 input channels
conv1d(seq, kernel1d);
// @ts-expect-error maxPool2d expects [batch, H, W, C], got [batch, 784]
maxPool2d(x, 2);
// @ts-expect-error maxPool2d: height: input 7 is smaller than the effective kernel 8
maxPool2d(pool2, 8);
// @ts-expect-error globalAvgPool2d expects [batch, H, W, C]
globalAvgPool2d(x);
// @ts-expect-error 'dilation' is now 'dilations' (an unknown option)
conv2d(images, kernel1, { dilation: 2 });
// @ts-expect-error 'stride' is now 'strides' in 1-D too
conv1d(signal, kernel1d, { stride: 2 });
const pads2d = [
  [0, 0],
  [4, 0],
] as const;
// @ts-expect-error conv1d's padding is [before, after], not 2-D pairs
conv1d(signal, kernel1d, { padding: pads2d });
// @ts-expect-error conv2d's padding is [[top, bottom], [left, right]], not [before, after]
conv2d(images, kernel1, { padding: [1, 1] });
// @ts-expect-error conv1d: width: padded input 13 is smaller than the effective kernel 17
conv1d(seq13, kernel1d, { dilations: 4, padding: [3, 0] });
// @ts-expect-error a dense layer after the CNN with the wrong fan-in: matmul inner dims differ (3136 vs 784)
matmul(flat, w);

// ---------------------------------------------------------------- conv feature groups (depthwise when groups = C)
declare const rgb: Tensor<["batch", 32, 32, 6]>;
declare const grouped: Tensor<[3, 3, 2, 12]>; // 3 groups of 2 input channels, 12 outputs
declare const depthwise: Tensor<[3, 3, 1, 6]>;
declare const wave: Tensor<["batch", 50, 4]>;
declare const grouped1d: Tensor<[5, 2, 8]>;
const g1 = conv2d(rgb, grouped, { groups: 3, padding: "same" });
const g2 = conv2d(rgb, depthwise, { groups: 6, strides: 2 });
const g3 = conv1d(wave, grouped1d, { groups: 2 });
export type Groups = [
  Expect<Equal<typeof g1, Tensor<["batch", 32, 32, 12]>>>,
  Expect<Equal<typeof g2, Tensor<["batch", 15, 15, 6]>>>,
  Expect<Equal<typeof g3, Tensor<["batch", 46, 8]>>>,
  Expect<
    Equal<
      ErrorMessage<Grouped<"conv2d", ["batch", 8, 8, 6], [3, 3, 2, 8], 4>>,
      "conv2d: 6 input channels do not split into 4 groups (input [batch, 8, 8, 6])"
    >
  >,
  Expect<
    Equal<
      ErrorMessage<Grouped<"conv2d", ["batch", 8, 8, 6], [3, 3, 2, 8], 2>>,
      "conv2d: x has 6 channels but the filter expects 2 per group x 2 groups ([3, 3, 2, 8])"
    >
  >,
  Expect<
    Equal<
      ErrorMessage<Grouped<"conv1d", ["batch", 9, 6], [3, 3, 5], 2>>,
      "conv1d: the filter's 5 output channels do not split into 2 groups ([3, 3, 5])"
    >
  >,
];
// @ts-expect-error -- conv2d: 6 input channels do not split into 4 groups (input [batch, 32, 32, 6])
conv2d(rgb, grouped, { groups: 4 });
// @ts-expect-error -- conv2d: x has 6 channels but the filter expects 2 per group x 2 groups ([3, 3, 2, 12])
conv2d(rgb, grouped, { groups: 2 });
// @ts-expect-error -- without groups, the filter's 2 input channels do not match the input's 6
conv2d(rgb, grouped);

// Types of the recurrent layers' options: bidirectional doubles the feature dim and splits the
// params by direction; GRU's bias follows resetAfter; the options keep symbolic dims.
import * as nn from "../src/nn/index.js";
import type { OutputOf, ParamsOf } from "../src/nn/index.js";
import type { Tensor } from "../src/tensor/index.js";

type Expect<T extends true> = T;
type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;

const bi = nn.input(["batch", 28, 28]).add(nn.lstm(64, { bidirectional: true }));
type _bi = Expect<Equal<OutputOf<typeof bi>, ["batch", 128]>>;
type _biParams = Expect<
  Equal<
    ParamsOf<typeof bi>[0],
    nn.BidirectionalParams<{ kernel: Tensor<[28, 256]>; recurrentKernel: Tensor<[64, 256]>; bias: Tensor<[256]> }>
  >
>;

const biSeq = nn.input(["batch", "time", 8]).add(nn.gru(16, { bidirectional: true, returnSequences: true, maskValue: 0 }));
type _biSeq = Expect<Equal<OutputOf<typeof biSeq>, ["batch", "time", 32]>>;

const resetAfter = nn.input(["batch", 10, 8]).add(nn.gru(16));
type _resetAfter = Expect<Equal<ParamsOf<typeof resetAfter>[0]["bias"], Tensor<[2, 48]>>>;
const resetBefore = nn.input(["batch", 10, 8]).add(nn.gru(16, { resetAfter: false }));
type _resetBefore = Expect<Equal<ParamsOf<typeof resetBefore>[0]["bias"], Tensor<[48]>>>;

const withDropout = nn
  .input(["batch", 10, 8])
  .add(nn.simpleRnn(4, { dropout: 0.2, recurrentDropout: 0.1 }))
  .add(nn.dense(2));
type _dropout = Expect<Equal<OutputOf<typeof withDropout>, ["batch", 2]>>;

// a recurrent layer's apply takes initialState and mask
const lstmLayer = nn.lstm(4);
type _ctx = Expect<Equal<Parameters<typeof lstmLayer.apply>[2], nn.RecurrentContext | undefined>>;

// @ts-expect-error bidirectional lstm(8) on an image: lstm(8) expects [batch, time, features]
nn.input(["batch", 28, 28, 1]).add(nn.lstm(8, { bidirectional: true }));
// @ts-expect-error resetAfter is a GRU option
nn.lstm(4, { resetAfter: false });

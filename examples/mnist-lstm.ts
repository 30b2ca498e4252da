// An LSTM classifier on MNIST (course lecture 003): each image is read as a sequence of 28 rows
// of 28 pixels; lstm(64) keeps its last hidden state, dense(10) classifies it.
//   npm run example:mnist-lstm          QUICK=1 npm run example:mnist-lstm
import { init, nn, optim, losses, train, data, random } from "../src/index.js";
import * as plot from "../src/plot/index.js";
import { savePlot, loadMnist, progressBar } from "../src/node.js";
import { header, quick, stopwatch, heldOutSplits } from "./common.js";

await init();
header("MNIST LSTM(64) over 28 rows (Adam 2e-3, batch 64)");
const elapsed = stopwatch();
const all = loadMnist({ limit: quick ? 1000 : undefined });
const rows = data.dataset(data.hostArray(all.x.data, [all.x.shape[0], 28, 28]), all.y);
const { fitSet, validation, test } = heldOutSplits(rows);

const model = nn.input(["batch", 28, 28]).add(nn.lstm(64)).add(nn.dense(10));
console.log(model.summary());
const epochs = quick ? 1 : 12;
const result = await train.fit({
  model,
  params: model.init(random.key(0)),
  optimizer: optim.adam(2e-3),
  loss: losses.sparseCategoricalCrossEntropy,
  train: fitSet,
  validation,
  epochs,
  batchSize: 64,
  metrics: ["accuracy"],
  progress: progressBar(), // a live bar on a terminal, one line per epoch otherwise
});
const score = train.evaluate({
  model,
  params: result.params,
  loss: losses.sparseCategoricalCrossEntropy,
  data: test,
  metrics: ["accuracy"],
});
console.log(
  `MNIST LSTM: held-out test accuracy ${score.accuracy!.toFixed(4)}, loss ${score.loss.toFixed(4)} (${test.x.shape[0]} digits), ${epochs} epochs, ${elapsed()}`,
);
const files = await savePlot(
  await plot.learningCurvesPlot(result.history, { title: "MNIST LSTM(64) over rows" }),
  "out/mnist-lstm-learning-curves",
);
console.log(`learning curves: ${files.pngPath}`);

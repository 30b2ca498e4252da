// A small CNN on MNIST (course lectures 002-003): conv-pool-conv-pool-dense with batch norm and
// dropout, Adam 1e-3. NOTE: batch norm sits after each pooling, on maps 4x smaller than the conv
// outputs: with today's broadcastTo kernel on WASM, BN on the 28x28 maps made a step 2.5x slower.
// Its running statistics use momentum 0.9, not Keras' 0.99: with ~110 steps an epoch, 0.99 still
// weighs the initial (0, 1) statistics by 0.99^110 = 1/3 after epoch 1, and eval mode is then off. Trained on 80% of the 10,000 digits (10% of that for validation), tested
// on the 2,000 held out. Writes learning curves and a confusion matrix.
//   npm run example:mnist-cnn          QUICK=1 npm run example:mnist-cnn
import { init, nn, optim, losses, train, random } from "../src/index.js";
import * as plot from "../src/plot/index.js";
import { savePlot, loadMnist, progressBar } from "../src/node.js";
import { header, quick, saveConfusionMatrix, stopwatch, heldOutSplits } from "./common.js";

await init();
header("MNIST CNN conv32-pool-bn-conv64-pool-bn-dense128 (dropout, Adam 1e-3, batch 64)");
const elapsed = stopwatch();
const all = loadMnist({ limit: quick ? 600 : undefined });
const { fitSet, validation, test } = heldOutSplits(all);

const model = nn
  .input(["batch", 28, 28, 1])
  .add(nn.conv2d({ filters: 32, kernel: 3, padding: "same" }))
  .add(nn.relu())
  .add(nn.maxPool2d(2)) // [batch, 14, 14, 32]
  .add(nn.batchNorm({ momentum: 0.9 }))
  .add(nn.conv2d({ filters: 64, kernel: 3, padding: "same" }))
  .add(nn.relu())
  .add(nn.maxPool2d(2)) // [batch, 7, 7, 64]
  .add(nn.batchNorm({ momentum: 0.9 }))
  .add(nn.flatten())
  .add(nn.dropout(0.25))
  .add(nn.dense(128))
  .add(nn.relu())
  .add(nn.dropout(0.5))
  .add(nn.dense(10));
console.log(model.summary());
const epochs = quick ? 1 : 6;
const result = await train.fit({
  model,
  params: model.init(random.key(0)),
  optimizer: optim.adam(1e-3),
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
  state: result.state,
  loss: losses.sparseCategoricalCrossEntropy,
  data: test,
  metrics: ["accuracy"],
});
console.log(
  `MNIST CNN: held-out test accuracy ${score.accuracy!.toFixed(4)}, loss ${score.loss.toFixed(4)} (${test.x.shape[0]} digits), ${epochs} epochs, ${elapsed()}`,
);
const files = await savePlot(await plot.learningCurvesPlot(result.history, { title: "MNIST CNN" }), "out/mnist-cnn-learning-curves");
await saveConfusionMatrix(model, result.params, test, "out/mnist-cnn-confusion", {
  title: "MNIST CNN: held-out confusion matrix",
  state: result.state,
});
console.log(`learning curves: ${files.pngPath}, confusion matrix: out/mnist-cnn-confusion.png`);

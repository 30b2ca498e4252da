// A dense autoencoder on MNIST (course lecture 003): 784 -> 128 -> 32 -> 128 -> 784, the image is
// its own target. Reports the held-out reconstruction error and saves originals next to their
// reconstructions from the 32-number code.
//   npm run example:autoencoder          QUICK=1 npm run example:autoencoder
import { init, nn, optim, losses, train, data, random } from "../src/index.js";
import { loadMnist, progressBar } from "../src/node.js";
import { header, quick, saveImageGrid, stopwatch, heldOutSplits } from "./common.js";

await init();
header("MNIST dense autoencoder 784-128-32-128-784 (Adam 1e-3, batch 128)");
const elapsed = stopwatch();
const all = loadMnist({ limit: quick ? 2000 : undefined });
const flat = data.hostArray(all.x.data, [all.x.shape[0], 784]);
const { fitSet, validation, test } = heldOutSplits(data.dataset(flat, flat));

const model = nn
  .input(["batch", 784])
  .add(nn.dense(128))
  .add(nn.relu())
  .add(nn.dense(32)) // the code
  .add(nn.relu())
  .add(nn.dense(128))
  .add(nn.relu())
  .add(nn.dense(784))
  .add(nn.sigmoid());
console.log(model.summary());
const epochs = quick ? 2 : 20;
const result = await train.fit({
  model,
  params: model.init(random.key(0)),
  optimizer: optim.adam(1e-3),
  loss: losses.binaryCrossEntropy,
  train: fitSet,
  validation,
  epochs,
  batchSize: 128,
  progress: progressBar(), // a live bar on a terminal, one line per epoch otherwise
});
const mse = train.evaluate({ model, params: result.params, loss: losses.mse, data: test });
const bce = train.evaluate({ model, params: result.params, loss: losses.binaryCrossEntropy, data: test });
// the trivial baseline: predict the mean image for every digit
const mean = new Float32Array(784);
const n = fitSet.x.shape[0];
for (let i = 0; i < n; i++) for (let j = 0; j < 784; j++) mean[j] += fitSet.x.data[i * 784 + j] / n;
let base = 0;
const m = test.x.shape[0];
for (let i = 0; i < m; i++) for (let j = 0; j < 784; j++) base += (test.x.data[i * 784 + j] - mean[j]) ** 2 / (m * 784);
console.log(
  `autoencoder: held-out reconstruction mse ${mse.loss.toFixed(4)} (mean-image baseline ${base.toFixed(4)}), bce ${bce.loss.toFixed(4)} (${m} digits), ${epochs} epochs, ${elapsed()}`,
);

const shown = 12;
const originals = data.sliceSamples(test.x, 0, shown);
const recon = train.predict({ model, params: result.params, x: originals });
const r = recon.dataSync();
const files = await saveImageGrid(
  [
    { label: "original", images: Array.from({ length: shown }, (_, i) => originals.data.subarray(i * 784, (i + 1) * 784)) },
    { label: "reconstructed", images: Array.from({ length: shown }, (_, i) => r.subarray(i * 784, (i + 1) * 784)) },
  ],
  28,
  "out/autoencoder-reconstructions",
);
recon.dispose();
console.log(`originals vs reconstructions: ${files.pngPath}`);

// A small transformer learns to sort digit strings: "3141592653" -> "1123345569". Tokens are
// embedded, positions added (a learned table), two pre-norm encoder blocks mix the positions by
// self-attention, and a dense layer reads a digit off every position. Output position t needs the
// t-th smallest digit of the whole string, so every position must look at (and count) all the
// others: only attention moves information between positions here.
//   npm run example:transformer          QUICK=1 npm run example:transformer
import { init, nn, optim, losses, train, data, random, type train as T } from "../src/index.js";
import * as plot from "../src/plot/index.js";
import { savePlot, progressBar } from "../src/node.js";
import { header, quick, stopwatch } from "./common.js";

const LENGTH = 10; // digits per string
const DIGITS = 10; // the vocabulary: 0..9

await init();
header(`transformer sorting ${LENGTH}-digit strings (2 encoder blocks, d 64, 4 heads, Adam with cosine decay)`);
const elapsed = stopwatch();

/** Seeded random digit strings and the same strings sorted: x, y int32 [n, LENGTH]. */
function sortedStrings(n: number, seed: number) {
  let s = seed >>> 0;
  const next = () => {
    // mulberry32: a small, good-enough PRNG for synthetic data
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const x = new Int32Array(n * LENGTH);
  const y = new Int32Array(n * LENGTH);
  for (let j = 0; j < n * LENGTH; j++) x[j] = y[j] = Math.floor(next() * DIGITS);
  for (let i = 0; i < n; i++) y.subarray(i * LENGTH, (i + 1) * LENGTH).sort();
  return data.dataset(data.hostArray(x, [n, LENGTH], { dtype: "int32" }), data.hostArray(y, [n, LENGTH], { dtype: "int32" }));
}
// three disjoint seeds; with 10^10 possible strings, a held-out string is almost never a training one
const fitSet = sortedStrings(quick ? 2048 : 6000, 1);
const validation = sortedStrings(quick ? 256 : 1000, 2);
const test = sortedStrings(quick ? 256 : 2000, 3);

const model = nn
  .input(["batch", LENGTH], "int32")
  .add(nn.embedding(DIGITS, 64))
  .add(nn.positionalEmbedding({ maxLength: LENGTH }))
  .add(nn.transformerEncoder({ heads: 4, ffDim: 128, norm: "pre" }))
  .add(nn.transformerEncoder({ heads: 4, ffDim: 128, norm: "pre" }))
  .add(nn.layerNorm())
  .add(nn.dense(DIGITS)); // ["batch", 10, 10]: a digit's logits at every position
console.log(model.summary());

type Params = nn.ParamsOf<typeof model>;

/** Token accuracy (digits right) and sequence accuracy (whole strings right) of `params` on `ds`. */
function scoreSorting(params: Params, ds: data.Dataset): { tokens: number; strings: number } {
  const logits = train.predict({ model, params, x: ds.x });
  const scores = logits.dataSync();
  logits.dispose();
  const labels = ds.y.data;
  const n = ds.x.shape[0];
  let tokens = 0;
  let strings = 0;
  for (let i = 0; i < n; i++) {
    let all = true;
    for (let t = 0; t < LENGTH; t++) {
      const row = (i * LENGTH + t) * DIGITS;
      let best = 0;
      for (let c = 1; c < DIGITS; c++) if (scores[row + c] > scores[row + best]) best = c;
      if (best === labels[i * LENGTH + t]) tokens++;
      else all = false;
    }
    if (all) strings++;
  }
  return { tokens: tokens / (n * LENGTH), strings: strings / n };
}

// token accuracy on the validation strings after every epoch, for the learning curves
const valTokenAccuracy: number[] = [];
const tokenAccuracy: T.Callback<Params> = {
  onEpochEnd(_logs, ctx) {
    const { tokens } = scoreSorting(ctx.params, validation);
    valTokenAccuracy.push(tokens);
    console.log(`  validation token accuracy ${tokens.toFixed(4)}`);
  },
};

const epochs = quick ? 1 : 6;
const batchSize = 64;
const steps = epochs * Math.floor(fitSet.x.shape[0] / batchSize);
const result = await train.fit({
  model,
  params: model.init(random.key(0)),
  // the rate decays to 0 over the run: at a constant 2e-3 the loss spikes now and then late on
  optimizer: optim.adam(optim.cosineDecay({ init: 2e-3, decaySteps: steps })),
  loss: losses.sparseCategoricalCrossEntropy, // logits [batch, 10, 10] against labels [batch, 10]
  train: fitSet,
  validation,
  epochs,
  batchSize,
  callbacks: [tokenAccuracy],
  progress: progressBar(), // a live bar on a terminal, one line per epoch otherwise
});
const score = scoreSorting(result.params, test);
console.log(
  `transformer: held-out token accuracy ${score.tokens.toFixed(4)}, string accuracy ${score.strings.toFixed(4)} (${test.x.shape[0]} strings), ${epochs} epochs, ${elapsed()}`,
);
const files = await savePlot(
  await plot.learningCurvesPlot(
    { loss: result.history.loss, valLoss: result.history.valLoss, valAccuracy: valTokenAccuracy },
    { title: `transformer sorting ${LENGTH}-digit strings (accuracy per digit)` },
  ),
  "out/transformer-learning-curves",
);
console.log(`learning curves: ${files.pngPath}`);

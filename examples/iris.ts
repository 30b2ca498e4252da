// The course's first Keras model (lecture 000): Iris with Dense 10-10-3, Adam 0.01, 300 epochs,
// batch 30, features standardized with training statistics.
// 1. One stratified split, train/validation/test = 90/30/30: learning curves and a confusion
//    matrix of the held-out flowers.
// 2. (full run) 5-fold stratified cross-validation: every one of the 150 flowers is held out
//    once, a steadier figure than 30 test flowers (one flower is 3.3 points there).
//   npm run example:iris          QUICK=1 npm run example:iris
import { init, nn, optim, losses, train, data, random } from "../src/index.js";
import * as plot from "../src/plot/index.js";
import { savePlot, loadIris } from "../src/node.js";
import { header, quick, stopwatch } from "./common.js";

await init();
header("Iris MLP 4-10-10-3 (Adam 0.01, batch 30)");
const elapsed = stopwatch();
const iris = loadIris();
const model = nn.input(["batch", 4]).add(nn.dense(10)).add(nn.relu()).add(nn.dense(10)).add(nn.relu()).add(nn.dense(3));
console.log(model.summary());
const epochs = quick ? 30 : 300;

/** Trains a fresh model on `fitSet` (standardized with its statistics) and scores `test`. */
async function run(fitSet: data.Dataset, test: data.Dataset, opts: { validation?: data.Dataset; seed: number; progress?: "silent" }) {
  const s = data.standardizeSplits(opts.validation ? { train: fitSet, test, validation: opts.validation } : { train: fitSet, test });
  const result = await train.fit({
    model,
    params: model.init(random.key(opts.seed)),
    optimizer: optim.adam(0.01),
    loss: losses.sparseCategoricalCrossEntropy,
    train: s.train,
    validation: s.validation,
    epochs,
    batchSize: 30,
    metrics: ["accuracy"],
    seed: opts.seed,
    progress: opts.progress,
  });
  const score = train.evaluate({
    model,
    params: result.params,
    loss: losses.sparseCategoricalCrossEntropy,
    data: s.test,
    metrics: ["accuracy"],
  });
  return { result, score, test: s.test };
}

// 1. one split, with curves
const { train: rest, test } = data.trainTestSplit(iris, { testFraction: 0.2, seed: 0, stratify: true });
const { train: fitSet, test: validation } = data.trainTestSplit(rest, { testFraction: 0.25, seed: 1, stratify: true });
const single = await run(fitSet, test, { validation, seed: 0 });
console.log(
  `Iris: held-out test accuracy ${single.score.accuracy!.toFixed(4)}, loss ${single.score.loss.toFixed(4)} (${test.x.shape[0]} flowers, one split), ${epochs} epochs, ${elapsed()}`,
);
await savePlot(await plot.learningCurvesPlot(single.result.history, { title: "Iris 4-10-10-3, Adam 0.01" }), "out/iris-learning-curves");
const scores = train.predict({ model, params: single.result.params, x: single.test.x });
const labels = train.toTensor(single.test.y);
const matrix = losses.confusionMatrix(scores, labels);
scores.dispose();
labels.dispose();
const files = await savePlot(
  await plot.confusionMatrixPlot(matrix, iris.classNames, { title: "Iris: held-out confusion matrix" }),
  "out/iris-confusion",
);
console.log(`learning curves: out/iris-learning-curves.png, confusion matrix: ${files.pngPath}`);

// 2. 5-fold stratified cross-validation: fold k holds every 5th flower of each class (shuffled)
if (!quick) {
  const folds = 5;
  const rng = data.hostRng(42);
  const foldOf = new Int32Array(150);
  for (let c = 0; c < 3; c++) {
    const members = Array.from(iris.y.data.keys()).filter((i) => iris.y.data[i] === c);
    rng.permutation(members.length).forEach((p, rank) => (foldOf[members[p]] = rank % folds));
  }
  let correct = 0;
  const accs: number[] = [];
  for (let k = 0; k < folds; k++) {
    const inFold = (want: boolean) => Array.from(foldOf.keys()).filter((i) => (foldOf[i] === k) === want);
    const r = await run(data.takeDataset(iris, inFold(false)), data.takeDataset(iris, inFold(true)), { seed: k, progress: "silent" });
    accs.push(r.score.accuracy!);
    correct += Math.round(r.score.accuracy! * 30);
    console.log(`fold ${k + 1}/${folds}: held-out accuracy ${r.score.accuracy!.toFixed(4)} (30 flowers)`);
  }
  const mean = correct / 150;
  const sd = Math.sqrt(accs.reduce((a, v) => a + (v - mean) ** 2, 0) / (folds - 1));
  console.log(
    `Iris 5-fold cross-validation: held-out accuracy ${mean.toFixed(4)} (${correct}/150, sd over folds ${sd.toFixed(3)}), ${epochs} epochs per fold, ${elapsed()}`,
  );
}

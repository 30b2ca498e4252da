// Logistic regression (course lecture 001, the sigmoid neuron): p(y = 1 | x) = sigmoid(w·x + b),
// trained with SGD on the binary cross-entropy, on two overlapping Gaussian clouds.
//   npm run example:logistic-regression          QUICK=1 npm run example:logistic-regression
import { init, nn, optim, losses, train, data, random, linspace } from "../src/index.js";
import * as plot from "../src/plot/index.js";
import { savePlot } from "../src/node.js";
import { header, quick, stopwatch } from "./common.js";

await init();
header("Logistic regression (a sigmoid neuron) with SGD");
const elapsed = stopwatch();

// class 0 around (-1, -0.5), class 1 around (1, 0.5), unit variance: even the best line misclassifies ~13%
const n = 600;
const rng = data.hostRng(3);
const xs = new Float32Array(n * 2);
const ys = new Float32Array(n);
for (let i = 0; i < n; i++) {
  const c = i % 2;
  xs[2 * i] = (c ? 1 : -1) + rng.normal();
  xs[2 * i + 1] = (c ? 0.5 : -0.5) + rng.normal();
  ys[i] = c;
}
const all = data.dataset(data.hostArray(xs, [n, 2]), data.hostArray(ys, [n, 1]));
const { train: trainSet, test } = data.trainTestSplit(all, { testFraction: 0.25, seed: 1 });

const model = nn.input(["batch", 2]).add(nn.dense(1)).add(nn.sigmoid());
const result = await train.fit({
  model,
  params: model.init(random.key(0)),
  optimizer: optim.sgd(0.5),
  loss: losses.binaryCrossEntropy,
  train: trainSet,
  validation: test,
  epochs: quick ? 5 : 30,
  batchSize: 50,
  metrics: ["accuracy"],
});
const score = train.evaluate({ model, params: result.params, loss: losses.binaryCrossEntropy, data: test, metrics: ["accuracy"] });
const [w1, w2] = result.params[0].kernel.dataSync();
const [b] = result.params[0].bias.dataSync();
// Bayes-optimal boundary for these clouds: the perpendicular bisector, 2 x1 + x2 = 0
console.log(`weights w = (${w1.toFixed(3)}, ${w2.toFixed(3)}), b = ${b.toFixed(3)} (the optimal boundary is along 2 x1 + x2 = 0)`);
console.log(
  `logistic regression: held-out accuracy ${score.accuracy!.toFixed(4)}, loss ${score.loss.toFixed(4)} (${test.x.shape[0]} points), ${elapsed()}`,
);

// P(class 1) over the plane, the held-out points on top
const g = 60;
const grid = Array.from(linspace(-4, 4, g).dataSync());
const gridX = new Float32Array(g * g * 2);
for (let j = 0; j < g; j++) for (let i = 0; i < g; i++) gridX.set([grid[i], grid[j]], 2 * (j * g + i));
const probs = train.predict({ model, params: result.params, x: data.hostArray(gridX, [g * g, 2]) });
const figure = await plot.decisionBoundaryPlot({
  grid: { xs: grid, ys: grid, values: Array.from(probs.dataSync()) },
  points: Array.from({ length: test.x.shape[0] }, (_, i) => ({ x: test.x.data[2 * i], y: test.x.data[2 * i + 1], label: test.y.data[i] })),
  title: "Logistic regression: P(class 1) and held-out points",
});
probs.dispose();
const files = await savePlot(figure, "out/logistic-regression-boundary");
console.log(`decision boundary: ${files.pngPath}`);

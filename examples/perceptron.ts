// Rosenblatt's perceptron (course lecture 001): one neuron with a Heaviside step, trained by the
// perceptron learning rule, not by gradients (the step's gradient is zero almost everywhere):
//   for each sample: y_hat = step(w·x + b);  w += lr (y - y_hat) x;  b += lr (y - y_hat)
// The rule converges when a separating line exists; this data set has one (with a margin).
//   npm run example:perceptron          QUICK=1 npm run example:perceptron
import { init, nn, data, random, tensor, add, mul, transpose, tidy, linspace } from "../src/index.js";
import * as plot from "../src/plot/index.js";
import { savePlot } from "../src/node.js";
import { header, quick, stopwatch } from "./common.js";

await init();
header("Perceptron learning rule on a linearly separable set");
const elapsed = stopwatch();

// points in [-1, 1]^2 labelled by the line 1.5 x1 - x2 + 0.2 = 0, none closer to it than 0.05
const n = quick ? 60 : 200;
const rng = data.hostRng(7);
const xs = new Float32Array(n * 2);
const ys = new Float32Array(n);
for (let i = 0; i < n;) {
  const a = 2 * rng.float() - 1,
    b = 2 * rng.float() - 1;
  const s = (1.5 * a - b + 0.2) / Math.hypot(1.5, 1);
  if (Math.abs(s) < 0.05) continue;
  xs[2 * i] = a;
  xs[2 * i + 1] = b;
  ys[i] = s > 0 ? 1 : 0;
  i++;
}

// the neuron as a model: dense(1) then the step; the rule below edits its params directly
const model = nn.input(["batch", 2]).add(nn.dense(1)).add(nn.step());
let params = model.init(random.key(0));
const x = tensor(xs, [n, 2]);
const lr = 0.1;
const maxEpochs = 100;
let epoch = 0;
let errors = n;
while (errors > 0 && epoch < maxEpochs) {
  epoch++;
  errors = 0;
  for (const i of rng.permutation(n)) {
    const xi = tensor(xs.subarray(2 * i, 2 * i + 2), [1, 2]);
    const out = model.apply(params, xi);
    const err = ys[i] - out.item(); // -1, 0 or +1
    out.dispose();
    if (err !== 0) {
      errors++;
      const [{ kernel, bias }] = params;
      // w += lr·err·x, b += lr·err
      const next = tidy(() => ({ kernel: add(kernel, mul(transpose(xi), lr * err)), bias: add(bias, lr * err) }));
      kernel.dispose();
      bias.dispose();
      params = [next, {}];
    }
    xi.dispose();
  }
  console.log(`epoch ${epoch} misclassified during the pass: ${errors}`);
}
const pred = model.apply(params, x);
const p = pred.dataSync();
let correct = 0;
for (let i = 0; i < n; i++) if (p[i] === ys[i]) correct++;
pred.dispose();
const [w1, w2] = params[0].kernel.dataSync();
const [b] = params[0].bias.dataSync();
console.log(`learned boundary: ${w1.toFixed(3)} x1 + ${w2.toFixed(3)} x2 + ${b.toFixed(3)} = 0 (true: 1.5 x1 - x2 + 0.2 = 0, up to scale)`);
console.log(
  `perceptron: ${errors === 0 ? "converged" : "did not converge"} after ${epoch} epochs, training accuracy ${(correct / n).toFixed(4)} (${correct}/${n}), ${elapsed()}`,
);

// decision regions on a grid, the points on top
const g = 60;
const grid = linspace(-1.1, 1.1, g).dataSync();
const gridX = new Float32Array(g * g * 2);
for (let j = 0; j < g; j++) for (let i = 0; i < g; i++) gridX.set([grid[i], grid[j]], 2 * (j * g + i));
const gx = tensor(gridX, [g * g, 2]);
const gp = model.apply(params, gx);
const figure = await plot.decisionBoundaryPlot({
  grid: { xs: grid, ys: grid, values: Array.from(gp.dataSync()) },
  points: Array.from({ length: n }, (_, i) => ({ x: xs[2 * i], y: xs[2 * i + 1], label: ys[i] })),
  title: `Perceptron after ${epoch} epochs`,
});
gx.dispose();
gp.dispose();
x.dispose();
const files = await savePlot(figure, "out/perceptron-boundary");
console.log(`decision boundary: ${files.pngPath}`);

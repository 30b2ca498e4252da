// XOR with a 2-layer ReLU network (course lecture 001): no line separates XOR's classes, one
// hidden layer does. 2 -> dense(8) -> relu -> dense(2), cross-entropy, Adam, the 4 rows of the
// truth table as one batch. Saves the decision regions.
//   npm run example:xor          QUICK=1 npm run example:xor
import { init, nn, optim, losses, train, data, random, linspace } from "../src/index.js";
import * as plot from "../src/plot/index.js";
import { savePlot } from "../src/node.js";
import { header, quick, stopwatch } from "./common.js";

await init();
header("XOR with a 2-layer ReLU network");
const elapsed = stopwatch();
const table = data.xor(); // x [4, 2] in {0, 1}, y [4] int32

const model = nn.input(["batch", 2]).add(nn.dense(8)).add(nn.relu()).add(nn.dense(2));
console.log(model.summary());
const epochs = quick ? 150 : 500;
const result = await train.fit({
  model,
  params: model.init(random.key(1)),
  optimizer: optim.adam(0.05),
  loss: losses.sparseCategoricalCrossEntropy,
  train: table,
  epochs,
  batchSize: 4,
  metrics: ["accuracy"],
  // one line every 10% of the run
  callbacks: [
    {
      onEpochEnd: (logs) =>
        void (
          logs.epoch % (epochs / 10) === 0 &&
          console.log(`epoch ${logs.epoch}/${epochs} loss ${logs.loss.toFixed(5)} accuracy ${logs.accuracy!.toFixed(4)}`)
        ),
    },
  ],
  progress: "silent",
});

const out = train.predict({ model, params: result.params, x: table.x });
const logits = out.arraySync() as number[][];
out.dispose();
let correct = 0;
for (let i = 0; i < 4; i++) {
  const pred = logits[i][1] > logits[i][0] ? 1 : 0;
  if (pred === table.y.data[i]) correct++;
  console.log(
    `  ${table.x.data[2 * i]} xor ${table.x.data[2 * i + 1]} = ${table.y.data[i]}, predicted ${pred} (logits ${logits[i].map((v) => v.toFixed(2)).join(", ")})`,
  );
}
const finalLoss = result.history.loss[result.history.loss.length - 1];
console.log(
  `XOR: ${correct}/4 correct${correct === 4 ? " (solved)" : ""}, final loss ${finalLoss.toFixed(5)}, ${epochs} epochs, ${elapsed()}`,
);

// decision regions: predicted class over [-0.5, 1.5]^2
const g = 80;
const grid = Array.from(linspace(-0.5, 1.5, g).dataSync());
const gridX = new Float32Array(g * g * 2);
for (let j = 0; j < g; j++) for (let i = 0; i < g; i++) gridX.set([grid[i], grid[j]], 2 * (j * g + i));
const scores = train.predict({ model, params: result.params, x: data.hostArray(gridX, [g * g, 2]) });
const s = scores.dataSync();
scores.dispose();
const classes = Array.from({ length: g * g }, (_, k) => (s[2 * k + 1] > s[2 * k] ? 1 : 0));
const figure = await plot.decisionBoundaryPlot({
  grid: { xs: grid, ys: grid, values: classes },
  points: Array.from({ length: 4 }, (_, i) => ({ x: table.x.data[2 * i], y: table.x.data[2 * i + 1], label: table.y.data[i] })),
  title: "XOR: decision regions of a 2-8-2 ReLU network",
});
const files = await savePlot(figure, "out/xor-boundary");
console.log(`decision boundary: ${files.pngPath}`);

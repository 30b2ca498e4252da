// The seed course's MNIST LSTM (examples/mnist-lstm.ts) written by hand: the LSTM cell is a plain
// function, `scan` runs it over the 28 rows of each image, and the training step is
// jit(valueAndGrad(loss)) with Adam. Under jit the whole loop is one `scan` equation (its body
// traced once), and its reverse pass is a second, reversed scan over the stored per-step values.
//   npm run example:lstm-scan          QUICK=1 npm run example:lstm-scan
import {
  add,
  matmul,
  mul,
  sigmoid,
  tanh,
  slice,
  transpose,
  zeros,
  tensor,
  scan,
  jit,
  valueAndGrad,
  optim,
  losses,
  data,
  random,
  argmax,
  tree,
  type Tensor,
} from "../src/index.js";
import * as plot from "../src/plot/index.js";
import { savePlot, loadMnist } from "../src/node.js";
import { setUp, quick, heldOutSplits } from "./common.js";

const elapsed = await setUp("MNIST LSTM(64) over 28 rows, written with scan (Adam 2e-3, batch 64)");
const H = 64;
type B = number; // the batch size

interface Params {
  wx: Tensor<[28, 256]>; // input -> the four gates [i, f, g, o]
  wh: Tensor<[64, 256]>; // hidden -> the four gates
  b: Tensor<[256]>;
  wo: Tensor<[64, 10]>;
  bo: Tensor<[10]>;
}

function initParams(seed: number): Params {
  const [k1, k2, k3] = random.split(random.key(seed), 3);
  const glorot = (fanIn: number, fanOut: number) => Math.sqrt(2 / (fanIn + fanOut));
  // NOTE: forget-gate bias 1 (as Keras' unitForgetBias), so early gradients flow through time
  const bias = new Float32Array(4 * H);
  bias.fill(1, H, 2 * H);
  return {
    wx: random.normal(k1, [28, 256], { std: glorot(28, 4 * H) }),
    wh: random.normal(k2, [64, 256], { std: glorot(H, 4 * H) }),
    b: tensor(bias, [256]),
    wo: random.normal(k3, [64, 10], { std: glorot(H, 10) }),
    bo: zeros([10]),
  };
}

type State = { h: Tensor<[B, 64]>; c: Tensor<[B, 64]> };

/** One LSTM step: the carry is (h, c), the input one row of 28 pixels per image. */
const cell =
  (p: Params) =>
  (s: State, row: Tensor<[B, 28]>): readonly [State, null] => {
    const z = add(add(matmul(row, p.wx), matmul(s.h, p.wh)), p.b); // [B, 256]
    const gate = (k: number) => slice(z, [0, k * H], [-1, H]);
    const c = add(mul(sigmoid(gate(1)), s.c), mul(sigmoid(gate(0)), tanh(gate(2))));
    const h = mul(sigmoid(gate(3)), tanh(c));
    return [{ h, c }, null] as const;
  };

/** Logits from images [B, 28, 28]: scan the cell over the rows (time-major), classify the last h. */
function logits(p: Params, x: Tensor<[B, 28, 28]>): Tensor<[B, 10]> {
  const rows = transpose(x, [1, 0, 2]); // [28, B, 28]
  const zero = zeros([x.shape[0], 64]);
  const [last] = scan(cell(p), { h: zero, c: zero }, rows);
  return add(matmul(last.h, p.wo), p.bo);
}

const loss = (p: Params, x: Tensor<[B, 28, 28]>, y: Tensor<[B], "int32">) => losses.sparseCategoricalCrossEntropy(logits(p, x), y);

const all = loadMnist({ limit: quick ? 1000 : undefined });
const rows = data.dataset(data.hostArray(all.x.data, [all.x.shape[0], 28, 28]), all.y);
const { fitSet, validation, test } = heldOutSplits(rows);
const asTensors = (ds: { x: { data: ArrayLike<number>; shape: readonly number[] }; y: { data: ArrayLike<number> } }) => {
  const n = ds.x.shape[0];
  return [tensor(Float32Array.from(ds.x.data), [n, 28, 28]), tensor(Int32Array.from(ds.y.data), [n], "int32")] as const;
};

const accuracy = (p: Params, ds: Parameters<typeof asTensors>[0]) => {
  const [x, y] = asTensors(ds);
  const predicted = argmax(predict(p, x), 1);
  const guess = predicted.dataSync();
  const truth = y.dataSync();
  let right = 0;
  for (let i = 0; i < guess.length; i++) if (guess[i] === truth[i]) right++;
  for (const t of [x, y, predicted]) t.dispose();
  return right / guess.length;
};
const predict = jit(logits);

const optimizer = optim.adam(2e-3);
let params = initParams(0);
let state = optimizer.init(params);
const step = jit(valueAndGrad(loss));
const epochs = quick ? 1 : 12;
const history: { epoch: number; loss: number; valAccuracy: number }[] = [];
for (let epoch = 1; epoch <= epochs; epoch++) {
  let total = 0;
  let count = 0;
  for (const batch of data.batches(fitSet, 64, { seed: epoch, dropRemainder: true })) {
    const [x, y] = asTensors(batch);
    const [l, g] = step(params, x, y);
    const [nextParams, next] = optim.applyGradients(optimizer, g, state, params);
    total += l.dataSync()[0];
    count++;
    tree.dispose([x, y, l, g, params, state]);
    params = nextParams;
    state = next;
  }
  const valAccuracy = accuracy(params, validation);
  history.push({ epoch, loss: total / count, valAccuracy });
  console.log(`epoch ${epoch}/${epochs} loss ${(total / count).toFixed(4)} valAccuracy ${valAccuracy.toFixed(4)}`);
}
const graph = step.lastGraph!;
console.log(
  `training step graph: ${graph.eqns.length} equations (${graph.eqns.filter((e) => e.prim.name === "scan").length} scans), body traced once`,
);
console.log(
  `MNIST LSTM (scan): held-out test accuracy ${accuracy(params, test).toFixed(4)} (${test.x.shape[0]} digits), ${epochs} epochs, ${elapsed()}`,
);
const files = await savePlot(
  await plot.linePlot(
    [
      { name: "training loss", y: history.map((h) => h.loss) },
      { name: "validation accuracy", y: history.map((h) => h.valAccuracy) },
    ],
    { title: "MNIST LSTM(64) written with scan", x: history.map((h) => h.epoch), xTitle: "epoch", yTitle: "value" },
  ),
  "out/lstm-scan-accuracy",
);
console.log(`validation accuracy: ${files.pngPath}`);

// `npx tsx bench/rnn-scan-ab.ts [rounds]`: the M4 training step (jit, batch 64, LSTM(64) over 28
// steps -> dense 10) with nn.lstm (the fused cell, unrolled in the trace, hand-written reverse
// pass) against the same cell as a `scan` body (traced once; scan's own vjp: a forward scan that
// stores residuals and a reversed backward scan). One process, alternating blocks; graph
// equations, CPU and wall ms per step (fastest and median).
import { nn } from "../src/index.js";
import { add, mul, sub, sigmoid, matmul, concat, slice, transpose, reshape, scan } from "../src/core/index.js";
import { ones, zeros } from "../src/tensor/index.js";
import type { AnyTensor } from "../src/tensor/index.js";
import { loadDigits } from "./data.js";
import { compareSteps } from "./ab.js";
import { MODELS, type ModelSpec } from "./models.js";
import { init } from "../src/backend/index.js";

await init();
const rounds = Number(process.argv[2] ?? 12);
const U = 64;

// nn.lstm's params and the fused cell's forward step (the g columns doubled, tanh as 2σ(2x) − 1)
type P = { kernel: AnyTensor; recurrentKernel: AnyTensor; bias: AnyTensor };
const reference = nn.lstm(U);
const lstmScan = nn.defineLayer<"lstmScan", {}, P>({
  kind: "lstmScan",
  name: "lstmScan",
  config: {},
  outputShape: (s) => [s[0], U],
  init: (key, shape) => reference.init(key, shape) as P,
  apply: (p, x) => {
    const [b] = x.shape;
    const stacked = mul(
      concat([p.kernel, p.recurrentKernel, reshape(p.bias, [1, 4 * U])], 0),
      reshape(concat([ones([2 * U]), mul(ones([U]), 2), ones([U])], 0), [4 * U]),
    );
    const one = ones([b, 1]);
    type S = { h: AnyTensor; c2: AnyTensor };
    const cell = (s: S, xk: AnyTensor): readonly [S, null] => {
      const a = sigmoid(matmul(concat([xk, s.h, one], 1), stacked));
      const i = slice(a, [0, 0], [b, U]);
      const f = slice(a, [0, U], [b, U]);
      const g2 = sub(mul(slice(a, [0, 2 * U], [b, U]), 4), 2);
      const o = slice(a, [0, 3 * U], [b, U]);
      const c2 = add(mul(f, s.c2), mul(i, g2));
      const h = mul(o, sub(mul(sigmoid(c2), 2), 1));
      return [{ h, c2 }, null] as const;
    };
    const zero: AnyTensor = zeros([b, U]);
    const [last] = scan(cell, { h: zero, c2: zero }, transpose(x, [1, 0, 2]));
    return last.h;
  },
});

const spec = (layer: unknown): ModelSpec => ({
  ...MODELS.M4,
  build: () =>
    nn
      .input(["batch", 28, 28])
      .add(layer as never)
      .add(nn.dense(10)) as never,
});
const digits = loadDigits();
const variants = [
  ["fused", spec(nn.lstm(U))],
  ["scan", spec(lstmScan)],
] as const;
await compareSteps(variants, digits, rounds, "lstm");

// `npx tsx bench/lstm-ab.ts [rounds]`: the M4 training step (jit) with the fused LSTM against the
// unrolled cell, in one process, alternating blocks; CPU and wall ms per step, fastest and median.
// The unrolled cell is the layer as it was before the fused sequence: copy that version next to
// the current one first (its imports are relative), e.g.
//   git show ad9fafc:src/nn/layers/recurrent.ts > src/nn/layers/recurrent-unrolled.tmp.ts
// (or name another copy with LSTM_UNROLLED, relative to bench/), and delete it afterwards.
import { nn } from "../src/index.js";
import { loadDigits } from "./data.js";
import { compareSteps } from "./ab.js";
import { MODELS, type ModelSpec } from "./models.js";
import { init } from "../src/backend/index.js";

await init();
const path = process.env.LSTM_UNROLLED ?? "../src/nn/layers/recurrent-unrolled.tmp.ts";
const old = (await import(path)) as { lstm(units: number): unknown };
const base = MODELS.M4;
const unrolled: ModelSpec = {
  ...base,
  build: () =>
    nn
      .input(["batch", 28, 28])
      .add(old.lstm(64) as never)
      .add(nn.dense(10)) as never,
};
const digits = loadDigits();
const rounds = Number(process.argv[2] ?? 12);
await compareSteps(
  [
    ["fused", base],
    ["unrolled", unrolled],
  ],
  digits,
  rounds,
);

// `npx tsx bench/rnn-ab.ts [gru|simpleRnn|lstm] [rounds]`: the M4 training step (jit, batch 64,
// 28 steps of 28 features -> 64 units -> dense 10) with the layer of the current tree against an
// older copy of recurrent.ts, in one process, alternating blocks; graph equations, CPU and wall ms
// per step (fastest and median). Copy the older version next to the current one first (its
// imports are relative), e.g.
//   git show main:src/nn/layers/recurrent.ts > src/nn/layers/recurrent-unrolled.tmp.ts
// (or name another copy with RNN_OLD, relative to bench/), and delete it afterwards.
// RNN_MASK=1 runs the layer with `maskValue: 0` (MNIST's blank top and bottom rows are padding:
// a real, ragged mask on every batch); RNN_RESET_BEFORE=1 the GRU with `resetAfter: false`;
// RNN_RECURRENT_DROPOUT=0.2 (a rate) the layer with that `recurrentDropout` (the step is a training step).
import { nn } from "../src/index.js";
import { loadDigits } from "./data.js";
import { compareSteps } from "./ab.js";
import { MODELS, type ModelSpec } from "./models.js";
import { init } from "../src/backend/index.js";

type Kind = "gru" | "simpleRnn" | "lstm";
await init();
const kind = (process.argv[2] ?? "gru") as Kind;
const rounds = Number(process.argv[3] ?? 12);
const path = process.env.RNN_OLD ?? "../src/nn/layers/recurrent-unrolled.tmp.ts";
const old = (await import(path)) as Record<Kind, (units: number, opts?: object) => unknown>;
const layers = { new: nn[kind] as (units: number, opts?: object) => unknown, old: old[kind] };
const opts = {
  ...(process.env.RNN_MASK === "1" ? { maskValue: 0 } : {}),
  ...(process.env.RNN_RESET_BEFORE === "1" ? { resetAfter: false } : {}),
  ...(process.env.RNN_RECURRENT_DROPOUT === undefined ? {} : { recurrentDropout: Number(process.env.RNN_RECURRENT_DROPOUT) }),
};
const label = [
  kind,
  process.env.RNN_RESET_BEFORE === "1" ? "reset-before" : "",
  process.env.RNN_MASK === "1" ? "masked" : "",
  process.env.RNN_RECURRENT_DROPOUT === undefined ? "" : `recurrentDropout ${process.env.RNN_RECURRENT_DROPOUT}`,
]
  .filter((s) => s !== "")
  .join(" ");
const spec = (which: "new" | "old"): ModelSpec => ({
  ...MODELS.M4,
  build: () =>
    nn
      .input(["batch", 28, 28])
      .add(layers[which](64, opts) as never)
      .add(nn.dense(10)) as never,
});
const digits = loadDigits();
await compareSteps(
  [
    ["new", spec("new")],
    ["old", spec("old")],
  ],
  digits,
  rounds,
  label,
);

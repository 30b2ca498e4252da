// `npx tsx bench/rnn-ab.ts [gru|simpleRnn|lstm] [rounds]`: the M4 training step (jit, batch 64,
// 28 steps of 28 features -> 64 units -> dense 10) with the layer of the current tree against an
// older copy of recurrent.ts, in one process, alternating blocks; graph equations, CPU and wall ms
// per step (fastest and median). Copy the older version next to the current one first (its
// imports are relative), e.g.
//   git show main:src/nn/layers/recurrent.ts > src/nn/layers/recurrent-unrolled.tmp.ts
// (or name another copy with RNN_OLD, relative to bench/), and delete it afterwards.
// RNN_MASK=1 runs the layer with `maskValue: 0` (MNIST's blank top and bottom rows are padding:
// a real, ragged mask on every batch); RNN_RESET_BEFORE=1 the GRU with `resetAfter: false`.
import { nn } from "../src/index.js";
import { loadDigits } from "./data.js";
import { makeBatches, shapeflowImpl } from "./impls.js";
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
};
const label = `${kind}${process.env.RNN_RESET_BEFORE === "1" ? " reset-before" : ""}${process.env.RNN_MASK === "1" ? " masked" : ""}`;
const spec = (which: "new" | "old"): ModelSpec => ({
  ...MODELS.M4,
  build: () =>
    nn
      .input(["batch", 28, 28])
      .add(layers[which](64, opts) as never)
      .add(nn.dense(10)) as never,
});
const digits = loadDigits();
const names = ["new", "old"] as const;
const impls = names.map((n) => [n, shapeflowImpl(spec(n), makeBatches(spec(n), digits), "jit")] as const);
for (const [, i] of impls) await i.setup();
for (const [n, i] of impls) console.log(`${label} ${n}: ${i.graphEquations()} graph equations`);
const cpu: Record<string, number[]> = { new: [], old: [] };
const wall: Record<string, number[]> = { new: [], old: [] };
for (let r = 0; r < rounds; r++) {
  for (const [n, i] of r % 2 === 0 ? impls : [...impls].reverse()) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await i.run(4);
    const c = process.cpuUsage(c0);
    wall[n].push((performance.now() - t0) / 4);
    cpu[n].push((c.user + c.system) / 4000);
  }
}
const med = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
for (const n of names) {
  console.log(
    `${label} ${n}: CPU ms/step fastest ${Math.min(...cpu[n]).toFixed(1)} median ${med(cpu[n]).toFixed(1)}; wall fastest ${Math.min(...wall[n]).toFixed(1)} median ${med(wall[n]).toFixed(1)}`,
  );
}
console.log(
  `${label} old / new: CPU fastest ${(Math.min(...cpu.old) / Math.min(...cpu.new)).toFixed(2)}x, median ${(med(cpu.old) / med(cpu.new)).toFixed(2)}x; wall median ${(med(wall.old) / med(wall.new)).toFixed(2)}x`,
);
for (const [, i] of impls) i.dispose();

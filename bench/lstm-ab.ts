// `npx tsx bench/lstm-ab.ts [rounds]`: the M4 training step (jit) with the fused LSTM against the
// unrolled cell, in one process, alternating blocks; CPU and wall ms per step, fastest and median.
// The unrolled cell is the layer as it was before the fused sequence: copy that version next to
// the current one first (its imports are relative), e.g.
//   git show ad9fafc:src/nn/layers/recurrent.ts > src/nn/layers/recurrent-unrolled.tmp.ts
// (or name another copy with LSTM_UNROLLED, relative to bench/), and delete it afterwards.
import { nn } from "../src/index.js";
import { loadDigits } from "./data.js";
import { makeBatches, shapeflowImpl } from "./impls.js";
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
const impls = [
  ["fused", shapeflowImpl(base, makeBatches(base, digits), "jit")],
  ["unrolled", shapeflowImpl(unrolled, makeBatches(unrolled, digits), "jit")],
] as const;
for (const [, i] of impls) await i.setup();
for (const [n, i] of impls) console.log(`${n}: ${i.graphEquations()} graph equations`);
const rounds = Number(process.argv[2] ?? 12);
const cpu: Record<string, number[]> = { fused: [], unrolled: [] };
const wall: Record<string, number[]> = { fused: [], unrolled: [] };
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
for (const n of ["fused", "unrolled"]) {
  console.log(
    `${n}: CPU ms/step fastest ${Math.min(...cpu[n]).toFixed(1)} median ${med(cpu[n]).toFixed(1)}; wall fastest ${Math.min(...wall[n]).toFixed(1)} median ${med(wall[n]).toFixed(1)}`,
  );
}
console.log(
  `unrolled / fused: CPU fastest ${(Math.min(...cpu.unrolled) / Math.min(...cpu.fused)).toFixed(2)}x, median ${(med(cpu.unrolled) / med(cpu.fused)).toFixed(2)}x; wall median ${(med(wall.unrolled) / med(wall.fused)).toFixed(2)}x`,
);
for (const [, i] of impls) i.dispose();

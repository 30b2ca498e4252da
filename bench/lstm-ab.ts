// `npx tsx bench/lstm-ab.ts [lstm|gru|gruResetBefore|simpleRnn] [rounds]`: the M4 training step
// (jit, batch 64, 28 steps of 28 features -> 64 units -> dense 10; `gru` is the reset-after GRU,
// `gruResetBefore` the `resetAfter: false` one) with the recurrent cell's native step kernels
// (src/core/native/recurrent.c) against the same step on their composites (setNativeKernels(false)),
// in one process, alternating blocks of 4 steps (the order flips every round); CPU (process.cpuUsage)
// and wall ms per step, fastest and median, and the kernel calls of each jitted step's plan
// (AB_PROFILE=1 prints both plans' profiles: where the time goes, kernel by kernel). AB_MODE=eager
// times the eager step instead (no plan: each op dispatched).
import { nn } from "../src/index.js";
import { setNativeKernels, withNativeKernels } from "../src/core/index.js";
import { loadDigits } from "./data.js";
import { makeBatches, shapeflowImpl } from "./impls.js";
import { MODELS, type ModelSpec } from "./models.js";
import { formatProfile, profileStep } from "./profile.js";
import { init } from "../src/backend/index.js";

type Kind = "lstm" | "gru" | "gruResetBefore" | "simpleRnn";
await init();
const kind = (process.argv[2] ?? "lstm") as Kind;
const rounds = Number(process.argv[3] ?? 12);
const spec: ModelSpec = {
  ...MODELS.M4,
  build: () =>
    nn
      .input(["batch", 28, 28])
      .add((kind === "gruResetBefore" ? nn.gru(64, { resetAfter: false }) : (nn[kind] as (units: number) => unknown)(64)) as never)
      .add(nn.dense(10)) as never,
};
const digits = loadDigits();

const variants = [
  ["native", true],
  ["composite", false],
] as const;
for (const [name, on] of process.env.AB_MODE === "eager" ? [] : variants) {
  const p = withNativeKernels(on, () => profileStep(spec, digits, { reps: 3, rounds: 3 }));
  console.log(`${kind} ${name}: ${p.equations} graph equations, ${p.kernelCalls} kernel calls a step`);
  if (process.env.AB_PROFILE === "1") console.log(formatProfile(p));
}
const mode = process.env.AB_MODE === "eager" ? "eager" : "jit";
const impls = variants.map(([name, on]) => [name, on, shapeflowImpl(spec, makeBatches(spec, digits), mode)] as const);
for (const [, on, impl] of impls) {
  const before = setNativeKernels(on);
  await impl.setup();
  setNativeKernels(before);
}
const cpu = new Map<string, number[]>(variants.map(([n]) => [n, []]));
const wall = new Map<string, number[]>(variants.map(([n]) => [n, []]));
for (let r = 0; r < rounds; r++) {
  for (const [name, on, impl] of r % 2 === 0 ? impls : [...impls].reverse()) {
    const before = setNativeKernels(on);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await impl.run(4);
    const c = process.cpuUsage(c0);
    wall.get(name)?.push((performance.now() - t0) / 4);
    cpu.get(name)?.push((c.user + c.system) / 4000);
    setNativeKernels(before);
  }
}
const med = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const series = (m: Map<string, number[]>, n: string) => m.get(n) ?? [];
for (const [name] of variants) {
  const c = series(cpu, name);
  const w = series(wall, name);
  console.log(
    `${kind} ${name} (${mode}): CPU ms/step fastest ${Math.min(...c).toFixed(1)} median ${med(c).toFixed(1)}; wall fastest ${Math.min(...w).toFixed(1)} median ${med(w).toFixed(1)}`,
  );
}
const ratio = (m: Map<string, number[]>, f: (v: number[]) => number) => (f(series(m, "composite")) / f(series(m, "native"))).toFixed(2);
console.log(
  `${kind} composite / native: CPU fastest ${ratio(cpu, (v) => Math.min(...v))}x, median ${ratio(cpu, med)}x; wall median ${ratio(wall, med)}x`,
);
for (const [, , impl] of impls) impl.dispose();

// `npx tsx bench/optim-ab.ts [M1 M2 ...] [rounds]`: a jitted training step (adam 1e-3) with the optimizer
// update applied to the params in the update kernel (optim's updateAndApply: one *_apply kernel per
// leaf, the divergence probe summed in it) against the plain update + applyUpdates + per-leaf probe
// sums (setApplyFold(false)), native kernels on in both; in one process, alternating blocks of 4 steps
// (the order flips every round; AB_BLOCK=n steps a block instead); CPU (process.cpuUsage) and wall ms
// per step, fastest and median, the median of the rounds' paired CPU ratios, and the kernel calls of
// each step's plan. AB_MODE=eager times the eager step instead (bench/impls' eagerStep, which goes
// through updateAndApply as makeTrainStep does; the fold is set around each block).
import { setApplyFold } from "../src/optim/transform.js";
import { loadDigits } from "./data.js";
import { makeBatches, shapeflowImpl } from "./impls.js";
import { MODELS, type ModelId } from "./models.js";
import { profileStep } from "./profile.js";
import { init } from "../src/backend/index.js";

await init();
const args = process.argv.slice(2);
const models = args.filter((a) => a in MODELS) as ModelId[];
const rounds = Number(args.find((a) => /^\d+$/.test(a)) ?? 12);
const block = Number(process.env.AB_BLOCK ?? 4);
const mode = process.env.AB_MODE === "eager" ? "eager" : "jit";
const digits = loadDigits();
const variants = [
  ["fold", true],
  ["plain", false],
] as const;
/** f with the fold set as asked (a jitted step keeps the graph it traced with). */
function withFold<T>(on: boolean, f: () => T): T {
  const before = setApplyFold(on);
  try {
    return f();
  } finally {
    setApplyFold(before);
  }
}
const med = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
for (const id of models.length > 0 ? models : (["M1", "M2"] as const)) {
  const spec = MODELS[id];
  for (const [name, on] of mode === "jit" ? variants : []) {
    const p = withFold(on, () => profileStep(spec, digits, { reps: 3, rounds: 3 }));
    console.log(`${id} ${name}: ${p.equations} graph equations, ${p.kernelCalls} kernel calls a step`);
  }
  const impls = variants.map(([name, on]) => [name, on, shapeflowImpl(spec, makeBatches(spec, digits), mode)] as const);
  for (const [, on, impl] of impls) {
    const before = setApplyFold(on);
    await impl.setup();
    setApplyFold(before);
  }
  const cpu = new Map<string, number[]>(variants.map(([n]) => [n, []]));
  const wall = new Map<string, number[]>(variants.map(([n]) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    for (const [name, on, impl] of r % 2 === 0 ? impls : [...impls].reverse()) {
      const before = setApplyFold(on);
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await impl.run(block);
      const c = process.cpuUsage(c0);
      setApplyFold(before);
      wall.get(name)?.push((performance.now() - t0) / block);
      cpu.get(name)?.push((c.user + c.system) / (1000 * block));
    }
  }
  const series = (m: Map<string, number[]>, n: string) => m.get(n) ?? [];
  for (const [name] of variants) {
    const c = series(cpu, name);
    const w = series(wall, name);
    console.log(
      `${id} ${name} (${mode}): CPU ms/step fastest ${Math.min(...c).toFixed(2)} median ${med(c).toFixed(2)}; wall fastest ${Math.min(...w).toFixed(2)} median ${med(w).toFixed(2)}`,
    );
  }
  const ratio = (m: Map<string, number[]>, f: (v: number[]) => number) => (f(series(m, "plain")) / f(series(m, "fold"))).toFixed(3);
  const paired = series(cpu, "plain").map((c, r) => c / series(cpu, "fold")[r]);
  console.log(
    `${id} plain / fold: CPU fastest ${ratio(cpu, (v) => Math.min(...v))}x, median ${ratio(cpu, med)}x, paired median ${med(paired).toFixed(3)}x; wall median ${ratio(wall, med)}x`,
  );
  for (const [, , impl] of impls) impl.dispose();
}

// `npx tsx bench/reduce-ab.ts [M1 M2 ...] [rounds]`: a jitted training step (adam 1e-3) with the sums over
// leading axes (the bias gradients) on the native column-sum kernel (core/native/colsum.c) and checks
// decided on the host (core/checkify.ts) against the pooled path and device flags
// (setNativeSumLeading(false), setHostChecks(false); AB_SWITCH=sum or check: one of them), the other
// native kernels on in both; in one process,
// alternating blocks of 4 steps (the order flips every round; AB_BLOCK=n steps a block instead); CPU
// (process.cpuUsage) and wall ms per step, fastest and median, the median of the rounds' paired CPU
// ratios, and the kernel calls of each step's plan. AB_MODE=eager times the eager step instead.
import { setHostChecks, setNativeSumLeading } from "../src/core/index.js";

const which = process.env.AB_SWITCH ?? "both";
/** The new paths on or off (AB_SWITCH=sum: the native sum alone, check: host-decided checks alone); returns the previous setting. */
function setSwitch(on: boolean): boolean {
  const sumWas = which === "check" ? true : setNativeSumLeading(on);
  const checkWas = which === "sum" ? true : setHostChecks(on);
  return sumWas && checkWas;
}
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
  ["new", true],
  ["old", false],
] as const;
/** f with the fold set as asked (a jitted step keeps the graph it traced with). */
function withSwitch<T>(on: boolean, f: () => T): T {
  const before = setSwitch(on);
  try {
    return f();
  } finally {
    setSwitch(before);
  }
}
const med = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
for (const id of models.length > 0 ? models : (["M1", "M2"] as const)) {
  const spec = MODELS[id];
  for (const [name, on] of mode === "jit" ? variants : []) {
    const p = withSwitch(on, () => profileStep(spec, digits, { reps: 3, rounds: 3 }));
    console.log(`${id} ${name}: ${p.equations} graph equations, ${p.kernelCalls} kernel calls a step`);
  }
  const impls = variants.map(([name, on]) => [name, on, shapeflowImpl(spec, makeBatches(spec, digits), mode)] as const);
  for (const [, on, impl] of impls) {
    const before = setSwitch(on);
    await impl.setup();
    setSwitch(before);
  }
  const cpu = new Map<string, number[]>(variants.map(([n]) => [n, []]));
  const wall = new Map<string, number[]>(variants.map(([n]) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    for (const [name, on, impl] of r % 2 === 0 ? impls : [...impls].reverse()) {
      const before = setSwitch(on);
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await impl.run(block);
      const c = process.cpuUsage(c0);
      setSwitch(before);
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
  const ratio = (m: Map<string, number[]>, f: (v: number[]) => number) => (f(series(m, "old")) / f(series(m, "new"))).toFixed(3);
  const paired = series(cpu, "old").map((c, r) => c / series(cpu, "new")[r]);
  console.log(
    `${id} old / new: CPU fastest ${ratio(cpu, (v) => Math.min(...v))}x, median ${ratio(cpu, med)}x, paired median ${med(paired).toFixed(3)}x; wall median ${ratio(wall, med)}x`,
  );
  for (const [, , impl] of impls) impl.dispose();
}

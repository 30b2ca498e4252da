// The A/B of two jitted models' train steps in one process, as the rnn and lstm A/B scripts run it:
// the two alternate (the order flips every round), 4 steps a block, CPU from process.cpuUsage;
// prints each one's fastest and median ms per step and the ratio second / first.
import { makeBatches, shapeflowImpl } from "./impls.js";
import type { ModelSpec } from "./models.js";
import type { loadDigits } from "./data.js";

export async function compareSteps(
  variants: readonly (readonly [string, ModelSpec])[],
  digits: ReturnType<typeof loadDigits>,
  rounds: number,
  label = "",
): Promise<void> {
  if (variants.length !== 2) throw new Error(`internal: compareSteps takes two variants, got ${variants.length}`);
  const prefix = label === "" ? "" : `${label} `;
  const impls = variants.map(([n, s]) => [n, shapeflowImpl(s, makeBatches(s, digits), "jit")] as const);
  for (const [, i] of impls) await i.setup();
  for (const [n, i] of impls) console.log(`${prefix}${n}: ${i.graphEquations()} graph equations`);
  const cpu = new Map<string, number[]>(impls.map(([n]) => [n, []]));
  const wall = new Map<string, number[]>(impls.map(([n]) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    for (const [n, i] of r % 2 === 0 ? impls : [...impls].reverse()) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await i.run(4);
      const c = process.cpuUsage(c0);
      wall.get(n)?.push((performance.now() - t0) / 4);
      cpu.get(n)?.push((c.user + c.system) / 4000);
    }
  }
  const med = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  const series = (m: Map<string, number[]>, n: string) => m.get(n) ?? [];
  for (const [n] of impls) {
    const c = series(cpu, n);
    const w = series(wall, n);
    console.log(
      `${prefix}${n}: CPU ms/step fastest ${Math.min(...c).toFixed(1)} median ${med(c).toFixed(1)}; wall fastest ${Math.min(...w).toFixed(1)} median ${med(w).toFixed(1)}`,
    );
  }
  const [a, b] = impls.map(([n]) => n);
  const ratio = (m: Map<string, number[]>, f: (v: number[]) => number) => (f(series(m, b)) / f(series(m, a))).toFixed(2);
  console.log(
    `${prefix}${b} / ${a}: CPU fastest ${ratio(cpu, (v) => Math.min(...v))}x, median ${ratio(cpu, med)}x; wall median ${ratio(wall, med)}x`,
  );
  for (const [, i] of impls) i.dispose();
}

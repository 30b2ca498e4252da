// The A/B scripts' one loop: two variants of a step in one process, alternating blocks (the order
// flips every round), CPU from process.cpuUsage; each variant's fastest and median ms per step, and
// the ratio second / first by fastest, by median and by the median of the rounds' paired ratios
// (a round's two blocks ran back to back: steadier under load).
import { loadavg } from "node:os";
import { makeBatches, shapeflowImpl } from "./impls.js";
import { MODELS, type ModelId, type ModelSpec } from "./models.js";
import { loadDigits } from "./data.js";
import { profileStep } from "./profile.js";

export const loadNow = (): string =>
  `load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`;

const med = (v: readonly number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

/** One side of an A/B: runs `steps` steps (its switches set around them). */
export interface Variant {
  readonly name: string;
  run(steps: number): unknown;
  /** Something counted per step besides the time (traces, say): read before and after each block. */
  count?(): number;
}

export interface AbOptions {
  rounds: number;
  /** Steps a block (default 4). */
  block?: number;
  /** Printed before each line. */
  label?: string;
  /** "step" (default) or what a run's unit is called. */
  unit?: string;
  digits?: number;
  /** What `count` counts, for the printout. */
  counted?: string;
}

/** Times two variants alternating and prints the comparison; returns the CPU ms per step of each round. */
export async function abCompare(variants: readonly [Variant, Variant], o: AbOptions): Promise<[number[], number[]]> {
  const block = o.block ?? 4;
  const unit = o.unit ?? "step";
  const digits = o.digits ?? 2;
  const prefix = o.label === undefined || o.label === "" ? "" : `${o.label} `;
  const cpu: [number[], number[]] = [[], []];
  const wall: [number[], number[]] = [[], []];
  const counts = [0, 0];
  for (let r = 0; r < o.rounds; r++) {
    for (const i of r % 2 === 0 ? [0, 1] : [1, 0]) {
      const v = variants[i];
      const n0 = v.count?.() ?? 0;
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const p = v.run(block);
      if (p instanceof Promise) await p;
      const c = process.cpuUsage(c0);
      wall[i].push((performance.now() - t0) / block);
      cpu[i].push((c.user + c.system) / (1000 * block));
      counts[i] = ((v.count?.() ?? 0) - n0) / block;
    }
  }
  variants.forEach((v, i) => {
    const extra = v.count === undefined ? "" : `; ${o.counted ?? "counted"} per ${unit} ${counts[i]}`;
    console.log(
      `${prefix}${v.name}: CPU ms/${unit} fastest ${Math.min(...cpu[i]).toFixed(digits)} median ${med(cpu[i]).toFixed(digits)}; ` +
        `wall fastest ${Math.min(...wall[i]).toFixed(digits)} median ${med(wall[i]).toFixed(digits)}${extra}`,
    );
  });
  const ratio = (m: [number[], number[]], f: (v: number[]) => number) => (f(m[1]) / f(m[0])).toFixed(3);
  const paired = cpu[1].map((c, r) => c / cpu[0][r]);
  console.log(
    `${prefix}${variants[1].name} / ${variants[0].name}: CPU fastest ${ratio(cpu, (v) => Math.min(...v))}x, median ${ratio(cpu, med)}x, ` +
      `paired median ${med(paired).toFixed(3)}x; wall median ${ratio(wall, med)}x; ${loadNow()}`,
  );
  return cpu;
}

/** `f` with a switch set as asked (`set` returns the previous setting). */
export function withSwitch<T>(set: (on: boolean) => boolean, on: boolean, f: () => T): T {
  const before = set(on);
  try {
    return f();
  } finally {
    set(before);
  }
}

/**
 * A model's training step (jit or eager, bench/impls) with a switch on against off: each built and
 * run with the switch set as its name says (a jitted step keeps the graph it traced with).
 */
export async function compareSwitch(
  spec: ModelSpec,
  digits: ReturnType<typeof loadDigits>,
  sw: { set(on: boolean): boolean; names: readonly [on: string, off: string]; mode?: "jit" | "eager"; count?(): number; counted?: string },
  o: AbOptions,
): Promise<void> {
  const sides = ([true, false] as const).map((on, i) => {
    const impl = shapeflowImpl(spec, makeBatches(spec, digits), sw.mode ?? "jit");
    return { on, name: sw.names[i], impl };
  });
  for (const s of sides) {
    const before = sw.set(s.on);
    await s.impl.setup();
    sw.set(before);
  }
  const variants = sides.map((s): Variant => ({
    name: s.name,
    run: async (steps) => {
      const before = sw.set(s.on);
      try {
        await s.impl.run(steps);
      } finally {
        sw.set(before);
      }
    },
    count: sw.count,
  }));
  await abCompare([variants[0], variants[1]], { counted: sw.counted, ...o, label: o.label ?? `${spec.id} ${sw.mode ?? "jit"}` });
  for (const s of sides) s.impl.dispose();
}

/** Two jitted models' train steps, as the rnn and lstm A/B scripts compare them. */
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
  const [a, b] = impls.map(([name, impl]): Variant => ({ name, run: (steps) => impl.run(steps) }));
  await abCompare([a, b], { rounds, label, digits: 1 });
  for (const [, i] of impls) i.dispose();
}

/**
 * An A/B script's whole run: `[M1 M2 ...] [rounds]` from argv (M1 M2 and 12 by default), AB_BLOCK
 * steps a block, AB_MODE=eager for the eager step; per model, each side's graph equations and kernel
 * calls (jit), then `compareSwitch`.
 */
export async function runSwitchScript(set: (on: boolean) => boolean, names: readonly [on: string, off: string]): Promise<void> {
  const args = process.argv.slice(2);
  const models = args.filter((a) => a in MODELS) as ModelId[];
  const rounds = Number(args.find((a) => /^\d+$/.test(a)) ?? 12);
  const block = Number(process.env.AB_BLOCK ?? 4);
  const mode = process.env.AB_MODE === "eager" ? "eager" : "jit";
  const digits = loadDigits();
  for (const id of models.length > 0 ? models : (["M1", "M2"] as const)) {
    const spec = MODELS[id];
    if (mode === "jit")
      for (const on of [true, false]) {
        const p = withSwitch(set, on, () => profileStep(spec, digits, { reps: 3, rounds: 3 }));
        console.log(`${id} ${on ? names[0] : names[1]}: ${p.equations} graph equations, ${p.kernelCalls} kernel calls a step`);
      }
    await compareSwitch(spec, digits, { set, names, mode }, { rounds, block });
  }
}

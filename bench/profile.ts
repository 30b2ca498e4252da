// Where a jitted training step's time goes (`npm run bench -- --profile M4`): graph equations by
// primitive, the fastest time of each equation over repeated replays (minima filter out a loaded
// machine's preemptions), the kernels alone (the static-plan prototype replaying the recorded
// kernel calls straight on the backend), and the share of the step spent outside kernels.
import type * as tf from "@tensorflow/tfjs-core";
import { losses, optim, random, tree } from "../src/index.js";
import type { AnyTensor } from "../src/tensor/index.js";
import { makeTrainStep } from "../src/train/index.js";
import type { Digits } from "./data.js";
import { makeBatches } from "./impls.js";
import type { ModelSpec } from "./models.js";
import { disposePlan, freeOutputs, ownImpl, readOutput, recordPlan, runPlan } from "./prototypes/static-plan.js";

export interface StepProfile {
  model: string;
  equations: number;
  kernelCalls: number;
  byPrimitive: { primitive: string; count: number; minMs: number }[];
  byShape: { equation: string; count: number; minMs: number }[];
  /** Fastest whole jitted step (wall), fastest replay of the equations (sum of per-equation minima), kernels alone (sum of per-call minima). */
  stepMinMs: number;
  equationsMinMs: number;
  kernelsMinMs: number;
  /** CPU ms per step, alternating blocks of 3 steps, fastest block: the jitted step against the static-plan prototype. */
  cpuJitMs: number;
  cpuPlanMs: number;
}

export function profileStep(spec: ModelSpec, digits: Digits, { reps = 15, rounds = 15 } = {}): StepProfile {
  const batches = makeBatches(spec, digits);
  const model = spec.build();
  const key = random.key(0) as unknown as AnyTensor;
  const params = model.init(key);
  const state = model.initState();
  const opt = optim.adam(1e-3);
  const optState = opt.init(params as never);
  const step = makeTrainStep(model as never, losses.sparseCategoricalCrossEntropy as never, opt);
  const { x, y } = batches[0];
  const jitOnce = () => {
    const r = step(params, optState, state, x, y, key as never);
    r.loss.concrete().dataSync();
    tree.dispose(r);
  };
  jitOnce();
  const g = step.lastGraph!;
  const [leaves] = tree.flatten([params, optState, state, x, y, key]);
  const inputs = leaves.map((t) => t.concrete());

  // every equation's fastest replay
  const eqMin = new Float64Array(g.eqns.length).fill(Infinity);
  for (let r = 0; r < reps; r++) {
    const vals = new Array<tf.Tensor | undefined>(g.nSlots);
    inputs.forEach((t, i) => (vals[i] = t));
    g.consts.forEach((c, i) => (vals[g.nInputs + i] = c));
    g.eqns.forEach((e, k) => {
      const args = e.inputs.map((s) => vals[s]!);
      const t0 = performance.now();
      vals[e.out] = ownImpl(e, args);
      eqMin[k] = Math.min(eqMin[k], performance.now() - t0);
      for (const s of e.free) {
        vals[s]!.dispose();
        vals[s] = undefined;
      }
    });
    for (let s = g.nInputs + g.consts.length; s < vals.length; s++) vals[s]?.dispose();
  }
  const group = (keyOf: (k: number) => string) => {
    const m = new Map<string, { count: number; minMs: number }>();
    g.eqns.forEach((_, k) => {
      const e = m.get(keyOf(k)) ?? { count: 0, minMs: 0 };
      e.count++;
      e.minMs += eqMin[k];
      m.set(keyOf(k), e);
    });
    return [...m].sort((a, b) => b[1].minMs - a[1].minMs);
  };
  const byPrimitive = group((k) => g.eqns[k].prim.name).map(([primitive, v]) => ({ primitive, ...v }));
  const byShape = group((k) => `${g.eqns[k].prim.name} -> [${g.eqns[k].aval.shape.join(", ")}]`)
    .slice(0, 12)
    .map(([equation, v]) => ({ equation, ...v }));

  // the kernels alone, and the whole step, fastest of `reps`
  const plan = recordPlan(g, inputs);
  const times = new Float64Array(plan.calls.length);
  const callMin = new Float64Array(plan.calls.length).fill(Infinity);
  const planOnce = (t?: Float64Array) => {
    const outs = runPlan(plan, inputs, t);
    readOutput(outs[0]);
    freeOutputs(plan, outs);
  };
  let stepMinMs = Infinity;
  for (let r = 0; r < reps; r++) {
    planOnce(times);
    times.forEach((v, i) => (callMin[i] = Math.min(callMin[i], v)));
    const t0 = performance.now();
    jitOnce();
    stepMinMs = Math.min(stepMinMs, performance.now() - t0);
  }
  // CPU per step, alternating
  const cpu: Record<"jit" | "plan", number[]> = { jit: [], plan: [] };
  for (let r = 0; r < rounds; r++) {
    for (const [name, f] of [
      ["jit", jitOnce],
      ["plan", () => planOnce()],
    ] as const) {
      const c0 = process.cpuUsage();
      for (let k = 0; k < 3; k++) f();
      const c = process.cpuUsage(c0);
      cpu[name].push((c.user + c.system) / 3000);
    }
  }
  const profile: StepProfile = {
    model: spec.id,
    equations: g.eqns.length,
    kernelCalls: plan.calls.length,
    byPrimitive,
    byShape,
    stepMinMs,
    equationsMinMs: eqMin.reduce((a, b) => a + b, 0),
    kernelsMinMs: callMin.reduce((a, b) => a + b, 0),
    // NOTE: the fastest block: on a shared machine preemption and cache thrash only ever add
    cpuJitMs: Math.min(...cpu.jit),
    cpuPlanMs: Math.min(...cpu.plan),
  };
  disposePlan(plan);
  step.dispose();
  tree.dispose([params, optState, state, key, batches]);
  return profile;
}

export function formatProfile(p: StepProfile): string {
  const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(0)}%`;
  const lines = [
    `### ${p.model}: ${p.equations} graph equations, ${p.kernelCalls} kernel calls`,
    "",
    `- fastest whole jitted step ${p.stepMinMs.toFixed(2)} ms; its equations replayed one by one ${p.equationsMinMs.toFixed(2)} ms (sum of per-equation minima); the kernels alone ${p.kernelsMinMs.toFixed(2)} ms (static-plan prototype, sum of per-call minima)`,
    `- outside kernels: ${pct(p.stepMinMs - p.kernelsMinMs, p.stepMinMs)} of the fastest step`,
    `- CPU per step (alternating blocks, fastest): jit ${p.cpuJitMs.toFixed(2)} ms, static-plan prototype ${p.cpuPlanMs.toFixed(2)} ms (${(p.cpuJitMs / p.cpuPlanMs).toFixed(2)}x)`,
    "",
    "| primitive | equations | ms (sum of minima) | µs each |",
    "| --- | --- | --- | --- |",
    ...p.byPrimitive
      .slice(0, 12)
      .map((r) => `| ${r.primitive} | ${r.count} | ${r.minMs.toFixed(2)} | ${((1000 * r.minMs) / r.count).toFixed(1)} |`),
    "",
    "| equation (output shape) | count | ms (sum of minima) | µs each |",
    "| --- | --- | --- | --- |",
    ...p.byShape.map((r) => `| ${r.equation} | ${r.count} | ${r.minMs.toFixed(2)} | ${((1000 * r.minMs) / r.count).toFixed(1)} |`),
  ];
  return lines.join("\n");
}

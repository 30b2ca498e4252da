// Where a jitted training step's time goes (`npm run bench -- --profile M4`): the step's static
// kernel plan (core/plan.ts) run with every step timed, grouped by kernel and by kernel with its
// shapes; the fastest time of each step over repeated runs (minima filter out a loaded machine's
// preemptions); the share of the step spent outside kernels; and CPU per step of the plan against
// the replay through the primitives' impls (setJitExecution("replay")), alternating. "Outside
// kernels" is measured two ways: CPU per step against the sum of per-step minima (biased high: a
// step's minimum over a few runs is below its typical time), and within each timed run, the run's
// wall time not spent inside a kernel call (loop, frees: what the plan itself costs).
import * as tf from "@tensorflow/tfjs-core";
import { runPlan, setJitExecution } from "../src/core/index.js";
import { losses, optim, random, tree } from "../src/index.js";
import type { AnyTensor } from "../src/tensor/index.js";
import { makeTrainStep } from "../src/train/index.js";
import type { Digits } from "./data.js";
import { makeBatches } from "./impls.js";
import type { ModelSpec } from "./models.js";

export interface StepProfile {
  model: string;
  equations: number;
  kernelCalls: number;
  /** Graph equations the plan runs through their impls (host reads, checks, random draws). */
  equationSteps: number;
  byKernel: { kernel: string; count: number; minMs: number }[];
  byShape: { call: string; count: number; minMs: number }[];
  /** Fastest whole jitted step (wall) and the sum of the per-step minima of its plan (kernels and equation steps). */
  stepMinMs: number;
  stepsMinMs: number;
  /** Sum of the per-step medians; within a timed run of the plan, the share of its wall time spent between kernel calls (median over runs). */
  stepsMedMs: number;
  betweenCallsShare: number;
  /** Kernel calls the plan makes directly (core/plan-direct.ts). */
  directCalls: number;
  /** CPU ms per step, alternating blocks of 3 steps, median block: the jitted step by plan and by replay, and the plan run alone (no jit call around it). */
  cpuPlanMs: number;
  cpuReplayMs: number;
  cpuBarePlanMs: number;
}

const med = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];

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
  jitOnce();
  const g = step.lastGraph!;
  const plan = step.lastPlan!;
  const [leaves] = tree.flatten([params, optState, state, x, y, key]);
  const inputs = leaves.map((t) => t.concrete());

  const times = new Float64Array(plan.steps.length);
  const stepMin = new Float64Array(plan.steps.length).fill(Infinity);
  const stepTimes = plan.steps.map(() => [] as number[]);
  const between: number[] = [];
  let stepMinMs = Infinity;
  for (let r = 0; r < reps; r++) {
    const t1 = performance.now();
    const outs = runPlan(plan, inputs, times);
    const wall = performance.now() - t1;
    outs[0].dataSync();
    tf.dispose(outs);
    times.forEach((v, i) => (stepMin[i] = Math.min(stepMin[i], v)));
    times.forEach((v, i) => stepTimes[i].push(v));
    between.push(1 - times.reduce((a, b) => a + b, 0) / wall);
    const t0 = performance.now();
    jitOnce();
    stepMinMs = Math.min(stepMinMs, performance.now() - t0);
  }
  const group = (keyOf: (k: number) => string) => {
    const m = new Map<string, { count: number; minMs: number }>();
    plan.steps.forEach((_, k) => {
      const e = m.get(keyOf(k)) ?? { count: 0, minMs: 0 };
      e.count++;
      e.minMs += stepMin[k];
      m.set(keyOf(k), e);
    });
    return [...m].sort((a, b) => b[1].minMs - a[1].minMs);
  };
  const nameOf = (k: number) => {
    const st = plan.steps[k];
    return st.kind === "call" ? st.name : `equation ${st.eqn.prim.name}`;
  };
  const byKernel = group(nameOf).map(([kernel, v]) => ({ kernel, ...v }));
  const byShape = group((k) => {
    const st = plan.steps[k];
    return st.kind === "call" ? st.label : `equation ${st.eqn.prim.name} (${st.reason})`;
  })
    .slice(0, 14)
    .map(([call, v]) => ({ call, ...v }));
  // CPU per step, alternating
  const cpu: Record<"plan" | "replay" | "bare", number[]> = { plan: [], replay: [], bare: [] };
  const bareOnce = () => {
    const outs = runPlan(plan, inputs);
    outs[0].dataSync();
    tf.dispose(outs);
  };
  for (let r = 0; r < rounds; r++) {
    for (const mode of r % 2 === 0 ? (["plan", "replay", "bare"] as const) : (["bare", "replay", "plan"] as const)) {
      setJitExecution(mode === "replay" ? "replay" : "plan");
      const c0 = process.cpuUsage();
      for (let k = 0; k < 3; k++) (mode === "bare" ? bareOnce : jitOnce)();
      const c = process.cpuUsage(c0);
      cpu[mode].push((c.user + c.system) / 3000);
    }
  }
  setJitExecution("plan");
  const profile: StepProfile = {
    model: spec.id,
    equations: g.eqns.length,
    kernelCalls: plan.stats.kernelCalls,
    equationSteps: plan.stats.equations,
    byKernel,
    byShape,
    stepMinMs,
    stepsMinMs: stepMin.reduce((a, b) => a + b, 0),
    stepsMedMs: stepTimes.reduce((a, v) => a + med(v), 0),
    betweenCallsShare: med(between),
    directCalls: plan.stats.directCalls,
    cpuPlanMs: med(cpu.plan),
    cpuReplayMs: med(cpu.replay),
    cpuBarePlanMs: med(cpu.bare),
  };
  step.dispose();
  tree.dispose([params, optState, state, key, batches]);
  return profile;
}

export function formatProfile(p: StepProfile): string {
  const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(0)}%`;
  const lines = [
    `### ${p.model}: ${p.equations} graph equations, a plan of ${p.kernelCalls} kernel calls (${p.directCalls} direct) and ${p.equationSteps} equations`,
    "",
    `- fastest whole jitted step ${p.stepMinMs.toFixed(2)} ms; the plan's steps alone ${p.stepsMinMs.toFixed(2)} ms (sum of per-step minima)`,
    `- CPU per step (alternating blocks, median): jitted by plan ${p.cpuPlanMs.toFixed(2)} ms, by replay ${p.cpuReplayMs.toFixed(2)} ms (${(p.cpuReplayMs / p.cpuPlanMs).toFixed(2)}x); the plan alone ${p.cpuBarePlanMs.toFixed(2)} ms`,
    `- outside kernels: ${pct(p.cpuPlanMs - p.stepsMinMs, p.cpuPlanMs)} of the jitted step's CPU (${pct(p.cpuBarePlanMs - p.stepsMinMs, p.cpuBarePlanMs)} of the plan alone); wall: ${pct(p.stepMinMs - p.stepsMinMs, p.stepMinMs)} of the fastest step (a loaded machine inflates it)`,
    `- within a timed run of the plan: ${(100 * p.betweenCallsShare).toFixed(1)}% of its wall time between kernel calls (loop, frees; median over runs); sum of per-step medians ${p.stepsMedMs.toFixed(2)} ms, so outside kernels by medians: ${pct(p.cpuPlanMs - p.stepsMedMs, p.cpuPlanMs)} of the jitted step's CPU`,
    "",
    "| kernel | calls | ms (sum of minima) | µs each |",
    "| --- | --- | --- | --- |",
    ...p.byKernel
      .slice(0, 14)
      .map((r) => `| ${r.kernel} | ${r.count} | ${r.minMs.toFixed(2)} | ${((1000 * r.minMs) / r.count).toFixed(1)} |`),
    "",
    "| kernel call (shapes) | count | ms (sum of minima) | µs each |",
    "| --- | --- | --- | --- |",
    ...p.byShape.map((r) => `| ${r.call} | ${r.count} | ${r.minMs.toFixed(2)} | ${((1000 * r.minMs) / r.count).toFixed(1)} |`),
  ];
  return lines.join("\n");
}

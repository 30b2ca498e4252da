// `npx tsx bench/plan-ab.ts [rounds] [M1,M2,M3,M4]`: each model's jitted training step run through
// its static kernel plan (with its direct WASM calls, and without: setPlanDirectCalls) against the
// replay through the primitives' impls (setJitExecution), in one process, alternating blocks; CPU
// ms per step, fastest and median, and the memory check (engine tensors and backend buffers after
// every round stay where they were).
import { loadavg } from "node:os";
import * as tf from "@tensorflow/tfjs-core";
import { setJitExecution, setPlanBuffers, setPlanDirectCalls } from "../src/core/index.js";
import { init } from "../src/backend/index.js";
import { loadDigits } from "./data.js";
import { makeBatches, shapeflowImpl } from "./impls.js";
import { MODELS, type ModelId } from "./models.js";

await init();
const rounds = Number(process.argv[2] ?? 10);
const ids = (process.argv[3] ?? "M1,M2,M3,M4").split(",") as ModelId[];
const digits = loadDigits();
const med = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const load = () => awaitLoad();
function awaitLoad(): string {
  return loadavg()[0].toFixed(1);
}
for (const id of ids) {
  const spec = MODELS[id];
  // the first call traces, then records the plan (plan mode) or replays (replay mode): CPU ms of each
  const firstCall = async (mode: "plan" | "replay") => {
    setJitExecution(mode);
    const i = shapeflowImpl(spec, makeBatches(spec, digits), "jit");
    const c0 = process.cpuUsage();
    await i.setup(); // trace and first call, then two more calls
    const c = process.cpuUsage(c0);
    return { impl: i, ms: (c.user + c.system) / 1000 };
  };
  const replayFirst = await firstCall("replay");
  replayFirst.impl.dispose();
  const { impl, ms: planFirstMs } = await firstCall("plan");
  const steps = id === "M3" ? 2 : 4;
  const cpu: Record<string, number[]> = { plan: [], unpinned: [], generic: [], replay: [] };
  const backend = tf.engine().backend;
  let memory = "";
  for (let r = 0; r < rounds; r++) {
    for (const mode of r % 2 === 0
      ? (["plan", "unpinned", "generic", "replay"] as const)
      : (["replay", "generic", "unpinned", "plan"] as const)) {
      setJitExecution(mode === "replay" ? "replay" : "plan");
      setPlanDirectCalls(mode !== "generic");
      setPlanBuffers(mode !== "unpinned");
      const c0 = process.cpuUsage();
      await impl.run(steps);
      const c = process.cpuUsage(c0);
      cpu[mode].push((c.user + c.system) / 1000 / steps);
    }
    const m = `${tf.memory().numTensors} tensors, ${backend.numDataIds()} buffers`;
    if (r === 1) memory = m;
    else if (r > 1 && m !== memory) memory += ` -> ${m}`;
  }
  setJitExecution("plan");
  setPlanDirectCalls(true);
  setPlanBuffers(true);
  const [p, uq, gq, q] = [med(cpu.plan), med(cpu.unpinned), med(cpu.generic), med(cpu.replay)];
  // NOTE: each round's own ratio, then their median: a paired measure, steadier on a loaded machine
  const paired = (other: number[]) => med(cpu.plan.map((v, r) => other[r] / v)).toFixed(2);
  console.log(
    `${id}: ${impl.graphEquations()} equations; setup CPU (trace, first call, 2 more) plan ${planFirstMs.toFixed(0)} ms, replay ${replayFirst.ms.toFixed(0)} ms; CPU ms/step plan median ${p.toFixed(2)} (fastest ${Math.min(...cpu.plan).toFixed(2)}), ` +
      `plan without assigned buffers ${uq.toFixed(2)} (fastest ${Math.min(...cpu.unpinned).toFixed(2)}), ` +
      `plan without direct calls ${gq.toFixed(2)} (fastest ${Math.min(...cpu.generic).toFixed(2)}), ` +
      `replay median ${q.toFixed(2)} (fastest ${Math.min(...cpu.replay).toFixed(2)}); paired ratios (median per round): unpinned / plan ${paired(cpu.unpinned)}x, generic / plan ${paired(cpu.generic)}x, replay / plan ${paired(cpu.replay)}x; memory from round 2: ${memory}; load ${load()}`,
  );
  impl.dispose();
}

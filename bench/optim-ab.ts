// `npx tsx bench/optim-ab.ts [M1 M2 ...] [rounds]`: a jitted training step (adam 1e-3) with the optimizer
// update applied to the params in the update kernel (optim's updateAndApply: one *_apply kernel per
// leaf, the divergence probe summed in it) against the plain update + applyUpdates + per-leaf probe
// sums (setApplyFold(false)), native kernels on in both; in one process, alternating blocks of 4 steps
// (the order flips every round; AB_BLOCK=n steps a block instead); CPU (process.cpuUsage) and wall ms
// per step, fastest and median, the median of the rounds' paired CPU ratios, and the kernel calls of
// each step's plan (bench/ab.ts' compareSwitch). AB_MODE=eager times the eager step instead (bench/impls' eagerStep, which goes
// through updateAndApply as makeTrainStep does; the fold is set around each block).
import { setApplyFold } from "../src/optim/transform.js";
import { loadDigits } from "./data.js";
import { compareSwitch, withSwitch } from "./ab.js";
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
for (const id of models.length > 0 ? models : (["M1", "M2"] as const)) {
  const spec = MODELS[id];
  if (mode === "jit")
    for (const on of [true, false]) {
      const p = withSwitch(setApplyFold, on, () => profileStep(spec, digits, { reps: 3, rounds: 3 }));
      console.log(`${id} ${on ? "fold" : "plain"}: ${p.equations} graph equations, ${p.kernelCalls} kernel calls a step`);
    }
  await compareSwitch(spec, digits, { set: setApplyFold, names: ["fold", "plain"], mode }, { rounds, block });
}

// `npx tsx bench/optim-ab.ts [M1 M2 ...] [rounds]`: a jitted training step (adam 1e-3) with the optimizer
// update applied to the params in the update kernel (optim's updateAndApply: one *_apply kernel per
// leaf, the divergence probe summed in it) against the plain update + applyUpdates + per-leaf probe
// sums (setApplyFold(false)), native kernels on in both; in one process, alternating blocks of 4 steps
// (the order flips every round; AB_BLOCK=n steps a block instead); CPU (process.cpuUsage) and wall ms
// per step, fastest and median, the median of the rounds' paired CPU ratios, and the kernel calls of
// each step's plan (bench/ab.ts' compareSwitch). AB_MODE=eager times the eager step instead (bench/impls' eagerStep, which goes
// through updateAndApply as makeTrainStep does; the fold is set around each block).
import { setApplyFold } from "../src/optim/transform.js";
import { runSwitchScript } from "./ab.js";
import { init } from "../src/backend/index.js";

await init();
await runSwitchScript(setApplyFold, ["fold", "plain"]);

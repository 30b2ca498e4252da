// `npx tsx bench/reduce-ab.ts [M1 M2 ...] [rounds]`: a jitted training step (adam 1e-3) with the sums over
// leading axes (the bias gradients) on the native column-sum kernel (core/native/colsum.c) and checks
// decided on the host (core/checkify.ts) against the pooled path and device flags
// (setNativeSumLeading(false), setHostChecks(false); AB_SWITCH=sum or check: one of them), the other
// native kernels on in both; in one process,
// alternating blocks of 4 steps (the order flips every round; AB_BLOCK=n steps a block instead); CPU
// (process.cpuUsage) and wall ms per step, fastest and median, the median of the rounds' paired CPU
// ratios, and the kernel calls of each step's plan. AB_MODE=eager times the eager step instead.
import { setHostChecks, setNativeSumLeading } from "../src/core/index.js";
import { runSwitchScript } from "./ab.js";
import { init } from "../src/backend/index.js";

const which = process.env.AB_SWITCH ?? "both";
/** The new paths on or off (AB_SWITCH=sum: the native sum alone, check: host-decided checks alone); returns the previous setting. */
function setSwitch(on: boolean): boolean {
  const sumWas = which === "check" ? true : setNativeSumLeading(on);
  const checkWas = which === "sum" ? true : setHostChecks(on);
  return sumWas && checkWas;
}

await init();
await runSwitchScript(setSwitch, ["new", "old"]);

// The optimizers' per-leaf steps as native kernels (adam.c): the fused ops of src/optim (scaleByAdam,
// scaleByAdamax, scaleByRms, scaleByAdagrad, scaleByMomentum with and without Nesterov) evaluate with
// them on WASM. Each takes the leaf's gradient and statistics (one shape), then any scalar tensors (the
// bias corrections), and writes its outputs (the update and the new statistics) in one pass.
import type { TfAttrMap } from "../../tensor/index.js";
import { registerNativeKernel } from "./registry.js";
import { binary } from "./adam.wasm.js";

/**
 * Registers `kernelName` as the C function `fn(inputs..., outputs..., n, numbers...)`: the inputs are
 * the fused op's (leaves then scalars), `outputs` new tensors of the first input's shape.
 */
function leafKernel(kernelName: string, fn: string, outputs: number, numbers: (attrs: TfAttrMap) => number[]): void {
  registerNativeKernel({
    kernelName,
    binary,
    run(ctx, inputs, attrs) {
      const shape = [...inputs[0].shape];
      const outs = Array.from({ length: outputs }, () => ctx.makeOutput(shape, "float32"));
      const n = shape.reduce((a, d) => a * d, 1);
      if (n > 0) ctx.exports[fn](...inputs.map((t) => ctx.offset(t)), ...outs.map((t) => ctx.offset(t)), n, ...numbers(attrs));
      return outs;
    },
  });
}

const num = (attrs: TfAttrMap, name: string) => Number(attrs[name]);
// NOTE: 1 - b is taken in float64 and rounded once, as the composites' `mul(value, 1 - decay)` does
const adamNumbers = (a: TfAttrMap) => {
  const [b1, b2] = [num(a, "b1"), num(a, "b2")];
  return [b1, 1 - b1, b2, 1 - b2, num(a, "eps"), num(a, "epsRoot")];
};
leafKernel("ShapeflowAdamUpdate", "adam_update", 3, adamNumbers);
// with a sixth input, the scalar the update is multiplied by
leafKernel("ShapeflowAdamScaledUpdate", "adam_update_scaled", 3, adamNumbers);
leafKernel("ShapeflowAdamaxUpdate", "adamax_update", 3, (a) => {
  const b1 = num(a, "b1");
  return [b1, 1 - b1, num(a, "b2"), num(a, "eps")];
});
leafKernel("ShapeflowRmsUpdate", "rms_update", 2, (a) => {
  const d = num(a, "decay");
  return [d, 1 - d, num(a, "eps"), a.epsInSqrt === true ? 1 : 0];
});
leafKernel("ShapeflowAdagradUpdate", "adagrad_update", 2, (a) => [num(a, "eps")]);
leafKernel("ShapeflowMomentumUpdate", "momentum_update", 1, (a) => [num(a, "decay")]);
leafKernel("ShapeflowNesterovUpdate", "nesterov_update", 2, (a) => [num(a, "decay")]);

/**
 * Registers `kernelName` as the step `fn` applied to the params (adam.c's `*_apply`): inputs the
 * gradient, `statistics` leaves, the params, `fixed` scalars (bias corrections), then the scale when
 * attrs.scaled and the incoming probe when attrs.probe; outputs the new statistics, the new params and,
 * with attrs.probe, the probe (a scalar). The C function gets 0 for an absent scale or probe, and
 * attrs.weightDecay (0 when absent) last.
 */
function applyKernel(kernelName: string, fn: string, statistics: number, fixed: number, numbers: (attrs: TfAttrMap) => number[]): void {
  registerNativeKernel({
    kernelName,
    binary,
    run(ctx, inputs, attrs) {
      const shape = [...inputs[0].shape];
      const leaves = statistics + 2;
      const at = leaves + fixed;
      const scale = attrs.scaled === true ? ctx.offset(inputs[at]) : 0;
      const probeIn = attrs.probe === true ? ctx.offset(inputs[attrs.scaled === true ? at + 1 : at]) : 0;
      const outs = Array.from({ length: statistics + 1 }, () => ctx.makeOutput(shape, "float32"));
      const probe = attrs.probe === true ? ctx.makeOutput([], "float32") : undefined;
      const n = shape.reduce((a, d) => a * d, 1);
      // NOTE: called for n = 0 too (no element is read or written: the leaves' offsets are 0), so the probe is still written
      const offsets = inputs.slice(0, leaves + fixed).map((t, i) => (n > 0 || i >= leaves ? ctx.offset(t) : 0));
      const outOffsets = outs.map((t) => (n > 0 ? ctx.offset(t) : 0));
      const wd = attrs.weightDecay === undefined ? 0 : num(attrs, "weightDecay");
      ctx.exports[fn](...offsets, scale, probeIn, ...outOffsets, probe ? ctx.offset(probe) : 0, n, ...numbers(attrs), wd);
      return probe ? [...outs, probe] : outs;
    },
  });
}
applyKernel("ShapeflowAdamApply", "adam_apply", 2, 2, adamNumbers);
applyKernel("ShapeflowAdamaxApply", "adamax_apply", 2, 1, (a) => {
  const b1 = num(a, "b1");
  return [b1, 1 - b1, num(a, "b2"), num(a, "eps")];
});
applyKernel("ShapeflowRmsApply", "rms_apply", 1, 0, (a) => {
  const d = num(a, "decay");
  return [d, 1 - d, num(a, "eps"), a.epsInSqrt === true ? 1 : 0];
});
applyKernel("ShapeflowAdagradApply", "adagrad_apply", 1, 0, (a) => [num(a, "eps")]);
applyKernel("ShapeflowMomentumApply", "momentum_apply", 1, 0, (a) => [num(a, "decay")]);
applyKernel("ShapeflowNesterovApply", "nesterov_apply", 1, 0, (a) => [num(a, "decay")]);

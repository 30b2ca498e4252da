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

// Softmax cross-entropy from logits (xent.c), for the fused ops of src/losses/xent.ts (their
// composites there). Inputs in the ops' order; attrs `reduce` (1: the loss is the rows' sum over
// `divisor`, a scalar, and the cotangent a scalar too; 0: one loss per row) and `divisor`:
//   sparse forward   [logits [N, C], labels [N] int32]          ->  [loss, shift [N], logs [N], inRange [N] bool]
//   sparse backward  [logits, labels, shift, logs, g]            ->  [dlogits [N, C]]
//   dense forward    [logits [N, C], targets [N, C]]             ->  [loss, shift [N], logs [N]]
//   dense backward   [logits, targets, shift, logs, g]           ->  [dlogits, dtargets]
import type { TfAttrMap } from "../../tensor/index.js";
import { registerNativeKernel } from "./registry.js";
import { binary } from "./xent.wasm.js";

/** The kernels' names (tests and profiles look for them). */
export const XENT_KERNELS = {
  sparseForward: "ShapeflowXentSparseForward",
  sparseBackward: "ShapeflowXentSparseBackward",
  denseForward: "ShapeflowXentDenseForward",
  denseBackward: "ShapeflowXentDenseBackward",
} as const;

const reduceOf = (attrs: TfAttrMap) => (attrs.reduce === 1 ? 1 : 0);
const divisorOf = (attrs: TfAttrMap) => Number(attrs.divisor ?? 1);

for (const dense of [false, true]) {
  registerNativeKernel({
    kernelName: dense ? XENT_KERNELS.denseForward : XENT_KERNELS.sparseForward,
    binary,
    run(ctx, [x, t], attrs) {
      const [n, c] = x.shape;
      const reduce = reduceOf(attrs);
      const outs = [ctx.makeOutput(reduce ? [] : [n], "float32"), ctx.makeOutput([n], "float32"), ctx.makeOutput([n], "float32")];
      if (!dense) outs.push(ctx.makeOutput([n], "bool"));
      const [loss, shift, logs, ok] = outs.map((o) => ctx.offset(o));
      const args = [ctx.offset(x), ctx.offset(t), loss, shift, logs, ...(dense ? [] : [ok]), n, c, reduce, divisorOf(attrs)];
      ctx.exports[dense ? "xent_dense_forward" : "xent_sparse_forward"](...args);
      return outs;
    },
  });
  registerNativeKernel({
    kernelName: dense ? XENT_KERNELS.denseBackward : XENT_KERNELS.sparseBackward,
    binary,
    run(ctx, [x, t, shift, logs, g], attrs) {
      const [n, c] = x.shape;
      const outs = [ctx.makeOutput([n, c], "float32")];
      if (dense) outs.push(ctx.makeOutput([n, c], "float32"));
      const ins = [x, t, shift, logs, g].map((i) => ctx.offset(i));
      ctx.exports[dense ? "xent_dense_backward" : "xent_sparse_backward"](
        ...ins,
        ...outs.map((o) => ctx.offset(o)),
        n,
        c,
        reduceOf(attrs),
        divisorOf(attrs),
      );
      return outs;
    },
  });
}

// The recurrent steps' kernels (recurrent.c), for the fused ops of src/nn/layers/recurrent.ts (their
// composites there): the LSTM's, the reset-after and reset-before GRUs', the simple RNN's, and concatColumns.
// The LSTM's `lstmStepForward` and `lstmStepBackward`, inputs in the ops' order:
//   forward   [pre [B, 4U], 2c [B, U] when attrs.hasC]  ->  [h, 2c'] (+ [factor [B, 4U], cellFromH, forget] with attrs.keep)
//   backward  [factor, cellFromH, dh, dc_next when attrs.hasDc, forget when attrs.carry]  ->  [dPre [B, 4U], dPreᵀ [4U, B]] (+ dc with attrs.carry)
import { registerNativeKernel } from "./registry.js";
import { binary } from "./recurrent.wasm.js";

registerNativeKernel({
  kernelName: "ShapeflowLstmStepForward",
  binary,
  run(ctx, inputs, attrs) {
    const [b, w] = inputs[0].shape;
    const u = w / 4;
    const hasC = attrs.hasC === 1;
    const keep = attrs.keep === 1;
    const outs = [ctx.makeOutput([b, u], "float32"), ctx.makeOutput([b, u], "float32")];
    if (keep) outs.push(ctx.makeOutput([b, w], "float32"), ctx.makeOutput([b, u], "float32"), ctx.makeOutput([b, u], "float32"));
    const at = (i: number) => (i < outs.length ? ctx.offset(outs[i]) : 0);
    ctx.exports.lstm_forward(
      ctx.offset(inputs[0]),
      hasC ? ctx.offset(inputs[1]) : 0,
      at(0),
      at(1),
      at(2),
      at(3),
      at(4),
      b,
      u,
      (hasC ? 1 : 0) | (keep ? 2 : 0),
    );
    return outs;
  },
});

registerNativeKernel({
  kernelName: "ShapeflowLstmStepBackward",
  binary,
  run(ctx, inputs, attrs) {
    const [b, w] = inputs[0].shape;
    const u = w / 4;
    const hasDc = attrs.hasDc === 1;
    const carry = attrs.carry === 1;
    const outs = [ctx.makeOutput([b, w], "float32"), ctx.makeOutput([w, b], "float32")];
    if (carry) outs.push(ctx.makeOutput([b, u], "float32"));
    const forget = carry ? ctx.offset(inputs[hasDc ? 4 : 3]) : 0;
    ctx.exports.lstm_backward(
      ctx.offset(inputs[0]),
      ctx.offset(inputs[1]),
      forget,
      ctx.offset(inputs[2]),
      hasDc ? ctx.offset(inputs[3]) : 0,
      ctx.offset(outs[0]),
      ctx.offset(outs[1]),
      carry ? ctx.offset(outs[2]) : 0,
      b,
      u,
      (hasDc ? 1 : 0) | (carry ? 2 : 0) | 4,
    );
    return outs;
  },
});

// The reset-after GRU's step: forward [pre [B, 4U], h [B, U]] -> [h'] (+ [factor [B, 4U], z] with attrs.keep);
// backward [factor, dh, z when attrs.carry] -> [dPre [B, 4U], dPreᵀ [4U, B]] (+ dh_prev with attrs.carry).
registerNativeKernel({
  kernelName: "ShapeflowGruStepForward",
  binary,
  run(ctx, inputs, attrs) {
    const [b, w] = inputs[0].shape;
    const u = w / 4;
    const keep = attrs.keep === 1;
    const outs = [ctx.makeOutput([b, u], "float32")];
    if (keep) outs.push(ctx.makeOutput([b, w], "float32"), ctx.makeOutput([b, u], "float32"));
    const at = (i: number) => (i < outs.length ? ctx.offset(outs[i]) : 0);
    ctx.exports.gru_forward(ctx.offset(inputs[0]), ctx.offset(inputs[1]), at(0), at(1), at(2), b, u, keep ? 2 : 0);
    return outs;
  },
});

registerNativeKernel({
  kernelName: "ShapeflowGruStepBackward",
  binary,
  run(ctx, inputs, attrs) {
    const [b, w] = inputs[0].shape;
    const u = w / 4;
    const carry = attrs.carry === 1;
    const outs = [ctx.makeOutput([b, w], "float32"), ctx.makeOutput([w, b], "float32")];
    if (carry) outs.push(ctx.makeOutput([b, u], "float32"));
    const at = (i: number) => (i < outs.length ? ctx.offset(outs[i]) : 0);
    const z = carry ? ctx.offset(inputs[2]) : 0;
    ctx.exports.gru_backward(ctx.offset(inputs[0]), z, ctx.offset(inputs[1]), at(0), at(1), at(2), b, u, (carry ? 2 : 0) | 4);
    return outs;
  },
});

// The reset-before GRU's step, two kernels around its second product (r ⊙ h) 2U_n and one in reverse:
//   gates     [pre [B, 3U], hRec [B, U]]  ->  [rh, z] (+ [r, rSlope] with attrs.keep)
//   step      [pre, rhU [B, U], h, z]  ->  [h'] (+ [q, zSlope] with attrs.keep)
//   backward  [zSlope, rSlope, q, dh, dRh, z and r when attrs.carry]  ->  [dPre [B, 3U], dPreᵀ [3U, B]] (+ dh_prev with attrs.carry)
registerNativeKernel({
  kernelName: "ShapeflowGruBeforeGatesForward",
  binary,
  run(ctx, inputs, attrs) {
    const [b, w] = inputs[0].shape;
    const u = w / 3;
    const keep = attrs.keep === 1;
    const outs = [ctx.makeOutput([b, u], "float32"), ctx.makeOutput([b, u], "float32")];
    if (keep) outs.push(ctx.makeOutput([b, u], "float32"), ctx.makeOutput([b, u], "float32"));
    const at = (i: number) => (i < outs.length ? ctx.offset(outs[i]) : 0);
    ctx.exports.gru_before_gates(ctx.offset(inputs[0]), ctx.offset(inputs[1]), at(0), at(1), at(2), at(3), b, u, keep ? 2 : 0);
    return outs;
  },
});

registerNativeKernel({
  kernelName: "ShapeflowGruBeforeStepForward",
  binary,
  run(ctx, inputs, attrs) {
    const [b, w] = inputs[0].shape;
    const u = w / 3;
    const keep = attrs.keep === 1;
    const outs = [ctx.makeOutput([b, u], "float32")];
    if (keep) outs.push(ctx.makeOutput([b, u], "float32"), ctx.makeOutput([b, u], "float32"));
    const at = (i: number) => (i < outs.length ? ctx.offset(outs[i]) : 0);
    const [pre, rhU, h, z] = inputs.map((t) => ctx.offset(t));
    ctx.exports.gru_before_step(pre, rhU, h, z, at(0), at(1), at(2), b, u, keep ? 2 : 0);
    return outs;
  },
});

registerNativeKernel({
  kernelName: "ShapeflowGruBeforeStepBackward",
  binary,
  run(ctx, inputs, attrs) {
    const [b, u] = inputs[0].shape;
    const carry = attrs.carry === 1;
    const outs = [ctx.makeOutput([b, 3 * u], "float32"), ctx.makeOutput([3 * u, b], "float32")];
    if (carry) outs.push(ctx.makeOutput([b, u], "float32"));
    const [zSlope, rSlope, q, dh, dRh] = inputs.map((t) => ctx.offset(t));
    const z = carry ? ctx.offset(inputs[5]) : 0;
    const r = carry ? ctx.offset(inputs[6]) : 0;
    const dhOut = carry ? ctx.offset(outs[2]) : 0;
    ctx.exports.gru_before_backward(
      zSlope,
      rSlope,
      q,
      dh,
      dRh,
      z,
      r,
      ctx.offset(outs[0]),
      ctx.offset(outs[1]),
      dhOut,
      b,
      u,
      (carry ? 2 : 0) | 4,
    );
    return outs;
  },
});

// The simple RNN's step: forward [pre [B, U]] -> [h] (+ [factor] with attrs.keep); backward [factor, dh] -> [dPre, dPreᵀ [U, B]].
registerNativeKernel({
  kernelName: "ShapeflowRnnStepForward",
  binary,
  run(ctx, inputs, attrs) {
    const [b, u] = inputs[0].shape;
    const keep = attrs.keep === 1;
    const outs = [ctx.makeOutput([b, u], "float32")];
    if (keep) outs.push(ctx.makeOutput([b, u], "float32"));
    ctx.exports.rnn_forward(ctx.offset(inputs[0]), ctx.offset(outs[0]), keep ? ctx.offset(outs[1]) : 0, b * u, keep ? 2 : 0);
    return outs;
  },
});

registerNativeKernel({
  kernelName: "ShapeflowRnnStepBackward",
  binary,
  run(ctx, inputs) {
    const [b, u] = inputs[0].shape;
    const outs = [ctx.makeOutput([b, u], "float32"), ctx.makeOutput([u, b], "float32")];
    ctx.exports.rnn_backward(ctx.offset(inputs[0]), ctx.offset(inputs[1]), ctx.offset(outs[0]), ctx.offset(outs[1]), b, u, 4);
    return outs;
  },
});

// Concatenation along axis 1 of float32 [rows, cols_i] tensors (its fused op: `concatColumns` in recurrent.ts).
registerNativeKernel({
  kernelName: "ShapeflowConcatColumns",
  binary,
  run(ctx, inputs) {
    const rows = inputs[0].shape[0];
    const total = inputs.reduce((n, t) => n + t.shape[1], 0);
    const out = ctx.makeOutput([rows, total], "float32");
    const dst = ctx.offset(out);
    let at = 0;
    for (const t of inputs) {
      ctx.exports.copy_columns(ctx.offset(t), dst, rows, t.shape[1], total, at);
      at += t.shape[1];
    }
    return [out];
  },
});

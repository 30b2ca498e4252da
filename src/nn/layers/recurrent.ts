// Recurrent layers over [B, T, F]: simpleRnn, lstm, gru. The input projection of every time
// step is one matmul up front; the loop does only the recurrent product per step.
import type { Dim, IsAny, Mul, Shape } from "../../../typelevel/index.js";
import { type AnyTensor, type Tensor, scalar, tensor, zeros } from "../../tensor/index.js";
import { add, mul, sigmoid, sub, tanh, matmul, reshape, slice, concat, broadcastTo, transpose, customVjp } from "../../core/index.js";
import { split } from "../../random/index.js";
import { glorotUniform, orthogonal } from "../init.js";
import type { Key, LayerError, PositiveInt } from "../layer.js";
import { defineLayer, expectRank, positiveInt, type TensorRecord } from "./define.js";

export interface RecurrentConfig<U extends number = number, R extends boolean = boolean> {
  units: U;
  returnSequences: R;
}

// NOTE: in the IsAny branch S *is* `any` (an earlier layer failed): passing it on keeps a chain to one error.
type RecurrentEntry<Name extends string, S extends Shape, C, G extends number> =
  C extends RecurrentConfig<infer U, infer R>
    ? IsAny<S> extends true
      ? { out: S; params: RecurrentParams<number, U, G>; state: {} }
      : S extends readonly [infer B extends Dim, infer T extends Dim, infer F extends Dim]
        ? { out: R extends true ? [B, T, U] : [B, U]; params: RecurrentParams<F, U, G>; state: {} }
        : { out: LayerError<`${Name}(${U})`, "[batch, time, features]", S>; params: never; state: {} }
    : never;

export interface RecurrentParams<F extends Dim, U extends number, G extends number> {
  kernel: Tensor<[F, Mul<G, U>]>;
  recurrentKernel: Tensor<[U, Mul<G, U>]>;
  bias: Tensor<[Mul<G, U>]>;
}

declare module "../layer.js" {
  interface LayerTypes<S extends Shape, C> {
    simpleRnn: RecurrentEntry<"simpleRnn", S, C, 1>;
    lstm: RecurrentEntry<"lstm", S, C, 4>;
    gru: RecurrentEntry<"gru", S, C, 3>;
  }
}

export interface RecurrentOptions<R extends boolean> {
  /** Output every step `[B, T, units]` instead of the last `[B, units]`. Default false. */
  returnSequences?: R;
}

/** One step: the params, this step's input projection, and the previous h and c; returns the new h and c. */
type Cell = (p: TensorRecord, xw: AnyTensor, h: AnyTensor, c: AnyTensor) => [AnyTensor, AnyTensor];

/** The whole sequence: params and x [B, T, F] to [B, units] (the last h) or [B, T, units]. */
type Scan = (p: TensorRecord, x: AnyTensor, units: number, returnSequences: boolean) => AnyTensor;

function recurrent<K extends "simpleRnn" | "lstm" | "gru", U extends number, R extends boolean>(
  kind: K,
  gates: number,
  units: U,
  opts: RecurrentOptions<R>,
  scan: Scan,
  biasInit: (units: number) => AnyTensor,
) {
  positiveInt(kind, "units", units);
  const returnSequences = (opts.returnSequences ?? false) as R;
  const name = `${kind}(${units}${returnSequences ? ", sequences" : ""})`;
  return defineLayer<K, RecurrentConfig<U, R>>({
    kind,
    name,
    config: { units, returnSequences },
    outputShape(s) {
      expectRank(name, "[batch, time, features]", s, s.length === 3);
      if (s[1] < 1) throw new Error(`${name}: needs at least one time step, got ${s[1]}`);
      return returnSequences ? [s[0], s[1], units] : [s[0], units];
    },
    init(key, s) {
      const [k1, k2] = split(key, 2);
      return {
        kernel: glorotUniform(k1, [s[2], gates * units]),
        recurrentKernel: orthogonalBlocks(k2, units, gates),
        bias: biasInit(units),
      };
    },
    apply: (p, x) => scan(p, x, units, returnSequences),
  });
}

/** A scan that unrolls `cell` over the time steps (autodiff differentiates the unrolled graph). */
function unrolled(gates: number, cell: Cell): Scan {
  return (p, x, units, returnSequences) => {
    const [b, t, f] = x.shape;
    const g = gates * units;
    // NOTE: a step's slice costs a pad of the whole sequence in the backward pass, so slice
    // the narrower of x ([B, T, F]) and its projection ([B, T, G*U]).
    const projectFirst = g <= f;
    const seq = projectFirst ? reshape(matmul(reshape(x, [b * t, f]), p.kernel), [b, t, g]) : x;
    const width = projectFirst ? g : f;
    let h: AnyTensor = broadcastTo(scalar(0), [b, units]);
    let c: AnyTensor = h;
    const outs: AnyTensor[] = [];
    for (let i = 0; i < t; i++) {
      const step = reshape(slice(seq, [0, i, 0], [b, 1, width]), [b, width]);
      const xi = projectFirst ? step : matmul(step, p.kernel);
      [h, c] = cell(p, xi, h, c);
      if (returnSequences) outs.push(reshape(h, [b, 1, units]));
    }
    return returnSequences ? concat(outs, 1) : h;
  };
}

/** An orthogonal [U, U] block per gate, side by side: [U, G*U]. */
function orthogonalBlocks(key: Key, units: number, gates: number): AnyTensor {
  const keys = split(key, gates);
  const blocks = keys.map((k) => orthogonal(k, [units, units]) as AnyTensor);
  if (gates === 1) return blocks[0];
  const out = concat(blocks, 1);
  for (const bl of blocks) bl.dispose();
  return out;
}

function gate(z: AnyTensor, i: number, units: number): AnyTensor {
  const b = z.shape[0];
  return slice(z, [0, i * units], [b, units]);
}

/**
 * Elman RNN: h_t = tanh(x_t W + h_{t-1} U + b).
 * ```ts
 * nn.input(["batch", 28, 28]).add(nn.simpleRnn(64))   // ["batch", 64]
 * ```
 */
export function simpleRnn<const U extends number, const R extends boolean = false>(
  units: U & PositiveInt<U, "simpleRnn", "units">,
  opts: RecurrentOptions<R> = {},
) {
  return recurrent(
    "simpleRnn",
    1,
    units as U,
    opts,
    unrolled(1, (p, xw, h) => {
      const hn = tanh(add(add(xw, matmul(h, p.recurrentKernel)), p.bias));
      return [hn, hn];
    }),
    (u) => zeros([u]),
  );
}

/**
 * LSTM with Keras' gate order (input, forget, cell, output) and forget-gate bias 1.
 * c_t = f ⊙ c_{t-1} + i ⊙ g, h_t = o ⊙ tanh(c_t).
 */
export function lstm<const U extends number, const R extends boolean = false>(
  units: U & PositiveInt<U, "lstm", "units">,
  opts: RecurrentOptions<R> = {},
) {
  return recurrent("lstm", 4, units as U, opts, lstmScan, (u) => {
    const b = new Float32Array(4 * u);
    b.fill(1, u, 2 * u);
    return tensor(b, [4 * u]);
  });
}

/**
 * GRU (gate order update, reset, candidate): z = σ(.), r = σ(.),
 * ĥ = tanh(x W_h + (r ⊙ h) U_h + b_h), h_t = z ⊙ h_{t-1} + (1 − z) ⊙ ĥ.
 */
export function gru<const U extends number, const R extends boolean = false>(
  units: U & PositiveInt<U, "gru", "units">,
  opts: RecurrentOptions<R> = {},
) {
  return recurrent(
    "gru",
    3,
    units as U,
    opts,
    unrolled(3, (p, xw, h) => {
      const u = h.shape[1];
      const b = h.shape[0];
      const uzr = slice(p.recurrentKernel, [0, 0], [u, 2 * u]);
      const uh = slice(p.recurrentKernel, [0, 2 * u], [u, u]);
      const bias = p.bias;
      const zr = add(add(slice(xw, [0, 0], [b, 2 * u]), matmul(h, uzr)), slice(bias, [0], [2 * u]));
      const z = sigmoid(gate(zr, 0, u));
      const r = sigmoid(gate(zr, 1, u));
      const hh = tanh(add(add(slice(xw, [0, 2 * u], [b, u]), matmul(mul(r, h), uh)), slice(bias, [2 * u], [u])));
      const hn = add(mul(z, h), mul(sub(1, z), hh));
      return [hn, hn];
    }),
    (u) => zeros([3 * u]),
  );
}

// ---------------------------------------------------------------- the fused LSTM
//
// NOTE: unrolled and differentiated op by op, the LSTM cost ~1,550 graph equations per 28-step
// sequence, each a tfjs dispatch that costs more than the [64, 256] kernel it runs, and WASM's
// Tanh kernel is ~10x slower than its Sigmoid. So the layer is one function with a hand-written
// reverse pass (BPTT), 34 equations per step:
// - step k multiplies [x_k, h_{k-1}, 1] by the stacked [kernel; recurrent kernel; bias]: the
//   input projection, the recurrent product and the bias in one matmul;
// - the g gate's columns are doubled (exact: a power of two), so one sigmoid over the packed
//   [B, 4U] pre-activations gives i, f, o and σ(2 z_g), with tanh(z_g) = 2σ(2 z_g) − 1; the cell
//   state is carried doubled (2c), so tanh(c) = 2σ(2c) − 1;
// - the forward also keeps, per step, the packed factor that turns [dc, dc, dc, dh] into the
//   pre-activation cotangent and o (1 − tanh² c), so the reverse step is 8 small ops; the weight
//   gradient of all steps is one matmul of the stacked [x_k, h_{k-1}, 1] with the stacked
//   cotangents afterwards.
// - per step only the narrow input rows [T*B, F] are sliced (and the output cotangent, with
//   returnSequences), never a [T*B, 4U] tensor: WASM's Slice copies its entire input first.

/** One value per gate block of `units` (Keras order i, f, g, o). */
function perGate(units: number, values: readonly [number, number, number, number]): AnyTensor {
  const s = new Float32Array(4 * units);
  values.forEach((v, k) => s.fill(v, k * units, (k + 1) * units));
  return tensor(s, [4 * units]);
}

function lstmScan(p: TensorRecord, x: AnyTensor, units: number, returnSequences: boolean): AnyTensor {
  const [b, t, f] = x.shape;
  // time-major rows: step k is rows [k * B, (k + 1) * B)
  const rows = reshape(transpose(x, [1, 0, 2]), [t * b, f]);
  const stacked = mul(concat([p.kernel, p.recurrentKernel, reshape(p.bias, [1, 4 * units])], 0), perGate(units, [1, 1, 2, 1]));
  const out = lstmSequence(t, b, f, units, returnSequences)(rows, stacked);
  return returnSequences ? transpose(reshape(out, [t, b, units]), [1, 0, 2]) : out;
}

interface LstmStep {
  /** [x_k, h_{k-1}, 1] [B, F + U + 1]. */
  inputs: AnyTensor;
  /** [2g, 2c_{k-1}, i, tanh c_k] ⊙ a (1 − a) [B, 4U]: times `slopes` per gate block, what turns [dc, dc, dc, dh] into the pre-activation cotangent. */
  factor: AnyTensor;
  /** o ⊙ (1 − tanh² c_k) [B, U]: how h_k reaches c_k. */
  cellFromH: AnyTensor;
  forget: AnyTensor;
  h: AnyTensor;
}

/** The recurrence over time-major `rows` [T*B, F] with the stacked, g-doubled weights [F + U + 1, 4U]. */
function lstmForward(t: number, b: number, f: number, u: number, rows: AnyTensor, stacked: AnyTensor, keep: boolean): LstmStep[] {
  const steps: LstmStep[] = [];
  const ones = broadcastTo(scalar(1), [b, 1]);
  let h: AnyTensor = broadcastTo(scalar(0), [b, u]);
  let c2: AnyTensor | undefined;
  for (let k = 0; k < t; k++) {
    const inputs = concat([t === 1 ? rows : slice(rows, [k * b, 0], [b, f]), h, ones], 1);
    const a = sigmoid(matmul(inputs, stacked)); // [i, f, σ(2 z_g), o]
    const i = slice(a, [0, 0], [b, u]);
    const forget = slice(a, [0, u], [b, u]);
    const g2 = sub(mul(slice(a, [0, 2 * u], [b, u]), 4), 2); // 2 tanh(z_g)
    const o = slice(a, [0, 3 * u], [b, u]);
    const prevC2 = c2 ?? h;
    const ig2 = mul(i, g2);
    c2 = c2 === undefined ? ig2 : add(mul(forget, c2), ig2);
    const tanhC = sub(mul(sigmoid(c2), 2), 1);
    h = mul(o, tanhC);
    if (keep) {
      // d σ / d pre-activation is a (1 − a); the per-gate constants are applied in the reverse pass (`slopes`)
      const factor = mul(concat([g2, prevC2, i, tanhC], 1), mul(a, sub(1, a)));
      const cellFromH = mul(o, sub(1, mul(tanhC, tanhC)));
      steps.push({ inputs, factor, cellFromH, forget, h });
    } else {
      steps.push({ inputs, factor: h, cellFromH: h, forget, h }); // (no reverse pass reads them)
    }
  }
  return steps;
}

/** The recurrence as a function of (rows [T*B, F], stacked weights [F + U + 1, 4U]) with its reverse pass. */
function lstmSequence(t: number, b: number, f: number, u: number, returnSequences: boolean) {
  // NOTE: float32 throughout (customVjp's output type); the shape is [T*B, U] or [B, U]
  const output = (steps: LstmStep[]) =>
    (returnSequences
      ? concat(
          steps.map((s) => s.h),
          0,
        )
      : steps[t - 1].h) as Tensor<number[]>;
  return customVjp(
    (rows: AnyTensor, stacked: AnyTensor) => output(lstmForward(t, b, f, u, rows, stacked, false)),
    (rows: AnyTensor, stacked: AnyTensor) => {
      const steps = lstmForward(t, b, f, u, rows, stacked, true);
      // The factors hold g and c_{k-1} doubled (so 1/2) and the g block's pre-activation is doubled
      // (so twice the slope): a per-column constant of the pre-activation cotangent, applied to the
      // products it feeds (the transposed kernels' rows, the weight gradient's columns).
      const slopes = perGate(u, [0.5, 0.5, 2, 1]);
      const scaledT = (w: AnyTensor) => mul(transpose(w, [1, 0]), reshape(slopes, [4 * u, 1]));
      const residuals = {
        steps,
        slopes,
        inputs: concat(
          steps.map((s) => s.inputs),
          0,
        ),
        kernelT: scaledT(slice(stacked, [0, 0], [f, 4 * u])),
        recurrentT: scaledT(slice(stacked, [f, 0], [u, 4 * u])),
      };
      return [output(steps), residuals];
    },
    (res, ct) => {
      const dPre: AnyTensor[] = new Array<AnyTensor>(t);
      const dPreT: AnyTensor[] = new Array<AnyTensor>(t);
      let dhRec: AnyTensor | undefined;
      let dcNext: AnyTensor | undefined;
      for (let k = t - 1; k >= 0; k--) {
        const step = res.steps[k];
        const dOut = returnSequences ? (t === 1 ? ct : slice(ct, [k * b, 0], [b, u])) : k === t - 1 ? ct : undefined;
        const dh = dOut === undefined ? dhRec! : dhRec === undefined ? dOut : add(dOut, dhRec);
        const fromH = mul(dh, step.cellFromH);
        const dc = dcNext === undefined ? fromH : add(dcNext, fromH);
        // the pre-activation cotangent (up to `slopes`): [dc ⊙ g, dc ⊙ c_{k-1}, dc ⊙ i, dh ⊙ tanh c] ⊙ a (1 − a)
        dPre[k] = mul(concat([dc, dc, dc, dh], 1), step.factor);
        dPreT[k] = transpose(dPre[k], [1, 0]);
        if (k > 0) {
          dhRec = matmul(dPre[k], res.recurrentT);
          dcNext = mul(dc, step.forget);
        }
      }
      // NOTE: the weight gradient as (dPre^T inputs)^T: WASM's matmul repacks its right operand on
      // every call (~7 ns a float), so the [T*B, 4U] cotangents must be the left one
      const dWeightsT = matmul(concat(dPreT, 1), res.inputs);
      return [matmul(concat(dPre, 0), res.kernelT), mul(transpose(dWeightsT, [1, 0]), res.slopes)];
    },
  );
}

// Recurrent layers over [B, T, F]: simpleRnn, lstm, gru. The input projection of every time
// step is one matmul up front; the loop does only the recurrent product per step.
import type { Dim, IsAny, Mul, Shape } from "../../../typelevel/index.js";
import { type AnyTensor, type Tensor, refused, ShapeError, scalar, tensor, zeros } from "../../tensor/index.js";
import { add, mul, sigmoid, sub, tanh, matmul, reshape, slice, concat, broadcastTo } from "../../core/index.js";
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
    /** `[B, T, F] -> [B, units]` (or `[B, T, units]` with `returnSequences`); kernel `[F, units]`, recurrentKernel `[units, units]`, bias. */
    simpleRnn: RecurrentEntry<"simpleRnn", S, C, 1>;
    /** `[B, T, F] -> [B, units]` (or `[B, T, units]`); the four gates fused: kernel `[F, 4 * units]`, recurrentKernel `[units, 4 * units]`, bias. */
    lstm: RecurrentEntry<"lstm", S, C, 4>;
    /** `[B, T, F] -> [B, units]` (or `[B, T, units]`); the three gates fused: kernel `[F, 3 * units]`, recurrentKernel `[units, 3 * units]`, bias. */
    gru: RecurrentEntry<"gru", S, C, 3>;
  }
}

/** Options of the recurrent layers: `nn.lstm(64, { returnSequences: true })`. */
export interface RecurrentOptions<R extends boolean> {
  /** Output every step `[B, T, units]` instead of the last `[B, units]`. Default false. */
  returnSequences?: R;
}

/** One step: the params, this step's input projection, and the previous h and c; returns the new h and c. */
type Cell = (p: TensorRecord, xw: AnyTensor, h: AnyTensor, c: AnyTensor) => [AnyTensor, AnyTensor];

function recurrent<K extends "simpleRnn" | "lstm" | "gru", U extends number, R extends boolean>(
  kind: K,
  gates: number,
  units: U,
  opts: RecurrentOptions<R>,
  cell: Cell,
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
      if (s[1] < 1) throw refused(name, "at least one time step", `${s[1]}`, ShapeError);
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
    apply(p, x) {
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
    },
  });
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
    (p, xw, h) => {
      const hn = tanh(add(add(xw, matmul(h, p.recurrentKernel)), p.bias));
      return [hn, hn];
    },
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
  return recurrent(
    "lstm",
    4,
    units as U,
    opts,
    (p, xw, h, c) => {
      const z = add(add(xw, matmul(h, p.recurrentKernel)), p.bias);
      const u = z.shape[1] / 4;
      const i = sigmoid(gate(z, 0, u));
      const f = sigmoid(gate(z, 1, u));
      const g = tanh(gate(z, 2, u));
      const o = sigmoid(gate(z, 3, u));
      const cn = add(mul(f, c), mul(i, g));
      return [mul(o, tanh(cn)), cn];
    },
    (u) => {
      const b = new Float32Array(4 * u);
      b.fill(1, u, 2 * u);
      return tensor(b, [4 * u]);
    },
  );
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
    (p, xw, h) => {
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
    },
    (u) => zeros([3 * u]),
  );
}

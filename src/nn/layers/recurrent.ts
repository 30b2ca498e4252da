// Recurrent layers over [B, T, F]: simpleRnn, lstm, gru, with the options Keras and PyTorch users
// reach for: bidirectional, masking (padded steps keep the state), an initial state at call time,
// input and recurrent dropout, and GRU's reset-after / reset-before conventions.
//
// Two ways to run a sequence:
// - `unrolled`: the cell step by step, differentiated op by op; it takes every option. The input
//   projection of every time step is one matmul up front when that tensor is the narrower one.
// - the fused cells (`fusedSequence`, below): one function with a hand-written reverse pass, a
//   third to a half fewer graph equations; every option runs on it (the step-by-step loop is the
//   reference it is tested against, `stepByStep`). Masks, input and recurrent dropout, an initial
//   state and bidirectional runs use it. Every cell has one (the reset-before GRU, Keras 1's cell,
//   with a second product a step after the reset gate).
// A step of the LSTM, the reset-after GRU and the simple RNN, forward and reverse, is a fused op
// (`lstmStepOps`, `gruStepOps`, `rnnStepOps`): one native kernel on WASM (src/core/native/recurrent.c),
// its composite here (what runs elsewhere, and what every derivative, vmap and export go through).
// The reset-before GRU's step is two such ops forward, around its second product, and one in reverse
// (`gruBeforeStepOps`).
import type { Dim, IsAny, Mul, Shape } from "../../../typelevel/index.js";
import {
  type AnyTensor,
  type Tensor,
  refused,
  scalar,
  tensor,
  zeros,
  ShapeError,
  ValueError,
  formatShape,
  describeValue,
} from "../../tensor/index.js";
import {
  add,
  mul,
  sigmoid,
  sub,
  tanh,
  matmul,
  reshape,
  slice,
  concat,
  stack,
  broadcastTo,
  transpose,
  customVjp,
  reverse,
  where,
  cast,
  notEqual,
  max,
  fused,
  type FusedOp,
} from "../../core/index.js";
import { bernoulli, foldIn, split } from "../../random/index.js";
import { glorotUniform, orthogonal } from "../init.js";
import type { ApplyContext, Key, Layer, LayerError, PositiveInt, FloatInput } from "../layer.js";
import { defineLayer, expectRank, positiveInt, type TensorRecord } from "./define.js";

/** The config every recurrent layer records (read by its `LayerTypes` entry and the exports). */
export interface RecurrentConfig<U extends number = number, R extends boolean = boolean, Bi extends boolean = boolean> {
  /** Size of h (per direction). */
  units: U;
  /** Output every step rather than the last. */
  returnSequences: R;
  /** A forward and a backward run, their outputs concatenated on the feature axis. */
  bidirectional: Bi;
  /** Input dropout rate (one mask per sequence, shared by all steps). */
  dropout: number;
  /** Dropout rate on the previous h before the recurrent product (one mask per sequence). */
  recurrentDropout: number;
  /** Steps whose features all equal this value are padding (the state passes through); null: none. */
  maskValue: number | null;
}

/** GRU's config: the recurrent config and where the reset gate applies. */
export interface GruConfig<
  U extends number = number,
  R extends boolean = boolean,
  Bi extends boolean = boolean,
  A extends boolean = boolean,
> extends RecurrentConfig<U, R, Bi> {
  /** Reset gate on the recurrent product (PyTorch, Keras >= 2.4, cuDNN) rather than on h before it. */
  resetAfter: A;
}

/** One direction's weights; `Bias` is `[gates * units]`, or `[2, 3 * units]` for a reset-after GRU (input and recurrent biases). */
export interface RecurrentParams<F extends Dim, U extends number, G extends number, Bias extends Shape = [Mul<G, U>]> {
  /** The input projection, the gates side by side: `[F, gates * units]`. */
  kernel: Tensor<[F, Mul<G, U>]>;
  /** The recurrent projection of h: `[units, gates * units]`. */
  recurrentKernel: Tensor<[U, Mul<G, U>]>;
  /** `[gates * units]`, or `[2, 3 * units]` (input and recurrent rows) for a reset-after GRU. */
  bias: Tensor<Bias>;
}

/** A bidirectional layer's params: one set per direction. */
export interface BidirectionalParams<P> {
  /** The run over steps 0 .. T-1. */
  forward: P;
  /** The run over steps T-1 .. 0. */
  backward: P;
}

type Directions<Bi, P> = Bi extends true ? BidirectionalParams<P> : P;
type Width<Bi, U extends number> = Bi extends true ? Mul<2, U> : U;
type GateBias<C, G extends number> = C extends RecurrentConfig<infer U> ? [Mul<G, U>] : never;
type GruBias<C> = C extends GruConfig<infer U, boolean, boolean, infer A> ? (A extends false ? [Mul<3, U>] : [2, Mul<3, U>]) : never;

// NOTE: in the IsAny branch S *is* `any` (an earlier layer failed): passing it on keeps a chain to one error.
type RecurrentEntry<Name extends string, S extends Shape, C, G extends number, Bias extends Shape> =
  C extends RecurrentConfig<infer U, infer R, infer Bi>
    ? IsAny<S> extends true
      ? { out: S; params: Directions<Bi, RecurrentParams<number, U, G, Bias>>; state: {} }
      : S extends readonly [infer B extends Dim, infer T extends Dim, infer F extends Dim]
        ? {
            out: R extends true ? [B, T, Width<Bi, U>] : [B, Width<Bi, U>];
            params: Directions<Bi, RecurrentParams<F, U, G, Bias>>;
            state: {};
          }
        : { out: LayerError<`${Name}(${U})`, "[batch, time, features]", S>; params: never; state: {} }
    : never;

declare module "../layer.js" {
  interface LayerTypes<S extends Shape, C> {
    /** `[B, T, F] -> [B, units]` (or `[B, T, units]` with `returnSequences`; the units doubled when bidirectional); kernel `[F, units]`, recurrentKernel `[units, units]`, bias. */
    simpleRnn: RecurrentEntry<"simpleRnn", S, C, 1, GateBias<C, 1>> & FloatInput;
    /** `[B, T, F] -> [B, units]` (or `[B, T, units]`; doubled when bidirectional); the four gates fused: kernel `[F, 4 * units]`, recurrentKernel `[units, 4 * units]`, bias. */
    lstm: RecurrentEntry<"lstm", S, C, 4, GateBias<C, 4>> & FloatInput;
    /** `[B, T, F] -> [B, units]` (or `[B, T, units]`; doubled when bidirectional); the three gates fused: kernel `[F, 3 * units]`, recurrentKernel `[units, 3 * units]`, bias `[2, 3 * units]` (reset-after) or `[3 * units]`. */
    gru: RecurrentEntry<"gru", S, C, 3, GruBias<C>> & FloatInput;
  }
}

/** Options of the recurrent layers: `nn.lstm(64, { returnSequences: true, bidirectional: true })`. */
export interface RecurrentOptions<R extends boolean = boolean, Bi extends boolean = boolean> {
  /** Output every step `[B, T, units]` instead of the last `[B, units]`. Default false. */
  returnSequences?: R;
  /**
   * Run the sequence forwards and backwards (separate weights, `{ forward, backward }` params) and
   * concatenate the two outputs on the feature axis: `2 * units` features. With `returnSequences`,
   * step t holds the forward run's h after step t and the backward run's h after step t (which has
   * seen steps T-1 down to t). Default false.
   */
  bidirectional?: Bi;
  /** Input dropout rate in [0, 1), training mode only; one mask per sequence for all steps (Keras' `dropout`). Default 0. */
  dropout?: number;
  /** Dropout rate in [0, 1) on h before the recurrent product, training mode only; one mask per sequence (Keras' `recurrent_dropout`). Default 0. */
  recurrentDropout?: number;
  /**
   * Steps whose features all equal this value are padding: h (and c) pass through them unchanged,
   * and with `returnSequences` such a step outputs the state it kept (Keras' `Masking(mask_value)`
   * in front of the layer). A mask can also be passed at call time (`RecurrentContext.mask`).
   */
  maskValue?: number;
}

/** GRU's options: the recurrent options and `resetAfter`. */
export interface GruOptions<
  R extends boolean = boolean,
  Bi extends boolean = boolean,
  A extends boolean = boolean,
> extends RecurrentOptions<R, Bi> {
  /**
   * Where the reset gate applies. true (the default, as in PyTorch, Keras >= 2.4 and cuDNN):
   * ĥ = tanh(x W_h + b_h + r ⊙ (h U_h + b'_h)), with input and recurrent biases (bias `[2, 3 * units]`).
   * false (Keras 1, the original paper): ĥ = tanh(x W_h + (r ⊙ h) U_h + b_h), bias `[3 * units]`.
   */
  resetAfter?: A;
}

/**
 * What a recurrent layer's `apply` also takes when called directly (`layer.apply(params, x, ctx)`):
 * the state to start from and a padding mask.
 */
export interface RecurrentContext<St = unknown> extends ApplyContext<St> {
  /**
   * The state before step 0, each `[B, units]`: `h` for simpleRnn and gru, `[h, c]` for lstm;
   * bidirectional: the forward run's, then the backward run's (`[hF, cF, hB, cB]`). Default zeros.
   */
  initialState?: AnyTensor | readonly AnyTensor[];
  /** `[B, T]`, true (or non-zero) at real steps, false at padding: padded steps keep the state. */
  mask?: AnyTensor;
}

/** A recurrent layer: a `Layer` whose `apply` also takes `initialState` and `mask` (`RecurrentContext`). */
export interface RecurrentLayer<K extends string, C> extends Layer<K, C> {
  /** Forward pass; `ctx` as `Layer.apply`'s, plus `initialState` and `mask`. */
  apply(params: unknown, x: AnyTensor, ctx?: RecurrentContext): [AnyTensor, unknown];
}

/** What one kind of cell needs: its gates, its step, its bias, and optionally a fused sequence. */
interface CellSpec {
  kind: "simpleRnn" | "lstm" | "gru";
  gates: number;
  /** Carries a cell state c besides h (lstm). */
  cellState: boolean;
  /** Per-sequence constants the step reads (slices of the weights), computed once. */
  prepare(p: TensorRecord, units: number): TensorRecord;
  /** One step: `xw` = x_t W [B, G*U] (no bias), h_{t-1}, h_{t-1} after recurrent dropout, c_{t-1}; returns [h_t, c_t]. */
  step(p: TensorRecord, xw: AnyTensor, h: AnyTensor, hRec: AnyTensor, c: AnyTensor): [AnyTensor, AnyTensor];
  bias(units: number): AnyTensor;
  /** The whole sequence from `h0` (zeros when not given): x [B, T, F] to [B, units] or [B, T, units]. */
  fused?: (p: TensorRecord, x: AnyTensor, units: number, returnSequences: boolean, o: FusedOptions) => AnyTensor;
}

interface Settings {
  units: number;
  returnSequences: boolean;
  bidirectional: boolean;
  dropout: number;
  recurrentDropout: number;
  maskValue: number | null;
}

function rate(name: string, option: string, r: unknown): number {
  if (r === undefined) return 0;
  if (typeof r !== "number" || !(r >= 0 && r < 1))
    throw new ValueError(
      { op: name, expected: `${option} in [0, 1)`, got: String(r) },
      `${name}: ${option} must be in [0, 1), got ${String(r)}`,
    );
  return r;
}

/** The options record, or a ValueError naming the layer. */
function optionsOf<O extends object>(kind: string, opts: O | undefined): O | Record<string, never> {
  if (opts === undefined) return {};
  if (opts === null || typeof opts !== "object" || Array.isArray(opts)) {
    const got = describeValue(opts);
    throw new ValueError({ op: kind, expected: "an options object", got }, `${kind}: options must be an object, got ${got}`);
  }
  return opts;
}

function recurrent<K extends "simpleRnn" | "lstm" | "gru", C extends RecurrentConfig>(
  spec: CellSpec & { kind: K },
  units: number,
  options: RecurrentOptions,
  extra: Omit<C, keyof RecurrentConfig>,
): RecurrentLayer<K, C> {
  const kind = spec.kind;
  positiveInt(kind, "units", units);
  const opts: RecurrentOptions = optionsOf(kind, options);
  if (opts.maskValue !== undefined && (typeof opts.maskValue !== "number" || Number.isNaN(opts.maskValue)))
    throw new ValueError(
      { op: kind, expected: "maskValue a number", got: String(opts.maskValue) },
      `${kind}: maskValue must be a number (not NaN), got ${String(opts.maskValue)}`,
    );
  const s: Settings = {
    units,
    returnSequences: opts.returnSequences ?? false,
    bidirectional: opts.bidirectional ?? false,
    dropout: rate(kind, "dropout", opts.dropout),
    recurrentDropout: rate(kind, "recurrentDropout", opts.recurrentDropout),
    maskValue: opts.maskValue ?? null,
  };
  const flags = [s.returnSequences ? "sequences" : "", s.bidirectional ? "bidirectional" : ""].filter((f) => f !== "");
  const name = `${kind}(${[String(units), ...flags].join(", ")})`;
  const width = s.bidirectional ? 2 * units : units;
  const config = { ...s, ...extra } as C;
  const layer = defineLayer<K, C, TensorRecord | BidirectionalParams<TensorRecord>>({
    kind,
    name,
    config,
    stochastic: s.dropout > 0 || s.recurrentDropout > 0,
    outputShape(shape) {
      expectRank(name, "[batch, time, features]", shape, shape.length === 3);
      if (shape[1] < 1) throw refused(name, "at least one time step", `${shape[1]}`, ShapeError);
      return s.returnSequences ? [shape[0], shape[1], width] : [shape[0], width];
    },
    init(key, shape) {
      const one = (k: Key): TensorRecord => {
        const [k1, k2] = split(k, 2);
        return {
          kernel: glorotUniform(k1, [shape[2], spec.gates * units]),
          recurrentKernel: orthogonalBlocks(k2, units, spec.gates),
          bias: spec.bias(units),
        };
      };
      if (!s.bidirectional) return one(key);
      const [kf, kb] = split(key, 2);
      return { forward: one(kf), backward: one(kb) };
    },
    apply(p, x, ctx) {
      return runLayer(spec, s, name, p, x, ctx);
    },
  });
  // NOTE: RecurrentContext adds only optional fields, so the Layer defineLayer made is already a RecurrentLayer
  return layer;
}

function runLayer(
  spec: CellSpec,
  s: Settings,
  name: string,
  p: TensorRecord | BidirectionalParams<TensorRecord>,
  x: AnyTensor,
  ctx: RecurrentContext,
): AnyTensor {
  const [b, t] = x.shape;
  const training = ctx.training === true && (s.dropout > 0 || s.recurrentDropout > 0);
  if (training && ctx.key === undefined)
    throw new ValueError(
      { op: name, expected: "a PRNG key in training mode", got: "no key" },
      `${name}: training mode with dropout needs a PRNG key ({ training: true, key })`,
    );
  const perDirection = spec.cellState ? 2 : 1;
  const initial = initialStates(name, ctx.initialState, perDirection * (s.bidirectional ? 2 : 1), b, s.units);
  // NOTE: the mask stays float32 (1 at real steps) until a direction has put it in its time order:
  // a bool tensor through WASM's Reverse comes out wrong
  let mask = ctx.mask === undefined ? undefined : callMask(name, ctx.mask, b, t);
  if (s.maskValue !== null) {
    // a step is real when any feature differs from maskValue
    const real = max(cast(notEqual(x, s.maskValue), "float32"), 2);
    mask = mask === undefined ? real : mul(mask, real);
  }
  const run = (params: TensorRecord, direction: number, reversed: boolean) => {
    const key = training ? foldIn(ctx.key!, direction) : undefined;
    const inputMask = key !== undefined && s.dropout > 0 ? dropoutMask(foldIn(key, 0), [b, 1, x.shape[2]], s.dropout) : undefined;
    const recurrentMask =
      key !== undefined && s.recurrentDropout > 0 ? dropoutMask(foldIn(key, 1), [b, s.units], s.recurrentDropout) : undefined;
    const h0 = initial?.slice(direction * perDirection, (direction + 1) * perDirection);
    return runDirection(spec, params, inputMask === undefined ? x : mul(x, inputMask), s, { reversed, h0, mask, recurrentMask });
  };
  if (!s.bidirectional) return run(p as TensorRecord, 0, false);
  const bi = p as BidirectionalParams<TensorRecord>;
  return concat([run(bi.forward, 0, false), run(bi.backward, 1, true)], s.returnSequences ? 2 : 1);
}

/** Inverted dropout's mask: 0 with probability `r`, else 1 / (1 - r). */
function dropoutMask(key: Key, shape: number[], r: number): AnyTensor {
  return mul(bernoulli(key, shape, { p: 1 - r, dtype: "float32" }), 1 / (1 - r));
}

function initialStates(
  name: string,
  given: RecurrentContext["initialState"],
  count: number,
  b: number,
  units: number,
): AnyTensor[] | undefined {
  if (given === undefined) return undefined;
  const list: readonly unknown[] = Array.isArray(given) ? given : [given];
  const what =
    count === 1
      ? "one tensor h"
      : `${count} tensors (${count === 2 ? "[h, c] or, bidirectional, [hForward, hBackward]" : "[hForward, cForward, hBackward, cBackward]"})`;
  if (list.length !== count)
    throw new ValueError({ op: name, expected: what, got: `${list.length}` }, `${name}: initialState must be ${what}, got ${list.length}`);
  return list.map((h, i) => {
    const shape = (h as AnyTensor | null)?.shape;
    if (!Array.isArray(shape) || shape.length !== 2 || shape[0] !== b || shape[1] !== units)
      throw new ShapeError(
        { op: name, expected: formatShape([b, units]), got: Array.isArray(shape) ? formatShape(shape) : String(h) },
        `${name}: initialState ${i} must be ${formatShape([b, units])}, got ${Array.isArray(shape) ? formatShape(shape) : String(h)}`,
      );
    return h as AnyTensor;
  });
}

function callMask(name: string, m: AnyTensor, b: number, t: number): AnyTensor {
  const shape = m.shape;
  if (shape.length !== 2 || shape[0] !== b || shape[1] !== t)
    throw new ShapeError(
      { op: name, expected: formatShape([b, t]), got: formatShape(shape) },
      `${name}: mask must be [batch, time] = ${formatShape([b, t])}, got ${formatShape(shape)}`,
    );
  return cast(cast(m, "bool"), "float32");
}

interface DirectionOptions {
  reversed: boolean;
  h0?: AnyTensor[];
  /** [B, T] float32, 1 at real steps, in the input's time order (`unrolled` gets it as bool in its own order). */
  mask?: AnyTensor;
  /** [B, U]. */
  recurrentMask?: AnyTensor;
}

let forceStepByStep = false;

/**
 * Runs `f` with every recurrent layer on its step-by-step loop (differentiated op by op) instead of
 * the fused cells: the reference the fused cells are tested against. Internal (tests and benches).
 * @internal
 */
export function stepByStep<T>(f: () => T): T {
  const before = forceStepByStep;
  forceStepByStep = true;
  try {
    return f();
  } finally {
    forceStepByStep = before;
  }
}

/** One run over the sequence (backwards when `reversed`); outputs stay in the input's time order. */
function runDirection(spec: CellSpec, p: TensorRecord, x: AnyTensor, s: Settings, o: DirectionOptions): AnyTensor {
  const xs = o.reversed ? reverse(x, 1) : x;
  const mask = o.mask === undefined ? undefined : o.reversed ? reverse(o.mask, 1) : o.mask;
  const out =
    spec.fused !== undefined && !forceStepByStep
      ? spec.fused(p, xs, s.units, s.returnSequences, { h0: o.h0, mask, recurrentMask: o.recurrentMask })
      : unrolled(spec, p, xs, s.units, s.returnSequences, { ...o, mask: mask === undefined ? undefined : cast(mask, "bool") });
  return o.reversed && s.returnSequences ? reverse(out, 1) : out;
}

/** The cell step by step over x [B, T, F] (autodiff differentiates the unrolled graph). */
function unrolled(spec: CellSpec, p: TensorRecord, x: AnyTensor, units: number, returnSequences: boolean, o: DirectionOptions): AnyTensor {
  const [b, t, f] = x.shape;
  const g = spec.gates * units;
  // NOTE: a step's slice costs a pad of the whole sequence in the backward pass, so slice
  // the narrower of x ([B, T, F]) and its projection ([B, T, G*U]).
  const projectFirst = g <= f;
  const seq = projectFirst ? reshape(matmul(reshape(x, [b * t, f]), p.kernel), [b, t, g]) : x;
  const width = projectFirst ? g : f;
  const prepared = { ...p, ...spec.prepare(p, units) };
  let h: AnyTensor = o.h0?.[0] ?? broadcastTo(scalar(0), [b, units]);
  let c: AnyTensor = o.h0?.[1] ?? h;
  const outs: AnyTensor[] = [];
  for (let i = 0; i < t; i++) {
    const step = reshape(slice(seq, [0, i, 0], [b, 1, width]), [b, width]);
    const xw = projectFirst ? step : matmul(step, p.kernel);
    const hRec = o.recurrentMask === undefined ? h : mul(h, o.recurrentMask);
    let [hn, cn] = spec.step(prepared, xw, h, hRec, c);
    if (o.mask !== undefined) {
      const real = reshape(slice(o.mask, [0, i], [b, 1]), [b, 1]);
      hn = where(real, hn, h);
      if (spec.cellState) cn = where(real, cn, c);
    }
    [h, c] = [hn, cn];
    if (returnSequences) outs.push(h);
  }
  return returnSequences ? stack(outs, 1) : h;
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

const simpleRnnCell: CellSpec & { kind: "simpleRnn" } = {
  kind: "simpleRnn",
  gates: 1,
  cellState: false,
  prepare: () => ({}),
  step(p, xw, _h, hRec) {
    const hn = tanh(add(add(xw, matmul(hRec, p.recurrentKernel)), p.bias));
    return [hn, hn];
  },
  bias: (u) => zeros([u]),
  fused: (p, x, u, r, o) => fusedRun(simpleRnnFused, p, x, u, r, o),
};

/**
 * Elman RNN: h_t = tanh(x_t W + h_{t-1} U + b).
 * ```ts
 * nn.input(["batch", 28, 28]).add(nn.simpleRnn(64))                            // ["batch", 64]
 * nn.input(["batch", 28, 28]).add(nn.simpleRnn(64, { bidirectional: true }))   // ["batch", 128]
 * ```
 */
export function simpleRnn<const U extends number, const R extends boolean = false, const Bi extends boolean = false>(
  units: U & PositiveInt<U, "simpleRnn", "units">,
  opts: RecurrentOptions<R, Bi> = {},
) {
  return recurrent<"simpleRnn", RecurrentConfig<U, R, Bi>>(simpleRnnCell, units, opts, {});
}

const lstmCell: CellSpec & { kind: "lstm" } = {
  kind: "lstm",
  gates: 4,
  cellState: true,
  prepare: () => ({}),
  step(p, xw, _h, hRec, c) {
    const z = add(add(xw, matmul(hRec, p.recurrentKernel)), p.bias);
    const u = z.shape[1] / 4;
    const i = sigmoid(gate(z, 0, u));
    const f = sigmoid(gate(z, 1, u));
    const g = tanh(gate(z, 2, u));
    const o = sigmoid(gate(z, 3, u));
    const cn = add(mul(f, c), mul(i, g));
    return [mul(o, tanh(cn)), cn];
  },
  bias: (u) => perGate(u, [0, 1, 0, 0]),
  fused: (p, x, u, r, o) => fusedRun(lstmFused, p, x, u, r, o),
};

/**
 * LSTM with Keras' gate order (input, forget, cell, output) and forget-gate bias 1.
 * c_t = f ⊙ c_{t-1} + i ⊙ g, h_t = o ⊙ tanh(c_t).
 * ```ts
 * nn.input(["batch", 28, 28]).add(nn.lstm(64))                                   // ["batch", 64]
 * nn.input(["batch", "time", 8]).add(nn.lstm(16, { returnSequences: true, maskValue: 0 }))  // ["batch", "time", 16]
 * ```
 */
export function lstm<const U extends number, const R extends boolean = false, const Bi extends boolean = false>(
  units: U & PositiveInt<U, "lstm", "units">,
  opts: RecurrentOptions<R, Bi> = {},
) {
  return recurrent<"lstm", RecurrentConfig<U, R, Bi>>(lstmCell, units, opts, {});
}

/** GRU with the reset gate on h before the recurrent product (Keras 1, `resetAfter: false`). */
const gruResetBeforeCell: CellSpec & { kind: "gru" } = {
  kind: "gru",
  gates: 3,
  cellState: false,
  prepare(p, u) {
    return {
      uzr: slice(p.recurrentKernel, [0, 0], [u, 2 * u]),
      uh: slice(p.recurrentKernel, [0, 2 * u], [u, u]),
      bzr: slice(p.bias, [0], [2 * u]),
      bh: slice(p.bias, [2 * u], [u]),
    };
  },
  step(p, xw, h, hRec) {
    const [b, u] = h.shape;
    const zr = add(add(slice(xw, [0, 0], [b, 2 * u]), matmul(hRec, p.uzr)), p.bzr);
    const z = sigmoid(gate(zr, 0, u));
    const r = sigmoid(gate(zr, 1, u));
    const hh = tanh(add(add(slice(xw, [0, 2 * u], [b, u]), matmul(mul(r, hRec), p.uh)), p.bh));
    const hn = add(mul(z, h), mul(sub(1, z), hh));
    return [hn, hn];
  },
  bias: (u) => zeros([3 * u]),
  fused: (p, x, u, r, o) => fusedRun(gruBeforeFused, p, x, u, r, o),
};

/** GRU with the reset gate on the recurrent product (PyTorch, Keras >= 2.4: `resetAfter: true`). */
const gruResetAfterCell: CellSpec & { kind: "gru" } = {
  kind: "gru",
  gates: 3,
  cellState: false,
  prepare(p, u) {
    return {
      inputBias: reshape(slice(p.bias, [0, 0], [1, 3 * u]), [3 * u]),
      recurrentBias: reshape(slice(p.bias, [1, 0], [1, 3 * u]), [3 * u]),
    };
  },
  step(p, xw, h, hRec) {
    const [b, u] = h.shape;
    const xz = add(xw, p.inputBias);
    const inner = add(matmul(hRec, p.recurrentKernel), p.recurrentBias);
    const zr = sigmoid(add(slice(xz, [0, 0], [b, 2 * u]), slice(inner, [0, 0], [b, 2 * u])));
    const z = gate(zr, 0, u);
    const r = gate(zr, 1, u);
    const hh = tanh(add(slice(xz, [0, 2 * u], [b, u]), mul(r, slice(inner, [0, 2 * u], [b, u]))));
    const hn = add(mul(z, h), mul(sub(1, z), hh));
    return [hn, hn];
  },
  bias: (u) => zeros([2, 3 * u]),
  fused: (p, x, u, r, o) => fusedRun(gruFused, p, x, u, r, o),
};

/**
 * GRU (gate order update, reset, candidate, as Keras): z = σ(.), r = σ(.), h_t = z ⊙ h_{t-1} + (1 − z) ⊙ ĥ,
 * with ĥ = tanh(x W_h + b_h + r ⊙ (h U_h + b'_h)) (`resetAfter: true`, the default, as PyTorch and
 * Keras >= 2.4) or ĥ = tanh(x W_h + (r ⊙ h) U_h + b_h) (`resetAfter: false`, Keras 1).
 * ```ts
 * nn.input(["batch", "time", 8]).add(nn.gru(16, { returnSequences: true }))   // ["batch", "time", 16]
 * nn.input(["batch", 10, 8]).add(nn.gru(16, { resetAfter: false }))          // bias [48] instead of [2, 48]
 * ```
 */
export function gru<
  const U extends number,
  const R extends boolean = false,
  const Bi extends boolean = false,
  const A extends boolean = true,
>(units: U & PositiveInt<U, "gru", "units">, opts: GruOptions<R, Bi, A> = {}) {
  const resetAfter = optionsOf("gru", opts).resetAfter ?? true;
  if (typeof resetAfter !== "boolean")
    throw new ValueError(
      { op: "gru", expected: "resetAfter true or false", got: String(resetAfter) },
      `gru: resetAfter must be true or false, got ${String(resetAfter)}`,
    );
  return recurrent<"gru", GruConfig<U, R, Bi, A>>(resetAfter ? gruResetAfterCell : gruResetBeforeCell, units, opts, {
    resetAfter: resetAfter as A,
  });
}

// ---------------------------------------------------------------- the fused cells
//
// NOTE: unrolled and differentiated op by op, the LSTM cost ~1,550 graph equations per 28-step
// sequence (the GRU ~1,500, the simple RNN ~500), each a tfjs dispatch that costs more than the
// [64, 256] kernel it runs, and WASM's Tanh kernel is ~5-10x slower than its Sigmoid. So the plain
// case is one function with a hand-written reverse pass (BPTT), shared by the three cells:
// - step k multiplies [x_k, h_{k-1}, 1] by the cell's stacked [kernel; recurrent kernel; bias]:
//   the input projection, the recurrent product and the bias in one matmul;
// - tanh(z) is 2σ(2z) − 1, the factor 2 folded into the stacked weights' columns (exact: a power
//   of two), so every nonlinearity is a Sigmoid;
// - the forward also keeps, per step, a packed factor that turns h's cotangent (and the LSTM's c's)
//   into the pre-activation cotangent, so a reverse step is a handful of small ops; the weight
//   gradient of all steps is one matmul of the stacked [x_k, h_{k-1}, 1] with the stacked
//   cotangents afterwards.
// - the sequence is time-major [T, B, F] and a step slices axis 0, so the batch stays a whole
//   axis everywhere (io.exportOnnx traces at several batch sizes and needs slice windows that do
//   not move with the batch); only the narrow input [T, B, F] is sliced per step (and the output
//   cotangent, with returnSequences), never a [T, B, G*U] tensor: WASM's Slice copies its whole input.
// - a mask ([T, B, 1], 1 at real steps) keeps h (and c) at padded steps, as the step-by-step loop's
//   `where` does; the reverse pass needs no extra step: the forward folds the mask into what the
//   reverse step reads (the factor times m, the carried derivatives blended with 1 − m), so a padded
//   step sends its cotangent straight through to the previous state and none to the weights.
// - recurrent dropout (one [B, U] mask per sequence, an operand like the mask) multiplies h_{k-1}
//   in the step's [x_k, h_{k-1}, 1] (and the reset-before GRU's r ⊙ h); the cells' own uses of
//   h_{k-1} (z ⊙ h_{k-1}, a padded step's kept h) see it undropped, as in the step-by-step loop.
//   The reverse pass multiplies what the product sends back to h_{k-1} by the mask.

/** One value per gate block of `units`. */
function perGate(units: number, values: readonly number[]): AnyTensor {
  const s = new Float32Array(values.length * units);
  values.forEach((v, k) => s.fill(v, k * units, (k + 1) * units));
  return tensor(s, [values.length * units]);
}

/** Step k's mask: `real` [B, 1] bool, and as float32 `on` = 1 at real steps and `off` = 1 − on (with `keep`). */
interface StepMask {
  real: AnyTensor;
  on: AnyTensor;
  off?: AnyTensor;
}

/** Recurrent dropout at a step: `mask` [B, U] and h_{k-1} times it (`hRec`, what the products see). */
interface StepDropout {
  mask: AnyTensor;
  hRec: AnyTensor;
}

/** One cell's step for the fused sequence, over `pre` = [x_k, h_{k-1}, 1] times its stacked weights. */
interface FusedCell<Res> {
  /** The stacked weights [F + U + 1, W] from the layer's params. */
  weights(p: TensorRecord, units: number): AnyTensor;
  /**
   * Step k: h_k, the cell state carried besides h (undefined before step 0 unless given), and what
   * the reverse step reads (with `keep`); with a mask, padded rows keep h_{k-1} (and c_{k-1}) and the
   * residuals already hold the mask.
   */
  forward(
    pre: AnyTensor,
    h: AnyTensor,
    c: AnyTensor | undefined,
    keep: boolean,
    m?: StepMask,
    aux?: AnyTensor,
    drop?: StepDropout,
  ): { h: AnyTensor; c?: AnyTensor; res: Res; extra?: AnyTensor };
  /**
   * The reverse of step k: the pre-activation cotangent [B, W] (up to `slopes`) from h_k's (and c_k's)
   * cotangent; with `carry`, also the cotangents of h_{k-1} other than through the recurrent
   * product (`dh`) and of c_{k-1}; `dPreT`, the cotangent's transpose [W, B], when the step has it
   * at hand (the weight gradient's product takes it; transposed by the loop otherwise).
   */
  backward(
    res: Res,
    dh: AnyTensor,
    dc: AnyTensor | undefined,
    carry: boolean,
    auxT?: AnyTensor,
  ): { dPre: AnyTensor; dPreT?: AnyTensor; dh?: AnyTensor; dc?: AnyTensor };
  /**
   * A second product a step (the reset-before GRU's (r ⊙ h) U_h): the stacked weights carry `units`
   * more rows [U, W] after [kernel; recurrent kernel; bias]; the step gets `forward(rows)` and its
   * reverse `backward(rows)`, and returns the left operand as `extra` (the weight gradient's inputs
   * are [x_k, h_{k-1}, 1, extra_k]).
   */
  aux?: { forward(rows: AnyTensor): AnyTensor; backward(rows: AnyTensor): AnyTensor };
  /** A per-column constant of the pre-activation cotangent [W], applied to the products it feeds. */
  slopes?: (units: number) => AnyTensor;
  /** The carried cell state from a given initial one (the LSTM carries 2c); identity when absent. */
  initialCell?: (c0: AnyTensor) => AnyTensor;
}

/** What a fused run takes besides the params and x. */
interface FusedOptions {
  /** [h] or [h, c]; zeros when not given. */
  h0?: AnyTensor[];
  /** [B, T] float32, 1 at real steps. */
  mask?: AnyTensor;
  /** [B, U]: recurrent dropout's mask, multiplying h_{k-1} where it enters the products. */
  recurrentMask?: AnyTensor;
}

/** `cell` over [B, T, F]: [B, U] or [B, T, U]. */
function fusedRun<Res>(
  cell: FusedCell<Res>,
  p: TensorRecord,
  x: AnyTensor,
  units: number,
  returnSequences: boolean,
  o: FusedOptions,
): AnyTensor {
  const [b, t] = x.shape;
  const xs = transpose(x, [1, 0, 2]); // [T, B, F]
  const masked = o.mask !== undefined;
  const maskT = o.mask !== undefined ? [reshape(transpose(o.mask, [1, 0]), [t, b, 1])] : [];
  const dropped = o.recurrentMask !== undefined ? [o.recurrentMask] : [];
  const out = fusedSequence(
    cell,
    t,
    units,
    returnSequences,
    masked,
    dropped.length > 0,
  )(xs, cell.weights(p, units), ...maskT, ...dropped, ...(o.h0 ?? []));
  return returnSequences ? transpose(out, [1, 0, 2]) : out;
}

interface FusedStep<Res> {
  /** [x_k, h_{k-1}, 1] [B, F + U + 1]. */
  inputs: AnyTensor;
  /** The aux product's left operand [B, U]. */
  extra?: AnyTensor;
  h: AnyTensor;
  res: Res;
}

// Concatenation along axis 1 of [rows, n_i] float32 tensors as one native copy (tfjs-wasm's Concat on
// a later axis copies row by row and input by input in JS: ~12 µs for a step's [x_k, h, 1], ~0.5 ms
// for the 28 cotangent transposes of an M4 step).
const concatColumnsOp: FusedOp = {
  name: "concatColumns",
  kernel: "ShapeflowConcatColumns",
  composite: (parts) => [concat(parts, 1)],
  supports: (avals) => avals.every((a) => a.dtype === "float32" && a.shape.length === 2 && a.shape[0] === avals[0].shape[0]),
};
const concatColumns = (parts: AnyTensor[]): AnyTensor => fused(concatColumnsOp, parts)[0];

/** Step k of a time-major [T, B, W] tensor as [B, W]. */
function timeStep(seq: AnyTensor, k: number): AnyTensor {
  const [t, b, w] = seq.shape;
  return reshape(t === 1 ? seq : slice(seq, [k, 0, 0], [1, b, w]), [b, w]);
}

/** The recurrence over time-major `xs` [T, B, F] with the stacked weights [F + U + 1, W], from `init` ([h0] or [h0, c0], or zeros), masked by `maskT` [T, B, 1] when given. */
function fusedForward<Res>(
  cell: FusedCell<Res>,
  u: number,
  xs: AnyTensor,
  stacked: AnyTensor,
  keep: boolean,
  init: readonly AnyTensor[],
  maskT: AnyTensor | undefined,
  recurrentMask: AnyTensor | undefined,
): FusedStep<Res>[] {
  const [t, b] = xs.shape;
  const steps: FusedStep<Res>[] = [];
  const ones = broadcastTo(scalar(1), [b, 1]);
  let h: AnyTensor = init[0] ?? broadcastTo(scalar(0), [b, u]);
  let c: AnyTensor | undefined = init[1] === undefined ? undefined : (cell.initialCell?.(init[1]) ?? init[1]);
  const [rows, w] = stacked.shape;
  const main = cell.aux === undefined ? stacked : slice(stacked, [0, 0], [rows - u, w]);
  const aux = cell.aux?.forward(slice(stacked, [rows - u, 0], [u, w]));
  for (let k = 0; k < t; k++) {
    const drop = recurrentMask === undefined ? undefined : { mask: recurrentMask, hRec: mul(h, recurrentMask) };
    const inputs = concatColumns([timeStep(xs, k), drop?.hRec ?? h, ones]);
    let m: StepMask | undefined;
    if (maskT !== undefined) {
      const on = timeStep(maskT, k);
      m = { real: cast(on, "bool"), on, off: keep ? sub(1, on) : undefined };
    }
    const next = cell.forward(matmul(inputs, main), h, c, keep, m, aux, drop);
    steps.push({ inputs, h: next.h, res: next.res, extra: next.extra });
    [h, c] = [next.h, next.c];
  }
  return steps;
}

/**
 * The recurrence as a function of (xs [T, B, F], stacked weights [F + U + 1, W], the mask [T, B, 1]
 * when `masked`, ...[h0, c0] when given) with its reverse pass: [T, B, U] or [B, U].
 */
function fusedSequence<Res>(cell: FusedCell<Res>, t: number, u: number, returnSequences: boolean, masked: boolean, dropped: boolean) {
  const operands = (rest: AnyTensor[]) => {
    const nConst = (masked ? 1 : 0) + (dropped ? 1 : 0);
    return {
      maskT: masked ? rest[0] : undefined,
      recurrentMask: dropped ? rest[nConst - 1] : undefined,
      init: rest.slice(nConst),
    };
  };
  // NOTE: float32 throughout (customVjp's output type); the shape is [T, B, U] or [B, U]
  const output = (steps: FusedStep<Res>[]) =>
    (returnSequences
      ? stack(
          steps.map((s) => s.h),
          0,
        )
      : steps[t - 1].h) as Tensor<number[]>;
  return customVjp(
    (xs: AnyTensor, stacked: AnyTensor, ...rest: AnyTensor[]) => {
      const { maskT, recurrentMask, init } = operands(rest);
      return output(fusedForward(cell, u, xs, stacked, false, init, maskT, recurrentMask));
    },
    (xs: AnyTensor, stacked: AnyTensor, ...rest: AnyTensor[]) => {
      const { maskT, recurrentMask, init } = operands(rest);
      const steps = fusedForward(cell, u, xs, stacked, true, init, maskT, recurrentMask);
      const f = xs.shape[2];
      const w = stacked.shape[1];
      const slopes = cell.slopes?.(u);
      const scaledT = (m: AnyTensor) => (slopes === undefined ? transpose(m, [1, 0]) : mul(transpose(m, [1, 0]), reshape(slopes, [w, 1])));
      const base = concat(
        steps.map((s) => s.inputs),
        0,
      );
      const rows = stacked.shape[0];
      const residuals = {
        steps,
        slopes,
        recurrentMask,
        nInit: init.length,
        shape: xs.shape,
        inputs:
          cell.aux === undefined
            ? base
            : concatColumns([
                base,
                concat(
                  steps.map((s) => s.extra!),
                  0,
                ),
              ]),
        auxT: cell.aux?.backward(slice(stacked, [rows - u, 0], [u, w])),
        kernelT: scaledT(slice(stacked, [0, 0], [f, w])),
        recurrentT: scaledT(slice(stacked, [f, 0], [u, w])),
      };
      return [output(steps), residuals];
    },
    (res, ct) => {
      const dPre: AnyTensor[] = new Array<AnyTensor>(t);
      const dPreT: AnyTensor[] = new Array<AnyTensor>(t);
      let dhRec: AnyTensor | undefined;
      let dcNext: AnyTensor | undefined;
      for (let k = t - 1; k >= 0; k--) {
        const dOut = returnSequences ? timeStep(ct, k) : k === t - 1 ? ct : undefined;
        const dh = dOut === undefined ? dhRec! : dhRec === undefined ? dOut : add(dOut, dhRec);
        const back = cell.backward(res.steps[k].res, dh, dcNext, k > 0 || res.nInit > 0, res.auxT);
        dPre[k] = back.dPre;
        dPreT[k] = back.dPreT ?? transpose(back.dPre, [1, 0]);
        if (k > 0 || res.nInit > 0) {
          // the product saw h_{k-1} times the recurrent dropout mask
          const product = matmul(back.dPre, res.recurrentT);
          const viaProduct = res.recurrentMask === undefined ? product : mul(product, res.recurrentMask);
          dhRec = back.dh === undefined ? viaProduct : add(viaProduct, back.dh);
          dcNext = back.dc;
        }
      }
      // NOTE: the weight gradient as (dPre^T inputs)^T: WASM's matmul repacks its right operand on
      // every call (~7 ns a float), so the [T*B, W] cotangents must be the left one
      const dWeightsT = matmul(concatColumns(dPreT), res.inputs);
      const dxs = reshape(matmul(concat(dPre, 0), res.kernelT), [...res.shape]);
      const dWeights = transpose(dWeightsT, [1, 0]);
      // the given initial state's cotangents: what step 0 sent back to h_{-1} (and c_{-1})
      const dInit = [dhRec, dcNext].slice(0, res.nInit).map((d) => d!);
      // (the masks take no cotangent)
      return [
        dxs,
        res.slopes === undefined ? dWeights : mul(dWeights, res.slopes),
        ...(masked ? [null] : []),
        ...(dropped ? [null] : []),
        ...dInit,
      ];
    },
  );
}

/** tanh(z) from the pre-activation 2z: 2σ(2z) − 1, and σ(2z) for the derivative. */
function tanhOfDoubled(z2: AnyTensor): [AnyTensor, AnyTensor] {
  const s = sigmoid(z2);
  return [sub(mul(s, 2), 1), s];
}

// The LSTM (Keras gate order i, f, g, o):
// - the g gate's columns are doubled, so one sigmoid over the packed [B, 4U] pre-activations gives
//   i, f, o and σ(2 z_g); the cell state is carried doubled (2c), so tanh(c) = 2σ(2c) − 1;
// - the packed factor holds [2g, 2c_{k-1}, i, tanh c_k] ⊙ a (1 − a): times `slopes` per gate block,
//   what turns [dc, dc, dc, dh] into the pre-activation cotangent.
interface LstmResidual {
  factor: AnyTensor;
  /** o ⊙ (1 − tanh² c_k) [B, U]: how h_k reaches c_k. */
  cellFromH: AnyTensor;
  forget: AnyTensor;
  /** With a mask: 1 − m [B, 1], how much of h_k's cotangent passes straight to h_{k-1}. */
  off?: AnyTensor;
}

/**
 * One unmasked LSTM step forward, from the packed pre-activations [B, 4U] and the carried 2c_{k-1}
 * (none at step 0: c_{-1} = 0): [h_k, 2c_k] and, with `keep`, [factor, cellFromH, forget] for the
 * reverse step. The composite of the `lstmStepForward` fused op (a SIMD kernel on WASM).
 */
function lstmStep(pre: AnyTensor, c2: AnyTensor | undefined, keep: boolean): AnyTensor[] {
  const [b, w] = pre.shape;
  const u = w / 4;
  const a = sigmoid(pre); // [i, f, σ(2 z_g), o]
  const i = slice(a, [0, 0], [b, u]);
  const forget = slice(a, [0, u], [b, u]);
  const g2 = sub(mul(slice(a, [0, 2 * u], [b, u]), 4), 2); // 2 tanh(z_g)
  const o = slice(a, [0, 3 * u], [b, u]);
  const ig2 = mul(i, g2);
  const c2n = c2 === undefined ? ig2 : add(mul(forget, c2), ig2);
  const tanhC = sub(mul(sigmoid(c2n), 2), 1);
  const hn = mul(o, tanhC);
  if (!keep) return [hn, c2n];
  // d σ / d pre-activation is a (1 − a); the per-gate constants are applied in the reverse pass (`slopes`)
  const factor = mul(concat([g2, c2 ?? broadcastTo(scalar(0), [b, u]), i, tanhC], 1), mul(a, sub(1, a)));
  const cellFromH = mul(o, sub(1, mul(tanhC, tanhC)));
  return [hn, c2n, factor, cellFromH, forget];
}

/**
 * The reverse of one unmasked LSTM step: the pre-activation cotangent [B, 4U] (up to `slopes`) and
 * its transpose [4U, B] from h_k's and c_k's cotangents (none at the last step), and with `forget`
 * (when the step has a predecessor) c_{k-1}'s. The composite of the `lstmStepBackward` fused op (a SIMD kernel on WASM).
 */
function lstmStepBack(
  factor: AnyTensor,
  cellFromH: AnyTensor,
  dh: AnyTensor,
  dcNext: AnyTensor | undefined,
  forget?: AnyTensor,
): AnyTensor[] {
  const fromH = mul(dh, cellFromH);
  const dc = dcNext === undefined ? fromH : add(dcNext, fromH);
  // [dc ⊙ g, dc ⊙ c_{k-1}, dc ⊙ i, dh ⊙ tanh c] ⊙ a (1 − a)
  const dPre = mul(concat([dc, dc, dc, dh], 1), factor);
  const dPreT = transpose(dPre, [1, 0]);
  return forget === undefined ? [dPre, dPreT] : [dPre, dPreT, mul(dc, forget)];
}

// The two steps as fused ops (a SIMD kernel each on WASM, src/core/native/recurrent.c; their composites
// elsewhere and for every derivative), one op per combination of the optional operands.
const lstmForwardOps = [false, true].map((hasC) =>
  [false, true].map((keep): FusedOp => ({
    name: "lstmStepForward",
    kernel: "ShapeflowLstmStepForward",
    attrs: { hasC: Number(hasC), keep: Number(keep) },
    composite: ([pre, c2]) => lstmStep(pre, hasC ? c2 : undefined, keep),
  })),
);
const lstmBackwardOps = [false, true].map((hasDc) =>
  [false, true].map((carry): FusedOp => ({
    name: "lstmStepBackward",
    kernel: "ShapeflowLstmStepBackward",
    attrs: { hasDc: Number(hasDc), carry: Number(carry) },
    composite: ([factor, cellFromH, dh, ...rest]) =>
      lstmStepBack(factor, cellFromH, dh, hasDc ? rest[0] : undefined, carry ? rest[hasDc ? 1 : 0] : undefined),
  })),
);

/**
 * The LSTM step's fused ops: `forward(hasC, keep)` takes [pre] or [pre, 2c] and gives [h, 2c'] and,
 * with `keep`, [factor, cellFromH, forget]; `backward(hasDc, carry)` takes [factor, cellFromH, dh,
 * dc_next (with `hasDc`), forget (with `carry`)] and gives [dPre, dPreᵀ] and, with `carry`, dc.
 * Internal (tests).
 * @internal
 */
export const lstmStepOps = {
  forward: (hasC: boolean, keep: boolean): FusedOp => lstmForwardOps[Number(hasC)][Number(keep)],
  backward: (hasDc: boolean, carry: boolean): FusedOp => lstmBackwardOps[Number(hasDc)][Number(carry)],
};

const lstmFused: FusedCell<LstmResidual> = {
  weights: (p, u) => mul(concat([p.kernel, p.recurrentKernel, reshape(p.bias, [1, 4 * u])], 0), perGate(u, [1, 1, 2, 1])),
  forward(pre, h, c2, keep, m) {
    // (c_{-1} = 0 when not given: then h_{-1} is zeros too)
    const [hn, c2n, factor, cellFromH, forget] = fused(lstmStepOps.forward(c2 !== undefined, keep), c2 === undefined ? [pre] : [pre, c2]);
    if (m === undefined)
      // (without keep no reverse pass reads the residuals)
      return { h: hn, c: c2n, res: keep ? { factor, cellFromH, forget } : { factor: hn, cellFromH: hn, forget: hn } };
    const hOut = where(m.real, hn, h);
    const cOut = where(m.real, c2n, c2 ?? h);
    if (!keep) return { h: hOut, c: cOut, res: { factor: hn, cellFromH: hn, forget: hn } };
    // a padded row: no pre-activation cotangent, c's cotangent passes through (forget 1, nothing from h), h's too (`off`)
    const res = { factor: mul(factor, m.on), cellFromH: mul(cellFromH, m.on), forget: add(mul(forget, m.on), m.off!), off: m.off };
    return { h: hOut, c: cOut, res };
  },
  backward(res, dh, dcNext, carry) {
    // (with a mask the residuals hold it: the same step, and h's cotangent passes at padded rows)
    const ins = [res.factor, res.cellFromH, dh, ...(dcNext === undefined ? [] : [dcNext]), ...(carry ? [res.forget] : [])];
    const [dPre, dPreT, dc] = fused(lstmStepOps.backward(dcNext !== undefined, carry), ins);
    if (!carry) return { dPre, dPreT };
    return { dPre, dPreT, dc, dh: res.off === undefined ? undefined : mul(dh, res.off) };
  },
  // The factors hold g and c_{k-1} doubled (so 1/2) and the g block's pre-activation is doubled
  // (so twice the slope): a per-column constant of the pre-activation cotangent.
  slopes: (u) => perGate(u, [0.5, 0.5, 2, 1]),
  initialCell: (c0) => mul(c0, 2),
};

// The simple RNN: h_k = tanh(z) = 2σ(2z) − 1, the columns doubled; dh/d(2z) = 2σ(1 − σ).
// With a mask, the factor holds m and `off` = 1 − m passes h_k's cotangent to h_{k-1}.
const simpleRnnFused: FusedCell<{ factor: AnyTensor; off?: AnyTensor }> = {
  weights: (p, u) => mul(concat([p.kernel, p.recurrentKernel, reshape(p.bias, [1, u])], 0), 2),
  forward(pre, h, _c, keep, m) {
    const [hn, factor] = fused(rnnStepOps.forward(keep), [pre]);
    const hOut = m === undefined ? hn : where(m.real, hn, h);
    if (!keep) return { h: hOut, res: { factor: hn } };
    return { h: hOut, res: m === undefined ? { factor } : { factor: mul(factor, m.on), off: m.off } };
  },
  backward(res, dh, _dc, carry) {
    const [dPre, dPreT] = fused(rnnStepOps.backward, [res.factor, dh]);
    return { dPre, dPreT, dh: carry && res.off !== undefined ? mul(dh, res.off) : undefined };
  },
};

const rnnForwardOps = [false, true].map((keep): FusedOp => ({
  name: "rnnStepForward",
  kernel: "ShapeflowRnnStepForward",
  attrs: { keep: Number(keep) },
  composite: ([pre]) => {
    const [hn, s] = tanhOfDoubled(pre);
    return keep ? [hn, mul(mul(s, sub(1, s)), 2)] : [hn];
  },
}));

/**
 * The simple RNN step's fused ops: `forward(keep)` takes [pre] (2z) and gives [tanh z] and, with
 * `keep`, the factor 2σ(1 − σ); `backward` takes [factor, dh] and gives [dPre, dPreᵀ].
 * Internal (tests).
 * @internal
 */
export const rnnStepOps = {
  forward: (keep: boolean): FusedOp => rnnForwardOps[Number(keep)],
  backward: {
    name: "rnnStepBackward",
    kernel: "ShapeflowRnnStepBackward",
    composite: ([factor, dh]) => {
      const dPre = mul(dh, factor);
      return [dPre, transpose(dPre, [1, 0])];
    },
  } satisfies FusedOp as FusedOp,
};

// The reset-after GRU. Its stacked weights have four column blocks, [z, r | x_n | h_n]:
//   kernel rows     [W_z, W_r | 2 W_n | 0    ]
//   recurrent rows  [U_z, U_r | 0     | 2 U_n]
//   bias row        [b_z + b'_z, b_r + b'_r | 2 b_n | 2 b'_n]
// so ĥ's pre-activation, doubled, is x_n + r ⊙ h_n and one matmul a step gives everything. The
// packed factor turns [dh, dh, dh, dh] into the pre-activation cotangent:
//   [(h_{k-1} − ĥ) z (1 − z), q h_n r (1 − r), q, q r] with q = (1 − z) 2σ(1 − σ).
// With a mask, the factor holds m and the carried z is 1 at padded rows (h_k = h_{k-1} there).
interface GruResidual {
  factor: AnyTensor;
  z: AnyTensor;
}

const gruFused: FusedCell<GruResidual> = {
  weights(p, u) {
    const f = p.kernel.shape[0];
    const cols = (m: AnyTensor, from: number, n: number) => slice(m, [0, from], [m.shape[0], n]);
    const bias = reshape(p.bias, [2, 3 * u]);
    const inputBias = slice(bias, [0, 0], [1, 3 * u]);
    const recurrentBias = slice(bias, [1, 0], [1, 3 * u]);
    const stackedW = concat(
      [
        concat([cols(p.kernel, 0, 2 * u), cols(p.kernel, 2 * u, u), zeros([f, u])], 1),
        concat([cols(p.recurrentKernel, 0, 2 * u), zeros([u, u]), cols(p.recurrentKernel, 2 * u, u)], 1),
        concat(
          [add(cols(inputBias, 0, 2 * u), cols(recurrentBias, 0, 2 * u)), cols(inputBias, 2 * u, u), cols(recurrentBias, 2 * u, u)],
          1,
        ),
      ],
      0,
    );
    return mul(stackedW, perGate(u, [1, 1, 2, 2]));
  },
  forward(pre, h, _c, keep, m) {
    const [hNew, factor, z] = fused(gruStepOps.forward(keep), [pre, h]);
    if (m === undefined) return { h: hNew, res: keep ? { factor, z } : { factor: hNew, z: hNew } }; // (without keep no reverse pass reads them)
    const hNext = where(m.real, hNew, h);
    if (!keep) return { h: hNext, res: { factor: hNext, z: hNext } };
    return { h: hNext, res: { factor: mul(factor, m.on), z: add(mul(z, m.on), m.off!) } };
  },
  backward(res, dh, _dc, carry) {
    const [dPre, dPreT, dhPrev] = fused(gruStepOps.backward(carry), carry ? [res.factor, dh, res.z] : [res.factor, dh]);
    return { dPre, dPreT, dh: dhPrev };
  },
};

/**
 * One reset-after GRU step forward (unmasked), from the packed pre-activations [B, 4U] and h_{k-1}:
 * [h_k] and, with `keep`, [factor, z] for the reverse step. The composite of the `gruStepForward`
 * fused op (a SIMD kernel on WASM).
 */
function gruStep(pre: AnyTensor, h: AnyTensor, keep: boolean): AnyTensor[] {
  const [b, w] = pre.shape;
  const u = w / 4;
  const a = sigmoid(slice(pre, [0, 0], [b, 2 * u])); // [z, r]
  const z = slice(a, [0, 0], [b, u]);
  const r = slice(a, [0, u], [b, u]);
  const hn = slice(pre, [0, 3 * u], [b, u]);
  const [n, s] = tanhOfDoubled(add(slice(pre, [0, 2 * u], [b, u]), mul(r, hn)));
  const diff = sub(h, n);
  const hNext = add(n, mul(z, diff));
  if (!keep) return [hNext];
  const q = mul(mul(sub(1, z), mul(s, sub(1, s))), 2);
  const factor = concat([mul(concat([diff, mul(q, hn)], 1), mul(a, sub(1, a))), q, mul(q, r)], 1);
  return [hNext, factor, z];
}

/**
 * The reverse of one reset-after GRU step (unmasked): the pre-activation cotangent [B, 4U] and its
 * transpose [4U, B] from h_k's, and with `z` (when the step has a predecessor) h_{k-1}'s other than
 * through the recurrent product. The composite of the `gruStepBackward` fused op.
 */
function gruStepBack(factor: AnyTensor, dh: AnyTensor, z?: AnyTensor): AnyTensor[] {
  const dPre = mul(concat([dh, dh, dh, dh], 1), factor);
  const dPreT = transpose(dPre, [1, 0]);
  return z === undefined ? [dPre, dPreT] : [dPre, dPreT, mul(dh, z)];
}

const gruForwardOps = [false, true].map((keep): FusedOp => ({
  name: "gruStepForward",
  kernel: "ShapeflowGruStepForward",
  attrs: { keep: Number(keep) },
  composite: ([pre, h]) => gruStep(pre, h, keep),
}));
const gruBackwardOps = [false, true].map((carry): FusedOp => ({
  name: "gruStepBackward",
  kernel: "ShapeflowGruStepBackward",
  attrs: { carry: Number(carry) },
  composite: ([factor, dh, z]) => gruStepBack(factor, dh, carry ? z : undefined),
}));

/**
 * The reset-after GRU step's fused ops: `forward(keep)` takes [pre, h] and gives [h'] and, with
 * `keep`, [factor, z]; `backward(carry)` takes [factor, dh, z (with `carry`)] and gives [dPre, dPreᵀ]
 * and, with `carry`, dh_prev. Internal (tests).
 * @internal
 */
export const gruStepOps = {
  forward: (keep: boolean): FusedOp => gruForwardOps[Number(keep)],
  backward: (carry: boolean): FusedOp => gruBackwardOps[Number(carry)],
};

// The reset-before GRU: two products a step, the second after the reset gate. Its stacked weights
// have three column blocks [z, r | n] and an aux block of U rows for (r ⊙ h) U_h:
//   kernel rows     [W_z, W_r | 2 W_n]
//   recurrent rows  [U_z, U_r | 0    ]
//   bias row        [b_z, b_r | 2 b_n]
//   aux rows        [0,   0   | 2 U_n]
// so ĥ's pre-activation, doubled, is x_n + (r ⊙ h) (2 U_n). The reverse step: dA = q dh with
// q = (1 − z) 2σ(1 − σ), d(r ⊙ h) = dA (2 U_n)ᵀ, and the pre-activation cotangent
// [dh (h_{k-1} − ĥ) z (1 − z), d(r ⊙ h) h_{k-1} r (1 − r), dA]; h_{k-1} also gets dh z + d(r ⊙ h) r.
// The elementwise parts around the two products are fused ops (`gruBeforeStepOps`): the gates before
// the second product, the candidate and h_k after it, and the reverse step after d(r ⊙ h)'s product.
// With a mask, q and zSlope hold m and the carried z is 1 at padded rows (dh passes to h_{k-1}).
interface GruBeforeResidual {
  /** (1 − z) 2σ(1 − σ) (times m with a mask). */
  q: AnyTensor;
  /** (h_{k-1} − ĥ) z (1 − z) (times m with a mask). */
  zSlope: AnyTensor;
  /** h_{k-1} r (1 − r) (h_{k-1} after recurrent dropout). */
  rSlope: AnyTensor;
  /** z, or z m + 1 − m with a mask: how dh reaches h_{k-1} other than through the products. */
  z: AnyTensor;
  /** r, times the recurrent dropout mask when there is one: how d(r ⊙ h) reaches h_{k-1}. */
  r: AnyTensor;
}

/**
 * The reset-before GRU step's gates (unmasked) from the pre-activations [B, 3U] = [z, r | 2 x_n] and
 * h_{k-1} as the products see it: [r ⊙ hRec, z] and, with `keep`, [r, hRec r (1 − r)]. The
 * composite of the `gruBeforeGatesForward` fused op (a SIMD kernel on WASM).
 */
function gruBeforeGates(pre: AnyTensor, hRec: AnyTensor, keep: boolean): AnyTensor[] {
  const [b, w] = pre.shape;
  const u = w / 3;
  const a = sigmoid(slice(pre, [0, 0], [b, 2 * u])); // [z, r]
  const z = slice(a, [0, 0], [b, u]);
  const r = slice(a, [0, u], [b, u]);
  const rh = mul(r, hRec);
  return keep ? [rh, z, r, mul(hRec, mul(r, sub(1, r)))] : [rh, z];
}

/**
 * The rest of the reset-before GRU step (unmasked), after the second product rhU = (r ⊙ hRec) 2U_n:
 * [h_k] and, with `keep`, [q, zSlope] for the reverse step. The composite of the
 * `gruBeforeStepForward` fused op (a SIMD kernel on WASM).
 */
function gruBeforeStep(pre: AnyTensor, rhU: AnyTensor, h: AnyTensor, z: AnyTensor, keep: boolean): AnyTensor[] {
  const [b, w] = pre.shape;
  const u = w / 3;
  const [n, s] = tanhOfDoubled(add(slice(pre, [0, 2 * u], [b, u]), rhU));
  const diff = sub(h, n);
  const hNew = add(n, mul(z, diff));
  if (!keep) return [hNew];
  const notZ = sub(1, z);
  return [hNew, mul(mul(notZ, mul(s, sub(1, s))), 2), mul(diff, mul(z, notZ))];
}

/**
 * The reverse of one reset-before GRU step, from h_k's cotangent dh and d(r ⊙ h) = (dh q)(2 U_n)ᵀ:
 * the pre-activation cotangent [B, 3U], its transpose [3U, B], and with `carry` (z and r given)
 * h_{k-1}'s other than through the recurrent product. The composite of the `gruBeforeStepBackward`
 * fused op (a SIMD kernel on WASM).
 */
function gruBeforeStepBack(
  zSlope: AnyTensor,
  rSlope: AnyTensor,
  q: AnyTensor,
  dh: AnyTensor,
  dRh: AnyTensor,
  z?: AnyTensor,
  r?: AnyTensor,
): AnyTensor[] {
  const dPre = concat([mul(dh, zSlope), mul(dRh, rSlope), mul(dh, q)], 1);
  const dPreT = transpose(dPre, [1, 0]);
  return z === undefined || r === undefined ? [dPre, dPreT] : [dPre, dPreT, add(mul(dh, z), mul(dRh, r))];
}

const gruBeforeGatesOps = [false, true].map((keep): FusedOp => ({
  name: "gruBeforeGatesForward",
  kernel: "ShapeflowGruBeforeGatesForward",
  attrs: { keep: Number(keep) },
  composite: ([pre, hRec]) => gruBeforeGates(pre, hRec, keep),
}));
const gruBeforeStepOpsByKeep = [false, true].map((keep): FusedOp => ({
  name: "gruBeforeStepForward",
  kernel: "ShapeflowGruBeforeStepForward",
  attrs: { keep: Number(keep) },
  composite: ([pre, rhU, h, z]) => gruBeforeStep(pre, rhU, h, z, keep),
}));
const gruBeforeBackwardOps = [false, true].map((carry): FusedOp => ({
  name: "gruBeforeStepBackward",
  kernel: "ShapeflowGruBeforeStepBackward",
  attrs: { carry: Number(carry) },
  composite: ([zSlope, rSlope, q, dh, dRh, z, r]) =>
    gruBeforeStepBack(zSlope, rSlope, q, dh, dRh, carry ? z : undefined, carry ? r : undefined),
}));

/**
 * The reset-before GRU step's fused ops: `gates(keep)` takes [pre [B, 3U], hRec] and gives [r ⊙ hRec, z]
 * and, with `keep`, [r, rSlope]; `step(keep)` takes [pre, rhU, h, z] and gives [h'] and, with
 * `keep`, [q, zSlope]; `backward(carry)` takes [zSlope, rSlope, q, dh, dRh, z and r (with `carry`)]
 * and gives [dPre, dPreᵀ] and, with `carry`, dh_prev. Internal (tests).
 * @internal
 */
export const gruBeforeStepOps = {
  gates: (keep: boolean): FusedOp => gruBeforeGatesOps[Number(keep)],
  step: (keep: boolean): FusedOp => gruBeforeStepOpsByKeep[Number(keep)],
  backward: (carry: boolean): FusedOp => gruBeforeBackwardOps[Number(carry)],
};

const gruBeforeFused: FusedCell<GruBeforeResidual> = {
  weights(p, u) {
    const cols = (m: AnyTensor, from: number, n: number) => slice(m, [0, from], [m.shape[0], n]);
    const stackedW = concat(
      [
        p.kernel,
        concat([cols(p.recurrentKernel, 0, 2 * u), zeros([u, u])], 1),
        reshape(p.bias, [1, 3 * u]),
        concat([zeros([u, 2 * u]), cols(p.recurrentKernel, 2 * u, u)], 1),
      ],
      0,
    );
    return mul(stackedW, perGate(u, [1, 1, 2]));
  },
  aux: {
    forward: (rows) => slice(rows, [0, (2 * rows.shape[1]) / 3], [rows.shape[0], rows.shape[1] / 3]),
    backward: (rows) => transpose(slice(rows, [0, (2 * rows.shape[1]) / 3], [rows.shape[0], rows.shape[1] / 3]), [1, 0]),
  },
  forward(pre, h, _c, keep, m, aux, drop) {
    // with recurrent dropout, the second product sees the dropped h too (Keras' r ⊙ h_dropped)
    const hRec = drop?.hRec ?? h;
    const [rh, z, r, rSlope] = fused(gruBeforeStepOps.gates(keep), [pre, hRec]);
    const [hNew, q, zSlope] = fused(gruBeforeStepOps.step(keep), [pre, matmul(rh, aux!), h, z]);
    const hNext = m === undefined ? hNew : where(m.real, hNew, h);
    if (!keep) return { h: hNext, res: { q: hNext, zSlope: hNext, rSlope: hNext, z: hNext, r: hNext } }; // (no reverse pass reads them)
    // d(r ⊙ hRec)/d h_{k-1} = r ⊙ mask
    const rCarry = drop === undefined ? r : mul(r, drop.mask);
    if (m === undefined) return { h: hNext, res: { q, zSlope, rSlope, z, r: rCarry }, extra: rh };
    // a padded row: no pre-activation cotangent (q and zSlope 0, so d(r ⊙ h) is 0 too), dh passes to h_{k-1} (z 1)
    const res = { q: mul(q, m.on), zSlope: mul(zSlope, m.on), rSlope, z: add(mul(z, m.on), m.off!), r: rCarry };
    return { h: hNext, res, extra: rh };
  },
  backward(res, dh, _dc, carry, auxT) {
    const dRh = matmul(mul(dh, res.q), auxT!);
    const ins = [res.zSlope, res.rSlope, res.q, dh, dRh, ...(carry ? [res.z, res.r] : [])];
    const [dPre, dPreT, dhPrev] = fused(gruBeforeStepOps.backward(carry), ins);
    return { dPre, dPreT, dh: dhPrev };
  },
};

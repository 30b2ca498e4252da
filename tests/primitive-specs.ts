// One spec per primitive: how to draw valid inputs and params, and how its derivative is tested.
// `satisfies Record<PrimitiveName, PrimitiveSpec>` makes a primitive without a spec a compile
// error (and tests/primitives.test.ts fails at run time too).
import * as fc from "fast-check";
import type { PrimitiveName } from "../src/core/index.js";
import type { DType } from "../src/tensor/index.js";
import {
  TensorValue,
  arbAxes,
  arbBroadcastablePair,
  arbBroadcastableTo,
  arbMatmulPair,
  arbPermutation,
  arbShape,
  arbTensor,
  type TensorOptions,
} from "../src/testing/index.js";
import * as ref from "./primitive-references.js";

export interface PrimitiveCase {
  readonly inputs: readonly TensorValue[];
  readonly params: unknown;
}

export interface PrimitiveSpec {
  /** Valid inputs (shapes, dtypes, value domains away from kinks and jumps) and params. */
  readonly cases: fc.Arbitrary<PrimitiveCase>;
  /**
   * "fd": derivatives are compared with finite differences (when the case has float inputs
   * and a float output); "zero": AD must give zero though f is not constant (stopGradient);
   * "none": the output is bool/int, so it has no derivative.
   */
  readonly derivative: "fd" | "zero" | "none";
  /** Highest order compared with finite differences (default 2). */
  readonly order?: 1 | 2;
  /** Float64 scalar function of an elementwise primitive (inputs broadcast, int32 results floored). */
  readonly elementwise?: (...xs: number[]) => number;
  /** Float64 reference of any other primitive: output shape and row-major values. */
  readonly reference?: (inputs: readonly TensorValue[], params: any) => ref.Reference;
  /** Closed-form second derivative of a unary primitive, checked in float64. */
  readonly secondDerivative?: (x: number) => number;
}

// ---------------------------------------------------------------- building blocks

const SHAPE = { maxRank: 3, maxDim: 3, allowEmpty: true } as const;
const shape = arbShape(SHAPE);
const positiveShape = arbShape({ ...SHAPE, minRank: 1 });
/** No empty dims: argmax needs a non-empty axis. */
const nonEmptyShape = arbShape({ maxRank: 3, maxDim: 3, minRank: 1 });

const range = (from: number, to: number, step: number) =>
  Array.from({ length: Math.round((to - from) / step) + 1 }, (_, i) => from + i * step);
const INTEGERS = range(-4, 4, 1);
const HALVES = range(-4, 4, 0.5);
const QUARTERS = range(-3, 3, 0.25);

/** `v` with its data mapped (same shape and dtype). */
function mapData(v: TensorValue, f: (x: number) => number): TensorValue {
  return new TensorValue(v.shape, v.data.map(f), v.dtype);
}

const dtypeOf = (dtypes: readonly DType[]) => fc.constantFrom(...dtypes);

function unary(opts: TensorOptions = {}, dtypes: readonly DType[] = ["float32"]): fc.Arbitrary<PrimitiveCase> {
  return fc
    .tuple(shape, dtypeOf(dtypes))
    .chain(([s, dtype]) => arbTensor(s, dtype === "float32" ? opts : { dtype }))
    .map((x) => ({ inputs: [x], params: {} }));
}

function binary(
  a: TensorOptions = {},
  b: TensorOptions = a,
  dtypes: readonly DType[] = ["float32"],
  ints: TensorOptions = {},
): fc.Arbitrary<PrimitiveCase> {
  return fc
    .tuple(arbBroadcastablePair(SHAPE), dtypeOf(dtypes))
    .chain(([[sa, sb], dtype]) =>
      dtype === "float32"
        ? fc.tuple(arbTensor(sa, a), arbTensor(sb, b))
        : fc.tuple(arbTensor(sa, { ...ints, dtype }), arbTensor(sb, { ...ints, dtype })),
    )
    .map(([x, y]) => ({ inputs: [x, y], params: {} }));
}

/** Values on a grid of halves, so comparisons see ties. */
const comparison = binary({}, {}, ["float32", "int32"]).map((c) => ({
  ...c,
  inputs: c.inputs.map((v) => (v.dtype === "float32" ? mapData(v, (x) => Math.round(x * 2) / 2) : v)),
}));

/** One argument on a grid of quarters, the other kept 0.05 away from it: no ties, no kinks. */
const extremum = binary({ avoid: QUARTERS }, { min: -3, max: 3 }, ["float32", "int32"]).map((c) => ({
  ...c,
  inputs: [c.inputs[0], c.inputs[1].dtype === "float32" ? mapData(c.inputs[1], (x) => Math.round(x * 4) / 4) : c.inputs[1]],
}));

/** Shapes of three tensors that broadcast together. */
const broadcastTriple = shape.chain((out) => fc.tuple(arbBroadcastableTo(out), arbBroadcastableTo(out), arbBroadcastableTo(out)));

function reduction(distinct: boolean): fc.Arbitrary<PrimitiveCase> {
  // NOTE: max and min of nothing have no value: only sum gets empty axes
  return fc.tuple(distinct ? nonEmptyShape : shape, dtypeOf(["float32", "int32"]), fc.boolean()).chain(([s, dtype, keepDims]) =>
    fc.tuple(arbTensor(s, dtype === "float32" ? { distinct, margin: 0.1 } : { dtype }), arbAxes(s.length)).map(([x, axes]) => ({
      inputs: [x],
      params: { axes, keepDims },
    })),
  );
}

function argReduction(): fc.Arbitrary<PrimitiveCase> {
  return fc.tuple(nonEmptyShape, dtypeOf(["float32", "int32"])).chain(([s, dtype]) =>
    fc
      .tuple(arbTensor(s, dtype === "float32" ? { distinct: true } : { dtype }), fc.integer({ min: 0, max: s.length - 1 }))
      .map(([x, axis]) => ({
        inputs: [x],
        params: { axis },
      })),
  );
}

/** Target shapes of the same size: flattened, reversed, with 1s inserted, or with one -1. */
function reshapeTarget(s: number[]): fc.Arbitrary<number[]> {
  const n = s.reduce((a, b) => a * b, 1);
  return fc.constantFrom<number[][]>(
    [n],
    [...s].reverse(),
    [1, ...s, 1],
    s.length > 0 && n > 0 ? [...s.slice(0, -1), -1] : [1, n],
    [n, 1],
    s.length > 1 ? [s[0] * s[1], ...s.slice(2)] : [1, n],
  );
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Abramowitz & Stegun 7.1.26 is too coarse for a reference; a series / continued fraction is not needed at |x| <= 2. */
function erf(x: number): number {
  // Taylor series: converges fast for |x| <= 2.5
  let sum = 0,
    term = x,
    k = 0;
  while (Math.abs(term) > 1e-17 * Math.abs(sum) || k < 3) {
    sum += term / (2 * k + 1);
    k++;
    term *= (-x * x) / k;
    if (k > 200) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

/** conv2d cases: every param of the general primitive (strides, padding incl. negative, both dilations, groups). */
const convCases: fc.Arbitrary<PrimitiveCase> = fc
  .record({
    b: fc.integer({ min: 1, max: 2 }),
    h: fc.integer({ min: 1, max: 4 }),
    w: fc.integer({ min: 1, max: 4 }),
    groups: fc.integer({ min: 1, max: 2 }),
    cg: fc.integer({ min: 1, max: 2 }),
    cog: fc.integer({ min: 1, max: 2 }),
    k: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    strides: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
    dilations: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
    lhsDilation: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
    padding: fc.tuple(
      fc.tuple(fc.integer({ min: -1, max: 2 }), fc.integer({ min: -1, max: 2 })),
      fc.tuple(fc.integer({ min: -1, max: 2 }), fc.integer({ min: -1, max: 2 })),
    ),
  })
  .filter((c) =>
    [c.h, c.w].every((n, i) => {
      const dilated = (n - 1) * c.lhsDilation[i] + 1;
      const [lo, hi] = c.padding[i];
      // a non-empty window, and negative padding never crops the whole input
      return dilated + lo + hi >= (c.k[i] - 1) * c.dilations[i] + 1 && dilated + Math.min(lo, 0) + Math.min(hi, 0) >= 1;
    }),
  )
  .chain((c) =>
    fc.tuple(arbTensor([c.b, c.h, c.w, c.groups * c.cg]), arbTensor([c.k[0], c.k[1], c.cg, c.groups * c.cog])).map((inputs) => ({
      inputs,
      params: { strides: c.strides, padding: c.padding, dilations: c.dilations, lhsDilation: c.lhsDilation, groups: c.groups },
    })),
  );

/** Pooling windows over [B, H, W, C] (padding smaller than the window). */
const poolWindows = fc
  .record({
    x: fc.tuple(
      fc.integer({ min: 1, max: 2 }),
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 1, max: 2 }),
    ),
    window: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    strides: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    pads: fc.tuple(fc.nat(2), fc.nat(2), fc.nat(2), fc.nat(2)),
  })
  .map(({ x, window, strides, pads }) => {
    const padding = [
      [pads[0] % window[0], pads[1] % window[0]],
      [pads[2] % window[1], pads[3] % window[1]],
    ];
    const fits = [0, 1].every((i) => x[1 + i] + padding[i][0] + padding[i][1] >= window[i]);
    return { x, fits, params: { window, strides, padding } };
  })
  .filter(({ fits }) => fits);

/** Pooling cases; max pooling draws distinct values so finite differences never cross an arg-max. */
const poolCases = (distinct: boolean): fc.Arbitrary<PrimitiveCase> =>
  poolWindows.chain(({ x, params }) => arbTensor(x, { distinct }).map((v) => ({ inputs: [v], params })));

// ---------------------------------------------------------------- the registry

export const specs = {
  neg: { cases: unary({}, ["float32", "int32"]), derivative: "fd", elementwise: (x) => -x },
  exp: { cases: unary({ min: -2, max: 2 }), derivative: "fd", elementwise: Math.exp, secondDerivative: Math.exp },
  expm1: { cases: unary({ min: -2, max: 2 }), derivative: "fd", elementwise: Math.expm1, secondDerivative: Math.exp },
  log: { cases: unary({ min: 0.2, max: 3 }), derivative: "fd", elementwise: Math.log, secondDerivative: (x) => -1 / (x * x) },
  log1p: {
    cases: unary({ min: -0.7, max: 3 }),
    derivative: "fd",
    elementwise: Math.log1p,
    secondDerivative: (x) => -1 / ((1 + x) * (1 + x)),
  },
  sqrt: { cases: unary({ min: 0.2, max: 3 }), derivative: "fd", elementwise: Math.sqrt, secondDerivative: (x) => -0.25 * x ** -1.5 },
  rsqrt: {
    cases: unary({ min: 0.3, max: 3 }),
    derivative: "fd",
    elementwise: (x) => 1 / Math.sqrt(x),
    secondDerivative: (x) => 0.75 * x ** -2.5,
  },
  square: { cases: unary({}, ["float32", "int32"]), derivative: "fd", elementwise: (x) => x * x, secondDerivative: () => 2 },
  abs: { cases: unary({ avoid: [0] }, ["float32", "int32"]), derivative: "fd", elementwise: Math.abs },
  sign: { cases: unary({ avoid: [0] }, ["float32", "int32"]), derivative: "fd", elementwise: Math.sign },
  step: { cases: unary({ avoid: [0] }), derivative: "fd", elementwise: (x) => (x > 0 ? 1 : 0) },
  floor: { cases: unary({ min: -3, max: 3, avoid: INTEGERS }), derivative: "fd", elementwise: Math.floor },
  ceil: { cases: unary({ min: -3, max: 3, avoid: INTEGERS }), derivative: "fd", elementwise: Math.ceil },
  round: { cases: unary({ min: -3, max: 3, avoid: HALVES }), derivative: "fd", elementwise: Math.round },
  sin: { cases: unary({ min: -3, max: 3 }), derivative: "fd", elementwise: Math.sin, secondDerivative: (x) => -Math.sin(x) },
  cos: { cases: unary({ min: -3, max: 3 }), derivative: "fd", elementwise: Math.cos, secondDerivative: (x) => -Math.cos(x) },
  tanh: {
    cases: unary({ min: -2.5, max: 2.5 }),
    derivative: "fd",
    elementwise: Math.tanh,
    secondDerivative: (x) => -2 * Math.tanh(x) * (1 - Math.tanh(x) ** 2),
  },
  sigmoid: {
    cases: unary({ min: -4, max: 4 }),
    derivative: "fd",
    elementwise: sigmoid,
    secondDerivative: (x) => sigmoid(x) * (1 - sigmoid(x)) * (1 - 2 * sigmoid(x)),
  },
  relu: { cases: unary({ avoid: [0] }), derivative: "fd", elementwise: (x) => Math.max(x, 0) },
  softplus: {
    cases: unary({ min: -4, max: 4 }),
    derivative: "fd",
    elementwise: (x) => Math.log1p(Math.exp(x)),
    secondDerivative: (x) => sigmoid(x) * (1 - sigmoid(x)),
  },
  erf: {
    cases: unary({ min: -2, max: 2 }),
    derivative: "fd",
    elementwise: erf,
    secondDerivative: (x) => (-4 * x * Math.exp(-x * x)) / Math.sqrt(Math.PI),
  },

  add: { cases: binary({}, {}, ["float32", "int32"]), derivative: "fd", elementwise: (x, y) => x + y },
  sub: { cases: binary({}, {}, ["float32", "int32"]), derivative: "fd", elementwise: (x, y) => x - y },
  mul: { cases: binary({}, {}, ["float32", "int32"]), derivative: "fd", elementwise: (x, y) => x * y },
  div: {
    cases: binary({}, { avoid: [0], margin: 0.4 }, ["float32", "int32"], { min: 1, max: 4 }),
    derivative: "fd",
    // NOTE: int32 division floors, as tfjs' floorDiv; the float case is exact division
    elementwise: (x, y) => x / y,
  },
  pow: { cases: binary({ min: 0.3, max: 2.5 }, { min: -2, max: 2 }), derivative: "fd", elementwise: Math.pow },
  maximum: { cases: extremum, derivative: "fd", elementwise: Math.max },
  minimum: { cases: extremum, derivative: "fd", elementwise: Math.min },
  greater: { cases: comparison, derivative: "none", elementwise: (x, y) => Number(x > y) },
  greaterEqual: { cases: comparison, derivative: "none", elementwise: (x, y) => Number(x >= y) },
  less: { cases: comparison, derivative: "none", elementwise: (x, y) => Number(x < y) },
  lessEqual: { cases: comparison, derivative: "none", elementwise: (x, y) => Number(x <= y) },
  equal: { cases: comparison, derivative: "none", elementwise: (x, y) => Number(x === y) },
  notEqual: { cases: comparison, derivative: "none", elementwise: (x, y) => Number(x !== y) },
  where: {
    cases: fc
      .tuple(broadcastTriple, dtypeOf(["float32", "int32"]))
      .chain(([[sc, sa, sb], dtype]) =>
        fc
          .tuple(arbTensor(sc, { dtype: "bool" }), arbTensor(sa, { dtype }), arbTensor(sb, { dtype }))
          .map((inputs) => ({ inputs, params: {} })),
      ),
    derivative: "fd",
    elementwise: (c, a, b) => (c ? a : b),
  },
  cast: {
    cases: fc
      .tuple(shape, dtypeOf(["float32", "int32", "bool"]), dtypeOf(["float32", "int32", "bool"]))
      // float -> int truncates: keep floats away from integers so that the kernels agree on the side
      .chain(([s, from, to]) =>
        arbTensor(s, from === "float32" ? { avoid: INTEGERS } : { dtype: from }).map((x) => ({ inputs: [x], params: { dtype: to } })),
      ),
    derivative: "fd",
  },

  broadcastTo: {
    cases: fc
      .tuple(shape, dtypeOf(["float32", "int32"]))
      .chain(([out, dtype]) =>
        arbBroadcastableTo(out).chain((s) => arbTensor(s, { dtype }).map((x) => ({ inputs: [x], params: { shape: out } }))),
      ),
    derivative: "fd",
    reference: ([x], p) => ({
      shape: [...p.shape],
      data: ref.elementwise(
        (v) => v,
        [x, new TensorValue(p.shape, new Float32Array(p.shape.reduce((a: number, b: number) => a * b, 1)), "float32")],
        false,
      ).data,
    }),
  },
  reshape: {
    cases: fc
      .tuple(shape, dtypeOf(["float32", "int32"]))
      .chain(([s, dtype]) =>
        fc.tuple(arbTensor(s, { dtype }), reshapeTarget(s)).map(([x, target]) => ({ inputs: [x], params: { shape: target } })),
      ),
    derivative: "fd",
    reference: ([x], p) => ref.reshape(x, p.shape),
  },
  transpose: {
    cases: fc
      .tuple(shape, dtypeOf(["float32", "int32"]))
      .chain(([s, dtype]) =>
        fc.tuple(arbTensor(s, { dtype }), arbPermutation(s.length)).map(([x, perm]) => ({ inputs: [x], params: { perm } })),
      ),
    derivative: "fd",
    reference: ([x], p) => ref.transpose(x, p.perm),
  },
  sum: { cases: reduction(false), derivative: "fd", reference: ([x], p) => ref.reduce(x, p.axes, p.keepDims, "sum") },
  max: { cases: reduction(true), derivative: "fd", reference: ([x], p) => ref.reduce(x, p.axes, p.keepDims, "max") },
  min: { cases: reduction(true), derivative: "fd", reference: ([x], p) => ref.reduce(x, p.axes, p.keepDims, "min") },
  argmax: { cases: argReduction(), derivative: "none", reference: ([x], p) => ref.argReduce(x, p.axis, "max") },
  argmin: { cases: argReduction(), derivative: "none", reference: ([x], p) => ref.argReduce(x, p.axis, "min") },
  matmul: {
    cases: arbMatmulPair({ maxBatchRank: 2, maxDim: 3, allowEmpty: true }).chain(([sa, sb]) =>
      fc.tuple(arbTensor(sa), arbTensor(sb)).map((inputs) => ({ inputs, params: {} })),
    ),
    derivative: "fd",
    reference: ([a, b]) => ref.matmul(a, b),
  },
  stopGradient: { cases: unary(), derivative: "zero", elementwise: (x) => x },

  concat: {
    cases: fc.tuple(positiveShape, fc.integer({ min: 1, max: 3 }), dtypeOf(["float32", "int32"])).chain(([s, n, dtype]) =>
      fc.integer({ min: 0, max: s.length - 1 }).chain((axis) =>
        fc
          .array(fc.integer({ min: 1, max: 3 }), { minLength: n, maxLength: n })
          .chain((dims) =>
            fc.tuple(
              ...dims.map((d) =>
                arbTensor(
                  s.map((x, k) => (k === axis ? d : x)),
                  { dtype },
                ),
              ),
            ),
          )
          .map((inputs) => ({ inputs, params: { axis } })),
      ),
    ),
    derivative: "fd",
    reference: (xs, p) => ref.concat(xs, p.axis),
  },
  slice: {
    cases: fc
      .tuple(shape, dtypeOf(["float32", "int32"]))
      .chain(([s, dtype]) =>
        fc
          .tuple(
            arbTensor(s, { dtype }),
            fc.tuple(
              ...s.map((d) => fc.integer({ min: 0, max: d }).chain((b) => fc.tuple(fc.constant(b), fc.integer({ min: -1, max: d - b })))),
            ),
          )
          .map(([x, window]) => ({ inputs: [x], params: { begin: window.map(([b]) => b), size: window.map(([, z]) => z) } })),
      ),
    derivative: "fd",
    reference: ([x], p) => ref.slice(x, p.begin, p.size),
  },
  pad: {
    cases: fc
      .tuple(shape, dtypeOf(["float32", "int32"]))
      .chain(([s, dtype]) =>
        fc
          .tuple(
            arbTensor(s, { dtype }),
            fc.tuple(...s.map(() => fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })))),
            fc.integer({ min: -3, max: 3 }),
          )
          .map(([x, paddings, value]) => ({ inputs: [x], params: { paddings, value: dtype === "float32" ? value / 2 : value } })),
      ),
    derivative: "fd",
    reference: ([x], p) => ref.pad(x, p.paddings, p.value),
  },
  gather: {
    // x [...batch, ...mid, size, ...post], indices [...batch, ...idx]
    cases: fc
      .tuple(
        arbShape({ maxRank: 1, maxDim: 3 }),
        arbShape({ maxRank: 1, maxDim: 3 }),
        fc.integer({ min: 1, max: 4 }),
        arbShape({ maxRank: 1, maxDim: 3 }),
        arbShape({ maxRank: 2, maxDim: 3 }),
        dtypeOf(["float32", "int32"]),
      )
      .chain(([batch, mid, size, post, idx, dtype]) =>
        fc
          .tuple(
            arbTensor([...batch, ...mid, size, ...post], { dtype }),
            arbTensor([...batch, ...idx], { dtype: "int32", min: 0, max: size - 1 }),
          )
          .map((inputs) => ({ inputs, params: { axis: batch.length + mid.length, batchDims: batch.length } })),
      ),
    derivative: "fd",
    reference: ([x, i], p) => ref.gather(x, i, p.axis, p.batchDims),
  },
  scatterAdd: {
    // updates [...batch, ...mid, ...idx, ...post], indices [...batch, ...idx] -> [...batch, ...mid, size, ...post]
    cases: fc
      .tuple(
        arbShape({ maxRank: 1, maxDim: 3 }),
        arbShape({ maxRank: 1, maxDim: 3 }),
        fc.integer({ min: 1, max: 4 }),
        arbShape({ maxRank: 1, maxDim: 3 }),
        arbShape({ maxRank: 2, maxDim: 3 }),
        dtypeOf(["float32", "int32"]),
      )
      .chain(([batch, mid, size, post, idx, dtype]) =>
        fc
          .tuple(
            arbTensor([...batch, ...mid, ...idx, ...post], { dtype }),
            arbTensor([...batch, ...idx], { dtype: "int32", min: 0, max: size - 1 }),
          )
          .map((inputs) => ({ inputs, params: { axis: batch.length + mid.length, batchDims: batch.length, size } })),
      ),
    derivative: "fd",
    reference: ([u, i], p) => ref.scatterAdd(u, i, p.axis, p.batchDims, p.size),
  },
  reverse: {
    cases: fc
      .tuple(shape, dtypeOf(["float32", "int32"]))
      .chain(([s, dtype]) => fc.tuple(arbTensor(s, { dtype }), arbAxes(s.length)).map(([x, axes]) => ({ inputs: [x], params: { axes } }))),
    derivative: "fd",
    reference: ([x], p) => ref.reverse(x, p.axes),
  },
  conv2d: { cases: convCases, derivative: "fd" },
  maxPool2d: { cases: poolCases(true), derivative: "fd" },
  avgPool2d: { cases: poolCases(false), derivative: "fd" },
  // a check that passes (all true): the identity on x under every transform
  check: {
    cases: fc.tuple(shape, dtypeOf(["float32", "int32"])).chain(([s, dtype]) =>
      arbTensor(s, { dtype }).map((x) => ({
        inputs: [x, new TensorValue(s, new Uint8Array(x.size).fill(1), "bool")],
        params: { op: "test", message: "entry {index} failed", expected: "true" },
      })),
    ),
    derivative: "fd",
    reference: ([x]) => ({ shape: [...x.shape], data: Array.from(x.data) }),
  },
  cumsum: {
    cases: fc
      .tuple(positiveShape, dtypeOf(["float32", "int32"]), fc.boolean(), fc.boolean())
      .chain(([s, dtype, reverse, exclusive]) =>
        fc
          .tuple(arbTensor(s, { dtype }), fc.integer({ min: 0, max: s.length - 1 }))
          .map(([x, axis]) => ({ inputs: [x], params: { axis, reverse, exclusive } })),
      ),
    derivative: "fd",
    reference: ([x], p) => ref.cumsum(x, p.axis, p.reverse, p.exclusive),
  },
  argTopK: {
    // int32 inputs have ties (which keep the lower index first); floats are distinct
    cases: fc
      .tuple(positiveShape, dtypeOf(["float32", "int32"]), fc.boolean())
      .chain(([s, dtype, largest]) =>
        fc
          .tuple(arbTensor(s, dtype === "float32" ? { distinct: true } : { dtype }), fc.integer({ min: 0, max: s[s.length - 1] }))
          .map(([x, k]) => ({ inputs: [x], params: { k, largest } })),
      ),
    derivative: "none",
    reference: ([x], p) => ref.argTopK(x, p.k, p.largest),
  },
} satisfies Record<PrimitiveName, PrimitiveSpec>;

// Elementwise primitives: one derivative formula each; jvp, vjp and batching follow from it.
import * as tf from "@tensorflow/tfjs-core";
import type { AnyTensor } from "../../tensor/index.js";
import { bind } from "../trace.js";
import { definePrimitive, type Primitive } from "../primitive.js";
import { asTensor, broadcastShapes, checkFloat, checkSameDType, sameShape, type Operand } from "./util.js";
import { alignBatched, broadcastTo, unbroadcast, zerosLike } from "./broadcast.js";
import { DTypeError } from "../../tensor/index.js";

// ---------------------------------------------------------------- unary

interface UnarySpec {
  name: string;
  impl: (x: tf.Tensor) => tf.Tensor;
  /** d out / d x, as a tensor multiplier; "zero" for piecewise-constant functions. */
  derivative: ((x: AnyTensor, out: AnyTensor) => AnyTensor) | "zero";
  /** Accepts int32 too (neg, abs, square, sign). */
  integers?: boolean;
}

/** The primitive, and the untyped function that binds it (what rules and lax call). */
type Unary = [Primitive<{}>, (x: AnyTensor) => AnyTensor];
type Binary = [Primitive<{}>, (x: Operand, y: Operand) => AnyTensor];

function unary(spec: UnarySpec): Unary {
  const prim: Primitive<{}> = definePrimitive<{}>({
    name: spec.name,
    abstractEval([x]) {
      if (!spec.integers) checkFloat(spec.name, [x]);
      else if (x.dtype === "bool")
        throw new DTypeError(
          { op: spec.name, expected: "float32 or int32", got: "bool" },
          `${spec.name}: expects a numeric tensor, got bool`,
        );
      return x;
    },
    impl: ([x]) => spec.impl(x),
    jvp([x], [t], _p, out) {
      if (t === null || spec.derivative === "zero") return null;
      return mul(t, spec.derivative(x, out));
    },
    vjp(ct, [x], _p, out) {
      if (spec.derivative === "zero") return [null];
      return [mul(ct, spec.derivative(x, out))];
    },
    batch: ([x], _b, p) => bind(prim, [x], p),
  });
  return [prim, (x) => bind(prim, [x])];
}

const SQRT_2_OVER_PI_TIMES_2 = 2 / Math.sqrt(Math.PI);

export const [negP, neg] = unary({ name: "neg", impl: tf.neg, derivative: (x) => constantLike(x, -1), integers: true });
export const [expP, exp] = unary({ name: "exp", impl: tf.exp, derivative: (_x, y) => y });
export const [expm1P, expm1] = unary({ name: "expm1", impl: tf.expm1, derivative: (_x, y) => add(y, 1) });
export const [logP, log] = unary({ name: "log", impl: tf.log, derivative: (x) => reciprocal(x) });
export const [log1pP, log1p] = unary({ name: "log1p", impl: tf.log1p, derivative: (x) => reciprocal(add(x, 1)) });
export const [sqrtP, sqrt] = unary({ name: "sqrt", impl: tf.sqrt, derivative: (_x, y) => div(0.5, y) });
export const [rsqrtP, rsqrt] = unary({ name: "rsqrt", impl: tf.rsqrt, derivative: (x, y) => mul(-0.5, div(y, x)) });
export const [squareP, square] = unary({ name: "square", impl: tf.square, derivative: (x) => mul(2, x), integers: true });
export const [absP, abs] = unary({ name: "abs", impl: tf.abs, derivative: (x) => sign(x), integers: true });
export const [signP, sign] = unary({ name: "sign", impl: tf.sign, derivative: "zero", integers: true });
export const [floorP, floor] = unary({ name: "floor", impl: tf.floor, derivative: "zero" });
export const [ceilP, ceil] = unary({ name: "ceil", impl: tf.ceil, derivative: "zero" });
export const [roundP, round] = unary({ name: "round", impl: tf.round, derivative: "zero" });
export const [sinP, sin] = unary({ name: "sin", impl: tf.sin, derivative: (x) => cos(x) });
export const [cosP, cos] = unary({ name: "cos", impl: tf.cos, derivative: (x) => neg(sin(x)) });
export const [tanhP, tanh] = unary({ name: "tanh", impl: tf.tanh, derivative: (_x, y) => sub(1, square(y)) });
export const [sigmoidP, sigmoid] = unary({ name: "sigmoid", impl: tf.sigmoid, derivative: (_x, y) => mul(y, sub(1, y)) });
// 1 where x > 0, else 0 (Heaviside step).
// NOTE: one kernel instead of greater + cast (comparisons are slow loops on WASM); relu's vjp uses it.
export const [stepP, step] = unary({ name: "step", impl: (x) => tf.step(x, 0), derivative: "zero" });
export const [reluP, relu] = unary({ name: "relu", impl: tf.relu, derivative: (x) => step(x) });
// NOTE: softplus' derivative is sigmoid, which is stable for any x.
export const [softplusP, softplus] = unary({ name: "softplus", impl: tf.softplus, derivative: (x) => sigmoid(x) });
export const [erfP, erf] = unary({ name: "erf", impl: tf.erf, derivative: (x) => mul(SQRT_2_OVER_PI_TIMES_2, exp(neg(square(x)))) });

// ---------------------------------------------------------------- binary with broadcasting

type Partial = AnyTensor | "one" | "minusOne";

interface BinarySpec {
  name: string;
  impl: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;
  /** Multipliers of each input's tangent (they may broadcast against the output). */
  partials?: (x: AnyTensor, y: AnyTensor, out: AnyTensor) => [Partial, Partial];
  /** Output is bool (comparisons); no derivative. */
  compare?: boolean;
  floatOnly?: boolean;
}

function applyPartial(p: Partial, t: AnyTensor): AnyTensor {
  return p === "one" ? t : p === "minusOne" ? neg(t) : mul(t, p);
}

/**
 * NOTE: WASM's XNNPACK binary kernels return garbage above rank 6 (vmap of vmap reaches it).
 * Adjacent axes that broadcast alike merge into one, which brings any such op to a low rank.
 */
function collapsedBinary(op: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const out = broadcastShapes(op.name || "binary", a.shape, b.shape);
  const pad = (s: number[]) => [...new Array(out.length - s.length).fill(1), ...s];
  const as = pad(a.shape),
    bs = pad(b.shape);
  const ma: number[] = [],
    mb: number[] = [];
  let prev = "";
  for (let i = 0; i < out.length; i++) {
    if (out[i] === 1) continue; // size-1 axes merge with anything
    const pattern = `${as[i] === out[i] ? 1 : 0}${bs[i] === out[i] ? 1 : 0}`;
    if (pattern === prev) {
      ma[ma.length - 1] *= as[i];
      mb[mb.length - 1] *= bs[i];
    } else {
      ma.push(as[i]);
      mb.push(bs[i]);
      prev = pattern;
    }
  }
  if (ma.length > 6) return peelLeading(op, tf.reshape(a, as), tf.reshape(b, bs), out);
  const a2 = tf.reshape(a, ma),
    b2 = tf.reshape(b, mb);
  const r = op(a2, b2);
  const o = tf.reshape(r, out);
  for (const t of [a2, b2, r]) t.dispose();
  return o;
}

/** Still too many axes: one op per index of the leading axis, concatenated. */
function peelLeading(op: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, a: tf.Tensor, b: tf.Tensor, out: number[]): tf.Tensor {
  const parts: tf.Tensor[] = [];
  const row = (x: tf.Tensor, i: number) => {
    const s = tf.slice(x, [x.shape[0] === 1 ? 0 : i], [1]);
    const r = tf.reshape(s, x.shape.slice(1));
    s.dispose();
    return r;
  };
  for (let i = 0; i < out[0]; i++) {
    const ai = row(a, i),
      bi = row(b, i);
    const r = collapsedBinary(op, ai, bi);
    parts.push(tf.reshape(r, [1, ...r.shape]));
    for (const t of [ai, bi, r]) t.dispose();
  }
  const o = tf.concat(parts, 0);
  for (const t of [a, b, ...parts]) t.dispose();
  return o;
}

function binary(spec: BinarySpec): Binary {
  const prim: Primitive<{}> = definePrimitive<{}>({
    name: spec.name,
    abstractEval([a, b]) {
      checkSameDType(spec.name, a, b);
      if (spec.floatOnly) checkFloat(spec.name, [a, b]);
      if (a.dtype === "bool" && !spec.compare)
        throw new DTypeError(
          { op: spec.name, expected: "float32 or int32", got: "bool" },
          `${spec.name}: expects numeric tensors, got bool`,
        );
      return { shape: broadcastShapes(spec.name, a.shape, b.shape), dtype: spec.compare ? "bool" : a.dtype };
    },
    impl: ([a, b]) => (Math.max(a.rank, b.rank) > 6 ? collapsedBinary(spec.impl, a, b) : spec.impl(a, b)),
    jvp([x, y], [tx, ty], _p, out) {
      if (!spec.partials || (tx === null && ty === null)) return null;
      const [px, py] = spec.partials(x, y, out);
      let t: AnyTensor | null = null;
      if (tx !== null) t = applyPartial(px, tx);
      if (ty !== null) {
        const u = applyPartial(py, ty);
        t = t === null ? u : add(t, u);
      }
      return t === null || sameShape(t.shape, out.shape) ? t : broadcastTo(t, out.shape);
    },
    vjp(ct, [x, y], _p, out) {
      if (!spec.partials) return [null, null];
      const [px, py] = spec.partials(x, y, out);
      return [unbroadcast(applyPartial(px, ct), x.shape), unbroadcast(applyPartial(py, ct), y.shape)];
    },
    batch: (inputs, batched) => batchBroadcasting(prim, inputs, batched),
  });
  // a number takes the tensor operand's dtype
  const fn = (x: Operand, y: Operand): AnyTensor => {
    const a = asTensor(x, typeof y === "number" ? undefined : y);
    return bind(prim, [a, asTensor(y, a)]);
  };
  return [prim, fn];
}

/** Batching rule of a broadcasting op: batched inputs get size-1 axes so every example has the same rank. */
function batchBroadcasting(prim: Primitive<{}>, inputs: AnyTensor[], batched: boolean[]): AnyTensor {
  const rank = Math.max(...inputs.map((v, i) => v.rank - (batched[i] ? 1 : 0)));
  return bind(
    prim,
    inputs.map((v, i) => (batched[i] ? alignBatched(v, rank) : v)),
    {},
  );
}

export const [addP, add] = binary({ name: "add", impl: tf.add, partials: () => ["one", "one"] });
export const [subP, sub] = binary({ name: "sub", impl: tf.sub, partials: () => ["one", "minusOne"] });
export const [mulP, mul] = binary({ name: "mul", impl: tf.mul, partials: (x, y) => [y, x] });
export const [divP, div] = binary({
  name: "div",
  impl: (a, b) => (a.dtype === "int32" ? tf.floorDiv(a, b) : tf.div(a, b)),
  partials: (_x, y, out) => [reciprocal(y), neg(div(out, y))],
});
export const [powP, pow] = binary({
  name: "pow",
  impl: tf.pow,
  floatOnly: true,
  // NOTE: d/dy x^y = x^y log x; masked where x <= 0 so a zero base does not poison the gradient with NaN.
  partials: (x, y, out) => [mul(y, pow(x, sub(y, 1))), mul(out, where(greater(x, 0), log(where(greater(x, 0), x, 1)), 0))],
});
// NOTE: ties send the whole gradient to the first argument, as in JAX.
export const [maximumP, maximum] = binary({
  name: "maximum",
  impl: tf.maximum,
  partials: (x, y) => [castTo(greaterEqual(x, y)), castTo(less(x, y))],
});
export const [minimumP, minimum] = binary({
  name: "minimum",
  impl: tf.minimum,
  partials: (x, y) => [castTo(lessEqual(x, y)), castTo(greater(x, y))],
});
export const [greaterP, greater] = binary({ name: "greater", impl: tf.greater, compare: true });
export const [greaterEqualP, greaterEqual] = binary({ name: "greaterEqual", impl: tf.greaterEqual, compare: true });
export const [lessP, less] = binary({ name: "less", impl: tf.less, compare: true });
export const [lessEqualP, lessEqual] = binary({ name: "lessEqual", impl: tf.lessEqual, compare: true });
export const [equalP, equal] = binary({ name: "equal", impl: tf.equal, compare: true });
export const [notEqualP, notEqual] = binary({ name: "notEqual", impl: tf.notEqual, compare: true });

// ---------------------------------------------------------------- where, cast

export const whereP: Primitive<{}> = definePrimitive<{}>({
  name: "where",
  abstractEval([c, a, b]) {
    if (c.dtype !== "bool")
      throw new DTypeError({ op: "where", expected: "bool", got: c.dtype }, `where: condition must be bool, got ${c.dtype}`);
    checkSameDType("where", a, b);
    return { shape: broadcastShapes("where", broadcastShapes("where", c.shape, a.shape), b.shape), dtype: a.dtype };
  },
  impl: ([c, a, b]) => tf.where(c, a, b),
  jvp([c], [, ta, tb], _p, out) {
    if (ta === null && tb === null) return null;
    const zero = zerosLike(out);
    return where(c, ta ?? zero, tb ?? zero);
  },
  vjp(ct, [c, a, b]) {
    const zero = zerosLike(ct);
    return [null, unbroadcast(where(c, ct, zero), a.shape), unbroadcast(where(c, zero, ct), b.shape)];
  },
  batch: (inputs, batched) => batchBroadcasting(whereP, inputs, batched),
});

export const castP: Primitive<{ dtype: "float32" | "int32" | "bool" }> = definePrimitive<{ dtype: "float32" | "int32" | "bool" }>({
  name: "cast",
  abstractEval([x], { dtype }) {
    if (dtype !== "float32" && dtype !== "int32" && dtype !== "bool")
      throw new DTypeError(
        { op: "cast", expected: '"float32", "int32" or "bool"', got: String(JSON.stringify(dtype)) },
        `cast: unknown dtype ${JSON.stringify(dtype)}`,
      );
    return { shape: x.shape, dtype };
  },
  // NOTE: the WASM Cast kernel truncates to bool (0.3 -> false, 2.5 -> 2, -1 -> 255); bool is x != 0.
  impl: ([x], { dtype }) => (dtype === "bool" && x.dtype !== "bool" ? tf.notEqual(x, 0) : tf.cast(x, dtype)),
  jvp: ([x], [t], { dtype }) => (t !== null && x.dtype === "float32" && dtype === "float32" ? t : null),
  vjp: (ct, [x], { dtype }) => [x.dtype === "float32" && dtype === "float32" ? ct : null],
  batch: ([x], _b, p) => bind(castP, [x], p),
});

// ---------------------------------------------------------------- untyped functions used by rules

export function where(cond: AnyTensor, a: Operand, b: Operand): AnyTensor {
  const ta = asTensor(a, typeof b === "number" ? undefined : b);
  return bind(whereP, [cond, ta, asTensor(b, ta)]);
}

export function cast(x: AnyTensor, dtype: "float32" | "int32" | "bool"): AnyTensor {
  return x.dtype === dtype ? x : bind(castP, [x], { dtype });
}

export function reciprocal(x: AnyTensor): AnyTensor {
  return div(1, x);
}

function castTo(x: AnyTensor): AnyTensor {
  return cast(x, "float32");
}

function constantLike(x: AnyTensor, v: number): AnyTensor {
  return asTensor(v, x);
}

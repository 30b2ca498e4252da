// Finite differences for float32 functions.
// NOTE: f runs in float32, so a plain central difference loses ~|f|·2^-24/eps to rounding and
// eps²·|f'''| to truncation. We take central differences at eps and eps/2 and combine them
// (Richardson: (4·D(eps/2) - D(eps)) / 3 cancels the eps² term), and use |D(eps/2) - D(eps)|
// as an error estimate, so tolerances follow the function instead of a guess.
// Directions are multiples of 1/256 and eps a power of two: x ± eps·v is then exact in float32
// for |x| < 256, and the step taken is the step we divide by.
import * as tf from "@tensorflow/tfjs-core";
import { Concrete, formatShape, sameShape, Tensor, type AnyTensor, DTypeError, ShapeError, ValueError } from "../tensor/index.js";
import { flatten, unflatten, structureDiff } from "../tree/index.js";
import { call, type AnyFunction } from "../core/index.js";

/** Default step: a power of two, large enough for float32 and small enough for smooth functions. */
export const DEFAULT_EPS = 2 ** -7;
const FLOAT32_ULP = 2 ** -23;

/** Float inputs in, float outputs out: what finite differences and checkGrads work on. */
export interface FlatFunction {
  call(inputs: AnyTensor[]): AnyTensor[];
  readonly inputNames: readonly string[];
  readonly label: string;
}

/** Values of a list of float tensors, as float64 copies of their float32 data. */
export interface Point {
  readonly shapes: readonly (readonly number[])[];
  readonly data: readonly Float64Array[];
}

/** Small seeded generator (mulberry32): checks are reproducible from their seed. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** A direction with entries in [-1, 1], multiples of 1/256, not all zero. */
  direction(size: number): Float64Array {
    const v = new Float64Array(size);
    for (let i = 0; i < size; i++) v[i] = Math.round((2 * this.next() - 1) * 256) / 256;
    if (size > 0 && v.every((x) => x === 0)) v[0] = 1;
    return v;
  }
}

export function readFloat64(t: AnyTensor): Float64Array {
  return Float64Array.from(t.dataSync() as ArrayLike<number>);
}

/** Runs `fn` on float32 tensors made from `data`; everything it allocates is freed. */
export function evaluate(fn: FlatFunction, shapes: readonly (readonly number[])[], data: readonly Float64Array[]): Point {
  let out: Point | undefined;
  tf.tidy(() => {
    const inputs = data.map((d, i) => new Concrete(tf.tensor(Float32Array.from(d), shapes[i] as number[], "float32")) as AnyTensor);
    const ys = fn.call(inputs);
    // NOTE: assigned, not returned: tidy walks a returned typed array element by element
    out = { shapes: ys.map((y) => [...y.shape]), data: ys.map(readFloat64) };
  });
  return out!;
}

export interface Difference {
  /** Richardson-extrapolated directional derivative, per output. */
  value: Float64Array[];
  /** Estimated error of `value`, per entry (truncation and rounding). */
  error: Float64Array[];
  shapes: (readonly number[])[];
}

/** Directional derivative of `fn` at `x` along `v` by central differences (see the note on top). */
export function centralDifference(fn: FlatFunction, x: Point, v: readonly Float64Array[], eps: number): Difference {
  const at = (s: number) =>
    evaluate(
      fn,
      x.shapes,
      x.data.map((d, i) => d.map((xi, j) => xi + s * v[i][j])),
    );
  const p1 = at(eps),
    m1 = at(-eps),
    p2 = at(eps / 2),
    m2 = at(-eps / 2);
  const value: Float64Array[] = [];
  const error: Float64Array[] = [];
  p1.data.forEach((a, k) => {
    const n = a.length;
    const val = new Float64Array(n),
      err = new Float64Array(n);
    let scale = 0;
    for (const pt of [p1, m1, p2, m2]) for (const y of pt.data[k]) if (Number.isFinite(y)) scale = Math.max(scale, Math.abs(y));
    // rounding in f itself: a few ulps of the largest value, divided by the step
    const floor = (8 * FLOAT32_ULP * scale) / eps;
    for (let j = 0; j < n; j++) {
      const d1 = (p1.data[k][j] - m1.data[k][j]) / (2 * eps);
      const d2 = (p2.data[k][j] - m2.data[k][j]) / eps;
      val[j] = (4 * d2 - d1) / 3;
      err[j] = Math.abs(d2 - d1) + floor;
    }
    value.push(val);
    error.push(err);
  });
  return { value, error, shapes: p1.shapes.map((s) => [...s]) };
}

// ---------------------------------------------------------------- public helpers on user functions

/** `f` over pytree `args` as a function of its float32 leaves (other leaves are held fixed). */
export function flatFunction(
  f: AnyFunction,
  args: readonly unknown[],
  label = "f",
): { fn: FlatFunction; point: Point; outputNames: () => string[] } {
  const [leaves, def] = flatten(args);
  const names = leafNames(args, "args");
  const diff = leaves.map((l, i) => (l.dtype === "float32" ? i : -1)).filter((i) => i >= 0);
  let outputNames: string[] = [];
  const fn: FlatFunction = {
    label,
    inputNames: diff.map((i) => names[i]),
    call(inputs) {
      const full = [...leaves];
      diff.forEach((j, k) => (full[j] = inputs[k]));
      const out = call(f, unflatten<unknown[]>(def, full));
      const [outs] = flatten(out);
      const keep = outs.map((o) => o.dtype === "float32");
      outputNames = leafNames(out, "output").filter((_, i) => keep[i]);
      return outs.filter((_, i) => keep[i]);
    },
  };
  const point: Point = {
    shapes: diff.map((i) => [...leaves[i].shape]),
    data: diff.map((i) => readFloat64(leaves[i])),
  };
  return { fn, point, outputNames: () => outputNames };
}

/** Readable names of a tree's tensor leaves: `args[0]`, `args[1].w`. */
export function leafNames(tree: unknown, root: string): string[] {
  const out: string[] = [];
  const walk = (x: unknown, path: string): void => {
    if (x instanceof Tensor) out.push(path);
    else if (Array.isArray(x)) x.forEach((c, i) => walk(c, `${path}[${i}]`));
    else if (x !== null && typeof x === "object" && (Object.getPrototypeOf(x) === Object.prototype || Object.getPrototypeOf(x) === null)) {
      for (const k of Object.keys(x).sort()) walk((x as Record<string, unknown>)[k], `${path}.${k}`);
    }
  };
  walk(tree, root);
  return out;
}

/** Options of `numericalJvp` and `numericalGrad`. */
export interface DifferenceOptions {
  /** Step (default 2^-7; a power of two keeps x ± eps·v exact). */
  eps?: number;
}

/**
 * The directional derivative `J·tangents` of `f` at `primals` by central differences, one
 * float64 array per float32 output leaf (flatten order). `tangents` has the structure of
 * `primals`; only float32 leaves are perturbed.
 * ```ts
 * const [fd] = numericalJvp((x) => sin(x), [x], [ones([3])]);   // ≈ cos(x)
 * ```
 */
export function numericalJvp(
  f: AnyFunction,
  primals: readonly unknown[],
  tangents: readonly unknown[],
  opts: DifferenceOptions = {},
): Float64Array[] {
  const diff = structureDiff(flatten(primals)[1], flatten(tangents)[1]);
  if (diff)
    throw new ValueError(
      { op: "numericalJvp", expected: "tangents with the primals' structure", got: diff },
      `numericalJvp: primals and tangents differ in structure ${diff}`,
    );
  const { fn, point } = flatFunction(f, primals);
  const tl = flatten(tangents)[0].filter((_, i) => flatten(primals)[0][i].dtype === "float32");
  tl.forEach((t, i) => {
    const s = t.shape;
    if (!sameShape(s, point.shapes[i])) {
      throw new ShapeError(
        { op: "numericalJvp", expected: formatShape(point.shapes[i]), got: formatShape(s) },
        `numericalJvp: tangent for ${fn.inputNames[i]} has shape ${formatShape(s)}, its primal ${formatShape(point.shapes[i])}`,
      );
    }
  });
  return centralDifference(fn, point, tl.map(readFloat64), opts.eps ?? DEFAULT_EPS).value;
}

/**
 * The gradient of a scalar function of one tensor by central differences in every coordinate
 * (2 evaluations per entry and step, so keep `x` small). Row-major float64 values.
 * ```ts
 * assertAllClose(grad(f)(x), numericalGrad(f, x), { rtol: 1e-3, atol: 1e-4 });
 * ```
 */
export function numericalGrad<X extends AnyTensor>(f: (x: X) => AnyTensor, x: X, opts: DifferenceOptions = {}): Float64Array {
  if (x.dtype !== "float32")
    throw new DTypeError({ op: "numericalGrad", expected: "float32", got: x.dtype }, `numericalGrad: x must be float32, got ${x.dtype}`);
  const { fn, point } = flatFunction(f, [x]);
  const g = new Float64Array(x.size);
  const e = new Float64Array(x.size);
  for (let j = 0; j < x.size; j++) {
    e.fill(0);
    e[j] = 1;
    const d = centralDifference(fn, point, [e], opts.eps ?? DEFAULT_EPS);
    if (d.value.length !== 1 || d.value[0].length !== 1) {
      throw new ShapeError(
        { op: "numericalGrad", expected: "one scalar", got: d.shapes.map((s) => formatShape(s)).join(", ") },
        `numericalGrad: f must return one scalar, got shapes ${d.shapes.map((s) => formatShape(s)).join(", ")}`,
      );
    }
    g[j] = d.value[0][0];
  }
  return g;
}

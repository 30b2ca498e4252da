// fast-check arbitraries for shapes and tensor data.
// NOTE: arbitraries yield plain data (`TensorValue`), never live tensors: fast-check keeps,
// replays and shrinks generated values, so a tfjs tensor made at generation time would leak.
// Tensors are made inside the property (`value.toTensor()`, `withTensors`) and freed after.
import * as fc from "fast-check";
import * as tf from "@tensorflow/tfjs-core";
import {
  Concrete,
  formatShape,
  type AnyTensor,
  type DataOf,
  type DType,
  type Tensor,
  type Writable,
  ShapeError,
  ValueError,
} from "../tensor/index.js";

/** `readonly [2, 3]` (what a `const` type parameter infers) as `[2, 3]` (what `Tensor` types use). */
export type MutableShape<S extends readonly number[]> = Writable<S>;

/** Data and shape of a tensor, as plain values: safe to generate, shrink and print. */
export class TensorValue<S extends readonly number[] = readonly number[], D extends DType = DType> {
  constructor(
    /** The dims, e.g. `[2, 3]`. */
    readonly shape: S,
    /** The values, row-major, in the typed array of the dtype (Float32Array, Int32Array, Uint8Array for bool). */
    readonly data: DataOf<D>,
    /** `"float32"`, `"int32"` or `"bool"`. */
    readonly dtype: D,
  ) {
    const n = shape.reduce((a, b) => a * b, 1);
    if (data.length !== n)
      throw new ShapeError(
        { op: "TensorValue", expected: `${n} values`, got: String(data.length) },
        `TensorValue: shape ${formatShape(shape)} needs ${n} values, got ${data.length}`,
      );
  }

  /** The number of values. */
  get size(): number {
    return this.data.length;
  }

  /** The number of dims. */
  get rank(): number {
    return this.shape.length;
  }

  /** A new tensor holding this data; the caller disposes it. */
  toTensor(): Tensor<S, D> {
    return new Concrete<S, D>(tf.tensor(this.data, [...this.shape], this.dtype));
  }

  /** `TensorValue([2], float32, [0.5, -1])`: how a counterexample reads. */
  toString(): string {
    const values = Array.from(this.data as ArrayLike<number>, (v) => (this.dtype === "float32" ? Number(v.toPrecision(6)) : v));
    return `TensorValue(${formatShape(this.shape)}, ${this.dtype}, [${values.join(", ")}])`;
  }

  /** How fast-check prints a counterexample. */
  [fc.toStringMethod](): string {
    return this.toString();
  }
}

/** Options of `arbShape({ minRank, maxRank, minDim, maxDim, allowEmpty })`. */
export interface ShapeOptions {
  /** Default 0. */
  minRank?: number;
  /** Default 3. */
  maxRank?: number;
  /** Default 1. */
  minDim?: number;
  /** Default 4. */
  maxDim?: number;
  /** Also draw dims of size 0 (about one dim in ten), to test empty tensors. Default false. */
  allowEmpty?: boolean;
}

/**
 * Shapes with rank in `[minRank, maxRank]` and dims in `[minDim, maxDim]`; shrinks towards
 * low ranks and small dims.
 * ```ts
 * fc.assert(fc.property(arbShape({ maxRank: 3 }), (s) => s.length <= 3));
 * ```
 */
export function arbShape(opts: ShapeOptions = {}): fc.Arbitrary<number[]> {
  const { minRank = 0, maxRank = 3, minDim = 1, maxDim = 4, allowEmpty = false } = opts;
  if (minRank < 0 || maxRank < minRank)
    throw new ValueError(
      { op: "arbShape", expected: "0 <= minRank <= maxRank", got: `${minRank}..${maxRank}` },
      `arbShape: need 0 <= minRank <= maxRank, got ${minRank}..${maxRank}`,
    );
  if (minDim < 0 || maxDim < minDim)
    throw new ValueError(
      { op: "arbShape", expected: "0 <= minDim <= maxDim", got: `${minDim}..${maxDim}` },
      `arbShape: need 0 <= minDim <= maxDim, got ${minDim}..${maxDim}`,
    );
  const dim = fc.integer({ min: minDim, max: maxDim });
  const dims = allowEmpty && minDim > 0 ? fc.oneof({ weight: 9, arbitrary: dim }, { weight: 1, arbitrary: fc.constant(0) }) : dim;
  return fc.array(dims, { minLength: minRank, maxLength: maxRank });
}

/** Options of `arbTensor(shape, options)`: dtype, value range, and points to keep away from. */
export interface TensorOptions<D extends DType = DType> {
  /** Default "float32". */
  dtype?: D;
  /** Smallest value (default -2 for float32, -5 for int32). */
  min?: number;
  /** Largest value (default 2 for float32, 5 for int32). */
  max?: number;
  /**
   * Points to keep float values away from, by at least `margin`: kinks (relu at 0),
   * poles, jumps (floor at integers). Values closer are pushed out to the margin.
   */
  avoid?: readonly number[];
  /** Distance kept from `avoid` and, with `distinct`, between values (default 0.05). */
  margin?: number;
  /** Float values pairwise at least `margin` apart, so max/min/sort have no near-ties. */
  distinct?: boolean;
}

/** Pushes `v` out of the margin around each avoided point, towards the side inside [min, max]. */
function pushAway(v: number, avoid: readonly number[], margin: number, min: number, max: number): number {
  for (const a of avoid) {
    if (Math.abs(v - a) >= margin) continue;
    const up = a + margin,
      down = a - margin;
    v = v >= a ? (up <= max || down < min ? up : down) : down >= min || up > max ? down : up;
  }
  return v;
}

/** Spreads values so that each is at least `gap` above the next smaller one (order is kept). */
function spread(values: number[], gap: number): number[] {
  const order = values.map((_, i) => i).sort((a, b) => values[a] - values[b]);
  const out = [...values];
  for (let k = 1; k < order.length; k++) {
    const prev = out[order[k - 1]];
    if (out[order[k]] < prev + gap) out[order[k]] = prev + gap;
  }
  return out;
}

function elements(n: number, opts: TensorOptions): fc.Arbitrary<ArrayLike<number>> {
  const dtype = opts.dtype ?? "float32";
  if (dtype === "bool") return fc.array(fc.boolean(), { minLength: n, maxLength: n }).map((bs) => Uint8Array.from(bs, (b) => (b ? 1 : 0)));
  if (dtype === "int32") {
    const { min = -5, max = 5 } = opts;
    return fc.array(fc.integer({ min, max }), { minLength: n, maxLength: n }).map((xs) => Int32Array.from(xs));
  }
  const { min = -2, max = 2, avoid = [], margin = 0.05, distinct = false } = opts;
  if (!(min <= max))
    throw new ValueError(
      { op: "arbTensor", expected: "min <= max", got: `${min}..${max}` },
      `arbTensor: need min <= max, got ${min}..${max}`,
    );
  const one = fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
  return fc.array(one, { minLength: n, maxLength: n }).map((xs) => {
    let vs = xs.map((v) => pushAway(v, avoid, margin, min, max));
    if (distinct) vs = spread(vs, margin);
    return Float32Array.from(vs);
  });
}

/**
 * Tensor data of a fixed shape, or of shapes drawn from a shape arbitrary.
 * ```ts
 * fc.property(arbTensor([2, 3], { min: 0.1, max: 3 }), (v) => {
 *   const x = v.toTensor();        // create inside the property...
 *   try { ... } finally { x.dispose(); }  // ...and free it (or use withTensors)
 * });
 * ```
 */
export function arbTensor<const S extends readonly number[], D extends DType = "float32">(
  shape: S,
  opts?: TensorOptions<D>,
): fc.Arbitrary<TensorValue<MutableShape<S>, D>>;
export function arbTensor<D extends DType = "float32">(
  shape: fc.Arbitrary<number[]>,
  opts?: TensorOptions<D>,
): fc.Arbitrary<TensorValue<number[], D>>;
export function arbTensor(shape: readonly number[] | fc.Arbitrary<number[]>, opts: TensorOptions = {}): fc.Arbitrary<TensorValue> {
  const dtype = opts.dtype ?? "float32";
  const fixed = (s: readonly number[]) => {
    const n = s.reduce((a, b) => a * b, 1);
    return elements(n, opts).map((data) => new TensorValue([...s], data as DataOf<DType>, dtype));
  };
  return Array.isArray(shape) ? fixed(shape) : (shape as fc.Arbitrary<number[]>).chain(fixed);
}

/** The shape `s` with some leading axes dropped and some dims set to 1: it broadcasts to `s`. */
export function arbBroadcastableTo(shape: readonly number[]): fc.Arbitrary<number[]> {
  return fc
    .integer({ min: 0, max: shape.length })
    .chain((rank) =>
      fc
        .array(fc.boolean(), { minLength: rank, maxLength: rank })
        .map((ones) => shape.slice(shape.length - rank).map((d, i) => (ones[i] ? 1 : d))),
    );
}

/**
 * Two shapes that broadcast together (numpy rules), and their broadcast shape.
 * ```ts
 * arbBroadcastablePair({ maxRank: 3 }).map(([a, b, out]) => ...)   // e.g. [3, 1], [4, 1, 2], [4, 3, 2]
 * ```
 */
export function arbBroadcastablePair(opts: ShapeOptions = {}): fc.Arbitrary<[number[], number[], number[]]> {
  return arbShape(opts).chain((out) =>
    fc.tuple(arbBroadcastableTo(out), arbBroadcastableTo(out)).map(([a, b]): [number[], number[], number[]] => {
      // the broadcast of a and b may be smaller than `out` (leading axes dropped from both)
      const rank = Math.max(a.length, b.length);
      const res = out.slice(out.length - rank).map((_, i) => {
        const da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
        const db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
        return da === 1 ? db : da;
      });
      return [a, b, res];
    }),
  );
}

/** Options of `arbMatmulPair(options)`. */
export interface MatmulShapeOptions {
  /** Largest number of batch axes (default 2). */
  maxBatchRank?: number;
  /** Largest dim (default 4). */
  maxDim?: number;
  /** Also draw dims of size 0 (see `ShapeOptions`). Default false. */
  allowEmpty?: boolean;
}

/** Shapes `[...batchA, m, k]` and `[...batchB, k, n]` whose batch axes broadcast together. */
export function arbMatmulPair(opts: MatmulShapeOptions = {}): fc.Arbitrary<[number[], number[]]> {
  const { maxBatchRank = 2, maxDim = 4, allowEmpty = false } = opts;
  const dim = arbShape({ minRank: 1, maxRank: 1, maxDim, allowEmpty }).map(([d]) => d);
  return fc
    .tuple(arbBroadcastablePair({ maxRank: maxBatchRank, maxDim, allowEmpty }), dim, dim, dim)
    .map(([[ba, bb], m, k, n]): [number[], number[]] => [
      [...ba, m, k],
      [...bb, k, n],
    ]);
}

/** A permutation of `[0, ..., rank - 1]`. */
export function arbPermutation(rank: number): fc.Arbitrary<number[]> {
  const axes = Array.from({ length: rank }, (_, i) => i);
  return fc.shuffledSubarray(axes, { minLength: rank, maxLength: rank });
}

/** A sorted set of distinct axes of a rank-`rank` tensor (at least `minLength`, default 0). */
export function arbAxes(rank: number, opts: { minLength?: number; maxLength?: number } = {}): fc.Arbitrary<number[]> {
  const axes = Array.from({ length: rank }, (_, i) => i);
  return fc.subarray(axes, { minLength: opts.minLength ?? 0, maxLength: opts.maxLength ?? rank });
}

// ---------------------------------------------------------------- making tensors from data

/** A tree with `TensorValue` leaves becomes the same tree with `Tensor` leaves. */
export type Materialized<T> =
  T extends TensorValue<infer S, infer D>
    ? Tensor<S, D>
    : T extends readonly unknown[]
      ? { -readonly [K in keyof T]: Materialized<T[K]> }
      : T extends Record<string, unknown>
        ? { [K in keyof T]: Materialized<T[K]> }
        : T;

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== "object") return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** New tensors for every `TensorValue` in a tree (arrays and plain records); the caller disposes them. */
export function toTensors<const T>(values: T): Materialized<T> {
  const made: AnyTensor[] = [];
  try {
    return build(values, made) as Materialized<T>;
  } catch (e) {
    for (const t of made) t.dispose();
    throw e;
  }
}

function build(x: unknown, made: AnyTensor[]): unknown {
  if (x instanceof TensorValue) {
    const t = x.toTensor();
    made.push(t);
    return t;
  }
  if (Array.isArray(x)) return x.map((c) => build(c, made));
  if (isPlainObject(x)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(x)) out[k] = build(x[k], made);
    return out;
  }
  return x;
}

/**
 * Makes tensors from the `TensorValue`s of a tree, runs `fn` on them and disposes them after
 * (also when `fn` throws or its promise rejects). Tensors that `fn` returns are the caller's.
 * ```ts
 * fc.assert(fc.property(arbTensor([3]), arbTensor([3]), (a, b) =>
 *   withTensors([a, b], ([x, y]) => { ... })));
 * ```
 */
export function withTensors<const T, R>(values: T, fn: (tensors: Materialized<T>) => R): R {
  const made: AnyTensor[] = [];
  let tensors: Materialized<T>;
  try {
    tensors = build(values, made) as Materialized<T>;
  } catch (e) {
    for (const t of made) t.dispose();
    throw e;
  }
  const free = () => {
    for (const t of made) if (!t.isDisposed) t.dispose();
  };
  let result: R;
  try {
    result = fn(tensors);
  } catch (e) {
    free();
    throw e;
  }
  if (result instanceof Promise) return result.finally(free) as R;
  free();
  return result;
}

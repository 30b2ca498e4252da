// Creation from data. Everything untyped enters here and is checked before it is trusted.
import * as tf from "@tensorflow/tfjs-core";
import type { Shape, RuntimeShape } from "../../typelevel/index.js";
import { Concrete, type Tensor, formatShape, sizeOf, type DType, type NestedArray } from "./tensor.js";

type TypedArray = Float32Array | Int32Array | Uint8Array | Float64Array;
/** `[2, 3]` rather than `readonly [2, 3]`: what `const` inference gives, as a plain tuple. */
export type Writable<S extends readonly unknown[]> = { -readonly [K in keyof S]: S[K] };

function checkShape(op: string, shape: readonly unknown[]): asserts shape is readonly number[] {
  if (!Array.isArray(shape)) throw new Error(`${op}: shape must be an array of dims, got ${String(shape)}`);
  shape.forEach((d, i) => {
    if (typeof d !== "number" || !Number.isInteger(d) || d < 0) {
      throw new Error(`${op}: dim ${i} of shape ${formatShape(shape as number[])} must be a non-negative integer, got ${String(d)}`);
    }
  });
}

function checkDType(op: string, dtype: unknown): asserts dtype is DType {
  if (dtype !== "float32" && dtype !== "int32" && dtype !== "bool") {
    throw new Error(`${op}: dtype must be "float32", "int32" or "bool", got ${JSON.stringify(dtype)}`);
  }
}

/** Flattens nested arrays, checking that they are rectangular and match `shape`. */
function flattenNested(op: string, data: readonly NestedArray[], shape: readonly number[]): number[] {
  const out: number[] = [];
  const walk = (x: NestedArray, depth: number, path: number[]): void => {
    if (depth === shape.length) {
      if (Array.isArray(x)) {
        throw new Error(`${op}: expected a number at [${path.join("][")}] for shape ${formatShape(shape)}, got an array of ${x.length}`);
      }
      out.push(typeof x === "boolean" ? Number(x) : (x as number));
      return;
    }
    if (!Array.isArray(x)) {
      throw new Error(
        `${op}: expected an array of ${shape[depth]} at ${path.length ? `[${path.join("][")}]` : "the top level"} for shape ${formatShape(shape)}, got ${String(x)}`,
      );
    }
    if (x.length !== shape[depth]) {
      throw new Error(
        `${op}: shape ${formatShape(shape)} expects ${shape[depth]} entries at ${path.length ? `[${path.join("][")}]` : "the top level"}, got ${x.length}`,
      );
    }
    for (let i = 0; i < x.length; i++) walk(x[i], depth + 1, [...path, i]);
  };
  walk(data, 0, []);
  return out;
}

function toTyped(values: ArrayLike<number>, dtype: DType): Float32Array | Int32Array | Uint8Array {
  if (dtype === "float32") return values instanceof Float32Array ? values : Float32Array.from(values);
  if (dtype === "int32") {
    const out = new Int32Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!Number.isInteger(v)) throw new Error(`tensor: int32 data must hold integers, got ${v} at index ${i}`);
      out[i] = v;
    }
    return out;
  }
  return Uint8Array.from(values, (v) => (v ? 1 : 0));
}

/**
 * A tensor from data and a shape; the data must hold exactly `sizeOf(shape)` values
 * (flat, typed array, or nested arrays matching the shape).
 * ```ts
 * const x = tensor([1, 2, 3, 4, 5, 6], [2, 3]);   // Tensor<[2, 3]>
 * ```
 */
export function tensor<const S extends readonly number[], D extends DType = "float32">(
  data: TypedArray | readonly NestedArray[] | number,
  shape: S,
  dtype?: D,
): Tensor<Writable<S>, D> {
  const op = "tensor";
  checkShape(op, shape);
  const dt = (dtype ?? "float32") as D;
  checkDType(op, dt);
  const n = sizeOf(shape);
  let flat: ArrayLike<number>;
  if (typeof data === "number") {
    flat = [data];
  } else if (ArrayBuffer.isView(data)) {
    flat = data;
  } else if (Array.isArray(data)) {
    const nested = data.length > 0 && Array.isArray(data[0]);
    // NOTE: a flat array is taken as is, also for a scalar (`tensor([3], [])`); its length is checked below
    if (nested) {
      flat = flattenNested(op, data, shape);
    } else {
      flat = data as number[];
    }
  } else {
    throw new Error(`${op}: data must be a number, an array or a typed array, got ${typeof data}`);
  }
  if (flat.length !== n) {
    throw new Error(`${op}: shape ${formatShape(shape)} needs ${n} values, got ${flat.length}`);
  }
  return new Concrete<Writable<S>, D>(tf.tensor(toTyped(flat, dt), [...shape], dt));
}

/**
 * A rank-0 tensor (shape `[]`) holding `value`, float32 unless `dtype` says otherwise.
 * ```ts
 * const lr = scalar(0.01);          // Tensor<[]>
 * const n = scalar(3, "int32");     // Tensor<[], "int32">
 * ```
 */
export function scalar<D extends DType = "float32">(value: number, dtype?: D): Tensor<[], D> {
  return tensor(value, [] as [], dtype);
}

/**
 * A tensor of zeros of `shape` (literal dims become the type), float32 unless `dtype` says otherwise.
 * ```ts
 * const b = zeros([128]);            // Tensor<[128]>
 * ```
 */
export function zeros<const S extends readonly number[], D extends DType = "float32">(shape: S, dtype?: D): Tensor<Writable<S>, D> {
  return fill(shape, 0, dtype);
}

/**
 * A tensor of ones of `shape`, float32 unless `dtype` says otherwise.
 * ```ts
 * const mask = ones([2, 3], "int32");   // Tensor<[2, 3], "int32">
 * ```
 */
export function ones<const S extends readonly number[], D extends DType = "float32">(shape: S, dtype?: D): Tensor<Writable<S>, D> {
  return fill(shape, 1, dtype);
}

/**
 * A tensor of `shape` with every entry `value` (an integer for int32).
 * ```ts
 * const half = fill([2, 2], 0.5);    // Tensor<[2, 2]>
 * ```
 */
export function fill<const S extends readonly number[], D extends DType = "float32">(
  shape: S,
  value: number,
  dtype?: D,
): Tensor<Writable<S>, D> {
  checkShape("fill", shape);
  const dt = (dtype ?? "float32") as D;
  checkDType("fill", dt);
  if (dt === "int32" && !Number.isInteger(value)) throw new Error(`fill: int32 value must be an integer, got ${value}`);
  return new Concrete<Writable<S>, D>(tf.fill([...shape], value, dt));
}

/**
 * `[0, 1, ..., n-1]`, shape `[n]` (float32, or int32 when asked).
 * ```ts
 * arange(4, "int32");   // Tensor<[4], "int32">: [0, 1, 2, 3]
 * ```
 */
export function arange<const N extends number, D extends "float32" | "int32" = "float32">(n: N, dtype?: D): Tensor<[N], D>;
/** `[start, start + step, ...]` up to `stop` (excluded), float32. */
export function arange(start: number, stop: number, step?: number): Tensor<[number]>;
export function arange(a: number, b?: number | "float32" | "int32", c?: number): Tensor<[number], "float32" | "int32"> {
  const dtype = typeof b === "string" ? b : "float32";
  if (dtype !== "float32" && dtype !== "int32") throw new Error(`arange: dtype must be "float32" or "int32", got ${JSON.stringify(dtype)}`);
  const [start, stop, step] = typeof b === "number" ? [a, b, c ?? 1] : [0, a, 1];
  if (step === 0) throw new Error("arange: step must not be 0");
  if (!Number.isFinite(start) || !Number.isFinite(stop)) throw new Error(`arange: bounds must be finite, got ${start}..${stop}`);
  return new Concrete<[number], "float32" | "int32">(tf.range(start, stop, step, dtype));
}

/**
 * `num` evenly spaced values from `start` to `stop` inclusive, shape `[num]`.
 * ```ts
 * linspace(0, 1, 5);    // Tensor<[5]>: [0, 0.25, 0.5, 0.75, 1]
 * ```
 */
export function linspace<const N extends number>(start: number, stop: number, num: N): Tensor<[N]> {
  if (!Number.isInteger(num) || num < 1) throw new Error(`linspace: num must be a positive integer, got ${num}`);
  return new Concrete<[N], "float32">(tf.linspace(start, stop, num));
}

/** The runtime shape matches `expected`; string dims match any size but must agree with each other. */
function matchShape(actual: readonly number[], expected: Shape): string | undefined {
  if (actual.length !== expected.length) return `rank ${expected.length} expected, got rank ${actual.length}`;
  const named = new Map<string, number>();
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    const a = actual[i];
    if (typeof e === "number") {
      if (e !== a) return `dim ${i} should be ${e}, got ${a}`;
    } else if (e !== "number" && e !== "?") {
      const seen = named.get(e);
      if (seen !== undefined && seen !== a) return `dim ${i} ("${e}") is ${a} but "${e}" was ${seen} earlier`;
      named.set(e, a);
    }
  }
  return undefined;
}

/**
 * Narrows a tensor of unknown shape: throws unless its runtime shape matches.
 * Named dims ("batch") match any size; the same name must mean the same size.
 * ```ts
 * const x: Tensor<Shape> = load();
 * assertShape(x, ["batch", 28, 28, 1]);   // now Tensor<["batch", 28, 28, 1]>
 * ```
 */
export function assertShape<const S extends Shape, D extends DType>(
  t: Tensor<Shape, D>,
  shape: S,
  what = "tensor",
): asserts t is Tensor<Writable<S>, D> {
  const problem = matchShape(t.shape, shape);
  if (problem) {
    throw new Error(`${what}: expected shape ${formatShape(shape)}, got ${formatShape(t.shape)} (${problem})`);
  }
}

/** `assertShape` as an expression: returns the same tensor with the narrowed type. */
export function withShape<const S extends Shape, D extends DType>(t: Tensor<Shape, D>, shape: S, what = "tensor"): Tensor<Writable<S>, D> {
  assertShape(t, shape, what);
  return t;
}

/** Data from an untyped source (JSON, files): checked against `shape` before it becomes a tensor. */
export function fromArray<const S extends readonly number[], D extends DType = "float32">(
  data: unknown,
  shape: S,
  dtype?: D,
): Tensor<Writable<S>, D> {
  if (typeof data !== "number" && !Array.isArray(data) && !ArrayBuffer.isView(data)) {
    throw new Error(
      `fromArray: expected an array or typed array for shape ${formatShape(shape)}, got ${data === null ? "null" : typeof data}`,
    );
  }
  if (Array.isArray(data)) {
    const bad = findNonNumber(data);
    if (bad) throw new Error(`fromArray: expected numbers, got ${bad}`);
  }
  return tensor(data as readonly NestedArray[], shape, dtype);
}

function findNonNumber(x: unknown, path = ""): string | undefined {
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) {
      const r = findNonNumber(x[i], `${path}[${i}]`);
      if (r) return r;
    }
    return undefined;
  }
  if (typeof x === "number" || typeof x === "boolean") return undefined;
  return `${JSON.stringify(x)} at ${path || "the top level"}`;
}

export type { RuntimeShape };

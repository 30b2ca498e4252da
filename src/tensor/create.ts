// Creation from data. Everything untyped enters here and is checked before it is trusted.
import * as tf from "@tensorflow/tfjs-core";
import type { Shape, RuntimeShape } from "../../typelevel/index.js";
import { Concrete, isTensor, type Tensor, formatShape, sizeOf, type DType, type NestedArray } from "./tensor.js";
import { describeValue, DTypeError, ShapeError, ValueError } from "./errors.js";

type TypedArray = Float32Array | Int32Array | Uint8Array | Float64Array;
/** `[2, 3]` rather than `readonly [2, 3]`: what `const` inference gives, as a plain tuple. */
export type Writable<S extends readonly unknown[]> = { -readonly [K in keyof S]: S[K] };

/**
 * The most values one tensor may hold. NOTE: tfjs kernels index with int32, so a larger tensor
 * could not be computed on even where the memory exists; asking for one is almost always a typo.
 */
export const MAX_TENSOR_SIZE = 2 ** 31 - 1;

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** Throws unless `shape` is an array of non-negative integer dims holding at most MAX_TENSOR_SIZE values. */
export function checkShape(op: string, shape: unknown): asserts shape is readonly number[] {
  if (!Array.isArray(shape)) {
    const got = describeValue(shape);
    throw new ValueError({ op, expected: "an array of dims", got }, `${op}: shape must be an array of dims, got ${got}`);
  }
  shape.forEach((d: unknown, i) => {
    if (typeof d !== "number" || !Number.isInteger(d) || d < 0) {
      throw new ShapeError(
        { op, expected: `a non-negative integer at dim ${i}`, got: String(d) },
        `${op}: dim ${i} of shape ${formatShape(shape as unknown[] as number[])} must be a non-negative integer, got ${String(d)}`,
      );
    }
  });
  checkSize(op, shape as number[]);
}

/** Throws a ShapeError naming `op` and the shape when it holds more values than a tensor can. */
export function checkSize(op: string, shape: readonly number[]): void {
  const n = sizeOf(shape);
  if (n > MAX_TENSOR_SIZE) {
    throw new ShapeError(
      { op, expected: `at most ${MAX_TENSOR_SIZE} values`, got: `${formatShape(shape)} (${n} values)` },
      `${op}: shape ${formatShape(shape)} holds ${n} values, more than a tensor can (${MAX_TENSOR_SIZE}); check the dims`,
    );
  }
}

function checkDType(op: string, dtype: unknown): asserts dtype is DType {
  if (dtype !== "float32" && dtype !== "int32" && dtype !== "bool") {
    const got = JSON.stringify(dtype) ?? String(dtype);
    throw new DTypeError(
      { op, expected: '"float32", "int32" or "bool"', got },
      `${op}: dtype must be "float32", "int32" or "bool", got ${got}`,
    );
  }
}

/** `[1][0]`: where a value sits in nested data, or "the top level". */
function formatPath(path: readonly number[]): string {
  return path.length ? `[${path.join("][")}]` : "the top level";
}

/** The nested-array path of the `index`-th value of a row-major `shape`. */
function pathOf(index: number, shape: readonly number[]): number[] {
  const path = new Array<number>(shape.length);
  for (let a = shape.length - 1; a >= 0; a--) {
    const d = Math.max(shape[a], 1);
    path[a] = index % d;
    index = Math.floor(index / d);
  }
  return path;
}

/** A value that is not a number (or boolean) in flat data, by its index. */
function checkFlatEntries(op: string, data: readonly unknown[]): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (typeof v !== "number" && typeof v !== "boolean") {
      const got = Array.isArray(v) ? `an array of ${v.length}` : (JSON.stringify(v) ?? String(v));
      throw new ValueError({ op, expected: `a number at [${i}]`, got }, `${op}: expected a number at [${i}], got ${got}`);
    }
  }
}

/**
 * Flattens nested arrays, checking that they are rectangular and match `shape`; a ragged or
 * misplaced element is named by its path (`[1][0]`).
 */
function flattenNested(op: string, data: readonly unknown[], shape: readonly number[]): number[] {
  const out: number[] = [];
  const walk = (x: unknown, depth: number, path: number[]): void => {
    if (depth === shape.length) {
      if (typeof x === "number" || typeof x === "boolean") {
        out.push(Number(x));
        return;
      }
      const got = Array.isArray(x) ? `an array of ${x.length}` : (JSON.stringify(x) ?? String(x));
      throw new ShapeError(
        { op, expected: `a number at ${formatPath(path)}`, got },
        `${op}: expected a number at ${formatPath(path)} for shape ${formatShape(shape)}, got ${got}`,
      );
    }
    if (!Array.isArray(x)) {
      throw new ShapeError(
        { op, expected: `an array of ${shape[depth]} at ${formatPath(path)}`, got: JSON.stringify(x) ?? String(x) },
        `${op}: expected an array of ${shape[depth]} at ${formatPath(path)} for shape ${formatShape(shape)}, got ${JSON.stringify(x) ?? String(x)}`,
      );
    }
    if (x.length !== shape[depth]) {
      throw new ShapeError(
        { op, expected: `${shape[depth]} entries at ${formatPath(path)}`, got: String(x.length) },
        `${op}: shape ${formatShape(shape)} expects ${shape[depth]} entries at ${formatPath(path)}, got ${x.length}`,
      );
    }
    for (let i = 0; i < x.length; i++) walk(x[i], depth + 1, [...path, i]);
  };
  walk(data, 0, []);
  return out;
}

/** Values as the typed array of `dtype`; int32 values must be integers within the int32 range (no wrap-around). */
function toTyped(op: string, values: ArrayLike<number>, dtype: DType, shape: readonly number[]): Float32Array | Int32Array | Uint8Array {
  if (dtype === "float32") return values instanceof Float32Array ? values : Float32Array.from(values);
  if (dtype === "int32") {
    if (values instanceof Int32Array) return values;
    const out = new Int32Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!Number.isInteger(v) || v < INT32_MIN || v > INT32_MAX) {
        const where = formatPath(pathOf(i, shape));
        const what = Number.isInteger(v) ? "outside the int32 range" : "not an integer";
        throw new ValueError(
          { op, expected: `an int32 (an integer in ${INT32_MIN}..${INT32_MAX})`, got: `${v} at ${where}` },
          `${op}: int32 value ${v} at ${where} is ${what} (${INT32_MIN}..${INT32_MAX})`,
        );
      }
      out[i] = v;
    }
    return out;
  }
  return Uint8Array.from(values, (v) => (v ? 1 : 0));
}

/** Runs a tfjs allocation; a failed one names the op and the shape instead of "Invalid typed array length". */
function allocate(op: string, shape: readonly number[], make: () => tf.Tensor): tf.Tensor {
  try {
    return make();
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    const n = sizeOf(shape);
    throw new ShapeError(
      { op, expected: "a shape that fits in memory", got: `${formatShape(shape)} (${n} values)` },
      `${op}: could not allocate shape ${formatShape(shape)} (${n} values): ${e.message}`,
    );
  }
}

/** Flat values of `data`: checked to be numbers and, when nested, rectangular with `shape`. */
function flatValues(op: string, data: unknown, shape: readonly number[]): ArrayLike<number> {
  if (typeof data === "number" || typeof data === "boolean") return [Number(data)];
  if (ArrayBuffer.isView(data) && !(data instanceof DataView)) return data as unknown as ArrayLike<number>;
  if (Array.isArray(data)) {
    // NOTE: a flat array is taken as is, also for a scalar (`tensor([3], [])`); its length is checked
    // by the caller. One array anywhere makes the data nested, so ragged data never flattens silently.
    if (data.some((x) => Array.isArray(x))) return flattenNested(op, data, shape);
    checkFlatEntries(op, data);
    return data as number[];
  }
  const got = describeValue(data);
  throw new ValueError(
    { op, expected: "a number, an array or a typed array", got },
    `${op}: data must be a number, an array or a typed array, got ${got}`,
  );
}

/**
 * A tensor from data and a shape; the data must hold exactly `sizeOf(shape)` values
 * (flat, typed array, or nested arrays matching the shape). Nested data must be rectangular
 * (a ragged row is an error naming its path) and int32 data must be integers within the int32
 * range. Values are taken as given, NaN and Infinity included: data from an untyped source
 * (JSON, files) goes through `fromArray`, which rejects them unless asked.
 * ```ts
 * const x = tensor([1, 2, 3, 4, 5, 6], [2, 3]);   // Tensor<[2, 3]>
 * ```
 */
export function tensor<const S extends readonly number[], D extends DType = "float32">(
  data: TypedArray | readonly NestedArray[] | number,
  shape: S,
  dtype?: D,
): Tensor<Writable<S>, D> {
  return make("tensor", data, shape, dtype ?? ("float32" as D), true);
}

function make<S extends readonly number[], D extends DType>(
  op: string,
  data: unknown,
  shape: S,
  dtype: D,
  allowNonFinite: boolean,
): Tensor<Writable<S>, D> {
  checkShape(op, shape);
  checkDType(op, dtype);
  const n = sizeOf(shape);
  const flat = flatValues(op, data, shape);
  if (flat.length !== n) {
    throw new ShapeError(
      { op, expected: `${n} values for shape ${formatShape(shape)}`, got: `${flat.length}` },
      `${op}: shape ${formatShape(shape)} needs ${n} values, got ${flat.length}`,
    );
  }
  if (!allowNonFinite && dtype === "float32") checkFinite(op, flat, shape);
  const typed = toTyped(op, flat, dtype, shape);
  return new Concrete<Writable<S>, D>(allocate(op, shape, () => tf.tensor(typed, [...shape], dtype)));
}

/** NaN and ±Infinity are rejected, named by their path, unless the caller opted in. */
function checkFinite(op: string, values: ArrayLike<number>, shape: readonly number[]): void {
  if (values instanceof Int32Array || values instanceof Uint8Array) return;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      const where = formatPath(pathOf(i, shape));
      throw new ValueError(
        { op, expected: "finite values", got: `${v} at ${where}` },
        `${op}: value at ${where} is ${v} (pass { allowNonFinite: true } to keep NaN and Infinity)`,
      );
    }
  }
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
  return filled("zeros", shape, 0, dtype);
}

/**
 * A tensor of ones of `shape`, float32 unless `dtype` says otherwise.
 * ```ts
 * const mask = ones([2, 3], "int32");   // Tensor<[2, 3], "int32">
 * ```
 */
export function ones<const S extends readonly number[], D extends DType = "float32">(shape: S, dtype?: D): Tensor<Writable<S>, D> {
  return filled("ones", shape, 1, dtype);
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
  return filled("fill", shape, value, dtype);
}

function filled<S extends readonly number[], D extends DType>(op: string, shape: S, value: number, dtype?: D): Tensor<Writable<S>, D> {
  checkShape(op, shape);
  const dt = (dtype ?? "float32") as D;
  checkDType(op, dt);
  if (typeof value !== "number" && typeof value !== "boolean") {
    const got = describeValue(value);
    throw new ValueError({ op, expected: "a number", got }, `${op}: value must be a number, got ${got}`);
  }
  if (dt === "int32" && (!Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX)) {
    throw new ValueError(
      { op, expected: "an int32 value", got: String(value) },
      `${op}: int32 value must be an integer in ${INT32_MIN}..${INT32_MAX}, got ${value}`,
    );
  }
  return new Concrete<Writable<S>, D>(allocate(op, shape, () => tf.fill([...shape], value, dt)));
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
  const op = "arange";
  const dtype = typeof b === "string" ? b : "float32";
  if (dtype !== "float32" && dtype !== "int32") {
    const got = JSON.stringify(dtype) ?? String(dtype);
    throw new DTypeError({ op, expected: '"float32" or "int32"', got }, `arange: dtype must be "float32" or "int32", got ${got}`);
  }
  const [start, stop, step] = typeof b === "number" ? [a, b, c ?? 1] : [0, a, 1];
  if (typeof step !== "number" || !Number.isFinite(step) || step === 0) {
    throw new ValueError(
      { op, expected: "a finite, non-zero step", got: String(step) },
      `arange: step must be a finite number other than 0, got ${String(step)}`,
    );
  }
  if (typeof start !== "number" || typeof stop !== "number" || !Number.isFinite(start) || !Number.isFinite(stop)) {
    throw new ValueError(
      { op, expected: "finite bounds", got: `${String(start)}..${String(stop)}` },
      `arange: bounds must be finite, got ${String(start)}..${String(stop)}`,
    );
  }
  checkSize(op, [Math.max(0, Math.ceil((stop - start) / step))]);
  return new Concrete<[number], "float32" | "int32">(tf.range(start, stop, step, dtype));
}

/**
 * `num` evenly spaced values from `start` to `stop` inclusive, shape `[num]`.
 * ```ts
 * linspace(0, 1, 5);    // Tensor<[5]>: [0, 0.25, 0.5, 0.75, 1]
 * ```
 */
export function linspace<const N extends number>(start: number, stop: number, num: N): Tensor<[N]> {
  const op = "linspace";
  if (typeof num !== "number" || !Number.isInteger(num) || num < 1) {
    throw new ValueError(
      { op, expected: "a positive integer num", got: String(num) },
      `linspace: num must be a positive integer, got ${String(num)}`,
    );
  }
  if (typeof start !== "number" || typeof stop !== "number" || !Number.isFinite(start) || !Number.isFinite(stop)) {
    throw new ValueError(
      { op, expected: "finite bounds", got: `${String(start)}..${String(stop)}` },
      `linspace: bounds must be finite, got ${String(start)}..${String(stop)}`,
    );
  }
  checkSize(op, [num]);
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
  if (!isTensor(t)) {
    const got = describeValue(t);
    throw new ValueError(
      { op: "assertShape", expected: "a tensor", got },
      `assertShape: expected a tensor${what === "tensor" ? "" : ` for ${what}`}, got ${got}`,
    );
  }
  if (!Array.isArray(shape)) {
    const got = describeValue(shape);
    throw new ValueError(
      { op: "assertShape", expected: "an array of dims", got },
      `assertShape: shape must be an array of dims, got ${got}`,
    );
  }
  const problem = matchShape(t.shape, shape);
  if (problem) {
    throw new ShapeError(
      { op: what, expected: formatShape(shape), got: formatShape(t.shape) },
      `${what}: expected shape ${formatShape(shape)}, got ${formatShape(t.shape)} (${problem})`,
    );
  }
}

/** `assertShape` as an expression: returns the same tensor with the narrowed type. */
export function withShape<const S extends Shape, D extends DType>(t: Tensor<Shape, D>, shape: S, what = "tensor"): Tensor<Writable<S>, D> {
  assertShape(t, shape, what);
  return t;
}

/** Options of `fromArray`: the dtype, and whether NaN and ±Infinity may pass. */
export interface FromArrayOptions<D extends DType = DType> {
  /** Default "float32". */
  dtype?: D;
  /** Keep NaN and ±Infinity instead of rejecting them (default false), as `data.hostArray`. */
  allowNonFinite?: boolean;
}

/**
 * Data from an untyped source (JSON, files): checked against `shape` before it becomes a tensor.
 * Everything is checked: numbers only, nested arrays rectangular (a ragged row is named by its
 * path), int32 values integers in range, and no NaN or ±Infinity unless `allowNonFinite` (the
 * same policy as `data.hostArray`: a non-finite input is almost always a bug upstream).
 * ```ts
 * const x = fromArray(JSON.parse(text), [2, 3]);                        // Tensor<[2, 3]>
 * const m = fromArray([1, NaN], [2], { allowNonFinite: true });          // keeps the NaN
 * const y = fromArray([0, 2, 1], [3], "int32");                          // or { dtype: "int32" }
 * ```
 */
export function fromArray<const S extends readonly number[], D extends DType = "float32">(
  data: unknown,
  shape: S,
  options?: D | FromArrayOptions<D>,
): Tensor<Writable<S>, D> {
  const op = "fromArray";
  const opts: FromArrayOptions<D> = typeof options === "object" && options !== null ? options : { dtype: options };
  if (typeof data !== "number" && !Array.isArray(data) && !(ArrayBuffer.isView(data) && !(data instanceof DataView))) {
    const got = describeValue(data);
    const shown = Array.isArray(shape) ? formatShape(shape) : String(shape);
    throw new ValueError(
      { op, expected: "an array or a typed array", got },
      `fromArray: expected an array or typed array for shape ${shown}, got ${got}`,
    );
  }
  if (Array.isArray(data)) {
    const bad = findNonNumber(data);
    if (bad) throw new ValueError({ op, expected: "numbers", got: bad }, `fromArray: expected numbers, got ${bad}`);
  }
  return make(op, data, shape, opts.dtype ?? ("float32" as D), opts.allowNonFinite ?? false);
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

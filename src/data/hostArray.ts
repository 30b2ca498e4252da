// Host arrays: typed-array data with an explicit shape, checked at creation.
// The first dim is the sample dim by convention; everything in src/data slices along it.

/** Element types a host array can hold (the dtypes a tensor can be made from without conversion). */
export type HostDType = "float32" | "int32";

// NOTE: tensor/shape.js, not tensor/index.js: data/ stays free of tfjs.
import { formatShape, sizeOf } from "../tensor/shape.js";
import { refused, ShapeError, DTypeError, ValueError } from "../tensor/errors.js";

// Shared with the rest of the library; the data modules import them from here.
export { formatShape, sizeOf };

/** A runtime shape: one non-negative integer per axis. Literal dims (`[number, 28, 28, 1]`) document the layout. */
export type HostShape = readonly number[];

/** The typed array that stores a dtype's values. */
export type DataFor<D extends HostDType> = D extends "int32" ? Int32Array : Float32Array;

/**
 * Data on the host (CPU memory) with its shape and dtype. Row-major, sample dim first.
 * The training loop slices mini-batches from these and only then makes tensors.
 */
export interface HostArray<S extends HostShape = HostShape, D extends HostDType = HostDType> {
  /** The values, row-major: a Float32Array (float32) or an Int32Array (int32). */
  readonly data: DataFor<D>;
  /** The dims, sample dim first: `[10000, 28, 28, 1]`. */
  readonly shape: S;
  /** `"float32"` or `"int32"`. */
  readonly dtype: D;
}

/** The same shape with its sample dim (the first) widened to `number`: what splits and batches return. */
export type WithSampleCount<S extends HostShape> = S extends readonly [number, ...infer Rest extends number[]] ? [number, ...Rest] : S;

/** Nested JS arrays of numbers, any depth (`[[1, 2], [3, 4]]`). */
export type NestedNumbers = number | readonly NestedNumbers[];

/** Options of `hostArray(data, shape, { dtype, allowNonFinite })`. */
export interface HostArrayOptions<D extends HostDType = HostDType> {
  /** Default `"int32"` for an Int32Array, `"float32"` otherwise. */
  dtype?: D;
  /** Keep NaN and ±Infinity instead of rejecting them. Default false: a non-finite input is almost always a bug upstream. */
  allowNonFinite?: boolean;
}

function checkShape(shape: HostShape, where: string): void {
  if (!Array.isArray(shape)) throw refused(where, `shape must be an array of dims`, `${String(shape)}`, ShapeError);
  shape.forEach((dim, axis) => {
    if (!Number.isInteger(dim) || dim < 0) {
      throw new ShapeError(
        { op: where, expected: `non-negative integer dims`, got: `${dim} at axis ${axis}` },
        `${where}: shape ${formatShape(shape)} has an invalid dim ${dim} at axis ${axis} (dims are non-negative integers)`,
      );
    }
  });
}

function flattenNested(data: readonly NestedNumbers[], shape: HostShape, out: number[]): void {
  // NOTE: a walk that knows the expected shape can name the first ragged row exactly.
  const visit = (node: NestedNumbers, depth: number, path: number[]): void => {
    if (depth === shape.length) {
      if (Array.isArray(node)) {
        throw new ShapeError(
          { op: "hostArray", expected: `a number at ${describePath(path)}`, got: `an array` },
          `hostArray: expected a number at ${describePath(path)}, got an array (shape ${formatShape(shape)} has rank ${shape.length})`,
        );
      }
      out.push(node as number);
      return;
    }
    if (!Array.isArray(node)) {
      throw new ShapeError(
        { op: "hostArray", expected: `an array of ${shape[depth]} values at ${describePath(path)}`, got: `${String(node)}` },
        `hostArray: expected ${describePath(path)} to be an array of ${shape[depth]} values, got ${String(node)} (shape ${formatShape(shape)})`,
      );
    }
    if (node.length !== shape[depth]) {
      const what = depth === 0 ? `the outer array` : describePath(path);
      throw refused(
        "hostArray",
        `expected ${what} to have ${shape[depth]} values`,
        `${node.length} (shape ${formatShape(shape)})`,
        ShapeError,
      );
    }
    for (let i = 0; i < node.length; i++) visit(node[i] as NestedNumbers, depth + 1, [...path, i]);
  };
  visit(data, 0, []);
}

function describePath(path: number[]): string {
  return path.length === 1 ? `row ${path[0]}` : `row [${path.join(", ")}]`;
}

function isNested(data: unknown): data is readonly NestedNumbers[] {
  return Array.isArray(data) && data.some((v) => Array.isArray(v));
}

/**
 * Make a host array from a typed array, a flat array of numbers, or nested arrays,
 * checking that the data fill the shape exactly, that every value is finite (unless
 * `allowNonFinite`), and that int32 data hold integers. A typed array of the right
 * dtype is used as is (not copied); anything else is copied. The dtype defaults to
 * `int32` for an Int32Array and `float32` otherwise.
 *
 * @example
 * const x = hostArray([[1, 2], [3, 4], [5, 6]], [3, 2] as const); // HostArray<readonly [3, 2], "float32">
 * const y = hostArray([0, 1, 1], [3], { dtype: "int32" });
 * hostArray(new Float32Array(7000), [10, 784]); // throws: shape [10, 784] needs 7840 values, got 7000
 */
export function hostArray<const S extends HostShape, D extends HostDType = "float32">(
  data: Float32Array | Int32Array | ArrayLike<number> | readonly NestedNumbers[],
  shape: S,
  options: HostArrayOptions<D> = {},
): HostArray<S, D> {
  checkShape(shape, "hostArray");
  const resolvedDtype = (options.dtype ?? (data instanceof Int32Array ? "int32" : "float32")) as D;
  if (resolvedDtype !== "float32" && resolvedDtype !== "int32") {
    throw refused("hostArray", `dtype must be "float32" or "int32"`, `${JSON.stringify(resolvedDtype)}`, DTypeError);
  }
  let flat: ArrayLike<number>;
  if (isNested(data)) {
    const out: number[] = [];
    flattenNested(data, shape, out);
    flat = out;
  } else {
    flat = data;
  }
  const expected = sizeOf(shape);
  if (flat.length !== expected) {
    throw refused("hostArray", `shape ${formatShape(shape)} needs ${expected} values`, `${flat.length}`, ShapeError);
  }
  // Check the source values, not the converted ones: Int32Array(2.5) would silently truncate.
  if (!options.allowNonFinite || resolvedDtype === "int32") checkValues(flat, resolvedDtype, options);
  const typed =
    resolvedDtype === "int32"
      ? flat instanceof Int32Array
        ? flat
        : Int32Array.from(flat)
      : flat instanceof Float32Array
        ? flat
        : Float32Array.from(flat);
  return { data: typed as DataFor<D>, shape, dtype: resolvedDtype };
}

function checkValues(values: ArrayLike<number>, dtype: HostDType, options: HostArrayOptions): void {
  if (values instanceof Int32Array) return; // always finite integers
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      if (typeof v !== "number")
        throw new ValueError(
          { op: "hostArray", expected: `a number at index ${i}`, got: `${JSON.stringify(v)}` },
          `hostArray: value at index ${i} is ${JSON.stringify(v)}, not a number`,
        );
      if (dtype === "int32")
        throw new ValueError(
          { op: "hostArray", expected: `an integer at index ${i}`, got: `${v}` },
          `hostArray: int32 value at index ${i} is ${v}, not an integer`,
        );
      if (!options.allowNonFinite) {
        throw new ValueError(
          { op: "hostArray", expected: `a finite number at index ${i}`, got: `${v}` },
          `hostArray: value at index ${i} is ${v} (pass { allowNonFinite: true } to keep NaN and Infinity)`,
        );
      }
    } else if (dtype === "int32" && !Number.isInteger(v)) {
      throw new ValueError(
        { op: "hostArray", expected: `an integer at index ${i}`, got: `${v}` },
        `hostArray: int32 value at index ${i} is ${v}, not an integer`,
      );
    } else if (dtype === "int32" && (v > 2147483647 || v < -2147483648)) {
      throw new ValueError(
        { op: "hostArray", expected: `an int32 at index ${i}`, got: `${v}` },
        `hostArray: int32 value at index ${i} is ${v}, outside the int32 range`,
      );
    }
  }
}

/** Number of samples: the first dim. */
export function sampleCount(array: HostArray): number {
  if (array.shape.length === 0)
    throw new ShapeError(
      { op: "sampleCount", expected: `a sample dim`, got: `shape []` },
      `sampleCount: a scalar host array has no sample dim (shape [])`,
    );
  return array.shape[0];
}

/** Values per sample: the product of all dims after the first. */
export function sampleSize(array: HostArray): number {
  return sizeOf(array.shape.slice(1));
}

/** A new typed array of the same kind as `like`. */
export function allocLike<D extends HostDType>(dtype: D, length: number): DataFor<D> {
  return (dtype === "int32" ? new Int32Array(length) : new Float32Array(length)) as DataFor<D>;
}

/**
 * The samples at `indices`, in that order (a copy). Indices are checked.
 *
 * @example
 * takeSamples(x, [2, 0]); // rows 2 and 0 of x
 */
export function takeSamples<S extends HostShape, D extends HostDType>(
  array: HostArray<S, D>,
  indices: ArrayLike<number>,
): HostArray<WithSampleCount<S>, D> {
  const n = sampleCount(array);
  const size = sampleSize(array);
  const out = allocLike(array.dtype, indices.length * size);
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i];
    if (!Number.isInteger(index) || index < 0 || index >= n) {
      throw new ValueError(
        { op: "takeSamples", expected: `indices in 0..${n - 1}`, got: `${index} at position ${i}` },
        `takeSamples: index ${index} at position ${i} is outside 0..${n - 1}`,
      );
    }
    out.set(array.data.subarray(index * size, (index + 1) * size), i * size);
  }
  return { data: out, shape: [indices.length, ...array.shape.slice(1)] as WithSampleCount<S>, dtype: array.dtype };
}

/**
 * Samples `start` (inclusive) to `end` (exclusive) as a view that shares memory with `array` (no copy).
 */
export function sliceSamples<S extends HostShape, D extends HostDType>(
  array: HostArray<S, D>,
  start: number,
  end: number,
): HostArray<WithSampleCount<S>, D> {
  const n = sampleCount(array);
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > n || start > end) {
    throw new ValueError(
      { op: "sliceSamples", expected: `a range within 0..${n}`, got: `${start}..${end}` },
      `sliceSamples: range ${start}..${end} is not within 0..${n}`,
    );
  }
  const size = sampleSize(array);
  return {
    data: array.data.subarray(start * size, end * size) as DataFor<D>,
    shape: [end - start, ...array.shape.slice(1)] as WithSampleCount<S>,
    dtype: array.dtype,
  };
}

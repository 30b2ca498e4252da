// From untyped data to typed data sets: check the shapes and dtypes at run time once, then carry
// them as types (what train.fit checks against the model at compile time).
import { DTypeError, ShapeError, ValueError, describeValue } from "../tensor/errors.js";
import type { Dataset } from "./dataset.js";
import { formatShape, sizeOf, type HostArray, type HostDType } from "./hostArray.js";

/** A dim of a shape spec: a size that must match exactly, or a name (`"N"`, `"batch"`) that takes any size, the same one wherever it appears. */
export type SpecDim = number | string;

/**
 * The host shape a spec stands for: sizes stay as literals, named dims become `number`.
 * @example SpecShape<["N", 28, 28, 1]>   // [number, 28, 28, 1]
 */
export type SpecShape<S extends readonly SpecDim[]> = { -readonly [K in keyof S]: S[K] extends number ? S[K] : number };

/** What `asDataset` checks: the shapes of x and y (sample dim first) and, optionally, their dtypes. */
export interface DatasetSpec<
  XS extends readonly SpecDim[] = readonly SpecDim[],
  YS extends readonly SpecDim[] = readonly SpecDim[],
  XD extends HostDType = HostDType,
  YD extends HostDType = HostDType,
> {
  /** The shape of x, e.g. `["N", 784]`. */
  x: XS;
  /** The shape of y, e.g. `["N"]` for class ids, `["N", 10]` for one-hot rows. */
  y: YS;
  /** The dtype x must have (unchecked when omitted). */
  xDType?: XD;
  /** The dtype y must have (unchecked when omitted). */
  yDType?: YD;
}

/**
 * An untyped data set (from JSON, a custom loader, a `data.Dataset` variable) checked against a
 * spec and returned typed (the same object, no copy), so `train.fit` can check it against the
 * model at compile time. Sizes must match, a name takes any size but the same one in x and y, and
 * the dtypes must be the ones given; otherwise it throws a ShapeError or DTypeError naming the
 * array, the dim and both sizes.
 * ```ts
 * const ds = data.asDataset(untyped, { x: ["N", 784], y: ["N"], xDType: "float32", yDType: "int32" });
 * // Dataset<[number, 784], [number], "float32", "int32">
 * ```
 */
export function asDataset<
  const XS extends readonly SpecDim[],
  const YS extends readonly SpecDim[],
  XD extends HostDType = HostDType,
  YD extends HostDType = HostDType,
>(ds: unknown, spec: DatasetSpec<XS, YS, XD, YD>): Dataset<SpecShape<XS>, SpecShape<YS>, XD, YD> {
  const op = "asDataset";
  checkSpec(op, spec);
  if (typeof ds !== "object" || ds === null) {
    const got = describeValue(ds);
    throw new ValueError({ op, expected: "a data set { x, y }", got }, `${op}: expected a data set { x, y }, got ${got}`);
  }
  const { x, y } = ds as { x?: unknown; y?: unknown };
  const names = new Map<string, { size: number; where: string }>();
  checkArray(op, "x", x, spec.x, spec.xDType, names);
  checkArray(op, "y", y, spec.y, spec.yDType, names);
  return ds as Dataset<SpecShape<XS>, SpecShape<YS>, XD, YD>;
}

/**
 * One host array checked against a shape spec (and a dtype, if given) and returned typed, as
 * `asDataset` does for x and y.
 * ```ts
 * const x = data.asHostArray(raw, ["N", 28, 28, 1], "float32");   // HostArray<[number, 28, 28, 1], "float32">
 * ```
 */
export function asHostArray<const S extends readonly SpecDim[], D extends HostDType = HostDType>(
  array: unknown,
  shape: S,
  dtype?: D,
): HostArray<SpecShape<S>, D> {
  const op = "asHostArray";
  checkShapeSpec(op, "shape", shape);
  checkArray(op, "the array", array, shape, dtype, new Map());
  return array as HostArray<SpecShape<S>, D>;
}

function checkSpec(op: string, spec: unknown): asserts spec is DatasetSpec {
  if (typeof spec !== "object" || spec === null) {
    const got = describeValue(spec);
    throw new ValueError({ op, expected: "a spec { x, y }", got }, `${op}: expected a spec { x: [...], y: [...] }, got ${got}`);
  }
  const s = spec as Partial<DatasetSpec>;
  checkShapeSpec(op, "spec.x", s.x);
  checkShapeSpec(op, "spec.y", s.y);
}

function checkShapeSpec(op: string, what: string, dims: unknown): asserts dims is readonly SpecDim[] {
  const ok =
    Array.isArray(dims) &&
    dims.every((d) => (typeof d === "number" ? Number.isInteger(d) && d >= 0 : typeof d === "string" && d.length > 0));
  if (!ok) {
    const got = describeValue(dims);
    throw new ValueError(
      { op, expected: "an array of sizes and names", got },
      `${op}: ${what} must be an array of dims (non-negative integers or names such as "N"), got ${got}`,
    );
  }
}

function checkArray(
  op: string,
  what: string,
  a: unknown,
  spec: readonly SpecDim[],
  dtype: HostDType | undefined,
  names: Map<string, { size: number; where: string }>,
): void {
  const arr = a as Partial<HostArray> | null | undefined;
  if (typeof arr !== "object" || arr === null || !Array.isArray(arr.shape) || !ArrayBuffer.isView(arr.data)) {
    const got = describeValue(a);
    throw new ValueError(
      { op, expected: "a host array { data, shape, dtype }", got },
      `${op}: ${what} must be a host array { data, shape, dtype } (see data.hostArray), got ${got}`,
    );
  }
  const shape = arr.shape;
  const want = `[${spec.join(", ")}]`;
  if (shape.length !== spec.length) {
    throw new ShapeError(
      { op, expected: `${what} ${want}`, got: `${what} ${formatShape(shape)}` },
      `${op}: ${what} is ${formatShape(shape)} but the spec says ${want} (rank ${shape.length} vs ${spec.length})`,
    );
  }
  spec.forEach((d, axis) => {
    const size = shape[axis];
    if (typeof d === "number") {
      if (size !== d)
        throw new ShapeError(
          { op, expected: `${what} ${want}`, got: `${what} ${formatShape(shape)}` },
          `${op}: ${what} is ${formatShape(shape)} but the spec says ${want} (dim ${axis}: ${size} vs ${d})`,
        );
      return;
    }
    const seen = names.get(d);
    if (seen === undefined) names.set(d, { size, where: `${what} dim ${axis}` });
    else if (seen.size !== size)
      throw new ShapeError(
        { op, expected: `${d} = ${seen.size}`, got: `${d} = ${size}` },
        `${op}: ${what} dim ${axis} (${d}) is ${size} but ${seen.where} (${d}) is ${seen.size}; one name, one size`,
      );
  });
  const n = sizeOf(shape);
  const length = (arr.data as ArrayLike<number>).length;
  if (length !== n) {
    throw new ValueError(
      { op, expected: `${n} values for shape ${formatShape(shape)}`, got: `${length} values` },
      `${op}: ${what} has ${length} values, but its shape ${formatShape(shape)} needs ${n}`,
    );
  }
  const actual = arr.data instanceof Int32Array ? "int32" : arr.data instanceof Float32Array ? "float32" : "other";
  if (arr.dtype !== actual) {
    throw new DTypeError(
      { op, expected: `${String(arr.dtype)} data`, got: arr.data.constructor.name },
      `${op}: ${what} says dtype ${String(arr.dtype)} but holds a ${arr.data.constructor.name}`,
    );
  }
  if (dtype !== undefined && arr.dtype !== dtype) {
    throw new DTypeError({ op, expected: dtype, got: arr.dtype }, `${op}: ${what} is ${arr.dtype} but the spec says ${dtype}`);
  }
}

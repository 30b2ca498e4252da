// Per-feature and per-sample transforms of host arrays. All return new arrays.
import type { Dataset } from "./dataset.js";
import { formatShape, sampleCount, sampleSize, type HostArray, type HostShape } from "./hostArray.js";
import { refused, ShapeError, ValueError } from "../tensor/errors.js";

/** Per-feature mean and standard deviation (a feature is one position of a sample, so an image has H·W·C). */
export interface StandardizeStats {
  /** The mean of each feature over the samples. */
  readonly mean: Float32Array;
  /** The standard deviation of each feature (0 for a constant feature, which `standardize` then only centres). */
  readonly std: Float32Array;
}

/**
 * Mean and (population) standard deviation of each feature over the samples of `x`.
 * Fit these on the training set only, then apply them to every split with `standardize`.
 *
 * @example
 * const stats = fitStandardize(train.x);
 */
export function fitStandardize(x: HostArray): StandardizeStats {
  const n = sampleCount(x);
  if (n === 0)
    throw new ShapeError(
      { op: "fitStandardize", expected: `at least one sample`, got: `shape ${formatShape(x.shape)}` },
      `fitStandardize: x has no samples (shape ${formatShape(x.shape)})`,
    );
  const size = sampleSize(x);
  const sum = new Float64Array(size);
  const sumSquares = new Float64Array(size);
  for (let i = 0; i < n; i++) {
    const offset = i * size;
    for (let j = 0; j < size; j++) sum[j] += x.data[offset + j];
  }
  const mean = sum.map((s) => s / n);
  // Two passes: sum of squared deviations is exact where E[x²] - E[x]² would cancel.
  for (let i = 0; i < n; i++) {
    const offset = i * size;
    for (let j = 0; j < size; j++) {
      const d = x.data[offset + j] - mean[j];
      sumSquares[j] += d * d;
    }
  }
  return { mean: Float32Array.from(mean), std: Float32Array.from(sumSquares, (s) => Math.sqrt(s / n)) };
}

/**
 * (x - mean) / std per feature, float32. A constant feature (std 0, e.g. an MNIST corner
 * pixel) is only centred: it is divided by 1, as scikit-learn does.
 *
 * @example
 * const stats = fitStandardize(train.x);
 * const xTrain = standardize(train.x, stats), xTest = standardize(test.x, stats);
 */
export function standardize<S extends HostShape>(x: HostArray<S>, stats: StandardizeStats): HostArray<S, "float32"> {
  const n = sampleCount(x);
  const size = sampleSize(x);
  if (stats.mean.length !== size || stats.std.length !== size) {
    throw new ShapeError(
      {
        op: "standardize",
        expected: `${stats.mean.length} features per sample`,
        got: `${size} (samples of shape ${formatShape(x.shape)})`,
      },
      `standardize: stats have ${stats.mean.length} features but samples of shape ${formatShape(x.shape)} have ${size}`,
    );
  }
  const out = new Float32Array(n * size);
  for (let i = 0; i < n; i++) {
    const offset = i * size;
    for (let j = 0; j < size; j++) {
      const std = stats.std[j];
      out[offset + j] = (x.data[offset + j] - stats.mean[j]) / (std > 0 ? std : 1);
    }
  }
  return { data: out, shape: x.shape, dtype: "float32" };
}

/**
 * Standardize the x of several splits with statistics fit on `train` alone (no test
 * information leaks into training). Returns the splits and the stats, to reuse at inference.
 *
 * @example
 * const { train, test, stats } = standardizeSplits({ train: split.train, test: split.test });
 */
export function standardizeSplits<T extends { train: Dataset } & Record<string, Dataset>>(
  splits: T,
): { [K in keyof T]: T[K] } & { stats: StandardizeStats } {
  if ("stats" in splits)
    throw new ValueError(
      { op: "standardizeSplits", expected: `split names other than "stats"`, got: `"stats"` },
      `standardizeSplits: a split may not be named "stats" (the result's key for the statistics)`,
    );
  const stats = fitStandardize(splits.train.x);
  const out: Record<string, unknown> = { stats };
  for (const [name, ds] of Object.entries(splits)) out[name] = { ...ds, x: standardize(ds.x, stats) };
  return out as { [K in keyof T]: T[K] } & { stats: StandardizeStats };
}

/**
 * Each sample divided by its L2 norm (all values of the sample as one vector), float32.
 * An all-zero sample stays zero.
 *
 * @example
 * normalizeL2(hostArray([[3, 4]], [1, 2])); // [[0.6, 0.8]]
 */
export function normalizeL2<S extends HostShape>(x: HostArray<S>): HostArray<S, "float32"> {
  const n = sampleCount(x);
  const size = sampleSize(x);
  const out = new Float32Array(n * size);
  for (let i = 0; i < n; i++) {
    const offset = i * size;
    let sumSquares = 0;
    for (let j = 0; j < size; j++) sumSquares += x.data[offset + j] ** 2;
    const scale = sumSquares > 0 ? 1 / Math.sqrt(sumSquares) : 0;
    for (let j = 0; j < size; j++) out[offset + j] = x.data[offset + j] * scale;
  }
  return { data: out, shape: x.shape, dtype: "float32" };
}

/**
 * One-hot rows from integer labels: `[N]` → `[N, depth]` float32.
 *
 * @example
 * oneHot(hostArray([2, 0], [2], { dtype: "int32" }), 3); // [[0, 0, 1], [1, 0, 0]]
 */
export function oneHot<D extends number>(labels: HostArray | ArrayLike<number>, depth: D): HostArray<[number, D], "float32"> {
  if (!Number.isInteger(depth) || depth <= 0) throw refused("oneHot", `depth must be a positive integer`, `${depth}`);
  let values: ArrayLike<number>;
  if ("shape" in labels && "data" in labels) {
    if (labels.shape.length !== 1) throw refused("oneHot", `labels must have shape [N]`, `${formatShape(labels.shape)}`, ShapeError);
    values = labels.data;
  } else {
    values = labels;
  }
  const n = values.length;
  const out = new Float32Array(n * depth);
  for (let i = 0; i < n; i++) {
    const label = values[i];
    if (!Number.isInteger(label) || label < 0 || label >= depth) {
      throw new ValueError(
        { op: "oneHot", expected: `labels in 0..${depth - 1}`, got: `${label} at index ${i}` },
        `oneHot: label at index ${i} is ${label}, outside 0..${depth - 1} (depth ${depth})`,
      );
    }
    out[i * depth + label] = 1;
  }
  return { data: out, shape: [n, depth], dtype: "float32" };
}

/**
 * How many samples carry each label 0..depth-1 (`depth` defaults to max label + 1).
 *
 * @example
 * labelCounts(loadIris().y); // [50, 50, 50]
 */
export function labelCounts(labels: HostArray | ArrayLike<number>, depth?: number): number[] {
  let values: ArrayLike<number> = labels as ArrayLike<number>;
  if ("shape" in labels && "data" in labels) {
    if (labels.shape.length !== 1) throw refused("labelCounts", `labels must have shape [N]`, `${formatShape(labels.shape)}`, ShapeError);
    values = labels.data;
  }
  let max = -1;
  for (let i = 0; i < values.length; i++) {
    const label = values[i];
    if (!Number.isInteger(label) || label < 0)
      throw new ValueError(
        { op: "labelCounts", expected: `non-negative integer labels`, got: `${label} at index ${i}` },
        `labelCounts: label at index ${i} is ${label}, not a non-negative integer`,
      );
    if (depth !== undefined && label >= depth)
      throw new ValueError(
        { op: "labelCounts", expected: `labels in 0..${depth - 1}`, got: `${label} at index ${i}` },
        `labelCounts: label at index ${i} is ${label}, outside 0..${depth - 1}`,
      );
    max = Math.max(max, label);
  }
  const counts = new Array<number>(depth ?? max + 1).fill(0);
  for (let i = 0; i < values.length; i++) counts[values[i]] += 1;
  return counts;
}

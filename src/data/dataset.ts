// A data set: inputs x and targets y with the same number of samples.
import { formatShape, type HostArray, type HostDType, type HostShape, type WithSampleCount } from "./hostArray.js";
import { refused, ShapeError } from "../tensor/errors.js";

/**
 * Inputs `x` and targets `y`, sample dim first in both. `classNames[k]` names label `k`
 * for classification sets. Typed shapes document the layout, e.g. MNIST is
 * `Dataset<[number, 28, 28, 1], [number], "float32", "int32">`.
 */
export interface Dataset<
  XS extends HostShape = HostShape,
  YS extends HostShape = HostShape,
  XD extends HostDType = HostDType,
  YD extends HostDType = HostDType,
> {
  /** The inputs, one sample per index of the first dim. */
  readonly x: HostArray<XS, XD>;
  /** The targets (int32 class ids, one-hot rows or values), as many samples as `x`. */
  readonly y: HostArray<YS, YD>;
  /** The name of each class id, for classification sets (`classNames[k]` names label k). */
  readonly classNames?: readonly string[];
}

/** The data set with the sample dim of both shapes widened to `number` (what splits and batches return). */
export type ResizedDataset<T extends Dataset> =
  T extends Dataset<infer XS, infer YS, infer XD, infer YD> ? Dataset<WithSampleCount<XS>, WithSampleCount<YS>, XD, YD> : never;

/**
 * Pair inputs and targets, checking that they have the same number of samples.
 *
 * @example
 * const ds = dataset(hostArray([[0, 0], [1, 1]], [2, 2]), hostArray([0, 1], [2], { dtype: "int32" }));
 */
export function dataset<XS extends HostShape, YS extends HostShape, XD extends HostDType, YD extends HostDType>(
  x: HostArray<XS, XD>,
  y: HostArray<YS, YD>,
  classNames?: readonly string[],
): Dataset<XS, YS, XD, YD> {
  checkDataset({ x, y }, "dataset");
  return classNames === undefined ? { x, y } : { x, y, classNames };
}

/** Throws unless x and y are ranked arrays with the same sample count. */
export function checkDataset(ds: Dataset, where: string): number {
  if (ds.x.shape.length === 0) throw refused(where, `x must have a sample dim`, `shape ${formatShape(ds.x.shape)}`, ShapeError);
  if (ds.y.shape.length === 0) throw refused(where, `y must have a sample dim`, `shape ${formatShape(ds.y.shape)}`, ShapeError);
  const n = ds.x.shape[0];
  const m = ds.y.shape[0];
  if (n !== m)
    throw new ShapeError(
      { op: where, expected: `as many samples in y as in x (${n})`, got: `${m}` },
      `${where}: x has ${n} samples but y has ${m}`,
    );
  return n;
}

/** Rebuild a data set from new x and y, keeping its class names. */
export function withArrays<T extends Dataset>(ds: T, x: HostArray, y: HostArray): ResizedDataset<T> {
  return (ds.classNames === undefined ? { x, y } : { x, y, classNames: ds.classNames }) as ResizedDataset<T>;
}

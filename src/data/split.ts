// Splitting and shuffling data sets. All pure: inputs are never modified.
import { checkDataset, withArrays, type Dataset, type ResizedDataset } from "./dataset.js";
import { sliceSamples, takeSamples } from "./hostArray.js";
import { checkSeed, hostRng } from "./rng.js";
import { refused, ShapeError, ValueError } from "../tensor/errors.js";

/**
 * The samples at `indices` of both x and y, in that order (a copy).
 *
 * @example
 * const firstTwo = takeDataset(ds, [0, 1]);
 */
export function takeDataset<T extends Dataset>(ds: T, indices: ArrayLike<number>): ResizedDataset<T> {
  checkDataset(ds, "takeDataset");
  return withArrays(ds, takeSamples(ds.x, indices), takeSamples(ds.y, indices));
}

/**
 * The data set in a random order fixed by `seed` (x and y permuted together).
 *
 * @example
 * const shuffled = shuffle(ds, 42);
 */
export function shuffle<T extends Dataset>(ds: T, seed: number): ResizedDataset<T> {
  checkSeed(seed, "shuffle");
  const n = checkDataset(ds, "shuffle");
  return takeDataset(ds, hostRng(seed).permutation(n));
}

/** Options of `trainTestSplit(ds, { testFraction, seed, stratify })`. */
export interface TrainTestSplitOptions {
  /** Fraction of samples in the test set, in (0, 1). The count is rounded to the nearest integer. */
  testFraction: number;
  /** Seed of the shuffle that picks the test samples (an integer). */
  seed: number;
  /** Keep each class's share equal in train and test (y must be int32 labels of shape [N]). */
  stratify?: boolean;
}

/** Labels of a classification data set, checked to be int32 of shape [N]. */
function labelsOf(ds: Dataset, where: string): Int32Array {
  if (ds.y.dtype !== "int32" || ds.y.shape.length !== 1) {
    throw refused(where, `stratify needs y to be int32 labels of shape [N]`, `${ds.y.dtype} [${ds.y.shape.join(", ")}]`, ShapeError);
  }
  return ds.y.data as Int32Array;
}

/**
 * A random train/test split fixed by `seed`. With `stratify`, each class is split on its
 * own, so class proportions match the whole set. Both parts are shuffled.
 *
 * @example
 * const { train, test } = trainTestSplit(loadIris(), { testFraction: 0.2, seed: 0, stratify: true });
 * // train: 120 samples (40 per class), test: 30 (10 per class)
 */
export function trainTestSplit<T extends Dataset>(
  ds: T,
  options: TrainTestSplitOptions,
): { train: ResizedDataset<T>; test: ResizedDataset<T> } {
  const { testFraction, seed, stratify = false } = options;
  const n = checkDataset(ds, "trainTestSplit");
  checkSeed(seed, "trainTestSplit");
  if (!(testFraction > 0 && testFraction < 1)) {
    throw refused("trainTestSplit", `testFraction must be in (0, 1)`, `${testFraction}`);
  }
  const rng = hostRng(seed);
  const trainIndices: number[] = [];
  const testIndices: number[] = [];
  if (stratify) {
    const labels = labelsOf(ds, "trainTestSplit");
    const byClass = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      const label = labels[i];
      const members = byClass.get(label) ?? [];
      members.push(i);
      byClass.set(label, members);
    }
    for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
      const members = byClass.get(label) as number[];
      const order = rng.permutation(members.length);
      const testCount = Math.round(members.length * testFraction);
      order.forEach((k, position) => (position < testCount ? testIndices : trainIndices).push(members[k]));
    }
  } else {
    const order = rng.permutation(n);
    const testCount = Math.round(n * testFraction);
    order.forEach((index, position) => (position < testCount ? testIndices : trainIndices).push(index));
  }
  if (testIndices.length === 0 || trainIndices.length === 0) {
    throw new ValueError(
      {
        op: "trainTestSplit",
        expected: `at least one sample in train and in test`,
        got: `${trainIndices.length} and ${testIndices.length}`,
      },
      `trainTestSplit: testFraction ${testFraction} of ${n} samples leaves ${trainIndices.length} for train and ${testIndices.length} for test; both need at least 1`,
    );
  }
  // Stratified indices come grouped by class: shuffle each part so batches mix classes.
  const mix = (indices: number[]): Int32Array => {
    const order = rng.permutation(indices.length);
    return order.map((k) => indices[k]);
  };
  return { train: takeDataset(ds, mix(trainIndices)), test: takeDataset(ds, mix(testIndices)) };
}

/** Options of `validationSplit(ds, { fraction, seed })`. */
export interface ValidationSplitOptions {
  /** Fraction of samples held out for validation, in (0, 1). */
  fraction: number;
  /** Without a seed the last `fraction` of the samples is held out, in order, as in Keras's `validationSplit`; with one, a random subset. */
  seed?: number;
}

/**
 * Hold out part of a training set for validation. Without `seed`, the last samples
 * (zero-copy views); with `seed`, a random subset (same as `trainTestSplit`).
 *
 * @example
 * const { train, validation } = validationSplit(trainSet, { fraction: 0.1 });
 */
export function validationSplit<T extends Dataset>(
  ds: T,
  options: ValidationSplitOptions,
): { train: ResizedDataset<T>; validation: ResizedDataset<T> } {
  const { fraction, seed } = options;
  const n = checkDataset(ds, "validationSplit");
  if (!(fraction > 0 && fraction < 1)) throw refused("validationSplit", `fraction must be in (0, 1)`, `${fraction}`);
  if (seed !== undefined) {
    const { train, test } = trainTestSplit(ds, { testFraction: fraction, seed });
    return { train, validation: test };
  }
  const validationCount = Math.round(n * fraction);
  const trainCount = n - validationCount;
  if (validationCount === 0 || trainCount === 0) {
    throw new ValueError(
      { op: "validationSplit", expected: `at least one sample in train and in validation`, got: `${trainCount} and ${validationCount}` },
      `validationSplit: fraction ${fraction} of ${n} samples leaves ${trainCount} for train and ${validationCount} for validation; both need at least 1`,
    );
  }
  return {
    train: withArrays(ds, sliceSamples(ds.x, 0, trainCount), sliceSamples(ds.y, 0, trainCount)),
    validation: withArrays(ds, sliceSamples(ds.x, trainCount, n), sliceSamples(ds.y, trainCount, n)),
  };
}

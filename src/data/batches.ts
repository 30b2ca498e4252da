// Mini-batches sliced from host data; the training loop turns each into tensors.
import { checkDataset, withArrays, type Dataset, type ResizedDataset } from "./dataset.js";
import { sliceSamples, takeSamples } from "./hostArray.js";
import { checkSeed, hostRng } from "./rng.js";
import { refused, ValueError } from "../tensor/errors.js";

/** Options of `batches(ds, batchSize, { seed, dropRemainder })`. */
export interface BatchesOptions {
  /** Shuffle the sample order with this seed first (use a new seed per epoch, e.g. `seed + epoch`). Without it, batches follow the data order and are zero-copy views. */
  seed?: number;
  /** Skip the last batch when it is smaller than `batchSize` (default false). Keeps every batch shape equal, so a jitted step traces once. */
  dropRemainder?: boolean;
}

function checkBatchSize(n: number, batchSize: number, where: string): void {
  if (!Number.isInteger(batchSize) || batchSize <= 0) {
    throw refused(where, `batch size must be a positive integer`, `${batchSize}`);
  }
  if (batchSize > n)
    throw new ValueError(
      { op: where, expected: `a batch size <= ${n} (the data set size)`, got: `${batchSize}` },
      `${where}: batch size ${batchSize} exceeds the data set size ${n}`,
    );
}

/**
 * Number of batches `batches` yields for `n` samples.
 *
 * @example
 * batchCount(150, 32); // 5
 * batchCount(150, 32, { dropRemainder: true }); // 4
 */
export function batchCount(n: number, batchSize: number, options: Pick<BatchesOptions, "dropRemainder"> = {}): number {
  checkBatchSize(n, batchSize, "batchCount");
  return options.dropRemainder ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
}

/**
 * Mini-batches of `batchSize` samples (the last may be smaller unless `dropRemainder`).
 * Arguments are checked when called, not when iteration starts.
 *
 * @example
 * for (const batch of batches(train, 32, { seed: epoch, dropRemainder: true })) {
 *   // batch.x.shape: [32, 28, 28, 1]
 * }
 */
export function batches<T extends Dataset>(
  ds: T,
  batchSize: number,
  options: BatchesOptions = {},
): Generator<ResizedDataset<T>, void, undefined> {
  const n = checkDataset(ds, "batches");
  checkBatchSize(n, batchSize, "batches");
  const { seed, dropRemainder = false } = options;
  if (seed !== undefined) checkSeed(seed, "batches");
  const order = seed === undefined ? undefined : hostRng(seed).permutation(n);
  const count = dropRemainder ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
  return (function* () {
    for (let b = 0; b < count; b++) {
      const start = b * batchSize;
      const end = Math.min(start + batchSize, n);
      if (order === undefined) {
        yield withArrays(ds, sliceSamples(ds.x, start, end), sliceSamples(ds.y, start, end));
      } else {
        const indices = order.subarray(start, end);
        yield withArrays(ds, takeSamples(ds.x, indices), takeSamples(ds.y, indices));
      }
    }
  })();
}

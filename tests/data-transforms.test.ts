import { expect, test } from "vitest";
import {
  augment,
  batchCount,
  batches,
  dataset,
  fitStandardize,
  hostArray,
  labelCounts,
  normalizeL2,
  oneHot,
  shuffle,
  standardize,
  standardizeSplits,
  trainTestSplit,
  validationSplit,
} from "../src/data/index.js";
import { loadIris } from "../src/data/node.js";

/** x holds each sample's own index, so a split's samples can be traced back. */
function indexed(n: number) {
  return dataset(
    hostArray(
      Float32Array.from({ length: n * 2 }, (_, k) => Math.floor(k / 2)),
      [n, 2],
    ),
    hostArray(
      Int32Array.from({ length: n }, (_, i) => i % 3),
      [n],
      { dtype: "int32" },
    ),
  );
}
const ids = (ds: { x: { data: Float32Array | Int32Array } }) => Array.from(ds.x.data).filter((_, k) => k % 2 === 0);

test("trainTestSplit: sizes, disjoint, covering, and determined by the seed", () => {
  const ds = indexed(100);
  const { train, test: held } = trainTestSplit(ds, { testFraction: 0.25, seed: 1 });
  expect(train.x.shape).toEqual([75, 2]);
  expect(held.y.shape).toEqual([25]);
  const trainIds = ids(train),
    testIds = ids(held);
  expect(new Set([...trainIds, ...testIds]).size).toBe(100);
  expect(trainIds.filter((i) => testIds.includes(i))).toEqual([]);
  // y travels with x
  train.y.data.forEach((label, k) => expect(label).toBe(trainIds[k] % 3));
  expect(ids(trainTestSplit(ds, { testFraction: 0.25, seed: 1 }).test)).toEqual(testIds);
  expect(ids(trainTestSplit(ds, { testFraction: 0.25, seed: 2 }).test)).not.toEqual(testIds);
  expect(() => trainTestSplit(ds, { testFraction: 1, seed: 0 })).toThrow("trainTestSplit: testFraction must be in (0, 1), got 1");
});

test("trainTestSplit with stratify keeps class proportions (Iris: 10 per class in test)", () => {
  const iris = loadIris();
  const { train, test: held } = trainTestSplit(iris, { testFraction: 0.2, seed: 0, stratify: true });
  expect(labelCounts(held.y, 3)).toEqual([10, 10, 10]);
  expect(labelCounts(train.y, 3)).toEqual([40, 40, 40]);
  expect(held.classNames).toEqual(["setosa", "versicolor", "virginica"]);
  // the test part is mixed, not grouped by class
  expect(Array.from(held.y.data.subarray(0, 10))).not.toEqual(new Array(10).fill(held.y.data[0]));
});

test("validationSplit: the last fraction without a seed, random with one", () => {
  const ds = indexed(10);
  const { train, validation } = validationSplit(ds, { fraction: 0.2 });
  expect(ids(train)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  expect(ids(validation)).toEqual([8, 9]);
  const random = validationSplit(ds, { fraction: 0.2, seed: 4 });
  expect(random.validation.x.shape).toEqual([2, 2]);
  expect(() => validationSplit(indexed(3), { fraction: 0.1 })).toThrow(
    "validationSplit: fraction 0.1 of 3 samples leaves 3 for train and 0 for validation; both need at least 1",
  );
});

test("shuffle is a seeded permutation of whole samples", () => {
  const ds = indexed(50);
  const a = shuffle(ds, 9);
  expect(ids(a).sort((p, q) => p - q)).toEqual(ids(ds));
  expect(ids(a)).not.toEqual(ids(ds));
  expect(ids(shuffle(ds, 9))).toEqual(ids(a));
  a.y.data.forEach((label, k) => expect(label).toBe(ids(a)[k] % 3));
  expect(Array.from(ds.x.data.subarray(0, 4))).toEqual([0, 0, 1, 1]); // input untouched
});

test("batches: sizes, remainder, seeded order, errors", () => {
  const ds = indexed(150);
  const sizes = [...batches(ds, 32)].map((b) => b.x.shape[0]);
  expect(sizes).toEqual([32, 32, 32, 32, 22]);
  expect(batchCount(150, 32)).toBe(5);
  expect([...batches(ds, 32, { dropRemainder: true })].map((b) => b.y.shape[0])).toEqual([32, 32, 32, 32]);
  expect(batchCount(150, 32, { dropRemainder: true })).toBe(4);
  const seeded = [...batches(ds, 50, { seed: 3 })].flatMap(ids);
  expect([...seeded].sort((p, q) => p - q)).toEqual(ids(ds));
  expect([...batches(ds, 50, { seed: 3 })].flatMap(ids)).toEqual(seeded);
  expect([...batches(ds, 50)].flatMap(ids)).toEqual(ids(ds));
  expect(() => batches(ds, 200)).toThrow("batches: batch size 200 exceeds the data set size 150");
  expect(() => batches(ds, 0)).toThrow("batches: batch size must be a positive integer, got 0");
});

test("standardize: stats fit on train, applied to test; constant features are only centred", () => {
  const train = hostArray(
    [
      [1, 5],
      [3, 5],
      [5, 5],
    ],
    [3, 2],
  );
  const stats = fitStandardize(train);
  expect(Array.from(stats.mean)).toEqual([3, 5]);
  expect(stats.std[0]).toBeCloseTo(Math.sqrt(8 / 3), 6);
  expect(stats.std[1]).toBe(0);
  const z = standardize(train, stats);
  expect(z.data[0]).toBeCloseTo(-2 / Math.sqrt(8 / 3), 5);
  expect(z.data[1]).toBe(0);
  const testX = standardize(hostArray([[3, 6]], [1, 2]), stats);
  expect(Array.from(testX.data)).toEqual([0, 1]);
  expect(() => standardize(hostArray([[1, 2, 3]], [1, 3]), stats)).toThrow(
    "standardize: stats have 2 features but samples of shape [1, 3] have 3",
  );
  const iris = loadIris();
  const { train: tr, test: te } = trainTestSplit(iris, { testFraction: 0.2, seed: 0 });
  const out = standardizeSplits({ train: tr, test: te });
  const refit = fitStandardize(out.train.x);
  for (let j = 0; j < 4; j++) {
    expect(refit.mean[j]).toBeCloseTo(0, 5);
    expect(refit.std[j]).toBeCloseTo(1, 5);
  }
  expect(out.test.y).toBe(te.y);
  expect(Array.from(out.stats.mean)).toEqual(Array.from(fitStandardize(tr.x).mean));
});

test("normalizeL2 scales each sample to unit norm", () => {
  const x = normalizeL2(
    hostArray(
      [
        [3, 4],
        [0, 0],
        [0, -2],
      ],
      [3, 2],
    ),
  );
  expect(Array.from(x.data)).toEqual([0.6, 0.8, 0, 0, 0, -1].map(Math.fround));
});

test("oneHot: rows, and out-of-range labels named by index and value", () => {
  const rows = oneHot(hostArray([2, 0, 1], [3], { dtype: "int32" }), 3);
  expect(rows.shape).toEqual([3, 3]);
  expect(Array.from(rows.data)).toEqual([0, 0, 1, 1, 0, 0, 0, 1, 0]);
  expect(() => oneHot([0, 1, 9, 12], 10)).toThrow("oneHot: label at index 3 is 12, outside 0..9 (depth 10)");
  expect(() => oneHot([0, -1], 3)).toThrow("oneHot: label at index 1 is -1, outside 0..2 (depth 3)");
});

test("augment: shifts move pixels and pad with zeros; flips mirror; seeded", () => {
  // 1 image 3x3, one channel, a single bright pixel at (row 0, col 0)
  const image = hostArray(
    [
      [
        [[1], [0], [0]],
        [[0], [0], [0]],
        [[0], [0], [0]],
      ],
    ],
    [1, 3, 3, 1],
  );
  const flipped = augment(image, { flipHorizontal: true, seed: 0 });
  const flippedAgain = augment(image, { flipHorizontal: true, seed: 0 });
  expect(Array.from(flipped.data)).toEqual(Array.from(flippedAgain.data));
  const mass = (d: Float32Array) => d.reduce((s, v) => s + v, 0);
  // over many seeds: some flips land the pixel at col 2; shifts keep at most one pixel
  const seen = new Set<string>();
  for (let seed = 0; seed < 40; seed++) {
    const out = augment(image, { maxShift: 1, flipHorizontal: true, seed });
    expect(mass(out.data)).toBeLessThanOrEqual(1);
    seen.add(Array.from(out.data).join(""));
  }
  expect(seen.size).toBeGreaterThan(3);
  const shifted = augment(hostArray(new Float32Array(2 * 5 * 5 * 3).fill(1), [2, 5, 5, 3]), { maxShift: 2, seed: 1 });
  expect(shifted.shape).toEqual([2, 5, 5, 3]);
  expect(mass(shifted.data)).toBeLessThanOrEqual(2 * 75);
  expect(() => augment(image, { maxShift: 1.5, seed: 0 })).toThrow("augment: maxShift must be an integer >= 0, got 1.5");
});

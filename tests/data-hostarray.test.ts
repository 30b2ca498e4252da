import { expect, test } from "vitest";
import { dataset, hostArray, hostRng, sliceSamples, takeSamples } from "../src/data/index.js";

test("hostArray keeps a typed array of the right dtype without copying", () => {
  const data = new Float32Array(6);
  const x = hostArray(data, [2, 3]);
  expect(x.data).toBe(data);
  expect(x.shape).toEqual([2, 3]);
  expect(x.dtype).toBe("float32");
  expect(hostArray(new Int32Array(2), [2]).dtype).toBe("int32");
});

test("hostArray flattens nested arrays row-major", () => {
  const x = hostArray(
    [
      [[1], [2]],
      [[3], [4]],
      [[5], [6]],
    ],
    [3, 2, 1],
  );
  expect(Array.from(x.data)).toEqual([1, 2, 3, 4, 5, 6]);
  const y = hostArray([0, 2, 1], [3], { dtype: "int32" });
  expect(y.data).toBeInstanceOf(Int32Array);
});

test("hostArray names expected and actual sizes", () => {
  expect(() => hostArray(new Float32Array(7000), [10, 784])).toThrow("hostArray: shape [10, 784] needs 7840 values, got 7000");
  expect(() => hostArray([1, 2, 3], [2, 2])).toThrow("hostArray: shape [2, 2] needs 4 values, got 3");
});

test("hostArray names the first ragged row", () => {
  const rows = [
    [1, 2, 3, 4],
    [1, 2, 3, 4],
    [1, 2, 3, 4],
    [1, 2, 3],
    [1, 2, 3, 4],
  ];
  expect(() => hostArray(rows, [5, 4])).toThrow("hostArray: expected row 3 to have 4 values, got 3 (shape [5, 4])");
  expect(() => hostArray(rows, [6, 4])).toThrow("hostArray: expected the outer array to have 6 values, got 5 (shape [6, 4])");
  expect(() => hostArray([[[1, 2]], [[1]]], [2, 1, 2])).toThrow("hostArray: expected row [1, 0] to have 2 values, got 1 (shape [2, 1, 2])");
});

test("hostArray rejects non-finite values naming the first bad index, unless allowed", () => {
  expect(() => hostArray([0, 1, Number.NaN, Infinity], [4])).toThrow(
    "hostArray: value at index 2 is NaN (pass { allowNonFinite: true } to keep NaN and Infinity)",
  );
  expect(() => hostArray(Float32Array.of(0, -Infinity), [2])).toThrow("hostArray: value at index 1 is -Infinity");
  const kept = hostArray([0, Number.NaN], [2], { dtype: "float32", allowNonFinite: true });
  expect(Number.isNaN(kept.data[1])).toBe(true);
});

test("hostArray checks int32 values and shapes", () => {
  expect(() => hostArray([0, 2.5], [2], { dtype: "int32" })).toThrow("hostArray: int32 value at index 1 is 2.5, not an integer");
  expect(() => hostArray([0, 1], [2, -1])).toThrow(
    "hostArray: shape [2, -1] has an invalid dim -1 at axis 1 (dims are non-negative integers)",
  );
});

test("dataset checks sample counts", () => {
  const x = hostArray(new Float32Array(100 * 2), [100, 2]);
  const y = hostArray(new Int32Array(99), [99]);
  expect(() => dataset(x, y)).toThrow("dataset: x has 100 samples but y has 99");
});

test("takeSamples copies rows in order; sliceSamples shares memory", () => {
  const x = hostArray(
    [
      [1, 2],
      [3, 4],
      [5, 6],
    ],
    [3, 2],
  );
  expect(Array.from(takeSamples(x, [2, 0]).data)).toEqual([5, 6, 1, 2]);
  expect(() => takeSamples(x, [3])).toThrow("takeSamples: index 3 at position 0 is outside 0..2");
  const view = sliceSamples(x, 1, 3);
  expect(view.shape).toEqual([2, 2]);
  expect(view.data.buffer).toBe(x.data.buffer);
});

test("hostRng is deterministic per seed, and seeds differ", () => {
  const a = Array.from({ length: 5 }, hostRng(7).float);
  const b = Array.from({ length: 5 }, hostRng(7).float);
  const c = Array.from({ length: 5 }, hostRng(8).float);
  expect(a).toEqual(b);
  expect(a).not.toEqual(c);
  expect(() => hostRng(1.5)).toThrow("hostRng: seed must be an integer, got 1.5");
  const perm = Array.from(hostRng(3).permutation(100)).sort((p, q) => p - q);
  expect(perm).toEqual(Array.from({ length: 100 }, (_, i) => i));
});

test("hostRng.float is uniform and normal has mean 0, variance 1", () => {
  const rng = hostRng(123);
  const n = 20000;
  let sum = 0,
    sumNormal = 0,
    sumSquares = 0,
    outside = 0;
  for (let i = 0; i < n; i++) {
    const u = rng.float();
    if (!(u >= 0 && u < 1)) outside++;
    sum += u;
    const z = rng.normal();
    sumNormal += z;
    sumSquares += z * z;
  }
  expect(outside).toBe(0);
  expect(sum / n).toBeCloseTo(0.5, 1);
  expect(Math.abs(sumNormal / n)).toBeLessThan(0.03);
  expect(sumSquares / n).toBeGreaterThan(0.95);
  expect(sumSquares / n).toBeLessThan(1.05);
});

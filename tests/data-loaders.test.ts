import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { labelCounts } from "../src/data/index.js";
import { internal, loadIris, loadMnist, MNIST_COUNT } from "../src/data/node.js";

const { mnistDigitsDir, parseDigitFile } = internal;

test("loadMnist: 10,000 real digits, [N, 28, 28, 1] float32 in [0, 1], labels 0..9", () => {
  const start = performance.now();
  const { x, y, classNames } = loadMnist();
  const seconds = (performance.now() - start) / 1000;
  expect(seconds).toBeLessThan(5); // ~0.2 s parse alone; loose for a loaded machine
  expect(MNIST_COUNT).toBe(10_000);
  expect(x.shape).toEqual([10_000, 28, 28, 1]);
  expect(x.dtype).toBe("float32");
  expect(x.data.length).toBe(10_000 * 784);
  expect(y.shape).toEqual([10_000]);
  expect(y.dtype).toBe("int32");
  expect(classNames).toHaveLength(10);
  let min = Infinity,
    max = -Infinity;
  for (const v of x.data) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  expect(min).toBe(0);
  expect(max).toBe(1);
  // The package's per-digit counts (file sizes / 784), a known property of this data.
  expect(labelCounts(y, 10)).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
  // Real digits: mostly background, mean ink ~0.13 as in the full MNIST.
  const meanPixel = x.data.reduce((s, v) => s + v, 0) / x.data.length;
  expect(meanPixel).toBeGreaterThan(0.1);
  expect(meanPixel).toBeLessThan(0.16);
});

test("loadMnist: limit gives a roughly balanced, seed-determined sample", () => {
  const a = loadMnist({ limit: 2000 });
  const counts = labelCounts(a.y, 10);
  for (const count of counts) {
    expect(count).toBeGreaterThan(140);
    expect(count).toBeLessThan(260);
  }
  const b = loadMnist({ limit: 2000 });
  expect(Array.from(b.y.data)).toEqual(Array.from(a.y.data));
  const c = loadMnist({ limit: 2000, seed: 1 });
  expect(Array.from(c.y.data)).not.toEqual(Array.from(a.y.data));
  expect(() => loadMnist({ limit: 0 })).toThrow("loadMnist: limit must be an integer in 1..10000, got 0");
});

test("loadMnist: the fast parser agrees with JSON.parse", () => {
  const bytes = readFileSync(join(mnistDigitsDir(), "5.json"));
  const fast = parseDigitFile(bytes);
  const reference = Float32Array.from((JSON.parse(bytes.toString("utf8")) as { data: number[] }).data);
  expect(fast.length).toBe(reference.length);
  expect(Buffer.from(fast.buffer).equals(Buffer.from(reference.buffer))).toBe(true);
  // And it falls back on anything unexpected.
  expect(Array.from(parseDigitFile(new TextEncoder().encode('{ "data": [0, 1e-1, -2] }')))).toEqual([0, Math.fround(0.1), -2]);
});

test("loadIris: 150 flowers, 4 features, 50 per class", () => {
  const iris = loadIris();
  expect(iris.x.shape).toEqual([150, 4]);
  expect(iris.y.shape).toEqual([150]);
  expect(iris.y.dtype).toBe("int32");
  expect(iris.classNames).toEqual(["setosa", "versicolor", "virginica"]);
  expect(labelCounts(iris.y)).toEqual([50, 50, 50]);
  expect(Array.from(iris.x.data.subarray(0, 4))).toEqual([5.1, 3.5, 1.4, 0.2].map(Math.fround));
  // setosa petals are short: every setosa has petal length < 2, every other > 2.9
  for (let i = 0; i < 150; i++) {
    const petalLength = iris.x.data[i * 4 + 2];
    if (iris.y.data[i] === 0) expect(petalLength).toBeLessThan(2);
    else expect(petalLength).toBeGreaterThan(2.9);
  }
});

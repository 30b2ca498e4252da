import { expect, test } from "vitest";
import { circles, gaussians, labelCounts } from "../src/data/index.js";

test("circles: class 0 on the unit circle, class 1 on the inner one, deterministic per seed", () => {
  const ds = circles({ n: 300, seed: 2, factor: 0.4 });
  expect(ds.x.shape).toEqual([300, 2]);
  expect(labelCounts(ds.y)).toEqual([150, 150]);
  for (let i = 0; i < 300; i++) {
    const radius = Math.hypot(ds.x.data[2 * i], ds.x.data[2 * i + 1]);
    expect(radius).toBeCloseTo(ds.y.data[i] === 1 ? 0.4 : 1, 5);
  }
  expect(Array.from(circles({ n: 300, seed: 2, factor: 0.4 }).x.data)).toEqual(Array.from(ds.x.data));
  expect(Array.from(circles({ n: 300, seed: 3, factor: 0.4 }).x.data)).not.toEqual(Array.from(ds.x.data));
  expect(() => circles({ n: 10, seed: 0, factor: 1 })).toThrow("circles: factor must be in (0, 1), got 1");
  expect(() => circles({ n: 10, seed: 0, noise: -1 })).toThrow("circles: noise must be a finite number >= 0, got -1");
});

test("gaussians: two clouds mirrored through the origin, spread by noise", () => {
  const n = 4000;
  const ds = gaussians({ n, noise: 0.2, seed: 0, center: [0.6, -0.3] });
  expect(labelCounts(ds.y)).toEqual([n / 2, n / 2]);
  const mean = [
    [0, 0],
    [0, 0],
  ];
  let spread = 0;
  for (let i = 0; i < n; i++) {
    const c = ds.y.data[i];
    mean[c][0] += ds.x.data[2 * i] / (n / 2);
    mean[c][1] += ds.x.data[2 * i + 1] / (n / 2);
    const sign = c === 1 ? 1 : -1;
    spread += (ds.x.data[2 * i] - sign * 0.6) ** 2 / n;
  }
  expect(mean[1][0]).toBeCloseTo(0.6, 1);
  expect(mean[1][1]).toBeCloseTo(-0.3, 1);
  expect(mean[0][0]).toBeCloseTo(-0.6, 1);
  expect(mean[0][1]).toBeCloseTo(0.3, 1);
  expect(Math.sqrt(spread)).toBeCloseTo(0.2, 1);
  expect(() => gaussians({ n: 0, seed: 0 })).toThrow("gaussians: n must be a positive integer, got 0");
  expect(() => gaussians({ n: 4, seed: 0.5 })).toThrow("gaussians: seed must be an integer, got 0.5");
});

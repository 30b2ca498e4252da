import { expect, test } from "vitest";
import { labelCounts, regressionLine, SIR_COLUMNS, sineWaves, sirEpidemic, twoSpirals, xor } from "../src/data/index.js";

test("xor: the truth table, and seeded noisy samples", () => {
  const table = xor();
  expect(table.x.shape).toEqual([4, 2]);
  expect(Array.from(table.x.data)).toEqual([0, 0, 0, 1, 1, 0, 1, 1]);
  expect(Array.from(table.y.data)).toEqual([0, 1, 1, 0]);
  const noisy = xor({ n: 200, noise: 0.1, seed: 3 });
  expect(noisy.x.shape).toEqual([200, 2]);
  expect(Array.from(noisy.x.data)).toEqual(Array.from(xor({ n: 200, noise: 0.1, seed: 3 }).x.data));
  // labels still follow the nearest corner
  for (let i = 0; i < 200; i++) {
    const a = Math.round(noisy.x.data[2 * i]),
      b = Math.round(noisy.x.data[2 * i + 1]);
    if (Math.abs(noisy.x.data[2 * i] - a) < 0.3 && Math.abs(noisy.x.data[2 * i + 1] - b) < 0.3) {
      expect(noisy.y.data[i]).toBe(a ^ b);
    }
  }
});

test("twoSpirals: balanced classes in [-1, 1]^2, deterministic per seed", () => {
  const ds = twoSpirals({ n: 400, noise: 0, seed: 5 });
  expect(ds.x.shape).toEqual([400, 2]);
  expect(labelCounts(ds.y)).toEqual([200, 200]);
  for (const v of ds.x.data) expect(Math.abs(v)).toBeLessThanOrEqual(1);
  // spiral 1 is spiral 0 rotated by pi: the radius of each point equals its arc parameter
  const again = twoSpirals({ n: 400, noise: 0, seed: 5 });
  expect(Array.from(again.x.data)).toEqual(Array.from(ds.x.data));
  expect(Array.from(twoSpirals({ n: 400, noise: 0, seed: 6 }).x.data)).not.toEqual(Array.from(ds.x.data));
  expect(() => twoSpirals({ n: 0, seed: 0 })).toThrow("twoSpirals: n must be a positive integer, got 0");
});

test("regressionLine: least squares recovers slope and intercept", () => {
  const { x, y } = regressionLine({ n: 2000, slope: 2, intercept: -1, noise: 0.1, seed: 0 });
  expect(x.shape).toEqual([2000, 1]);
  expect(y.shape).toEqual([2000, 1]);
  let mx = 0,
    my = 0;
  for (let i = 0; i < 2000; i++) {
    mx += x.data[i];
    my += y.data[i];
  }
  mx /= 2000;
  my /= 2000;
  let sxy = 0,
    sxx = 0;
  for (let i = 0; i < 2000; i++) {
    sxy += (x.data[i] - mx) * (y.data[i] - my);
    sxx += (x.data[i] - mx) ** 2;
  }
  const slope = sxy / sxx;
  expect(slope).toBeCloseTo(2, 1);
  expect(my - slope * mx).toBeCloseTo(-1, 1);
  const exact = regressionLine({ n: 5, slope: 3, intercept: 1, seed: 1 });
  for (let i = 0; i < 5; i++) expect(exact.y.data[i]).toBeCloseTo(3 * exact.x.data[i] + 1, 5);
});

test("sineWaves: sequences [N, T, 1] with a next-value or frequency-class target", () => {
  const next = sineWaves({ n: 64, length: 20, seed: 0 });
  expect(next.x.shape).toEqual([64, 20, 1]);
  expect(next.y.shape).toEqual([64, 1]);
  expect(next.y.dtype).toBe("float32");
  // the next value continues the sine: x[t+1] = 2cos(w)x[t] - x[t-1]; estimate 2cos(w) from the last steps
  for (let i = 0; i < 64; i++) {
    const s = next.x.data.subarray(i * 20, i * 20 + 20);
    const twoCos = (s[19] + s[17]) / s[18];
    if (Math.abs(s[18]) > 0.3) {
      expect(next.y.data[i]).toBeCloseTo(twoCos * s[19] - s[18], 3);
    }
  }
  const classes = sineWaves({ n: 300, length: 32, seed: 1, target: "frequency" });
  expect(classes.y.shape).toEqual([300]);
  expect(classes.y.dtype).toBe("int32");
  expect(classes.classNames).toEqual(["period 8", "period 16", "period 32"]);
  const counts = labelCounts(classes.y, 3);
  for (const c of counts) expect(c).toBeGreaterThan(70);
  expect(Array.from(sineWaves({ n: 64, length: 20, seed: 0 }).x.data)).toEqual(Array.from(next.x.data));
});

test("sirEpidemic: S + I + R = N every day, an epidemic peak, and RK4 accuracy", () => {
  const population = 1000;
  const curves = sirEpidemic({ beta: 0.3, gamma: 0.1, days: 160, population, i0: 1 });
  expect(curves.shape).toEqual([161, 3]);
  expect(SIR_COLUMNS).toEqual(["S", "I", "R"]);
  expect(Array.from(curves.data.subarray(0, 3))).toEqual([999, 1, 0]);
  let peak = 0;
  for (let day = 0; day <= 160; day++) {
    const [s, i, r] = curves.data.subarray(day * 3, day * 3 + 3) as unknown as [number, number, number];
    expect(s + i + r).toBeCloseTo(population, 3);
    expect(Math.min(s, i, r)).toBeGreaterThanOrEqual(0);
    if (day > 0) expect(s).toBeLessThanOrEqual(curves.data[(day - 1) * 3]);
    peak = Math.max(peak, i);
  }
  // R0 = 3: the final size z solves z = 1 - exp(-R0 z) (z ~ 0.9405), peak I/N = 1 - (1 + ln R0)/R0 ~ 0.3005
  const finalRecovered = curves.data[160 * 3 + 2] / population;
  expect(finalRecovered).toBeCloseTo(0.9405, 2);
  expect(peak / population).toBeCloseTo(0.3005, 2);
  // RK4 converges: 10 and 40 steps a day agree closely
  const fine = sirEpidemic({ beta: 0.3, gamma: 0.1, days: 160, population, i0: 1, stepsPerDay: 40 });
  for (let k = 0; k < fine.data.length; k++) expect(Math.abs(fine.data[k] - curves.data[k])).toBeLessThan(1e-2);
  expect(() => sirEpidemic({ beta: -1, gamma: 0.1, days: 10, population: 100, i0: 1 })).toThrow(
    "sirEpidemic: beta must be a finite number >= 0, got -1",
  );
});

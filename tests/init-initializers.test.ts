// Initializers: fans, variances against the formulas (tolerances ~5 standard errors), bounds,
// orthogonality, determinism, errors; the registry drives the generic checks.
import { describe, expect, test } from "vitest";
import { liveTensors } from "../src/backend/index.js";
import { jit } from "../src/core/index.js";
import type { AnyTensor } from "../src/tensor/index.js";
import { key, type Key } from "../src/random/index.js";
import {
  constant,
  fans,
  glorotNormal,
  glorotUniform,
  heNormal,
  heUniform,
  initializers,
  lecunNormal,
  lecunUniform,
  ones,
  orthogonal,
  varianceScaling,
  zeros,
  type Initializer,
} from "../src/nn/init.js";

function values(t: AnyTensor): number[] {
  const v = Array.from(t.dataSync());
  t.dispose();
  return v;
}

function meanVariance(xs: number[]): { mean: number; variance: number } {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  return { mean, variance: xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1) };
}

function maxAbs(xs: number[]): number {
  let m = 0;
  for (const x of xs) m = Math.max(m, Math.abs(x));
  return m;
}

function withKey(seed: number, body: (k: Key) => void): void {
  const before = liveTensors();
  const k = key(seed);
  body(k);
  k.dispose();
  expect(liveTensors()).toBe(before);
}

describe("fans", () => {
  test.each([
    [[], 1, 1],
    [[7], 7, 7],
    [[784, 500], 784, 500],
    [[5, 16, 32], 80, 160],
    [[3, 3, 16, 32], 144, 288],
  ])("fans(%j) = { fanIn: %d, fanOut: %d }", (shape, fanIn, fanOut) => {
    expect(fans(shape)).toEqual({ fanIn, fanOut });
  });
});

describe("variance scaling", () => {
  // [name, init, target variance from the fans, uniform?]; relative standard error of a sample
  // variance is sqrt((kurtosis - 1) / n): <= sqrt(2 / n), so 5 of them at n = 73728 is ~2.6%
  const dense = [300, 500] as const;
  const conv = [3, 3, 64, 128] as const;
  const cases: [string, Initializer, readonly number[], number, boolean][] = [
    ["glorotUniform", glorotUniform, dense, 2 / 800, true],
    ["glorotNormal", glorotNormal, dense, 2 / 800, false],
    ["heUniform", heUniform, conv, 2 / 576, true],
    ["heNormal", heNormal, conv, 2 / 576, false],
    ["lecunUniform", lecunUniform, dense, 1 / 300, true],
    ["lecunNormal", lecunNormal, conv, 1 / 576, false],
  ];
  test.each(cases)("%s: mean 0, variance as the formula, bounded support", (_name, init, shape, variance, isUniform) => {
    withKey(1, (k) => {
      const w = init(k, shape);
      expect(w.shape).toEqual(shape);
      expect(w.dtype).toBe("float32");
      const xs = values(w);
      const m = meanVariance(xs);
      expect(Math.abs(m.mean)).toBeLessThan(5 * Math.sqrt(variance / xs.length));
      expect(Math.abs(m.variance / variance - 1)).toBeLessThan(5 * Math.sqrt(2 / xs.length));
      const bound = isUniform ? Math.sqrt(3 * variance) : (2 * Math.sqrt(variance)) / 0.87962566103423978;
      expect(maxAbs(xs)).toBeLessThan(bound);
      // and the support is used: the extremes come close to the bound
      expect(maxAbs(xs)).toBeGreaterThan(0.99 * bound);
    });
  });

  test("fanIn / fanOut overrides and gain", () => {
    withKey(2, (k) => {
      const xs = values(heUniform(k, [100, 400], { fanIn: 25, gain: 3 }));
      expect(Math.abs(meanVariance(xs).variance / ((9 * 2) / 25) - 1)).toBeLessThan(5 * Math.sqrt(2 / xs.length));
      const ys = values(glorotUniform(k, [100, 400], { fanOut: 100 }));
      expect(Math.abs(meanVariance(ys).variance / (2 / 200) - 1)).toBeLessThan(5 * Math.sqrt(2 / ys.length));
    });
  });

  test('distribution "normal" is untruncated (PyTorch-style kaiming_normal_)', () => {
    withKey(3, (k) => {
      const init = varianceScaling({ scale: 2, mode: "fanIn", distribution: "normal" });
      const xs = values(init(k, [100, 1000]));
      const sd = Math.sqrt(2 / 100);
      expect(Math.abs(meanVariance(xs).variance / (sd * sd) - 1)).toBeLessThan(5 * Math.sqrt(2 / xs.length));
      expect(maxAbs(xs)).toBeGreaterThan(3 * sd); // a truncated normal never goes past 2.27 sd
    });
  });

  test("fanOut mode", () => {
    withKey(4, (k) => {
      const init = varianceScaling({ scale: 1, mode: "fanOut", distribution: "uniform" });
      const xs = values(init(k, [1000, 50]));
      expect(Math.abs(meanVariance(xs).variance / (1 / 50) - 1)).toBeLessThan(5 * Math.sqrt(2 / xs.length));
    });
  });
});

describe("orthogonal", () => {
  test.each([
    [[64, 64], 1],
    [[80, 20], Math.SQRT2],
    [[20, 80], 1],
    [[3, 3, 8, 16], 1],
  ])("orthogonal(%j, gain %d): W^T W = gain^2 I (W W^T when wide)", (shape, gain) => {
    withKey(5, (k) => {
      const w = orthogonal(k, shape, { gain });
      expect(w.shape).toEqual(shape);
      const cols = shape[shape.length - 1];
      const rows = w.size / cols;
      const a = values(w);
      const wide = rows < cols;
      const [n, m] = wide ? [cols, rows] : [rows, cols];
      const at = (i: number, r: number) => (wide ? a[i * cols + r] : a[r * cols + i]);
      let worst = 0;
      for (let i = 0; i < m; i++) {
        for (let j = 0; j <= i; j++) {
          let dot = 0;
          for (let r = 0; r < n; r++) dot += at(i, r) * at(j, r);
          worst = Math.max(worst, Math.abs(dot - (i === j ? gain * gain : 0)));
        }
      }
      expect(worst).toBeLessThan(1e-5);
    });
  });

  test("rank 1 is an error", () => {
    withKey(6, (k) => {
      expect(() => orthogonal(k, [5])).toThrow("orthogonal: shape must have rank >= 2, got [5]");
    });
  });
});

describe("constants", () => {
  test("zeros, ones, constant(v)", () => {
    withKey(7, (k) => {
      expect(values(zeros(k, [2, 3]))).toEqual([0, 0, 0, 0, 0, 0]);
      expect(values(ones(k, [4]))).toEqual([1, 1, 1, 1]);
      expect(values(constant(0.5)(k, [2]))).toEqual([0.5, 0.5]);
      expect(() => constant(NaN)).toThrow("constant: value must be a finite number, got NaN");
    });
  });
});

describe("every registered initializer", () => {
  const names = Object.keys(initializers) as (keyof typeof initializers)[];
  test("the registry holds the named initializers", () => {
    expect(names.sort()).toEqual([
      "glorotNormal",
      "glorotUniform",
      "heNormal",
      "heUniform",
      "lecunNormal",
      "lecunUniform",
      "ones",
      "orthogonal",
      "zeros",
    ]);
  });

  test.each(names)("%s: shape, dtype, finite values, determinism, works under jit, rejects non-keys", (name) => {
    withKey(8, (k) => {
      const init: Initializer = initializers[name];
      const a = values(init(k, [16, 8]));
      expect(a.length).toBe(128);
      expect(a.every(Number.isFinite)).toBe(true);
      expect(values(init(k, [16, 8]))).toEqual(a);
      const jitted = jit((kk: Key) => init(kk, [16, 8]));
      expect(values(jitted(k))).toEqual(a);
      jitted.dispose();
      expect(() => init(7 as never, [2, 2])).toThrow(`${name}: expected a PRNG key from key(seed) or split(...), got the number 7`);
      expect(() => init(k, [2, -1] as never)).toThrow(
        name === "orthogonal"
          ? "orthogonal: dim 1 of shape [2, -1]"
          : `${name}: shape must be an array of non-negative integer dims, got [2, -1]`,
      );
    });
  });

  test("random initializers give different values for different keys; empty kernels are fine", () => {
    withKey(9, (k) => {
      const other = key(10);
      for (const name of names.filter((n) => n !== "zeros" && n !== "ones")) {
        expect(values(initializers[name](k, [4, 4]))).not.toEqual(values(initializers[name](other, [4, 4])));
        expect(values(initializers[name](k, [0, 4]))).toEqual([]);
      }
      other.dispose();
    });
  });

  test("option errors", () => {
    withKey(11, (k) => {
      expect(() => heNormal(k, [2, 2], { fanIn: 0 })).toThrow("heNormal: fanIn must be a positive number, got 0");
      expect(() => glorotUniform(k, [2, 2], { gain: Infinity })).toThrow("glorotUniform: gain must be a finite number, got Infinity");
      expect(() => varianceScaling({ scale: -1, mode: "fanIn", distribution: "normal" })).toThrow(
        "varianceScaling: scale must be a positive number, got -1",
      );
      expect(() => varianceScaling({ scale: 1, mode: "fan_in" as never, distribution: "normal" })).toThrow(
        'varianceScaling: mode must be "fanIn", "fanOut" or "fanAvg", got "fan_in"',
      );
    });
  });
});

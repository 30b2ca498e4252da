// Samplers against closed forms: moments and Kolmogorov-Smirnov distances on 1e5 draws, with
// tolerances of ~5 standard errors (alpha = 0.001 for KS), exact bounds, frequencies, errors.
import { describe, expect, test } from "vitest";
import { liveTensors } from "../src/backend/index.js";
import { jit, vmap } from "../src/core/index.js";
import { tensor, type AnyTensor } from "../src/tensor/index.js";
import {
  TRUNCATED_STD_2,
  bernoulli,
  categorical,
  gumbel,
  key,
  normal,
  orthogonal,
  permutation,
  randint,
  splitStacked,
  truncatedNormal,
  uniform,
  internal,
  type Key,
} from "../src/random/index.js";

const { erf, erfinv } = internal;

const N = 100_000;

function values(t: AnyTensor): number[] {
  const v = Array.from(t.dataSync());
  t.dispose();
  return v;
}

function range(xs: number[]): [number, number] {
  let lo = Infinity,
    hi = -Infinity;
  for (const x of xs) {
    lo = Math.min(lo, x);
    hi = Math.max(hi, x);
  }
  return [lo, hi];
}

function moments(xs: number[]): { mean: number; variance: number; m4: number } {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  let v = 0,
    m4 = 0;
  for (const x of xs) {
    v += (x - mean) ** 2;
    m4 += (x - mean) ** 4;
  }
  return { mean, variance: v / (xs.length - 1), m4: m4 / xs.length };
}

/** Kolmogorov-Smirnov distance between the sample and a CDF. */
function ksDistance(xs: number[], cdf: (x: number) => number): number {
  const s = Float64Array.from(xs).sort();
  let d = 0;
  for (let i = 0; i < s.length; i++) {
    const f = cdf(s[i]);
    d = Math.max(d, Math.abs(f - i / s.length), Math.abs(f - (i + 1) / s.length));
  }
  return d;
}
/** KS critical value at alpha = 0.001. */
const KS_LIMIT = 1.95 / Math.sqrt(N);
const Phi = (x: number) => 0.5 * (1 + erf(x / Math.SQRT2));

/** Runs `body` with a fresh key and checks that no tensor is left behind. */
function withKey(seed: number, body: (k: Key) => void): void {
  const before = liveTensors();
  const k = key(seed);
  body(k);
  k.dispose();
  expect(liveTensors()).toBe(before);
}

describe("special functions", () => {
  test("erf and erfinv against reference values; the truncated-normal std is Keras' constant", () => {
    const erfs: [number, number][] = [
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [2, 0.9953222650189527],
      [3, 0.9999779095030014],
      [-0.1, -0.1124629160182849],
    ];
    for (const [x, want] of erfs) expect(erf(x)).toBeCloseTo(want, 14);
    const inverses: [number, number][] = [
      [0.5, 0.4769362762044699],
      [0.9, 1.1630871536766743],
      [0.999, 2.3267537655135246],
      [-0.3, -0.27246271472675443],
    ];
    for (const [x, want] of inverses) expect(Math.abs(erfinv(x) - want) / Math.abs(want)).toBeLessThan(2e-7);
    expect(TRUNCATED_STD_2).toBeCloseTo(0.87962566103423978, 14);
  });
});

describe("uniform", () => {
  test("known uniform and normal values for key(0) (the same on every backend; see random-cpu-backend.test.ts)", () => {
    withKey(0, (k) => {
      expect(values(uniform(k, [5]))).toEqual([
        0.9476670026779175, 0.9785798788070679, 0.33229148387908936, 0.46866846084594727, 0.569888710975647,
      ]);
      expect(values(normal(k, [3]))).toEqual([1.6226422786712646, 2.0252654552459717, -0.43359434604644775]);
    });
  });

  test("[0, 1): mean 1/2, variance 1/12, KS distance to the uniform CDF", () => {
    withKey(1, (k) => {
      const u = uniform(k, [N]);
      expect(u.shape).toEqual([N]);
      expect(u.dtype).toBe("float32");
      const xs = values(u);
      const [lo, hi] = range(xs);
      expect(lo).toBeGreaterThanOrEqual(0);
      expect(hi).toBeLessThan(1);
      const m = moments(xs);
      expect(Math.abs(m.mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / N));
      expect(Math.abs(m.variance - 1 / 12)).toBeLessThan(5 * Math.sqrt((1 / 80 - 1 / 144) / N));
      expect(ksDistance(xs, (x) => x)).toBeLessThan(KS_LIMIT);
    });
  });

  test("[min, max) is respected and the moments scale", () => {
    withKey(2, (k) => {
      const xs = values(uniform(k, [200, 500], { min: -3, max: 5 }));
      const [lo, hi] = range(xs);
      expect(lo).toBeGreaterThanOrEqual(-3);
      expect(hi).toBeLessThan(5);
      const m = moments(xs);
      expect(Math.abs(m.mean - 1)).toBeLessThan(5 * Math.sqrt(64 / 12 / N));
      expect(Math.abs(m.variance - 64 / 12)).toBeLessThan((0.02 * 64) / 12);
      // a range whose float32 rounding would reach max still stays below it
      const narrow = values(uniform(k, [1000], { min: 1, max: 1 + 1e-7 }));
      expect(narrow.every((x) => x >= 1 && x < 1 + 1e-7)).toBe(true);
    });
  });
});

describe("normal", () => {
  test("mean 0, variance 1, fourth moment 3, KS distance to Phi", () => {
    withKey(3, (k) => {
      const xs = values(normal(k, [N]));
      const m = moments(xs);
      expect(Math.abs(m.mean)).toBeLessThan(5 / Math.sqrt(N));
      expect(Math.abs(m.variance - 1)).toBeLessThan(5 * Math.sqrt(2 / N));
      expect(Math.abs(m.m4 - 3)).toBeLessThan(5 * Math.sqrt(96 / N));
      expect(ksDistance(xs, Phi)).toBeLessThan(KS_LIMIT);
    });
  });

  test("mean and std scale the same draws: normal(k, {mean, std}) = mean + std * normal(k)", () => {
    withKey(4, (k) => {
      const z = values(normal(k, [3, 4]));
      const y = values(normal(k, [3, 4], { mean: 3, std: 0.5 }));
      y.forEach((v, i) => expect(v).toBeCloseTo(3 + 0.5 * z[i], 5));
    });
  });
});

describe("truncatedNormal", () => {
  const truncatedCdf = (a: number, b: number) => (x: number) => (Phi(x) - Phi(a)) / (Phi(b) - Phi(a));

  test("default (-2, 2): strictly inside, variance TRUNCATED_STD_2^2, KS distance to the truncated CDF", () => {
    withKey(5, (k) => {
      const xs = values(truncatedNormal(k, [N]));
      expect(xs.every((x) => x > -2 && x < 2)).toBe(true);
      const m = moments(xs);
      expect(Math.abs(m.mean)).toBeLessThan((5 * TRUNCATED_STD_2) / Math.sqrt(N));
      expect(Math.abs(m.variance - TRUNCATED_STD_2 ** 2)).toBeLessThan(0.016);
      expect(ksDistance(xs, truncatedCdf(-2, 2))).toBeLessThan(KS_LIMIT);
    });
  });

  test.each([
    [0, 2],
    [-0.3, 0.3],
    [1, Infinity],
    [3, 5],
  ])("bounds (%d, %d): strictly inside and distributed as the truncated normal", (lower, upper) => {
    withKey(6, (k) => {
      const xs = values(truncatedNormal(k, [N], { lower, upper }));
      expect(xs.every((x) => x > lower && x < upper)).toBe(true);
      expect(ksDistance(xs, truncatedCdf(lower, upper))).toBeLessThan(KS_LIMIT);
    });
  });

  test("mean and std scale the bounds", () => {
    withKey(7, (k) => {
      const xs = values(truncatedNormal(k, [10000], { mean: 10, std: 0.1 }));
      expect(xs.every((x) => x > 9.8 && x < 10.2)).toBe(true);
      expect(Math.abs(moments(xs).mean - 10)).toBeLessThan(0.005);
    });
  });
});

describe("bernoulli", () => {
  test("frequency p; bool by default, float32 0/1 on request (same draws)", () => {
    withKey(8, (k) => {
      const b = bernoulli(k, [N], { p: 0.3 });
      expect(b.dtype).toBe("bool");
      const xs = values(b);
      const freq = xs.reduce((s, x) => s + x, 0) / N;
      expect(Math.abs(freq - 0.3)).toBeLessThan(5 * Math.sqrt(0.21 / N));
      const f = bernoulli(k, [N], { p: 0.3, dtype: "float32" });
      expect(f.dtype).toBe("float32");
      expect(values(f)).toEqual(xs);
    });
  });

  test("odd sizes work and a smaller draw is a prefix of a larger one", () => {
    withKey(21, (k) => {
      const long = values(bernoulli(k, [10, 10], { p: 0.5 }));
      expect(values(bernoulli(k, [7], { p: 0.5 }))).toEqual(long.slice(0, 7));
      expect(values(bernoulli(k, [7]))).toEqual(long.slice(0, 7)); // p defaults to 0.5
      // the two words of a block are not copies of each other
      expect(long.filter((x, i) => i % 2 === 0 && x !== long[i + 1]).length).toBeGreaterThan(10);
    });
  });

  test("p = 0 never and p = 1 always", () => {
    withKey(9, (k) => {
      expect(values(bernoulli(k, [1000], { p: 0 })).every((x) => x === 0)).toBe(true);
      expect(values(bernoulli(k, [1000], { p: 1 })).every((x) => x === 1)).toBe(true);
    });
  });
});

describe("categorical", () => {
  test("frequencies follow softmax(logits), unnormalised logits are fine", () => {
    withKey(10, (k) => {
      const p = [0.1, 0.2, 0.3, 0.4];
      const logits = tensor(
        p.map((x) => Math.log(x) - 42),
        [4],
      );
      const draws = categorical(k, logits, [N]);
      expect(draws.dtype).toBe("int32");
      const xs = values(draws);
      p.forEach((pi, c) => {
        const freq = xs.filter((x) => x === c).length / N;
        expect(Math.abs(freq - pi)).toBeLessThan(5 * Math.sqrt((pi * (1 - pi)) / N));
      });
      logits.dispose();
    });
  });

  test("batched logits: one draw per row by default, several with a longer shape", () => {
    withKey(11, (k) => {
      const p = [
        [0.5, 0.5],
        [0.1, 0.9],
      ];
      const logits = tensor(
        p.map((r) => r.map(Math.log)),
        [2, 2],
      );
      const one = categorical(k, logits);
      expect(one.shape).toEqual([2]);
      one.dispose();
      const n = 50_000;
      const draws = categorical(k, logits, [n, 2]);
      const rows = draws.arraySync() as number[][];
      draws.dispose();
      [0, 1].forEach((r) => {
        const freq = rows.filter((row) => row[r] === 1).length / n;
        const want = p[r][1];
        expect(Math.abs(freq - want)).toBeLessThan(5 * Math.sqrt((want * (1 - want)) / n));
      });
      logits.dispose();
    });
  });

  test("works on traced logits under jit and matches eager", () => {
    withKey(12, (k) => {
      const logits = tensor([0, 1, 2, 3, 4, 5], [2, 3]);
      const f = jit((kk: Key, l: AnyTensor) => categorical(kk, l as never, [7, 2]));
      expect(values(f(k, logits))).toEqual(values(categorical(k, logits, [7, 2])));
      f.dispose();
      logits.dispose();
    });
  });

  test("errors: non-float logits, empty categories, a shape that misses the batch dims", () => {
    withKey(13, (k) => {
      const ints = tensor([1, 2], [2], "int32");
      const empty = tensor([], [2, 0]);
      const batch = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
      expect(() => categorical(k, ints as never)).toThrow("categorical: logits must be a float32 tensor [..., K], got Tensor<[2], int32>");
      expect(() => categorical(k, empty)).toThrow("categorical: logits [2, 0] have no categories (last dim 0)");
      expect(() => categorical(k, batch, [5])).toThrow(
        "categorical: shape [5] does not fit the batch dims [2] of logits [2, 3] (its trailing dims must match them)",
      );
      [ints, empty, batch].forEach((t) => t.dispose());
    });
  });
});

describe("permutation, randint, gumbel, orthogonal", () => {
  test("permutation(k, n) is a permutation of 0..n-1 (int32), and not the identity", () => {
    withKey(14, (k) => {
      const p = permutation(k, 1000);
      expect(p.dtype).toBe("int32");
      const xs = values(p);
      expect([...xs].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
      expect(xs).not.toEqual(Array.from({ length: 1000 }, (_, i) => i));
      expect(values(permutation(k, 0))).toEqual([]);
      expect(values(permutation(k, 1))).toEqual([0]);
    });
  });

  test("all 6 permutations of 3 are equally likely (vmap over 6000 keys)", () => {
    withKey(15, (k) => {
      const keys = splitStacked(k, 6000);
      const perms = vmap((kk: Key) => permutation(kk, 3))(keys) as AnyTensor;
      const rows = perms.arraySync() as number[][];
      [keys, perms].forEach((t) => t.dispose());
      const counts = new Map<string, number>();
      for (const r of rows) counts.set(r.join(""), (counts.get(r.join("")) ?? 0) + 1);
      expect(counts.size).toBe(6);
      for (const c of counts.values()) expect(Math.abs(c - 1000)).toBeLessThan(5 * Math.sqrt(6000 * (1 / 6) * (5 / 6)));
    });
  });

  test("randint covers [min, max) uniformly", () => {
    withKey(16, (k) => {
      const xs = values(randint(k, [N], { min: -5, max: 7 }));
      expect(xs.every((x) => Number.isInteger(x) && x >= -5 && x < 7)).toBe(true);
      const counts = new Array(12).fill(0);
      for (const x of xs) counts[x + 5]++;
      for (const c of counts) expect(Math.abs(c - N / 12)).toBeLessThan(5 * Math.sqrt(N * (1 / 12) * (11 / 12)));
    });
  });

  test("gumbel: mean Euler-Mascheroni, variance pi^2/6, KS distance to exp(-exp(-x))", () => {
    withKey(17, (k) => {
      const xs = values(gumbel(k, [N]));
      const m = moments(xs);
      const variance = Math.PI ** 2 / 6;
      expect(Math.abs(m.mean - 0.5772156649015329)).toBeLessThan(5 * Math.sqrt(variance / N));
      expect(Math.abs(m.variance - variance)).toBeLessThan(5 * Math.sqrt((5.4 * variance ** 2 - variance ** 2) / N));
      expect(ksDistance(xs, (x) => Math.exp(-Math.exp(-x)))).toBeLessThan(KS_LIMIT);
    });
  });

  test.each([
    [[50, 30], false],
    [[30, 50], true],
    [[3, 3, 4, 8], false],
  ])("orthogonal %j: orthonormal columns (rows when wide)", (shape, wide) => {
    withKey(18, (k) => {
      const q = orthogonal(k, shape, { gain: 2 });
      expect(q.shape).toEqual(shape);
      const cols = shape[shape.length - 1];
      const rows = q.size / cols;
      const a = values(q);
      const at = (r: number, c: number) => a[r * cols + c];
      const [n, m] = wide ? [cols, rows] : [rows, cols];
      let worst = 0;
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < m; j++) {
          let dot = 0;
          for (let r = 0; r < n; r++) dot += wide ? at(i, r) * at(j, r) : at(r, i) * at(r, j);
          worst = Math.max(worst, Math.abs(dot - (i === j ? 4 : 0)));
        }
      }
      expect(worst).toBeLessThan(1e-5);
    });
  });
});

describe("shapes and errors", () => {
  test("typed shapes come back at run time, including empty ones", () => {
    withKey(19, (k) => {
      const t = normal(k, [3, 4]);
      expect(t.shape).toEqual([3, 4]);
      t.dispose();
      const e = uniform(k, [0, 5]);
      expect(e.shape).toEqual([0, 5]);
      e.dispose();
      const s = uniform(k, []);
      expect(s.shape).toEqual([]);
      s.dispose();
    });
  });

  test("messages name the op, what was expected and what came", () => {
    withKey(20, (k) => {
      const cases: [() => unknown, string][] = [
        [() => uniform(k, [3, -1]), "uniform: dim 1 of shape [3, -1] must be a non-negative integer, got the number -1"],
        [
          () => normal(k, ["batch", 3] as never),
          'normal: dim 0 of shape [batch, 3] must be a non-negative integer, got the string "batch"',
        ],
        [() => normal(k, 3 as never), "normal: shape must be an array of dims, got the number 3"],
        [
          () => uniform(k, [2 ** 16, 2 ** 16]),
          "uniform: shape [65536, 65536] has 4294967296 elements; one draw holds fewer than 2^32 (split the key)",
        ],
        [() => uniform(k, [2], { min: 1, max: 1 }), "uniform: min must be less than max, got min=1, max=1"],
        [() => uniform(k, [2], { max: Infinity }), "uniform: max must be a finite number, got the number Infinity"],
        [() => normal(k, [2], { std: -1 }), "normal: std must be non-negative, got -1"],
        [() => truncatedNormal(k, [2], { lower: 1, upper: -1 }), "truncatedNormal: lower must be less than upper, got lower=1, upper=-1"],
        [() => truncatedNormal(k, [2], { std: 0 }), "truncatedNormal: std must be positive, got 0"],
        [() => bernoulli(k, [2], { p: 1.5 }), "bernoulli: p must be in [0, 1], got the number 1.5"],
        [() => bernoulli(k, [2], { p: NaN }), "bernoulli: p must be in [0, 1], got the number NaN"],
        [
          () => bernoulli(k, [2], { p: 0.5, dtype: "int32" as never }),
          'bernoulli: dtype must be "bool" or "float32", got the string "int32"',
        ],
        [() => randint(k, [2], { min: 0, max: 0.5 }), "randint: max must be an integer in [-2^31, 2^31], got the number 0.5"],
        [() => randint(k, [2], { min: 3, max: 3 }), "randint: min must be less than max, got min=3, max=3"],
        [() => permutation(k, -2), "permutation: n must be a non-negative integer, got the number -2"],
        [() => orthogonal(k, [5]), "orthogonal: shape must have rank >= 2, got [5]"],
      ];
      for (const [f, message] of cases) expect(f).toThrow(message);
    });
  });
});

// Keys as tensors: determinism, independence of split streams, transforms (jit, vmap, grad),
// errors and memory.
import { describe, expect, test } from "vitest";
import { liveTensors } from "../src/backend/index.js";
import { grad, jit, vmap, mul, sum } from "../src/core/index.js";
import { scalar, tensor, type AnyTensor, type Tensor } from "../src/tensor/index.js";
import * as random from "../src/random/index.js";
import { foldIn, key, keyData, normal, split, splitStacked, uniform, type Key } from "../src/random/index.js";

function values(t: AnyTensor): number[] {
  const v = Array.from(t.dataSync());
  t.dispose();
  return v;
}

function correlation(a: number[], b: number[]): number {
  const n = a.length;
  const ma = a.reduce((s, x) => s + x, 0) / n;
  const mb = b.reduce((s, x) => s + x, 0) / n;
  let sab = 0,
    saa = 0,
    sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

describe("determinism and independence", () => {
  test("the same key gives the same numbers; key(0) and key(1) differ", () => {
    const before = liveTensors();
    const [k0, k0b, k1] = [key(0), key(0), key(1)];
    const a = values(normal(k0, [1000]));
    expect(values(normal(k0b, [1000]))).toEqual(a);
    expect(values(normal(k0, [1000]))).toEqual(a); // drawing does not change the key
    expect(values(normal(k1, [1000]))).not.toEqual(a);
    [k0, k0b, k1].forEach((k) => k.dispose());
    expect(liveTensors()).toBe(before);
  });

  test("element i depends only on i: a smaller draw is a prefix of a larger one, for any shape", () => {
    const k = key(5);
    const long = values(uniform(k, [4, 25]));
    expect(values(uniform(k, [30]))).toEqual(long.slice(0, 30));
    k.dispose();
  });

  test("split keys are distinct and their streams are uncorrelated (|r| < 5/sqrt(n))", () => {
    const before = liveTensors();
    const parent = key(0);
    const kids = split(parent, 4);
    const words = kids.map((k) => keyData(k).join(","));
    expect(new Set([...words, keyData(parent).join(",")]).size).toBe(5);
    const n = 20000;
    const streams = [parent, ...kids].map((k) => values(uniform(k, [n])));
    for (let i = 0; i < streams.length; i++) {
      for (let j = i + 1; j < streams.length; j++) expect(Math.abs(correlation(streams[i], streams[j]))).toBeLessThan(5 / Math.sqrt(n));
    }
    // nor shifted copies of each other (lag-1 cross-correlation)
    expect(Math.abs(correlation(streams[1].slice(1), streams[2].slice(0, -1)))).toBeLessThan(5 / Math.sqrt(n));
    // grandchildren of sibling keys do not collide either
    const g = kids.flatMap((k) => split(k, 3));
    expect(new Set(g.map((k) => keyData(k).join(","))).size).toBe(12);
    [parent, ...kids, ...g].forEach((k) => k.dispose());
    expect(liveTensors()).toBe(before);
  });

  test("split(k) defaults to two keys and split(k, 0) to none", () => {
    const k = key(9);
    const two = split(k);
    expect(two.length).toBe(2);
    expect(split(k, 0)).toEqual([]);
    [k, ...two].forEach((t) => t.dispose());
  });
});

describe("transforms", () => {
  test("jit: keys are inputs, so a new key replays without re-tracing and matches eager", () => {
    const before = liveTensors();
    const draw = jit((k: Key) => normal(k, [3, 4], { mean: 1, std: 2 }));
    const parent = key(1);
    const keys = split(parent, 3);
    for (const k of keys) {
      const eager = values(normal(k, [3, 4], { mean: 1, std: 2 }));
      expect(values(draw(k))).toEqual(eager);
    }
    expect(draw.traceCount).toBe(1);
    draw.dispose();
    [parent, ...keys].forEach((k) => k.dispose());
    expect(liveTensors()).toBe(before);
  });

  test("jit: foldIn with a traced int32 step gives per-step keys without re-tracing", () => {
    const before = liveTensors();
    const k = key(7);
    const step = jit((kk: Key, s: AnyTensor) => uniform(foldIn(kk, s as never), [5]));
    for (let s = 0; s < 3; s++) {
      const st = scalar(s, "int32");
      const fk = foldIn(k, s);
      expect(values(step(k, st))).toEqual(values(uniform(fk, [5])));
      st.dispose();
      fk.dispose();
    }
    expect(step.traceCount).toBe(1);
    step.dispose();
    k.dispose();
    expect(liveTensors()).toBe(before);
  });

  test("vmap over splitStacked keys: row i equals sampling with split(k, n)[i]", () => {
    const before = liveTensors();
    const k = key(11);
    const stacked = splitStacked(k, 4);
    const batched = vmap((kk: Key) => uniform(kk, [3]))(stacked) as AnyTensor;
    expect(batched.shape).toEqual([4, 3]);
    const rows = batched.arraySync() as number[][];
    const keys = split(k, 4);
    keys.forEach((kk, i) => expect(rows[i]).toEqual(values(uniform(kk, [3]))));
    [k, stacked, batched, ...keys].forEach((t) => t.dispose());
    expect(liveTensors()).toBe(before);
  });

  test("vmap of foldIn over mapped data equals split (JAX's vmapped fold_in symmetry)", () => {
    const k = key(72);
    const idx = tensor([0, 1, 2], [3], "int32");
    const folded = vmap((i: AnyTensor) => foldIn(k, i as never), { inAxes: [0] })(idx) as AnyTensor;
    const rows = (folded.arraySync() as number[][]).map((r) => r.map((w) => w >>> 0));
    const keys = split(k, 3);
    expect(rows).toEqual(keys.map(keyData));
    [k, idx, folded, ...keys].forEach((t) => t.dispose());
  });

  test("grad treats samples as constants: d/dx sum(x * noise) = noise", () => {
    const before = liveTensors();
    const k = key(3);
    const x = tensor([1, 2, 3], [3]);
    const g = grad((xx: AnyTensor) => sum(mul(xx, normal(k, [3]))) as Tensor<[]>)(x);
    const noise = values(normal(k, [3]));
    expect(values(g)).toEqual(noise);
    k.dispose();
    x.dispose();
    expect(liveTensors()).toBe(before);
  });
});

describe("errors", () => {
  const bad: [unknown, string][] = [
    [42, "the number 42"],
    [undefined, "undefined"],
    [[0, 42], "an array of 2 value(s)"],
  ];
  test.each(bad)("a non-key (%j) is rejected by name", (x, what) => {
    expect(() => uniform(x as Key, [2])).toThrow(`uniform: expected a PRNG key from key(seed) or split(...), got ${what}`);
    expect(() => split(x as Key)).toThrow(`split: expected a PRNG key from key(seed) or split(...), got ${what}`);
    expect(() => foldIn(x as Key, 1)).toThrow(`foldIn: expected a PRNG key from key(seed) or split(...), got ${what}`);
  });

  test("a float or wrongly shaped tensor is not a key", () => {
    const f = tensor([0, 1], [2]);
    const three = tensor([0, 1, 2], [3], "int32");
    expect(() => normal(f as never, [2])).toThrow("normal: expected a PRNG key from key(seed) or split(...), got Tensor<[2], float32>");
    expect(() => normal(three as never, [2])).toThrow("normal: expected a PRNG key from key(seed) or split(...), got Tensor<[3], int32>");
    f.dispose();
    three.dispose();
  });

  test("bad seeds, counts and fold-in data", () => {
    expect(() => key(1.5)).toThrow("key: seed must be an integer in [-(2^53 - 1), 2^53 - 1], got the number 1.5");
    expect(() => key("7" as never)).toThrow('key: seed must be an integer in [-(2^53 - 1), 2^53 - 1], got the string "7"');
    const k = key(0);
    expect(() => split(k, -1)).toThrow("split: n must be a non-negative integer, got the number -1");
    expect(() => splitStacked(k, 2.5)).toThrow("splitStacked: n must be a non-negative integer, got the number 2.5");
    expect(() => foldIn(k, 2 ** 32)).toThrow("foldIn: data must be an integer in [-2^31, 2^32), got the number 4294967296");
    const fdata = scalar(1);
    expect(() => foldIn(k, fdata as never)).toThrow("foldIn: data must be an integer or an int32 scalar tensor, got Tensor<[], float32>");
    expect(() => random.keyFromData([1, -2] as never)).toThrow("keyFromData: expected two uint32 words [hi, lo], got [1, -2]");
    k.dispose();
    fdata.dispose();
  });
});

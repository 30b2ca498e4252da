// Known answers for the bit generator: Random123's published Threefry-2x32-20 vectors and the
// values JAX's own tests pin for key(0), key(1701) and fold_in.
import { describe, expect, test } from "vitest";
import { liveTensors } from "../src/backend/index.js";
import { bits, foldIn, internal, key, keyData, keyFromData, split, splitStacked } from "../src/random/index.js";

const { threefry2x32 } = internal;

describe("threefry2x32", () => {
  // Random123 kat_vectors, "threefry2x32 20 <ctr0> <ctr1> <key0> <key1> <out0> <out1>"
  test.each([
    [
      [0, 0],
      [0, 0],
      [0x6b200159, 0x99ba4efe],
    ],
    [
      [0xffffffff, 0xffffffff],
      [0xffffffff, 0xffffffff],
      [0x1cb996fc, 0xbb002be7],
    ],
    [
      [0x243f6a88, 0x85a308d3],
      [0x13198a2e, 0x03707344],
      [0xc4923a9c, 0x483df7a0],
    ],
  ] as const)("Random123 vector ctr=%j key=%j", (counter, k, expected) => {
    expect(threefry2x32(k, counter)).toEqual(expected);
  });

  test("JAX's legacy split(key(0), 4), rebuilt from threefry2x32 blocks, matches JAX's pinned values", () => {
    // legacy split: counters iota(8) cut in halves, x0 = [0..3], x1 = [4..7]; out = concat(y0, y1) as [4, 2]
    const k: [number, number] = [0, 0];
    const y = [0, 1, 2, 3].map((i) => threefry2x32(k, [i, i + 4]));
    const flat = [...y.map((p) => p[0]), ...y.map((p) => p[1])];
    expect([0, 1, 2, 3].map((r) => [flat[2 * r], flat[2 * r + 1]])).toEqual([
      [2285895361, 1501764800],
      [1518642379, 4090693311],
      [433833334, 4221794875],
      [839183663, 3740430601],
    ]);
  });

  test("JAX's legacy 32-bit random_bits(key(1701), (3,)) from threefry2x32 blocks", () => {
    // counters [0, 1, 2] padded to [0, 1, 2, 0]: x0 = [0, 1], x1 = [2, 0]; out = [y0[0], y0[1], y1[0]]
    const k: [number, number] = [0, 1701];
    const a = threefry2x32(k, [0, 2]);
    const b = threefry2x32(k, [1, 0]);
    expect([a[0], b[0], a[1]]).toEqual([56197195, 4200222568, 961309823]);
  });
});

describe("keys", () => {
  test("key(seed) has JAX's key data: [0, seed] for 32-bit seeds, 64-bit two's complement words otherwise", () => {
    const cases: [number, [number, number]][] = [
      [0, [0, 0]],
      [1701, [0, 1701]],
      [2 ** 31 + 99, [0, 2147483747]],
      [2 ** 32 + 5, [1, 5]],
      [-1, [4294967295, 4294967295]],
      [-3, [4294967295, 4294967293]],
    ];
    for (const [seed, words] of cases) {
      const k = key(seed);
      expect(keyData(k)).toEqual(words);
      k.dispose();
    }
  });

  test("foldIn(key(0), 4) equals JAX's fold_in (pinned in JAX's testPRNGValues)", () => {
    const before = liveTensors();
    const k = key(0);
    const f = foldIn(k, 4);
    expect(keyData(f)).toEqual([2285895361, 433833334]);
    k.dispose();
    f.dispose();
    expect(liveTensors()).toBe(before);
  });

  test("split(k, n)[i] equals foldIn(k, i) (JAX's partitionable split) and splitStacked row i", () => {
    const before = liveTensors();
    const k = key(72);
    const keys = split(k, 5);
    const stacked = splitStacked(k, 5);
    const rows = stacked.arraySync() as number[][];
    keys.forEach((s, i) => {
      const f = foldIn(k, i);
      expect(keyData(s)).toEqual(keyData(f));
      expect(rows[i].map((w) => w >>> 0)).toEqual(keyData(s));
      f.dispose();
    });
    // and the words themselves are threefry2x32(key, [0, i])
    expect(keyData(keys[3])).toEqual(threefry2x32([0, 72], [0, 3]));
    [k, stacked, ...keys].forEach((t) => t.dispose());
    expect(liveTensors()).toBe(before);
  });

  test("bits(k, [n])[i] is the xor of the words of threefry2x32(k, [0, i])", () => {
    const k = keyFromData([0x13198a2e, 0x03707344]);
    const b = bits(k, [6]);
    const got = Array.from(b.dataSync(), (x) => x >>> 0);
    const want = [0, 1, 2, 3, 4, 5].map((i) => {
      const [y0, y1] = threefry2x32([0x13198a2e, 0x03707344], [0, i]);
      return (y0 ^ y1) >>> 0;
    });
    expect(got).toEqual(want);
    k.dispose();
    b.dispose();
  });

  test("foldIn with negative and large data wraps to uint32 as JAX does", () => {
    const k = key(3);
    const a = foldIn(k, -1);
    const b = foldIn(k, 0xffffffff);
    expect(keyData(a)).toEqual(keyData(b));
    expect(keyData(a)).toEqual(threefry2x32([0, 3], [0, 0xffffffff]));
    [k, a, b].forEach((t) => t.dispose());
  });
});

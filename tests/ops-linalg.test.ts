import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { tensor, type Tensor } from "../src/tensor/index.js";
import { grad } from "../src/core/index.js";
import { dot, matmul, matvec, mul, sum } from "../src/ops/index.js";
import { broadcastShape, expectClose, expectNoLeaks, randTensor, size, unravel, broadcastIndex } from "./ops-helpers.js";

/** Plain-JS mirror of the MatMul type rule. */
function matmulShape(a: readonly number[], b: readonly number[]): number[] | undefined {
  if (a.length < 2 || b.length < 2 || a[a.length - 1] !== b[b.length - 2]) return undefined;
  const batch = broadcastShape(a.slice(0, -2), b.slice(0, -2));
  return batch && [...batch, a[a.length - 2], b[b.length - 1]];
}

/** Batched product in float64, batch axes broadcast. */
function matmulRef(av: readonly number[], as: readonly number[], bv: readonly number[], bs: readonly number[]): number[] {
  const out = matmulShape(as, bs)!;
  const [m, k, n] = [as[as.length - 2], as[as.length - 1], bs[bs.length - 1]];
  const batch = out.slice(0, -2);
  const [ab, bb] = [as.slice(0, -2), bs.slice(0, -2)];
  const res: number[] = [];
  for (let p = 0; p < size(batch); p++) {
    const idx = unravel(p, batch);
    const oa = broadcastIndex(idx, ab) * m * k;
    const ob = broadcastIndex(idx, bb) * k * n;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) s += av[oa + i * k + q] * bv[ob + q * n + j];
        res.push(s);
      }
  }
  return res;
}

describe("matmul, dot, matvec", () => {
  test("2-D matmul matches the reference", () => {
    const [a, av] = randTensor([3, 4], 1);
    const [b, bv] = randTensor([4, 5], 2);
    expectNoLeaks(() => {
      const y = matmul(a, b);
      expect(y.shape).toEqual([3, 5]);
      expectClose(y.dataSync(), matmulRef(av, [3, 4], bv, [4, 5]), 1e-5);
      return y;
    });
    [a, b].forEach((t) => t.dispose());
  });

  test("runtime shape and values follow the MatMul rule for random batched shapes (property)", () => {
    const dim = fc.integer({ min: 1, max: 4 });
    const arb = fc
      .tuple(dim, dim, dim, fc.array(dim, { maxLength: 2 }), fc.boolean(), fc.boolean(), fc.integer({ min: 0, max: 2 }))
      .map(([m, k, n, batch, oneA, oneB, dropB]) => {
        const as = [...batch.map((d, i) => (oneA && i === 0 ? 1 : d)), m, k];
        const bs = [...batch.slice(dropB).map((d, i) => (oneB && i === 0 ? 1 : d)), k, n];
        return [as, bs];
      });
    fc.assert(
      fc.property(arb, ([as, bs]) => {
        const [a, av] = randTensor(as, 7);
        const [b, bv] = randTensor(bs, 8);
        const y = matmul(a, b);
        expect([...y.shape]).toEqual(matmulShape(as, bs));
        expectClose(y.dataSync(), matmulRef(av, as, bv, bs), 1e-4);
        [a, b, y].forEach((t) => t.dispose());
      }),
      { numRuns: 30 },
    );
  });

  test("batched x shared matrix, and its gradients match the closed forms", () => {
    const [a, av] = randTensor([2, 3, 4], 3);
    const [b, bv] = randTensor([4, 2], 4);
    const y = matmul(a, b);
    expectClose(y.dataSync(), matmulRef(av, [2, 3, 4], bv, [4, 2]), 1e-5);
    // d/dA sum(A B) = 1 B^T (row sums of B), d/dB sum(A B) = A^T 1 (column sums of A over batch and rows)
    const [ga, gb] = grad((p: Tensor<[2, 3, 4]>, q: Tensor<[4, 2]>) => sum(matmul(p, q)), { argnums: [0, 1] })(a, b);
    const rowSumB = [0, 1, 2, 3].map((q) => bv[q * 2] + bv[q * 2 + 1]);
    expectClose(
      ga.dataSync(),
      Array.from({ length: 24 }, (_, i) => rowSumB[i % 4]),
      1e-5,
    );
    const colSumA = [0, 1, 2, 3].map((q) => av.filter((_, i) => i % 4 === q).reduce((s, v) => s + v, 0));
    expectClose(
      gb.dataSync(),
      [0, 1, 2, 3].flatMap((q) => [colSumA[q], colSumA[q]]),
      1e-5,
    );
    [a, b, y, ga, gb].forEach((t) => t.dispose());
  });

  test("dot and matvec", () => {
    const u = tensor([1, 2, 3], [3]);
    const v = tensor([4, 5, 6], [3]);
    const m = tensor([1, 0, 2, -1, 3, 1], [2, 3]);
    expectNoLeaks(() => {
      const d = dot(u, v);
      const mv = matvec(m, v);
      expect(d.shape).toEqual([]);
      expect(d.item()).toBe(32);
      expect(mv.shape).toEqual([2]);
      expect(Array.from(mv.dataSync())).toEqual([16, 17]);
      return [d, mv];
    });
    const [bm, bmv] = randTensor([2, 2, 3], 5);
    const bmvOut = matvec(bm, v);
    expect(bmvOut.shape).toEqual([2, 2]);
    expectClose(
      bmvOut.dataSync(),
      [0, 1, 2, 3].map((r) => bmv[r * 3] * 4 + bmv[r * 3 + 1] * 5 + bmv[r * 3 + 2] * 6),
      1e-5,
    );
    const g = grad((t: Tensor<[3]>) => dot(t, mul(t, v)))(u);
    expectClose(g.dataSync(), [8, 20, 36]);
    [u, v, m, bm, bmvOut, g].forEach((t) => t.dispose());
  });

  test("errors name the op with both shapes", () => {
    const [a] = randTensor([2, 3], 1);
    const [b] = randTensor([4, 5], 2);
    const [v] = randTensor([3], 3);
    const [w] = randTensor([4], 4);
    const i = tensor([1, 2, 3, 4, 5, 6], [3, 2], "int32");
    expect(() => matmul(a, b as never)).toThrow("matmul: inner dims differ (3 vs 4) for [2, 3] x [4, 5]");
    expect(() => matmul(v as never, b as never)).toThrow("matmul: both arguments need rank >= 2, got [3] and [4, 5]");
    expect(() => matmul(a, i as never)).toThrow("matmul: dtypes differ (float32 vs int32); cast one first");
    expect(() => matmul(a, [[1]] as never)).toThrow("matmul: expected a tensor for b, got an array (wrap it with tensor(data, shape))");
    expect(() => dot(v, w as never)).toThrow("dot: lengths differ (3 vs 4)");
    expect(() => dot(a as never, v as never)).toThrow("dot expects two vectors, got [2, 3] and [3]");
    expect(() => matvec(a, w as never)).toThrow("matvec: inner dims differ (3 vs 4) for [2, 3] x [4]");
    expect(() => matvec(v as never, v as never)).toThrow("matvec expects a matrix of rank >= 2 and a vector, got [3] and [3]");
    [a, b, v, w, i].forEach((t) => t.dispose());
  });
});

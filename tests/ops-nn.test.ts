import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { tensor, type Tensor } from "../src/tensor/index.js";
import { grad, jit, vmap } from "../src/core/index.js";
import { logSoftmax, mul, softmax, sum } from "../src/ops/index.js";
import { expectClose, expectNoLeaks, numericGrad, randTensor } from "./ops-helpers.js";

function softmaxRef(xs: readonly number[]): number[] {
  const m = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}
const logSoftmaxRef = (xs: readonly number[]) => {
  const m = Math.max(...xs);
  const lse = m + Math.log(xs.reduce((a, x) => a + Math.exp(x - m), 0));
  return xs.map((x) => x - lse);
};
const rows = (v: readonly number[], n: number) => Array.from({ length: v.length / n }, (_, i) => v.slice(i * n, i * n + n));

describe("softmax and logSoftmax", () => {
  test("softmax rows sum to 1 and match the reference; logSoftmax too", () => {
    const [x, xv] = randTensor([4, 5], 31, -5, 5);
    expectNoLeaks(() => {
      const p = softmax(x);
      const lp = logSoftmax(x);
      expect(p.shape).toEqual([4, 5]);
      expectClose(p.dataSync(), rows(xv, 5).flatMap(softmaxRef), 1e-6);
      expectClose(lp.dataSync(), rows(xv, 5).flatMap(logSoftmaxRef), 1e-6);
      const s = sum(p, -1);
      expectClose(s.dataSync(), [1, 1, 1, 1], 1e-6);
      return [p, lp, s];
    });
    x.dispose();
  });

  test("along axis 0: columns sum to 1", () => {
    const [x, xv] = randTensor([3, 2], 32);
    const p = softmax(x, 0);
    const cols = [0, 1].map((j) => [0, 1, 2].map((i) => xv[i * 2 + j]));
    const want = cols.map(softmaxRef);
    expectClose(
      p.dataSync(),
      [0, 1, 2].flatMap((i) => [want[0][i], want[1][i]]),
      1e-6,
    );
    x.dispose();
    p.dispose();
  });

  test("stable at large inputs: [1000, 0, -1000] gives no NaN or Infinity", () => {
    const x = tensor([1000, 0, -1000, -1000, -1000, -999], [2, 3]);
    const p = softmax(x);
    const lp = logSoftmax(x);
    expectClose(p.dataSync(), [1, 0, 0, ...softmaxRef([-1000, -1000, -999])], 1e-6);
    // NOTE: float32 spacing near 1000 is 6e-5: the second row is exact to that
    expectClose(lp.dataSync(), [0, -1000, -2000, ...logSoftmaxRef([-1000, -1000, -999])], 5e-5);
    [x, p, lp].forEach((t) => t.dispose());
  });

  test("gradients are finite and exact at large inputs", () => {
    const v = [1000, 0, -1000];
    const w = [0.5, -1, 2];
    const x = tensor(v, [3]);
    const wt = tensor(w, [3]);
    // d/dx sum(w * logSoftmax(x)) = w - softmax(x) * sum(w)
    const g1 = grad((t: Tensor<[3]>) => sum(mul(logSoftmax(t), wt)))(x);
    const p = softmaxRef(v);
    const sw = w.reduce((a, b) => a + b, 0);
    expectClose(
      g1.dataSync(),
      w.map((wi, i) => wi - p[i] * sw),
      1e-6,
    );
    // d/dx sum(w * softmax(x)) = p * (w - <p, w>)
    const g2 = grad((t: Tensor<[3]>) => sum(mul(softmax(t), wt)))(x);
    const pw = p.reduce((a, pi, i) => a + pi * w[i], 0);
    expectClose(
      g2.dataSync(),
      p.map((pi, i) => pi * (w[i] - pw)),
      1e-6,
    );
    for (const g of [g1, g2]) for (const z of g.dataSync()) expect(Number.isFinite(z)).toBe(true);
    [x, wt, g1, g2].forEach((t) => t.dispose());
  });

  test("gradients match finite differences at ordinary inputs (random, property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), (seed) => {
        const [x, xv] = randTensor([4], seed, -3, 3);
        const w = [1, -0.5, 2, 0.25];
        const wt = tensor(w, [4]);
        const g = grad((t: Tensor<[4]>) => sum(mul(softmax(t), wt)))(x);
        expectClose(
          g.dataSync(),
          numericGrad((z) => softmaxRef(z).reduce((a, p, i) => a + p * w[i], 0), xv),
          2e-4,
        );
        [x, wt, g].forEach((t) => t.dispose());
      }),
      { numRuns: 10 },
    );
  });

  test("works under vmap and jit", () => {
    const [x, xv] = randTensor([3, 4], 41);
    const f = jit((t: Tensor<[3, 4]>) => logSoftmax(t));
    const y = f(x);
    const z = vmap((r: Tensor<[4]>) => softmax(r))(x);
    expectClose(y.dataSync(), rows(xv, 4).flatMap(logSoftmaxRef), 1e-6);
    expectClose(z.dataSync(), rows(xv, 4).flatMap(softmaxRef), 1e-6);
    [x, y, z].forEach((t) => t.dispose());
    f.dispose();
  });

  test("errors name the op", () => {
    const [x] = randTensor([2, 3], 1);
    const i = tensor([1, 2], [2], "int32");
    expect(() => softmax(x, 2 as never)).toThrow("softmax: axis 2 is out of range for rank 2 (expected -2..1)");
    expect(() => logSoftmax(x, [0] as never)).toThrow("logSoftmax: axis must be a single number, got an array");
    expect(() => softmax(i as never)).toThrow("softmax: expects a float32 tensor, got int32");
    x.dispose();
    i.dispose();
  });
});

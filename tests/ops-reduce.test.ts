import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { tensor, type Tensor } from "../src/tensor/index.js";
import { grad } from "../src/core/index.js";
import { argmax, argmin, logSumExp, max, mean, min, mul, std, sum, variance } from "../src/ops/index.js";
import { expectClose, expectNoLeaks, numericGrad, randTensor, size, unravel } from "./ops-helpers.js";

/** Plain-JS mirror of the Reduce type rule: reduced axes dropped, or kept as 1. */
function reducedShape(shape: readonly number[], axes: readonly number[], keepDims: boolean): number[] {
  return shape.flatMap((d, i) => (axes.includes(i) ? (keepDims ? [1] : []) : [d]));
}

/** Reduces `v` of `shape` over `axes` with `f` (float64), row-major over the kept axes. */
function reduceRef(v: readonly number[], shape: readonly number[], axes: readonly number[], f: (xs: number[]) => number): number[] {
  const out = reducedShape(shape, axes, true);
  const groups: number[][] = Array.from({ length: size(out) }, () => []);
  v.forEach((x, i) => {
    const idx = unravel(i, shape).map((k, a) => (axes.includes(a) ? 0 : k));
    let flat = 0;
    idx.forEach((k, a) => (flat = flat * out[a] + k));
    groups[flat].push(x);
  });
  return groups.map(f);
}

const sumRef = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const meanRef = (xs: number[]) => sumRef(xs) / xs.length;
const varRef = (xs: number[]) => meanRef(xs.map((x) => (x - meanRef(xs)) ** 2));
const lseRef = (xs: number[]) => {
  const m = Math.max(...xs);
  return m + Math.log(sumRef(xs.map((x) => Math.exp(x - m))));
};

type Reducer = (x: Tensor<any>, axis?: any, opts?: { keepDims?: boolean }) => Tensor<any, any>;
const REDUCERS: [string, Reducer, (xs: number[]) => number][] = [
  ["sum", sum, sumRef],
  ["mean", mean, meanRef],
  ["max", max, (xs) => Math.max(...xs)],
  ["min", min, (xs) => Math.min(...xs)],
  ["logSumExp", logSumExp, lseRef],
  ["variance", variance, varRef],
  ["std", std, (xs) => Math.sqrt(varRef(xs))],
];

describe("reductions", () => {
  test.each(REDUCERS)("%s over axes [0, 2] of [2, 3, 4], keepDims or not, matches the reference", (_name, op, ref) => {
    const [x, xv] = randTensor([2, 3, 4], 11);
    const want = reduceRef(xv, [2, 3, 4], [0, 2], ref);
    expectNoLeaks(() => {
      const y = op(x, [0, 2]);
      const k = op(x, [-1, 0], { keepDims: true });
      const all = op(x);
      expect(y.shape).toEqual([3]);
      expect(k.shape).toEqual([1, 3, 1]);
      expect(all.shape).toEqual([]);
      expectClose(y.dataSync(), want, 1e-5);
      expectClose(k.dataSync(), want, 1e-5);
      expectClose(all.dataSync(), [ref(xv)], 1e-5);
      return [y, k, all];
    });
    x.dispose();
  });

  test("runtime shape equals the Reduce rule for random shapes, axes and keepDims (property)", () => {
    const arb = fc
      .array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 })
      .chain((shape) => fc.tuple(fc.constant(shape), fc.subarray(shape.map((_, i) => i)), fc.boolean(), fc.boolean()));
    fc.assert(
      fc.property(arb, ([shape, axes, keepDims, negative]) => {
        const [x, xv] = randTensor(shape, 3);
        const given = negative ? axes.map((a) => a - shape.length) : axes;
        const s = sum(x, given, { keepDims });
        const m = max(x, given, { keepDims });
        expect([...s.shape]).toEqual(reducedShape(shape, axes, keepDims));
        expect([...m.shape]).toEqual(reducedShape(shape, axes, keepDims));
        expectClose(s.dataSync(), reduceRef(xv, shape, axes, sumRef), 1e-5);
        [x, s, m].forEach((t) => t.dispose());
      }),
      { numRuns: 40 },
    );
  });

  test("sum, max and min keep int32", () => {
    const x = tensor([3, -1, 4, 1, -5, 9], [2, 3], "int32");
    const [s, mx, mn] = [sum(x, 1), max(x), min(x, 0)];
    expect([s.dtype, mx.dtype, mn.dtype]).toEqual(["int32", "int32", "int32"]);
    expect(Array.from(s.dataSync())).toEqual([6, 5]);
    expect(mx.item()).toBe(9);
    expect(Array.from(mn.dataSync())).toEqual([1, -5, 4]);
    [x, s, mx, mn].forEach((t) => t.dispose());
  });

  test("argmax and argmin give int32 indices, the first on ties, along any axis", () => {
    const x = tensor([1, 5, 5, 0, 7, -2], [2, 3]);
    expectNoLeaks(() => {
      const a = argmax(x);
      const b = argmin(x, 0);
      const c = argmax(x, -2);
      expect(a.dtype).toBe("int32");
      expect(a.shape).toEqual([2]);
      expect(Array.from(a.dataSync())).toEqual([1, 1]);
      expect(Array.from(b.dataSync())).toEqual([1, 0, 1]);
      expect(Array.from(c.dataSync())).toEqual([0, 1, 0]);
      return [a, b, c];
    });
    x.dispose();
  });

  test("logSumExp is stable: no overflow for large inputs, no NaN for all -Infinity", () => {
    const cases: [number[], number][] = [
      [[1000, 0, -1000], 1000],
      [[-1000, -1000], -1000 + Math.log(2)],
      [[88.8, 88.8, 88.8], 88.8 + Math.log(3)],
      [[-Infinity, -Infinity], -Infinity],
      [[Infinity, 0], Infinity],
    ];
    for (const [v, want] of cases) {
      const x = tensor(v, [v.length]);
      const y = logSumExp(x);
      expectClose(y.dataSync(), [want], 1e-6);
      x.dispose();
      y.dispose();
    }
  });

  test("logSumExp's gradient is softmax, finite at large inputs", () => {
    const v = [1000, 999, -1000];
    const x = tensor(v, [3]);
    const g = grad((t: Tensor<[3]>) => logSumExp(t))(x);
    const e = v.map((z) => Math.exp(z - 1000));
    expectClose(
      g.dataSync(),
      e.map((z) => z / sumRef(e)),
      1e-6,
    );
    x.dispose();
    g.dispose();
  });

  test("gradients of mean, variance and std match finite differences of the float64 reference", () => {
    const [x, xv] = randTensor([6], 21);
    const w = [1, -2, 3, 0.5, -1, 2];
    const wt = tensor(w, [6]);
    for (const [name, op, ref] of [
      ["mean", (t: Tensor<[6]>) => mean(mul(t, wt)), (z: number[]) => meanRef(z.map((v, i) => v * w[i]))],
      ["variance", (t: Tensor<[6]>) => variance(mul(t, wt)), (z: number[]) => varRef(z.map((v, i) => v * w[i]))],
      ["std", (t: Tensor<[6]>) => std(mul(t, wt)), (z: number[]) => Math.sqrt(varRef(z.map((v, i) => v * w[i])))],
    ] as const) {
      const g = grad(op)(x);
      expect(name).toBeTruthy();
      expectClose(g.dataSync(), numericGrad(ref, xv), 1e-4);
      g.dispose();
    }
    x.dispose();
    wt.dispose();
  });

  test("argument errors name the op and say what was expected", () => {
    const [x] = randTensor([2, 3, 4, 5], 1);
    const i = tensor([1, 2], [2], "int32");
    expect(() => sum(x, 4 as never)).toThrow("sum: axis 4 is out of range for rank 4 (expected -4..3)");
    expect(() => mean(x, [0, -4] as never)).toThrow("mean: repeated axis in [0, -4]");
    expect(() => max(x, [1.5] as never)).toThrow("max: axis 1.5 is out of range for rank 4 (expected -4..3)");
    expect(() => logSumExp(x, -5 as never)).toThrow("logSumExp: axis -5 is out of range for rank 4 (expected -4..3)");
    expect(() => argmax(x, [0] as never)).toThrow("argmax: axis must be a single number, got an array");
    expect(() => argmin(x, 7 as never)).toThrow("argmin: axis 7 is out of range for rank 4 (expected -4..3)");
    expect(() => sum(x, "1" as never)).toThrow("sum: axis must be a number or an array of numbers, got string");
    expect(() => sum(x, 0, { keepDims: "yes" as any })).toThrow("sum: keepDims must be a boolean, got string");
    expect(() => sum(x, 0, true as any)).toThrow("sum: options must be an object such as { keepDims: true }, got boolean");
    expect(() => mean(i as never)).toThrow("mean: expects a float32 tensor, got int32; cast it first");
    expect(() => variance(i as never)).toThrow("variance: expects a float32 tensor, got int32");
    const b = tensor([1, 0], [2], "bool");
    expect(() => sum(b as never)).toThrow("sum: expects a numeric tensor, got bool; cast it first");
    b.dispose();
    x.dispose();
    i.dispose();
  });
});

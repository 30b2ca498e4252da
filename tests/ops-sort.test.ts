// cumsum, cumprod, sort, argsort, topK: values against float64 references (random shapes,
// axes and options), gradients against finite differences (cumprod with zeros against the
// exact derivative), jit and vmap against eager, ties, exact error texts, no leaks.
import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { tensor, type Tensor, ShapeError, ValueError, DTypeError } from "../src/tensor/index.js";
import { grad, jit, vmap } from "../src/core/index.js";
import { argsort, cumprod, cumsum, mul, sort, sum, topK } from "../src/ops/index.js";
import { checkGrads } from "../src/testing/index.js";
import { expectClose, expectNoLeaks, randTensor, size, unravel, strides } from "./ops-helpers.js";

const RUNS = Number(process.env.SHAPEFLOW_PROPERTY_RUNS ?? 12);

/** A shape (rank 1..3, dims 1..4), an axis of it, and seeded data. */
const arbCase = fc
  .tuple(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }), fc.nat(), fc.integer({ min: 1, max: 1e6 }))
  .map(([shape, a, seed]) => ({ shape, axis: a % shape.length, seed }));

/** The lines of `shape` along `axis`: each a list of flat offsets. */
function lines(shape: readonly number[], axis: number): number[][] {
  const st = strides(shape);
  const out: number[][] = [];
  for (let f = 0; f < size(shape); f++) {
    const idx = unravel(f, shape);
    if (idx[axis] !== 0) continue;
    out.push(Array.from({ length: shape[axis] }, (_, i) => f + i * st[axis]));
  }
  return out;
}

function cumulativeRef(
  v: readonly number[],
  shape: readonly number[],
  axis: number,
  op: "sum" | "prod",
  reverse: boolean,
  exclusive: boolean,
) {
  const out = new Array<number>(v.length);
  for (const line of lines(shape, axis)) {
    const order = reverse ? [...line].reverse() : line;
    let acc = op === "sum" ? 0 : 1;
    for (const f of order) {
      if (exclusive) {
        out[f] = acc;
        acc = op === "sum" ? acc + v[f] : acc * v[f];
      } else {
        acc = op === "sum" ? acc + v[f] : acc * v[f];
        out[f] = acc;
      }
    }
  }
  return out;
}

/** Stable sort positions of each line. */
function argsortRef(v: readonly number[], shape: readonly number[], axis: number, descending: boolean): number[] {
  const out = new Array<number>(v.length);
  for (const line of lines(shape, axis)) {
    const pos = line.map((_, i) => i).sort((a, b) => (descending ? v[line[b]] - v[line[a]] : v[line[a]] - v[line[b]]) || a - b);
    line.forEach((f, i) => (out[f] = pos[i]));
  }
  return out;
}

describe("cumsum and cumprod", () => {
  test("match float64 references on random shapes, axes and options", () => {
    fc.assert(
      fc.property(arbCase, fc.boolean(), fc.boolean(), fc.boolean(), ({ shape, axis, seed }, reverse, exclusive, negAxis) => {
        const [x, v] = randTensor(shape, seed, -1.5, 1.5);
        const ax = negAxis ? axis - shape.length : axis;
        const s = cumsum(x, ax, { reverse, exclusive });
        const p = cumprod(x, ax, { reverse, exclusive });
        expect(s.shape).toEqual(shape);
        expect(p.shape).toEqual(shape);
        expectClose(s.dataSync(), cumulativeRef(v, shape, axis, "sum", reverse, exclusive), 1e-5);
        expectClose(p.dataSync(), cumulativeRef(v, shape, axis, "prod", reverse, exclusive), 1e-5);
        for (const t of [x, s, p]) t.dispose();
      }),
      { numRuns: RUNS * 3, seed: 7 },
    );
  });

  test("int32 keeps its dtype", () => {
    const x = tensor([1, 2, 3, 4], [4], "int32");
    expectNoLeaks(() => {
      const s = cumsum(x, 0);
      const p = cumprod(x, 0, { exclusive: true });
      expect(s.dtype).toBe("int32");
      expect(Array.from(s.dataSync())).toEqual([1, 3, 6, 10]);
      expect(Array.from(p.dataSync())).toEqual([1, 1, 2, 6]);
      return [s, p];
    });
    x.dispose();
  });

  test("gradients match finite differences, to second order, under every option", () => {
    const [x] = randTensor([3, 5], 3, 0.5, 1.5);
    for (const reverse of [false, true])
      for (const exclusive of [false, true]) {
        checkGrads((t: Tensor<[3, 5]>) => cumsum(t, 1, { reverse, exclusive }), [x], { order: 2 });
        checkGrads((t: Tensor<[3, 5]>) => cumprod(t, 1, { reverse, exclusive }), [x], { order: 2 });
        checkGrads((t: Tensor<[3, 5]>) => cumprod(t, 0, { reverse, exclusive }), [x], { order: 2 });
      }
    x.dispose();
  });

  test("cumprod's gradient is exact where entries are zero (no division)", () => {
    const v = [2, 0, 3, 0.5, 0, 1.5, -1];
    const w = [1, -2, 0.5, 3, 1, -1, 2];
    const x = tensor(v, [7]);
    const wt = tensor(w, [7]);
    const g = grad((t: Tensor<[7]>) => sum(mul(cumprod(t, 0), wt)))(x);
    // d/dx_j sum_i w_i prod_{k <= i} x_k = sum_{i >= j} w_i prod_{k <= i, k != j} x_k
    const want = v.map((_, j) => {
      let s = 0;
      for (let i = j; i < v.length; i++) {
        let p = w[i];
        for (let k = 0; k <= i; k++) if (k !== j) p *= v[k];
        s += p;
      }
      return s;
    });
    expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
    expectClose(g.dataSync(), want, 1e-6);
    for (const t of [x, wt, g]) t.dispose();
  });

  test("jit and vmap agree with eager", () => {
    const [x] = randTensor([4, 6], 5);
    const f = (t: Tensor<[4, 6]>) => cumprod(cumsum(t, 1, { reverse: true }), 1, { exclusive: true });
    const eager = f(x);
    const jf = jit(f);
    const jitted = jf(x);
    const row = (t: Tensor<[6]>) => cumprod(cumsum(t, 0, { reverse: true }), 0, { exclusive: true });
    const mapped = vmap(row)(x);
    expectClose(jitted.dataSync(), eager.dataSync());
    expectClose(mapped.dataSync(), eager.dataSync());
    for (const t of [x, eager, jitted, mapped]) t.dispose();
    jf.dispose();
  });

  test("bad input: exact messages, nothing leaked", () => {
    const x = tensor([1, 2, 3, 4], [2, 2]);
    const b = tensor([1, 0], [2], "bool");
    expectNoLeaks(() => {
      expect(() => cumsum(x, 2 as never)).toThrow(ShapeError);
      expect(() => cumsum(x, 2 as never)).toThrow("cumsum: axis 2 is out of range for rank 2 (expected -2..1)");
      expect(() => cumprod(x, -3 as never)).toThrow("cumprod: axis -3 is out of range for rank 2 (expected -2..1)");
      expect(() => cumsum(b as never, 0)).toThrow(DTypeError);
      expect(() => cumsum(b as never, 0)).toThrow("cumsum: expects a numeric tensor, got bool; cast it first");
      expect(() => cumprod(x, 0, { reverse: 1 as never })).toThrow("cumprod: reverse must be a boolean, got number");
      expect(() => cumsum(x, "0" as never)).toThrow("cumsum: axis must be a number, got string");
      expect(() => cumsum(x, 0, 3 as never)).toThrow(ValueError);
    });
    x.dispose();
    b.dispose();
  });
});

describe("sort, argsort, topK", () => {
  test("sort and argsort match a stable float64 sort on random shapes and axes, with ties", () => {
    fc.assert(
      fc.property(arbCase, fc.boolean(), ({ shape, axis, seed }, descending) => {
        // values on a coarse grid, so lines have ties
        const [r] = randTensor(shape, seed, -2, 2);
        const v = Array.from(r.dataSync(), (a) => Math.round(a * 2) / 2);
        r.dispose();
        const x = tensor(v, shape);
        const idx = argsort(x, { axis, descending });
        const sorted = sort(x, { axis, descending });
        const want = argsortRef(v, shape, axis, descending);
        expect(idx.dtype).toBe("int32");
        expect(Array.from(idx.dataSync())).toEqual(want);
        const st = strides(shape);
        const wantValues = want.map((p, f) => v[f + (p - unravel(f, shape)[axis]) * st[axis]]);
        expect(Array.from(sorted.dataSync())).toEqual(wantValues);
        for (const t of [x, idx, sorted]) t.dispose();
      }),
      { numRuns: RUNS * 3, seed: 11 },
    );
  });

  test("int32 sorts both ways, extremes included (no overflow in the ascending key)", () => {
    const x = tensor([5, -2147483648, 2147483647, 0, 5], [5], "int32");
    expectNoLeaks(() => {
      const up = sort(x);
      const down = argsort(x, { descending: true });
      expect(Array.from(up.dataSync())).toEqual([-2147483648, 0, 5, 5, 2147483647]);
      expect(Array.from(down.dataSync())).toEqual([2, 0, 4, 3, 1]);
      return [up, down];
    });
    x.dispose();
  });

  test("topK: values and indices, sorted or in x's order, ties to the lower index", () => {
    const x = tensor([1, 4, 2, 4, 3, 0, 9, 9, 1, 2], [2, 5]);
    const y = tensor([5, 1, 7, 3], [4]);
    expectNoLeaks(() => {
      const a = topK(x, 3);
      const b = topK(x, 3, { sorted: false });
      expect(a.values.shape).toEqual([2, 3]);
      expect(Array.from(a.values.dataSync())).toEqual([4, 4, 3, 9, 9, 2]);
      expect(Array.from(a.indices.dataSync())).toEqual([1, 3, 4, 1, 2, 4]);
      expect(Array.from(b.indices.dataSync())).toEqual([1, 3, 4, 1, 2, 4]);
      const c = topK(y, 2, { sorted: false });
      expect(Array.from(c.indices.dataSync())).toEqual([0, 2]);
      expect(Array.from(c.values.dataSync())).toEqual([5, 7]);
      const z = topK(x, 0);
      expect(z.values.shape).toEqual([2, 0]);
      return [a.values, a.indices, b.values, b.indices, c.values, c.indices, z.values, z.indices];
    });
    x.dispose();
    y.dispose();
  });

  test("gradients: values scatter back to their positions (finite differences, second order)", () => {
    const [x] = randTensor([3, 6], 9); // distinct values: no ties, so the derivative exists
    checkGrads((t: Tensor<[3, 6]>) => sort(t, { axis: 0, descending: true }), [x], { order: 2 });
    checkGrads((t: Tensor<[3, 6]>) => sort(t), [x], { order: 2 });
    checkGrads((t: Tensor<[3, 6]>) => topK(t, 4).values, [x], { order: 2 });
    checkGrads((t: Tensor<[3, 6]>) => topK(t, 2, { sorted: false }).values, [x], { order: 2 });
    const g = grad((t: Tensor<[3, 6]>) => sum(topK(t, 2).values))(x);
    const { indices } = topK(x, 2);
    const picked = new Set(Array.from(indices.dataSync(), (j, i) => Math.floor(i / 2) * 6 + j));
    expect(Array.from(g.dataSync())).toEqual(Array.from({ length: 18 }, (_, f) => (picked.has(f) ? 1 : 0)));
    for (const t of [x, g, indices]) t.dispose();
  });

  test("jit and vmap agree with eager", () => {
    const [x] = randTensor([4, 5], 13);
    const f = (t: Tensor<[4, 5]>) => mul(sort(t, { axis: 0 }), topK(t, 5).values);
    const eager = f(x);
    const jf = jit(f);
    const jitted = jf(x);
    const mapped = vmap((t: Tensor<[5]>) => argsort(t))(x);
    const direct = argsort(x);
    expectClose(jitted.dataSync(), eager.dataSync());
    expect(Array.from(mapped.dataSync())).toEqual(Array.from(direct.dataSync()));
    for (const t of [x, eager, jitted, mapped, direct]) t.dispose();
    jf.dispose();
  });

  test("bad input: exact messages, nothing leaked", () => {
    const x = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = tensor([1, 0], [2], "bool");
    expectNoLeaks(() => {
      expect(() => topK(x, 4 as never)).toThrow(ShapeError);
      expect(() => topK(x, 4 as never)).toThrow("topK: k = 4 is larger than the last dim 3 of [2, 3]");
      expect(() => topK(x, 1.5)).toThrow("topK: k must be a non-negative integer, got 1.5");
      expect(() => topK(x, -1)).toThrow(ValueError);
      expect(() => sort(x, { axis: 2 as never })).toThrow("sort: axis 2 is out of range for rank 2 (expected -2..1)");
      expect(() => argsort(x, { descending: "yes" as never })).toThrow("argsort: descending must be a boolean, got string");
      expect(() => topK(x, 1, { sorted: 0 as never })).toThrow("topK: sorted must be a boolean, got number");
      expect(() => sort(b as never)).toThrow(DTypeError);
    });
    x.dispose();
    b.dispose();
  });
});

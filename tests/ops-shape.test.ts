import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { tensor, withShape, type Tensor } from "../src/tensor/index.js";
import { grad } from "../src/core/index.js";
import {
  broadcastTo,
  concat,
  expandDims,
  flatten,
  gather,
  mul,
  oneHot,
  pad,
  reshape,
  slice,
  squeeze,
  stack,
  sum,
  transpose,
} from "../src/ops/index.js";
import { expectClose, expectNoLeaks, randTensor, size, strides, unravel } from "./ops-helpers.js";

const arbShape = (maxRank = 4, maxDim = 4) => fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: 1, maxLength: maxRank });

/** Value at multi-index idx of a row-major array. */
const at = (v: readonly number[], shape: readonly number[], idx: readonly number[]) => {
  const st = strides(shape);
  return v[idx.reduce((s, k, i) => s + k * st[i], 0)];
};

describe("reshape and flatten", () => {
  test("reshape keeps row-major order and infers one -1", () => {
    const [x, xv] = randTensor([2, 3, 4], 1);
    expectNoLeaks(() => {
      const a = reshape(x, [4, -1]);
      const b = reshape(x, [24]);
      expect(a.shape).toEqual([4, 6]);
      expect(b.shape).toEqual([24]);
      expectClose(a.dataSync(), xv);
      return [a, b];
    });
    x.dispose();
  });

  test("a named dim takes the input's size at its index", () => {
    const [raw] = randTensor([5, 7, 7, 2], 2);
    const x = withShape(raw, ["batch", 7, 7, 2]);
    const y = reshape(x, ["batch", -1]);
    expect(y.shape).toEqual([5, 98]);
    const z = reshape(x, ["batch", 49, 2]);
    expect(z.shape).toEqual([5, 49, 2]);
    [raw, y, z].forEach((t) => t.dispose());
  });

  test("runtime shape equals the Reshape rule with a -1 at a random place (property)", () => {
    const arb = arbShape().chain((shape) => fc.tuple(fc.constant(shape), fc.integer({ min: 0, max: shape.length - 1 }), fc.boolean()));
    fc.assert(
      fc.property(arb, ([shape, hole, reverse]) => {
        const target = (reverse ? [...shape].reverse() : [...shape]).map((d, i) => (i === hole ? -1 : d));
        const expected = target.map((d) => (d === -1 ? size(shape) / size(target.filter((t) => t !== -1)) : d));
        const [x, xv] = randTensor(shape, 3);
        const y = reshape(x, target as never);
        expect([...y.shape]).toEqual(expected);
        expectClose(y.dataSync(), xv);
        [x, y].forEach((t) => t.dispose());
      }),
      { numRuns: 30 },
    );
  });

  test("flatten folds from startAxis to the end", () => {
    const [x, xv] = randTensor([2, 3, 4], 4);
    expectNoLeaks(() => {
      const a = flatten(x);
      const b = flatten(x, 1);
      const c = flatten(x, -1);
      expect([a.shape, b.shape, c.shape]).toEqual([[24], [2, 12], [2, 3, 4]]);
      expectClose(b.dataSync(), xv);
      return [a, b, c];
    });
    x.dispose();
  });

  test("errors say what was expected and what came", () => {
    const [x] = randTensor([2, 3], 5);
    const any = x as Tensor<any>;
    expect(() => reshape(x, [4, 2] as never)).toThrow("reshape: cannot reshape [2, 3] (6 elements) into [4, 2] (8 elements)");
    expect(() => reshape(x, [-1, -1] as never)).toThrow("reshape: at most one -1 allowed, got [-1, -1]");
    expect(() => reshape(x, [4, -1] as never)).toThrow("reshape: cannot reshape [2, 3] (6 elements) into [4, -1]");
    expect(() => reshape(any, [1, 6, "batch"])).toThrow(
      "reshape: named dim batch at index 2 of [1, 6, batch] has no input dim at that index (input [2, 3])",
    );
    expect(() => reshape(x, "6" as never)).toThrow("reshape: shape must be an array of dims, got string");
    expect(() => flatten(x, 2 as never)).toThrow("flatten: startAxis 2 is out of range for [2, 3] (rank 2)");
    x.dispose();
  });
});

describe("transpose, squeeze, expandDims, broadcastTo", () => {
  test("transpose moves values; default reverses axes (property over permutations)", () => {
    const arb = arbShape().chain((shape) =>
      fc.tuple(
        fc.constant(shape),
        fc.shuffledSubarray(
          shape.map((_, i) => i),
          { minLength: shape.length, maxLength: shape.length },
        ),
      ),
    );
    fc.assert(
      fc.property(arb, ([shape, perm]) => {
        const [x, xv] = randTensor(shape, 6);
        const y = transpose(x, perm as never);
        const out = perm.map((p) => shape[p]);
        expect([...y.shape]).toEqual(out);
        const want = Array.from({ length: size(out) }, (_, i) => {
          const idx = unravel(i, out);
          const src = new Array<number>(shape.length);
          perm.forEach((p, k) => (src[p] = idx[k]));
          return at(xv, shape, src);
        });
        expectClose(y.dataSync(), want);
        [x, y].forEach((t) => t.dispose());
      }),
      { numRuns: 30 },
    );
    const [m, mv] = randTensor([2, 3], 7);
    const t = transpose(m);
    expect(t.shape).toEqual([3, 2]);
    expectClose(
      t.dataSync(),
      [0, 1, 2].flatMap((j) => [mv[j], mv[3 + j]]),
    );
    expect(() => transpose(m, [0, 0] as never)).toThrow("transpose: [0, 0] is not a permutation of the 2 axes");
    [m, t].forEach((z) => z.dispose());
  });

  test("squeeze and expandDims", () => {
    const [x] = randTensor([2, 1, 3, 1], 8);
    expectNoLeaks(() => {
      const a = squeeze(x);
      const b = squeeze(x, -1);
      const c = expandDims(a, 0);
      const d = expandDims(a, -1);
      expect([a.shape, b.shape, c.shape, d.shape]).toEqual([
        [2, 3],
        [2, 1, 3],
        [1, 2, 3],
        [2, 3, 1],
      ]);
      return [a, b, c, d];
    });
    expect(() => squeeze(x, 0 as never)).toThrow("squeeze: axis 0 has size 2, expected 1 (shape [2, 1, 3, 1])");
    expect(() => squeeze(x, 4 as never)).toThrow("squeeze: axis 4 is out of range for [2, 1, 3, 1] (rank 4)");
    expect(() => expandDims(x, 5 as never)).toThrow("expandDims: axis 5 is out of range for [2, 1, 3, 1] (rank 4; expected -5..4)");
    x.dispose();
  });

  test("broadcastTo repeats values; its gradient sums back", () => {
    const v = tensor([1, 2, 3], [3]);
    expectNoLeaks(() => {
      const y = broadcastTo(v, [2, 3]);
      expect(y.shape).toEqual([2, 3]);
      expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 1, 2, 3]);
      return y;
    });
    const w = tensor([1, 10], [2, 1]);
    const g = grad((t: Tensor<[3]>) => sum(mul(broadcastTo(t, [2, 3]), w)))(v);
    expect(Array.from(g.dataSync())).toEqual([11, 11, 11]);
    expect(() => broadcastTo(v, [2, 4] as never)).toThrow("broadcastTo: cannot broadcast [3] to [2, 4]");
    expect(() => broadcastTo(v, [2, -3] as never)).toThrow("broadcastTo: shape must be an array of non-negative integers, got [2, -3]");
    [v, w, g].forEach((t) => t.dispose());
  });
});

describe("concat, stack, slice, pad", () => {
  test("concat along a random axis: shape is the sum there, values in order (property)", () => {
    const arb = arbShape(3).chain((shape) =>
      fc.tuple(fc.constant(shape), fc.integer({ min: 0, max: shape.length - 1 }), fc.integer({ min: 1, max: 3 }), fc.boolean()),
    );
    fc.assert(
      fc.property(arb, ([shape, axis, extra, negative]) => {
        const other = shape.map((d, i) => (i === axis ? extra : d));
        const [a, av] = randTensor(shape, 9);
        const [b, bv] = randTensor(other, 10);
        const y = concat([a, b] as Tensor<number[]>[], (negative ? axis - shape.length : axis) as never);
        const out = shape.map((d, i) => (i === axis ? d + extra : d));
        expect([...y.shape]).toEqual(out);
        const want = Array.from({ length: size(out) }, (_, i) => {
          const idx = unravel(i, out);
          return idx[axis] < shape[axis]
            ? at(av, shape, idx)
            : at(
                bv,
                other,
                idx.map((k, j) => (j === axis ? k - shape[axis] : k)),
              );
        });
        expectClose(y.dataSync(), want);
        [a, b, y].forEach((t) => t.dispose());
      }),
      { numRuns: 30 },
    );
  });

  test("stack adds an axis; errors name the op", () => {
    const a = tensor([1, 2, 3], [3]);
    const b = tensor([4, 5, 6], [3]);
    const c = tensor([1, 2], [2]);
    expectNoLeaks(() => {
      const s0 = stack([a, b]);
      const s1 = stack([a, b], -1);
      expect(s0.shape).toEqual([2, 3]);
      expect(s1.shape).toEqual([3, 2]);
      expect(Array.from(s1.dataSync())).toEqual([1, 4, 2, 5, 3, 6]);
      return [s0, s1];
    });
    expect(() => stack([a, c] as never)).toThrow("stack: tensor 1 has shape [2] but tensor 0 has [3]; stacked tensors need equal shapes");
    expect(() => concat([a, tensor([[1]], [1, 1])] as never)).toThrow("concat: all shapes need rank 1, got [3] and [1, 1] (tensor 1)");
    expect(() => concat([] as never)).toThrow("concat: needs at least one tensor, got none");
    expect(() => concat([a, 3] as never)).toThrow("concat: expected a tensor for tensor 1, got number");
    [a, b, c].forEach((t) => t.dispose());
  });

  test("slice then pad: shapes follow the rules, values are the window, gradient is the padded mask", () => {
    const [x, xv] = randTensor([4, 5], 11);
    expectNoLeaks(() => {
      const s = slice(x, [1, 2], [2, -1]);
      expect(s.shape).toEqual([2, 3]);
      expectClose(
        s.dataSync(),
        [1, 2].flatMap((i) => [2, 3, 4].map((j) => xv[i * 5 + j])),
      );
      const p = pad(
        s,
        [
          [1, 0],
          [0, 2],
        ],
        -1,
      );
      expect(p.shape).toEqual([3, 5]);
      expectClose(p.dataSync(), [-1, -1, -1, -1, -1, ...[1, 2].flatMap((i) => [...[2, 3, 4].map((j) => xv[i * 5 + j]), -1, -1])]);
      return [s, p];
    });
    const g = grad((t: Tensor<[4, 5]>) => sum(slice(t, [1, 2], [2, 3])))(x);
    expect(Array.from(g.dataSync())).toEqual(
      Array.from({ length: 20 }, (_, i) => (Math.floor(i / 5) >= 1 && Math.floor(i / 5) <= 2 && i % 5 >= 2 ? 1 : 0)),
    );
    expect(() => slice(x, [0, 3], [-1, 3] as never)).toThrow("slice: begin 3 + size 3 exceeds dim 5 at axis 1 of [4, 5]");
    expect(() => pad(x, [[1, 1]] as never)).toThrow("pad: expected 2 [before, after] pairs (one per axis of [4, 5]), got 1");
    [x, g].forEach((t) => t.dispose());
  });
});

describe("gather and oneHot", () => {
  test("gather picks rows (or columns), output shape = x[:axis] ++ indices ++ x[axis+1:]", () => {
    const [emb, ev] = randTensor([5, 3], 12);
    const ids = tensor([4, 0, 4, 2], [2, 2], "int32");
    expectNoLeaks(() => {
      const rows = gather(emb, ids);
      expect(rows.shape).toEqual([2, 2, 3]);
      expectClose(
        rows.dataSync(),
        [4, 0, 4, 2].flatMap((r) => ev.slice(r * 3, r * 3 + 3)),
      );
      const pick = tensor([2, 0], [2], "int32");
      const cols = gather(emb, pick, 1);
      pick.dispose();
      expect(cols.shape).toEqual([5, 2]);
      expectClose(
        cols.dataSync(),
        [0, 1, 2, 3, 4].flatMap((r) => [ev[r * 3 + 2], ev[r * 3]]),
      );
      return [rows, cols];
    });
    const bad = tensor([1, 5], [2], "int32");
    expect(() => gather(emb, bad)).toThrow("gather: index 5 at position [1] is out of range for axis 0 of size 5 (expected 0..4)");
    [emb, ids, bad].forEach((t) => t.dispose());
  });

  test("oneHot gives float rows with a 1 at each label", () => {
    const labels = tensor([2, 0, 1], [3], "int32");
    expectNoLeaks(() => {
      const y = oneHot(labels, 4);
      expect(y.shape).toEqual([3, 4]);
      expect(y.dtype).toBe("float32");
      expect(Array.from(y.dataSync())).toEqual([0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0]);
      return y;
    });
    expect(() => oneHot(labels, 2)).toThrow("oneHot: label 2 at position [0] is out of range for depth 2 (expected 0..1)");
    const f = tensor([1], [1]);
    expect(() => oneHot(f as never, 2)).toThrow("oneHot: labels must be int32, got float32");
    [labels, f].forEach((t) => t.dispose());
  });
});

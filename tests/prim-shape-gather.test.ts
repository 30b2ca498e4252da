import { describe, expect, test } from "vitest";
import { tensor, zeros, type AnyTensor } from "../src/tensor/index.js";
import { liveTensors } from "../src/backend/index.js";
import { grad, jit, vmap, gather, oneHot, scatterAdd, mul, sin, sum } from "../src/core/index.js";
import {
  at,
  build,
  checkGradient,
  checkJvpVjp,
  checkVmap,
  errorOf,
  expectClose,
  gridValues,
  ints,
  noLeaks,
  refGather,
  refScatterAdd,
  rng,
  toTensor,
  type Input,
} from "./prim-shape-helpers.js";

const next = rng(61);
const table = gridValues([5, 3], next); // [vocab 5, dim 3]
const cube = gridValues([2, 4, 3], next);
// duplicates on purpose: their gradients must add up
const idx: Input = { data: [4, 0, 4, 2, 4, 1], shape: [2, 3] };
const hyper = gridValues([2, 3, 4, 2], next);
const batchIdx: Input = { data: [3, 3, 0, 1, 2, 1], shape: [2, 3] }; // batchDims 1 against cube [2, 4, 3] at axis 1

describe("gather", () => {
  test("forward matches plain JS: axes, negative axis, scalar index, batchDims", () => {
    noLeaks((own) => {
      const [tt, tc] = own([table, cube].map(toTensor));
      const cases: [AnyTensor, Input, Input, number, number, number][] = [
        // x, x input, indices, axis, normalized axis, batchDims
        [tt, table, idx, 0, 0, 0],
        [tc, cube, { data: [2, 0, 2], shape: [3] }, -1, 2, 0],
        [tc, cube, { data: [3, 0], shape: [2] }, 1, 1, 0],
        [tc, cube, { data: [1], shape: [] }, 0, 0, 0],
        [tc, cube, batchIdx, 1, 1, 1],
        // batchDims 1 with an axis between the batch axis and the gathered one
        [own(toTensor(hyper)), hyper, { data: [3, 0, 0, 2, 1, 1], shape: [2, 3] }, 2, 2, 1],
      ];
      for (const [t, input, i, axis, norm, bd] of cases) {
        const y = own(gather(t, own(ints(i.data, i.shape)), axis, { batchDims: bd }));
        const [shape, data] = refGather(input, i, norm, bd);
        expect(y.shape).toEqual(shape);
        expect(Array.from(y.dataSync())).toEqual(data);
      }
      const g = own(gather(own(tensor([10, 20, 30], [3], "int32")), own(ints([2, 2, 0], [3]))));
      expect([g.dtype, g.arraySync()]).toEqual(["int32", [30, 30, 10]]);
    });
  });

  test("argument errors", () => {
    noLeaks((own) => {
      const t = own(toTensor(table));
      const i = own(ints([0, 1], [2]));
      expect(errorOf(() => gather(t, own(tensor([0, 1], [2]))))).toBe("gather: indices must be int32, got float32");
      expect(errorOf(() => gather(t, i, 2))).toBe("gather: axis 2 is out of range for [5, 3] (rank 2)");
      expect(errorOf(() => gather(t, i, -3))).toBe("gather: axis -3 is out of range for [5, 3] (rank 2)");
      expect(errorOf(() => gather(t, i, 1, { batchDims: 2 }))).toBe("gather: batchDims 2 must be in 0..1 (axis 1, indices [2])");
      expect(errorOf(() => gather(t, i, 1, { batchDims: 1 }))).toBe("gather: batch dim 0 differs: x [5, 3] has 5, indices [2] have 2");
    });
  });

  test("out-of-range indices throw naming the index, its position and the valid range (eager, jit, vmap)", () => {
    noLeaks((own) => {
      const t = own(toTensor(table));
      expect(errorOf(() => gather(t, own(ints([0, 1, 2, 5], [2, 2]))))).toBe(
        "gather: index 5 at position [1, 1] is out of range for axis 0 of size 5 (expected 0..4)",
      );
      expect(errorOf(() => gather(t, own(ints([-1], [1])), 1))).toBe(
        "gather: index -1 at position [0] is out of range for axis 1 of size 3 (expected 0..2)",
      );
      expect(errorOf(() => gather(own(zeros([0, 2])), own(ints([0], [1]))))).toBe(
        "gather: index 0 at position [0] is out of range for axis 0 of size 0 (axis has size 0, so no index is valid)",
      );
      // under jit the indices only have values when the graph replays: the check runs there
      const f = jit((x: AnyTensor, i: AnyTensor) => sum(gather(x, i)));
      own(f(t, own(ints([1, 2], [2]))));
      expect(errorOf(() => f(t, own(ints([1, 7], [2]))))).toBe(
        "gather: index 7 at position [1] is out of range for axis 0 of size 5 (expected 0..4)",
      );
      f.dispose();
      // under grad the primal indices are concrete
      expect(errorOf(() => grad((x: AnyTensor) => sum(gather(x, own(ints([9], [1])))) as never)(t as never))).toBe(
        "gather: index 9 at position [0] is out of range for axis 0 of size 5 (expected 0..4)",
      );
      // under vmap a shared table with batched indices is gathered once, so positions count the batch
      expect(errorOf(() => vmap((i: AnyTensor) => gather(t, i))(own(ints([0, 1, 5, 2], [2, 2]))))).toBe(
        "gather: index 5 at position [1, 0] is out of range for axis 0 of size 5 (expected 0..4)",
      );
    });
  });

  test("first and second derivatives match finite differences (duplicates add up)", () => {
    noLeaks((own) => {
      const i = own(ints(idx.data, idx.shape));
      const bi = own(ints(batchIdx.data, batchIdx.shape));
      checkGradient((x) => gather(x, i), [table]);
      checkGradient((x) => gather(x, i, 1), [gridValues([2, 5, 3], rng(62))]);
      checkGradient((x) => gather(x, bi, 1, { batchDims: 1 }), [cube]);
    });
  });

  test("jvp and vjp agree (inner-product identity)", () => {
    noLeaks((own) => {
      const i = own(ints(idx.data, idx.shape));
      const bi = own(ints(batchIdx.data, batchIdx.shape));
      checkJvpVjp((x) => gather(x, i), [table]);
      checkJvpVjp((x) => gather(x, bi, 1, { batchDims: 1 }), [cube]);
    });
  });

  test("vmap equals a loop: batched table, batched indices, both, and with batchDims", () => {
    noLeaks((own) => {
      const n = rng(63);
      const tables = own(toTensor(gridValues([3, 5, 3], n)));
      const shared = own(toTensor(table));
      const idxs = own(ints([0, 4, 4, 1, 2, 3, 3, 3, 0, 1, 2, 0, 4, 4, 4, 0, 0, 0], [3, 2, 3]));
      const one = own(ints(idx.data, idx.shape));
      checkVmap((x, i) => gather(x, i), [tables, one], [0, null]);
      checkVmap((x, i) => gather(x, i, 1), [tables, own(ints([2, 0, 1, 1], [4]))], [0, null]);
      checkVmap((x, i) => gather(x, i), [shared, idxs], [null, 0]);
      checkVmap((x, i) => gather(x, i, -1), [shared, own(ints([0, 2, 1, 1, 2, 2], [3, 2]))], [null, 0]);
      checkVmap((x, i) => gather(x, i), [tables, idxs], [0, 0]);
      checkVmap((x, i) => gather(x, i, 1), [tables, own(ints([2, 0, 1, 1, 1, 2], [3, 2]))], [0, 0]);
      // batchDims 1 inside vmap: every combination of batched arguments
      const cubes = own(toTensor(gridValues([2, 2, 4, 3], n)));
      const bis = own(ints([3, 3, 0, 1, 2, 1, 0, 1, 2, 3, 3, 0], [2, 2, 3]));
      const c = own(toTensor(cube));
      const bi = own(ints(batchIdx.data, batchIdx.shape));
      checkVmap((x, i) => gather(x, i, 1, { batchDims: 1 }), [cubes, bi], [0, null]);
      checkVmap((x, i) => gather(x, i, 1, { batchDims: 1 }), [c, bis], [null, 0]);
      checkVmap((x, i) => gather(x, i, 1, { batchDims: 1 }), [cubes, bis], [0, 0]);
    });
  });
});

describe("scatterAdd", () => {
  const upd = gridValues([2, 3, 3], rng(71)); // gather(table, idx)'s shape

  test("forward matches plain JS: duplicates sum, axes, batchDims", () => {
    noLeaks((own) => {
      const cases: [Input, Input, number, number, number][] = [
        // updates, indices, size, axis, batchDims
        [upd, idx, 5, 0, 0],
        [gridValues([3, 2, 3], rng(72)), idx, 6, 1, 0],
        [gridValues([2, 3, 4], rng(73)), { data: [1, 1, 0, 2, 2, 2], shape: [2, 3] }, 3, 1, 1],
        [gridValues([4], rng(74)), { data: [1, 1, 1, 0], shape: [4] }, 2, 0, 0],
        [gridValues([2, 3], rng(75)), { data: [1], shape: [] }, 4, 1, 0],
        [gridValues([2, 3, 3, 2], rng(79)), { data: [3, 0, 0, 2, 1, 1], shape: [2, 3] }, 4, 2, 1],
      ];
      for (const [u, i, size, axis, bd] of cases) {
        const y = own(scatterAdd(own(toTensor(u)), own(ints(i.data, i.shape)), size, axis, { batchDims: bd }));
        const [shape, data] = refScatterAdd(u, i, size, axis, bd);
        expect(y.shape).toEqual(shape);
        expect(Array.from(y.dataSync())).toEqual(data);
      }
      const z = own(scatterAdd(own(zeros([0, 3])), own(ints([], [0])), 4));
      expect(Array.from(z.dataSync())).toEqual(new Array(12).fill(0));
      const w = own(scatterAdd(own(tensor([1, 2, 3], [3], "int32")), own(ints([0, 2, 0], [3])), 3));
      expect([w.dtype, w.arraySync()]).toEqual(["int32", [4, 0, 2]]);
    });
  });

  test("errors", () => {
    noLeaks((own) => {
      const u = own(toTensor(upd));
      const i = own(ints(idx.data, idx.shape));
      expect(errorOf(() => scatterAdd(u, own(ints([0, 1, 2], [3])), 5))).toBe(
        "scatterAdd: updates [2, 3, 3] do not fit indices [3] at axis 0 (expected updates with dims [3] starting at axis 0)",
      );
      expect(errorOf(() => scatterAdd(u, i, 5, 2))).toBe(
        "scatterAdd: updates [2, 3, 3] do not fit indices [2, 3] at axis 2 (expected updates with dims [2, 3] starting at axis 2)",
      );
      expect(errorOf(() => scatterAdd(u, i, 4))).toBe(
        "scatterAdd: index 4 at position [0, 0] is out of range for axis 0 of size 4 (expected 0..3)",
      );
      expect(errorOf(() => scatterAdd(u, i, -1))).toBe("scatterAdd: size must be a non-negative integer, got -1");
      expect(errorOf(() => scatterAdd(u, own(tensor([0, 1], [2])), 5))).toBe("scatterAdd: indices must be int32, got float32");
      expect(errorOf(() => scatterAdd(u, i, 5, 0, { batchDims: 3 }))).toBe("scatterAdd: batchDims 3 must be in 0..2 (indices [2, 3])");
    });
  });

  test("gradient, jvp/vjp identity and vmap", () => {
    noLeaks((own) => {
      const i = own(ints(idx.data, idx.shape));
      const bi = own(ints([1, 1, 0, 2, 2, 2], [2, 3]));
      checkGradient((u) => scatterAdd(u, i, 5), [upd]);
      checkGradient((u) => scatterAdd(u, bi, 3, 1, { batchDims: 1 }), [gridValues([2, 3, 4], rng(76))]);
      checkJvpVjp((u) => scatterAdd(u, i, 6, 1), [gridValues([3, 2, 3], rng(77))]);
      const n = rng(78);
      const us = own(toTensor(gridValues([3, 2, 3, 3], n)));
      const shared = own(toTensor(upd));
      const idxs = own(ints([0, 4, 4, 1, 2, 3, 3, 3, 0, 1, 2, 0, 4, 4, 4, 0, 0, 0], [3, 2, 3]));
      checkVmap((u, j) => scatterAdd(u, j, 5), [us, i], [0, null]);
      checkVmap((u, j) => scatterAdd(u, j, 5), [shared, idxs], [null, 0]);
      checkVmap((u, j) => scatterAdd(u, j, 5), [us, idxs], [0, 0]);
      checkVmap(
        (u, j) => scatterAdd(u, j, 4, 1),
        [own(toTensor(gridValues([3, 2, 2, 3], n))), own(ints([2, 0, 3, 1, 1, 2], [3, 2]))],
        [0, 0],
      );
      checkVmap((u, j) => scatterAdd(u, j, 5, 1), [own(toTensor(gridValues([2, 4, 2, 3, 2], n))), i], [0, null]);
    });
  });
});

describe("gather and scatterAdd together", () => {
  test("grad of grad through the gather/scatterAdd chain matches the closed form", () => {
    // f(x) = sum(w * sin(x[idx])); h(x) = sum(v * grad f(x)) = sum_j v[idx_j] w_j cos(x[idx_j]);
    // dh/dx_k = -sum_{j: idx_j = k} v_k w_j sin(x_k)   (rows of the table, broadcast over the feature axis)
    noLeaks((own) => {
      const n = rng(81);
      const w = gridValues([2, 3, 3], n),
        v = gridValues(table.shape, n);
      const [tx, tw, tv] = own([table, w, v].map(toTensor));
      const i = own(ints(idx.data, idx.shape));
      const f = (x: AnyTensor) => sum(mul(tw, sin(gather(x, i))));
      const h = (x: AnyTensor) => sum(mul(tv, grad(f as never)(x) as AnyTensor));
      const g2 = own(grad(h as never)(tx as never) as AnyTensor);
      const expected = build(table.shape, ([k, d]) => {
        let s = 0;
        idx.data.forEach((row, j) => {
          if (row === k) s -= at(v.data, v.shape, [k, d]) * w.data[j * 3 + d] * Math.sin(at(table.data, table.shape, [k, d]));
        });
        return s;
      });
      expectClose(g2.dataSync(), expected, 1e-5);
      // and the second derivative of scatterAdd's own chain: g(u) = sum(w2 * sin(scatterAdd(u)))
      const u = gridValues([2, 3, 3], n),
        w2 = gridValues(table.shape, n),
        v2 = gridValues([2, 3, 3], n);
      const [tu, tw2, tv2] = own([u, w2, v2].map(toTensor));
      const g = (x: AnyTensor) => sum(mul(tw2, sin(scatterAdd(x, i, 5))));
      const hh = (x: AnyTensor) => sum(mul(tv2, grad(g as never)(x) as AnyTensor));
      const gg = own(grad(hh as never)(tu as never) as AnyTensor);
      // grad g(u)_j = w2[idx_j] cos(s[idx_j]) with s = scatterAdd(u); d/du_m of sum_j v2_j w2[idx_j] cos(s[idx_j])
      //   = -sum_j v2_j w2[idx_j] sin(s[idx_j]) [idx_j = idx_m]
      const [, s] = refScatterAdd(u, idx, 5, 0);
      const expected2 = build(u.shape, ([a, b, d]) => {
        const row = idx.data[a * 3 + b];
        let acc = 0;
        idx.data.forEach((r, j) => {
          if (r === row) acc -= v2.data[j * 3 + d] * w2.data[row * 3 + d] * Math.sin(s[row * 3 + d]);
        });
        return acc;
      });
      expectClose(gg.dataSync(), expected2, 1e-5);
    });
  });

  test("per-example gradients of an embedding lookup: vmap(grad) equals a loop", () => {
    noLeaks((own) => {
      const n = rng(82);
      const tt = own(toTensor(table));
      const w = own(toTensor(gridValues([3, 3], n)));
      const ids = own(ints([0, 4, 4, 1, 2, 3, 3, 0, 1, 2, 2, 2], [4, 3]));
      const loss = (x: AnyTensor, i: AnyTensor) => sum(mul(w, sin(gather(x, i))));
      const perExample = own(vmap(grad(loss as never) as never, { inAxes: [null, 0] })(tt, ids) as AnyTensor);
      expect(perExample.shape).toEqual([4, 5, 3]);
      const rows = perExample.arraySync() as number[][][];
      const idsRows = ids.arraySync() as number[][];
      idsRows.forEach((r, b) => {
        const g = own(grad(loss as never)(tt as never, own(ints(r, [3])) as never) as AnyTensor);
        expectClose(rows[b].flat(), Array.from(g.dataSync()), 1e-6);
      });
    });
  });
});

describe("oneHot", () => {
  test("rows with a 1 at each label", () => {
    noLeaks((own) => {
      const y = own(oneHot(own(ints([2, 0, 1, 2], [2, 2])), 3));
      expect([y.dtype, y.shape]).toEqual(["float32", [2, 2, 3]]);
      expect(y.arraySync()).toEqual([
        [
          [0, 0, 1],
          [1, 0, 0],
        ],
        [
          [0, 1, 0],
          [0, 0, 1],
        ],
      ]);
      const batched = own(vmap((i: AnyTensor) => oneHot(i, 4))(own(ints([3, 0, 1], [3]))) as AnyTensor);
      expect(batched.arraySync()).toEqual([
        [0, 0, 0, 1],
        [1, 0, 0, 0],
        [0, 1, 0, 0],
      ]);
    });
  });

  test("errors", () => {
    noLeaks((own) => {
      expect(errorOf(() => oneHot(own(ints([0, 3, 1, 2], [2, 2])), 3))).toBe(
        "oneHot: label 3 at position [0, 1] is out of range for depth 3 (expected 0..2)",
      );
      expect(errorOf(() => oneHot(own(ints([-1], [1])), 3))).toBe(
        "oneHot: label -1 at position [0] is out of range for depth 3 (expected 0..2)",
      );
      expect(errorOf(() => oneHot(own(tensor([0, 1], [2])), 3))).toBe("oneHot: labels must be int32, got float32");
      expect(errorOf(() => oneHot(own(ints([0], [1])), 0))).toBe("oneHot: depth must be a positive integer, got 0");
    });
  });

  test("leaves no intermediate tensors behind when called eagerly", () => {
    const labels = ints([1, 0], [2]);
    const before = liveTensors();
    const y = oneHot(labels, 5);
    expect(liveTensors()).toBe(before + 1);
    y.dispose();
    labels.dispose();
  });
});

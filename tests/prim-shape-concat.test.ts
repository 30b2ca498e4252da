import { describe, expect, test } from "vitest";
import { tensor, zeros, type AnyTensor } from "../src/tensor/index.js";
import { jit, concat, stack, expandDims, squeeze } from "../src/core/index.js";
import {
  at,
  build,
  checkGradient,
  checkJvpVjp,
  checkVmap,
  errorOf,
  gridValues,
  noLeaks,
  rng,
  toTensor,
  type Input,
} from "./prim-shape-helpers.js";

/** concat in plain JS. */
function refConcat(parts: readonly Input[], axis: number): [number[], number[]] {
  const shape = [...parts[0].shape];
  shape[axis] = parts.reduce((a, p) => a + p.shape[axis], 0);
  const data = build(shape, (o) => {
    let j = o[axis];
    for (const p of parts) {
      if (j < p.shape[axis])
        return at(
          p.data,
          p.shape,
          o.map((v, k) => (k === axis ? j : v)),
        );
      j -= p.shape[axis];
    }
    throw new Error("unreachable");
  });
  return [shape, data];
}

describe("concat", () => {
  const next = rng(11);
  const a = gridValues([2, 3, 2], next),
    b = gridValues([2, 1, 2], next),
    c = gridValues([2, 4, 2], next);

  test("forward matches plain JS on every axis, negative axes included", () => {
    noLeaks((own) => {
      const [ta, tb, tc] = own([a, b, c].map(toTensor));
      const cases: [Input[], AnyTensor[], number, number][] = [
        [[a, b, c], [ta, tb, tc], 1, 1],
        [[a, b, c], [ta, tb, tc], -2, 1],
        [[a, a], [ta, ta], 0, 0],
        [[a, a], [ta, ta], -1, 2],
      ];
      for (const [parts, ts, axis, norm] of cases) {
        const y = own(concat(ts, axis));
        const [shape, data] = refConcat(parts, norm);
        expect(y.shape).toEqual(shape);
        expect(Array.from(y.dataSync())).toEqual(data);
      }
    });
  });

  test("int32 inputs, zero-size pieces, and a single tensor (returned as is)", () => {
    noLeaks((own) => {
      const i = own(concat([own(tensor([1, 2], [1, 2], "int32")), own(tensor([3, 4, 5, 6], [2, 2], "int32"))]));
      expect(i.dtype).toBe("int32");
      expect(i.arraySync()).toEqual([
        [1, 2],
        [3, 4],
        [5, 6],
      ]);
      const ta = own(toTensor(a));
      const e = own(concat([own(zeros([2, 0, 2])), ta], 1));
      expect(Array.from(e.dataSync())).toEqual(a.data);
      expect(concat([ta], -1)).toBe(ta);
    });
  });

  test("errors name the op, what was expected and what came", () => {
    noLeaks((own) => {
      const x = own(zeros([2, 3]));
      expect(errorOf(() => concat([]))).toBe("concat: needs at least one tensor, got none");
      expect(errorOf(() => concat([x, own(zeros([3]))]))).toBe("concat: all shapes need rank 2, got [2, 3] and [3] (tensor 1)");
      expect(errorOf(() => concat([x, own(zeros([3, 3]))], 1))).toBe(
        "concat: dims differ at axis 0 (2 vs 3) in [2, 3] and [3, 3] (tensor 1); only axis 1 may differ",
      );
      expect(errorOf(() => concat([x, x], 2))).toBe("concat: axis 2 is out of range for [2, 3] (rank 2)");
      expect(errorOf(() => concat([x, x], -3))).toBe("concat: axis -3 is out of range for [2, 3] (rank 2)");
      expect(errorOf(() => concat([x], 5))).toBe("concat: axis 5 is out of range for [2, 3] (rank 2)");
      expect(errorOf(() => concat([x, own(zeros([2, 3], "int32"))]))).toBe(
        "concat: tensor 1 is int32 but tensor 0 is float32; cast one first",
      );
      expect(errorOf(() => concat([own(zeros([])), own(zeros([]))]))).toBe("concat: cannot join scalars (rank 0) along an axis; use stack");
    });
  });

  test("first and second derivatives match finite differences (checkGrads)", () => {
    checkGradient((x, y, z) => concat([x, y, z], 1), [a, b, c]);
    checkGradient((x, y) => concat([x, y], 0), [a, a]);
  });

  test("jvp and vjp agree (inner-product identity)", () => {
    checkJvpVjp((x, y, z) => concat([x, y, z], -2), [a, b, c]);
  });

  test("vmap equals a loop, with batched and shared pieces mixed", () => {
    noLeaks((own) => {
      const n = rng(12);
      const xs = own(toTensor(gridValues([3, 2, 3], n)));
      const shared = own(toTensor(gridValues([2, 1], n)));
      const ys = own(toTensor(gridValues([3, 2, 2], n)));
      checkVmap((x, s, y) => concat([x, s, y], 1), [xs, shared, ys], [0, null, 0]);
      checkVmap((x, s) => concat([s, x], -1), [xs, shared], [0, null]);
    });
  });

  test("runs under jit", () => {
    noLeaks((own) => {
      const f = jit((x: AnyTensor, y: AnyTensor) => concat([x, y, x], 0));
      const ta = own(toTensor(a)),
        tb = own(toTensor(a));
      const y = own(f(ta, tb));
      const [, data] = refConcat([a, a, a], 0);
      expect(Array.from(y.dataSync())).toEqual(data);
      f.dispose();
    });
  });
});

describe("stack", () => {
  const next = rng(21);
  const parts = [gridValues([2, 3], next), gridValues([2, 3], next), gridValues([2, 3], next)];

  test("forward matches plain JS for every axis", () => {
    noLeaks((own) => {
      const ts = own(parts.map(toTensor));
      for (const [axis, norm] of [
        [0, 0],
        [1, 1],
        [2, 2],
        [-1, 2],
        [-3, 0],
      ]) {
        const y = own(stack(ts, axis));
        const shape = [2, 3];
        shape.splice(norm, 0, 3);
        expect(y.shape).toEqual(shape);
        const data = build(shape, (o) =>
          at(
            parts[o[norm]].data,
            [2, 3],
            o.filter((_, k) => k !== norm),
          ),
        );
        expect(Array.from(y.dataSync())).toEqual(data);
      }
      expect(own(stack([ts[0]])).shape).toEqual([1, 2, 3]);
    });
  });

  test("errors", () => {
    noLeaks((own) => {
      const x = own(zeros([2, 3]));
      expect(errorOf(() => stack([]))).toBe("stack: needs at least one tensor, got none");
      expect(errorOf(() => stack([x, x], 3))).toBe("stack: axis 3 is out of range for stacking [2, 3] (axes -3 to 2)");
      expect(errorOf(() => stack([x, x], -4))).toBe("stack: axis -4 is out of range for stacking [2, 3] (axes -3 to 2)");
      expect(errorOf(() => stack([x, own(zeros([3, 2]))]))).toBe(
        "stack: tensor 1 has shape [3, 2] but tensor 0 has [2, 3]; stacked tensors need equal shapes",
      );
      expect(errorOf(() => stack([x, own(zeros([2, 3], "int32"))]))).toBe(
        "stack: tensor 1 is int32 but tensor 0 is float32; cast one first",
      );
    });
  });

  test("gradient, jvp/vjp and vmap", () => {
    checkGradient((x, y, z) => stack([x, y, z], 1), parts);
    checkJvpVjp((x, y) => stack([x, y], -1), parts.slice(0, 2));
    noLeaks((own) => {
      const n = rng(22);
      const xs = own(toTensor(gridValues([4, 2, 3], n)));
      const s = own(toTensor(parts[0]));
      checkVmap((x, y) => stack([x, y], 1), [xs, s], [0, null]);
    });
  });
});

describe("expandDims and squeeze", () => {
  test("shapes, values and errors", () => {
    noLeaks((own) => {
      const x = own(tensor([1, 2, 3, 4, 5, 6], [2, 3]));
      expect(own(expandDims(x, 0)).shape).toEqual([1, 2, 3]);
      expect(own(expandDims(x, -1)).shape).toEqual([2, 3, 1]);
      expect(own(expandDims(x, 1)).arraySync()).toEqual([[[1, 2, 3]], [[4, 5, 6]]]);
      expect(errorOf(() => expandDims(x, 3))).toBe("expandDims: axis 3 is out of range for [2, 3] (rank 2; expected -3..2)");
      const y = own(zeros([1, 2, 1, 3]));
      expect(own(squeeze(y)).shape).toEqual([2, 3]);
      expect(own(squeeze(y, -2)).shape).toEqual([1, 2, 3]);
      expect(own(squeeze(y, [0, 2])).shape).toEqual([2, 3]);
      expect(squeeze(x)).toBe(x);
      expect(errorOf(() => squeeze(y, 1))).toBe("squeeze: axis 1 has size 2, expected 1 (shape [1, 2, 1, 3])");
      expect(errorOf(() => squeeze(y, 4))).toBe("squeeze: axis 4 is out of range for [1, 2, 1, 3] (rank 4)");
    });
  });

  test("gradients flow through (reshape composites)", () => {
    const x = gridValues([2, 1, 3], rng(31));
    checkGradient((t) => expandDims(t, -1), [x]);
    checkGradient((t) => squeeze(t, 1), [x]);
  });
});

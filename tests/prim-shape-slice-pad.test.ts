import { describe, expect, test } from "vitest";
import { tensor, zeros, type AnyTensor } from "../src/tensor/index.js";
import { grad, slice, stridedSlice, pad, mul, sin, sum } from "../src/core/index.js";
import {
  at,
  build,
  checkGradient,
  checkJvpVjp,
  checkVmap,
  errorOf,
  expectClose,
  gridValues,
  noLeaks,
  rng,
  toTensor,
} from "./prim-shape-helpers.js";

const next = rng(41);
const x = gridValues([3, 4, 5], next);

describe("slice", () => {
  test("forward matches plain JS, with -1 sizes and short begin/size", () => {
    noLeaks((own) => {
      const t = own(toTensor(x));
      const cases: [number[], number[], number[], number[]][] = [
        // begin, size, resolved begin, resolved size
        [
          [1, 0, 2],
          [1, -1, 2],
          [1, 0, 2],
          [1, 4, 2],
        ],
        [[0, 1], [2], [0, 1, 0], [2, 3, 5]],
        [
          [2, 3, 4],
          [-1, -1, -1],
          [2, 3, 4],
          [1, 1, 1],
        ],
        [
          [0, 4, 0],
          [3, 0, 5],
          [0, 4, 0],
          [3, 0, 5],
        ],
      ];
      for (const [begin, size, b, z] of cases) {
        const y = own(slice(t, begin, size));
        expect(y.shape).toEqual(z);
        expect(Array.from(y.dataSync())).toEqual(
          build(z, (o) =>
            at(
              x.data,
              x.shape,
              o.map((v, k) => v + b[k]),
            ),
          ),
        );
      }
      expect(slice(t, [0, 0, 0], [-1, 4, -1])).toBe(t);
      const i = own(slice(own(tensor([1, 2, 3, 4], [4], "int32")), [1], [2]));
      expect([i.dtype, i.arraySync()]).toEqual(["int32", [2, 3]]);
    });
  });

  test("the WASM window kernel: every run layout and dtype matches plain JS (ranks 1-6, contiguous and not, empty)", () => {
    noLeaks((own) => {
      const pick = rng(7);
      const int = (n: number) => Math.floor(pick() * n);
      for (let trial = 0; trial < 60; trial++) {
        const rank = 1 + (trial % 6);
        const shape = Array.from({ length: rank }, () => 1 + int(rank > 4 ? 3 : 5));
        const begin = shape.map((d) => int(d));
        // a third of the windows keep trailing axes whole (one long run), some are empty
        const size = shape.map((d, k) =>
          trial % 3 === 0 && k > 0 ? d - begin[k] : trial % 17 === 5 && k === 0 ? 0 : 1 + int(d - begin[k]),
        );
        if (trial % 3 === 0) begin.fill(0, 1);
        const full = shape.map((d, k) => (trial % 3 === 0 && k > 0 ? d : size[k]));
        const n = shape.reduce((a, b) => a * b, 1);
        const values = Array.from({ length: n }, (_, i) => i - 7);
        const dtype = (["float32", "int32", "bool"] as const)[trial % 3];
        const data = dtype === "bool" ? values.map((v) => (v % 3 === 0 ? 1 : 0)) : values;
        const t = own(
          tensor(
            dtype === "int32" ? Int32Array.from(data) : dtype === "bool" ? Uint8Array.from(data) : Float32Array.from(data),
            shape,
            dtype,
          ),
        );
        const y = own(slice(t, begin, full));
        expect(y.shape).toEqual(full);
        expect(y.dtype).toBe(dtype);
        const want = build(full, (o) =>
          at(
            data,
            shape,
            o.map((v, k) => v + begin[k]),
          ),
        );
        expect(Array.from(y.dataSync()).map(Number)).toEqual(want);
      }
    });
  });

  test("errors", () => {
    noLeaks((own) => {
      const t = own(zeros([2, 3]));
      expect(errorOf(() => slice(t, [0, 0, 0]))).toBe("slice: begin [0, 0, 0] has more entries than the rank of [2, 3]");
      expect(errorOf(() => slice(t, [0], [1, 1, 1]))).toBe("slice: size [1, 1, 1] has more entries than the rank of [2, 3]");
      expect(errorOf(() => slice(t, [0, -1]))).toBe("slice: begin -1 at axis 1 is negative (shape [2, 3])");
      expect(errorOf(() => slice(t, [0, 4]))).toBe("slice: begin 4 exceeds dim 3 at axis 1 of [2, 3]");
      expect(errorOf(() => slice(t, [1, 1], [2, 1]))).toBe("slice: begin 1 + size 2 exceeds dim 2 at axis 0 of [2, 3]");
      expect(errorOf(() => slice(t, [0, 0], [1, -2]))).toBe(
        'slice: size -2 at axis 1 is invalid (only -1, meaning "to the end", may be negative)',
      );
      expect(errorOf(() => slice(t, [0.5]))).toBe("slice: begin 0.5 at axis 0 is not an integer (shape [2, 3])");
    });
  });

  test("gradient, jvp/vjp identity and vmap", () => {
    checkGradient((t) => slice(t, [1, 0, 2], [2, -1, 2]), [x]);
    checkJvpVjp((t) => slice(t, [0, 1, 1], [-1, 2, 3]), [x]);
    noLeaks((own) => {
      const xs = own(toTensor(gridValues([2, 3, 4, 5], rng(42))));
      checkVmap((t) => slice(t, [1, 0, 2], [2, -1, 2]), [xs], [0]);
    });
  });

  test("grad of grad matches the closed form", () => {
    // f(x) = sum(w * sin(x[window])); h(x) = sum(v * grad f(x)) = sum_window v w cos(x); dh/dx = -v w sin(x) on the window
    noLeaks((own) => {
      const n = rng(43);
      const begin = [1, 1, 0],
        size = [2, 2, 5];
      const w = gridValues(size, n),
        v = gridValues(x.shape, n);
      const [tx, tw, tv] = own([x, w, v].map(toTensor));
      const f = (t: AnyTensor) => sum(mul(tw, sin(slice(t, begin, size))));
      const h = (t: AnyTensor) => sum(mul(tv, grad(f as never)(t) as AnyTensor));
      const g2 = own(grad(h as never)(tx as never) as AnyTensor);
      const expected = build(x.shape, (o) => {
        const inside = o.every((d, k) => d >= begin[k] && d < begin[k] + size[k]);
        if (!inside) return 0;
        const wv = at(
          w.data,
          size,
          o.map((d, k) => d - begin[k]),
        );
        return -at(v.data, x.shape, o) * wv * Math.sin(at(x.data, x.shape, o));
      });
      expectClose(g2.dataSync(), expected, 1e-5);
    });
  });
});

describe("pad", () => {
  const y = gridValues([2, 3], rng(51));
  const refPad = (p: [number, number][], value: number) => {
    const shape = y.shape.map((d, i) => d + p[i][0] + p[i][1]);
    return [
      shape,
      build(shape, (o) => {
        const inner = o.map((d, i) => d - p[i][0]);
        return inner.every((d, i) => d >= 0 && d < y.shape[i]) ? at(y.data, y.shape, inner) : value;
      }),
    ];
  };

  test("forward matches plain JS, with any fill value", () => {
    noLeaks((own) => {
      const t = own(toTensor(y));
      for (const [p, value] of [
        [
          [
            [1, 0],
            [2, 1],
          ],
          0,
        ],
        [
          [
            [0, 2],
            [0, 0],
          ],
          0.5,
        ],
        [
          [
            [1, 1],
            [1, 1],
          ],
          -Infinity,
        ],
      ] as [[number, number][], number][]) {
        const out = own(pad(t, p, value));
        const [shape, data] = refPad(p, value);
        expect(out.shape).toEqual(shape);
        expect(Array.from(out.dataSync())).toEqual(data);
      }
      expect(
        pad(
          t,
          [
            [0, 0],
            [0, 0],
          ],
          3,
        ),
      ).toBe(t);
      expect(own(pad(own(tensor([1, 2], [2], "int32")), [[1, 1]], 9)).arraySync()).toEqual([9, 1, 2, 9]);
    });
  });

  test("errors", () => {
    noLeaks((own) => {
      const t = own(zeros([2, 3]));
      expect(errorOf(() => pad(t, [[1, 1]]))).toBe("pad: expected 2 [before, after] pairs (one per axis of [2, 3]), got 1");
      expect(
        errorOf(() =>
          pad(t, [
            [1, 1],
            [-1, 0],
          ]),
        ),
      ).toBe("pad: the padding at axis 1 must be [before, after] with non-negative integers, got [-1,0]");
      expect(errorOf(() => pad(own(zeros([2], "int32")), [[1, 1]], 0.5))).toBe("pad: an int32 tensor needs an integer fill value, got 0.5");
      expect(errorOf(() => pad(own(zeros([2], "bool")), [[1, 1]]))).toBe("pad: expects a numeric tensor, got bool");
    });
  });

  test("gradient, jvp/vjp identity and vmap", () => {
    checkGradient(
      (t) =>
        pad(
          t,
          [
            [1, 2],
            [0, 3],
          ],
          0.25,
        ),
      [y],
    );
    checkJvpVjp(
      (t) =>
        pad(t, [
          [2, 0],
          [1, 1],
        ]),
      [y],
    );
    noLeaks((own) => {
      const ys = own(toTensor(gridValues([3, 2, 3], rng(52))));
      checkVmap(
        (t) =>
          pad(
            t,
            [
              [1, 0],
              [2, 1],
            ],
            -1,
          ),
        [ys],
        [0],
      );
    });
  });
});

describe("stridedSlice", () => {
  test("forward matches plain JS", () => {
    noLeaks((own) => {
      const t = own(toTensor(x));
      const cases: [number[], number[], number[]][] = [
        [
          [0, 1, 0],
          [3, 4, 5],
          [2, 2, 2],
        ],
        [
          [1, 0, 1],
          [3, 4, 5],
          [1, 3, 3],
        ],
        [
          [0, 0, 4],
          [3, 4, 5],
          [3, 1, 1],
        ],
        [
          [0, 2, 0],
          [3, 2, 5],
          [1, 5, 1],
        ],
      ];
      for (const [begin, end, st] of cases) {
        const shape = begin.map((b, i) => Math.ceil((end[i] - b) / st[i]));
        const out = own(stridedSlice(t, begin, end, st));
        expect(out.shape).toEqual(shape);
        expect(Array.from(out.dataSync())).toEqual(
          build(shape, (o) =>
            at(
              x.data,
              x.shape,
              o.map((v, k) => begin[k] + v * st[k]),
            ),
          ),
        );
      }
    });
  });

  test("errors", () => {
    noLeaks((own) => {
      const t = own(zeros([2, 3]));
      expect(errorOf(() => stridedSlice(t, [0], [2, 3], [1]))).toBe(
        "stridedSlice: begin, end and strides need equal lengths, got 1, 2 and 1",
      );
      expect(errorOf(() => stridedSlice(t, [0, 0], [2, 3], [1, 0]))).toBe("stridedSlice: stride 0 at axis 1 must be a positive integer");
      expect(errorOf(() => stridedSlice(t, [0, 2], [2, 1], [1, 1]))).toBe(
        "stridedSlice: bounds 2..1 at axis 1 must satisfy 0 <= begin <= end <= 3 (shape [2, 3])",
      );
    });
  });

  test("gradient, jvp/vjp identity and vmap", () => {
    checkGradient((t) => stridedSlice(t, [0, 1, 0], [3, 4, 5], [2, 1, 3]), [x]);
    checkJvpVjp((t) => stridedSlice(t, [1, 0, 1], [3, 4, 5], [1, 2, 2]), [x]);
    noLeaks((own) => {
      const xs = own(toTensor(gridValues([2, 3, 4, 5], rng(44))));
      checkVmap((t) => stridedSlice(t, [0, 1, 0], [3, 4, 5], [2, 2, 3]), [xs], [0]);
    });
  });
});

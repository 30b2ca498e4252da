// maxPool2d / avgPool2d / global pooling: values and gradients against float64 references
// (tiled windows and overlapping/padded windows take different derivative routes), finite
// differences to second order, max ties, the gather/scatter transpose pair, vmap, errors.
import { afterEach, describe, expect, test } from "vitest";
import {
  bind,
  grad,
  vjp,
  vmap,
  maxPool2dP,
  avgPool2d,
  globalAvgPool2d,
  globalMaxPool2d,
  maxPool2d,
  type Pool2dOptions,
  mul,
  square,
  sum,
} from "../src/core/index.js";
import { tensor, type AnyTensor, type Tensor } from "../src/tensor/index.js";
import { leakFree } from "./primitive-harness.js";
import { assertAllClose, checkGrads } from "../src/testing/index.js";
import {
  randomData,
  randomImg,
  refAvgPool,
  refAvgPoolBackward,
  refMaxPool,
  refMaxPoolBackward,
  type Img,
  type RefPoolParams,
} from "./prim-conv-reference.js";

const T = (img: Img): AnyTensor => tensor(Float32Array.from(img.data), img.shape);
const scalarFn = <A extends AnyTensor[]>(f: (...a: A) => AnyTensor) => f as unknown as (...a: A) => Tensor<[]>;

/** Distinct values 0.05 apart in random order: finite differences never cross an arg-max. */
function distinctImg(shape: number[], seed: number): Img {
  const n = shape.reduce((a, b) => a * b, 1);
  const r = randomData(n, seed);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => r[a] - r[b]);
  const data = new Float64Array(n);
  order.forEach((i, rank) => (data[i] = Math.fround((rank - n / 2) * 0.05)));
  return { data, shape };
}

interface Case {
  name: string;
  xs: number[];
  opts: Pool2dOptions;
  p: RefPoolParams;
  out: number[];
}

const CASES: Case[] = [
  {
    name: "window 2 (tiled)",
    xs: [2, 4, 6, 3],
    opts: { window: 2 },
    p: {
      window: [2, 2],
      strides: [2, 2],
      padding: [
        [0, 0],
        [0, 0],
      ],
    },
    out: [2, 2, 3, 3],
  },
  {
    name: "window 2, odd size (tiled, unused border)",
    xs: [1, 5, 7, 2],
    opts: { window: 2 },
    p: {
      window: [2, 2],
      strides: [2, 2],
      padding: [
        [0, 0],
        [0, 0],
      ],
    },
    out: [1, 2, 3, 2],
  },
  {
    name: "window 3, stride 2, same",
    xs: [2, 5, 6, 2],
    opts: { window: 3, strides: 2, padding: "same" },
    p: {
      window: [3, 3],
      strides: [2, 2],
      padding: [
        [1, 1],
        [0, 1],
      ],
    },
    out: [2, 3, 3, 2],
  },
  {
    name: "window [2, 3], strides [1, 2], explicit",
    xs: [1, 4, 7, 2],
    opts: {
      window: [2, 3],
      strides: [1, 2],
      padding: [
        [1, 0],
        [0, 2],
      ],
    },
    p: {
      window: [2, 3],
      strides: [1, 2],
      padding: [
        [1, 0],
        [0, 2],
      ],
    },
    out: [1, 4, 4, 2],
  },
  {
    name: "window 2, stride 2, same on odd size (padded tile)",
    xs: [1, 3, 3, 1],
    opts: { window: 2, padding: "same" },
    p: {
      window: [2, 2],
      strides: [2, 2],
      padding: [
        [0, 1],
        [0, 1],
      ],
    },
    out: [1, 2, 2, 1],
  },
];

describe.each(CASES)("$name", ({ xs, opts, p, out }) => {
  test("maxPool2d: values, gradient = reference, finite differences to second order", () => {
    leakFree(() => {
      const x = distinctImg(xs, 1),
        ct = randomImg(out, 2);
      const [tx, tct] = [T(x), T(ct)];
      const [y, back] = vjp((a: AnyTensor) => maxPool2d(a, opts), tx);
      expect([...y.shape]).toEqual(out);
      assertAllClose(y, refMaxPool(x, p).data, { what: "maxPool2d" });
      const [dx] = back(tct) as AnyTensor[];
      assertAllClose(dx, refMaxPoolBackward(x, ct, p).data, { rtol: 1e-5, atol: 1e-6, what: "maxPool2d gradient" });
      checkGrads((a: AnyTensor) => maxPool2d(a, opts), [tx], { order: 2, seed: 1 });
      [tx, tct, y, dx].forEach((t) => t.dispose());
      back.dispose();
    });
  });

  test("avgPool2d: values (padding excluded from the mean), gradient = reference, finite differences", () => {
    leakFree(() => {
      const x = randomImg(xs, 3),
        ct = randomImg(out, 4);
      const [tx, tct] = [T(x), T(ct)];
      const [y, back] = vjp((a: AnyTensor) => avgPool2d(a, opts), tx);
      expect([...y.shape]).toEqual(out);
      assertAllClose(y, refAvgPool(x, p).data, { rtol: 1e-5, atol: 1e-6, what: "avgPool2d" });
      const [dx] = back(tct) as AnyTensor[];
      assertAllClose(dx, refAvgPoolBackward(x, ct, p).data, { rtol: 1e-5, atol: 1e-6, what: "avgPool2d gradient" });
      checkGrads((a: AnyTensor) => avgPool2d(a, opts), [tx], { order: 2, seed: 2 });
      [tx, tct, y, dx].forEach((t) => t.dispose());
      back.dispose();
    });
  });

  test("vmap(pool) and vmap(grad(pool)) equal the loop", () => {
    leakFree(() => {
      const n = 3;
      const imgs = [0, 1, 2].map((i) => distinctImg(xs, 10 + i));
      const X = tensor(Float32Array.from(imgs.flatMap((i) => Array.from(i.data))), [n, ...xs]) as AnyTensor;
      for (const [pool, ref, refBack] of [
        [maxPool2d, refMaxPool, refMaxPoolBackward],
        [avgPool2d, refAvgPool, refAvgPoolBackward],
      ] as const) {
        const f = (a: AnyTensor) => pool(a, opts);
        const ys = vmap(f)(X) as AnyTensor;
        const gs = vmap(grad(scalarFn((a: AnyTensor) => sum(square(f(a))))))(X) as AnyTensor;
        const size = (s: number[]) => s.reduce((a, c) => a * c, 1);
        for (let b = 0; b < n; b++) {
          const y = ref(imgs[b], p);
          const pick = (t: AnyTensor, s: number[]) => Array.from(t.dataSync() as Float32Array).slice(b * size(s), (b + 1) * size(s));
          assertAllClose(pick(ys, out), y.data, { what: `vmap forward ${b}` });
          assertAllClose(pick(gs, xs), refBack(imgs[b], { data: y.data.map((v) => 2 * v), shape: y.shape }, p).data, {
            rtol: 1e-5,
            atol: 1e-6,
            what: `vmap grad ${b}`,
          });
        }
        [ys, gs].forEach((t) => t.dispose());
      }
      X.dispose();
    });
  });
});

describe("max ties", () => {
  // window 2x2 over a 2x4 image: the left window is constant, the right one has a 2-way tie
  const x = [5, 5, 1, 7, 5, 5, 7, 0];
  test("tiled windows split the derivative evenly among tied maxima (as the max reduction)", () => {
    leakFree(() => {
      const tx = tensor(x, [1, 2, 4, 1]) as AnyTensor;
      const g = grad(scalarFn((a: AnyTensor) => sum(mul(maxPool2d(a, { window: 2 }), tensor([1, 10], [1, 1, 2, 1]) as AnyTensor))))(tx);
      assertAllClose(g, [0.25, 0.25, 0, 5, 0.25, 0.25, 5, 0], { what: "tied gradient" });
      [tx, g].forEach((t) => t.dispose());
    });
  });

  test("overlapping windows split too: each window's unit goes evenly to its tied maxima", () => {
    leakFree(() => {
      const tx = tensor(x, [1, 2, 4, 1]) as AnyTensor;
      const g = grad(scalarFn((a: AnyTensor) => sum(maxPool2d(a, { window: 2, strides: 1 }))))(tx);
      // windows {0,1,4,5} all 5; {1,2,5,6} max 7 at 6; {2,3,6,7} 7 at 3 and 6
      assertAllClose(g, [0.25, 0.25, 0, 0.5, 0.25, 0.25, 1.5, 0], { what: "tied gradient" });
      [tx, g].forEach((t) => t.dispose());
    });
  });

  test("padded windows of negative values: padding never wins (it is not a pixel)", () => {
    leakFree(() => {
      const tx = tensor([-3, -1, -2, -4], [1, 2, 2, 1]) as AnyTensor;
      const f = (a: AnyTensor) => maxPool2d(a, { window: 2, strides: 1, padding: "same" });
      const y = f(tx);
      assertAllClose(y, [-1, -1, -2, -4], { what: "values" });
      const g = grad(scalarFn((a: AnyTensor) => sum(f(a))))(tx);
      assertAllClose(g, [0, 2, 1, 1], { what: "gradient" });
      [tx, y, g].forEach((t) => t.dispose());
    });
  });
});

test("global pooling: mean and max over H and W, with gradients", () => {
  leakFree(() => {
    const x = randomImg([2, 3, 4, 5], 30);
    const tx = T(x);
    const mean = new Float64Array(10),
      mx = new Float64Array(10).fill(-Infinity);
    for (let b = 0; b < 2; b++)
      for (let i = 0; i < 12; i++)
        for (let c = 0; c < 5; c++) {
          const v = x.data[(b * 12 + i) * 5 + c];
          mean[b * 5 + c] += v / 12;
          mx[b * 5 + c] = Math.max(mx[b * 5 + c], v);
        }
    const ga = globalAvgPool2d(tx),
      gm = globalMaxPool2d(tx),
      gk = globalAvgPool2d(tx, true);
    expect([...ga.shape]).toEqual([2, 5]);
    expect([...gk.shape]).toEqual([2, 1, 1, 5]);
    assertAllClose(ga, mean, { what: "globalAvgPool2d" });
    assertAllClose(gm, mx, { what: "globalMaxPool2d" });
    checkGrads((a: AnyTensor) => globalAvgPool2d(a), [tx], { order: 1 });
    [tx, ga, gm, gk].forEach((t) => t.dispose());
  });
});

describe("pool errors", () => {
  const made: AnyTensor[] = [];
  const z = (s: number[]) => {
    const t = tensor(new Float32Array(s.reduce((a, b) => a * b, 1)), s) as AnyTensor;
    made.push(t);
    return t;
  };
  afterEach(() => made.splice(0).forEach((t) => t.dispose()));
  test.each([
    { call: () => maxPool2d(z([32, 784]), { window: 2 }), message: "maxPool2d expects x as [batch, H, W, C], got [32, 784]" },
    {
      call: () => avgPool2d(z([1, 1, 5, 2]), { window: 2 }),
      message: 'avgPool2d: height: input 1 is smaller than the effective kernel 2 (padding "valid") (input [1, 1, 5, 2], window [2, 2])',
    },
    {
      call: () => maxPool2d(z([1, 4, 4, 1]), { window: 0 }),
      message: "maxPool2d: window must be a positive integer or [h, w] of positive integers, got 0",
    },
    {
      call: () => maxPool2d(z([1, 4, 4, 1]), { window: 2, strides: [1, 0] }),
      message: "maxPool2d: strides must be a positive integer or [h, w] of positive integers, got [1, 0]",
    },
    {
      call: () => maxPool2d(z([1, 4, 4, 1]), { window: 2, padding: 2 }),
      message: "maxPool2d: padding must be non-negative integers smaller than the window [2, 2], got 2",
    },
    {
      call: () =>
        bind(maxPool2dP, [z([1, 4, 4, 1])], {
          window: [2, 3],
          strides: [1, 1],
          padding: [
            [0, 0],
            [1, 3],
          ],
        }),
      message: "maxPool2d: padding must be non-negative integers smaller than the window [2, 3], got [[0, 0], [1, 3]]",
    },
    {
      call: () => avgPool2d(z([1, 4, 4, 1]), { window: 2, stride: 1 } as never),
      message: 'avgPool2d: unknown option "stride" (options: window, strides, padding, ceilMode, countIncludePad)',
    },
    {
      call: () => avgPool2d(z([1, 4, 4, 1]), { window: 2, padding: [1, 1] as never }),
      message: 'avgPool2d: padding must be "same", "valid", a non-negative integer or [[top, bottom], [left, right]], got [1, 1]',
    },
    { call: () => globalAvgPool2d(z([4, 10])), message: "globalAvgPool2d expects x as [batch, H, W, C], got [4, 10]" },
  ])("$message", ({ call, message }) => {
    expect(call).toThrow(message);
  });
});

import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { tensor, type Tensor } from "../src/tensor/index.js";
import type { Dim } from "../typelevel/index.js";
import { grad } from "../src/core/index.js";
import { avgPool2d, conv1d, conv2d, globalAvgPool2d, globalMaxPool2d, maxPool2d, mul, sum } from "../src/ops/index.js";
import { expectClose, expectNoLeaks, numericGrad, randTensor } from "./ops-helpers.js";
import { refConv, refConvBackward, type RefConvParams } from "./prim-conv-reference.js";

type AnyT = Tensor<Dim[], "float32">;

/** Plain-JS mirror of ConvOutDim. */
function outDim(n: number, k: number, stride: number, padding: "same" | "valid" | number, dilation = 1): number {
  if (padding === "same") return Math.ceil(n / stride);
  const eff = (k - 1) * dilation + 1;
  const p = padding === "valid" ? 0 : padding;
  return Math.floor((n + 2 * p - eff) / stride) + 1;
}

/** Explicit [before, after] padding of one axis (TF's "same": the odd pixel goes after). */
function pads(n: number, k: number, stride: number, padding: "same" | "valid" | number, dilation = 1): [number, number] {
  if (padding === "valid") return [0, 0];
  if (typeof padding === "number") return [padding, padding];
  const eff = (k - 1) * dilation + 1;
  const total = Math.max((Math.ceil(n / stride) - 1) * stride + eff - n, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** Direct NHWC convolution in float64. */
function conv2dRef(
  x: number[],
  xs: number[],
  w: number[],
  ws: number[],
  stride: number,
  padding: "same" | "valid" | number,
  dilation = 1,
): [number[], number[]] {
  const [b, h, wd, c] = xs;
  const [kh, kw, , co] = ws;
  const [oh, ow] = [outDim(h, kh, stride, padding, dilation), outDim(wd, kw, stride, padding, dilation)];
  const [pt] = pads(h, kh, stride, padding, dilation);
  const [pl] = pads(wd, kw, stride, padding, dilation);
  const out: number[] = [];
  for (let n = 0; n < b; n++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let o = 0; o < co; o++) {
          let s = 0;
          for (let di = 0; di < kh; di++)
            for (let dj = 0; dj < kw; dj++) {
              const [r, q] = [i * stride + di * dilation - pt, j * stride + dj * dilation - pl];
              if (r < 0 || r >= h || q < 0 || q >= wd) continue;
              for (let ch = 0; ch < c; ch++) s += x[((n * h + r) * wd + q) * c + ch] * w[((di * kw + dj) * c + ch) * co + o];
            }
          out.push(s);
        }
  return [out, [b, oh, ow, co]];
}

function poolRef(x: number[], xs: number[], k: number, stride: number, f: (v: number[]) => number): number[] {
  const [b, h, wd, c] = xs;
  const [oh, ow] = [outDim(h, k, stride, "valid"), outDim(wd, k, stride, "valid")];
  const out: number[] = [];
  for (let n = 0; n < b; n++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let ch = 0; ch < c; ch++) {
          const win: number[] = [];
          for (let di = 0; di < k; di++)
            for (let dj = 0; dj < k; dj++) win.push(x[((n * h + i * stride + di) * wd + j * stride + dj) * c + ch]);
          out.push(f(win));
        }
  return out;
}

describe("conv2d and conv1d", () => {
  test("conv2d matches a direct convolution for valid, same and explicit padding", () => {
    const [x, xv] = randTensor([2, 5, 6, 3], 1);
    const [w, wv] = randTensor([3, 2, 3, 4], 2);
    for (const [stride, padding, dilation] of [
      [1, "valid", 1],
      [2, "same", 1],
      [1, 1, 2],
      [2, "same", 2],
    ] as const) {
      expectNoLeaks(() => {
        const y = conv2d(x, w, { strides: stride, padding, dilations: dilation });
        const [want, shape] = conv2dRef(xv, [2, 5, 6, 3], wv, [3, 2, 3, 4], stride, padding, dilation);
        expect([...y.shape]).toEqual(shape);
        expectClose(y.dataSync(), want, 1e-4);
        return y;
      });
    }
    [x, w].forEach((t) => t.dispose());
  });

  test("runtime shape equals the Conv2d rule for random sizes, strides and paddings (property)", () => {
    const arb = fc.record({
      h: fc.integer({ min: 3, max: 9 }),
      w: fc.integer({ min: 3, max: 9 }),
      k: fc.integer({ min: 1, max: 3 }),
      stride: fc.integer({ min: 1, max: 3 }),
      dilation: fc.integer({ min: 1, max: 2 }),
      padding: fc.constantFrom<"same" | "valid" | number>("same", "valid", 0, 1, 2),
    });
    fc.assert(
      fc.property(arb, ({ h, w, k, stride, dilation, padding }) => {
        const [x] = randTensor([1, h, w, 2], 3);
        const [f] = randTensor([k, k, 2, 3], 4);
        const eff = (k - 1) * dilation + 1;
        const padded = (n: number) => n + (typeof padding === "number" ? 2 * padding : 0);
        if (padding !== "same" && (padded(h) < eff || padded(w) < eff)) {
          // the rule has no output: the op must say so rather than return something
          expect(() => conv2d(x, f, { strides: stride, padding, dilations: dilation })).toThrow(
            `is smaller than the effective kernel ${eff}`,
          );
        } else {
          const y = conv2d(x, f, { strides: stride, padding, dilations: dilation });
          expect([...y.shape]).toEqual([1, outDim(h, k, stride, padding, dilation), outDim(w, k, stride, padding, dilation), 3]);
          y.dispose();
        }
        [x, f].forEach((t) => t.dispose());
      }),
      { numRuns: 40 },
    );
  });

  test("conv2d gradients match finite differences of the float64 reference", () => {
    const [x, xv] = randTensor([1, 4, 4, 2], 5);
    const [w, wv] = randTensor([3, 3, 2, 2], 6);
    const [c, cv] = randTensor([1, 2, 2, 2], 7);
    const loss = (xa: number[], wa: number[]) =>
      conv2dRef(xa, [1, 4, 4, 2], wa, [3, 3, 2, 2], 2, "same")[0].reduce((s, v, i) => s + v * cv[i], 0);
    const [gx, gw] = grad(
      (p: Tensor<[1, 4, 4, 2]>, q: Tensor<[3, 3, 2, 2]>) => sum(mul(conv2d(p, q, { strides: 2, padding: "same" }), c)),
      { argnums: [0, 1] },
    )(x, w);
    expectClose(
      gx.dataSync(),
      numericGrad((z) => loss(z, wv), xv),
      1e-4,
    );
    expectClose(
      gw.dataSync(),
      numericGrad((z) => loss(xv, z), wv),
      1e-4,
    );
    [x, w, c, gx, gw].forEach((t) => t.dispose());
  });

  test("conv1d is a conv2d over a height-1 image", () => {
    const [x, xv] = randTensor([2, 7, 3], 8);
    const [w, wv] = randTensor([3, 3, 4], 9);
    expectNoLeaks(() => {
      const y = conv1d(x, w, { padding: "same", strides: 2 });
      const [want, shape] = conv2dRef(xv, [2, 1, 7, 3], wv, [1, 3, 3, 4], 2, "same");
      expect(y.shape).toEqual([2, 4, 4]);
      expect(shape).toEqual([2, 1, 4, 4]);
      expectClose(y.dataSync(), want, 1e-4);
      return y;
    });
    [x, w].forEach((t) => t.dispose());
  });

  test("errors name the op and both shapes", () => {
    const [x] = randTensor([1, 5, 5, 3], 1);
    const [w] = randTensor([3, 3, 2, 4], 2);
    const [v] = randTensor([5, 3], 3);
    expect(() => conv2d(x, w as never)).toThrow("conv2d: x has 3 channels but the filter expects 2 ([3, 3, 2, 4])");
    expect(() => conv2d(v as never, w as never)).toThrow("conv2d expects x as [batch, H, W, C], got [5, 3]");
    expect(() => conv2d(x, w as never, { strides: 0 } as never)).toThrow(
      "conv2d: strides must be a positive integer or [h, w] of positive integers, got 0",
    );
    expect(() => conv2d(x, 3 as never)).toThrow("conv2d: expected a tensor for filter, got number");
    expect(() => maxPool2d(v as never, 2)).toThrow("maxPool2d expects x as [batch, H, W, C], got [5, 3]");
    expect(() => avgPool2d(x, 6 as never)).toThrow(
      'avgPool2d: height: input 5 is smaller than the effective kernel 6 (padding "valid") (input [1, 5, 5, 3], window [6, 6])',
    );
    expect(() => maxPool2d(x, "2" as never)).toThrow(
      'maxPool2d: expected a window (a number, [h, w], or { window, strides?, padding? }), got "2"',
    );
    [x, w, v].forEach((t) => t.dispose());
  });
});

describe("feature groups (groups; depthwise when groups = channels)", () => {
  /** The float64 reference of a grouped conv2d with stride 1 and explicit padding. */
  const refParams = (groups: number, pad: number): RefConvParams => ({
    strides: [1, 1],
    padding: [
      [pad, pad],
      [pad, pad],
    ],
    dilations: [1, 1],
    lhsDilation: [1, 1],
    groups,
  });
  const img = (t: { dataSync(): ArrayLike<number>; shape: readonly number[] }) => ({
    data: Float64Array.from(t.dataSync()),
    shape: t.shape,
  });

  test.each([
    ["two groups", [2, 5, 5, 4], [3, 3, 2, 6], 2],
    ["depthwise (groups = channels)", [2, 5, 5, 3], [3, 3, 1, 3], 3],
    ["depthwise with a channel multiplier of 2", [1, 4, 4, 3], [2, 2, 1, 6], 3],
  ] as const)("conv2d, %s: values and both gradients against the reference and finite differences", (_name, xs, ws, groups) => {
    const [x, xv] = randTensor(xs, 31);
    const [w, wv] = randTensor(ws, 32);
    const p = refParams(groups, 1);
    // the shapes are the rows' (not literals here): the typed checks are in ops-types.test-d.ts
    const f = (a: AnyT, b: AnyT): AnyT => conv2d(a, b as never, { padding: 1, groups });
    const y = f(x, w);
    const want = refConv(img(x), img(w), p);
    expect(y.shape).toEqual(want.shape);
    expectClose(y.dataSync(), want.data, 1e-4);
    const [c, cv] = randTensor(want.shape, 33);
    const [gx, gw] = grad((a: AnyT, b: AnyT) => sum(mul(f(a, b), c)) as Tensor<[]>, { argnums: [0, 1] })(x, w);
    const back = refConvBackward(img(x), img(w), img(c), p);
    expectClose(gx.dataSync(), back.dx.data, 1e-4);
    expectClose(gw.dataSync(), back.dw.data, 1e-4);
    const loss = (xa: readonly number[], wa: readonly number[]) =>
      refConv({ data: Float64Array.from(xa), shape: xs }, { data: Float64Array.from(wa), shape: ws }, p).data.reduce(
        (s, v, i) => s + v * cv[i],
        0,
      );
    expectClose(
      gx.dataSync(),
      numericGrad((z) => loss(z, wv), xv),
      1e-3,
    );
    expectClose(
      gw.dataSync(),
      numericGrad((z) => loss(xv, z), wv),
      1e-3,
    );
    [x, w, c, y, gx, gw].forEach((t) => t.dispose());
  });

  test("conv1d with groups is the grouped conv2d over a height-1 image", () => {
    const [x, xv] = randTensor([2, 7, 4], 41);
    const [w, wv] = randTensor([3, 2, 6], 42);
    expectNoLeaks(() => {
      const y = conv1d(x, w, { padding: "same", groups: 2 });
      const want = refConv(
        { data: Float64Array.from(xv), shape: [2, 1, 7, 4] },
        { data: Float64Array.from(wv), shape: [1, 3, 2, 6] },
        refParams(2, 0),
      );
      // "same" with k = 3: one pixel each side in width only
      const wantSame = refConv(
        { data: Float64Array.from(xv), shape: [2, 1, 7, 4] },
        { data: Float64Array.from(wv), shape: [1, 3, 2, 6] },
        {
          ...refParams(2, 0),
          padding: [
            [0, 0],
            [1, 1],
          ],
        },
      );
      expect(want.shape).toEqual([2, 1, 5, 6]);
      expect(y.shape).toEqual([2, 7, 6]);
      expectClose(y.dataSync(), wantSame.data, 1e-4);
      return y;
    });
    [x, w].forEach((t) => t.dispose());
  });

  test("errors: channels that do not split into the groups, a filter for other groups, output channels that do not split", () => {
    const [x] = randTensor([1, 5, 5, 6], 51);
    const [w4] = randTensor([3, 3, 2, 8], 52);
    const [w3] = randTensor([3, 3, 3, 9], 53);
    const [w5] = randTensor([3, 3, 3, 5], 54);
    const [s] = randTensor([1, 9, 6], 55);
    const [k] = randTensor([3, 3, 5], 56);
    expect(() => conv2d(x, w4 as never, { groups: 4 } as never)).toThrow(
      "conv2d: 6 input channels do not split into 4 groups (input [1, 5, 5, 6])",
    );
    expect(() => conv2d(x, w4 as never, { groups: 2 } as never)).toThrow(
      "conv2d: x has 6 channels but the filter expects 2 per group x 2 groups ([3, 3, 2, 8])",
    );
    expect(() => conv2d(x, w5 as never, { groups: 2 } as never)).toThrow(
      "conv2d: the filter's 5 output channels do not split into 2 groups ([3, 3, 3, 5])",
    );
    expect(() => conv2d(x, w3 as never, { groups: 0 } as never)).toThrow("conv2d: groups must be a positive integer, got 0");
    expect(() => conv1d(s, k as never, { groups: 2 } as never)).toThrow(
      "conv1d: the filter's 5 output channels do not split into 2 groups ([3, 3, 5])",
    );
    expect(() => conv1d(s, k as never, { groups: 4 } as never)).toThrow(
      "conv1d: 6 input channels do not split into 4 groups (input [1, 9, 6])",
    );
    [x, w4, w3, w5, s, k].forEach((t) => t.dispose());
  });
});

describe("pooling", () => {
  test("maxPool2d and avgPool2d match the reference; global pools reduce H and W", () => {
    const [x, xv] = randTensor([2, 4, 6, 3], 10);
    expectNoLeaks(() => {
      const m = maxPool2d(x, 2);
      const a = avgPool2d(x, { window: 2 });
      const o = maxPool2d(x, { window: 3, strides: 1 });
      const g = globalAvgPool2d(x);
      const gm = globalMaxPool2d(x, true);
      expect(m.shape).toEqual([2, 2, 3, 3]);
      expect(o.shape).toEqual([2, 2, 4, 3]);
      expect(g.shape).toEqual([2, 3]);
      expect(gm.shape).toEqual([2, 1, 1, 3]);
      expectClose(
        m.dataSync(),
        poolRef(xv, [2, 4, 6, 3], 2, 2, (w) => Math.max(...w)),
      );
      expectClose(
        a.dataSync(),
        poolRef(xv, [2, 4, 6, 3], 2, 2, (w) => w.reduce((s, v) => s + v, 0) / w.length),
      );
      expectClose(
        o.dataSync(),
        poolRef(xv, [2, 4, 6, 3], 3, 1, (w) => Math.max(...w)),
      );
      const mean = (n: number, ch: number) =>
        Array.from({ length: 24 }, (_, p) => xv[(n * 24 + p) * 3 + ch]).reduce((t, v) => t + v, 0) / 24;
      expectClose(
        g.dataSync(),
        [0, 1].flatMap((n) => [0, 1, 2].map((ch) => mean(n, ch))),
      );
      return [m, a, o, g, gm];
    });
    x.dispose();
  });

  test("ceilMode and countIncludePad match a plain-JS PyTorch-rule reference (property)", () => {
    // PyTorch's pooling_output_shape: ceil((n + 2p - k) / s) + 1, less one if the last window starts past n + p
    const ceilOut = (n: number, k: number, s: number, p: number) => {
      const out = Math.ceil((n + 2 * p - k) / s) + 1;
      return (out - 1) * s >= n + p ? out - 1 : out;
    };
    const arb = fc.record({
      h: fc.integer({ min: 2, max: 8 }),
      w: fc.integer({ min: 2, max: 8 }),
      k: fc.integer({ min: 2, max: 3 }),
      stride: fc.integer({ min: 1, max: 3 }),
      p: fc.integer({ min: 0, max: 1 }),
      seed: fc.integer({ min: 1, max: 1000 }),
    });
    fc.assert(
      fc.property(arb, ({ h, w, k, stride, p, seed }) => {
        fc.pre(h + 2 * p >= k && w + 2 * p >= k);
        const [x, xv] = randTensor([1, h, w, 1], seed);
        const [oh, ow] = [ceilOut(h, k, stride, p), ceilOut(w, k, stride, p)];
        const windows = (f: (vals: number[], padded: number) => number) =>
          Array.from({ length: oh * ow }, (_, o) => {
            const [i, j] = [Math.floor(o / ow) * stride - p, (o % ow) * stride - p];
            const vals: number[] = [];
            for (let a = Math.max(i, 0); a < Math.min(i + k, h); a++)
              for (let b = Math.max(j, 0); b < Math.min(j + k, w); b++) vals.push(xv[a * w + b]);
            const padded = (Math.min(i + k, h + p) - i) * (Math.min(j + k, w + p) - j);
            return f(vals, padded);
          });
        const opts = { window: k, strides: stride, padding: p, ceilMode: true } as const;
        const m = maxPool2d(x, opts);
        const incl = avgPool2d(x, { ...opts, countIncludePad: true });
        const excl = avgPool2d(x, opts);
        expect([...m.shape]).toEqual([1, oh, ow, 1]);
        expectClose(
          m.dataSync(),
          windows((v) => Math.max(...v)),
        );
        expectClose(
          incl.dataSync(),
          windows((v, n) => v.reduce((t, u) => t + u, 0) / n),
        );
        expectClose(
          excl.dataSync(),
          windows((v) => v.reduce((t, u) => t + u, 0) / v.length),
        );
        [x, m, incl, excl].forEach((t) => t.dispose());
      }),
      { numRuns: 40 },
    );
  });

  test("runtime shape equals the Pool2d rule (property)", () => {
    const arb = fc.record({
      h: fc.integer({ min: 2, max: 9 }),
      w: fc.integer({ min: 2, max: 9 }),
      k: fc.integer({ min: 1, max: 2 }),
      stride: fc.integer({ min: 1, max: 3 }),
      padding: fc.constantFrom<"same" | "valid">("same", "valid"),
    });
    fc.assert(
      fc.property(arb, ({ h, w, k, stride, padding }) => {
        const [x] = randTensor([1, h, w, 2], 3);
        const y = avgPool2d(x, { window: k, strides: stride, padding });
        expect([...y.shape]).toEqual([1, outDim(h, k, stride, padding), outDim(w, k, stride, padding), 2]);
        [x, y].forEach((t) => t.dispose());
      }),
      { numRuns: 30 },
    );
  });
});

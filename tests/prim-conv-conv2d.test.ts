// conv2d / conv1d: values and both gradients against a plain-JS float64 reference, finite
// differences (first and second order), jvp/vjp consistency, vmap (x, filter, both), leaks and
// exact error messages. Small sizes: the reference is a direct loop.
import { afterEach, describe, expect, test } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import {
  bind,
  grad,
  jvp,
  vjp,
  vmap,
  jit,
  conv2dP,
  conv2d,
  conv1d,
  type ConvParams,
  type FilterGradFormulation,
  type Conv2dOptions,
  square,
  tanh,
  matmul,
  avgPool2d,
  globalAvgPool2d,
  maxPool2d,
  sum,
} from "../src/core/index.js";
import { Concrete, tensor, type AnyTensor, type Tensor } from "../src/tensor/index.js";
import { liveTensors } from "../src/backend/index.js";
import { leakFree } from "./primitive-harness.js";
import { assertAllClose, checkGrads } from "../src/testing/index.js";
import { randomImg, refConv, refConvBackward, refConvShape, type Img, type RefConvParams } from "./prim-conv-reference.js";

const T = (img: Img): AnyTensor => tensor(Float32Array.from(img.data), img.shape);
const scalarFn = <A extends AnyTensor[]>(f: (...a: A) => AnyTensor) => f as unknown as (...a: A) => Tensor<[]>;

/** The explicit params conv2d(x, w, opts) resolves to, for the reference. */
function resolved(xs: readonly number[], ws: readonly number[], o: Conv2dOptions): RefConvParams {
  const pair = (v: number | readonly [number, number] | undefined): [number, number] =>
    v === undefined ? [1, 1] : typeof v === "number" ? [v, v] : [v[0], v[1]];
  const strides = pair(o.strides);
  const dilations = pair(o.dilations);
  const pads = (i: 0 | 1): [number, number] => {
    const p = o.padding ?? "valid";
    if (p === "valid") return [0, 0];
    if (typeof p === "number") return [p, p];
    if (p === "same") {
      const eff = (ws[i] - 1) * dilations[i] + 1;
      const total = Math.max((Math.ceil(xs[1 + i] / strides[i]) - 1) * strides[i] + eff - xs[1 + i], 0);
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    }
    return [p[i][0], p[i][1]];
  };
  return { strides, dilations, padding: [pads(0), pads(1)], lhsDilation: [1, 1], groups: 1 };
}

interface Case {
  name: string;
  xs: number[];
  ws: number[];
  opts: Conv2dOptions;
  /** expected output shape (the ConvOutDim formula, worked by hand) */
  out: number[];
}

const CASES: Case[] = [
  { name: "stride 1, same", xs: [2, 5, 5, 3], ws: [3, 3, 3, 4], opts: { padding: "same" }, out: [2, 5, 5, 4] },
  { name: "stride 2, valid", xs: [2, 7, 6, 2], ws: [3, 2, 2, 3], opts: { strides: 2 }, out: [2, 3, 3, 3] },
  { name: "stride 2, same (odd size)", xs: [1, 7, 6, 2], ws: [3, 3, 2, 2], opts: { strides: 2, padding: "same" }, out: [1, 4, 3, 2] },
  {
    name: "strides [2, 1], explicit [[1, 0], [2, 1]]",
    xs: [1, 6, 5, 2],
    ws: [2, 3, 2, 2],
    opts: {
      strides: [2, 1],
      padding: [
        [1, 0],
        [2, 1],
      ],
    },
    out: [1, 3, 6, 2],
  },
  { name: "dilation 2, same", xs: [2, 7, 7, 2], ws: [3, 3, 2, 3], opts: { padding: "same", dilations: 2 }, out: [2, 7, 7, 3] },
  {
    name: "stride 2 and dilation 2, same",
    xs: [1, 8, 9, 2],
    ws: [3, 2, 2, 2],
    opts: { padding: "same", strides: 2, dilations: 2 },
    out: [1, 4, 5, 2],
  },
  { name: "stride 3, valid, unused border", xs: [1, 8, 8, 1], ws: [2, 2, 1, 2], opts: { strides: 3 }, out: [1, 3, 3, 2] },
  { name: "padding 1 (number), 1x1 kernel", xs: [2, 3, 4, 3], ws: [1, 1, 3, 2], opts: { padding: 1 }, out: [2, 5, 6, 2] },
];

describe("conv2d forward", () => {
  test.each(CASES)("$name: shape and values match the float64 reference", ({ xs, ws, opts, out }) => {
    leakFree(() => {
      const x = randomImg(xs, 1),
        w = randomImg(ws, 2);
      const p = resolved(xs, ws, opts);
      expect(refConvShape(xs, ws, p)).toEqual(out);
      const tx = T(x),
        tw = T(w);
      const y = conv2d(tx, tw, opts);
      expect([...y.shape]).toEqual(out);
      assertAllClose(y, refConv(x, w, p).data, { rtol: 1e-5, atol: 1e-5, what: "conv2d" });
      [tx, tw, y].forEach((t) => t.dispose());
    });
  });
});

describe("conv2d gradients", () => {
  for (const formulation of ["ctAsFilter", "xAsFilter", "patches"] as const) {
    test.each(CASES)(`$name: vjp = reference backward (filter gradient ${formulation})`, ({ xs, ws, opts, out }) => {
      leakFree(() => {
        const x = randomImg(xs, 3),
          w = randomImg(ws, 4),
          ct = randomImg(out, 5);
        const ref = refConvBackward(x, w, ct, resolved(xs, ws, opts));
        const [tx, tw, tct] = [T(x), T(w), T(ct)];
        const [y, back] = vjp((a: AnyTensor, b: AnyTensor) => conv2d(a, b, { ...opts, filterGrad: formulation }), tx, tw);
        const [dx, dw] = back(tct) as AnyTensor[];
        assertAllClose(dx, ref.dx.data, { rtol: 1e-4, atol: 1e-5, what: "input gradient" });
        assertAllClose(dw, ref.dw.data, { rtol: 1e-4, atol: 1e-5, what: "filter gradient" });
        [tx, tw, tct, y, dx, dw].forEach((t) => t.dispose());
        back.dispose();
      });
    });
  }

  test.each(CASES.slice(0, 6))("$name: jvp and vjp vs finite differences (and <u, Jv> = <J^T u, v>)", ({ xs, ws, opts }) => {
    leakFree(() => {
      const [tx, tw] = [T(randomImg(xs, 6)), T(randomImg(ws, 7))];
      checkGrads((a: AnyTensor, b: AnyTensor) => conv2d(a, b, opts), [tx, tw], { order: 1, seed: 3 });
      [tx, tw].forEach((t) => t.dispose());
    });
  });

  test("second order: checkGrads order 2 (stride 2, same) and grad of a function of the gradient", () => {
    leakFree(() => {
      const opts: Conv2dOptions = { strides: 2, padding: "same" };
      const [tx, tw] = [T(randomImg([1, 5, 4, 2], 8)), T(randomImg([3, 2, 2, 2], 9))];
      checkGrads((a: AnyTensor, b: AnyTensor) => conv2d(a, b, opts), [tx, tw], { order: 2, seed: 4 });
      // g(w) = sum((d/dx sum(conv(x, w)^2))^2): depends on w through both conv rules
      const inner = (a: AnyTensor, b: AnyTensor) => sum(square(conv2d(a, b, opts)));
      const outer = (b: AnyTensor) => sum(square(grad(scalarFn(inner))(tx, b)));
      checkGrads(outer, [tw], { order: 1, seed: 5 });
      [tx, tw].forEach((t) => t.dispose());
    });
  });
});

describe("general conv2d primitive: input dilation, groups, negative padding", () => {
  const PARAMS: { name: string; xs: number[]; ws: number[]; p: ConvParams }[] = [
    {
      name: "lhsDilation 2 (transposed conv), stride 1",
      xs: [1, 3, 4, 2],
      ws: [3, 3, 2, 2],
      p: {
        strides: [1, 1],
        padding: [
          [2, 2],
          [1, 2],
        ],
        dilations: [1, 1],
        lhsDilation: [2, 2],
        groups: 1,
      },
    },
    {
      name: "lhsDilation [3, 2], kernel smaller than the dilation, negative padding",
      xs: [2, 3, 3, 2],
      ws: [2, 1, 2, 3],
      p: {
        strides: [1, 1],
        padding: [
          [-1, 3],
          [0, -1],
        ],
        dilations: [1, 1],
        lhsDilation: [3, 2],
        groups: 1,
      },
    },
    {
      name: "lhsDilation 2, groups 2 (depthwise per phase)",
      xs: [1, 4, 3, 2],
      ws: [3, 2, 1, 4],
      p: {
        strides: [1, 1],
        padding: [
          [1, 1],
          [1, 0],
        ],
        dilations: [1, 1],
        lhsDilation: [2, 2],
        groups: 2,
      },
    },
    {
      name: "lhsDilation [2, 3], dilation 2, stride 2",
      xs: [2, 3, 3, 1],
      ws: [2, 2, 1, 2],
      p: {
        strides: [2, 2],
        padding: [
          [1, 0],
          [0, 1],
        ],
        dilations: [2, 2],
        lhsDilation: [2, 3],
        groups: 1,
      },
    },
    {
      name: "negative padding crops",
      xs: [1, 6, 6, 2],
      ws: [2, 2, 2, 2],
      p: {
        strides: [1, 2],
        padding: [
          [-1, 1],
          [0, -2],
        ],
        dilations: [1, 1],
        lhsDilation: [1, 1],
        groups: 1,
      },
    },
    {
      name: "groups 3, one channel per group (depthwise)",
      xs: [2, 5, 4, 3],
      ws: [3, 2, 1, 6],
      p: {
        strides: [1, 2],
        padding: [
          [1, 1],
          [0, 1],
        ],
        dilations: [1, 1],
        lhsDilation: [1, 1],
        groups: 3,
      },
    },
    {
      name: "groups 2, two channels per group",
      xs: [1, 5, 5, 4],
      ws: [2, 2, 2, 4],
      p: {
        strides: [2, 1],
        padding: [
          [0, 1],
          [1, 0],
        ],
        dilations: [1, 2],
        lhsDilation: [1, 1],
        groups: 2,
      },
    },
    {
      name: "groups 2, depthwise with stride 2 and dilation 2",
      xs: [1, 7, 7, 2],
      ws: [2, 2, 1, 4],
      p: {
        strides: [2, 2],
        padding: [
          [1, 1],
          [1, 1],
        ],
        dilations: [2, 2],
        lhsDilation: [1, 1],
        groups: 2,
      },
    },
  ];

  test.each(PARAMS)("$name: forward and both cotangents match the reference; finite differences", ({ xs, ws, p }) => {
    leakFree(() => {
      const x = randomImg(xs, 10),
        w = randomImg(ws, 11);
      const outShape = refConvShape(xs, ws, p);
      const ct = randomImg(outShape, 12);
      const [tx, tw, tct] = [T(x), T(w), T(ct)];
      const f = (a: AnyTensor, b: AnyTensor) => bind(conv2dP, [a, b], p);
      const y = f(tx, tw);
      assertAllClose(y, refConv(x, w, p).data, { rtol: 1e-5, atol: 1e-5, what: "forward" });
      // input-dilated convs run per output phase by default; the zero-interleaving kernel must agree
      const y2 = bind(conv2dP, [tx, tw], { ...p, subpixel: false });
      assertAllClose(y2, refConv(x, w, p).data, { rtol: 1e-5, atol: 1e-5, what: "forward without subpixel" });
      y2.dispose();
      const ref = refConvBackward(x, w, ct, p);
      for (const filterGrad of ["ctAsFilter", "xAsFilter", "patches"] as const) {
        for (const subpixel of [true, false]) {
          const [y3, back] = vjp((a: AnyTensor, b: AnyTensor) => bind(conv2dP, [a, b], { ...p, filterGrad, subpixel }), tx, tw);
          const [dx, dw] = back(tct) as AnyTensor[];
          const what = `(filterGrad ${filterGrad}, subpixel ${subpixel})`;
          assertAllClose(dx, ref.dx.data, { rtol: 1e-4, atol: 1e-5, what: `input gradient ${what}` });
          assertAllClose(dw, ref.dw.data, { rtol: 1e-4, atol: 1e-5, what: `filter gradient ${what}` });
          [y3, dx, dw].forEach((t) => t.dispose());
          back.dispose();
        }
      }
      checkGrads(f, [tx, tw], { order: 1, seed: 6 });
      [tx, tw, tct, y].forEach((t) => t.dispose());
    });
  });
});

describe("the formulation is a parameter of the primitive, not a global", () => {
  test("jit(grad) with two formulations side by side in one process: the same gradients, each graph keeps its own", () => {
    leakFree(() => {
      // cin 3 < 8: "auto" would pick ctAsFilter; stride 2: the input gradient is input-dilated (subpixel or not)
      const xs = [2, 6, 5, 3],
        ws = [3, 3, 3, 4];
      const x = randomImg(xs, 70),
        w = randomImg(ws, 71);
      const [tx, tw] = [T(x), T(w)];
      const opts: Conv2dOptions = { strides: 2, padding: "same" };
      const step = (filterGrad: FilterGradFormulation, subpixel: boolean) =>
        jit(
          grad(
            scalarFn((a: AnyTensor, b: AnyTensor) => sum(square(conv2d(a, b, { ...opts, filterGrad, subpixel })))),
            {
              argnums: [0, 1],
            },
          ),
        );
      const steps = [step("ctAsFilter", true), step("xAsFilter", false)];
      // interleaved calls, each traced once: a switch shared by both would leak from one into the other
      const results = [0, 1, 0, 1].map((i) => steps[i](tx, tw) as unknown as AnyTensor[]);
      const p = resolved(xs, ws, opts);
      const y = refConv(x, w, p);
      const ref = refConvBackward(x, w, { data: y.data.map((v) => 2 * v), shape: y.shape }, p);
      results.forEach(([dx, dw], k) => {
        assertAllClose(dx, ref.dx.data, { rtol: 1e-4, atol: 1e-4, what: `input gradient, call ${k}` });
        assertAllClose(dw, ref.dw.data, { rtol: 1e-4, atol: 1e-4, what: `filter gradient, call ${k}` });
      });
      assertAllClose(results[1][1], results[0][1], { rtol: 1e-5, atol: 1e-5, what: "the two formulations agree" });
      // every conv2d a graph binds (forward and both gradients) carries the formulation it was traced with
      const recorded = steps.map((s) => {
        const convs = (s.lastGraph?.eqns ?? []).filter((e) => e.prim.name === "conv2d").map((e) => e.params as ConvParams);
        return [convs.length, [...new Set(convs.map((q) => `${q.filterGrad} ${q.subpixel}`))]];
      });
      expect(recorded).toEqual([
        [3, ["ctAsFilter true"]],
        [3, ["xAsFilter false"]],
      ]);
      expect(steps.map((s) => s.traceCount)).toEqual([1, 1]);
      [tx, tw, ...results.flat()].forEach((t) => t.dispose());
      steps.forEach((s) => s.dispose());
    });
  });
});

test("second order where a rule's convolution crops its whole input (it reads only padding)", () => {
  leakFree(() => {
    const p: ConvParams = {
      strides: [2, 1],
      padding: [
        [1, 0],
        [2, -1],
      ],
      dilations: [2, 1],
      lhsDilation: [1, 1],
      groups: 1,
    };
    const [tx, tw] = [T(randomImg([1, 1, 2, 2], 13)), T(randomImg([1, 3, 2, 1], 14))];
    checkGrads((a: AnyTensor, b: AnyTensor) => bind(conv2dP, [a, b], p), [tx, tw], { order: 2, seed: 10 });
    [tx, tw].forEach((t) => t.dispose());
  });
});

describe("conv2d under vmap", () => {
  const xs = [2, 5, 5, 2],
    ws = [3, 3, 2, 3];
  const opts: Conv2dOptions = { strides: [1, 2], padding: "same" };
  const n = 3;
  const stack = (imgs: Img[]): AnyTensor =>
    tensor(Float32Array.from(imgs.flatMap((i) => Array.from(i.data))), [imgs.length, ...imgs[0].shape]);
  const xsN = [0, 1, 2].map((i) => randomImg(xs, 20 + i));
  const wsN = [0, 1, 2].map((i) => randomImg(ws, 30 + i));

  test.each([
    { name: "x mapped", inAxes: [0, null] as const },
    { name: "filter mapped", inAxes: [null, 0] as const },
    { name: "both mapped", inAxes: [0, 0] as const },
  ])("$name: equals the loop, forward and gradients", ({ inAxes }) => {
    leakFree(() => {
      const X = inAxes[0] === 0 ? stack(xsN) : T(xsN[0]);
      const W = inAxes[1] === 0 ? stack(wsN) : T(wsN[0]);
      const f = (a: AnyTensor, b: AnyTensor) => conv2d(a, b, opts);
      const loss = scalarFn((a: AnyTensor, b: AnyTensor) => sum(square(f(a, b))));
      const ys = vmap(f, { inAxes: [...inAxes] })(X, W) as AnyTensor;
      const gs = vmap(grad(loss, { argnums: [0, 1] }), { inAxes: [...inAxes] })(X, W) as unknown as AnyTensor[];
      const p = resolved(xs, ws, opts);
      const yShape = refConvShape(xs, ws, p);
      for (let b = 0; b < n; b++) {
        const x = inAxes[0] === 0 ? xsN[b] : xsN[0];
        const w = inAxes[1] === 0 ? wsN[b] : wsN[0];
        const y = refConv(x, w, p);
        const ct = { data: y.data.map((v) => 2 * v), shape: y.shape };
        const ref = refConvBackward(x, w, ct, p);
        const size = (s: number[]) => s.reduce((a, c) => a * c, 1);
        const pick = (t: AnyTensor, s: number[]) => Array.from(t.dataSync() as Float32Array).slice(b * size(s), (b + 1) * size(s));
        assertAllClose(pick(ys, yShape), y.data, { rtol: 1e-5, atol: 1e-5, what: `vmap forward, example ${b}` });
        assertAllClose(pick(gs[0], xs), ref.dx.data, { rtol: 1e-4, atol: 1e-4, what: `per-example input gradient ${b}` });
        assertAllClose(pick(gs[1], ws), ref.dw.data, { rtol: 1e-4, atol: 1e-4, what: `per-example filter gradient ${b}` });
      }
      [X, W, ys, ...gs].forEach((t) => t.dispose());
    });
  });

  test("per-example filter gradients of a batch-1 model (the depthwise path) and jit of them", () => {
    leakFree(() => {
      const X = stack(xsN.map((x) => ({ data: x.data.slice(0, 50), shape: [1, 5, 5, 2] })));
      const W = T(wsN[0]);
      const loss = scalarFn((w: AnyTensor, x: AnyTensor) => sum(square(conv2d(x, w, opts))));
      const perExample = vmap(grad(loss), { inAxes: [null, 0] });
      const g = perExample(W, X) as AnyTensor;
      const jg = jit((w: AnyTensor, x: AnyTensor) => perExample(w, x) as AnyTensor);
      const g2 = jg(W, X);
      expect([...g.shape]).toEqual([n, ...ws]);
      const p = resolved([1, 5, 5, 2], ws, opts);
      for (let b = 0; b < n; b++) {
        const x = { data: xsN[b].data.slice(0, 50), shape: [1, 5, 5, 2] };
        const y = refConv(x, wsN[0], p);
        const ref = refConvBackward(x, wsN[0], { data: y.data.map((v) => 2 * v), shape: y.shape }, p);
        const k = 3 * 3 * 2 * 3;
        assertAllClose(Array.from(g.dataSync() as Float32Array).slice(b * k, (b + 1) * k), ref.dw.data, {
          rtol: 1e-4,
          atol: 1e-4,
          what: `example ${b}`,
        });
      }
      assertAllClose(g2, g, { rtol: 1e-6, atol: 1e-6, what: "jit" });
      [X, W, g, g2].forEach((t) => t.dispose());
      jg.dispose();
    });
  });
});

describe("conv1d", () => {
  test.each([
    { name: "same", xs: [2, 9, 3], ws: [3, 3, 4], opts: { padding: "same" as const }, out: [2, 9, 4] },
    {
      name: "stride 2, dilation 2, [2, 1]",
      xs: [1, 10, 2],
      ws: [3, 2, 2],
      opts: { strides: 2, dilations: 2, padding: [2, 1] as const },
      out: [1, 5, 2],
    },
  ])("$name: values and gradients match the 2-D reference on a height-1 image", ({ xs, ws, opts, out }) => {
    leakFree(() => {
      const x = randomImg(xs, 40),
        w = randomImg(ws, 41),
        ct = randomImg(out, 42);
      const x2 = { data: x.data, shape: [xs[0], 1, xs[1], xs[2]] };
      const w2 = { data: w.data, shape: [1, ...ws] };
      const p = resolved(x2.shape, w2.shape, {
        strides: [1, opts.strides ?? 1],
        dilations: [1, opts.dilations ?? 1],
        padding:
          opts.padding === "same"
            ? "same"
            : [
                [0, 0],
                [opts.padding[0], opts.padding[1]],
              ],
      });
      const [tx, tw, tct] = [T(x), T(w), T(ct)];
      const [y, back] = vjp((a: AnyTensor, b: AnyTensor) => conv1d(a, b, opts), tx, tw);
      expect([...y.shape]).toEqual(out);
      assertAllClose(y, refConv(x2, w2, p).data, { rtol: 1e-5, atol: 1e-5, what: "conv1d" });
      const [dx, dw] = back(tct) as AnyTensor[];
      const ref = refConvBackward(x2, w2, { data: ct.data, shape: [out[0], 1, out[1], out[2]] }, p);
      assertAllClose(dx, ref.dx.data, { rtol: 1e-4, atol: 1e-5, what: "conv1d input gradient" });
      assertAllClose(dw, ref.dw.data, { rtol: 1e-4, atol: 1e-5, what: "conv1d filter gradient" });
      [tx, tw, tct, y, dx, dw].forEach((t) => t.dispose());
      back.dispose();
    });
  });
});

describe("conv errors", () => {
  const made: AnyTensor[] = [];
  const z = (s: number[]) => {
    const t = tensor(new Float32Array(s.reduce((a, b) => a * b, 1)), s) as AnyTensor;
    made.push(t);
    return t;
  };
  const keep = (t: AnyTensor) => (made.push(t), t);
  afterEach(() => made.splice(0).forEach((t) => t.dispose()));
  test.each([
    { call: () => conv2d(z([32, 784]), z([3, 3, 1, 8])), message: "conv2d expects x as [batch, H, W, C], got [32, 784]" },
    { call: () => conv2d(z([1, 5, 5, 3]), z([3, 3, 3])), message: "conv2d expects the filter as [kh, kw, cin, cout], got [3, 3, 3]" },
    { call: () => conv2d(z([1, 5, 5, 3]), z([3, 3, 1, 8])), message: "conv2d: x has 3 channels but the filter expects 1 ([3, 3, 1, 8])" },
    {
      call: () => conv2d(z([1, 2, 5, 1]), z([3, 3, 1, 8])),
      message: 'conv2d: height: input 2 is smaller than the effective kernel 3 (padding "valid") (input [1, 2, 5, 1], filter [3, 3, 1, 8])',
    },
    {
      call: () => conv2d(z([1, 5, 5, 1]), z([3, 3, 1, 8]), { dilations: [1, 3] }),
      message: 'conv2d: width: input 5 is smaller than the effective kernel 7 (padding "valid") (input [1, 5, 5, 1], filter [3, 3, 1, 8])',
    },
    {
      call: () =>
        conv2d(z([1, 2, 5, 1]), z([5, 3, 1, 8]), {
          padding: [
            [1, 0],
            [0, 0],
          ],
        }),
      message: "conv2d: height: padded input 3 is smaller than the effective kernel 5 (input [1, 2, 5, 1], filter [5, 3, 1, 8])",
    },
    {
      call: () => conv2d(z([1, 5, 5, 1]), z([3, 3, 1, 8]), { strides: 0 }),
      message: "conv2d: strides must be a positive integer or [h, w] of positive integers, got 0",
    },
    {
      call: () => conv2d(z([1, 5, 5, 1]), z([3, 3, 1, 8]), { strides: [2, -1] }),
      message: "conv2d: strides must be a positive integer or [h, w] of positive integers, got [2, -1]",
    },
    {
      call: () => conv2d(z([1, 5, 5, 1]), z([3, 3, 1, 8]), { dilations: 1.5 }),
      message: "conv2d: dilations must be a positive integer or [h, w] of positive integers, got 1.5",
    },
    {
      call: () => conv2d(z([1, 5, 5, 1]), z([3, 3, 1, 8]), { dilation: 2 } as never),
      message: 'conv2d: unknown option "dilation" (options: strides, padding, dilations, groups, filterGrad, subpixel)',
    },
    {
      call: () => conv2d(z([1, 5, 5, 1]), z([3, 3, 1, 8]), { padding: [1, 1] as never }),
      message: 'conv2d: padding must be "same", "valid", a non-negative integer or [[top, bottom], [left, right]], got [1, 1]',
    },
    {
      call: () => conv2d(z([1, 5, 5, 1]), z([3, 3, 1, 8]), { filterGrad: "fast" as never }),
      message: 'conv2d: filterGrad must be "auto", "ctAsFilter", "xAsFilter" or "patches", got "fast"',
    },
    {
      call: () => conv2d(z([1, 5, 5, 2]), z([3, 3, 1, 8]), { groups: 0 }),
      message: "conv2d: groups must be a positive integer, got 0",
    },
    {
      call: () => conv2d(z([1, 5, 5, 1]), z([3, 3, 1, 8]), { padding: "full" as never }),
      message: 'conv2d: padding must be "same", "valid", a non-negative integer or [[top, bottom], [left, right]], got "full"',
    },
    {
      call: () => conv2d(z([1, 5, 5, 1]), keep(tensor(new Int32Array(9), [3, 3, 1, 1], "int32") as AnyTensor)),
      message: "conv2d: argument 1 must be float32, got int32",
    },
    { call: () => conv1d(z([4, 10]), z([3, 1, 2])), message: "conv1d expects x as [batch, W, C], got [4, 10]" },
    { call: () => conv1d(z([4, 10, 2]), z([3, 1, 2])), message: "conv1d: x has 2 channels but the filter expects 1 ([3, 1, 2])" },
    {
      call: () => conv1d(z([4, 2, 1]), z([3, 1, 2])),
      message: 'conv1d: width: input 2 is smaller than the effective kernel 3 (padding "valid") (input [4, 2, 1], filter [3, 1, 2])',
    },
    {
      call: () => conv1d(z([4, 3, 1]), z([3, 1, 2]), { dilations: 2, padding: [1, 0] }),
      message: "conv1d: width: padded input 4 is smaller than the effective kernel 5 (input [4, 3, 1], filter [3, 1, 2])",
    },
    {
      call: () => conv1d(z([4, 10, 1]), z([3, 1, 2]), { strides: [1, 2] as never }),
      message: "conv1d: strides must be a positive integer, got [1, 2]",
    },
    {
      call: () =>
        conv1d(z([4, 10, 1]), z([3, 1, 2]), {
          padding: [
            [0, 0],
            [1, 1],
          ] as never,
        }),
      message: 'conv1d: padding must be "same", "valid", "causal", a non-negative integer or [before, after], got [[0, 0], [1, 1]]',
    },
    {
      call: () => conv1d(z([4, 10, 1]), z([3, 1, 2]), { stride: 2 } as never),
      message: 'conv1d: unknown option "stride" (options: strides, padding, dilations, groups, filterGrad, subpixel)',
    },
    {
      call: () => conv1d(z([4, 10, 3]), z([3, 2, 4]), { groups: 2 }),
      message: "conv1d: x has 3 channels but the filter expects 2 per group x 2 groups ([3, 2, 4])",
    },
  ])("$message", ({ call, message }) => {
    const before = liveTensors();
    expect(call).toThrow(message);
    expect(liveTensors(), "only the inputs stay alive").toBe(before + made.length);
  });

  test("messages under vmap name the per-example shapes", () => {
    const x = z([4, 1, 5, 5, 3]),
      w = z([3, 3, 1, 8]);
    expect(() => vmap((a: AnyTensor) => conv2d(a, w))(x)).toThrow("conv2d: x has 3 channels but the filter expects 1 ([3, 3, 1, 8])");
    expect(() => vmap((a: AnyTensor) => conv2d(a, w))(z([4, 5, 5]))).toThrow("conv2d expects x as [batch, H, W, C], got [5, 5]");
  });
});

test("jvp is linear in each argument: J_x x = J_w w = conv2d(x, w)", () => {
  leakFree(() => {
    const [tx, tw] = [T(randomImg([1, 4, 4, 1], 50)), T(randomImg([2, 2, 1, 1], 51))];
    const f = (a: AnyTensor, b: AnyTensor) => conv2d(a, b, { padding: "same" });
    const zx = new Concrete(tf.zerosLike(tx.concrete())) as AnyTensor;
    const zw = new Concrete(tf.zerosLike(tw.concrete())) as AnyTensor;
    const [y1, t1] = jvp(f, [tx, tw], [tx, zw]); // linear in x: J_x x = f(x, w)
    const [y2, t2] = jvp(f, [tx, tw], [zx, tw]); // linear in w: J_w w = f(x, w)
    assertAllClose(t1, y1, { what: "jvp in x" });
    assertAllClose(t2, y1, { what: "jvp in w" });
    [tx, tw, zx, zw, y1, t1, y2, t2].forEach((t) => t.dispose());
  });
});

test("a small CNN end to end: conv-tanh-maxPool-conv-avgPool-global-dense, gradients vs finite differences, jit(grad) = grad", () => {
  leakFree(() => {
    const x = T(randomImg([2, 6, 6, 1], 60));
    const params = [T(randomImg([3, 3, 1, 2], 61)), T(randomImg([2, 2, 2, 3], 62)), T(randomImg([3, 2], 63))];
    const loss = (w1: AnyTensor, w2: AnyTensor, wd: AnyTensor) => {
      let h = tanh(conv2d(x, w1, { padding: "same" })); // [2, 6, 6, 2]
      h = maxPool2d(h, { window: 2 }); // [2, 3, 3, 2]
      h = conv2d(h, w2); // [2, 2, 2, 3]
      h = avgPool2d(h, { window: 2, strides: 1, padding: "same" }); // [2, 2, 2, 3]
      return sum(square(matmul(globalAvgPool2d(h), wd)));
    };
    checkGrads(loss, params as [AnyTensor, AnyTensor, AnyTensor], { order: 1, seed: 9 });
    const g = grad(scalarFn(loss), { argnums: [0, 1, 2] });
    const jg = jit(g);
    const gs = g(...(params as [AnyTensor, AnyTensor, AnyTensor])) as unknown as AnyTensor[];
    const jgs = jg(...(params as [AnyTensor, AnyTensor, AnyTensor])) as unknown as AnyTensor[];
    gs.forEach((gi, k) => assertAllClose(jgs[k], gi, { rtol: 1e-6, atol: 1e-7, what: `jit(grad) for parameter ${k}` }));
    [x, ...params, ...gs, ...jgs].forEach((t) => t.dispose());
    jg.dispose();
  });
});

test("output shapes follow the type-level ConvOutDim / Conv2d / Conv1d / Pool2d examples", () => {
  leakFree(() => {
    const made: AnyTensor[] = [];
    const z = (s: number[]) => {
      const t = tensor(new Float32Array(s.reduce((a, b) => a * b, 1)), s) as AnyTensor;
      made.push(t);
      return t;
    };
    const cases: [() => AnyTensor, number[]][] = [
      [() => conv2d(z([2, 28, 28, 1]), z([3, 3, 1, 1]), { strides: 2 }), [2, 13, 13, 1]], // ConvOutDim<28, 3, 2, "valid"> = 13
      [() => conv2d(z([2, 28, 28, 1]), z([3, 3, 1, 32]), { padding: "same" }), [2, 28, 28, 32]],
      [() => conv2d(z([1, 7, 7, 1]), z([3, 3, 1, 1]), { strides: 2, padding: "same" }), [1, 4, 4, 1]], // ceil(7 / 2)
      [
        () =>
          conv2d(z([1, 7, 9, 1]), z([3, 3, 1, 1]), {
            strides: [2, 3],
            padding: [
              [1, 2],
              [0, 1],
            ],
            dilations: 2,
          }),
        [1, 3, 2, 1],
      ], // floor((7+3-5)/2)+1, floor((9+1-5)/3)+1
      [() => conv1d(z([2, 100, 8]), z([5, 8, 16])), [2, 96, 16]],
      [() => maxPool2d(z([2, 28, 28, 32]), { window: 2 }), [2, 14, 14, 32]],
      [() => avgPool2d(z([1, 7, 7, 1]), { window: 3, strides: 2 }), [1, 3, 3, 1]],
    ];
    for (const [make, shape] of cases) {
      const y = make();
      expect([...y.shape]).toEqual(shape);
      y.dispose();
    }
    made.forEach((t) => t.dispose());
  });
});

// The CNN step's fast paths (issue 12): the filter gradient as one product over window patches,
// leading-axis sums (bias gradients) by average pooling, and int32 matmul on WASM.
import { describe, expect, onTestFinished, test } from "vitest";
import {
  bind,
  conv2d,
  conv2dP,
  grad,
  jit,
  matmul,
  setNativeKernels,
  sum,
  vjp,
  vmap,
  type Conv2dOptions,
  type ConvParams,
} from "../src/core/index.js";
import { tensor, type AnyTensor, type Tensor } from "../src/tensor/index.js";
import { leakFree } from "./primitive-harness.js";
import { assertAllClose, checkGrads } from "../src/testing/index.js";
import { randomImg, refConv, refConvBackward, type Img, type RefConvParams } from "./prim-conv-reference.js";

const T = (img: Img): AnyTensor => tensor(Float32Array.from(img.data), img.shape);
const scalarFn = <A extends AnyTensor[]>(f: (...a: A) => AnyTensor) => f as unknown as (...a: A) => Tensor<[]>;

const params = (p: Partial<ConvParams>): ConvParams => ({
  strides: [1, 1],
  padding: [
    [1, 1],
    [1, 1],
  ],
  dilations: [1, 1],
  lhsDilation: [1, 1],
  groups: 1,
  ...p,
});

describe("filter gradient as a product over window patches", () => {
  const cases: { name: string; xs: number[]; ws: number[]; p: ConvParams }[] = [
    { name: "one channel, same (the first layer of M3)", xs: [4, 9, 9, 1], ws: [3, 3, 1, 5], p: params({}) },
    {
      name: "RGB, stride 2, dilation 2, uneven padding",
      xs: [2, 11, 10, 3],
      ws: [3, 2, 3, 4],
      p: params({
        strides: [2, 1],
        dilations: [1, 2],
        padding: [
          [2, 0],
          [1, 2],
        ],
      }),
    },
    {
      name: "input dilation (a transposed conv), negative padding",
      xs: [2, 5, 6, 2],
      ws: [2, 3, 2, 3],
      p: params({
        lhsDilation: [2, 3],
        padding: [
          [-1, 1],
          [0, -2],
        ],
      }),
    },
  ];
  test.each(cases)("$name: vjp = the float64 reference, second order by finite differences", ({ xs, ws, p }) => {
    leakFree(() => {
      const x = randomImg(xs, 1),
        w = randomImg(ws, 2);
      const y = refConv(x, w, p);
      const ct = randomImg(y.shape, 3);
      const ref = refConvBackward(x, w, ct, p);
      const [tx, tw, tct] = [T(x), T(w), T(ct)];
      const f = (a: AnyTensor, b: AnyTensor) => bind(conv2dP, [a, b], { ...p, filterGrad: "patches" });
      const [out, back] = vjp(f, tx, tw);
      const [dx, dw] = back(tct) as AnyTensor[];
      assertAllClose(dw, ref.dw.data, { rtol: 1e-4, atol: 1e-5, what: "filter gradient" });
      assertAllClose(dx, ref.dx.data, { rtol: 1e-4, atol: 1e-5, what: "input gradient" });
      checkGrads(f, [tx, tw], { order: 2, seed: 4 });
      [tx, tw, tct, out, dx, dw].forEach((t) => t.dispose());
      back.dispose();
    });
  });

  test("auto's composite picks it for small patches: jit(grad) of the first M3 layer matches the reference and binds one matmul", () => {
    // native kernels off: on WASM the filter gradient is otherwise one fused op (tests/native-conv.test.ts)
    const was = setNativeKernels(false);
    onTestFinished(() => void setNativeKernels(was));
    leakFree(() => {
      const xs = [3, 8, 8, 1],
        ws = [3, 3, 1, 6];
      const opts: Conv2dOptions = { padding: "same" };
      const x = randomImg(xs, 5),
        w = randomImg(ws, 6);
      const [tx, tw] = [T(x), T(w)];
      const g = jit(
        grad(
          scalarFn((a: AnyTensor, b: AnyTensor) => sum(conv2d(a, b, opts))),
          { argnums: 1 },
        ),
      );
      const dw = g(tx, tw);
      const p = params({});
      const y = refConv(x, w, p);
      const ref = refConvBackward(x, w, { data: y.data.map(() => 1), shape: y.shape }, p);
      assertAllClose(dw, ref.dw.data, { rtol: 1e-4, atol: 1e-4, what: "filter gradient under jit" });
      const names = (g.lastGraph?.eqns ?? []).map((e) => e.prim.name);
      expect(names.filter((n) => n === "matmul")).toHaveLength(1);
      [tx, tw, dw].forEach((t) => t.dispose());
      g.dispose();
    });
  });

  test("vmap over per-example filters and inputs agrees with a loop", () => {
    leakFree(() => {
      const n = 3;
      const xs = [2, 6, 6, 1],
        ws = [3, 3, 1, 2];
      const p = { ...params({}), filterGrad: "patches" as const };
      const perExample = (a: AnyTensor, b: AnyTensor, c: AnyTensor) => {
        const [out, back] = vjp((u: AnyTensor) => bind(conv2dP, [a, u], p), b);
        const [dw] = back(c) as AnyTensor[];
        out.dispose();
        back.dispose();
        return dw;
      };
      const xsN = [0, 1, 2].map((i) => randomImg(xs, 10 + i));
      const wsN = [0, 1, 2].map((i) => randomImg(ws, 20 + i));
      const ctsN = [0, 1, 2].map((i) => randomImg([2, 6, 6, 2], 30 + i));
      const stack = (imgs: Img[]) => tensor(Float32Array.from(imgs.flatMap((m) => [...m.data])), [n, ...imgs[0].shape]);
      const [bx, bw, bct] = [stack(xsN), stack(wsN), stack(ctsN)];
      const batched = vmap(perExample)(bx, bw, bct) as AnyTensor;
      const expected = [0, 1, 2].flatMap((i) => [...refConvBackward(xsN[i], wsN[i], ctsN[i], p as RefConvParams).dw.data]);
      assertAllClose(batched, expected, { rtol: 1e-4, atol: 1e-5, what: "vmapped filter gradient" });
      [bx, bw, bct, batched].forEach((t) => t.dispose());
    });
  });
});

describe("sum over leading axes with many rows (pooled)", () => {
  test("values match a float64 sum, and integers stay exact", () => {
    leakFree(() => {
      const shape = [8, 12, 5, 7]; // 480 = 32 * 15 summed rows: pooled by 32, then 15 rows by a product
      const img = randomImg(shape, 40);
      const x = T(img);
      const s = sum(x, [0, 1, 2]);
      const expected = new Array<number>(7).fill(0);
      img.data.forEach((v, i) => (expected[i % 7] += v));
      assertAllClose(s, expected, { rtol: 1e-5, atol: 1e-4, what: "sum over [0, 1, 2]" });
      const ints = tensor(
        Float32Array.from({ length: 320 * 4 }, (_, i) => (i % 13) - 6),
        [320, 4],
      );
      const si = sum(ints, [0]);
      const exact = [0, 1, 2, 3].map((c) => Array.from({ length: 320 }, (_, r) => ((r * 4 + c) % 13) - 6).reduce((a, b) => a + b, 0));
      expect([...(si.concrete().dataSync() as Float32Array)]).toEqual(exact);
      [x, s, ints, si].forEach((t) => t.dispose());
    });
  });
});

describe("int32 matmul", () => {
  test("exact products, batch axes broadcast, on the active backend (WASM has no int32 kernel)", () => {
    leakFree(() => {
      const a = Int32Array.from({ length: 2 * 3 * 4 }, (_, i) => ((i * 37) % 201) - 100);
      const b = Int32Array.from({ length: 4 * 5 }, (_, i) => ((i * 53) % 2001) - 1000);
      const ta = tensor(a, [2, 3, 4], "int32"),
        tb = tensor(b, [4, 5], "int32");
      const c = matmul(ta, tb);
      expect(c.dtype).toBe("int32");
      expect([...c.shape]).toEqual([2, 3, 5]);
      const want: number[] = [];
      for (let n = 0; n < 2; n++)
        for (let i = 0; i < 3; i++)
          for (let j = 0; j < 5; j++) {
            let acc = 0;
            for (let k = 0; k < 4; k++) acc += a[n * 12 + i * 4 + k] * b[k * 5 + j];
            want.push(acc);
          }
      expect([...(c.concrete().dataSync() as Int32Array)]).toEqual(want);
      // batched on both sides, with a broadcast batch axis
      const tb3 = tensor(
        Int32Array.from({ length: 1 * 4 * 2 }, (_, i) => i - 3),
        [1, 4, 2],
        "int32",
      );
      const d = matmul(ta, tb3);
      const b3 = tb3.concrete().dataSync();
      const want3: number[] = [];
      for (let n = 0; n < 2; n++)
        for (let i = 0; i < 3; i++)
          for (let j = 0; j < 2; j++) {
            let acc = 0;
            for (let k = 0; k < 4; k++) acc += a[n * 12 + i * 4 + k] * b3[k * 2 + j];
            want3.push(acc);
          }
      expect([...(d.concrete().dataSync() as Int32Array)]).toEqual(want3);
      [ta, tb, c, tb3, d].forEach((t) => t.dispose());
    });
  });
});

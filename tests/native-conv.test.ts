// The native conv2d filter gradient (core/native/conv.c, the fused op of conv2dFilterGrad): on WASM
// it runs the kernel, with the values of its composite (native kernels off) and of the float64
// reference, over random shapes (strides, padding same / valid / uneven / negative, dilations, B = 1,
// odd sizes, channel counts that are not multiples of 4); grad of conv2d uses it eager and jitted,
// its derivatives (through the composite) and vmap agree with the composite's, and nothing leaks.
// Likewise the native forward convolution (conv2d's impl), the input gradient's native filter flip and
// the native max-pool gradient of tiled windows.
import { afterEach, describe, expect, test } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import {
  bind,
  conv2d,
  conv2dP,
  conv2dFilterGrad,
  conv2dInputGrad,
  grad,
  jit,
  maxPool2d,
  mul,
  nativeAvailable,
  setNativeKernels,
  withNativeKernels,
  sum,
  vmap,
  type Conv2dOptions,
  type ConvParams,
  CONV2D_FILTER_GRAD_KERNEL,
  CONV2D_FLIP_FILTER_KERNEL,
  CONV2D_FORWARD_KERNEL,
  MAX_POOL_GRAD_TILED_KERNEL,
  setConvForwardWide,
} from "../src/core/index.js";
import { tensor, type AnyTensor, type Tensor } from "../src/tensor/index.js";
import { liveTensors } from "../src/backend/index.js";
import { assertAllClose, checkGrads } from "../src/testing/index.js";
import { expectFlatMemory, leakFree } from "./primitive-harness.js";
import { randomImg, refConv, refConvBackward, refConvShape, refMaxPoolBackward, type Img } from "./prim-conv-reference.js";

afterEach(() => {
  setNativeKernels(true);
});

const T = (img: Img): AnyTensor => tensor(Float32Array.from(img.data), img.shape);
const read = (t: AnyTensor) => Array.from(t.concrete().dataSync());
const scalarFn = <A extends AnyTensor[]>(f: (...a: A) => AnyTensor) => f as unknown as (...a: A) => Tensor<[]>;

/** Kernel names the engine ran inside `f`. */
async function kernelsRun(f: () => AnyTensor): Promise<string[]> {
  const info = await tf.profile(() => tf.tidy(() => f().concrete()));
  tf.dispose(info.result);
  return info.kernelNames;
}

/** The values of `f()`, its intermediates freed (conv2dFilterGrad is a rule's helper: outside a transform they stay). */
function values(f: () => AnyTensor): number[] {
  const t = tf.tidy(() => f().concrete());
  const v = Array.from(t.dataSync());
  t.dispose();
  return v;
}

/** The filter gradient with native kernels off (the composite). */
const composite = <R>(f: () => R): R => withNativeKernels(false, f);

interface Case {
  name: string;
  xs: number[];
  ws: number[];
  p: ConvParams;
}

/** mulberry32 integers in [lo, hi]. */
function ints(seed: number): (lo: number, hi: number) => number {
  let a = seed >>> 0;
  return (lo, hi) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return lo + Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * (hi - lo + 1));
  };
}

const base = (xs: number[], ws: number[], p: Partial<ConvParams>): Case => {
  const full: ConvParams = {
    strides: [1, 1],
    padding: [
      [0, 0],
      [0, 0],
    ],
    dilations: [1, 1],
    lhsDilation: [1, 1],
    groups: 1,
    ...p,
  };
  return { name: `x [${xs.join(",")}] w [${ws.join(",")}] ${JSON.stringify(p)}`, xs, ws, p: full };
};

const same = (k: number, d = 1): [number, number] => {
  const eff = (k - 1) * d;
  return [Math.floor(eff / 2), eff - Math.floor(eff / 2)];
};

const fixed: Case[] = [
  base([2, 9, 9, 1], [3, 3, 1, 32], { padding: [same(3), same(3)] }), // the first M3 layer, small
  base([1, 7, 7, 32], [3, 3, 32, 64], { padding: [same(3), same(3)] }), // the second, B = 1
  base([3, 11, 10, 3], [3, 2, 3, 5], {
    strides: [2, 1],
    dilations: [1, 2],
    padding: [
      [2, 0],
      [1, 2],
    ],
  }),
  base([2, 8, 9, 6], [2, 3, 6, 7], {
    strides: [3, 2],
    padding: [
      [-1, 1],
      [0, -2],
    ],
  }), // negative padding crops
  base([1, 5, 6, 9], [5, 6, 9, 3], {}), // valid, the window covers the whole image
  base([2, 4, 4, 5], [3, 3, 5, 6], { dilations: [2, 2], padding: [same(3, 2), same(3, 2)] }),
];

function randomCases(n: number): Case[] {
  const r = ints(12);
  const out: Case[] = [];
  while (out.length < n) {
    const xs = [r(1, 3), r(1, 12), r(1, 12), r(1, 13)];
    const ws = [r(1, 4), r(1, 4), xs[3], r(1, 19)];
    const strides: [number, number] = [r(1, 3), r(1, 3)];
    const dilations: [number, number] = [r(1, 2), r(1, 2)];
    const kind = r(0, 2); // same, valid, explicit (possibly negative)
    const pad = (i: 0 | 1): [number, number] => (kind === 0 ? same(ws[i], dilations[i]) : kind === 1 ? [0, 0] : [r(-1, 3), r(-1, 3)]);
    const c = base(xs, ws, { strides, dilations, padding: [pad(0), pad(1)] });
    const [, oh, ow] = refConvShape(xs, ws, c.p);
    if (oh > 0 && ow > 0) out.push(c);
  }
  return out;
}

describe("the native filter-gradient kernel", () => {
  test("runs on the WASM backend", () => {
    expect(tf.getBackend()).toBe("wasm");
    expect(nativeAvailable(CONV2D_FILTER_GRAD_KERNEL)).toBe(true);
  });

  test.each([...fixed, ...randomCases(40)])("$name: the kernel runs, = the composite and the float64 reference", async ({ xs, ws, p }) => {
    const x = randomImg(xs, 1),
      w = randomImg(ws, 2);
    const ct = randomImg(refConvShape(xs, ws, p), 3);
    const [tx, tct] = [T(x), T(ct)];
    const before = liveTensors();
    expect(await kernelsRun(() => conv2dFilterGrad(tx, tct, p, ws))).toEqual([CONV2D_FILTER_GRAD_KERNEL]);
    const native = values(() => conv2dFilterGrad(tx, tct, p, ws));
    expect(await composite(() => kernelsRun(() => conv2dFilterGrad(tx, tct, p, ws)))).not.toContain(CONV2D_FILTER_GRAD_KERNEL);
    const want = composite(() => values(() => conv2dFilterGrad(tx, tct, p, ws)));
    assertAllClose(native, want, { rtol: 1e-5, atol: 1e-5, what: "native against composite" });
    assertAllClose(native, refConvBackward(x, w, ct, p).dw.data, { rtol: 1e-5, atol: 1e-5, what: "native against float64" });
    expect(liveTensors()).toBe(before);
    [tx, tct].forEach((t) => t.dispose());
  });

  test.each([...fixed, ...randomCases(10)])(
    "$name: the input gradient flips its filter natively, = the composite and the reference",
    async ({ xs, ws, p }) => {
      const x = randomImg(xs, 1),
        w = randomImg(ws, 2);
      const ct = randomImg(refConvShape(xs, ws, p), 3);
      const [tw, tct] = [T(w), T(ct)];
      const before = liveTensors();
      expect(await kernelsRun(() => conv2dInputGrad(tct, tw, p, xs))).toContain(CONV2D_FLIP_FILTER_KERNEL);
      const native = values(() => conv2dInputGrad(tct, tw, p, xs));
      expect(await composite(() => kernelsRun(() => conv2dInputGrad(tct, tw, p, xs)))).not.toContain(CONV2D_FLIP_FILTER_KERNEL);
      const want = composite(() => values(() => conv2dInputGrad(tct, tw, p, xs)));
      expect(native).toEqual(want);
      assertAllClose(native, refConvBackward(x, w, ct, p).dx.data, { rtol: 1e-5, atol: 1e-5, what: "input gradient against float64" });
      expect(liveTensors()).toBe(before);
      [tw, tct].forEach((t) => t.dispose());
    },
  );

  test("groups keep the composite flip", async () => {
    const w = T(randomImg([3, 3, 2, 4], 4));
    const ct = T(randomImg([1, 5, 5, 4], 5));
    const p = { ...base([1, 5, 5, 4], [3, 3, 2, 4], { padding: [same(3), same(3)] }).p, groups: 2 };
    expect(await kernelsRun(() => conv2dInputGrad(ct, w, p, [1, 5, 5, 4]))).not.toContain(CONV2D_FLIP_FILTER_KERNEL);
    [w, ct].forEach((t) => t.dispose());
  });

  test("formulations named explicitly, groups and input dilation keep the composite", async () => {
    const x = T(randomImg([2, 6, 6, 4], 4));
    const ct = T(randomImg([2, 6, 6, 4], 5));
    const p = base([2, 6, 6, 4], [3, 3, 4, 4], { padding: [same(3), same(3)] }).p;
    for (const q of [
      { ...p, filterGrad: "xAsFilter" as const },
      { ...p, filterGrad: "ctAsFilter" as const },
      { ...p, filterGrad: "patches" as const },
    ]) {
      expect(await kernelsRun(() => conv2dFilterGrad(x, ct, q, [3, 3, 4, 4]))).not.toContain(CONV2D_FILTER_GRAD_KERNEL);
    }
    expect(await kernelsRun(() => conv2dFilterGrad(x, ct, { ...p, groups: 2 }, [3, 3, 2, 4]))).not.toContain(CONV2D_FILTER_GRAD_KERNEL);
    const dilated = { ...p, lhsDilation: [2, 2] as const, padding: [same(3), same(3)] as ConvParams["padding"] };
    const ctD = T(randomImg(refConvShape([2, 6, 6, 4], [3, 3, 4, 4], dilated), 6));
    expect(await kernelsRun(() => conv2dFilterGrad(x, ctD, dilated, [3, 3, 4, 4]))).not.toContain(CONV2D_FILTER_GRAD_KERNEL);
    [x, ct, ctD].forEach((t) => t.dispose());
  });
});

describe("the native forward convolution", () => {
  const transposed = base([2, 5, 6, 3], [3, 2, 3, 4], {
    lhsDilation: [2, 3],
    padding: [
      [2, 1],
      [1, 0],
    ],
  });
  test.each([...fixed, transposed, ...randomCases(30)])(
    "$name: conv2d runs the kernel (4 output channels or more), = XNNPACK's and the float64 reference",
    async ({ xs, ws, p }) => {
      const x = randomImg(xs, 4),
        w = randomImg(ws, 5);
      const [tx, tw] = [T(x), T(w)];
      const before = liveTensors();
      const run = () => bind(conv2dP, [tx, tw], p);
      // below 4 output channels XNNPACK's kernel runs (ours would be a scalar loop)
      const ran = await kernelsRun(run);
      expect(ran).toContain(ws[3] >= 4 ? CONV2D_FORWARD_KERNEL : "Conv2D");
      expect(ran).not.toContain(ws[3] >= 4 ? "Conv2D" : CONV2D_FORWARD_KERNEL);
      const native = values(run);
      const xnnpack = await composite(() => kernelsRun(run));
      expect(xnnpack).not.toContain(CONV2D_FORWARD_KERNEL);
      expect(xnnpack).toContain("Conv2D");
      assertAllClose(
        native,
        composite(() => values(run)),
        { rtol: 1e-5, atol: 1e-5, what: "native against XNNPACK" },
      );
      assertAllClose(native, refConv(x, w, p).data, { rtol: 1e-5, atol: 1e-5, what: "native against float64" });
      expect(liveTensors()).toBe(before);
      [tx, tw].forEach((t) => t.dispose());
    },
  );
});

describe("the native forward convolution's 16-channel tiles", () => {
  // 16-channel blocks (2 columns x 16 channels) first, then 8, 4 and 1; odd column counts leave a
  // single column; the float64 reference and the 8-channel tiles (same sums, same order) agree
  const wideCases: Case[] = [
    base([2, 7, 9, 5], [3, 3, 5, 17], { padding: [same(3), same(3)] }),
    base([1, 6, 5, 3], [2, 3, 3, 35], {
      strides: [2, 1],
      dilations: [1, 2],
      padding: [
        [1, 0],
        [2, 1],
      ],
    }),
    base([3, 5, 7, 64], [3, 3, 64, 32], { padding: [same(3), same(3)] }), // M3's input gradient, small
    base([2, 9, 8, 1], [3, 3, 1, 48], {
      strides: [2, 2],
      padding: [
        [0, 1],
        [-1, 1],
      ],
    }),
    base([1, 4, 4, 2], [1, 1, 2, 16], {}),
  ];
  test.each(wideCases)("$name: = the 8-channel tiles and the float64 reference, in the jitted plan too", async ({ xs, ws, p }) => {
    const x = randomImg(xs, 21),
      w = randomImg(ws, 22);
    const [tx, tw] = [T(x), T(w)];
    const before = liveTensors();
    const run = () => bind(conv2dP, [tx, tw], p);
    expect(await kernelsRun(run)).toContain(CONV2D_FORWARD_KERNEL);
    const wide = values(run);
    const was = setConvForwardWide(false);
    let narrow: number[];
    try {
      narrow = values(run);
    } finally {
      setConvForwardWide(was);
    }
    expect(wide).toEqual(narrow);
    assertAllClose(wide, refConv(x, w, p).data, { rtol: 1e-5, atol: 1e-5, what: "16-channel tiles against float64" });
    const f = jit((a: AnyTensor, b: AnyTensor) => bind(conv2dP, [a, b], p));
    const y = f(tx, tw);
    const steps = (f.lastPlan?.steps ?? []).flatMap((st) => (st.kind === "call" ? [st.name] : []));
    expect(steps).toContain(CONV2D_FORWARD_KERNEL);
    expect(Array.from(y.dataSync())).toEqual(wide);
    y.dispose();
    f.dispose();
    expect(liveTensors()).toBe(before);
    [tx, tw].forEach((t) => t.dispose());
  });
});

describe("grad of conv2d through the native kernel", () => {
  const xs = [3, 9, 8, 5],
    ws = [3, 3, 5, 6];
  const cases: [string, Conv2dOptions][] = [
    ["same", { padding: "same" }],
    ["valid, stride 2", { padding: "valid", strides: 2 }],
    ["same, dilation 2", { padding: "same", dilations: 2 }],
  ];
  const loss = (opts: Conv2dOptions, ct: AnyTensor) => scalarFn((a: AnyTensor, b: AnyTensor) => sum(mul(conv2d(a, b, opts), ct)));

  test.each(cases)("%s: eager and jitted grad = the composite's; the jitted plan calls both kernels", (_, opts) => {
    leakFree(() => {
      const x = T(randomImg(xs, 7)),
        w = T(randomImg(ws, 8));
      const y = conv2d(x, w, opts);
      const ct = T(randomImg(y.shape, 9));
      const g = grad(loss(opts, ct), { argnums: [0, 1] });
      const eager = [...g(x, w)];
      const want = composite(() => [...g(x, w)]);
      const f = jit(g);
      const jitted = [...f(x, w)];
      const steps = (f.lastPlan?.steps ?? []).flatMap((s) => (s.kind === "call" ? [s.name] : []));
      expect(steps.filter((n) => n === CONV2D_FILTER_GRAD_KERNEL)).toHaveLength(1);
      expect(steps.filter((n) => n === CONV2D_FLIP_FILTER_KERNEL)).toHaveLength(1);
      expect(f.lastGraph?.eqns.filter((e) => e.prim.name === "fused")).toHaveLength(2);
      for (const [got, what] of [
        [eager, "eager"],
        [jitted, "jit"],
      ] as const) {
        assertAllClose(got[1], read(want[1]), { rtol: 1e-5, atol: 1e-5, what: `${what} filter gradient` });
        assertAllClose(got[0], read(want[0]), { rtol: 1e-5, atol: 1e-5, what: `${what} input gradient` });
      }
      f.dispose();
      [x, w, y, ct, ...eager, ...want, ...jitted].forEach((t) => t.dispose());
    });
  });

  test("second order (the kernel's derivative is its composite's): finite differences, and = the composite", () => {
    leakFree(() => {
      const x = T(randomImg([2, 6, 5, 3], 10)),
        w = T(randomImg([3, 2, 3, 5], 11));
      const opts: Conv2dOptions = { padding: "same", strides: [2, 1] };
      const y = conv2d(x, w, opts);
      const ct = T(randomImg(y.shape, 12));
      const dw = grad(loss(opts, ct), { argnums: 1 });
      const v = T(randomImg([3, 2, 3, 5], 13));
      // d/dx <dL/dw, v>: the transpose of the filter gradient
      const mixed = grad(scalarFn((a: AnyTensor) => sum(mul(dw(a, w), v))));
      const got = mixed(x);
      const want = composite(() => mixed(x));
      assertAllClose(got, read(want), { rtol: 1e-5, atol: 1e-5, what: "d/dx <dL/dw, v>" });
      checkGrads((a: AnyTensor, b: AnyTensor) => sum(mul(conv2d(a, b, opts), ct)), [x, w], { order: 2, seed: 3 });
      [x, w, y, ct, v, got, want].forEach((t) => t.dispose());
    });
  });

  test("vmap of per-example filter gradients = a loop", () => {
    leakFree(() => {
      const n = 3;
      const opts: Conv2dOptions = { padding: "same" };
      const w = T(randomImg([3, 3, 2, 5], 14));
      const xsN = [0, 1, 2].map((i) => randomImg([1, 6, 7, 2], 20 + i));
      const ctsN = [0, 1, 2].map((i) => randomImg([1, 6, 7, 5], 30 + i));
      const perExample = (a: AnyTensor, c: AnyTensor) => grad(loss(opts, c), { argnums: 1 })(a, w);
      const stack = (imgs: Img[]) => tensor(Float32Array.from(imgs.flatMap((m) => [...m.data])), [n, ...imgs[0].shape]);
      const [bx, bct] = [stack(xsN), stack(ctsN)];
      const batched = vmap(perExample)(bx, bct) as AnyTensor;
      const loop = [0, 1, 2].flatMap((i) => {
        const [a, c] = [T(xsN[i]), T(ctsN[i])];
        const g = perExample(a, c);
        const r = read(g);
        [a, c, g].forEach((t) => t.dispose());
        return r;
      });
      assertAllClose(batched, loop, { rtol: 1e-5, atol: 1e-5, what: "vmapped filter gradient" });
      [w, bx, bct, batched].forEach((t) => t.dispose());
    });
  });

  test("no tensors or heap buffers leak, eager and jitted", () => {
    const x = T(randomImg(xs, 15)),
      w = T(randomImg(ws, 16));
    const ct = T(randomImg([3, 9, 8, 6], 17));
    const g = grad(loss({ padding: "same" }, ct), { argnums: [0, 1] });
    const f = jit(g);
    const step = () => {
      tf.dispose(g(x, w).map((t) => t.concrete()));
      tf.dispose(f(x, w).map((t) => t.concrete()));
    };
    expectFlatMemory(step);
    f.dispose();
    [x, w, ct].forEach((t) => t.dispose());
  });
});

describe("the native max-pool gradient (tiled windows)", () => {
  const poolCases: { name: string; xs: number[]; window: [number, number]; ties: boolean }[] = [
    { name: "M3's first pool", xs: [2, 28, 28, 32], window: [2, 2], ties: false },
    { name: "odd sizes (uncovered border), B = 1, 5 channels", xs: [1, 7, 9, 5], window: [2, 2], ties: false },
    { name: "window 3x2, 3 channels", xs: [3, 10, 7, 3], window: [3, 2], ties: false },
    { name: "ties (integer values): split evenly", xs: [2, 6, 8, 7], window: [2, 2], ties: true },
    { name: "one row of windows, last row and column uncovered", xs: [1, 3, 7, 4], window: [2, 2], ties: false },
  ];
  test.each(poolCases)("$name: eager and jitted vjp = the composite's (and the reference without ties)", async ({ xs, window, ties }) => {
    const img = randomImg(xs, 40);
    const x = ties ? { ...img, data: img.data.map((v) => Math.round(v * 2)) } : img;
    const tx = T(x);
    const out = maxPool2d(tx, { window });
    const ct = randomImg(out.shape, 41);
    const tct = T(ct);
    const before = liveTensors();
    const loss = scalarFn((a: AnyTensor) => sum(mul(maxPool2d(a, { window }), tct)));
    const g = grad(loss);
    const ran = await kernelsRun(() => g(tx));
    expect(ran).toContain(MAX_POOL_GRAD_TILED_KERNEL);
    const native = values(() => g(tx));
    expect(await composite(() => kernelsRun(() => g(tx)))).not.toContain(MAX_POOL_GRAD_TILED_KERNEL);
    const want = composite(() => values(() => g(tx)));
    assertAllClose(native, want, { rtol: 1e-6, atol: 1e-7, what: "native against composite" });
    if (!ties) {
      const p = {
        window,
        strides: window,
        padding: [
          [0, 0],
          [0, 0],
        ] as const,
      };
      assertAllClose(native, refMaxPoolBackward(x, ct, p).data, { rtol: 1e-6, atol: 1e-7, what: "native against the reference" });
    }
    const f = jit(g);
    const jitted = f(tx);
    expect((f.lastPlan?.steps ?? []).flatMap((s) => (s.kind === "call" ? [s.name] : []))).toContain(MAX_POOL_GRAD_TILED_KERNEL);
    assertAllClose(jitted, want, { rtol: 1e-6, atol: 1e-7, what: "jitted against composite" });
    jitted.dispose();
    f.dispose();
    expect(liveTensors()).toBe(before);
    [tx, out, tct].forEach((t) => t.dispose());
  });

  test("second order through the pool gradient = the composite's", () => {
    leakFree(() => {
      const x = T(randomImg([2, 6, 6, 3], 50));
      const v = T(randomImg([2, 6, 6, 3], 51));
      // d/dx <d/dx sum(maxPool(x)^2), v>
      const inner = grad(scalarFn((a: AnyTensor) => sum(mul(maxPool2d(a, { window: 2 }), maxPool2d(a, { window: 2 })))));
      const outer = grad(scalarFn((a: AnyTensor) => sum(mul(inner(a), v))));
      const got = outer(x);
      const want = composite(() => outer(x));
      assertAllClose(got, read(want), { rtol: 1e-6, atol: 1e-6, what: "second order" });
      [x, v, got, want].forEach((t) => t.dispose());
    });
  });
});

// `npx tsx bench/conv.ts`: conv2d and pooling forward / input grad / filter grad on the CNN
// layers (32c-pool-64c-pool, batch 64, 28x28x1), our formulations against tfjs' own kernels.
// Every run gets fresh input tensors, as in training (XNNPACK repacks a new filter each call).
// ONLY=native: the native kernels (filter gradient, input gradient's filter flip, max-pool gradient)
// against their composites per layer, and the M3
// training step (jit and eager) with native kernels on and off; CPU time, alternating, one process.
import * as tf from "@tensorflow/tfjs-core";
import { init, backendName } from "../src/backend/index.js";
import { Concrete, type AnyTensor } from "../src/tensor/index.js";
import {
  conv2d,
  conv2dFilterGrad,
  conv2dInputGrad,
  type ConvParams,
  type Pair,
  maxPool2d,
  avgPool2d,
  maxPool2dP,
  avgPool2dP,
  type PoolParams,
  vjp,
  setNativeKernels,
  withNativeKernels,
} from "../src/core/index.js";
import { loadDigits } from "./data.js";
import { makeBatches, shapeflowImpl } from "./impls.js";
import { MODELS } from "./models.js";

const RUNS = Number(process.env.RUNS ?? 15);
/** ONLY=conv | pool | cpu runs one section. */
const ONLY = process.env.ONLY;
const section = (name: string) => ONLY === undefined || ONLY === name;

interface Row {
  name: string;
  median: number;
  min: number;
}

/** Median and min ms of `f` over fresh copies of `inputs` (copies made outside the timed region). */
function time(name: string, inputs: tf.Tensor[], f: (...xs: tf.Tensor[]) => tf.Tensor | AnyTensor, runs = RUNS, warmup = 3): Row {
  const once = () => {
    const fresh = inputs.map((t) => tf.add(t, 0));
    fresh.forEach((t) => t.dataSync());
    const t0 = performance.now();
    const out = tf.tidy(() => {
      const r = f(...fresh);
      return r instanceof tf.Tensor ? r : r.concrete();
    });
    out.dataSync();
    const ms = performance.now() - t0;
    out.dispose();
    tf.dispose(fresh);
    return ms;
  };
  for (let i = 0; i < warmup; i++) once();
  const ms = Array.from({ length: runs }, once).sort((a, b) => a - b);
  return { name, median: ms[Math.floor(runs / 2)], min: ms[0] };
}

const C = (t: tf.Tensor) => new Concrete(t) as AnyTensor;
const print = (rows: Row[]) => {
  console.log("| step | median ms | min ms |\n| --- | --- | --- |");
  for (const r of rows) console.log(`| ${r.name} | ${r.median.toFixed(1)} | ${r.min.toFixed(1)} |`);
};

await init();
console.log(`backend: ${backendName()}, node ${process.version}, ${RUNS} runs each`);
const layers = [
  { name: "conv1: x [64,28,28,1] w [3,3,1,32] same", xs: [64, 28, 28, 1], ws: [3, 3, 1, 32], stride: 1 },
  { name: "conv2: x [64,14,14,32] w [3,3,32,64] same", xs: [64, 14, 14, 32], ws: [3, 3, 32, 64], stride: 1 },
  { name: "strided: x [64,28,28,32] w [3,3,32,64] stride 2 same", xs: [64, 28, 28, 32], ws: [3, 3, 32, 64], stride: 2 },
];
const keep: tf.Tensor[] = [];
for (const l of section("conv") ? layers : []) {
  const [b, h, w, ci] = l.xs;
  const co = l.ws[3];
  const s = l.stride;
  const [oh, ow] = [Math.ceil(h / s), Math.ceil(w / s)];
  const x = tf.randomNormal(l.xs),
    wt = tf.randomNormal(l.ws),
    ct = tf.randomNormal([b, oh, ow, co]);
  keep.push(x, wt, ct);
  // "same" with a 3x3 kernel: 1 on each side at stride 1, [0, 1] at stride 2 on even sizes
  const pad: Pair = s === 1 ? [1, 1] : [0, 1];
  const p: ConvParams = { strides: [s, s], padding: [pad, pad], dilations: [1, 1], lhsDilation: [1, 1], groups: 1 };
  console.log(`\n## ${l.name}  (${((2 * b * oh * ow * l.ws[0] * l.ws[1] * ci * co) / 1e6).toFixed(0)} MFLOP per product)\n`);
  print([
    time("forward: conv2d (XNNPACK Conv2D)", [x, wt], (a, c) => conv2d(C(a), C(c), { strides: s, padding: "same" })),
    time("input grad: tfjs Conv2DBackpropInput", [ct, wt], (d, c) =>
      tf.conv2dTranspose(d as tf.Tensor4D, c as tf.Tensor4D, [b, h, w, ci], s, "same"),
    ),
    time("input grad: ours (conv2d of ct with the flipped filter)", [ct, wt], (d, c) => conv2dInputGrad(C(d), C(c), p, l.xs)),
    ...(s > 1
      ? [
          time("input grad: ours, zero-interleaved ct (no subpixel)", [ct, wt], (d, c) =>
            conv2dInputGrad(C(d), C(c), { ...p, subpixel: false }, l.xs),
          ),
        ]
      : []),
    time("filter grad: ours, ct as the filter (XLA's rule)", [x, ct], (a, d) =>
      conv2dFilterGrad(C(a), C(d), { ...p, filterGrad: "ctAsFilter" }, l.ws),
    ),
    time("filter grad: ours, x as the filter", [x, ct], (a, d) => conv2dFilterGrad(C(a), C(d), { ...p, filterGrad: "xAsFilter" }, l.ws)),
    time("filter grad: ours, window patches (one matmul)", [x, ct], (a, d) =>
      conv2dFilterGrad(C(a), C(d), { ...p, filterGrad: "patches" }, l.ws),
    ),
    time("filter grad: ours, auto", [x, ct], (a, d) => conv2dFilterGrad(C(a), C(d), { ...p, filterGrad: "auto" }, l.ws)),
    time("vjp (both grads, as grad() runs it)", [x, wt, ct], (a, c, d) => {
      const [, back] = vjp((u: AnyTensor, v: AnyTensor) => conv2d(u, v, { strides: s, padding: "same" }), C(a), C(c));
      const [dx, dw] = back(C(d)) as AnyTensor[];
      return tf.add(tf.sum(dx.concrete()), tf.sum(dw.concrete()));
    }),
  ]);
}

if (section("pool")) {
  console.log("\n## pooling, x [64,28,28,32], window 2\n");
  const x = tf.randomNormal([64, 28, 28, 32]),
    ct = tf.randomNormal([64, 14, 14, 32]);
  keep.push(x, ct);
  const tiled: PoolParams = {
    window: [2, 2],
    strides: [2, 2],
    padding: [
      [0, 0],
      [0, 0],
    ],
  };
  const attrs = { filterSize: [2, 2], strides: [2, 2], pad: "valid" };
  const back = (prim: typeof maxPool2dP, p: PoolParams) => (a: tf.Tensor, d: tf.Tensor) => {
    const [, pull] = vjp(
      (u: AnyTensor) =>
        prim === maxPool2dP
          ? maxPool2d(u, { window: p.window, strides: p.strides, padding: p.padding })
          : avgPool2d(u, { window: p.window, strides: p.strides, padding: p.padding }),
      C(a),
    );
    return (pull(C(d)) as AnyTensor[])[0];
  };
  const overlapping: PoolParams = {
    window: [3, 3],
    strides: [2, 2],
    padding: [
      [0, 1],
      [0, 1],
    ],
  };
  print([
    time("maxPool2d forward", [x], (a) => maxPool2d(C(a), { window: 2 })),
    time("maxPool2d vjp, tiled (mask rule)", [x, ct], back(maxPool2dP, tiled)),
    time("tfjs MaxPoolGrad (wrong for negative windows on WASM)", [x, ct], (a, d) =>
      tf.engine().runKernel<tf.Tensor>("MaxPoolGrad", { dy: d, input: a, output: d }, attrs),
    ),
    time("maxPool2d vjp, 3x3 stride 2 same (window-pixel rule)", [x, ct], back(maxPool2dP, overlapping)),
    time("avgPool2d forward", [x], (a) => avgPool2d(C(a), { window: 2 })),
    time("avgPool2d vjp, tiled (broadcast)", [x, ct], back(avgPool2dP, tiled)),
    time("tfjs AvgPoolGrad", [x, ct], (a, d) => tf.engine().runKernel<tf.Tensor>("AvgPoolGrad", { dy: d, input: a }, attrs)),
    time("avgPool2d vjp, 3x3 stride 2 same (transposed depthwise conv)", [x, ct], back(avgPool2dP, overlapping)),
  ]);
}

if (section("cpu")) {
  // WASM has no Conv2DBackpropFilter: the pure-JS CPU kernel, for scale
  await tf.setBackend("cpu");
  console.log("\n## tfjs CPU backend Conv2DBackpropFilter (no WASM kernel exists)\n");
  const rows: Row[] = [];
  for (const l of layers.slice(0, 2)) {
    const [b, h, w] = l.xs;
    const x = tf.randomNormal(l.xs),
      ct = tf.randomNormal([b, h, w, l.ws[3]]);
    rows.push(
      time(
        l.name,
        [x, ct],
        (a, d) =>
          tf
            .engine()
            .runKernel<tf.Tensor>(
              "Conv2DBackpropFilter",
              { x: a, dy: d },
              { strides: [1, 1], pad: "same", dataFormat: "NHWC", filterShape: l.ws },
            ),
        1,
        0,
      ),
    );
    tf.dispose([x, ct]);
  }
  print(rows);
}
/** CPU ms of one call of `f` (process.cpuUsage: user + system). */
function cpuMs(f: () => void): number {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

/** `a` and `b` alternated (order flipped every round) `rounds` times; median CPU ms of each and b / a. */
function alternate(label: string, a: () => void, b: () => void, rounds: number): void {
  const ta: number[] = [],
    tb: number[] = [];
  for (let i = 0; i < 2; i++) {
    a();
    b();
  }
  for (let r = 0; r < rounds; r++) {
    const first = r % 2 === 0 ? [a, b] : [b, a];
    for (const f of first) (f === a ? ta : tb).push(cpuMs(f));
  }
  const [ma, mb] = [median(ta), median(tb)];
  console.log(
    `| ${label} | ${ma.toFixed(2)} (min ${Math.min(...ta).toFixed(2)}) | ${mb.toFixed(2)} (min ${Math.min(...tb).toFixed(2)}) | ${(mb / ma).toFixed(2)}x |`,
  );
}

if (section("native")) {
  const rounds = Number(process.env.ROUNDS ?? 40);
  console.log(`\n## native filter gradient against its composite (CPU ms per call, median of ${rounds} alternating rounds)\n`);
  console.log("| layer | native | composite | composite / native |\n| --- | --- | --- | --- |");
  for (const l of layers) {
    const [b, h, w] = l.xs;
    const s = l.stride;
    const [oh, ow] = [Math.ceil(h / s), Math.ceil(w / s)];
    const x = tf.randomNormal(l.xs),
      ct = tf.randomNormal([b, oh, ow, l.ws[3]]);
    const pad: Pair = s === 1 ? [1, 1] : [0, 1];
    const p: ConvParams = { strides: [s, s], padding: [pad, pad], dilations: [1, 1], lhsDilation: [1, 1], groups: 1 };
    const run = (native: boolean) => () =>
      withNativeKernels(native, () => {
        const dw = tf.tidy(() => conv2dFilterGrad(C(x), C(ct), p, l.ws).concrete());
        dw.dataSync();
        dw.dispose();
      });
    alternate(`filter grad, ${l.name}`, run(true), run(false), rounds);
    const wt = tf.randomNormal(l.ws);
    const runInput = (native: boolean) => () =>
      withNativeKernels(native, () => {
        const dx = tf.tidy(() => conv2dInputGrad(C(ct), C(wt), p, l.xs).concrete());
        dx.dataSync();
        dx.dispose();
      });
    alternate(`input grad (filter flip + conv), ${l.name}`, runInput(true), runInput(false), rounds);
    wt.dispose();
    tf.dispose([x, ct]);
  }
  for (const shape of [
    [64, 28, 28, 32],
    [64, 14, 14, 64],
  ]) {
    const x = tf.randomNormal(shape),
      ct = tf.randomNormal([shape[0], shape[1] / 2, shape[2] / 2, shape[3]]);
    const run = (native: boolean) => () => {
      const was = setNativeKernels(native);
      const dx = tf.tidy(() => {
        const [, pull] = vjp((u: AnyTensor) => maxPool2d(u, { window: 2 }), C(x));
        return (pull(C(ct)) as AnyTensor[])[0].concrete();
      });
      dx.dataSync();
      dx.dispose();
      setNativeKernels(was);
    };
    alternate(`maxPool2d vjp (forward included), window 2, x [${shape.join(",")}]`, run(true), run(false), rounds);
    tf.dispose([x, ct]);
  }
  const digits = loadDigits();
  const spec = MODELS.M3;
  for (const mode of ["jit", "eager"] as const) {
    const on = shapeflowImpl(spec, makeBatches(spec, digits), mode);
    await on.setup();
    // a jitted step keeps the plan it lowered: the composite one is traced with native kernels off
    setNativeKernels(false);
    const off = shapeflowImpl(spec, makeBatches(spec, digits), mode);
    await off.setup();
    setNativeKernels(true);
    const block = (impl: typeof on, native: boolean) => () => {
      const was = setNativeKernels(native);
      void impl.run(4);
      setNativeKernels(was);
    };
    const stepRounds = Number(process.env.STEP_ROUNDS ?? 16);
    console.log(`\n## M3 training step, ${mode}: CPU ms per block of 4 steps, median of ${stepRounds} alternating rounds\n`);
    console.log("| step | native | composite | composite / native |\n| --- | --- | --- | --- |");
    alternate(`M3 ${mode}, 4 steps`, block(on, true), block(off, false), stepRounds);
    on.dispose();
    off.dispose();
  }
}

tf.dispose(keep);

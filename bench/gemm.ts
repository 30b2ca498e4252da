// `npx tsx bench/gemm.ts [rounds]`: our float32 GEMM (src/core/native/gemm.c, kernel ShapeflowMatMul)
// against tfjs-backend-wasm's BatchMatMul (XNNPACK) at every matmul shape of M1-M4's training steps:
// NN with b the same tensor each call ("same-b": XNNPACK's packed copy of b is cached) and with a
// fresh b each call ("fresh-b", as in a training step: new weights, fresh gradients; the clone's
// own cost subtracted); the transposed products of the vjp (TN: aᵀ x ct, NT: ct x bᵀ) against
// Transpose + BatchMatMul (fresh b), as matmul's rules ran them before. CPU µs per call
// (process.cpuUsage), variants alternated within each round, medians over rounds; GFLOP/s = 2mnk / time.
// ONLY=M2 restricts to one model's shapes (ONLY=misc, ONLY=small: batch-1, tiny, large and few-row products).
// `npx tsx bench/gemm.ts steps [M1,M2,M3] [rounds]`: the models' jitted training steps with our GEMM
// on and off (setNativeGemm; the other native kernels stay on), alternating blocks of 4 steps in
// one process (the order flips every round), CPU and wall ms per step, fastest and median
// (AB_MODE=eager: the eager steps).
import * as tf from "@tensorflow/tfjs-core";
import { init } from "../src/backend/index.js";
import { MATMUL_KERNEL, nativeAvailable, setNativeGemm } from "../src/core/index.js";
import { loadDigits } from "./data.js";
import { compareSwitch, loadNow } from "./ab.js";
import { MODELS, type ModelId } from "./models.js";

await init();
if (!nativeAvailable(MATMUL_KERNEL)) throw new Error("the native gemm does not run here");
console.log(loadNow());
const med = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)];

if (process.argv[2] === "steps") {
  const ids = (process.argv[3] ?? "M1,M2,M3").split(",") as ModelId[];
  const rounds = Number(process.argv[4] ?? 12);
  const digits = loadDigits();
  const mode = process.env.AB_MODE === "eager" ? "eager" : "jit";
  for (const id of ids) await compareSwitch(MODELS[id], digits, { set: setNativeGemm, names: ["gemm", "xnnpack"], mode }, { rounds });
  process.exit(0);
}
const ROUNDS = Number(process.argv[2] ?? 9);

type Variant = "NN" | "TN" | "NT";
// [model, variant, m, k, n]: C [m, n] = op(A) op(B) with k the inner dimension
const SHAPES: [string, Variant, number, number, number][] = [
  // M1: 784-128-128-128-10, batch 128
  ["M1", "NN", 128, 784, 128],
  ["M1", "NN", 128, 128, 128],
  ["M1", "NN", 128, 128, 10],
  ["M1", "TN", 784, 128, 128],
  ["M1", "TN", 128, 128, 128],
  ["M1", "TN", 128, 128, 10],
  ["M1", "NT", 128, 128, 128],
  ["M1", "NT", 128, 10, 128],
  // M2: 784-500-300-10, batch 128
  ["M2", "NN", 128, 784, 500],
  ["M2", "NN", 128, 500, 300],
  ["M2", "NN", 128, 300, 10],
  ["M2", "TN", 784, 128, 500],
  ["M2", "TN", 500, 128, 300],
  ["M2", "TN", 300, 128, 10],
  ["M2", "NT", 128, 300, 500],
  ["M2", "NT", 128, 10, 300],
  // M3: dense 3136-128-10, batch 64
  ["M3", "NN", 64, 3136, 128],
  ["M3", "NN", 64, 128, 10],
  ["M3", "TN", 3136, 64, 128],
  ["M3", "TN", 128, 64, 10],
  ["M3", "NT", 64, 128, 3136],
  ["M3", "NT", 64, 10, 128],
  // M4: LSTM(64) over 28 steps of 28 features, batch 64, dense 10 (the step's products; the
  // recurrent weights are the same tensor in all 28 steps, so XNNPACK's same-b is what it gets there)
  ["M4", "NN", 64, 93, 256],
  ["M4", "NN", 64, 256, 64],
  ["M4", "NN", 256, 1792, 93],
  ["M4", "NN", 64, 64, 10],
  ["M4", "TN", 64, 64, 10],
  ["M4", "NT", 64, 10, 64],
  // elsewhere: batch-1 inference, tiny, large and long-k products (for the routing's limits)
  ["misc", "NN", 1, 784, 128],
  ["small", "NN", 1, 784, 512],
  ["small", "NN", 2, 784, 512],
  ["small", "NN", 4, 784, 512],
  ["small", "NN", 8, 784, 512],
  ["small", "NN", 16, 784, 512],
  ["small", "NN", 32, 784, 512],
  ["small", "NN", 16, 128, 128],
  ["small", "NN", 32, 128, 128],
  ["small", "TN", 8, 128, 128],
  ["misc", "NN", 8, 8, 8],
  ["misc", "NN", 512, 512, 512],
  ["misc", "NN", 1024, 1024, 1024],
  ["misc", "NN", 64, 8192, 64],
  ["misc", "NT", 512, 512, 512],
  ["misc", "TN", 512, 512, 512],
];

const cpuUs = (f: () => void, reps: number) => {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / reps;
};
const ours = (a: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean): tf.Tensor => {
  const y = tf.engine().runKernel<tf.Tensor | tf.Tensor[]>(MATMUL_KERNEL, { x0: a, x1: b }, { transposeA, transposeB });
  return Array.isArray(y) ? y[0] : y;
};

for (const [model, variant, m, k, n] of SHAPES.filter(([md]) => process.env.ONLY === undefined || md === process.env.ONLY)) {
  // operands as the step holds them: TN's a is [k, m], NT's b is [n, k]
  const a = tf.randomNormal(variant === "TN" ? [k, m] : [m, k]);
  const b = tf.randomNormal(variant === "NT" ? [n, k] : [k, n]);
  const ta = variant === "TN";
  const tb = variant === "NT";
  const reps = Math.max(10, Math.round(2e7 / (m * k * n + 2e4)));
  const loop = (f: () => void) => () => {
    for (let i = 0; i < reps; i++) f();
  };
  const cases: Record<string, () => void> = {
    ours: loop(() => {
      const b2 = tf.clone(b);
      ours(a, b2, ta, tb).dispose();
      b2.dispose();
    }),
    clone: loop(() => tf.clone(b).dispose()),
  };
  if (variant === "NN") {
    cases.xnnSame = loop(() => {
      const b2 = tf.clone(b); // the clone's cost, as in the fresh-b loops, but b stays the same tensor
      tf.matMul(a, b).dispose();
      b2.dispose();
    });
    cases.xnnFresh = loop(() => {
      const b2 = tf.clone(b);
      tf.matMul(a, b2).dispose();
      b2.dispose();
    });
  } else {
    // what matmul's rules ran: the transposed operand materialised, then an NN product
    cases.xnnTransposed = loop(() => {
      const b2 = tf.clone(b);
      tf.tidy(() => (ta ? tf.matMul(tf.transpose(a), b2) : tf.matMul(a, tf.transpose(b2)))).dispose();
      b2.dispose();
    });
  }
  // correctness, once
  const want = tf.matMul(a, b, ta, tb);
  const got = ours(a, b, ta, tb);
  const err = tf.max(tf.abs(tf.sub(want, got))).dataSync()[0] / Math.max(1e-30, tf.max(tf.abs(want)).dataSync()[0]);
  tf.dispose([want, got]);
  const names = Object.keys(cases);
  const times = new Map<string, number[]>(names.map((x) => [x, []]));
  for (const f of Object.values(cases)) f(); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    for (const name of r % 2 === 0 ? names : [...names].reverse()) times.get(name)?.push(cpuUs(cases[name], reps));
  }
  const t = (name: string) => med(times.get(name) ?? []) - med(times.get("clone") ?? []);
  const gf = (us: number) => ((2 * m * n * k) / us / 1e3).toFixed(1);
  const fmt = (name: string) => `${name} ${t(name).toFixed(0)} µs (${gf(t(name))} GFLOP/s)`;
  const others = names.filter((x) => x !== "ours" && x !== "clone");
  const ratios = others.map((x) => `${x}/ours ${(t(x) / t("ours")).toFixed(2)}`).join(", ");
  console.log(
    `${model} ${variant} ${m}x${k}x${n}: ${[fmt("ours"), ...others.map(fmt)].join(", ")}; ${ratios}; rel err ${err.toExponential(1)}`,
  );
  tf.dispose([a, b]);
}
console.log(loadNow());

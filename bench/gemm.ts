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
import { gemmCases, ours, SHAPES, timeCases } from "./gemm-cases.js";
import { loadDigits } from "./data.js";
import { compareSwitch, loadNow } from "./ab.js";
import { MODELS, type ModelId } from "./models.js";

await init();
if (!nativeAvailable(MATMUL_KERNEL)) throw new Error("the native gemm does not run here");
console.log(loadNow());

if (process.argv[2] === "steps") {
  const ids = (process.argv[3] ?? "M1,M2,M3").split(",") as ModelId[];
  const rounds = Number(process.argv[4] ?? 12);
  const digits = loadDigits();
  const mode = process.env.AB_MODE === "eager" ? "eager" : "jit";
  for (const id of ids) await compareSwitch(MODELS[id], digits, { set: setNativeGemm, names: ["gemm", "xnnpack"], mode }, { rounds });
  process.exit(0);
}
const ROUNDS = Number(process.argv[2] ?? 9);

for (const [model, variant, m, k, n] of SHAPES.filter(([md]) => process.env.ONLY === undefined || md === process.env.ONLY)) {
  const reps = Math.max(10, Math.round(2e7 / (m * k * n + 2e4)));
  const { a, b, ta, tb, cases } = gemmCases(variant, m, k, n, reps);
  // correctness, once
  const want = tf.matMul(a, b, ta, tb);
  const got = ours(a, b, ta, tb);
  const err = tf.max(tf.abs(tf.sub(want, got))).dataSync()[0] / Math.max(1e-30, tf.max(tf.abs(want)).dataSync()[0]);
  tf.dispose([want, got]);
  const t = timeCases(cases, ROUNDS, reps).cpu;
  const gf = (us: number) => ((2 * m * n * k) / us / 1e3).toFixed(1);
  const fmt = (name: string) => `${name} ${t(name).toFixed(0)} µs (${gf(t(name))} GFLOP/s)`;
  const others = Object.keys(cases).filter((x) => x !== "ours" && x !== "clone");
  const ratios = others.map((x) => `${x}/ours ${(t(x) / t("ours")).toFixed(2)}`).join(", ");
  console.log(
    `${model} ${variant} ${m}x${k}x${n}: ${[fmt("ours"), ...others.map(fmt)].join(", ")}; ${ratios}; rel err ${err.toExponential(1)}`,
  );
  tf.dispose([a, b]);
}
console.log(loadNow());

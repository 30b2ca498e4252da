// `npx tsx bench/gemm-threads.ts [rounds] [threads]`: on tfjs' threaded build (init({ threads }), the
// thread gate at minThreadedWork 0 so every BatchMatMul runs on the pool), our single-threaded GEMM
// (kernel ShapeflowMatMul) against XNNPACK on the pool at every matmul shape of M1-M4's training
// steps over 2^22 multiply-adds: NN with a fresh b each call (as in a training step) and the same b,
// TN / NT against Transpose + BatchMatMul (fresh b; the Transpose runs on the calling thread).
// Wall and CPU µs per call (CPU counts every thread), variants alternated within each round, medians.
import { loadavg } from "node:os";
import * as tf from "@tensorflow/tfjs-core";
import { backendInfo, init } from "../src/backend/index.js";
import { MATMUL_KERNEL, nativeAvailable } from "../src/core/index.js";
import { gemmCases, SHAPES, timeCases } from "./gemm-cases.js";

const ROUNDS = Number(process.argv[2] ?? 9);
await init({ threads: Number(process.argv[3] ?? 2), minThreadedWork: 0 });
const info = backendInfo();
if (info === undefined || info.threads < 2) throw new Error(`no threads: ${info?.fallback}`);
if (!nativeAvailable(MATMUL_KERNEL)) throw new Error("the native gemm does not run here");
const loadNow = () => `load ${loadavg()[0].toFixed(2)}`;
console.log(`${info.threads} threads, ${loadNow()}`);

const only = process.env.ONLY;
// the products of at least 2^22 multiply-adds (smaller ones stay off the pool anyway)
const shapes = SHAPES.filter(([md, , m, k, n]) => m * k * n >= 2 ** 22 && (only === undefined || only.split(",").includes(md)));
for (const [model, variant, m, k, n] of shapes) {
  const reps = Math.max(4, Math.round(2e8 / (m * k * n + 2e4)));
  const { a, b, cases } = gemmCases(variant, m, k, n, reps);
  const time = timeCases(cases, ROUNDS, reps);
  const others = Object.keys(cases).filter((x) => x !== "ours" && x !== "clone");
  const fmt = (name: string) => `${name} ${time.wall(name).toFixed(0)} wall / ${time.cpu(name).toFixed(0)} cpu`;
  console.log(
    `${model} ${variant} ${m}x${k}x${n}: ${[fmt("ours"), ...others.map(fmt)].join(", ")} µs; wall ${others
      .map((x) => `${x}/ours ${(time.wall(x) / time.wall("ours")).toFixed(2)}`)
      .join(", ")}; ${loadNow()}`,
  );
  tf.dispose([a, b]);
}
process.exit(0);

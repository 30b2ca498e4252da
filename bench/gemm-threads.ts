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

const ROUNDS = Number(process.argv[2] ?? 9);
await init({ threads: Number(process.argv[3] ?? 2), minThreadedWork: 0 });
const info = backendInfo();
if (info === undefined || info.threads < 2) throw new Error(`no threads: ${info?.fallback}`);
if (!nativeAvailable(MATMUL_KERNEL)) throw new Error("the native gemm does not run here");
const loadNow = () => `load ${loadavg()[0].toFixed(2)}`;
console.log(`${info.threads} threads, ${loadNow()}`);
const med = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)];

type Variant = "NN" | "TN" | "NT";
const SHAPES: [string, Variant, number, number, number][] = [
  ["M1", "NN", 128, 784, 128],
  ["M1", "TN", 784, 128, 128],
  ["M2", "NN", 128, 784, 500],
  ["M2", "NN", 128, 500, 300],
  ["M2", "TN", 784, 128, 500],
  ["M2", "TN", 500, 128, 300],
  ["M2", "NT", 128, 300, 500],
  ["M3", "NN", 64, 3136, 128],
  ["M3", "TN", 3136, 64, 128],
  ["M3", "NT", 64, 128, 3136],
  ["M4", "NN", 256, 1792, 93],
  ["misc", "NN", 256, 256, 256],
  ["misc", "NN", 512, 512, 512],
  ["misc", "NN", 256, 784, 500],
  ["misc", "NN", 512, 784, 500],
  ["misc", "NN", 1024, 1024, 1024],
];
const only = process.env.ONLY;
const ours = (a: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean): tf.Tensor => {
  const y = tf.engine().runKernel<tf.Tensor | tf.Tensor[]>(MATMUL_KERNEL, { x0: a, x1: b }, { transposeA, transposeB });
  return Array.isArray(y) ? y[0] : y;
};
for (const [model, variant, m, k, n] of SHAPES.filter(([md]) => only === undefined || only.split(",").includes(md))) {
  const a = tf.randomNormal(variant === "TN" ? [k, m] : [m, k]);
  const b = tf.randomNormal(variant === "NT" ? [n, k] : [k, n]);
  const ta = variant === "TN";
  const tb = variant === "NT";
  const reps = Math.max(4, Math.round(2e8 / (m * k * n + 2e4)));
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
    cases.xnnFresh = loop(() => {
      const b2 = tf.clone(b);
      tf.matMul(a, b2).dispose();
      b2.dispose();
    });
    cases.xnnSame = loop(() => {
      const b2 = tf.clone(b);
      tf.matMul(a, b).dispose();
      b2.dispose();
    });
  } else {
    cases.xnnTransposed = loop(() => {
      const b2 = tf.clone(b);
      tf.tidy(() => (ta ? tf.matMul(tf.transpose(a), b2) : tf.matMul(a, tf.transpose(b2)))).dispose();
      b2.dispose();
    });
  }
  const names = Object.keys(cases);
  const wall = new Map<string, number[]>(names.map((x) => [x, []]));
  const cpu = new Map<string, number[]>(names.map((x) => [x, []]));
  for (const f of Object.values(cases)) f();
  for (let r = 0; r < ROUNDS; r++) {
    for (const name of r % 2 === 0 ? names : [...names].reverse()) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      cases[name]();
      const c = process.cpuUsage(c0);
      wall.get(name)?.push(((performance.now() - t0) * 1000) / reps);
      cpu.get(name)?.push((c.user + c.system) / reps);
    }
  }
  const t = (mp: Map<string, number[]>, name: string) => med(mp.get(name) ?? []) - med(mp.get("clone") ?? []);
  const others = names.filter((x) => x !== "ours" && x !== "clone");
  const fmt = (name: string) => `${name} ${t(wall, name).toFixed(0)} wall / ${t(cpu, name).toFixed(0)} cpu`;
  console.log(
    `${model} ${variant} ${m}x${k}x${n}: ${[fmt("ours"), ...others.map(fmt)].join(", ")} µs; wall ${others
      .map((x) => `${x}/ours ${(t(wall, x) / t(wall, "ours")).toFixed(2)}`)
      .join(", ")}; ${loadNow()}`,
  );
  tf.dispose([a, b]);
}
process.exit(0);

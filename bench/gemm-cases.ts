// The GEMM benches' shared part (bench/gemm.ts single-threaded, bench/gemm-threads.ts on the pool):
// every matmul shape of M1-M4's training steps, and per shape the cases each compares: our kernel
// with a fresh b, the clone that costs (subtracted), XNNPACK with a fresh and the same b (NN) or
// Transpose + BatchMatMul (TN, NT), timed alternating within each round.
import * as tf from "@tensorflow/tfjs-core";
import { MATMUL_KERNEL } from "../src/core/index.js";

/** A product as the step holds its operands: TN's a is [k, m], NT's b is [n, k]. */
export type Variant = "NN" | "TN" | "NT";
// [model, variant, m, k, n]: C [m, n] = op(A) op(B) with k the inner dimension
export const SHAPES: [string, Variant, number, number, number][] = [
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
  ["misc", "NN", 256, 256, 256],
  ["misc", "NN", 512, 512, 512],
  ["misc", "NN", 256, 784, 500],
  ["misc", "NN", 512, 784, 500],
  ["misc", "NN", 1024, 1024, 1024],
  ["misc", "NN", 64, 8192, 64],
  ["misc", "NT", 512, 512, 512],
  ["misc", "TN", 512, 512, 512],
];

/** Our kernel, called as matmul's rules call it. */
export const ours = (a: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean): tf.Tensor => {
  const y = tf.engine().runKernel<tf.Tensor | tf.Tensor[]>(MATMUL_KERNEL, { x0: a, x1: b }, { transposeA, transposeB });
  return Array.isArray(y) ? y[0] : y;
};

/** The operands of one shape and its cases, each `reps` calls; the caller disposes a and b. */
export function gemmCases(variant: Variant, m: number, k: number, n: number, reps: number) {
  const a = tf.randomNormal(variant === "TN" ? [k, m] : [m, k]);
  const b = tf.randomNormal(variant === "NT" ? [n, k] : [k, n]);
  const ta = variant === "TN";
  const tb = variant === "NT";
  const loop = (f: () => void) => () => {
    for (let i = 0; i < reps; i++) f();
  };
  const withFreshB = (f: (b2: tf.Tensor) => void) =>
    loop(() => {
      const b2 = tf.clone(b);
      f(b2);
      b2.dispose();
    });
  const cases: Record<string, () => void> = {
    ours: withFreshB((b2) => ours(a, b2, ta, tb).dispose()),
    clone: loop(() => tf.clone(b).dispose()),
  };
  if (variant === "NN") {
    // same b: the clone's cost as in the fresh-b loops, but b stays the same tensor
    cases.xnnSame = withFreshB(() => tf.matMul(a, b).dispose());
    cases.xnnFresh = withFreshB((b2) => tf.matMul(a, b2).dispose());
  } else {
    // what matmul's rules ran: the transposed operand materialised, then an NN product
    cases.xnnTransposed = withFreshB((b2) =>
      tf.tidy(() => (ta ? tf.matMul(tf.transpose(a), b2) : tf.matMul(a, tf.transpose(b2)))).dispose(),
    );
  }
  return { a, b, ta, tb, cases };
}

const med = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)];

/** Each case once to warm up, then `rounds` rounds alternating (the order flips every round): median wall and CPU µs per call, the clone's cost subtracted. */
export function timeCases(
  cases: Record<string, () => void>,
  rounds: number,
  reps: number,
): { wall(name: string): number; cpu(name: string): number } {
  const names = Object.keys(cases);
  const wall = new Map<string, number[]>(names.map((x) => [x, []]));
  const cpu = new Map<string, number[]>(names.map((x) => [x, []]));
  for (const f of Object.values(cases)) f();
  for (let r = 0; r < rounds; r++) {
    for (const name of r % 2 === 0 ? names : [...names].reverse()) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      cases[name]();
      const c = process.cpuUsage(c0);
      wall.get(name)?.push(((performance.now() - t0) * 1000) / reps);
      cpu.get(name)?.push((c.user + c.system) / reps);
    }
  }
  const net = (mp: Map<string, number[]>) => (name: string) => med(mp.get(name) ?? []) - med(mp.get("clone") ?? []);
  return { wall: net(wall), cpu: net(cpu) };
}

// `npx tsx bench/colsum.ts`: sum over the leading axis of [m, n] float32 (a bias gradient's sum) on the
// native column-sum kernel (core/native/colsum.c) against the pooled path (setNativeSumLeading(false)):
// the worst error against a float64 reference (positive values, where float32 sums err most),
// relative to the exact sum, and CPU µs per call (process.cpuUsage), alternated, medians of 21 rounds.
import { loadavg } from "node:os";
import * as tf from "@tensorflow/tfjs-core";
import { init } from "../src/backend/index.js";
import { setNativeSumLeading, sum } from "../src/core/index.js";
import { Concrete } from "../src/tensor/index.js";
await init();
const S = (x: tf.Tensor, on: boolean) => {
  const w = setNativeSumLeading(on);
  try {
    return sum(new Concrete(x), 0).concrete();
  } finally {
    setNativeSumLeading(w);
  }
};
const shapes = [
  [50176, 32],
  [12544, 64],
  [128, 500],
  [128, 128],
  [50000, 300],
  [50001, 32],
  [70000, 600],
  [65536, 300],
  [4096, 256],
];
for (const [m, n] of shapes) {
  const v = new Float32Array(m * n);
  for (let i = 0; i < v.length; i++) v[i] = Math.random() + 0.5;
  const ref = new Float64Array(n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) ref[j] += v[i * n + j];
  const x = tf.tensor2d(v, [m, n]);
  const err = (on: boolean) => {
    const y = S(x, on);
    const d = y.dataSync();
    y.dispose();
    let e = 0;
    for (let j = 0; j < n; j++) e = Math.max(e, Math.abs(d[j] - ref[j]) / Math.abs(ref[j]));
    return e;
  };
  const ts = { old: [] as number[], nat: [] as number[] };
  for (let r = 0; r < 21; r++)
    for (const on of r % 2 ? [true, false] : [false, true]) {
      const c0 = process.cpuUsage();
      for (let i = 0; i < 5; i++) S(x, on).dispose();
      const c = process.cpuUsage(c0);
      ts[on ? "nat" : "old"].push((c.user + c.system) / 5);
    }
  const med = (a: number[]) => a.sort((p, q) => p - q)[10].toFixed(0);
  console.log(
    `[${m},${n}] max rel err old ${err(false).toExponential(2)} native ${err(true).toExponential(2)}  CPU µs old ${med(ts.old)} native ${med(ts.nat)}`,
  );
  x.dispose();
}
console.log(
  `load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);

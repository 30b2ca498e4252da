// The native forward convolution on M3's three products, its 16-channel tiles on and off (attribute
// `wide`), one kernel call at a time: the largest difference, and CPU ms medians of 40 alternating
// rounds of 3 calls. `npx tsx bench/conv-wide-ab.ts`
import * as tf from "@tensorflow/tfjs-core";
import { init } from "../src/backend/index.js";
import "../src/core/index.js"; // registers the native kernels
await init();
const cases: [number[], number[]][] = [
  [
    [64, 14, 14, 64],
    [3, 3, 64, 32],
  ],
  [
    [64, 14, 14, 32],
    [3, 3, 32, 64],
  ],
  [
    [64, 28, 28, 1],
    [3, 3, 1, 32],
  ],
];
const med = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
for (const [xs, ws] of cases) {
  const x = tf.randomNormal(xs),
    w = tf.randomNormal(ws);
  const attrs = (wide: boolean) => ({ outSize: [xs[1], xs[2]], strides: [1, 1], dilations: [1, 1], padStart: [1, 1], wide });
  const run = (wide: boolean) => {
    const y = tf.engine().runKernel<tf.Tensor | tf.Tensor[]>("ShapeflowConv2D", { x0: x, x1: w }, attrs(wide));
    return Array.isArray(y) ? y[0] : y;
  };
  const a = run(false),
    b = run(true);
  const diff = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
  tf.dispose([a, b]);
  const t: Record<string, number[]> = { narrow: [], wide: [] };
  for (let r = 0; r < 40; r++)
    for (const wide of r % 2 ? [true, false] : [false, true]) {
      const c0 = process.cpuUsage();
      for (let k = 0; k < 3; k++) run(wide).dispose();
      const c = process.cpuUsage(c0);
      t[wide ? "wide" : "narrow"].push((c.user + c.system) / 3000);
    }
  console.log(xs, ws, "maxdiff", diff, "narrow", med(t.narrow).toFixed(2), "wide", med(t.wide).toFixed(2), "ms");
  tf.dispose([x, w]);
}

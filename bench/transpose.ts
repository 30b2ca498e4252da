// `npx tsx bench/transpose.ts`: tfjs' transpose kernel as called (A) against shapeflow's routing
// (`transposeKernel`: size-1 axes dropped, adjacent axes merged, cache-thrashing 2-D transposes split
// into rank 3) (B), CPU ms per call, A/B alternated in one process, medians over rounds.
import * as tf from "@tensorflow/tfjs-core";
import { init, backendName } from "../src/backend/index.js";
import { transposeKernel } from "../src/core/index.js";

await init();
const ROUNDS = Number(process.env.ROUNDS ?? 9);
const cases: [number[], number[]][] = [
  // M3's training step (jit), each once per step
  [
    [128, 10],
    [1, 0],
  ],
  [
    [64, 128],
    [1, 0],
  ],
  [
    [3136, 128],
    [1, 0],
  ],
  [
    [64, 3136],
    [1, 0],
  ],
  [
    [3, 3, 32, 64],
    [0, 1, 3, 2],
  ],
  [
    [64, 14, 14, 64],
    [3, 1, 2, 0],
  ],
  [
    [64, 14, 14, 32],
    [1, 2, 0, 3],
  ],
  [
    [64, 3, 3, 32],
    [1, 2, 3, 0],
  ],
  [
    [64, 784, 32],
    [2, 0, 1],
  ],
  [
    [32, 9],
    [1, 0],
  ],
  // a grid
  [
    [50176, 32],
    [1, 0],
  ],
  [
    [12544, 64],
    [1, 0],
  ],
  [
    [100352, 16],
    [1, 0],
  ],
  [
    [4096, 256],
    [1, 0],
  ],
  [
    [1024, 1024],
    [1, 0],
  ],
  [
    [12544, 288],
    [1, 0],
  ],
  [
    [12544, 576],
    [1, 0],
  ],
  [
    [6272, 128],
    [1, 0],
  ],
  [
    [50000, 32],
    [1, 0],
  ],
  [
    [32, 50176],
    [1, 0],
  ],
  [
    [3136, 64],
    [1, 0],
  ],
  [
    [64, 28, 28, 32],
    [3, 0, 1, 2],
  ],
  [
    [64, 28, 28, 32],
    [1, 2, 3, 0],
  ],
  [
    [64, 28, 28, 32],
    [0, 3, 1, 2],
  ],
  [
    [64, 28, 28, 32],
    [1, 2, 0, 3],
  ],
  [
    [64, 14, 14, 32],
    [3, 0, 1, 2],
  ],
  [
    [64, 14, 14, 32],
    [1, 2, 3, 0],
  ],
  [
    [64, 14, 14, 64],
    [3, 0, 1, 2],
  ],
  [
    [64, 14, 14, 64],
    [0, 3, 1, 2],
  ],
  [
    [64, 7, 7, 64],
    [3, 0, 1, 2],
  ],
  [
    [64, 14, 14, 288],
    [3, 0, 1, 2],
  ],
  [
    [3, 3, 32, 64],
    [3, 0, 1, 2],
  ],
  [
    [3, 3, 32, 64],
    [2, 0, 1, 3],
  ],
  [
    [28, 64, 256],
    [1, 0, 2],
  ],
  [
    [64, 3136],
    [1, 0],
  ],
];
function cpu(f: () => void): number {
  const c0 = process.cpuUsage();
  for (let i = 0; i < 3; i++) f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 3000;
}
const med = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
console.log(`backend ${backendName()}, ${ROUNDS} rounds`);
for (const [shape, perm] of cases) {
  const x = tf.randomNormal(shape);
  const a = () => tf.transpose(x, perm).dispose();
  const b = () => transposeKernel(x, perm).dispose();
  const same = tf.tidy(() => tf.max(tf.abs(tf.sub(tf.transpose(x, perm), transposeKernel(x, perm)))).dataSync()[0]);
  a();
  b();
  const ta: number[] = [];
  const tb: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    ta.push(cpu(a));
    tb.push(cpu(b));
  }
  console.log(
    `[${shape.join(",")}] perm [${perm.join(",")}]`.padEnd(36),
    `tfjs ${med(ta).toFixed(2)}  routed ${med(tb).toFixed(2)}  maxdiff ${same}`,
  );
  x.dispose();
}

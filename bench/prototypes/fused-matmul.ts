// `npx tsx bench/prototypes/fused-matmul.ts`: would fusing pay in the static plan? The WASM
// kernels a dense or conv layer's forward pass runs (BatchMatMul + Add(bias) [+ Relu], Conv2D +
// Add(bias) + Relu) against the fused kernels (_FusedMatMul, FusedConv2D with bias and
// activation), called straight on the backend as the plan calls them; CPU µs per layer, medians
// of alternating rounds.
import * as tf from "@tensorflow/tfjs-core";
import { loadavg } from "node:os";
import { init } from "../../src/backend/index.js";

await init();
const backend = tf.engine().backend;
const k = (name: string) => tf.getKernel(name, tf.getBackend()).kernelFunc;
const call = (name: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}) =>
  k(name)({ inputs, backend, attrs }) as tf.TensorInfo;
const free = (...ts: tf.TensorInfo[]) => ts.forEach((t) => backend.disposeData(t.dataId));

interface Case {
  name: string;
  unfused: () => void;
  fused: () => void;
}
const cases: Case[] = [];
for (const [m, kk, n] of [
  [128, 784, 128],
  [128, 128, 128],
  [128, 784, 500],
  [64, 93, 256],
]) {
  const a = tf.randomNormal([m, kk]);
  const b = tf.randomNormal([kk, n]);
  // NOTE: the fused kernel wants rank 3 (the tfjs op reshapes); these views share the data
  const [a3, b3] = [tf.reshape(a, [1, m, kk]), tf.reshape(b, [1, kk, n])];
  const bias = tf.randomNormal([n]);
  cases.push({
    name: `dense [${m},${kk}]@[${kk},${n}] + bias, relu`,
    unfused: () => {
      const y = call("BatchMatMul", { a, b }, { transposeA: false, transposeB: false });
      const z = call("Add", { a: y, b: bias });
      const r = call("Relu", { x: z });
      free(y, z, r);
    },
    fused: () => free(call("_FusedMatMul", { a: a3, b: b3, bias }, { transposeA: false, transposeB: false, activation: "relu" })),
  });
}
{
  const x = tf.randomNormal([64, 28, 28, 1]);
  const f = tf.randomNormal([3, 3, 1, 32]);
  const bias = tf.randomNormal([32]);
  const attrs = { strides: [1, 1], pad: "same", dataFormat: "NHWC", dilations: [1, 1] } as unknown as tf.NamedAttrMap;
  cases.push({
    name: "conv [64,28,28,1] * [3,3,1,32] + bias, relu",
    unfused: () => {
      const y = call("Conv2D", { x, filter: f }, attrs);
      const z = call("Add", { a: y, b: bias });
      const r = call("Relu", { x: z });
      free(y, z, r);
    },
    fused: () => free(call("FusedConv2D", { x, filter: f, bias }, { ...attrs, activation: "relu" })),
  });
}
const med = (v: number[]) => [...v].sort((p, q) => p - q)[v.length >> 1];
for (const c of cases) {
  const t: Record<"unfused" | "fused", number[]> = { unfused: [], fused: [] };
  c.unfused();
  c.fused();
  for (let r = 0; r < 15; r++) {
    for (const w of r % 2 ? (["fused", "unfused"] as const) : (["unfused", "fused"] as const)) {
      const n = 20;
      const c0 = process.cpuUsage();
      for (let i = 0; i < n; i++) c[w]();
      const d = process.cpuUsage(c0);
      t[w].push((d.user + d.system) / n);
    }
  }
  const [u, f] = [med(t.unfused), med(t.fused)];
  console.log(
    `${c.name}: unfused ${u.toFixed(1)} µs, fused ${f.toFixed(1)} µs, saves ${(u - f).toFixed(1)} µs (load ${loadavg()[0].toFixed(1)})`,
  );
}

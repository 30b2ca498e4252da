// `npx tsx bench/memory.ts [steps] [model] [every]` (default 10000 M1 1000): the memory-flatness
// check. Runs a model's jitted training step (forward, loss, backward, Adam, the loss read on the
// host every step, as a training loop does) `steps` times and prints, every `every` steps, the
// engine's live tensors and bytes, the backend's buffers, the WASM heap and the JS heap. Flat means:
// tensors, bytes and buffers stay exactly where they were after the first interval.
import { loadavg } from "node:os";
import * as tf from "@tensorflow/tfjs-core";
import { init } from "../src/backend/index.js";
import { loadDigits } from "./data.js";
import { makeBatches, shapeflowImpl } from "./impls.js";
import { MODELS, type ModelId } from "./models.js";

await init();
const steps = Number(process.argv[2] ?? 10_000);
const id = (process.argv[3] ?? "M1") as ModelId;
const every = Number(process.argv[4] ?? 1000);
const impl = shapeflowImpl(MODELS[id], makeBatches(MODELS[id], loadDigits()), "jit");
await impl.setup(); // trace, plan, then 2 more steps
const backend = tf.engine().backend as tf.KernelBackend & { wasm?: { HEAPU8: Uint8Array } };
const snapshot = () => {
  const m = tf.memory();
  return { tensors: m.numTensors, bytes: m.numBytes, buffers: backend.numDataIds() };
};
const mb = (n: number) => (n / 2 ** 20).toFixed(1);
console.log(`${id} jitted train step, ${steps} steps; backend ${tf.getBackend()}; load ${loadavg()[0].toFixed(1)}`);
let first: ReturnType<typeof snapshot> | undefined;
let flat = true;
let cpuMs = 0;
for (let done = 0; done < steps;) {
  const n = Math.min(every, steps - done);
  cpuMs += (await impl.run(n)).cpuMs;
  done += n;
  const s = snapshot();
  first ??= s;
  flat &&= s.tensors === first.tensors && s.bytes === first.bytes && s.buffers === first.buffers;
  const heap = backend.wasm?.HEAPU8.length;
  console.log(
    `step ${String(done).padStart(6)}: ${s.tensors} tensors, ${s.bytes} bytes, ${s.buffers} backend buffers` +
      `${heap === undefined ? "" : `, WASM heap ${mb(heap)} MiB`}, JS heap ${mb(process.memoryUsage().heapUsed)} MiB; CPU ${(cpuMs / done).toFixed(2)} ms/step`,
  );
}
console.log(
  `${flat ? "FLAT" : "NOT FLAT"}: tensors, bytes and backend buffers ${flat ? "unchanged" : "changed"} from step ${Math.min(every, steps)} on; load ${loadavg()[0].toFixed(1)}`,
);
impl.dispose();

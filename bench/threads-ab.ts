// `npx tsx bench/threads-ab.ts [--threads n] [--rounds n] [--block ms] [--models M2,M3] [--sizes 256,1024]`
// tfjs's threaded SIMD build against its single-threaded SIMD build, alternating in ONE process:
// init({ threads }) starts the threaded backend; a second, single-threaded instance of the same
// WASM backend is made with tfjs's own factory, and the engine is switched between the two
// between blocks (the kernels re-bound to the active module, tensors moved on first use, one
// untimed step after each switch). Large matmul GFLOP/s and jitted training steps of the bench
// models; wall and CPU time (CPU counts every thread of the process), medians over rounds.
import { loadavg } from "node:os";
import * as tf from "@tensorflow/tfjs-core";
import * as wasm from "@tensorflow/tfjs-backend-wasm";
import { backendInfo, init } from "../src/backend/index.js";
import { loadDigits } from "./data.js";
import { median, timeLocal, type BlockTime } from "./harness.js";
import { makeBatches, shapeflowImpl } from "./impls.js";
import { MODELS, type ModelId } from "./models.js";

const args = process.argv.slice(2);
const option = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const threads = Number(option("threads") ?? 2);
const rounds = Number(option("rounds") ?? 9);
const blockMs = Number(option("block") ?? 300);
const models = (option("models") ?? "M2,M3").split(",").filter(Boolean) as ModelId[];
const sizes = (option("sizes") ?? "128,256,512,1024").split(",").filter(Boolean).map(Number);

void wasm; // registers the wasm backend and its kernels before init replaces the factory
const singleThreadedFactory = tf.findBackendFactory("wasm");
await init({ threads });
const info = backendInfo();
if (info === undefined || info.threads < 2) throw new Error(`threads-ab: the threaded build did not start: ${info?.fallback ?? "no info"}`);
const engine = tf.engine();
const threaded = tf.backend();
tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
const single = await singleThreadedFactory();

/** Makes `backend` the engine's "wasm" backend (NOTE: engine internals; the bench only). */
function use(backend: tf.KernelBackend): void {
  const registry = Reflect.get(engine, "registry") as Record<string, tf.KernelBackend>;
  registry.wasm = backend;
  Reflect.set(engine, "backendInstance", backend);
  (Reflect.get(engine, "setupRegisteredKernels") as () => void).call(engine);
}

interface Case {
  name: string;
  flops: number;
  /** Runs `n` iterations. */
  run(n: number): Promise<BlockTime>;
  dispose(): void;
}

function matmulCase(n: number): Case {
  const a = tf.randomNormal([n, n]);
  const b = tf.randomNormal([n, n]);
  return {
    name: `matmul ${n}^3`,
    flops: 2 * n ** 3,
    run: (k) =>
      timeLocal(k, () => {
        const c = tf.matMul(a, b);
        c.dataSync();
        c.dispose();
      }),
    dispose: () => tf.dispose([a, b]),
  };
}

async function modelCase(id: ModelId, digits: ReturnType<typeof loadDigits>): Promise<Case> {
  const spec = MODELS[id];
  const batches = makeBatches(spec, digits);
  const impl = shapeflowImpl(spec, batches, "jit");
  await impl.setup();
  return { name: `${id} jit step`, flops: NaN, run: (k) => impl.run(k), dispose: () => impl.dispose() };
}

const load0 = loadavg()[0];
console.log(
  `# threads A/B: ${info.threads} threads (${info.binary}) vs 1 (tfjs-backend-wasm-simd.wasm), ${rounds} rounds, blocks of ~${blockMs} ms`,
);
console.log(`load average at start ${load0.toFixed(2)}`);
const digits = models.length > 0 ? loadDigits() : undefined;
const cases: (() => Promise<Case>)[] = [
  ...sizes.map((n) => () => Promise.resolve(matmulCase(n))),
  ...models.map((id) => () => modelCase(id, digits!)),
];
console.log("| case | threads | wall ms | cpu ms | GFLOP/s (wall) | wall speed-up | load |");
console.log("| --- | --- | --- | --- | --- | --- | --- |");
for (const make of cases) {
  use(threaded);
  const c = await make();
  const pilot = await c.run(2);
  const steps = Math.max(1, Math.min(200, Math.round((2 * blockMs) / Math.max(pilot.wallMs, 0.01))));
  const wall: [number[], number[]] = [[], []];
  const cpu: [number[], number[]] = [[], []];
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? [0, 1] : [1, 0];
    for (const which of order) {
      use(which === 0 ? threaded : single);
      await c.run(1); // moves the case's tensors to this module; untimed
      const t = await c.run(steps);
      wall[which].push(t.wallMs / steps);
      cpu[which].push(t.cpuMs / steps);
    }
  }
  const load = loadavg()[0].toFixed(2);
  const w = wall.map(median);
  const u = cpu.map(median);
  for (const which of [0, 1]) {
    const gflops = Number.isNaN(c.flops) ? "" : (c.flops / w[which] / 1e6).toFixed(1);
    const speedup = which === 0 ? `${(w[1] / w[0]).toFixed(2)}x` : "";
    console.log(
      `| ${c.name} | ${which === 0 ? info.threads : 1} | ${w[which].toFixed(2)} | ${u[which].toFixed(2)} | ${gflops} | ${speedup} | ${load} |`,
    );
  }
  use(threaded);
  c.dispose();
}

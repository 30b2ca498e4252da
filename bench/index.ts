// `npm run bench [-- --quick] [--models M1,M4] [--no-torch] [--profile [M4]] [--fast-slice] [--rounds n] [--block ms] [--threads n|auto|off] [--no-threaded] [--torch-malloc]`
// One training step (forward, softmax cross-entropy, backward, Adam 1e-3) of the models M1-M4
// (../shared/peers/README.md) on the same MNIST bytes: shapeflow jit and eager, tfjs-layers
// (trainOnBatch, one step of its fit) on the same backend, and, when PyTorch is installed, the
// reference (bench_torch.py's models and step, in worker processes with 1 and 2 threads), all in
// one run, alternating. Prints the tables and writes bench/results/latest.json.
import { cpus, loadavg } from "node:os";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs-core";
import { init, backendInfo, backendName } from "../src/backend/index.js";
import { tree } from "../src/index.js";
import { loadDigits, peersSource, PEERS_DIR } from "./data.js";
import { dispatchOverhead } from "./dispatch.js";
import { alternate, type Impl, type ImplName, type ImplStats } from "./harness.js";
import { BenchWorker, makeBatches, shapeflowImpl, tfjsLayersImpl, torchAvailable } from "./impls.js";
import { MODEL_IDS, MODELS, type ModelId } from "./models.js";
import { formatProfile, profileStep, type StepProfile } from "./profile.js";
import { installViewSlice } from "./prototypes/wasm-slice.js";
import { registerWasmConv2DBackpropFilter } from "./tfjs-shims.js";

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const quick = flag("quick");
const models = (option("models")?.split(",") ?? MODEL_IDS) as ModelId[];
for (const m of models) if (!(m in MODELS)) throw new Error(`bench: unknown model ${m} (use ${MODEL_IDS.join(", ")})`);
const rounds = Number(option("rounds") ?? (quick ? 5 : 9));
const blockMs = Number(option("block") ?? (quick ? 150 : 400));
const log = (s: string) => console.error(s);

// --threads: the WASM kernels' threads (default: init's default, or SHAPEFLOW_THREADS)
const threadsArg = option("threads");
await init(threadsArg === undefined ? {} : { threads: threadsArg === "auto" ? "auto" : threadsArg === "off" ? false : Number(threadsArg) });
const fastSlice = flag("fast-slice") && installViewSlice();
const shim = registerWasmConv2DBackpropFilter();
const started = new Date();
const load0 = loadavg()[0];
const machine = `${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} logical cores`;
console.log(`# shapeflow bench ${started.toISOString()}`);
console.log(
  `backend ${backendName()} (${backendInfo()?.binary ?? "pure JS"}, ${backendInfo()?.threads ?? 1} thread(s)${backendInfo()?.fallback ? `: ${backendInfo()?.fallback}` : ""})${fastSlice ? " + view-based Slice kernel (--fast-slice prototype)" : ""}, node ${process.version}, ${machine}`,
);
console.log(`load average at start ${load0.toFixed(1)}; ${rounds} rounds, blocks of ~${blockMs} ms, alternating; medians`);

const digits = loadDigits();
const peers = peersSource();
const torchVersion = flag("no-torch") || peers === undefined ? undefined : await torchAvailable();
// --torch-malloc: the PyTorch workers with glibc's malloc thresholds fixed (see BenchWorker.torch)
const tunedMalloc = flag("torch-malloc");
const torchWorkers = torchVersion === undefined ? [] : ([1, 2] as const).map((n) => BenchWorker.torch(n, peers!, PEERS_DIR, tunedMalloc));
// shapeflow on 2 threads runs in a worker process (a process has one WASM backend); not when this
// process is itself threaded (--threads), nor with --no-threaded or fewer than 2 cores
const threaded = flag("no-threaded") || threadsArg !== undefined || cpus().length < 2 ? undefined : BenchWorker.threaded();
const workers = [...(threaded ? [threaded] : []), ...torchWorkers];
console.log(
  torchVersion === undefined
    ? `PyTorch: not run (${flag("no-torch") ? "--no-torch" : peers === undefined ? "no ../shared/peers (set PEERS_SRC)" : "/usr/bin/python3 cannot import torch"})`
    : `PyTorch ${torchVersion} (CPU, OpenMP OpenBLAS${tunedMalloc ? ", glibc malloc thresholds fixed (--torch-malloc)" : ", default glibc malloc"}), bench_torch.py's models and step, workers with 1 and 2 threads`,
);

interface Row {
  model: ModelId;
  impl: ImplName;
  msPerStep: number;
  gflops: number;
  ratioToReference: number | null;
}
interface Detail extends ImplStats {
  model: ModelId;
  gflops: number;
  peakBytes?: number;
  graphEquations?: number;
}
const rows: Row[] = [];
const details: Detail[] = [];

for (const id of models) {
  const spec = MODELS[id];
  log(`${id} ${spec.name}`);
  const before = tf.memory().numTensors;
  const batches = makeBatches(spec, digits);
  const jit = shapeflowImpl(spec, batches, "jit");
  const impls: Impl[] = [jit, shapeflowImpl(spec, batches, "eager"), tfjsLayersImpl(spec, batches), ...workers.map((w) => w.impl(spec))];
  const stats = await alternate(impls, { rounds, blockMs, log });
  for (const [i, impl] of impls.entries()) {
    const s = stats[i];
    const gflops = spec.trainFlops / (s.msPerStep / 1e3) / 1e9;
    const d: Detail = { ...s, model: id, gflops };
    if (impl.peakBytes) d.peakBytes = await impl.peakBytes();
    if (impl === jit) d.graphEquations = jit.graphEquations();
    details.push(d);
    impl.dispose();
  }
  const ref = stats.find((s) => s.name === "tfjs-layers")?.msPerStep;
  for (const s of stats) {
    const d = details.find((x) => x.model === id && x.name === s.name)!;
    rows.push({ model: id, impl: s.name, msPerStep: s.msPerStep, gflops: d.gflops, ratioToReference: ref ? s.msPerStep / ref : null });
  }
  tree.dispose(batches);
  const leaked = tf.memory().numTensors - before;
  if (leaked !== 0) console.log(`NOTE: ${leaked} tensors more after ${id} than before it (a leak in an implementation)`);
}

const dispatch = dispatchOverhead({ rounds: quick ? 5 : 9 });
// `--profile` profiles the models of the run, `--profile M4` (or M3,M4) just those
const profiled = flag("profile") ? (option("profile")?.startsWith("M") ? (option("profile")!.split(",") as ModelId[]) : models) : [];
const profiles: StepProfile[] = profiled.map((id) => profileStep(MODELS[id], digits, { reps: quick ? 8 : 15 }));
const torchInfo = await Promise.all(torchWorkers.map((w) => w.request<object>({ cmd: "info" }).catch(() => undefined)));
const threadedInfo = await threaded?.request<object>({ cmd: "info" }).catch(() => undefined);
for (const w of workers) w.close();
const load1 = loadavg()[0];

// ---------------------------------------------------------------- report
const implOrder: ImplName[] = ["shapeflow-jit", "shapeflow-eager", "shapeflow-jit-2t", "tfjs-layers", "pytorch-1t", "pytorch-2t"];
const present = implOrder.filter((n) => rows.some((r) => r.impl === n));
const cell = (id: ModelId, n: ImplName) => rows.find((r) => r.model === id && r.impl === n);
const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
console.log(`\n## ms per training step (median wall time; load average ${load0.toFixed(1)} -> ${load1.toFixed(1)})\n`);
console.log(`| model | ${present.join(" | ")} |`);
console.log(`| --- | ${present.map(() => "---").join(" | ")} |`);
for (const id of models) console.log(`| ${id} ${MODELS[id].name} | ${present.map((n) => fmt(cell(id, n)!.msPerStep)).join(" | ")} |`);

console.log(`\n## ratios, GFLOP/s, CPU time, first call\n`);
console.log("| model | impl | ms/step | CPU ms/step | GFLOP/s | / tfjs-layers | / PyTorch 1t | first call ms | peak tensor MB |");
console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
for (const id of models) {
  const torch1 = cell(id, "pytorch-1t")?.msPerStep;
  for (const n of present) {
    const r = cell(id, n)!;
    const d = details.find((x) => x.model === id && x.name === n)!;
    const ratio = r.ratioToReference === null ? "—" : r.ratioToReference.toFixed(2);
    const vsTorch = torch1 === undefined ? "—" : (r.msPerStep / torch1).toFixed(2);
    const peak = d.peakBytes === undefined ? "—" : (d.peakBytes / 2 ** 20).toFixed(1);
    console.log(
      `| ${id} | ${n} | ${fmt(r.msPerStep)} | ${fmt(d.cpuMsPerStep)} | ${r.gflops.toFixed(1)} | ${ratio} | ${vsTorch} | ${d.firstMs.toFixed(0)} | ${peak} |`,
    );
  }
}
console.log(
  `\nGFLOP/s: training FLOPs per step (bench_torch.py's count) over the median time. CPU ms: the process that ran the step (PyTorch 2t and shapeflow-jit-2t count both threads; shapeflow-jit-2t is tfjs' threaded build in a worker process, convolutions of at least 2^23 multiply-adds and matmuls of at least 512 rows and 2^26 on 2 threads, other matmuls on our single-threaded GEMM).` +
    (shim ? ` tfjs-layers M3 runs with a bench-registered Conv2DBackpropFilter for WASM (tfjs-backend-wasm has none).` : ""),
);

console.log(`\n## jit trace: the jitted step's first call (trace + first run; the run's first model also warms up WASM), minus one step\n`);
console.log("| model | graph equations | first call ms | trace ≈ ms |");
console.log("| --- | --- | --- | --- |");
for (const d of details.filter((x) => x.name === "shapeflow-jit")) {
  console.log(`| ${d.model} | ${d.graphEquations} | ${d.firstMs.toFixed(0)} | ${Math.max(0, d.firstMs - d.msPerStep).toFixed(0)} |`);
}

console.log(`\n## per-op dispatch: add [64, 256], CPU µs per op (fastest of the rounds)\n`);
console.log("| path | µs per op | above the kernel |");
console.log("| --- | --- | --- |");
for (const r of dispatch) console.log(`| ${r.path} | ${r.usPerOp.toFixed(1)} | ${(r.usPerOp - dispatch[0].usPerOp).toFixed(1)} |`);

for (const p of profiles) console.log(`\n## profile of the jitted step\n\n${formatProfile(p)}`);

const outDir = join(dirname(fileURLToPath(import.meta.url)), "results");
mkdirSync(outDir, { recursive: true });
const suffix = fastSlice ? "-fast-slice" : "";
const details_ = {
  started: started.toISOString(),
  machine,
  node: process.version,
  backend: backendName(),
  fastSlice,
  loadAverage: [load0, load1],
  rounds,
  blockMs,
  torch: torchInfo,
  torchMalloc: tunedMalloc ? "tuned" : "default",
  threaded: threadedInfo,
  details,
  dispatch,
  profiles,
};
// NOTE: written as prettier formats JSON, so the committed results pass `npm run format:check`
const prettier = await import("prettier");
const json = async (path: string, value: unknown) => {
  const options = (await prettier.resolveConfig(path)) ?? {};
  writeFileSync(path, await prettier.format(JSON.stringify(value), { ...options, parser: "json" }));
};
await json(join(outDir, `latest${suffix}.json`), rows);
await json(join(outDir, `latest${suffix}-details.json`), details_);
console.log(`\nwrote bench/results/latest${suffix}.json (and -details.json)`);
process.exit(0);

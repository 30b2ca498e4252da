// Save/load throughput of a ~50 MB tree (the one of io-atomic-tree.ts), sync and async, on the
// backend SHAPEFLOW_BACKEND picks (wasm by default). Not a vitest file: run it by hand with
//   npx tsx tests/io-throughput.ts [runs]
// and copy the table into src/io/README.md.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { init, tree } from "../src/index.js";
import { io } from "../src/node.js";
import { checkpointTree } from "./io-atomic-tree.js";

const backend = await init();
const runs = Number(process.argv[2] ?? 7);
const dir = mkdtempSync(join(tmpdir(), "shapeflow-io-bench-"));
const path = join(dir, "big.safetensors");
const params = checkpointTree(1);

/** [best, median] of `runs` timings in ms: the best is the least disturbed by other processes. */
async function time(fn: () => unknown): Promise<[number, number]> {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const out = await fn();
    ms.push(performance.now() - t0);
    if (out && typeof out === "object") tree.dispose(out);
  }
  ms.sort((a, b) => a - b);
  return [ms[0], ms[Math.floor(ms.length / 2)]];
}

io.save(path, params);
const bytes = statSync(path).size;
const encoded = io.toBytes(params);
const rows: [string, [number, number]][] = [
  ["io.save", await time(() => io.save(path, params))],
  ["io.saveAsync", await time(() => io.saveAsync(path, params))],
  ["io.load (with like)", await time(() => io.load(path, params))],
  ["io.loadAsync (with like)", await time(() => io.loadAsync(path, params))],
  ["io.toBytes", await time(() => void io.toBytes(params))],
  ["io.fromBytes", await time(() => io.fromBytes(encoded, params))],
];
console.log(`${(bytes / 1e6).toFixed(1)} MB, backend ${backend}, ${runs} runs, load average ${loadavg()[0].toFixed(1)}`);
console.log("| call | best ms | MB/s | median ms | MB/s |\n| --- | --- | --- | --- | --- |");
const rate = (ms: number) => (bytes / 1e6 / (ms / 1000)).toFixed(0);
for (const [name, [best, median]] of rows)
  console.log(`| ${name} | ${best.toFixed(0)} | ${rate(best)} | ${median.toFixed(0)} | ${rate(median)} |`);
tree.dispose(params);
rmSync(dir, { recursive: true, force: true });

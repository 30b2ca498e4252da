// Backend start-up errors, each in a fresh Node process (the vitest setup has already started
// a backend in this one): a missing or un-awaited init() says to call `await init()`; a WASM
// binary that cannot be loaded names the path tried and the wasmPaths option, and init may then
// be retried on the CPU backend; wasmPaths pointing at the binaries works.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { expect, test } from "vitest";

const root = join(import.meta.dirname, "..");
const wasmDist = dirname(createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm"));

/** Runs `body` (a module with top-level await, importing the library as `sf`) and returns what it logged with `report(...)`. */
function child(body: string): Promise<unknown[]> {
  const script = `import * as sf from "./src/index.ts";
const out = [];
const report = (x) => out.push(x);
const message = (f) => { try { f(); return "no error"; } catch (e) { return e.message; } };
${body}
console.log("REPORT " + JSON.stringify(out));`;
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    proc.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    proc.on("close", (code) => {
      const line = stdout.split("\n").find((l) => l.startsWith("REPORT "));
      if (code !== 0 || line === undefined) reject(new Error(`child failed (${code}):\n${stdout}\n${stderr}`));
      else resolve(JSON.parse(line.slice("REPORT ".length)) as unknown[]);
    });
  });
}

test("without init(), or before it resolves, tensor ops say to call `await init()`; after it, they run", async () => {
  const out = await child(`
report(message(() => sf.tensor([1, 2], [2])));
report(message(() => sf.random.key(0)));
const started = sf.init({ backend: "cpu" });
report(message(() => sf.tensor([1, 2], [2])));
report(await started);
report(sf.add(sf.tensor([1, 2], [2]), 1).dataSync().join());`);
  const missing =
    'shapeflow: no backend is running. Call `await init()` once before making tensors (init({ backend: "cpu" }) for the pure-JS backend)';
  expect(out).toEqual([
    missing,
    missing,
    "shapeflow: the backend is still starting: await the promise init() returns before making tensors",
    "cpu",
    "2,3",
  ]);
});

test("a WASM binary that cannot be loaded: the error names the path tried and wasmPaths; init({ backend: 'cpu' }) then works", async () => {
  const out = await child(`
await sf.init({ wasmPaths: "/nowhere/wasm/" }).catch((e) => report(e.message));
report(await sf.init({ backend: "cpu" }));`);
  const noSlash = await child(`await sf.init({ wasmPaths: "/nowhere/wasm" }).catch((e) => report(e.message));`);
  expect(out).toEqual([
    "init: the wasm backend could not load tfjs-backend-wasm-simd.wasm from /nowhere/wasm/tfjs-backend-wasm-simd.wasm. " +
      'Serve the .wasm files of @tensorflow/tfjs-backend-wasm/dist/ and pass their folder: init({ wasmPaths: "/path/to/wasm/" }); ' +
      'or call init({ backend: "cpu" }) for the pure-JS fallback.',
    "cpu",
  ]);
  expect(noSlash).toEqual([
    expect.stringContaining('from /nowhere/wasmtfjs-backend-wasm-simd.wasm (wasmPaths is a prefix: end it with "/")'),
  ]);
});

test("wasmPaths pointing at the binaries (their folder, or each file) starts WASM", async () => {
  const files = ["tfjs-backend-wasm.wasm", "tfjs-backend-wasm-simd.wasm", "tfjs-backend-wasm-threaded-simd.wasm"];
  const map = Object.fromEntries(files.map((f) => [f, join(wasmDist, f)]));
  const [folder, file] = await Promise.all([
    child(`report(await sf.init({ wasmPaths: ${JSON.stringify(`${wasmDist}/`)} }));`),
    child(`report(await sf.init({ wasmPaths: ${JSON.stringify(map)} }));`),
  ]);
  expect([folder, file]).toEqual([["wasm"], ["wasm"]]);
});

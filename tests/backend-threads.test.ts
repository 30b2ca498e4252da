// Threads for the WASM backend, each case in a fresh Node process (the vitest setup has already
// started a backend in this one): init({ threads }) reports the threads it got, or the one-line
// reason it fell back to single-threaded SIMD; a threaded build that cannot start (no
// SharedArrayBuffer, a missing binary) falls back and still computes; the threaded kernels agree
// with a float64 reference; and a process that used threads exits on its own.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { expect, test } from "vitest";

const root = join(import.meta.dirname, "..");
const wasmDist = dirname(createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm"));
/** A child that has printed its report must exit by then: pool threads must not keep Node alive. */
const EXIT_MS = 20_000;

interface ChildResult {
  out: unknown[];
  code: number | null;
  stderr: string;
}

/**
 * Runs `body` (a module with top-level await, the library as `sf`, tfjs-core as `tf`) in a new
 * Node process with `env` added; resolves with what it logged with `report(...)` once the
 * process has exited, and rejects when it has not exited EXIT_MS after its report.
 */
function child(body: string, env: Record<string, string | undefined> = {}): Promise<ChildResult> {
  const script = `import * as sf from "./src/index.ts";
import * as tf from "@tensorflow/tfjs-core";
const out = [];
const report = (x) => out.push(x);
${body}
console.log("REPORT " + JSON.stringify(out));`;
  const childEnv: Record<string, string | undefined> = {
    ...process.env,
    SHAPEFLOW_THREADS: undefined,
    SHAPEFLOW_BACKEND: undefined,
    ...env,
  };
  for (const k of Object.keys(childEnv)) if (childEnv[k] === undefined) delete childEnv[k];
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: root,
      env: childEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let timer: ReturnType<typeof setTimeout> | undefined;
    proc.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (timer === undefined && stdout.includes("REPORT ")) {
        timer = setTimeout(() => {
          proc.kill("SIGKILL");
          reject(new Error(`the child reported but did not exit within ${EXIT_MS / 1000} s:\n${stdout}\n${stderr}`));
        }, EXIT_MS);
      }
    });
    proc.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    proc.on("close", (code) => {
      clearTimeout(timer);
      const line = stdout.split("\n").find((l) => l.startsWith("REPORT "));
      if (line === undefined) reject(new Error(`child failed (${code}):\n${stdout}\n${stderr}`));
      else resolve({ out: JSON.parse(line.slice("REPORT ".length)) as unknown[], code, stderr });
    });
  });
}

// A matmul and a conv on the running backend against a float64 reference computed in JS, from
// the same pseudo-random inputs; reports the largest error relative to the largest |value|.
const agreesWithReference = `
let seed = 7;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
const n = 96, k = 130, m = 70;
const a = Array.from({ length: n * k }, rand), b = Array.from({ length: k * m }, rand);
const got = tf.matMul(tf.tensor2d(a, [n, k]), tf.tensor2d(b, [k, m])).dataSync();
let err = 0, scale = 0;
for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) {
  let s = 0;
  for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * m + j];
  err = Math.max(err, Math.abs(s - got[i * m + j]));
  scale = Math.max(scale, Math.abs(s));
}
const h = 20, w = 20, c = 8, f = 16;
const x = Array.from({ length: h * w * c }, rand), filt = Array.from({ length: 3 * 3 * c * f }, rand);
const y = tf.conv2d(tf.tensor4d(x, [1, h, w, c]), tf.tensor4d(filt, [3, 3, c, f]), 1, "valid").dataSync();
for (let i = 0; i < h - 2; i++) for (let j = 0; j < w - 2; j++) for (let o = 0; o < f; o++) {
  let s = 0;
  for (let di = 0; di < 3; di++) for (let dj = 0; dj < 3; dj++) for (let q = 0; q < c; q++)
    s += x[((i + di) * w + (j + dj)) * c + q] * filt[((di * 3 + dj) * c + q) * f + o];
  err = Math.max(err, Math.abs(s - y[(i * (w - 2) + j) * f + o]));
  scale = Math.max(scale, Math.abs(s));
}
report(err / scale);`;

test("init({ threads: 2 }) runs the threaded SIMD build on 2 threads; its kernels match a float64 reference; the process exits", async () => {
  const { out, code } = await child(`
await sf.init({ threads: 2 });
report(sf.backendInfo());
${agreesWithReference}`);
  expect(code).toBe(0);
  expect(out[0]).toEqual({
    backend: "wasm",
    binary: "tfjs-backend-wasm-threaded-simd.wasm",
    threads: 2,
    requestedThreads: 2,
    fallback: undefined,
    minThreadedWork: 2 ** 23,
  });
  expect(out[1]).toBeLessThan(1e-5);
});

// A 256^3 matmul over the threshold runs threaded, the reference's small matmul and conv on the
// calling thread; at rest tfjs sees no pool (its get_threads_count says -1); the kernels agree
// with the float64 reference either way.
test("the gate threads only big matmuls and convolutions; minThreadedWork: false threads every kernel", async () => {
  const [gated, open] = await Promise.all([
    child(`
const { gateCounts, onPool } = await import("./src/backend/gate.ts");
await sf.init({ threads: 2, minThreadedWork: 1e6 });
report(sf.backendInfo().minThreadedWork);
report(tf.backend().wasm._get_threads_count());
${agreesWithReference}
report({ ...gateCounts });
const big = tf.matMul(tf.ones([256, 256]), tf.ones([256, 256])).dataSync();
report(big.every((v) => v === 256));
report(tf.backend().wasm._get_threads_count());
report({ ...gateCounts });
report(onPool(() => tf.backend().wasm._get_threads_count()));`),
    child(`
await sf.init({ threads: 2, minThreadedWork: false });
report(sf.backendInfo().minThreadedWork);
report(tf.backend().wasm._get_threads_count());`),
  ]);
  expect(gated.code).toBe(0);
  expect(gated.out[0]).toBe(1e6);
  expect(gated.out[1]).toBe(-1);
  expect(gated.out[2]).toBeLessThan(1e-5);
  expect(gated.out[3]).toEqual({ threaded: 0, inline: 2 });
  expect(gated.out[4]).toBe(true);
  expect(gated.out[5]).toBe(-1);
  expect(gated.out[6]).toEqual({ threaded: 1, inline: 2 });
  // inside a gated kernel tfjs sees its pool again
  expect(gated.out[7]).toBe(2);
  expect(open.out).toEqual(["every kernel (minThreadedWork: false)", 2]);
});

test('SHAPEFLOW_THREADS sets the default ("auto": one per core); the option wins over it', async () => {
  const [fromEnv, auto, optionWins] = await Promise.all([
    child(`await sf.init(); report(sf.backendInfo());`, { SHAPEFLOW_THREADS: "2" }),
    child(`await sf.init(); report(sf.backendInfo());`, { SHAPEFLOW_THREADS: "auto" }),
    child(`await sf.init({ threads: false }); report(sf.backendInfo());`, { SHAPEFLOW_THREADS: "2" }),
  ]);
  expect(fromEnv.out[0]).toMatchObject({ binary: "tfjs-backend-wasm-threaded-simd.wasm", threads: 2, requestedThreads: 2 });
  expect(auto.out[0]).toMatchObject({ threads: Math.min(availableParallelism(), 8), requestedThreads: "auto" });
  expect(optionWins.out[0]).toEqual({ backend: "wasm", binary: "tfjs-backend-wasm-simd.wasm", threads: 1, requestedThreads: false });
});

test("without threads asked for (the default), the single-threaded SIMD build runs and no reason is given", async () => {
  const { out } = await child(`await sf.init(); report(sf.backendInfo());`);
  expect(out[0]).toEqual({
    backend: "wasm",
    binary: "tfjs-backend-wasm-simd.wasm",
    threads: 1,
    requestedThreads: false,
    fallback: undefined,
  });
});

test("no SharedArrayBuffer: init falls back to single-threaded SIMD, says why, and computes", async () => {
  const { out, code } = await child(`
delete globalThis.SharedArrayBuffer;
await sf.init({ threads: 2 });
report(sf.backendInfo());
report(sf.add(sf.tensor([1, 2], [2]), 1).dataSync().join());`);
  expect(code).toBe(0);
  expect(out).toEqual([
    {
      backend: "wasm",
      binary: "tfjs-backend-wasm-simd.wasm",
      threads: 1,
      requestedThreads: 2,
      fallback: "SharedArrayBuffer or Atomics is not available",
    },
    "2,3",
  ]);
});

test("a threaded binary that cannot be loaded: init falls back to single-threaded SIMD with the reason, computes, and exits", async () => {
  const files = ["tfjs-backend-wasm.wasm", "tfjs-backend-wasm-simd.wasm", "tfjs-backend-wasm-threaded-simd.wasm"];
  const map = Object.fromEntries(files.map((f) => [f, join(wasmDist, f)]));
  map["tfjs-backend-wasm-threaded-simd.wasm"] = "/nowhere/tfjs-backend-wasm-threaded-simd.wasm";
  const { out, code } = await child(`
await sf.init({ threads: 2, wasmPaths: ${JSON.stringify(map)} });
report(sf.backendInfo());
${agreesWithReference}`);
  expect(code).toBe(0);
  expect(out[0]).toMatchObject({ backend: "wasm", binary: "tfjs-backend-wasm-simd.wasm", threads: 1, requestedThreads: 2 });
  expect((out[0] as { fallback: string }).fallback).toBe(
    "the threaded build did not start (could not load tfjs-backend-wasm-threaded-simd.wasm from /nowhere/tfjs-backend-wasm-threaded-simd.wasm); running single-threaded SIMD",
  );
  expect((out[0] as { fallback: string }).fallback).not.toContain("\n");
  expect(out[1]).toBeLessThan(1e-5);
});

test("the cpu backend with threads asked for: one thread, and the reason", async () => {
  const { out } = await child(`await sf.init({ backend: "cpu", threads: "auto" }); report(sf.backendInfo());`);
  expect(out[0]).toEqual({
    backend: "cpu",
    binary: undefined,
    threads: 1,
    requestedThreads: "auto",
    fallback: "the cpu backend runs on one thread",
  });
});

test("a bad threads option or SHAPEFLOW_THREADS is refused, naming what is accepted", async () => {
  const [bad, env] = await Promise.all([
    child(`
for (const threads of [0, 1.5, "many"]) await sf.init({ threads }).then(() => report("started"), (e) => report(e.message));`),
    child(`await sf.init().then(() => report("started"), (e) => report(e.message));`, { SHAPEFLOW_THREADS: "lots" }),
  ]);
  expect(bad.out).toEqual([
    'init: threads must be a positive integer, "auto" or false, got 0',
    'init: threads must be a positive integer, "auto" or false, got 1.5',
    'init: threads must be a positive integer, "auto" or false, got "many"',
  ]);
  expect(env.out).toEqual(['init: SHAPEFLOW_THREADS must be "auto", "off" or a positive integer, got "lots"']);
});

test("native kernels instantiate on the threaded build's shared memory and compute there", async () => {
  const { out, code } = await child(`
const { axpy, AXPY_KERNEL } = await import("./tests/fixtures/native/axpy.ts");
const core = await import("./src/core/index.ts");
await sf.init({ threads: 2 });
report(sf.backendInfo().binary);
report(core.nativeStatus());
const x = sf.tensor([1, 2, 3, 4, 5], [5]), y = sf.tensor([5, 4, 3, 2, 1], [5]);
const info = await tf.profile(() => axpy(2, x, y).map((t) => t.concrete()));
report(info.kernelNames.includes(AXPY_KERNEL));
report(Array.from(axpy(2, x, y)[0].dataSync()));
// the forward convolution stays XNNPACK's on the threaded build (the gate threads big ones)
const conv = await tf.profile(() => core.conv2d(sf.ones([1, 8, 8, 4]), sf.ones([3, 3, 4, 8])).concrete());
report(conv.kernelNames.filter((k) => k.includes("Conv")));`);
  expect(code).toBe(0);
  // every registered module (src/core/native's and the fixture) instantiates there
  expect(out).toEqual([
    "tfjs-backend-wasm-threaded-simd.wasm",
    expect.objectContaining({ axpy: "ok", adam: "ok" }),
    true,
    [7, 8, 9, 10, 11],
    ["Conv2D"],
  ]);
  expect(Object.values(out[1] as Record<string, string>)).toEqual(Object.keys(out[1] as object).map(() => "ok"));
});

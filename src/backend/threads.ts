// Threads for tfjs's WASM backend: its threaded SIMD build (XNNPACK on a pthreadpool), started
// where tfjs would not start it (Node) or would give it half the cores (browsers). The start is a
// probe that cannot hang and leaves nothing behind when it fails: the caller then starts the
// single-threaded build and reports the one-line reason.
//
// What tfjs 4.22 does and why it needs help (read from @tensorflow/tfjs-backend-wasm/dist):
// - Node: the flag WASM_HAS_MULTITHREAD_SUPPORT is hard-wired false. Forced on, emscripten makes
//   its 8 pthread workers with `new Worker(<blob: URL of the worker script>)`, which Node's
//   worker_threads cannot load, and each worker then loads the main script from another Blob,
//   whose source (the factory's `toString()`) names helpers of the bundle's module scope.
// - Everywhere: the C++ side sizes the pool at min(asked, logical cores / 2), the core count read
//   once when the module starts (`emscripten_num_logical_cores`: os.cpus() in Node,
//   navigator.hardwareConcurrency in browsers), so a 2-core machine gets one thread.
// - A running pthread `ref()`s its worker: the pool's threads wait forever, so Node never exits.
import type { Worker as NodeWorker } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs-core";
// NOTE: from its own file, not the package index (see tensor/tfjs.ts); backend imports nothing of src
import type { KernelBackend as TfKernelBackend } from "@tensorflow/tfjs-core/dist/backends/backend.js";
import { ShapeflowError } from "../tensor/errors.js";

/** How many threads the WASM kernels may use: a count, `"auto"` (one per core) or `false` (one thread). */
export type Threads = number | "auto" | false;

const FLAG = "WASM_HAS_MULTITHREAD_SUPPORT";
/** tfjs's C++ side caps its pool at 8 threads (and pre-creates 8 pthread workers). */
export const MAX_THREADS = 8;
/** A start that has not finished by then is abandoned (a healthy one takes well under a second). */
const START_TIMEOUT_MS = 30_000;

const isNode = typeof process !== "undefined" && typeof process.versions?.node === "string";

/** The number of cores this process may use. */
export function coreCount(): number {
  if (isNode && typeof process.getBuiltinModule === "function") {
    const os = process.getBuiltinModule("node:os");
    return typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
  }
  const scope = globalThis as { navigator?: { hardwareConcurrency?: number } };
  return scope.navigator?.hardwareConcurrency ?? 1;
}

/** Why the threaded build cannot run here, or undefined when it may. */
export function threadsUnavailable(): string | undefined {
  const scope = globalThis as { crossOriginIsolated?: boolean; Worker?: unknown };
  if (isNode) {
    if (typeof process.getBuiltinModule !== "function")
      return `threads need Node >= 20.16 (process.getBuiltinModule); this is ${process.version}`;
    if (typeof SharedArrayBuffer === "undefined" || typeof Atomics === "undefined") return "SharedArrayBuffer or Atomics is not available";
    return undefined;
  }
  if (scope.crossOriginIsolated !== true || typeof SharedArrayBuffer === "undefined") {
    return "the page is not cross-origin isolated (serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)";
  }
  if (typeof scope.Worker !== "function") return "Web Workers are not available here";
  return undefined;
}

/** A started threaded backend, to hand to tfjs's engine. */
export interface ThreadedStart {
  backend: TfKernelBackend;
  threads: number;
}

interface WasmPackage {
  setThreadsCount(n: number): void;
}

/** What the probe needs to know of emscripten's module: its pthread bookkeeping. */
interface PthreadModule {
  PThread?: { unusedWorkers?: { terminate(): unknown }[] };
  tfjs?: { getThreadsCount?: () => number };
}

/**
 * Starts tfjs's threaded SIMD build with `count` threads (the engine is not touched: the caller
 * registers the backend). Rejects, with every worker it made stopped, when the build fails to
 * start or has not started within the timeout; the caller then sets the flag back.
 */
export async function startThreaded(wasm: WasmPackage, count: number, timeoutMs = START_TIMEOUT_MS): Promise<ThreadedStart> {
  const factory = tf.findBackendFactory("wasm");
  if (factory === null || factory === undefined)
    throw new Error("internal: tfjs has no wasm backend registered after its package was imported");
  let fail: (cause: unknown) => void = () => {};
  const failed = new Promise<never>((_, reject) => (fail = reject));
  let probing = true;
  const made: { terminate(): unknown }[] = [];
  const onFailure = (cause: unknown) => {
    if (probing) fail(cause);
  };
  tf.env().set(FLAG, true);
  wasm.setThreadsCount(count);
  const restore = isNode ? patchNode(count, made, onFailure, () => probing) : patchBrowser(count);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    const got = `no start within ${timeoutMs / 1000} s`;
    timer = setTimeout(
      () =>
        reject(
          new ShapeflowError(
            { op: "init", expected: "the threaded build to start", got },
            `the threaded build did not start within ${timeoutMs / 1000} s`,
          ),
        ),
      timeoutMs,
    );
  });
  const starting = Promise.resolve().then(() => factory());
  try {
    const backend = await Promise.race([starting, failed, timeout]);
    const module = (backend as { wasm?: PthreadModule }).wasm;
    // NOTE: emscripten made 8 workers up front; the pool took count - 1 of them. In browsers the
    // rest are Web Workers sitting in memory (nothing else in tfjs starts a thread): stop them.
    // Node's spares never started a thread, and would start one if a pthread ever ran on them.
    if (!isNode) for (const idle of module?.PThread?.unusedWorkers?.splice(0) ?? []) void idle.terminate();
    const threads = module?.tfjs?.getThreadsCount?.() ?? 1;
    return { backend, threads };
  } catch (cause) {
    starting.catch(() => {}); // a start abandoned on timeout may still settle later
    for (const worker of made) void worker.terminate();
    tf.env().set(FLAG, false);
    throw cause;
  } finally {
    probing = false;
    clearTimeout(timer);
    restore();
  }
}

/** Short text of a failure: the message's first line. */
export function describe(cause: unknown): string {
  const text =
    cause instanceof Error
      ? cause.message
      : typeof cause === "object" && cause !== null && "message" in cause
        ? String(cause.message)
        : String(cause);
  return text.split("\n")[0] ?? text;
}

// ---- Node: pthread workers on worker_threads

/**
 * The script each pthread worker starts with (CommonJS, run by `eval`). Its first message is the
 * Blob of emscripten's worker script; it runs that, then hands every later message to it in
 * order, first replacing the Blob of the main script in "load" by its text (read here, in the
 * worker, while the main thread still runs its event loop).
 */
const BOOTSTRAP = String.raw`"use strict";
// CommonJS or, when the parent ran with --input-type=module, a module: either way the scripts
// eval'd below expect require and __filename as globals
globalThis.require ??= process.getBuiltinModule("node:module").createRequire(process.cwd() + "/");
globalThis.__filename ??= "tfjs-backend-wasm-threaded-simd.worker.js";
const { parentPort } = globalThis.require("node:worker_threads");
// The main script is the source of tfjs's emscripten factory, cut out of its bundle: it names
// what the bundle's module scope defines (its requires, rollup's global, tslib's helpers), so
// the same names are made globals here.
Object.assign(globalThis, {
  require$$0: globalThis.require("node:fs"),
  require$$1: globalThis.require("node:path"),
  require$$3: globalThis.require("node:perf_hooks"),
  require$$4: globalThis.require("node:os"),
  commonjsGlobal: globalThis,
  _scriptDir: undefined,
  __values: (o) => o[Symbol.iterator](),
  __read: (o, n) => {
    const out = [];
    for (const x of o) {
      if (n !== undefined && out.length >= n) break;
      out.push(x);
    }
    return out;
  },
  __spreadArray: (to, from) => to.concat(Array.from(from)),
});
const MAIN = "shapeflow:tfjs-backend-wasm-threaded-simd.js";
let mainScript = "";
let deliver;
const queue = [];
let pumping = false;
async function boot(blob) {
  const source = await blob.text();
  const on = parentPort.on;
  parentPort.on = (event, listener) => (event === "message" ? ((deliver = listener), parentPort) : on.call(parentPort, event, listener));
  (0, eval)(source);
  parentPort.on = on;
  if (deliver === undefined) throw new Error("internal: the pthread worker script did not listen for messages (a tfjs-backend-wasm this shim does not know?)");
  const importScripts = globalThis.importScripts;
  globalThis.importScripts = (file) => (file === MAIN ? (0, eval)(mainScript) : importScripts(file));
}
async function pump() {
  if (pumping) return;
  pumping = true;
  try {
    while (queue.length > 0) {
      const data = queue.shift();
      if (data !== null && typeof data === "object" && "shapeflowWorkerScript" in data) {
        await boot(data.shapeflowWorkerScript);
        continue;
      }
      if (data !== null && typeof data === "object" && data.cmd === "load" && typeof data.urlOrBlob !== "string") {
        mainScript = await data.urlOrBlob.text();
        data.urlOrBlob = MAIN;
      }
      deliver(data);
    }
  } catch (error) {
    process.nextTick(() => {
      throw error; // the worker's "error" event: the main thread's probe fails with it
    });
  } finally {
    pumping = false;
  }
}
parentPort.on("message", (data) => {
  queue.push(data);
  void pump();
});
`;

/**
 * Lets emscripten's `new Worker(url)` make a worker_threads Worker that can run its scripts, and
 * its C++ side see `2 * count` cores while the module starts. Returns the undo.
 */
function patchNode(
  count: number,
  made: { terminate(): unknown }[],
  onFailure: (cause: unknown) => void,
  probing: () => boolean,
): () => void {
  const threads = process.getBuiltinModule("node:worker_threads");
  const { resolveObjectURL } = process.getBuiltinModule("node:buffer");
  const os = process.getBuiltinModule("node:os");

  type Listener = (...args: unknown[]) => void;
  const isCommand = (message: unknown, cmd: string) =>
    typeof message === "object" && message !== null && Reflect.get(message, "cmd") === cmd;
  const facades: PthreadWorker[] = [];
  // the workers the pool will take: the last count - 1 made (emscripten pops its spare workers)
  let eagerFrom: number | undefined;
  let eagerLeft = count - 1;
  let eagerLoaded: () => void = () => {};
  const eagerReady = new Promise<void>((resolve) => (eagerLoaded = resolve));
  if (eagerLeft <= 0) eagerLoaded();

  /**
   * One of emscripten's 8 pthread workers, as emscripten uses it. Only the count - 1 the pool
   * will take start a worker thread when emscripten loads them (and their "loaded" is awaited
   * before any pthread runs); the spares answer "loaded" once those did, and start a thread only
   * if a pthread is ever run on one.
   */
  class PthreadWorker {
    private real: NodeWorker | undefined;
    private readonly listeners: [string, Listener][] = [];
    private loadMessage: unknown;
    constructor(
      private readonly script: unknown,
      private readonly index: number,
    ) {}

    on(event: string, listener: Listener): this {
      this.listeners.push([event, listener]);
      if (this.real) this.attach(this.real, event, listener);
      return this;
    }

    postMessage(message: unknown): void {
      if (this.real) return this.real.postMessage(message);
      if (isCommand(message, "load")) {
        this.loadMessage = message;
        eagerFrom ??= facades.length - (count - 1);
        if (this.index >= eagerFrom) {
          this.start(false).postMessage(message);
        } else {
          void eagerReady.then(() => {
            if (!this.real) for (const [event, listener] of this.listeners) if (event === "message") listener({ cmd: "loaded" });
          });
        }
        return;
      }
      const real = this.start(true);
      real.postMessage(this.loadMessage);
      real.postMessage(message);
    }

    ref(): void {
      // NOTE: emscripten ref()s a worker while it runs a pthread, and the pool's threads never
      // end: the main thread's work is synchronous, so the workers need not keep Node alive.
    }

    unref(): void {
      this.real?.unref();
    }

    terminate(): Promise<number> {
      return this.real?.terminate() ?? Promise.resolve(0);
    }

    /** Starts the worker thread; `late`: emscripten has been told it loaded, so its own "loaded" is dropped and it never holds Node. */
    private start(late: boolean): NodeWorker {
      // NOTE: none of the parent's flags (a loader such as tsx's, --input-type): the worker runs
      // emscripten's plain scripts, and each inherited loader would cost every worker its start-up
      const real = new threads.Worker(BOOTSTRAP, { eval: true, execArgv: [] });
      this.real = real;
      real.on("error", onFailure);
      real.on("exit", (code: unknown) => {
        const got = `exit code ${String(code)}`;
        onFailure(
          new ShapeflowError(
            { op: "init", expected: "a running pthread worker", got },
            `a pthread worker exited (${got}) before the pool started`,
          ),
        );
      });
      let dropLoaded = late;
      real.on("message", (data: unknown) => {
        if (!late && isCommand(data, "loaded") && --eagerLeft === 0) eagerLoaded();
      });
      for (const [event, listener] of this.listeners) {
        this.attach(real, event, (...args: unknown[]) => {
          if (event === "message" && dropLoaded && isCommand(args[0], "loaded")) {
            dropLoaded = false;
            return;
          }
          listener(...args);
        });
      }
      if (late) real.unref();
      real.postMessage({ shapeflowWorkerScript: this.script });
      return real;
    }

    private attach(real: NodeWorker, event: string, listener: Listener): void {
      // NOTE: emscripten rethrows a worker's error from its listener (an uncaught exception):
      // while the probe runs, the error fails the probe instead
      real.on(event, event === "error" ? (error: unknown) => (probing() ? onFailure(error) : listener(error)) : listener);
    }
  }

  function makePthreadWorker(url: string | URL): PthreadWorker {
    const script = resolveObjectURL(String(url));
    if (script === undefined)
      throw new Error(
        `internal: the pthread worker script ${String(url)} is not a blob: URL (a tfjs-backend-wasm this shim does not know?)`,
      );
    const worker = new PthreadWorker(script, facades.length);
    facades.push(worker);
    made.push(worker);
    return worker;
  }

  const cpus = os.cpus;
  Reflect.set(os, "cpus", () => {
    const real = cpus();
    return Array.from({ length: 2 * count }, (_, i) => real[i % real.length]);
  });
  const before = Object.getOwnPropertyDescriptor(globalThis, "Worker");
  // NOTE: emscripten assigns worker_threads' Worker to the global, then calls `new Worker(...)`
  Object.defineProperty(globalThis, "Worker", { configurable: true, get: () => makePthreadWorker, set: () => {} });
  return () => {
    Reflect.set(os, "cpus", cpus);
    if (before) Object.defineProperty(globalThis, "Worker", before);
    else Reflect.deleteProperty(globalThis, "Worker");
  };
}

// ---- browsers: emscripten's own Web Workers; only the core count needs help

function patchBrowser(count: number): () => void {
  const scope = globalThis as { navigator?: object };
  const navigator = scope.navigator;
  if (navigator === undefined) return () => {};
  const own = Object.getOwnPropertyDescriptor(navigator, "hardwareConcurrency");
  Object.defineProperty(navigator, "hardwareConcurrency", { configurable: true, get: () => 2 * count });
  return () => {
    if (own) Object.defineProperty(navigator, "hardwareConcurrency", own);
    else Reflect.deleteProperty(navigator, "hardwareConcurrency");
  };
}

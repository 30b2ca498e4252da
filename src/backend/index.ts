// Backend start-up: WASM (SIMD) by default, the pure-JS CPU backend as a fallback. Each
// backend is imported on first use by init(), so importing shapeflow loads neither, and the
// public types name no tfjs backend.
import * as tf from "@tensorflow/tfjs-core";
import { refused, ValueError, ShapeflowError } from "../tensor/errors.js";
import { coreCount, describe, MAX_THREADS, startThreaded, threadsUnavailable, type Threads } from "./threads.js";
import { DEFAULT_MIN_WORK, installGate } from "./gate.js";

export type { Threads } from "./threads.js";

/** The tfjs backends shapeflow runs on: `"wasm"` (SIMD, the default) and `"cpu"` (pure JS, the fallback). */
export type BackendName = "wasm" | "cpu";

/** The binaries of tfjs's WASM backend (the files of `@tensorflow/tfjs-backend-wasm/dist/`). */
export type WasmBinary = "tfjs-backend-wasm.wasm" | "tfjs-backend-wasm-simd.wasm" | "tfjs-backend-wasm-threaded-simd.wasm";

/** Options of `init`: `await init({ backend: "cpu" })`. */
export interface InitOptions {
  /** Which tfjs backend to run on. Default: env SHAPEFLOW_BACKEND, else "wasm". */
  backend?: BackendName;
  /**
   * Where the WASM backend fetches its `.wasm` binaries: a folder URL ending in "/" where the
   * files of `@tensorflow/tfjs-backend-wasm/dist/*.wasm` are served (e.g. `"/assets/wasm/"`), or a
   * URL for each of the three files. Default: in Node the installed package; in a browser the
   * folder of the running script, which for a bundled page is often the page's own folder (so a
   * bundle needs this). tfjs takes it once: a failed start cannot be retried with other paths.
   */
  wasmPaths?: string | Readonly<Record<WasmBinary, string>>;
  /**
   * Threads for the WASM kernels (tfjs's threaded SIMD build: XNNPACK on a thread pool): a
   * count, `"auto"` (one per core, at most 8) or `false` (the single-threaded SIMD build).
   * Default: env SHAPEFLOW_THREADS (`auto`, `off` or a count), else `false`. When the threaded
   * build cannot start, init falls back to the single-threaded one and `backendInfo().fallback`
   * says why. In a browser it needs a cross-origin isolated page (COOP/COEP headers).
   */
  threads?: Threads;
  /**
   * With threads: multiply-adds below which a matmul or convolution runs on the calling thread,
   * as every other kernel does (waking the pool costs more than small kernels gain). `false`
   * threads every kernel, as tfjs does by itself. Default 2^23 (env SHAPEFLOW_MIN_THREADED_WORK).
   * Float32 matmuls run on shapeflow's own single-threaded GEMM unless they are tall and big (at
   * least 512 rows and 2^26 multiply-adds, and this many), where XNNPACK's pool wins.
   */
  minThreadedWork?: number | false;
}

/** What `init` started: `backendInfo()` after it resolved. */
export interface BackendInfo {
  /** The tfjs backend running. */
  backend: BackendName;
  /** The WASM binary loaded (undefined on the CPU backend). */
  binary: WasmBinary | undefined;
  /** Threads the kernels run on (1: single-threaded). */
  threads: number;
  /** The threads asked for (the option, the env or the default). */
  requestedThreads: Threads;
  /** One line: why fewer threads run than were asked for; undefined when all came up. */
  fallback: string | undefined;
  /** With threads: the multiply-adds from which a matmul or convolution uses them (other kernels never do), or why every kernel does. */
  minThreadedWork?: number | string;
}

let ready: Promise<BackendName> | undefined;
let chosen: BackendName | undefined;
let running = false;
let info: BackendInfo | undefined;

/** The default of `threads` (see bench/README.md for the measurements behind it). */
const DEFAULT_THREADS: Threads = false;

function requested(options: InitOptions): BackendName {
  const fromEnv = typeof process !== "undefined" ? process.env?.SHAPEFLOW_BACKEND : undefined;
  const name = options.backend ?? fromEnv ?? "wasm";
  if (name !== "wasm" && name !== "cpu") {
    throw refused("init", `backend must be "wasm" or "cpu"`, `${JSON.stringify(name)}`);
  }
  return name;
}

function requestedThreads(options: InitOptions): Threads {
  const fromEnv = typeof process !== "undefined" ? process.env?.SHAPEFLOW_THREADS : undefined;
  if (options.threads !== undefined) {
    const t = options.threads;
    if (t === false || t === "auto" || (typeof t === "number" && Number.isInteger(t) && t >= 1)) return t;
    throw refused("init", `threads must be a positive integer, "auto" or false`, JSON.stringify(t) ?? String(t));
  }
  if (fromEnv === undefined || fromEnv === "") return DEFAULT_THREADS;
  const text = fromEnv.trim().toLowerCase();
  if (text === "auto") return "auto";
  if (["off", "false", "no", "0"].includes(text)) return false;
  if (/^[1-9][0-9]*$/.test(text)) return Number(text);
  throw refused("init", `SHAPEFLOW_THREADS must be "auto", "off" or a positive integer`, JSON.stringify(fromEnv));
}

/** Imports a backend's package (which registers it with tfjs); for wasm, first tells it where its binaries are, then starts threads if asked. */
async function register(
  name: BackendName,
  wasmPaths: InitOptions["wasmPaths"],
  want: number,
): Promise<{ threads: number; fallback?: string }> {
  if (name === "cpu") {
    await import("@tensorflow/tfjs-backend-cpu");
    return want > 1 ? { threads: 1, fallback: "the cpu backend runs on one thread" } : { threads: 1 };
  }
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  if (wasmPaths !== undefined) wasm.setWasmPaths(wasmPaths);
  if (want <= 1) {
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
    return { threads: 1 };
  }
  const why = threadsUnavailable();
  if (why !== undefined) {
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
    return { threads: 1, fallback: why };
  }
  const count = Math.min(want, MAX_THREADS);
  try {
    const started = await startThreaded(wasm, count);
    // NOTE: the engine is handed the started backend in place of tfjs's factory (the kernels,
    // registered under "wasm", are untouched)
    tf.removeBackend("wasm");
    tf.registerBackend("wasm", () => started.backend, 2);
    const fallback =
      started.threads < want
        ? `${started.threads} of ${want} threads started${want > MAX_THREADS ? ` (tfjs's pool holds at most ${MAX_THREADS})` : ""}`
        : undefined;
    return { threads: started.threads, fallback };
  } catch (cause) {
    // NOTE: tfjs rejects a binary it could not load with advice about bundlers: name the file instead
    const file: WasmBinary = "tfjs-backend-wasm-threaded-simd.wasm";
    const why = describe(cause).startsWith("Make sure the server can serve")
      ? `could not load ${file} from ${wasmLocation(file, wasmPaths)}`
      : describe(cause);
    return { threads: 1, fallback: `the threaded build did not start (${why}); running single-threaded SIMD` };
  }
}

/** Installs the thread gate (gate.ts) on the running threaded build: its threshold, or why every kernel is threaded. */
async function gateThreads(options: InitOptions): Promise<number | string> {
  const fromEnv = typeof process !== "undefined" ? process.env?.SHAPEFLOW_MIN_THREADED_WORK : undefined;
  const min = options.minThreadedWork ?? (fromEnv !== undefined && fromEnv !== "" ? Number(fromEnv) : DEFAULT_MIN_WORK);
  if (min === false) return "every kernel (minThreadedWork: false)";
  if (!Number.isFinite(min) || min < 0) throw refused("init", "minThreadedWork must be a number >= 0 or false", String(min));
  const file: WasmBinary = "tfjs-backend-wasm-threaded-simd.wasm";
  let bytes: Uint8Array;
  try {
    bytes = await readBinary(file, options.wasmPaths);
  } catch (cause) {
    return `every kernel (${file} could not be read again: ${describe(cause)})`;
  }
  const why = installGate(bytes, min);
  return why === undefined ? min : `every kernel (${why})`;
}

/** A WASM binary's bytes: from the installed package (or wasmPaths) in Node, fetched in a browser. */
async function readBinary(file: WasmBinary, wasmPaths: InitOptions["wasmPaths"]): Promise<Uint8Array> {
  const where = typeof wasmPaths === "string" ? `${wasmPaths}${file}` : wasmPaths?.[file];
  const node = typeof process !== "undefined" && typeof process.getBuiltinModule === "function";
  if (node && (where === undefined || !/^[a-z]+:\/\//.test(where) || where.startsWith("file:"))) {
    const fs = process.getBuiltinModule("node:fs");
    const path =
      where ??
      process
        .getBuiltinModule("node:module")
        .createRequire(import.meta.url)
        .resolve(`@tensorflow/tfjs-backend-wasm/dist/${file}`);
    return fs.readFileSync(path.startsWith("file:") ? new URL(path) : path);
  }
  const response = await fetch(where ?? wasmLocation(file, wasmPaths));
  return new Uint8Array(await response.arrayBuffer());
}

/** The binary tfjs's WASM backend picks here (as tfjs decides: threads and SIMD if supported). */
async function wasmBinary(): Promise<WasmBinary> {
  const flag = async (name: string) =>
    Boolean(
      await tf
        .env()
        .getAsync(name)
        .catch(() => false),
    );
  const [simd, threads] = await Promise.all([flag("WASM_HAS_SIMD_SUPPORT"), flag("WASM_HAS_MULTITHREAD_SUPPORT")]);
  return simd && threads ? "tfjs-backend-wasm-threaded-simd.wasm" : simd ? "tfjs-backend-wasm-simd.wasm" : "tfjs-backend-wasm.wasm";
}

/** Where tfjs looks for `file`: the `wasmPaths` prefix or entry, else beside the script (browsers) or in the package (Node). */
function wasmLocation(file: WasmBinary, wasmPaths: InitOptions["wasmPaths"]): string {
  if (typeof wasmPaths === "string") {
    // NOTE: tfjs concatenates prefix and file name
    return `${wasmPaths}${file}${wasmPaths.endsWith("/") ? "" : ` (wasmPaths is a prefix: end it with "/")`}`;
  }
  if (wasmPaths !== undefined) return wasmPaths[file];
  const scope = globalThis as { document?: { currentScript?: { src?: string } | null; baseURI?: string }; location?: { href?: string } };
  const base = scope.document ? (scope.document.currentScript?.src ?? scope.document.baseURI) : scope.location?.href;
  return base ? new URL(file, base).href : `${file} in @tensorflow/tfjs-backend-wasm/dist/`;
}

/**
 * Starts the backend once; later calls return the same promise (after a failure, `init` may be
 * called again, e.g. with `{ backend: "cpu" }`). Tensors can be made once it has resolved.
 * ```ts
 * await init();                               // wasm
 * await init({ backend: "cpu" });             // or SHAPEFLOW_BACKEND=cpu
 * await init({ wasmPaths: "/assets/wasm/" }); // a browser page serving tfjs's .wasm files there
 * ```
 */
export function init(options: InitOptions = {}): Promise<BackendName> {
  let name: BackendName;
  let threads: Threads;
  try {
    name = requested(options);
    threads = requestedThreads(options);
  } catch (error) {
    return Promise.reject(error);
  }
  if (ready) {
    if (chosen !== name) {
      return ready.then((current) => {
        throw new ValueError(
          { op: "init", expected: `the backend already running ("${current}")`, got: `"${name}"` },
          `init: backend "${current}" is already running; cannot switch to "${name}" in the same process`,
        );
      });
    }
    return ready;
  }
  chosen = name;
  const start = (async () => {
    let ok: boolean;
    let started: { threads: number; fallback?: string };
    const before = listeners();
    try {
      started = await register(name, options.wasmPaths, threads === false ? 1 : threads === "auto" ? coreCount() : threads);
      ok = await tf.setBackend(name);
      if (ok) await tf.ready();
    } catch (cause) {
      throw new ShapeflowError(
        { op: "init", expected: `the ${name} backend to load`, got: `${cause instanceof Error ? cause.message : String(cause)}` },
        `init: the ${name} backend failed to load (${cause instanceof Error ? cause.message : String(cause)}). ` +
          `Set SHAPEFLOW_BACKEND=cpu or call init({ backend: "cpu" }) to use the pure-JS fallback.`,
        { cause: cause },
      );
    } finally {
      // NOTE: the emscripten module rethrows every uncaught error with its whole minified source
      // line; drop its handlers so errors read as Node prints them.
      removeAddedListeners(before);
    }
    if (!ok && name === "wasm") {
      // NOTE: tfjs only logs why (console.warn) and resolves setBackend to false; a missing or
      // unreachable binary is by far the most common cause, so say where it was looked for.
      const file = await wasmBinary();
      throw new ShapeflowError(
        { op: "init", expected: `${file} at ${wasmLocation(file, options.wasmPaths)}`, got: `no such file or not loadable` },
        `init: the wasm backend could not load ${file} from ${wasmLocation(file, options.wasmPaths)}. ` +
          `Serve the .wasm files of @tensorflow/tfjs-backend-wasm/dist/ and pass their folder: init({ wasmPaths: "/path/to/wasm/" }); ` +
          `or call init({ backend: "cpu" }) for the pure-JS fallback.`,
      );
    }
    if (!ok || tf.getBackend() !== name) {
      throw new ShapeflowError(
        { op: "init", expected: `the ${name} backend running`, got: `"${tf.getBackend()}"` },
        `init: the ${name} backend could not be initialised (tfjs runs "${tf.getBackend()}")`,
      );
    }
    const gate = started.threads > 1 ? await gateThreads(options) : undefined;
    // NOTE: read by core's GEMM (core/native/gemm.ts), which core cannot import from here: below this
    // many multiply-adds a matmul runs on one thread, where ours is faster than XNNPACK
    tf.env().registerFlag("SHAPEFLOW_MIN_THREADED_WORK", () => 0);
    tf.env().set("SHAPEFLOW_MIN_THREADED_WORK", typeof gate === "number" ? gate : 0);
    running = true;
    info = {
      backend: name,
      binary: name === "wasm" ? (started.threads > 1 ? "tfjs-backend-wasm-threaded-simd.wasm" : await wasmBinary()) : undefined,
      threads: started.threads,
      requestedThreads: threads,
      fallback: started.fallback,
      ...(gate !== undefined && { minThreadedWork: gate }),
    };
    return name;
  })();
  ready = start.catch((error: unknown) => {
    // a failed start may be retried (another backend, other wasmPaths)
    ready = undefined;
    chosen = undefined;
    throw error;
  });
  return ready;
}

// NOTE: before init() resolves tfjs has no backend, and its first kernel call fails with "Could
// not initialize any backends" or "Backend 'undefined' has not yet been initialized ... await
// tf.ready()", which says nothing of init(). tfjs looks its backend up through one getter on its
// engine: wrap it (once, on this engine instance) so that failure names init(). A working lookup
// pays only the wrapper call.
function nameInitInBackendErrors(): void {
  const engine = tf.engine();
  const lookup = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(engine), "backend")?.get;
  if (lookup === undefined || Object.prototype.hasOwnProperty.call(engine, "backend")) return; // another tfjs layout: its own message stands
  Object.defineProperty(engine, "backend", {
    configurable: true,
    get(this: typeof engine): unknown {
      try {
        return lookup.call(this);
      } catch (cause) {
        if (running) throw cause;
        const message = ready
          ? "shapeflow: the backend is still starting: await the promise init() returns before making tensors"
          : 'shapeflow: no backend is running. Call `await init()` once before making tensors (init({ backend: "cpu" }) for the pure-JS backend)';
        throw new ValueError({ op: "init", expected: "a running backend", got: ready ? "one still starting" : "none" }, message, { cause });
      }
    },
  });
}
nameInitInBackendErrors();

type Listeners = { uncaughtException: NodeJS.UncaughtExceptionListener[]; unhandledRejection: NodeJS.UnhandledRejectionListener[] };

/** Node's handlers for uncaught errors, or undefined where there is no `process` (browsers). */
function listeners(): Listeners | undefined {
  if (typeof process === "undefined" || typeof process.listeners !== "function") return undefined;
  return { uncaughtException: process.listeners("uncaughtException"), unhandledRejection: process.listeners("unhandledRejection") };
}

function removeAddedListeners(before: Listeners | undefined): void {
  if (!before) return;
  for (const l of process.listeners("uncaughtException")) {
    if (!before.uncaughtException.includes(l)) process.removeListener("uncaughtException", l);
  }
  for (const l of process.listeners("unhandledRejection")) {
    if (!before.unhandledRejection.includes(l)) process.removeListener("unhandledRejection", l);
  }
}

/** The backend in use, or undefined before `init` resolved. */
export function backendName(): string | undefined {
  return chosen && tf.getBackend();
}

/**
 * What `init` started (backend, WASM binary, threads and, when fewer threads run than were
 * asked for, the one-line reason), or undefined before it resolved.
 * ```ts
 * await init({ threads: "auto" });
 * const { threads, fallback } = backendInfo()!; // e.g. 2, undefined
 * ```
 */
export function backendInfo(): BackendInfo | undefined {
  return running ? info : undefined;
}

/** Number of live tfjs tensors: used by tests to prove that nothing leaks. */
export function liveTensors(): number {
  return tf.memory().numTensors;
}

// Backend start-up: WASM (SIMD) by default, the pure-JS CPU backend as a fallback.
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";

export type BackendName = "wasm" | "cpu";

export interface InitOptions {
  /** Which tfjs backend to run on. Default: env SHAPEFLOW_BACKEND, else "wasm". */
  backend?: BackendName;
}

let ready: Promise<BackendName> | undefined;
let chosen: BackendName | undefined;

function requested(options: InitOptions): BackendName {
  const fromEnv = typeof process !== "undefined" ? process.env?.SHAPEFLOW_BACKEND : undefined;
  const name = options.backend ?? fromEnv ?? "wasm";
  if (name !== "wasm" && name !== "cpu") {
    throw new Error(`init: backend must be "wasm" or "cpu", got ${JSON.stringify(name)}`);
  }
  return name;
}

/**
 * Starts the backend once; later calls return the same promise.
 * ```ts
 * await init();                    // wasm
 * await init({ backend: "cpu" });  // or SHAPEFLOW_BACKEND=cpu
 * ```
 */
export function init(options: InitOptions = {}): Promise<BackendName> {
  const name = requested(options);
  if (ready) {
    if (chosen !== name) {
      return ready.then((current) => {
        throw new Error(`init: backend "${current}" is already running; cannot switch to "${name}" in the same process`);
      });
    }
    return ready;
  }
  chosen = name;
  ready = (async () => {
    let ok: boolean;
    const before = listeners();
    try {
      ok = await tf.setBackend(name);
      await tf.ready();
      // NOTE: the emscripten module rethrows every uncaught error with its whole minified source
      // line; drop its handlers so errors read as Node prints them.
      removeAddedListeners(before);
    } catch (cause) {
      throw new Error(
        `init: the ${name} backend failed to load (${cause instanceof Error ? cause.message : String(cause)}). ` +
          `Set SHAPEFLOW_BACKEND=cpu or call init({ backend: "cpu" }) to use the pure-JS fallback.`,
        { cause },
      );
    }
    if (!ok || tf.getBackend() !== name) {
      throw new Error(`init: the ${name} backend could not be initialised (tfjs runs "${tf.getBackend()}")`);
    }
    return name;
  })();
  return ready;
}

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

/** Number of live tfjs tensors: used by tests to prove that nothing leaks. */
export function liveTensors(): number {
  return tf.memory().numTensors;
}

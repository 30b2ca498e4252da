// Native kernels: our own WebAssembly modules (C compiled by build.ts) instantiated on the WASM
// backend's own memory, so a kernel reads its inputs and writes its outputs where tfjs keeps them.
// Each is registered as an ordinary tfjs kernel on "wasm": the engine and the static plan run it like
// any other. Fused ops (core/fused.ts) reach them by name and fall back to their composite when
// `nativeAvailable` says no (another backend, no SIMD, a module that failed, or switched off).
import * as tf from "@tensorflow/tfjs-core";
import type { TfAttrMap, TfDataType, TfTensorInfo } from "../../tensor/index.js";

/** A compiled module: base64 bytes for tfjs' single-threaded builds and for its threaded build (shared memory). */
export interface NativeBinary {
  readonly name: string;
  readonly plain: string;
  readonly shared: string;
}

/** A module's exported functions: byte offsets into the WASM heap and numbers in, a number (or nothing) out. */
export type NativeExports = Readonly<Record<string, (...args: number[]) => number>>;

/** What a native kernel's `run` gets besides its inputs and attributes. */
export interface NativeKernelContext {
  readonly exports: NativeExports;
  /** Byte offset of a tensor's data in the WASM heap. */
  offset(t: TfTensorInfo): number;
  /** A new tensor on the backend, uninitialised. */
  makeOutput(shape: number[], dtype: TfDataType): TfTensorInfo;
}

export interface NativeKernelSpec {
  /** The tfjs kernel name (registered on "wasm"). */
  readonly kernelName: string;
  readonly binary: NativeBinary;
  /** Inputs in the order given to `fused` (`x0`, `x1`, ... in the kernel's input map). */
  run(ctx: NativeKernelContext, inputs: TfTensorInfo[], attrs: TfAttrMap): TfTensorInfo[];
}

/** What the registry needs of tfjs-backend-wasm (its emscripten module and heap bookkeeping). */
interface WasmBackendLike {
  wasm: { asm?: { memory?: unknown }; wasmMemory?: unknown };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: TfDataType): TfTensorInfo;
}

const isWasmBackend = (b: unknown): b is WasmBackendLike =>
  typeof b === "object" && b !== null && "wasm" in b && "dataIdMap" in b && "makeOutput" in b;

const kernels = new Map<string, NativeKernelSpec>();
let enabled = true;
/** Per heap: each module's exports, or why it could not be instantiated. */
const instances = new WeakMap<WebAssembly.Memory, Map<string, NativeExports | string>>();

function memoryOf(backend: unknown): WebAssembly.Memory | undefined {
  if (!isWasmBackend(backend)) return undefined;
  // NOTE: tfjs' threaded build makes its (shared) memory in JS; the others export it from the module
  const m = backend.wasm.wasmMemory ?? backend.wasm.asm?.memory;
  return m instanceof WebAssembly.Memory ? m : undefined;
}

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const s = atob(base64);
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return bytes;
}

/** The module's exports on `backend`'s heap, instantiated once per heap; a string says why not. */
function instantiate(backend: unknown, binary: NativeBinary): NativeExports | string {
  const memory = memoryOf(backend);
  if (memory === undefined) return "not the WASM backend";
  let mods = instances.get(memory);
  if (mods === undefined) instances.set(memory, (mods = new Map()));
  let got = mods.get(binary.name);
  if (got === undefined) {
    try {
      const shared = typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
      const module = new WebAssembly.Module(decode(shared ? binary.shared : binary.plain));
      got = new WebAssembly.Instance(module, { env: { memory } }).exports as NativeExports;
    } catch (e) {
      got = `${binary.name}: ${e instanceof Error ? e.message : String(e)}`;
    }
    mods.set(binary.name, got);
  }
  return got;
}

/** Per backend and module: the context its kernels get (made once, not per call). */
const contexts = new WeakMap<object, Map<string, NativeKernelContext>>();

function contextOf(backend: unknown, spec: NativeKernelSpec): NativeKernelContext {
  const b = backend as WasmBackendLike;
  let byModule = contexts.get(b);
  if (byModule === undefined) contexts.set(b, (byModule = new Map()));
  let ctx = byModule.get(spec.binary.name);
  if (ctx === undefined) {
    const exports = instantiate(backend, spec.binary);
    if (typeof exports === "string") throw new Error(`internal: native kernel ${spec.kernelName} cannot run (${exports})`);
    ctx = {
      exports,
      offset(t) {
        const d = b.dataIdMap.get(t.dataId);
        if (d === undefined) throw new Error(`internal: a native kernel got a tensor with no data on the WASM heap`);
        return d.memoryOffset;
      },
      makeOutput: (shape, dtype) => b.makeOutput(shape, dtype),
    };
    byModule.set(spec.binary.name, ctx);
  }
  return ctx;
}

/** Registers a native kernel on the WASM backend (once per name). */
export function registerNativeKernel(spec: NativeKernelSpec): void {
  if (kernels.has(spec.kernelName)) return;
  kernels.set(spec.kernelName, spec);
  tf.registerKernel({
    kernelName: spec.kernelName,
    backendName: "wasm",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const ins: TfTensorInfo[] = [];
      for (let i = 0, t = inputs.x0; t !== undefined; t = inputs[`x${++i}`]) ins.push(t);
      const ctx = contextOf(backend, spec);
      return spec.run(ctx, ins, attrs ?? {});
    },
  });
}

/** Whether `kernelName` runs natively on the active backend now (WASM, native kernels on, its module instantiated). */
export function nativeAvailable(kernelName: string): boolean {
  if (!enabled) return false;
  const spec = kernels.get(kernelName);
  if (spec === undefined || tf.getBackend() !== "wasm") return false;
  return typeof instantiate(tf.backend(), spec.binary) !== "string";
}

/** Whether the active backend is tfjs' threaded WASM build (its heap is shared with its thread pool). */
export function threadedHeap(): boolean {
  const memory = tf.getBackend() === "wasm" ? memoryOf(tf.backend()) : undefined;
  return memory !== undefined && typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
}

/**
 * Our own WebAssembly kernels (recurrent cells, optimizer updates, convolutions, matrix products, column sums): for each module,
 * "ok" when it runs on the active backend, else why not (another backend, no SIMD, a module that
 * failed to load). Where one does not run, the same ops run as tfjs kernels, only slower.
 * ```ts
 * await init();
 * nativeStatus(); // { adam: "ok", colsum: "ok", conv: "ok", gemm: "ok", recurrent: "ok", xent: "ok" }
 * ```
 */
export function nativeStatus(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const spec of kernels.values()) {
    if (spec.binary.name in out) continue;
    const got = tf.getBackend() === "wasm" ? instantiate(tf.backend(), spec.binary) : `the backend is ${tf.getBackend()}`;
    out[spec.binary.name] = typeof got === "string" ? got : "ok";
  }
  return out;
}

/** `f` run with native kernels on or off, the previous setting restored after (tests and A/B benches). */
export function withNativeKernels<T>(on: boolean, f: () => T): T {
  const was = setNativeKernels(on);
  try {
    return f();
  } finally {
    setNativeKernels(was);
  }
}

/**
 * Native kernels on (the default) or off, for tests and A/B benches: off, every fused op runs its
 * composite. Returns the previous setting. A jitted function keeps the plan it lowered.
 */
export function setNativeKernels(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}

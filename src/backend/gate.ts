// Threads for the kernels that pay for them. tfjs' threaded build hands its one thread pool to
// every XNNPACK call, and waking a worker costs ~10-20 µs: on 2 cores a [128, 128] matmul or an
// elementwise op runs slower threaded, so a small MLP's step got 1.6x slower while a 512^3 matmul
// got 1.46x faster. The gate keeps the pool pointer tfjs reads (a C++ global in the WASM heap)
// at null, so XNNPACK runs on the calling thread, and sets it only around matmuls and
// convolutions with enough work. The global's address is read from the code of the binary's own
// `get_threads_count` export and checked before use; anything unexpected leaves tfjs as it is.
import * as tf from "@tensorflow/tfjs-core";
import type { KernelFunc as TfKernelFunc } from "@tensorflow/tfjs-core/dist/kernel_registry.js";

/** Multiply-adds below which a kernel runs on the calling thread (2^23: between the measured 128^3 loss and 256^3 gain). */
export const DEFAULT_MIN_WORK = 2 ** 23;

interface ThreadedModule {
  HEAP32: Int32Array;
  _get_threads_count(): number;
}

const isThreadedModule = (m: unknown): m is ThreadedModule =>
  typeof m === "object" && m !== null && "HEAP32" in m && typeof (m as { _get_threads_count?: unknown })._get_threads_count === "function";

/** Unsigned and signed LEB128 readers over a byte array. */
class Reader {
  constructor(
    readonly b: Uint8Array,
    public p = 0,
  ) {}
  u(): number {
    let r = 0;
    let shift = 0;
    for (;;) {
      const x = this.b[this.p++];
      r += (x & 0x7f) * 2 ** shift;
      shift += 7;
      if ((x & 0x80) === 0) return r;
    }
  }
  s(): number {
    let r = 0;
    let shift = 0;
    let x: number;
    do {
      x = this.b[this.p++];
      r |= (x & 0x7f) << shift;
      shift += 7;
    } while (x & 0x80);
    return shift < 32 && x & 0x40 ? r | (-1 << shift) : r;
  }
  name(): string {
    const n = this.u();
    const s = new TextDecoder().decode(this.b.subarray(this.p, this.p + n));
    this.p += n;
    return s;
  }
  limits(): void {
    const flags = this.b[this.p++];
    this.u();
    if (flags & 1) this.u();
  }
}

/**
 * The heap address `get_threads_count` loads the pool pointer from: its body must begin with
 * `i32.const A; i32.load offset=O` (address A + O); undefined when the binary says otherwise.
 */
export function poolAddress(bytes: Uint8Array): number | undefined {
  const r = new Reader(bytes, 8);
  let importedFuncs = 0;
  let target: number | undefined;
  while (r.p < bytes.length) {
    const id = bytes[r.p++];
    const size = r.u();
    const end = r.p + size;
    if (id === 2) {
      for (let n = r.u(); n > 0; n--) {
        r.name();
        r.name();
        const kind = bytes[r.p++];
        if (kind === 0) {
          r.u();
          importedFuncs++;
        } else if (kind === 1) {
          r.p++;
          r.limits();
        } else if (kind === 2) r.limits();
        else if (kind === 3) r.p += 2;
        else return undefined;
      }
    } else if (id === 7) {
      for (let n = r.u(); n > 0; n--) {
        const name = r.name();
        const kind = bytes[r.p++];
        const index = r.u();
        if (name === "get_threads_count" && kind === 0) target = index;
      }
    } else if (id === 10) {
      if (target === undefined) return undefined;
      const count = r.u();
      for (let i = 0; i < count; i++) {
        const bodySize = r.u();
        const next = r.p + bodySize;
        if (i === target - importedFuncs) {
          for (let n = r.u(); n > 0; n--) {
            r.u();
            r.p++;
          }
          if (bytes[r.p++] !== 0x41) return undefined; // i32.const
          const base = r.s();
          if (bytes[r.p++] !== 0x28) return undefined; // i32.load
          r.u();
          return base + r.u();
        }
        r.p = next;
      }
      return undefined;
    }
    r.p = end;
  }
  return undefined;
}

/** Multiply-adds of a matmul or convolution kernel call (0 for any other kernel). */
function workOf(kernel: string, inputs: Record<string, { shape: number[] } | undefined>, attrs: Record<string, unknown>): number {
  const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  if (kernel === "BatchMatMul" || kernel === "_FusedMatMul") {
    const a = inputs.a?.shape;
    const b = inputs.b?.shape;
    if (a === undefined || b === undefined) return 0;
    const k = attrs.transposeA === true ? a[a.length - 2] : a[a.length - 1];
    const m = attrs.transposeA === true ? a[a.length - 1] : a[a.length - 2];
    const n = attrs.transposeB === true ? b[b.length - 2] : b[b.length - 1];
    return Math.max(size(a.slice(0, -2)), size(b.slice(0, -2))) * m * n * k;
  }
  const x = inputs.x?.shape ?? inputs.dy?.shape;
  const f = inputs.filter?.shape;
  if (x === undefined || f === undefined) return 0;
  const strides = attrs.strides;
  const s = Array.isArray(strides)
    ? (strides as number[])[0] * (strides as number[])[1]
    : typeof strides === "number"
      ? strides * strides
      : 1;
  // NHWC input times the filter's taps and output channels per input channel, over the stride
  return (size(x) * size(f)) / Math.max(1, f[2]) / Math.max(1, s);
}

/** Gated kernel calls so far: on the pool, and on the calling thread (read by tests and benches). */
export const gateCounts = { threaded: 0, inline: 0 };

const GATED = [
  "BatchMatMul",
  "_FusedMatMul",
  "Conv2D",
  "FusedConv2D",
  "Conv2DBackpropInput",
  "DepthwiseConv2dNative",
  "FusedDepthwiseConv2D",
];

/** Runs `f` with tfjs' pool visible to its kernels (what a gated kernel over the threshold does); `f` alone before the gate is installed. */
export function onPool<T>(f: () => T): T {
  return open === undefined ? f() : (open(f) as T);
}
let open: ((f: () => unknown) => unknown) | undefined;

/**
 * Installs the gate on the running threaded WASM backend (its binary's bytes given): returns
 * undefined, or why it was not installed (tfjs then threads every kernel, as it does by itself).
 */
export function installGate(bytes: Uint8Array, minWork: number): string | undefined {
  const module = (tf.backend() as { wasm?: unknown }).wasm;
  if (!isThreadedModule(module)) return "not tfjs' threaded WASM module";
  const address = poolAddress(bytes);
  if (address === undefined || address % 4 !== 0) return "the pool pointer was not found in get_threads_count";
  const heap = () => module.HEAP32;
  const pool = heap()[address / 4];
  const threads = module._get_threads_count();
  if (pool === 0 || threads < 2) return "no thread pool is running";
  // the check: with the pointer cleared tfjs must see no pool, and its own count again once restored
  heap()[address / 4] = 0;
  const cleared = module._get_threads_count();
  heap()[address / 4] = pool;
  if (cleared !== -1 || module._get_threads_count() !== threads) return "the pool pointer did not check out";
  open = (f) => {
    heap()[address / 4] = pool;
    try {
      return f();
    } finally {
      heap()[address / 4] = 0;
    }
  };
  for (const name of GATED) {
    const config = tf.getKernel(name, "wasm");
    if (config === undefined) continue;
    const inner: TfKernelFunc = config.kernelFunc;
    const kernelFunc: TfKernelFunc = (args) => {
      if (workOf(name, args.inputs, args.attrs ?? {}) < minWork) {
        gateCounts.inline++;
        return inner(args);
      }
      gateCounts.threaded++;
      return onPool(() => inner(args));
    };
    tf.unregisterKernel(name, "wasm");
    tf.registerKernel({ ...config, kernelFunc });
  }
  heap()[address / 4] = 0;
  return undefined;
}

// The static plan's direct kernel calls on WASM (core/plan.ts): for the hottest tfjs-backend-wasm
// kernels, everything the kernel's JS wrapper works out per call from shapes and attributes (output
// shape, broadcast shapes, 3-D matmul shapes, transpose's reduced permutation, a window's copy runs)
// is worked out once at lowering time and the shape arrays written to the WASM heap once; each call
// then allocates the output and calls the WASM export (or copies heap bytes) directly: no cwrap
// argument marshalling (a stack allocation and two typed arrays per shape), no shape arithmetic.
//
// A direct call replaces a kernel only when the registered kernel is still tfjs' own (its function
// and source are recognised, see `stockKernel`): a kernel registered under the same name by anyone
// else, and every kernel not listed here (native kernels included), runs through its kernel
// function as before. The results are the same bytes as tfjs' kernel (tests/core-plan-direct.test.ts).
import * as tf from "@tensorflow/tfjs-core";
import type { TfAttrMap, TfDataType, TfKernelFunc, TfTensorInfo } from "../tensor/index.js";
import { viewSlice } from "./primitives/slice.js";

/** The parts of tfjs-backend-wasm's backend a direct call uses. */
interface WasmBackend {
  readonly wasm: WasmModule;
  readonly dataIdMap: { get(dataId: object): { id: number; memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: TfDataType): TfTensorInfo;
  incRef(dataId: object): void;
}

interface WasmModule {
  readonly HEAPU8: Uint8Array;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
}

type WasmFn = (...args: number[]) => void;

/** An output buffer assigned at lowering time (core/plan-buffers.ts): the same heap memory and tensor id on every call. */
export interface Pinned {
  /** The slot's value: the buffer's data under the slot's shape and dtype. */
  readonly info: TfTensorInfo;
  readonly id: number;
  readonly offset: number;
}

/**
 * A lowered kernel call: reads its inputs from `vals[srcs[i]]` and writes its output to `vals[out]`,
 * into `pin` when the plan assigned the slot a buffer, else into a new backend buffer.
 */
export type DirectRun = (vals: (TfTensorInfo | undefined)[], srcs: readonly number[], out: number, pin: Pinned | undefined) => void;

/** A direct call and its output. `aliases`: the output shares its input's data (Reshape), so it can have no buffer of its own. */
export interface Direct {
  readonly run: DirectRun;
  readonly shape: readonly number[];
  readonly dtype: TfDataType;
  readonly aliases: boolean;
}

// NOTE: the output's tensor id and heap offset, set by `output` (no object per call)
let outId = 0;
let outOffset = 0;

/** The call's output: the pinned buffer, or a new one; sets `outId` and `outOffset`. */
function output(b: WasmBackend, pin: Pinned | undefined, shape: number[], dtype: TfDataType): TfTensorInfo {
  if (pin !== undefined) {
    outId = pin.id;
    outOffset = pin.offset;
    return pin.info;
  }
  const out = b.makeOutput(shape, dtype);
  const d = b.dataIdMap.get(out.dataId)!;
  outId = d.id;
  outOffset = d.memoryOffset;
  return out;
}

/** A new backend buffer of `size` elements for a plan to pin slots to, with its id and heap offset. */
export function makeBuffer(
  backend: unknown,
  size: number,
  dtype: TfDataType,
): { buffer: TfTensorInfo; id: number; offset: number } | undefined {
  if (!isWasmBackend(backend)) return undefined;
  const buffer = backend.makeOutput([size], dtype);
  const d = backend.dataIdMap.get(buffer.dataId)!;
  return { buffer, id: d.id, offset: d.memoryOffset };
}

/** What a plan owns on the WASM heap for its direct calls (shape arrays): freed by `freeDirect`. */
export interface DirectMemory {
  readonly ptrs: number[];
}

const isWasmBackend = (b: unknown): b is WasmBackend =>
  typeof b === "object" && b !== null && "wasm" in b && "dataIdMap" in b && "makeOutput" in b && "incRef" in b;

/** tfjs' C++ dtype enum (tfjs-backend-wasm kernels/types.ts). */
const CPP_DTYPE: Partial<Record<TfDataType, number>> = { float32: 0, int32: 1, bool: 2 };

const BINARY = new Map<string, TfDataType | undefined>([
  ["Add", undefined],
  ["Sub", undefined],
  ["Multiply", undefined],
  ["RealDiv", undefined],
  ["Maximum", undefined],
  ["Minimum", undefined],
  ["SquaredDifference", undefined],
  ["Pow", undefined],
  ["FloorDiv", undefined],
  ["Equal", "bool"],
  ["NotEqual", "bool"],
  ["Greater", "bool"],
  ["GreaterEqual", "bool"],
  ["Less", "bool"],
  ["LessEqual", "bool"],
  ["LogicalAnd", "bool"],
]);

const UNARY = new Map<string, TfDataType | undefined>([
  ["Abs", undefined],
  ["Exp", "float32"],
  ["Log", undefined],
  ["Neg", undefined],
  ["Relu", undefined],
  ["Rsqrt", undefined],
  ["Sqrt", undefined],
  ["Square", undefined],
  ["Tanh", undefined],
  ["Reciprocal", undefined],
  ["Sign", undefined],
]);

/**
 * How tfjs' own kernel function for `name` is recognised: its function name and a piece of its
 * source (the WASM call it makes). Checked once per function (a WeakMap), at lowering time.
 */
function stockPattern(name: string): [string, string] | undefined {
  if (BINARY.has(name)) return ["kernelFunc", "aShapeBytes, a.shape.length, bId"];
  if (UNARY.has(name)) return ["kernelFunc", "wasmFunc(xId, CppDType[x.dtype], outId)"];
  switch (name) {
    case "Sigmoid":
      return ["sigmoid", "wasmFunc(xId, outId)"];
    case "BatchMatMul":
      return ["batchMatMul", "wasmBatchMatMul("];
    case "Transpose":
      return ["transpose", "wasmTranspose("];
    case "Reshape":
      return ["reshape", "incRef(x.dataId)"];
    case "Concat":
      return ["concat", "sumInnerDims"];
    case "Slice":
      return ["slice", "isSliceContinous"];
    default:
      return undefined;
  }
}

const recognised = new WeakMap<TfKernelFunc, boolean>();

/** True when `fn` is tfjs-backend-wasm's own kernel function for `name`. */
function stockKernel(name: string, fn: TfKernelFunc): boolean {
  if (name === "ShapeflowSlice") return fn === viewSlice;
  const pattern = stockPattern(name);
  if (pattern === undefined) return false;
  let ok = recognised.get(fn);
  if (ok === undefined) {
    ok = fn.name === pattern[0] && Function.prototype.toString.call(fn).includes(pattern[1]);
    recognised.set(fn, ok);
  }
  return ok;
}

/**
 * True when a kernel call's input names (null: an array) are in the order its direct call reads
 * them: `a, b` for a binary kernel or a matmul, `x` for one input, an array (or "0", "1", ...) for Concat.
 */
export function directKeysMatch(name: string, keys: readonly string[] | null): boolean {
  if (name === "Concat") return keys === null || keys.every((k, i) => k === String(i));
  if (keys === null) return false;
  if (BINARY.has(name) || name === "BatchMatMul") return keys.length === 2 && keys[0] === "a" && keys[1] === "b";
  return keys.length === 1 && keys[0] === "x";
}

/** Writes `values` as int32s to the WASM heap (at least 4 bytes), owned by `mem`. */
function heapInts(w: WasmModule, mem: DirectMemory, values: readonly number[]): number {
  const ptr = w._malloc(Math.max(4, 4 * values.length));
  mem.ptrs.push(ptr);
  new Int32Array(w.HEAPU8.buffer, ptr, values.length).set(values);
  return ptr;
}

/** Frees the heap memory of a plan's direct calls. */
export function freeDirect(backend: unknown, mem: DirectMemory): void {
  // NOTE: a disposed backend (tf.removeBackend) has dropped its module, and the memory with it
  const wasm = isWasmBackend(backend) ? (backend.wasm as WasmModule | null) : null;
  if (wasm !== null) for (const p of mem.ptrs) wasm._free(p);
  mem.ptrs.length = 0;
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * The direct call replacing kernel `name` (registered function `fn`) for these recorded inputs,
 * attributes and outputs, or undefined when the kernel runs through `fn` (another backend, a
 * kernel that is not tfjs' own, an unusual dtype or shape). Shape arrays go to `mem`.
 */
export function lowerDirect(
  name: string,
  fn: TfKernelFunc,
  backend: unknown,
  ins: readonly TfTensorInfo[],
  attrs: TfAttrMap,
  outs: readonly TfTensorInfo[],
  mem: DirectMemory,
): Direct | undefined {
  if (!isWasmBackend(backend) || outs.length !== 1 || !stockKernel(name, fn)) return undefined;
  const lowered = lower(name, backend, ins, attrs, mem);
  if (lowered === undefined) return undefined;
  // NOTE: the plan's later steps were recorded against the kernel's own output: the direct call must make the same
  const out = outs[0];
  if (lowered.dtype !== out.dtype || !sameShape(lowered.shape, out.shape)) return undefined;
  return { run: lowered.run, shape: lowered.shape, dtype: lowered.dtype, aliases: name === "Reshape" };
}

interface Lowered {
  readonly shape: number[];
  readonly dtype: TfDataType;
  readonly run: DirectRun;
}

function lower(name: string, b: WasmBackend, ins: readonly TfTensorInfo[], attrs: TfAttrMap, mem: DirectMemory): Lowered | undefined {
  const w = b.wasm;
  const exported = (n: string) => {
    const f = (w as unknown as Record<string, unknown>)[`_${n}`];
    return typeof f === "function" ? (f as WasmFn) : undefined;
  };
  if (BINARY.has(name)) {
    const [a, c] = ins;
    const f = exported(name);
    const dt = CPP_DTYPE[a.dtype];
    if (f === undefined || dt === undefined || ins.length !== 2) return undefined;
    const shape = tf.backend_util.assertAndGetBroadcastShape(a.shape, c.shape);
    const dtype = BINARY.get(name) ?? a.dtype;
    const [aShape, aRank, cShape, cRank] = [heapInts(w, mem, a.shape), a.shape.length, heapInts(w, mem, c.shape), c.shape.length];
    const empty = tf.util.sizeFromShape(shape) === 0;
    return {
      shape,
      dtype,
      run(vals, srcs, o, pin) {
        const x = b.dataIdMap.get(vals[srcs[0]]!.dataId)!.id;
        const y = b.dataIdMap.get(vals[srcs[1]]!.dataId)!.id;
        vals[o] = output(b, pin, shape, dtype);
        if (!empty) f(x, aShape, aRank, y, cShape, cRank, dt, outId);
      },
    };
  }
  if (UNARY.has(name) || name === "Sigmoid") {
    const [x] = ins;
    const f = exported(name);
    const dt = CPP_DTYPE[x.dtype];
    if (f === undefined || dt === undefined || ins.length !== 1) return undefined;
    const shape = [...x.shape];
    const dtype = UNARY.get(name) ?? x.dtype;
    const empty = tf.util.sizeFromShape(shape) === 0;
    const sigmoid = name === "Sigmoid";
    return {
      shape,
      dtype,
      run(vals, srcs, o, pin) {
        const xi = b.dataIdMap.get(vals[srcs[0]]!.dataId)!.id;
        vals[o] = output(b, pin, shape, dtype);
        if (empty) return;
        if (sigmoid) f(xi, outId);
        else f(xi, dt, outId);
      },
    };
  }
  switch (name) {
    case "BatchMatMul":
      return lowerMatMul(b, ins, attrs, mem, exported("BatchMatMul"));
    case "Transpose":
      return lowerTranspose(b, ins, attrs, mem, exported("Transpose"));
    case "Reshape":
      return lowerReshape(b, ins, attrs);
    case "Concat":
      return lowerConcat(b, ins, attrs);
    case "Slice":
    case "ShapeflowSlice":
      return lowerSlice(b, ins, attrs, name === "Slice");
    default:
      return undefined;
  }
}

function lowerMatMul(
  b: WasmBackend,
  ins: readonly TfTensorInfo[],
  attrs: TfAttrMap,
  mem: DirectMemory,
  f: WasmFn | undefined,
): Lowered | undefined {
  const [a, c] = ins;
  const ta = attrs.transposeA === true;
  const tb = attrs.transposeB === true;
  if (f === undefined || ins.length !== 2 || a.dtype !== "float32" || c.dtype !== "float32" || a.shape.length < 2 || c.shape.length < 2)
    return undefined;
  const [ar, br] = [a.shape.length, c.shape.length];
  const innerA = ta ? a.shape[ar - 2] : a.shape[ar - 1];
  const innerB = tb ? c.shape[br - 1] : c.shape[br - 2];
  const outerA = ta ? a.shape[ar - 1] : a.shape[ar - 2];
  const outerB = tb ? c.shape[br - 2] : c.shape[br - 1];
  if (innerA !== innerB) return undefined;
  const batchA = tf.util.sizeFromShape(a.shape.slice(0, -2));
  const batchB = tf.util.sizeFromShape(c.shape.slice(0, -2));
  const shape = [...tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), c.shape.slice(0, -2)), outerA, outerB];
  const a3 = heapInts(w(b), mem, ta ? [batchA, innerA, outerA] : [batchA, outerA, innerA]);
  const b3 = heapInts(w(b), mem, tb ? [batchB, outerB, innerB] : [batchB, innerB, outerB]);
  const [fa, fb] = [ta ? 1 : 0, tb ? 1 : 0];
  return {
    shape,
    dtype: "float32",
    run(vals, srcs, o, pin) {
      const x = b.dataIdMap.get(vals[srcs[0]]!.dataId)!.id;
      const y = b.dataIdMap.get(vals[srcs[1]]!.dataId)!.id;
      vals[o] = output(b, pin, shape, "float32");
      f(x, a3, 3, y, b3, 3, fa, fb, outId);
    },
  };
}

const w = (b: WasmBackend) => b.wasm;

function lowerTranspose(
  b: WasmBackend,
  ins: readonly TfTensorInfo[],
  attrs: TfAttrMap,
  mem: DirectMemory,
  f: WasmFn | undefined,
): Lowered | undefined {
  const [x] = ins;
  const perm = attrs.perm as number[] | undefined;
  const dt = CPP_DTYPE[x.dtype];
  if (f === undefined || dt === undefined || perm === undefined || perm.length !== x.shape.length) return undefined;
  const [reduced, rperm] = removeOneSizeDims(x.shape, perm);
  // NOTE: tfjs copies instead (Identity) when the permutation is a no-op: that stays its kernel
  if (rperm.every((p, i) => p === i)) return undefined;
  const shape = perm.map((p) => x.shape[p]);
  const [xs, ps, rank] = [heapInts(w(b), mem, reduced), heapInts(w(b), mem, rperm), rperm.length];
  return {
    shape,
    dtype: x.dtype,
    run(vals, srcs, o, pin) {
      const xi = b.dataIdMap.get(vals[srcs[0]]!.dataId)!.id;
      vals[o] = output(b, pin, shape, x.dtype);
      f(xi, xs, rank, dt, outId, ps, rank);
    },
  };
}

/** tfjs-backend-wasm's Transpose: drops size-1 axes and renumbers the permutation over the rest. */
function removeOneSizeDims(shape: readonly number[], perm: readonly number[]): [number[], number[]] {
  const newShape: number[] = [];
  const newPerm: number[] = [];
  for (let i = 0; i < shape.length; ++i) {
    if (shape[i] !== 1) newShape.push(shape[i]);
    if (shape[perm[i]] !== 1) newPerm.push(perm[i]);
  }
  for (let i = 0; i < newPerm.length; ++i) {
    let minValIdx = -1;
    for (let j = 0; j < newPerm.length; ++j) if (newPerm[j] >= i && (minValIdx === -1 || newPerm[minValIdx] > newPerm[j])) minValIdx = j;
    newPerm[minValIdx] = i;
  }
  return [newShape, newPerm];
}

function lowerReshape(b: WasmBackend, ins: readonly TfTensorInfo[], attrs: TfAttrMap): Lowered | undefined {
  const [x] = ins;
  const size = tf.util.sizeFromShape(x.shape);
  const shape = tf.util.inferFromImplicitShape([...(attrs.shape as number[])], size);
  if (tf.util.sizeFromShape(shape) !== size) return undefined;
  return {
    shape,
    dtype: x.dtype,
    run(vals, srcs, o) {
      // the same data under another shape, one more reference (tfjs' Reshape on WASM)
      const v = vals[srcs[0]]!;
      b.incRef(v.dataId);
      vals[o] = { dataId: v.dataId, shape, dtype: v.dtype };
    },
  };
}

const COPYABLE = new Set<TfDataType>(["float32", "int32", "bool"]);

/**
 * Concat as heap byte copies, one `copyWithin` per row and input (tfjs' WASM Concat is a JS loop
 * making a subarray per row and input); row sizes worked out at lowering time.
 */
function lowerConcat(b: WasmBackend, ins: readonly TfTensorInfo[], attrs: TfAttrMap): Lowered | undefined {
  const first = ins.at(0);
  if (first === undefined || ins.length < 2 || !COPYABLE.has(first.dtype)) return undefined;
  const dtype = first.dtype;
  if (ins.some((t) => t.dtype !== dtype || t.shape.includes(0))) return undefined;
  const axis = tf.util.parseAxisParam(attrs.axis as number | number[], first.shape)[0];
  const shape = tf.backend_util.computeOutShape(
    ins.map((t) => t.shape),
    axis,
  );
  const unit = tf.util.bytesPerElement(dtype);
  const rows = tf.util.sizeFromShape(first.shape.slice(0, axis));
  const inner = Float64Array.from(ins, (t) => unit * tf.util.sizeFromShape(t.shape.slice(axis)));
  const n = ins.length;
  const starts = new Float64Array(n);
  return {
    shape,
    dtype,
    run(vals, srcs, o, pin) {
      for (let i = 0; i < n; i++) starts[i] = b.dataIdMap.get(vals[srcs[i]]!.dataId)!.memoryOffset;
      vals[o] = output(b, pin, shape, dtype);
      // NOTE: the heap view after the allocation (a grown heap detaches the old one)
      const heap = b.wasm.HEAPU8;
      let dst = outOffset;
      for (let r = 0; r < rows; r++)
        for (let i = 0; i < n; i++) {
          const len = inner[i];
          const src = starts[i] + r * len;
          heap.copyWithin(dst, src, src + len);
          dst += len;
        }
    },
  };
}

/**
 * A window as heap byte copies: the source offset of each contiguous run (the window's trailing
 * axes that are whole merge into one run) worked out at lowering time.
 */
function lowerSlice(b: WasmBackend, ins: readonly TfTensorInfo[], attrs: TfAttrMap, parse: boolean): Lowered | undefined {
  const [x] = ins;
  if (x === undefined || ins.length !== 1 || !COPYABLE.has(x.dtype) || x.shape.length === 0) return undefined;
  const [begin, size] = parse
    ? tf.slice_util.parseSliceParams(x, attrs.begin as number[], attrs.size as number[])
    : [attrs.begin as number[], attrs.size as number[]];
  const shape = [...size];
  const dtype = x.dtype;
  const unit = tf.util.bytesPerElement(dtype);
  const n = tf.util.sizeFromShape(size);
  const rank = x.shape.length;
  let d = rank - 1;
  let inner = 1;
  while (d > 0 && size[d] === x.shape[d]) inner *= x.shape[d--];
  const run = size[d] * inner;
  const strides = [...tf.util.computeStrides(x.shape), 1];
  const offsets = new Float64Array(run === 0 ? 0 : n / run);
  const idx = new Array<number>(d).fill(0);
  for (let k = 0; k < offsets.length; k++) {
    let off = begin[d] * inner;
    for (let a = 0; a < d; a++) off += (begin[a] + idx[a]) * strides[a];
    offsets[k] = off * unit;
    for (let a = d - 1; a >= 0 && ++idx[a] === size[a]; a--) idx[a] = 0;
  }
  const runBytes = run * unit;
  const runs = offsets.length;
  return {
    shape,
    dtype,
    run(vals, srcs, o, pin) {
      const base = b.dataIdMap.get(vals[srcs[0]]!.dataId)!.memoryOffset;
      vals[o] = output(b, pin, shape, dtype);
      if (runs === 0) return;
      const heap = b.wasm.HEAPU8;
      let dst = outOffset;
      for (let k = 0; k < runs; k++) {
        const src = base + offsets[k];
        heap.copyWithin(dst, src, src + runBytes);
        dst += runBytes;
      }
    },
  };
}

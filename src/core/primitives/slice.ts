// slice: a static window of a tensor. Its adjoint is `pad` with zeros (see pad.ts), so
// derivatives of any order stay within these two primitives.
import * as tf from "@tensorflow/tfjs-core";
import type { TfAttrMap, TfDataType, TfTensor, TfTensorInfo, TfTensorInfoMap, TfTypedArray } from "../../tensor/index.js";
import { formatShape, tensor, type AnyTensor, ShapeError, ValueError } from "../../tensor/index.js";
import { bind, scoped } from "../trace.js";
import { definePrimitive, type Primitive } from "../primitive.js";
import { leafTensors } from "../util.js";
import { sameShape } from "./util.js";
import { pad } from "./pad.js";
import { gather } from "./gather.js";

export interface SliceParams {
  /** Start of the window on each axis (missing trailing axes start at 0). */
  readonly begin: readonly number[];
  /** Length on each axis; -1 (or a missing trailing entry) means "to the end". */
  readonly size: readonly number[];
}

/** Full-rank begin and size with -1 resolved; throws naming the op on a bad window. */
export function resolveSlice(
  shape: readonly number[],
  begin: readonly number[],
  size: readonly number[],
): { begin: number[]; size: number[] } {
  const rank = shape.length;
  const s = formatShape(shape);
  if (begin.length > rank)
    throw new ShapeError(
      { op: "slice", expected: `at most ${rank} entries`, got: formatShape(begin) },
      `slice: begin ${formatShape(begin)} has more entries than the rank of ${s}`,
    );
  if (size.length > rank)
    throw new ShapeError(
      { op: "slice", expected: `at most ${rank} entries`, got: formatShape(size) },
      `slice: size ${formatShape(size)} has more entries than the rank of ${s}`,
    );
  const b: number[] = [];
  const z: number[] = [];
  for (let i = 0; i < rank; i++) {
    const bi = i < begin.length ? begin[i] : 0;
    const zi = i < size.length ? size[i] : -1;
    const d = shape[i];
    if (!Number.isInteger(bi))
      throw new ValueError(
        { op: "slice", expected: "an integer begin", got: String(bi) },
        `slice: begin ${bi} at axis ${i} is not an integer (shape ${s})`,
      );
    if (bi < 0)
      throw new ValueError(
        { op: "slice", expected: "a non-negative begin", got: String(bi) },
        `slice: begin ${bi} at axis ${i} is negative (shape ${s})`,
      );
    if (!Number.isInteger(zi))
      throw new ValueError(
        { op: "slice", expected: "an integer size", got: String(zi) },
        `slice: size ${zi} at axis ${i} is not an integer (shape ${s})`,
      );
    if (zi < -1)
      throw new ValueError(
        { op: "slice", expected: "a size >= -1", got: String(zi) },
        `slice: size ${zi} at axis ${i} is invalid (only -1, meaning "to the end", may be negative)`,
      );
    if (zi === -1) {
      if (bi > d)
        throw new ShapeError(
          { op: "slice", expected: `a begin <= ${d}`, got: String(bi) },
          `slice: begin ${bi} exceeds dim ${d} at axis ${i} of ${s}`,
        );
      z.push(d - bi);
    } else {
      if (bi + zi > d)
        throw new ShapeError(
          { op: "slice", expected: `begin + size <= ${d}`, got: String(bi + zi) },
          `slice: begin ${bi} + size ${zi} exceeds dim ${d} at axis ${i} of ${s}`,
        );
      z.push(zi);
    }
    b.push(bi);
  }
  return { begin: b, size: z };
}

// ---------------------------------------------------------------- the WASM kernel

/**
 * tfjs-backend-wasm 4.22's Slice starts with `backend.readSync(x)`, which copies the WHOLE input
 * out of the WASM heap: one step of a [28, 64, 256] sequence copies all 28 steps first, and
 * unstacking [8, 64, 14, 14, 8] takes ~70 ms. This kernel reads the input through a view of the
 * heap and copies only the window, in runs as long as the window's innermost partial axis
 * allows (one run when the window is contiguous). Registered under its own name, so tfjs' own
 * Slice is untouched; the primitive (and conv's crops) call it on WASM, tf.slice elsewhere.
 */
const VIEW_SLICE = "ShapeflowSlice";

/** What reading tensors in place needs of tfjs' WASM backend. */
export interface HeapBackend {
  makeOutput(shape: number[], dtype: TfDataType): TfTensorInfo;
  typedArrayFromHeap(t: TfTensorInfo): TfTypedArray;
}

export const isHeapBackend = (b: unknown): b is HeapBackend =>
  typeof b === "object" && b !== null && "typedArrayFromHeap" in b && "makeOutput" in b;

/** The WASM window kernel (resolved begin and size); the static plan runs tfjs' Slice through it too. */
export function viewSlice({ inputs, backend, attrs }: { inputs: TfTensorInfoMap; backend: unknown; attrs?: TfAttrMap }): TfTensorInfo {
  const x = inputs.x;
  if (!isHeapBackend(backend) || x === undefined) throw new Error(`internal: ${VIEW_SLICE} runs only on the WASM backend`);
  const begin = attrs?.begin as number[];
  const size = attrs?.size as number[];
  const out = backend.makeOutput(size, x.dtype);
  const n = size.reduce((a, b) => a * b, 1);
  if (n === 0) return out;
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const shape = x.shape;
  const rank = shape.length;
  // axes after `d` are whole: each run copies size[d] * (their product) elements
  let d = rank - 1;
  let inner = 1;
  while (d > 0 && size[d] === shape[d]) inner *= shape[d--];
  const run = size[d] * inner;
  const strides = tf.util.computeStrides(shape);
  const stride = (a: number) => (a === rank - 1 ? 1 : strides[a]);
  const idx = new Array<number>(d).fill(0);
  for (let o = 0; o < n; o += run) {
    let off = begin[d] * inner;
    for (let a = 0; a < d; a++) off += (begin[a] + idx[a]) * stride(a);
    dst.set(src.subarray(off, off + run), o);
    for (let a = d - 1; a >= 0 && ++idx[a] === size[a]; a--) idx[a] = 0;
  }
  return out;
}

if (tf.getKernel(VIEW_SLICE, "wasm") === undefined)
  tf.registerKernel({ kernelName: VIEW_SLICE, backendName: "wasm", kernelFunc: viewSlice });

/** A window of a tfjs tensor (rank >= 1, resolved begin and size): the view-reading kernel on WASM, tf.slice elsewhere. */
export function sliceKernel(x: TfTensor, begin: readonly number[], size: readonly number[]): TfTensor {
  if (x.dtype === "string" || tf.getBackend() !== "wasm") return tf.slice(x, [...begin], [...size]);
  return tf.engine().runKernel<tf.Tensor>(VIEW_SLICE, { x }, { begin: [...begin], size: [...size] });
}

export const sliceP: Primitive<SliceParams> = definePrimitive<SliceParams>({
  name: "slice",
  abstractEval: ([x], p) => ({ shape: resolveSlice(x.shape, p.begin, p.size).size, dtype: x.dtype }),
  impl([x], p) {
    const { begin, size } = resolveSlice(x.shape, p.begin, p.size);
    // NOTE: tfjs refuses to slice a scalar; its only window is itself
    return x.rank === 0 ? tf.clone(x) : sliceKernel(x, begin, size);
  },
  jvp: (_x, [t], p) => (t === null ? null : bind(sliceP, [t], p)),
  vjp(ct, [x], p) {
    const xs = x.shape;
    const { begin, size } = resolveSlice(xs, p.begin, p.size);
    return [
      pad(
        ct,
        begin.map((b, i) => [b, xs[i] - b - size[i]] as const),
      ),
    ];
  },
  batch: ([x], _b, p, n) => {
    const { begin, size } = resolveSlice(x.shape.slice(1), p.begin, p.size);
    return bind(sliceP, [x], { begin: [0, ...begin], size: [n, ...size] });
  },
});

/**
 * The window of `x` starting at `begin` with `size` elements per axis (tfjs `slice`).
 * A size of -1, or a missing trailing entry, means "to the end"; missing begins are 0.
 * ```ts
 * slice(x, [0, 2], [-1, 3]);   // x[:, 2:5]
 * ```
 */
export function slice(x: AnyTensor, begin: readonly number[], size: readonly number[] = []): AnyTensor {
  const r = resolveSlice(x.shape, begin, size);
  if (sameShape(r.size, x.shape)) return x;
  return bind(sliceP, [x], r);
}

/**
 * Every `strides[i]`-th element of `x` from `begin[i]` (inclusive) to `end[i]` (exclusive), like
 * `x[b:e:s]` in numpy with non-negative bounds and positive strides. A composite: a slice for the
 * window, then a gather on each axis with a stride above 1 (so it differentiates and batches).
 * ```ts
 * stridedSlice(x, [0, 1], [4, 6], [2, 2]);   // x[0:4:2, 1:6:2]
 * ```
 */
export function stridedSlice(x: AnyTensor, begin: readonly number[], end: readonly number[], strides?: readonly number[]): AnyTensor {
  const shape = x.shape;
  const rank = shape.length;
  const s = formatShape(shape);
  const st = strides ?? begin.map(() => 1);
  if (begin.length !== end.length || begin.length !== st.length) {
    throw new ValueError(
      { op: "stridedSlice", expected: "begin, end and strides of equal lengths", got: `${begin.length}, ${end.length} and ${st.length}` },
      `stridedSlice: begin, end and strides need equal lengths, got ${begin.length}, ${end.length} and ${st.length}`,
    );
  }
  if (begin.length > rank)
    throw new ShapeError(
      { op: "stridedSlice", expected: `at most ${rank} entries`, got: formatShape(begin) },
      `stridedSlice: begin ${formatShape(begin)} has more entries than the rank of ${s}`,
    );
  const counts: number[] = [];
  for (let i = 0; i < begin.length; i++) {
    const [b, e, k, d] = [begin[i], end[i], st[i], shape[i]];
    if (!Number.isInteger(k) || k < 1)
      throw new ValueError(
        { op: "stridedSlice", expected: "a positive integer stride", got: String(k) },
        `stridedSlice: stride ${k} at axis ${i} must be a positive integer`,
      );
    if (!Number.isInteger(b) || !Number.isInteger(e) || b < 0 || b > e || e > d) {
      throw new ShapeError(
        { op: "stridedSlice", expected: `0 <= begin <= end <= ${d}`, got: `${b}..${e}` },
        `stridedSlice: bounds ${b}..${e} at axis ${i} must satisfy 0 <= begin <= end <= ${d} (shape ${s})`,
      );
    }
    counts.push(Math.ceil((e - b) / k));
  }
  return scoped(() => {
    // the window from begin to just past the last picked element, then every k-th element
    let y = slice(
      x,
      begin,
      begin.map((b, i) => (counts[i] === 0 ? 0 : (counts[i] - 1) * st[i] + 1)),
    );
    st.forEach((k, i) => {
      if (k > 1 && counts[i] > 1)
        y = gather(
          y,
          tensor(
            Int32Array.from({ length: counts[i] }, (_, j) => j * k),
            [counts[i]],
            "int32",
          ),
          i,
        );
    });
    return y;
  }, leafTensors);
}

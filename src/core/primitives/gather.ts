// gather and its adjoint scatterAdd: each one's vjp is the other, so derivatives of any order
// stay within this pair. oneHot is a composite of equal and cast.
// NOTE: scatterAdd runs on tfjs `scatterND` (which sums duplicate indices): WASM has no
// `UnsortedSegmentSum` kernel.
import * as tf from "@tensorflow/tfjs-core";
import { arange, formatShape, type AnyTensor, DTypeError, ShapeError, ValueError } from "../../tensor/index.js";
import { bind, scoped } from "../trace.js";
import { definePrimitive, type Aval, type Primitive } from "../primitive.js";
import { leafTensors } from "../util.js";
import { sameShape, sizeOf } from "./util.js";
import { moveAxis, reshape } from "./shape.js";
import { cast, equal, maximum, minimum } from "./elementwise.js";
import { check } from "./check.js";
import { withBatchAxis } from "./broadcast.js";

export interface GatherParams {
  /** Axis of `x` the indices pick from (non-negative). */
  readonly axis: number;
  /** Leading axes shared by `x` and the indices: entry b of the indices picks from x[b]. */
  readonly batchDims: number;
}

export interface ScatterAddParams extends GatherParams {
  /** Size of the output's `axis` (the gathered axis of the tensor this is the adjoint for). */
  readonly size: number;
}

/** Multi-index of flat position i in a row-major shape. */
function unravel(i: number, shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  for (let k = shape.length - 1; k >= 0; k--) {
    out[k] = i % shape[k];
    i = Math.floor(i / shape[k]);
  }
  return out;
}

/** The index values, each checked to lie in 0..size-1 (tfjs kernels do not all check). */
function readIndices(op: string, indices: tf.Tensor, size: number, axis: number): Int32Array {
  const v = indices.dataSync() as Int32Array;
  for (let i = 0; i < v.length; i++) {
    const k = v[i];
    if (k < 0 || k >= size) {
      const range = size === 0 ? "axis has size 0, so no index is valid" : `expected 0..${size - 1}`;
      throw new ValueError(
        { op: op, expected: `indices in 0..${size - 1}`, got: `${k} at ${formatShape(unravel(i, indices.shape))}` },
        `${op}: index ${k} at position ${formatShape(unravel(i, indices.shape))} is out of range for axis ${axis} of size ${size} (${range})`,
      );
    }
  }
  return v;
}

function checkIndexArgs(op: string, data: Aval, indices: Aval, { axis, batchDims }: GatherParams, dataName: string): void {
  if (indices.dtype !== "int32")
    throw new DTypeError({ op: op, expected: "int32", got: indices.dtype }, `${op}: indices must be int32, got ${indices.dtype}`);
  const rank = data.shape.length;
  if (!Number.isInteger(axis) || axis < 0 || axis >= rank) {
    throw new ShapeError(
      { op: op, expected: `an axis in 0..${rank - 1}`, got: String(axis) },
      `${op}: axis ${axis} is out of range for ${formatShape(data.shape)} (rank ${rank})`,
    );
  }
  const maxBatch = Math.min(axis, indices.shape.length);
  if (!Number.isInteger(batchDims) || batchDims < 0 || batchDims > maxBatch) {
    throw new ValueError(
      { op: op, expected: `batchDims in 0..${maxBatch}`, got: String(batchDims) },
      `${op}: batchDims ${batchDims} must be in 0..${maxBatch} (axis ${axis}, indices ${formatShape(indices.shape)})`,
    );
  }
  for (let i = 0; i < batchDims; i++) {
    if (data.shape[i] !== indices.shape[i]) {
      throw new ShapeError(
        { op: op, expected: `${data.shape[i]} at dim ${i} of the indices`, got: formatShape(indices.shape) },
        `${op}: batch dim ${i} differs: ${dataName} ${formatShape(data.shape)} has ${data.shape[i]}, indices ${formatShape(indices.shape)} have ${indices.shape[i]}`,
      );
    }
  }
}

// ---------------------------------------------------------------- gather

export const gatherP: Primitive<GatherParams> = definePrimitive<GatherParams>({
  name: "gather",
  abstractEval([x, indices], p) {
    checkIndexArgs("gather", x, indices, p, "x");
    const s = x.shape;
    return { shape: [...s.slice(0, p.axis), ...indices.shape.slice(p.batchDims), ...s.slice(p.axis + 1)], dtype: x.dtype };
  },
  impl([x, indices], { axis, batchDims }) {
    const ids = readIndices("gather", indices, x.shape[axis], axis);
    if (batchDims === 0) return tf.gather(x, indices, axis);
    // NOTE: the WASM kernel gives wrong rows with batchDims > 0 (e.g. 3 indices per batch entry
    // into an axis of 4), so batch entry b picks from rows b * n .. b * n + n - 1 of a folded axis.
    const s = x.shape;
    const n = s[axis];
    const nBatch = sizeOf(s.slice(0, batchDims));
    const nMid = sizeOf(s.slice(batchDims, axis));
    const nPost = sizeOf(s.slice(axis + 1));
    const nIdx = ids.length / Math.max(nBatch, 1);
    const outShape = [...s.slice(0, axis), ...indices.shape.slice(batchDims), ...s.slice(axis + 1)];
    if (ids.length === 0 || sizeOf(s) === 0) return tf.zeros(outShape, x.dtype);
    const folded = new Int32Array(ids.length);
    for (let j = 0; j < ids.length; j++) folded[j] = Math.floor(j / nIdx) * n + ids[j];
    return tf.tidy(() => {
      // [batch, mid, n, post] -> [mid, batch * n, post]
      let table = tf.reshape(x, [nBatch, nMid, n, nPost]);
      if (nMid > 1 && nBatch > 1) table = tf.transpose(table, [1, 0, 2, 3]);
      table = tf.reshape(table, [nMid, nBatch * n, nPost]);
      let out = tf.gather(table, tf.tensor1d(folded, "int32"), 1);
      // [mid, batch * idx, post] -> [batch, mid, idx, post]
      if (nMid > 1 && nBatch > 1) out = tf.transpose(tf.reshape(out, [nMid, nBatch, nIdx, nPost]), [1, 0, 2, 3]);
      return tf.reshape(out, outShape);
    });
  },
  jvp: ([, indices], [t], p) => (t === null ? null : bind(gatherP, [t, indices], p)),
  vjp: (ct, [x, indices], p) => [bind(scatterAddP, [ct, indices], { ...p, size: x.shape[p.axis] }), null],
  batch([x, indices], [bx, bi], { axis, batchDims }, n) {
    if (batchDims === 0 && bx && !bi) return bind(gatherP, [x, indices], { axis: axis + 1, batchDims: 0 });
    // shared table, batched indices (an embedding lookup): one gather, then the batch axis to the front
    if (batchDims === 0 && !bx && bi) return moveAxis(bind(gatherP, [x, indices], { axis, batchDims: 0 }), axis, 0);
    const xb = bx ? x : withBatchAxis(x, n);
    const ib = bi ? indices : withBatchAxis(indices, n);
    return bind(gatherP, [xb, ib], { axis: axis + 1, batchDims: batchDims + 1 });
  },
});

// ---------------------------------------------------------------- scatterAdd

function scatterShape(updates: readonly number[], indices: readonly number[], p: ScatterAddParams): number[] {
  const k = indices.length - p.batchDims;
  return [...updates.slice(0, p.axis), p.size, ...updates.slice(p.axis + k)];
}

export const scatterAddP: Primitive<ScatterAddParams> = definePrimitive<ScatterAddParams>({
  name: "scatterAdd",
  abstractEval([updates, indices], p) {
    if (!Number.isInteger(p.size) || p.size < 0)
      throw new ValueError(
        { op: "scatterAdd", expected: "a non-negative integer size", got: String(p.size) },
        `scatterAdd: size must be a non-negative integer, got ${p.size}`,
      );
    if (updates.dtype === "bool")
      throw new DTypeError(
        { op: "scatterAdd", expected: "float32 or int32", got: "bool" },
        "scatterAdd: expects numeric updates, got bool",
      );
    if (indices.dtype !== "int32")
      throw new DTypeError(
        { op: "scatterAdd", expected: "int32", got: indices.dtype },
        `scatterAdd: indices must be int32, got ${indices.dtype}`,
      );
    const { axis, batchDims } = p;
    const iRank = indices.shape.length;
    if (!Number.isInteger(batchDims) || batchDims < 0 || batchDims > iRank) {
      throw new ValueError(
        { op: "scatterAdd", expected: `batchDims in 0..${iRank}`, got: String(batchDims) },
        `scatterAdd: batchDims ${batchDims} must be in 0..${iRank} (indices ${formatShape(indices.shape)})`,
      );
    }
    // updates must look like gather's output: u[:axis] ++ indices[batchDims:] ++ post
    const u = updates.shape;
    const k = iRank - batchDims;
    const fits =
      Number.isInteger(axis) && axis >= 0 && u.length >= axis + k && sameShape(u.slice(axis, axis + k), indices.shape.slice(batchDims));
    if (!fits) {
      throw new ShapeError(
        {
          op: "scatterAdd",
          expected: `updates with dims ${formatShape(indices.shape.slice(batchDims))} at axis ${axis}`,
          got: formatShape(u),
        },
        `scatterAdd: updates ${formatShape(u)} do not fit indices ${formatShape(indices.shape)} at axis ${axis} ` +
          `(expected updates with dims ${formatShape(indices.shape.slice(batchDims))} starting at axis ${axis})`,
      );
    }
    const out = scatterShape(u, indices.shape, p);
    checkIndexArgs("scatterAdd", { shape: out, dtype: updates.dtype }, indices, p, "output");
    return { shape: out, dtype: updates.dtype };
  },
  impl([updates, indices], p) {
    const ids = readIndices("scatterAdd", indices, p.size, p.axis);
    const u = updates.shape;
    const outShape = scatterShape(u, indices.shape, p);
    if (updates.size === 0 || sizeOf(outShape) === 0) return tf.zeros(outShape, updates.dtype);
    const k = indices.rank - p.batchDims;
    const nBatch = sizeOf(u.slice(0, p.batchDims));
    const nMid = sizeOf(u.slice(p.batchDims, p.axis));
    const nIdx = sizeOf(indices.shape.slice(p.batchDims));
    const nPost = sizeOf(u.slice(p.axis + k));
    // row (b, i) of the updates goes to row b * size + indices[b, i] of a [batch * size, mid * post] output
    const rowIds = new Int32Array(nBatch * nIdx);
    for (let j = 0; j < rowIds.length; j++) rowIds[j] = Math.floor(j / nIdx) * p.size + ids[j];
    return tf.tidy(() => {
      let rows = tf.reshape(updates, [nBatch, nMid, nIdx, nPost]);
      if (nMid > 1 && nIdx > 1) rows = tf.transpose(rows, [0, 2, 1, 3]);
      rows = tf.reshape(rows, [nBatch * nIdx, nMid * nPost]);
      let out = tf.scatterND(tf.tensor2d(rowIds, [rowIds.length, 1], "int32"), rows, [nBatch * p.size, nMid * nPost]);
      if (nMid > 1 && p.size > 1) out = tf.transpose(tf.reshape(out, [nBatch, p.size, nMid, nPost]), [0, 2, 1, 3]);
      return tf.reshape(out, outShape);
    });
  },
  jvp: ([, indices], [t], p) => (t === null ? null : bind(scatterAddP, [t, indices], p)),
  vjp: (ct, [, indices], p) => [bind(gatherP, [ct, indices], { axis: p.axis, batchDims: p.batchDims }), null],
  batch([updates, indices], [bu, bi], p, n) {
    if (p.batchDims === 0 && bu && !bi) return bind(scatterAddP, [updates, indices], { ...p, axis: p.axis + 1 });
    const ub = bu ? updates : withBatchAxis(updates, n);
    const ib = bi ? indices : withBatchAxis(indices, n);
    return bind(scatterAddP, [ub, ib], { axis: p.axis + 1, batchDims: p.batchDims + 1, size: p.size });
  },
});

// ---------------------------------------------------------------- helpers

function normalizeAxis(axis: number, rank: number): number {
  return Number.isInteger(axis) && axis < 0 && axis >= -rank ? axis + rank : axis;
}

/** `batchDims`: leading axes of `x` (or `updates`) and `indices` that are matched one to one (default 0). */
export interface BatchDims {
  readonly batchDims?: number;
}

/**
 * Entries of `x` picked along `axis` by int32 `indices` (tfjs `gather`): the output has shape
 * `x[:axis] ++ indices[batchDims:] ++ x[axis+1:]`. Every index must lie in 0..x.shape[axis]-1;
 * a bad one throws naming it (checked whenever the indices have values, under jit too).
 * ```ts
 * gather(embeddings, tokenIds);        // [vocab, dim] x [batch, seq] -> [batch, seq, dim]
 * gather(x, tensor([2, 0], [2], "int32"), 1);   // columns 2 and 0
 * ```
 */
export function gather(x: AnyTensor, indices: AnyTensor, axis = 0, { batchDims = 0 }: BatchDims = {}): AnyTensor {
  return bind(gatherP, [x, indices], { axis: normalizeAxis(axis, x.rank), batchDims });
}

/**
 * The adjoint of `gather`: a zero tensor with `size` entries on `axis`, to which each slice of
 * `updates` is added at the position its index names (duplicates add up).
 * ```ts
 * scatterAdd(tensor([1, 2, 3], [3]), tensor([0, 2, 0], [3], "int32"), 3);   // [4, 0, 2]
 * ```
 */
export function scatterAdd(updates: AnyTensor, indices: AnyTensor, size: number, axis = 0, { batchDims = 0 }: BatchDims = {}): AnyTensor {
  return bind(scatterAddP, [updates, indices], { axis: normalizeAxis(axis, updates.rank), batchDims, size });
}

/**
 * Float32 one-hot rows: `[...indices.shape, depth]`, with 1 at each label. Labels must lie in
 * 0..depth-1; a bad label throws (eagerly at once; under jit after the call, see checkify).
 * `{ check: false }` skips that check, for a caller that checked the labels itself (with its own message).
 * ```ts
 * oneHot(tensor([2, 0], [2], "int32"), 3);   // [[0, 0, 1], [1, 0, 0]]
 * ```
 */
export function oneHot(indices: AnyTensor, depth: number, opts: { check?: boolean } = {}): AnyTensor {
  if (indices.dtype !== "int32")
    throw new DTypeError({ op: "oneHot", expected: "int32", got: indices.dtype }, `oneHot: labels must be int32, got ${indices.dtype}`);
  if (!Number.isInteger(depth) || depth < 1)
    throw new ValueError(
      { op: "oneHot", expected: "a positive integer depth", got: String(depth) },
      `oneHot: depth must be a positive integer, got ${depth}`,
    );
  const s = indices.shape;
  return scoped(() => {
    if (opts.check === false) return cast(equal(reshape(indices, [...s, 1]), arange(depth, "int32")), "float32");
    // NOTE: a check, so a bad label is caught under jit and vmap too (reported after the call), not only eagerly
    const inRange = equal(indices, minimum(maximum(indices, 0), depth - 1));
    const checked = check(indices, inRange, {
      op: "oneHot",
      message: `label {value} at position {position} is out of range for depth ${depth} (expected 0..${depth - 1})`,
      expected: `labels in 0..${depth - 1}`,
    });
    return cast(equal(reshape(checked, [...s, 1]), arange(depth, "int32")), "float32");
  }, leafTensors);
}

// Plain float64 references for the primitives: shape and values computed with loops over
// row-major indices, independent of tfjs and of the shape rules under test.
import type { TensorValue } from "../src/testing/index.js";

export interface Reference {
  readonly shape: number[];
  readonly data: number[];
}

const sizeOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

function unravel(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let k = shape.length - 1; k >= 0; k--) {
    idx[k] = flat % shape[k];
    flat = Math.floor(flat / shape[k]);
  }
  return idx;
}

const ravel = (idx: readonly number[], shape: readonly number[]) => idx.reduce((acc, i, k) => acc * shape[k] + i, 0);

/** Builds an output of `shape` from a function of each output multi-index. */
function build(shape: number[], at: (idx: number[]) => number): Reference {
  const data: number[] = [];
  for (let f = 0; f < sizeOf(shape); f++) data.push(at(unravel(f, shape)));
  return { shape, data };
}

const get = (v: TensorValue, idx: readonly number[]) => v.data[ravel(idx, v.shape)];

export function broadcastShape(shapes: readonly (readonly number[])[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  return Array.from({ length: rank }, (_, i) => {
    let d = 1;
    for (const s of shapes) {
      const e = i < rank - s.length ? 1 : s[i - (rank - s.length)];
      if (e !== 1) d = e;
    }
    return d;
  });
}

/** numpy-broadcast elementwise `fn`; int32 results are floored (integer division floors). */
export function elementwise(fn: (...xs: number[]) => number, inputs: readonly TensorValue[], intOutput: boolean): Reference {
  const shape = broadcastShape(inputs.map((v) => v.shape));
  return build(shape, (idx) => {
    const args = inputs.map((v) =>
      get(
        v,
        v.shape.map((d, k) => (d === 1 ? 0 : idx[k + shape.length - v.rank])),
      ),
    );
    const y = fn(...args);
    return intOutput ? Math.floor(y) : y;
  });
}

export function reshape(x: TensorValue, target: readonly number[]): Reference {
  const n = x.size;
  const known = target.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  return { shape: target.map((d) => (d === -1 ? n / known : d)), data: Array.from(x.data as ArrayLike<number>) };
}

export function transpose(x: TensorValue, perm: readonly number[]): Reference {
  return build(
    perm.map((p) => x.shape[p]),
    (idx) => {
      const src = new Array<number>(x.rank);
      perm.forEach((p, k) => (src[p] = idx[k]));
      return get(x, src);
    },
  );
}

export function reduce(x: TensorValue, axes: readonly number[], keepDims: boolean, op: "sum" | "max" | "min"): Reference {
  const outFull = x.shape.map((d, k) => (axes.includes(k) ? 1 : d));
  const acc = new Array<number>(sizeOf(outFull)).fill(op === "sum" ? 0 : op === "max" ? -Infinity : Infinity);
  for (let f = 0; f < x.size; f++) {
    const idx = unravel(f, x.shape).map((i, k) => (axes.includes(k) ? 0 : i));
    const o = ravel(idx, outFull);
    const v = x.data[f];
    acc[o] = op === "sum" ? acc[o] + v : op === "max" ? Math.max(acc[o], v) : Math.min(acc[o], v);
  }
  return { shape: keepDims ? outFull : x.shape.filter((_, k) => !axes.includes(k)), data: acc };
}

/** Index of the first extremum along `axis`. */
export function argReduce(x: TensorValue, axis: number, op: "max" | "min"): Reference {
  const shape = x.shape.filter((_, k) => k !== axis);
  return build(shape, (idx) => {
    let best = 0;
    for (let i = 1; i < x.shape[axis]; i++) {
      const at = (j: number) => get(x, [...idx.slice(0, axis), j, ...idx.slice(axis)]);
      if (op === "max" ? at(i) > at(best) : at(i) < at(best)) best = i;
    }
    return best;
  });
}

export function matmul(a: TensorValue, b: TensorValue): Reference {
  const [m, k] = a.shape.slice(-2);
  const n = b.shape[b.rank - 1];
  const batch = broadcastShape([a.shape.slice(0, -2), b.shape.slice(0, -2)]);
  const pick = (v: TensorValue, bIdx: number[]) => {
    const own = v.shape.slice(0, -2);
    return own.map((d, i) => (d === 1 ? 0 : bIdx[i + batch.length - own.length]));
  };
  return build([...batch, m, n], (idx) => {
    const bIdx = idx.slice(0, -2);
    const [i, j] = idx.slice(-2);
    let s = 0;
    for (let l = 0; l < k; l++) s += get(a, [...pick(a, bIdx), i, l]) * get(b, [...pick(b, bIdx), l, j]);
    return s;
  });
}

export function concat(xs: readonly TensorValue[], axis: number): Reference {
  const total = xs.reduce((acc, x) => acc + x.shape[axis], 0);
  return build(
    xs[0].shape.map((d, k) => (k === axis ? total : d)),
    (idx) => {
      let i = idx[axis];
      for (const x of xs) {
        if (i < x.shape[axis])
          return get(
            x,
            idx.map((v, k) => (k === axis ? i : v)),
          );
        i -= x.shape[axis];
      }
      throw new Error("unreachable");
    },
  );
}

export function slice(x: TensorValue, begin: readonly number[], size: readonly number[]): Reference {
  const b = x.shape.map((_, k) => begin[k] ?? 0);
  const z = x.shape.map((d, k) => (size[k] === undefined || size[k] === -1 ? d - b[k] : size[k]));
  return build(z, (idx) =>
    get(
      x,
      idx.map((i, k) => i + b[k]),
    ),
  );
}

export function pad(x: TensorValue, paddings: readonly (readonly [number, number])[], value: number): Reference {
  return build(
    x.shape.map((d, k) => d + paddings[k][0] + paddings[k][1]),
    (idx) => {
      const src = idx.map((i, k) => i - paddings[k][0]);
      return src.every((i, k) => i >= 0 && i < x.shape[k]) ? get(x, src) : value;
    },
  );
}

/** out[b..., m..., i..., p...] = x[b..., m..., indices[b..., i...], p...] */
export function gather(x: TensorValue, indices: TensorValue, axis: number, batchDims: number): Reference {
  const k = indices.rank - batchDims;
  return build([...x.shape.slice(0, axis), ...indices.shape.slice(batchDims), ...x.shape.slice(axis + 1)], (idx) => {
    const pre = idx.slice(0, axis);
    const mid = idx.slice(axis, axis + k);
    const post = idx.slice(axis + k);
    const at = get(indices, [...pre.slice(0, batchDims), ...mid]);
    return get(x, [...pre, at, ...post]);
  });
}

/** The adjoint of gather: updates summed into a zero tensor with `size` entries on `axis`. */
export function scatterAdd(updates: TensorValue, indices: TensorValue, axis: number, batchDims: number, size: number): Reference {
  const k = indices.rank - batchDims;
  const shape = [...updates.shape.slice(0, axis), size, ...updates.shape.slice(axis + k)];
  const out = new Array<number>(sizeOf(shape)).fill(0);
  for (let f = 0; f < updates.size; f++) {
    const idx = unravel(f, updates.shape);
    const pre = idx.slice(0, axis);
    const at = get(indices, [...pre.slice(0, batchDims), ...idx.slice(axis, axis + k)]);
    out[ravel([...pre, at, ...idx.slice(axis + k)], shape)] += updates.data[f];
  }
  return { shape, data: out };
}

export function reverse(x: TensorValue, axes: readonly number[]): Reference {
  return build([...x.shape], (idx) =>
    get(
      x,
      idx.map((i, k) => (axes.includes(k) ? x.shape[k] - 1 - i : i)),
    ),
  );
}

/** Running sums along `axis`, from either end, with or without the entry itself. */
export function cumsum(x: TensorValue, axis: number, reverse: boolean, exclusive: boolean): Reference {
  return build([...x.shape], (idx) => {
    const n = x.shape[axis];
    const i = idx[axis];
    let s = 0;
    for (let j = 0; j < n; j++) {
      const inRange = reverse ? (exclusive ? j > i : j >= i) : exclusive ? j < i : j <= i;
      if (inRange)
        s += get(
          x,
          idx.map((v, k) => (k === axis ? j : v)),
        );
    }
    return s;
  });
}

/** Positions of the k largest (smallest) entries along the last axis; ties keep the lower index first. */
export function argTopK(x: TensorValue, k: number, largest: boolean): Reference {
  const n = x.shape[x.rank - 1];
  return build([...x.shape.slice(0, -1), k], (idx) => {
    const row = Array.from({ length: n }, (_, j) => get(x, [...idx.slice(0, -1), j]));
    const order = Array.from({ length: n }, (_, j) => j).sort((a, b) => (largest ? row[b] - row[a] : row[a] - row[b]) || a - b);
    return order[idx[idx.length - 1]];
  });
}

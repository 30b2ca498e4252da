// The distributions, as plain-JS fills: each writes the samples of one key into a typed array.
// Element i of a sample uses the counter (0, i), as JAX's partitionable Threefry does, so an
// element does not depend on the sample's size or on the backend: uniform(k, [5]) is a prefix
// of uniform(k, [10]), and split(k, n)[i] equals foldIn(k, i). (bernoulli takes two elements
// per counter, which keeps the prefix property.)
import { threefryInto } from "./threefry.js";
import { erf, erfinv, float32Above, float32Below } from "./math.js";

export type RandomParams =
  | { readonly kind: "bits"; readonly shape: readonly number[] }
  | { readonly kind: "uniform"; readonly shape: readonly number[]; readonly min: number; readonly max: number }
  | { readonly kind: "normal"; readonly shape: readonly number[]; readonly mean: number; readonly std: number }
  | {
      readonly kind: "truncatedNormal";
      readonly shape: readonly number[];
      readonly lower: number;
      readonly upper: number;
      readonly mean: number;
      readonly std: number;
    }
  | { readonly kind: "bernoulli"; readonly shape: readonly number[]; readonly p: number; readonly dtype: "bool" | "float32" }
  | { readonly kind: "randint"; readonly shape: readonly number[]; readonly min: number; readonly max: number }
  | { readonly kind: "gumbel"; readonly shape: readonly number[] }
  | { readonly kind: "permutation"; readonly shape: readonly [number] }
  | { readonly kind: "orthogonal"; readonly shape: readonly number[]; readonly gain: number }
  | { readonly kind: "split"; readonly shape: readonly [number, 2] }
  | { readonly kind: "foldIn"; readonly shape: readonly [2]; readonly data: number };

export type Kind = RandomParams["kind"];
type ParamsOf<K extends Kind> = Extract<RandomParams, { kind: K }>;
type Out = Float32Array | Int32Array | Uint8Array;

export interface Distribution<K extends Kind> {
  readonly dtype: (p: ParamsOf<K>) => "float32" | "int32" | "bool";
  /** Writes one key's sample (`size` elements) into `out` from `at`. */
  readonly fill: (k0: number, k1: number, out: Out, at: number, size: number, p: ParamsOf<K>) => void;
}

const TWO_POW_M23 = 1 / 8388608;
const TWO_POW_M32 = 1 / 4294967296;
const TWO_POW_M53 = 1 / 9007199254740992;
const block = new Int32Array(2);

/** 32 random bits for element i: the xor of both output words, as in JAX. */
function bitsAt(k0: number, k1: number, i: number): number {
  threefryInto(k0, k1, 0, i, block, 0);
  return block[0] ^ block[1];
}

/** A uniform double in [0, 1) with 53 random bits (both output words) for element i. */
function u53At(k0: number, k1: number, i: number): number {
  threefryInto(k0, k1, 0, i, block, 0);
  return ((block[0] >>> 11) * 4294967296 + (block[1] >>> 0)) * TWO_POW_M53;
}

/** A standard normal (float64) for element i: sqrt(2) erfinv(u), u on a symmetric grid in (-1, 1). */
function normalAt(k0: number, k1: number, i: number): number {
  const u = (2 * (bitsAt(k0, k1, i) >>> 9) + 1) * TWO_POW_M23 - 1;
  return Math.SQRT2 * erfinv(u);
}

/** Orthonormalises the m columns (length n, stored one after another) of `a` in place. */
function modifiedGramSchmidt(a: Float64Array, n: number, m: number): void {
  for (let j = 0; j < m; j++) {
    const cj = j * n;
    for (let i = 0; i < j; i++) {
      const ci = i * n;
      let dot = 0;
      for (let r = 0; r < n; r++) dot += a[ci + r] * a[cj + r];
      for (let r = 0; r < n; r++) a[cj + r] -= dot * a[ci + r];
    }
    let norm = 0;
    for (let r = 0; r < n; r++) norm += a[cj + r] * a[cj + r];
    norm = Math.sqrt(norm);
    // NOTE: a Gaussian column is almost surely independent of the others; guard anyway
    const inv = norm > 0 ? 1 / norm : 0;
    for (let r = 0; r < n; r++) a[cj + r] *= inv;
  }
}

export const distributions: { readonly [K in Kind]: Distribution<K> } = {
  bits: {
    dtype: () => "int32",
    fill(k0, k1, out, at, size) {
      for (let i = 0; i < size; i++) out[at + i] = bitsAt(k0, k1, i);
    },
  },
  uniform: {
    dtype: () => "float32",
    fill(k0, k1, out, at, size, { min, max }) {
      // clamp to float32s in [min, max): rounding of min + u (max - min) could reach max
      const lo = Math.fround(min) >= min ? Math.fround(min) : float32Above(min);
      const hi = Math.fround(max) < max ? Math.fround(max) : float32Below(max);
      const span = max - min;
      for (let i = 0; i < size; i++) {
        const v = Math.fround(min + (bitsAt(k0, k1, i) >>> 9) * TWO_POW_M23 * span);
        out[at + i] = v < lo ? lo : v > hi ? hi : v;
      }
    },
  },
  normal: {
    dtype: () => "float32",
    fill(k0, k1, out, at, size, { mean, std }) {
      for (let i = 0; i < size; i++) out[at + i] = mean + std * normalAt(k0, k1, i);
    },
  },
  truncatedNormal: {
    dtype: () => "float32",
    fill(k0, k1, out, at, size, { lower, upper, mean, std }) {
      // inverse CDF restricted to [erf(lower / sqrt 2), erf(upper / sqrt 2)], then an open clamp
      const a = erf(lower / Math.SQRT2);
      const b = erf(upper / Math.SQRT2);
      const lo = float32Above(mean + std * lower);
      const hi = float32Below(mean + std * upper);
      for (let i = 0; i < size; i++) {
        const f = ((bitsAt(k0, k1, i) >>> 9) + 0.5) * TWO_POW_M23;
        const v = Math.fround(mean + std * Math.SQRT2 * erfinv(a + f * (b - a)));
        out[at + i] = v < lo ? lo : v > hi ? hi : v;
      }
    },
  },
  bernoulli: {
    dtype: (p) => p.dtype,
    fill(k0, k1, out, at, size, { p }) {
      // NOTE: the dropout hot path, so both 32-bit words of a block are used: elements 2j and
      // 2j + 1 come from counter j (half the hashing; still independent of the sample's size)
      const threshold = p * 4294967296;
      for (let e = 0; e < size; e += 2) {
        threefryInto(k0, k1, 0, e >>> 1, block, 0);
        out[at + e] = block[0] >>> 0 < threshold ? 1 : 0;
        if (e + 1 < size) out[at + e + 1] = block[1] >>> 0 < threshold ? 1 : 0;
      }
    },
  },
  randint: {
    dtype: () => "int32",
    fill(k0, k1, out, at, size, { min, max }) {
      // 53 bits per draw: the modulo bias of floor(u * span) is below span / 2^53 < 2^-20
      const span = max - min;
      for (let i = 0; i < size; i++) out[at + i] = min + Math.floor(u53At(k0, k1, i) * span);
    },
  },
  gumbel: {
    dtype: () => "float32",
    fill(k0, k1, out, at, size) {
      for (let i = 0; i < size; i++) {
        const u = ((bitsAt(k0, k1, i) >>> 0) + 0.5) * TWO_POW_M32; // in (0, 1): both logs finite
        out[at + i] = -Math.log(-Math.log(u));
      }
    },
  },
  permutation: {
    dtype: () => "int32",
    fill(k0, k1, out, at, size) {
      // Fisher-Yates; step i draws its index from counter i
      for (let i = 0; i < size; i++) out[at + i] = i;
      for (let i = size - 1; i > 0; i--) {
        const j = Math.floor(u53At(k0, k1, i) * (i + 1));
        const t = out[at + i];
        out[at + i] = out[at + j];
        out[at + j] = t;
      }
    },
  },
  orthogonal: {
    dtype: () => "float32",
    fill(k0, k1, out, at, size, { shape, gain }) {
      // Haar-distributed: QR of a Gaussian matrix with R's diagonal made positive, which is
      // what Gram-Schmidt produces. Rows = all dims but the last (conv kernels flatten).
      const cols = shape[shape.length - 1];
      const rows = cols === 0 ? 0 : size / cols;
      const n = Math.max(rows, cols);
      const m = Math.min(rows, cols);
      const a = new Float64Array(n * m);
      for (let e = 0; e < n * m; e++) a[e] = normalAt(k0, k1, e);
      modifiedGramSchmidt(a, n, m);
      if (rows >= cols) {
        for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[at + r * cols + c] = gain * a[c * n + r];
      } else {
        for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[at + r * cols + c] = gain * a[r * n + c];
      }
    },
  },
  split: {
    dtype: () => "int32",
    fill(k0, k1, out, at, _size, { shape }) {
      const tmp = new Int32Array(2);
      for (let i = 0; i < shape[0]; i++) {
        threefryInto(k0, k1, 0, i, tmp, 0);
        out[at + 2 * i] = tmp[0];
        out[at + 2 * i + 1] = tmp[1];
      }
    },
  },
  foldIn: {
    dtype: () => "int32",
    fill(k0, k1, out, at, _size, { data }) {
      const tmp = new Int32Array(2);
      threefryInto(k0, k1, 0, data | 0, tmp, 0);
      out[at] = tmp[0];
      out[at + 1] = tmp[1];
    },
  },
};

/** Runs `kind`'s fill for each key in `keys` (pairs of int32 words); the output holds the samples in key order. */
export function sample(p: RandomParams, keys: Int32Array): Out {
  const dist = distributions[p.kind] as Distribution<Kind>;
  const dtype = dist.dtype(p);
  let size = 1;
  for (const d of p.shape) size *= d;
  const nKeys = keys.length / 2;
  const out =
    dtype === "float32" ? new Float32Array(nKeys * size) : dtype === "int32" ? new Int32Array(nKeys * size) : new Uint8Array(nKeys * size);
  for (let b = 0; b < nKeys; b++) dist.fill(keys[2 * b], keys[2 * b + 1], out, b * size, size, p);
  return out;
}

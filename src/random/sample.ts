// The samplers: argument checks, then one `random` primitive call (categorical adds two more).
import type { Shape } from "../../typelevel/index.js";
import { Tensor, formatShape, type AnyTensor, DTypeError, ShapeError, ValueError, expectOptions } from "../tensor/index.js";
import { bind, scoped, add, argmax } from "../core/index.js";
import { randomP } from "./primitive.js";
import type { RandomParams } from "./distributions.js";
import { checkKey, describe, type Key } from "./key.js";

/** A shape argument as the tensor type shows it: `[3, 4]`, not `readonly [3, 4]`. */
export type Dims<S extends readonly number[]> = { -readonly [K in keyof S]: S[K] };

/** Counters are 32-bit: one key draws at most 2^32 values per call. */
const MAX_SIZE = 2 ** 32;

function checkShape(op: string, shape: unknown): asserts shape is readonly number[] {
  if (!Array.isArray(shape))
    throw new ValueError(
      { op: op, expected: "an array of dims", got: describe(shape) },
      `${op}: shape must be an array of dims, got ${describe(shape)}`,
    );
  let size = 1;
  shape.forEach((d, i) => {
    if (typeof d !== "number" || !Number.isInteger(d) || d < 0) {
      throw new ValueError(
        { op: op, expected: `a non-negative integer at dim ${i}`, got: describe(d) },
        `${op}: dim ${i} of shape ${formatShape(shape)} must be a non-negative integer, got ${describe(d)}`,
      );
    }
    size *= d;
  });
  if (size >= MAX_SIZE)
    throw new ShapeError(
      { op: op, expected: "fewer than 2^32 elements", got: `${size} elements` },
      `${op}: shape ${formatShape(shape)} has ${size} elements; one draw holds fewer than 2^32 (split the key)`,
    );
}

function checkFinite(op: string, name: string, v: unknown): asserts v is number {
  if (typeof v !== "number" || !Number.isFinite(v))
    throw new ValueError(
      { op: op, expected: `a finite ${name}`, got: describe(v) },
      `${op}: ${name} must be a finite number, got ${describe(v)}`,
    );
}

// NOTE: core's op surface is untyped (AnyTensor); each sampler's return type states the shape and
// dtype its params produce (the `random` primitive's shape rule computes the same at run time).
function draw(op: string, k: unknown, p: RandomParams): AnyTensor {
  checkKey(op, k);
  // a copy: jit keeps params in its graph, and the caller may reuse the shape array
  return bind(randomP, [k], { ...p, shape: [...p.shape] });
}

/**
 * Uniform float32 samples in [min, max) (default [0, 1)), 23 random bits each.
 * ```ts
 * const u = uniform(key(0), [2, 3], { min: -1, max: 1 });   // Tensor<[2, 3]>
 * ```
 */
export function uniform<const S extends readonly number[]>(k: Key, shape: S, opts: { min?: number; max?: number } = {}): Tensor<Dims<S>> {
  expectOptions("uniform", opts);
  const { min = 0, max = 1 } = opts;
  checkShape("uniform", shape);
  checkFinite("uniform", "min", min);
  checkFinite("uniform", "max", max);
  if (!(min < max))
    throw new ValueError(
      { op: "uniform", expected: "min < max", got: `min=${min}, max=${max}` },
      `uniform: min must be less than max, got min=${min}, max=${max}`,
    );
  return draw("uniform", k, { kind: "uniform", shape, min, max }) as Tensor<Dims<S>>;
}

/**
 * Normal float32 samples, `mean + std * z` with z = sqrt(2) erfinv(u) (inverse CDF, one
 * uniform per sample, so each element depends only on its index).
 * ```ts
 * const w = normal(key(0), [784, 500], { std: 0.05 });   // Tensor<[784, 500]>
 * ```
 */
export function normal<const S extends readonly number[]>(k: Key, shape: S, opts: { mean?: number; std?: number } = {}): Tensor<Dims<S>> {
  expectOptions("normal", opts);
  const { mean = 0, std = 1 } = opts;
  checkShape("normal", shape);
  checkFinite("normal", "mean", mean);
  checkFinite("normal", "std", std);
  if (std < 0)
    throw new ValueError(
      { op: "normal", expected: "a non-negative std", got: String(std) },
      `normal: std must be non-negative, got ${std}`,
    );
  return draw("normal", k, { kind: "normal", shape, mean, std }) as Tensor<Dims<S>>;
}

/**
 * Normal samples conditioned on lower < z < upper (in standard deviations; default (-2, 2)),
 * then scaled: `mean + std * z`. Every value lies strictly inside the scaled bounds. Exact
 * inverse-CDF sampling; bounds beyond ~5 on the same side lose precision (as in JAX).
 * ```ts
 * const w = truncatedNormal(key(0), [3, 3], { lower: -1, upper: 1 });
 * ```
 */
export function truncatedNormal<const S extends readonly number[]>(
  k: Key,
  shape: S,
  opts: { lower?: number; upper?: number; mean?: number; std?: number } = {},
): Tensor<Dims<S>> {
  expectOptions("truncatedNormal", opts);
  const { lower = -2, upper = 2, mean = 0, std = 1 } = opts;
  checkShape("truncatedNormal", shape);
  for (const [name, v] of [
    ["lower", lower],
    ["upper", upper],
  ] as const) {
    if (typeof v !== "number" || Number.isNaN(v))
      throw new ValueError(
        { op: "truncatedNormal", expected: `a number ${name}`, got: describe(v) },
        `truncatedNormal: ${name} must be a number, got ${describe(v)}`,
      );
  }
  if (!(lower < upper))
    throw new ValueError(
      { op: "truncatedNormal", expected: "lower < upper", got: `lower=${lower}, upper=${upper}` },
      `truncatedNormal: lower must be less than upper, got lower=${lower}, upper=${upper}`,
    );
  checkFinite("truncatedNormal", "mean", mean);
  checkFinite("truncatedNormal", "std", std);
  if (!(std > 0))
    throw new ValueError(
      { op: "truncatedNormal", expected: "a positive std", got: String(std) },
      `truncatedNormal: std must be positive, got ${std}`,
    );
  return draw("truncatedNormal", k, { kind: "truncatedNormal", shape, lower, upper, mean, std }) as Tensor<Dims<S>>;
}

/** Options of `bernoulli(key, shape, { p, dtype })`. */
export interface BernoulliOptions<D extends "bool" | "float32" = "bool" | "float32"> {
  /** Probability of true (1), in [0, 1]. Default 0.5. */
  p?: number;
  /** `"bool"` (default, as JAX) or `"float32"` 0/1 (handy for a dropout mask). */
  dtype?: D;
}

/**
 * True with probability `p` (default 0.5): a bool tensor (as JAX), or float32 0/1 with
 * `dtype: "float32"` (handy for a dropout mask). 32 random bits per sample.
 * ```ts
 * const keep = bernoulli(key(1), [128, 500], { p: 0.9 });                     // Tensor<[128, 500], "bool">
 * const mask = bernoulli(key(1), [128, 500], { p: 0.9, dtype: "float32" });   // Tensor<[128, 500]>
 * ```
 */
export function bernoulli<const S extends readonly number[], D extends "bool" | "float32" = "bool">(
  k: Key,
  shape: S,
  opts: BernoulliOptions<D> = {},
): Tensor<Dims<S>, D> {
  expectOptions("bernoulli", opts);
  const { p = 0.5, dtype = "bool" } = opts;
  if (typeof p !== "number" || !(p >= 0 && p <= 1))
    throw new ValueError(
      { op: "bernoulli", expected: "p in [0, 1]", got: describe(p) },
      `bernoulli: p must be in [0, 1], got ${describe(p)}`,
    );
  checkShape("bernoulli", shape);
  if (dtype !== "bool" && dtype !== "float32")
    throw new DTypeError(
      { op: "bernoulli", expected: '"bool" or "float32"', got: describe(dtype) },
      `bernoulli: dtype must be "bool" or "float32", got ${describe(dtype)}`,
    );
  return draw("bernoulli", k, { kind: "bernoulli", shape, p, dtype }) as Tensor<Dims<S>, D>;
}

/**
 * Uniform integers in [min, max) as int32 (53 random bits each, so the bias is below 2^-20).
 * ```ts
 * const idx = randint(key(0), [32], { min: 0, max: 60000 });   // Tensor<[32], "int32">
 * ```
 */
export function randint<const S extends readonly number[]>(
  k: Key,
  shape: S,
  opts: { min?: number; max: number },
): Tensor<Dims<S>, "int32"> {
  const { min = 0, max } = opts ?? ({} as { max: number });
  checkShape("randint", shape);
  for (const [name, v] of [
    ["min", min],
    ["max", max],
  ] as const) {
    if (typeof v !== "number" || !Number.isInteger(v) || v < -2147483648 || v > 2147483648) {
      throw new ValueError(
        { op: "randint", expected: `an integer ${name} in [-2^31, 2^31]`, got: describe(v) },
        `randint: ${name} must be an integer in [-2^31, 2^31], got ${describe(v)}`,
      );
    }
  }
  if (!(min < max))
    throw new ValueError(
      { op: "randint", expected: "min < max", got: `min=${min}, max=${max}` },
      `randint: min must be less than max, got min=${min}, max=${max}`,
    );
  return draw("randint", k, { kind: "randint", shape, min, max }) as Tensor<Dims<S>, "int32">;
}

/**
 * Raw random bits: int32 holding uint32 values (`x >>> 0` recovers them). Element i is the
 * xor of the two words of threefry2x32(k, [0, i]), JAX's partitionable `random_bits`.
 */
export function bits<const S extends readonly number[]>(k: Key, shape: S): Tensor<Dims<S>, "int32"> {
  checkShape("bits", shape);
  return draw("bits", k, { kind: "bits", shape }) as Tensor<Dims<S>, "int32">;
}

/**
 * Standard Gumbel samples, -log(-log(u)) with u in (0, 1).
 * ```ts
 * const g = gumbel(key(0), [5]);
 * ```
 */
export function gumbel<const S extends readonly number[]>(k: Key, shape: S): Tensor<Dims<S>> {
  checkShape("gumbel", shape);
  return draw("gumbel", k, { kind: "gumbel", shape }) as Tensor<Dims<S>>;
}

type DropLast<L extends Shape> = L extends readonly [...infer Init extends Shape, unknown] ? Init : Shape;

/**
 * Category indices (int32) drawn from unnormalised log-probabilities along the last axis of
 * `logits` [..., K], by the Gumbel-max trick: argmax(logits + gumbel). `shape` defaults to the
 * batch dims of `logits`; a longer shape draws several samples per batch row (its trailing
 * dims must match the batch dims). Works on traced logits (inside jit, vmap, grad).
 * ```ts
 * const labels = categorical(key(0), logits);                 // [batch] from [batch, 10]
 * const draws = categorical(key(0), tensor([0, 1], [2]), [1000]);
 * ```
 */
export function categorical<L extends Shape>(k: Key, logits: Tensor<L>): Tensor<DropLast<L>, "int32">;
export function categorical<L extends Shape, const S extends readonly number[]>(
  k: Key,
  logits: Tensor<L>,
  shape: S,
): Tensor<Dims<S>, "int32">;
export function categorical(k: Key, logits: Tensor<Shape>, shape?: readonly number[]): AnyTensor {
  checkKey("categorical", k);
  if (!(logits instanceof Tensor) || logits.dtype !== "float32" || logits.rank === 0) {
    throw new ValueError(
      { op: "categorical", expected: "a float32 tensor [..., K]", got: describe(logits) },
      `categorical: logits must be a float32 tensor [..., K], got ${describe(logits)}`,
    );
  }
  const ls = logits.shape;
  const categories = ls[ls.length - 1];
  if (categories === 0)
    throw new ShapeError(
      { op: "categorical", expected: "at least one category", got: formatShape(ls) },
      `categorical: logits ${formatShape(ls)} have no categories (last dim 0)`,
    );
  const batch = ls.slice(0, -1);
  const out = shape ?? batch;
  checkShape("categorical", out);
  const tail = out.slice(out.length - batch.length);
  if (out.length < batch.length || batch.some((d, i) => d !== 1 && d !== tail[i])) {
    throw new ShapeError(
      { op: "categorical", expected: `trailing dims ${formatShape(batch)}`, got: formatShape(out) },
      `categorical: shape ${formatShape(out)} does not fit the batch dims ${formatShape(batch)} of logits ${formatShape(ls)} (its trailing dims must match them)`,
    );
  }
  return scoped(
    () => argmax(add(logits as AnyTensor, bind(randomP, [k], { kind: "gumbel", shape: [...out, categories] })), -1),
    (r) => [r.concrete()],
  );
}

/**
 * A uniformly random permutation of 0..n-1 (int32), by Fisher-Yates.
 * ```ts
 * const order = permutation(key(0), 60000);   // Tensor<[60000], "int32">
 * ```
 */
export function permutation<const N extends number>(k: Key, n: N): Tensor<[N], "int32"> {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n >= MAX_SIZE) {
    throw new ValueError(
      { op: "permutation", expected: "a non-negative integer n", got: describe(n) },
      `permutation: n must be a non-negative integer, got ${describe(n)}`,
    );
  }
  return draw("permutation", k, { kind: "permutation", shape: [n] }) as Tensor<[N], "int32">;
}

/**
 * A random (semi-)orthogonal matrix, Haar-distributed, times `gain`: for [rows, cols] the
 * columns are orthonormal when rows >= cols, the rows otherwise. Higher ranks are treated as
 * [product of all but the last dim, last dim] (conv kernels). QR by Gram-Schmidt in float64 JS.
 * ```ts
 * const q = orthogonal(key(0), [64, 64]);   // q^T q = I
 * ```
 */
export function orthogonal<const S extends readonly number[]>(k: Key, shape: S, opts: { gain?: number } = {}): Tensor<Dims<S>> {
  expectOptions("orthogonal", opts);
  const { gain = 1 } = opts;
  checkShape("orthogonal", shape);
  if (shape.length < 2)
    throw new ShapeError(
      { op: "orthogonal", expected: "rank >= 2", got: formatShape(shape) },
      `orthogonal: shape must have rank >= 2, got ${formatShape(shape)}`,
    );
  checkFinite("orthogonal", "gain", gain);
  return draw("orthogonal", k, { kind: "orthogonal", shape, gain }) as Tensor<Dims<S>>;
}

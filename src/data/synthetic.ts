// Small generated data sets, each a pure function of its options (and an explicit seed).
import type { Dataset } from "./dataset.js";
import { checkSeed, hostRng } from "./rng.js";
import { refused } from "../tensor/errors.js";

function checkCount(n: number, where: string): void {
  if (!Number.isInteger(n) || n <= 0) throw refused(where, `n must be a positive integer`, `${n}`);
}

function checkNonNegative(value: number, name: string, where: string): void {
  if (!Number.isFinite(value) || value < 0) throw refused(where, `${name} must be a finite number >= 0`, `${value}`);
}

/** Options of `xor({ n, noise, seed })`. */
export interface XorOptions {
  /** Samples; without it, the 4 rows of the truth table. */
  n?: number;
  /** Standard deviation of Gaussian noise added to the inputs (default 0). */
  noise?: number;
  /** Seed of the corners and the noise (default 0). */
  seed?: number;
}

/**
 * XOR: x `[N, 2]` float32 in {0, 1} (plus optional noise), y `[N]` int32 = x0 xor x1.
 * Without `n`, the truth table (00→0, 01→1, 10→1, 11→0); with `n`, corners drawn at random.
 *
 * @example
 * xor();                                   // 4 samples
 * xor({ n: 200, noise: 0.1, seed: 1 });    // noisy clouds around the corners
 */
export function xor(options: XorOptions = {}): Dataset<[number, 2], [number], "float32", "int32"> {
  const { n, noise = 0, seed = 0 } = options;
  checkSeed(seed, "xor");
  checkNonNegative(noise, "noise", "xor");
  if (n !== undefined) checkCount(n, "xor");
  const count = n ?? 4;
  const rng = hostRng(seed);
  const x = new Float32Array(count * 2);
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const corner = n === undefined ? i : rng.int(4);
    const a = corner >> 1;
    const b = corner & 1;
    x[2 * i] = a + (noise > 0 ? noise * rng.normal() : 0);
    x[2 * i + 1] = b + (noise > 0 ? noise * rng.normal() : 0);
    y[i] = a ^ b;
  }
  return { x: { data: x, shape: [count, 2], dtype: "float32" }, y: { data: y, shape: [count], dtype: "int32" }, classNames: ["0", "1"] };
}

/** Options of `twoSpirals({ n, noise, seed, turns })`. */
export interface TwoSpiralsOptions {
  /** Total samples; classes alternate (sample i has class i % 2). */
  n: number;
  /** Standard deviation of Gaussian noise on each coordinate (default 0). */
  noise?: number;
  /** Seed of the random draws (an integer): same seed, same data. */
  seed: number;
  /** Turns of each spiral (default 1.5). */
  turns?: number;
}

/**
 * Two interleaved spirals in [-1, 1]^2, the classic test of a non-linear decision boundary:
 * x `[n, 2]` float32, y `[n]` int32 in {0, 1}. Spiral 1 is spiral 0 rotated by half a turn.
 *
 * @example
 * const ds = twoSpirals({ n: 400, noise: 0.02, seed: 0 });
 */
export function twoSpirals(options: TwoSpiralsOptions): Dataset<[number, 2], [number], "float32", "int32"> {
  const { n, noise = 0, seed, turns = 1.5 } = options;
  checkCount(n, "twoSpirals");
  checkSeed(seed, "twoSpirals");
  checkNonNegative(noise, "noise", "twoSpirals");
  const rng = hostRng(seed);
  const x = new Float32Array(n * 2);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    // sqrt spreads points evenly along the arc instead of crowding the centre
    const t = Math.sqrt(rng.float());
    const angle = t * turns * 2 * Math.PI + label * Math.PI;
    x[2 * i] = t * Math.cos(angle) + noise * rng.normal();
    x[2 * i + 1] = t * Math.sin(angle) + noise * rng.normal();
    y[i] = label;
  }
  return { x: { data: x, shape: [n, 2], dtype: "float32" }, y: { data: y, shape: [n], dtype: "int32" }, classNames: ["0", "1"] };
}

/** Options of `regressionLine({ n, slope, intercept, noise, seed, xRange })`: y = slope · x + intercept + noise. */
export interface RegressionLineOptions {
  /** Samples. */
  n: number;
  /** The true slope. */
  slope: number;
  /** The true intercept. */
  intercept: number;
  /** Standard deviation of Gaussian noise on y (default 0). */
  noise?: number;
  /** Seed of the random draws (an integer): same seed, same data. */
  seed: number;
  /** x is drawn uniformly from this range (default [-1, 1]). */
  xRange?: readonly [number, number];
}

/**
 * Points on a noisy line y = slope·x + intercept + noise·ε: x `[n, 1]`, y `[n, 1]`, both float32.
 * The smallest regression problem: a fitted dense(1) layer should recover slope and intercept.
 *
 * @example
 * const ds = regressionLine({ n: 100, slope: 2, intercept: -1, noise: 0.1, seed: 0 });
 */
export function regressionLine(options: RegressionLineOptions): Dataset<[number, 1], [number, 1], "float32", "float32"> {
  const { n, slope, intercept, noise = 0, seed, xRange = [-1, 1] } = options;
  checkCount(n, "regressionLine");
  checkSeed(seed, "regressionLine");
  checkNonNegative(noise, "noise", "regressionLine");
  if (!Number.isFinite(slope) || !Number.isFinite(intercept)) {
    throw refused("regressionLine", `slope and intercept must be finite`, `${slope} and ${intercept}`);
  }
  const [low, high] = xRange;
  if (!(Number.isFinite(low) && Number.isFinite(high) && low < high)) {
    throw refused("regressionLine", `xRange must be [low, high] with low < high`, `[${low}, ${high}]`);
  }
  const rng = hostRng(seed);
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const xi = low + (high - low) * rng.float();
    x[i] = xi;
    y[i] = slope * xi + intercept + noise * rng.normal();
  }
  return { x: { data: x, shape: [n, 1], dtype: "float32" }, y: { data: y, shape: [n, 1], dtype: "float32" } };
}

/** Options of `sineWaves({ n, length, seed, target, periods, noise })`. */
export interface SineWavesOptions {
  /** Number of sequences. */
  n: number;
  /** Time steps per sequence (T). */
  length: number;
  /** Seed of the random draws (an integer): same seed, same data. */
  seed: number;
  /**
   * `"next"` (default): y `[n, 1]` float32 is the value one step after the sequence.
   * `"frequency"`: y `[n]` int32 is the frequency class of the sequence.
   */
  target?: "next" | "frequency";
  /** Periods (in steps) of the frequency classes (default [8, 16, 32]: 3 classes). */
  periods?: readonly number[];
  /** Standard deviation of Gaussian noise on each input step (default 0). */
  noise?: number;
}

/** `sineWaves` with `target: "next"`: x `[n, T, 1]`, y `[n, 1]` float32, the value after the sequence. */
export type SineWavesNext = Dataset<[number, number, 1], [number, 1], "float32", "float32">;
/** `sineWaves` with `target: "frequency"`: x `[n, T, 1]`, y `[n]` int32, the frequency class. */
export type SineWavesFrequency = Dataset<[number, number, 1], [number], "float32", "int32">;

/**
 * Sine sequences for recurrent models: x `[n, length, 1]` float32 holds
 * sin(2π·t/period + phase) with a random phase and a random period from `periods`.
 * The target is the next value (regression) or the period's class (classification).
 *
 * @example
 * const forecast = sineWaves({ n: 256, length: 20, seed: 0 });                        // y [256, 1]
 * const classify = sineWaves({ n: 256, length: 20, seed: 0, target: "frequency" });   // y [256]
 */
export function sineWaves(options: SineWavesOptions & { target: "frequency" }): SineWavesFrequency;
export function sineWaves(options: SineWavesOptions & { target?: "next" }): SineWavesNext;
export function sineWaves(options: SineWavesOptions): SineWavesNext | SineWavesFrequency;
export function sineWaves(options: SineWavesOptions): SineWavesNext | SineWavesFrequency {
  const { n, length, seed, target = "next", periods = [8, 16, 32], noise = 0 } = options;
  checkCount(n, "sineWaves");
  checkSeed(seed, "sineWaves");
  checkNonNegative(noise, "noise", "sineWaves");
  if (!Number.isInteger(length) || length <= 0) throw refused("sineWaves", `length must be a positive integer`, `${length}`);
  if (periods.length === 0 || periods.some((p) => !(Number.isFinite(p) && p > 0))) {
    throw refused("sineWaves", `periods must be positive numbers`, `[${periods.join(", ")}]`);
  }
  if (target !== "next" && target !== "frequency")
    throw refused("sineWaves", `target must be "next" or "frequency"`, `${JSON.stringify(target)}`);
  const rng = hostRng(seed);
  const x = new Float32Array(n * length);
  const next = new Float32Array(n);
  const classes = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = rng.int(periods.length);
    const omega = (2 * Math.PI) / periods[k];
    const phase = 2 * Math.PI * rng.float();
    for (let t = 0; t < length; t++) x[i * length + t] = Math.sin(omega * t + phase) + (noise > 0 ? noise * rng.normal() : 0);
    next[i] = Math.sin(omega * length + phase);
    classes[i] = k;
  }
  const xs = { data: x, shape: [n, length, 1] as [number, number, 1], dtype: "float32" as const };
  if (target === "frequency") {
    return { x: xs, y: { data: classes, shape: [n], dtype: "int32" }, classNames: periods.map((p) => `period ${p}`) };
  }
  return { x: xs, y: { data: next, shape: [n, 1], dtype: "float32" } };
}

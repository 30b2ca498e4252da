// Parameter initializers: `(key, shape, opts?) => Tensor<shape>`, all float32. Kernel layouts
// are TensorFlow's: dense [in, out], conv [kh, kw, cin, cout] (conv1d [k, cin, cout]).
import { fill, formatShape, type Tensor, ValueError, expectOptions } from "../tensor/index.js";
import { checkKey, normal, type Dims, orthogonal as randomOrthogonal, truncatedNormal, uniform, type Key } from "../random/index.js";
import { TRUNCATED_STD_2 } from "../random/math.js";

/** Per-call options of an initializer: `glorotUniform(key, [4, 256], { fanIn: 4, fanOut: 64 })`. */
export interface InitOptions {
  /** Overrides the fan-in computed from the shape (e.g. for fused gate kernels). */
  fanIn?: number;
  /** Overrides the fan-out computed from the shape. */
  fanOut?: number;
  /** Multiplies the standard deviation (orthogonal: the matrix). Default 1. */
  gain?: number;
}

/** An initializer: fresh values of `shape` from `key` (the key is not consumed for other draws). */
export type Initializer = <const S extends readonly number[]>(key: Key, shape: S, opts?: InitOptions) => Tensor<Dims<S>>;

/**
 * Fan-in and fan-out of a kernel shape, as in Keras and JAX: [] -> 1, 1; [n] -> n, n;
 * [in, out] -> in, out; [...receptive, in, out] -> receptive * in, receptive * out.
 * ```ts
 * fans([3, 3, 16, 32]);   // { fanIn: 144, fanOut: 288 }
 * ```
 */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0], fanOut: shape[0] };
  let receptive = 1;
  for (let i = 0; i < shape.length - 2; i++) receptive *= shape[i];
  return { fanIn: receptive * shape[shape.length - 2], fanOut: receptive * shape[shape.length - 1] };
}

function checkShape(op: string, shape: unknown): asserts shape is readonly number[] {
  const ok = Array.isArray(shape) && shape.every((d) => typeof d === "number" && Number.isInteger(d) && d >= 0);
  if (!ok)
    throw new ValueError(
      { op: op, expected: "an array of non-negative integer dims", got: Array.isArray(shape) ? formatShape(shape) : String(shape) },
      `${op}: shape must be an array of non-negative integer dims, got ${Array.isArray(shape) ? formatShape(shape) : String(shape)}`,
    );
}

function checkOptions(op: string, opts: InitOptions): void {
  expectOptions(op, opts);
  for (const name of ["fanIn", "fanOut"] as const) {
    const v = opts[name];
    if (v !== undefined && !(typeof v === "number" && Number.isFinite(v) && v > 0))
      throw new ValueError(
        { op: op, expected: `a positive number ${name}`, got: String(v) },
        `${op}: ${name} must be a positive number, got ${String(v)}`,
      );
  }
  if (opts.gain !== undefined && !(typeof opts.gain === "number" && Number.isFinite(opts.gain))) {
    throw new ValueError(
      { op: op, expected: "a finite gain", got: String(opts.gain) },
      `${op}: gain must be a finite number, got ${String(opts.gain)}`,
    );
  }
}

/** Which fan `varianceScaling` divides by: fan-in, fan-out, or their mean (Glorot). */
export type FanMode = "fanIn" | "fanOut" | "fanAvg";
/** The distribution `varianceScaling` samples from (see `VarianceScalingConfig.distribution`). */
export type Distribution = "uniform" | "normal" | "truncatedNormal";

/** The recipe of a variance-scaling initializer: He is `{ scale: 2, mode: "fanIn", ... }`. */
export interface VarianceScalingConfig {
  /** Variance = gain^2 * scale / fan. */
  scale: number;
  /** The fan in the denominator: `"fanIn"` (He, LeCun), `"fanOut"`, or `"fanAvg"` (Glorot). */
  mode: FanMode;
  /**
   * "truncatedNormal" cuts at 2 standard deviations and widens the normal so the variance is
   * still the target (Keras, JAX); "normal" is untruncated; "uniform" uses [-limit, limit] with
   * limit = sqrt(3 variance).
   */
  distribution: Distribution;
  /** Name used in error messages. */
  name?: string;
}

/**
 * The family behind Glorot, He and LeCun: zero-mean samples with variance
 * `gain^2 * scale / fan`, fan chosen by `mode`.
 * ```ts
 * const init = varianceScaling({ scale: 2, mode: "fanIn", distribution: "normal" });   // PyTorch's kaiming_normal_
 * const w = init(key(0), [784, 128]);
 * ```
 */
export function varianceScaling(config: VarianceScalingConfig): Initializer {
  const { scale, mode, distribution } = config;
  const op = config.name ?? "varianceScaling";
  if (!(typeof scale === "number" && Number.isFinite(scale) && scale > 0))
    throw new ValueError(
      { op: op, expected: "a positive scale", got: String(scale) },
      `${op}: scale must be a positive number, got ${String(scale)}`,
    );
  if (mode !== "fanIn" && mode !== "fanOut" && mode !== "fanAvg")
    throw new ValueError(
      { op: op, expected: '"fanIn", "fanOut" or "fanAvg"', got: String(JSON.stringify(mode)) },
      `${op}: mode must be "fanIn", "fanOut" or "fanAvg", got ${JSON.stringify(mode)}`,
    );
  if (distribution !== "uniform" && distribution !== "normal" && distribution !== "truncatedNormal") {
    throw new ValueError(
      { op: op, expected: '"uniform", "normal" or "truncatedNormal"', got: String(JSON.stringify(distribution)) },
      `${op}: distribution must be "uniform", "normal" or "truncatedNormal", got ${JSON.stringify(distribution)}`,
    );
  }
  const init = <const S extends readonly number[]>(key: Key, shape: S, opts: InitOptions = {}): Tensor<Dims<S>> => {
    checkKey(op, key);
    checkShape(op, shape);
    checkOptions(op, opts);
    const computed = fans(shape);
    const fanIn = opts.fanIn ?? computed.fanIn;
    const fanOut = opts.fanOut ?? computed.fanOut;
    const fan = mode === "fanIn" ? fanIn : mode === "fanOut" ? fanOut : (fanIn + fanOut) / 2;
    const gain = opts.gain ?? 1;
    // an empty kernel has fan 0: nothing to draw, and no division by zero
    const variance = fan > 0 ? (gain * gain * scale) / fan : 0;
    if (distribution === "uniform") {
      const limit = Math.sqrt(3 * variance);
      return limit > 0 ? uniform(key, shape, { min: -limit, max: limit }) : fill(shape, 0);
    }
    if (distribution === "normal") return normal(key, shape, { std: Math.sqrt(variance) });
    return variance > 0 ? truncatedNormal(key, shape, { std: Math.sqrt(variance) / TRUNCATED_STD_2 }) : fill(shape, 0);
  };
  return init;
}

/** Xavier/Glorot uniform: variance 2 / (fanIn + fanOut), on [-limit, limit]. */
export const glorotUniform: Initializer = varianceScaling({ scale: 1, mode: "fanAvg", distribution: "uniform", name: "glorotUniform" });
/** Xavier/Glorot normal: variance 2 / (fanIn + fanOut), truncated at 2 std (as Keras and JAX). */
export const glorotNormal: Initializer = varianceScaling({
  scale: 1,
  mode: "fanAvg",
  distribution: "truncatedNormal",
  name: "glorotNormal",
});
/** He/Kaiming uniform: variance 2 / fanIn (for ReLU layers). */
export const heUniform: Initializer = varianceScaling({ scale: 2, mode: "fanIn", distribution: "uniform", name: "heUniform" });
/** He/Kaiming normal: variance 2 / fanIn, truncated at 2 std. */
export const heNormal: Initializer = varianceScaling({ scale: 2, mode: "fanIn", distribution: "truncatedNormal", name: "heNormal" });
/** LeCun uniform: variance 1 / fanIn (for SELU). */
export const lecunUniform: Initializer = varianceScaling({ scale: 1, mode: "fanIn", distribution: "uniform", name: "lecunUniform" });
/** LeCun normal: variance 1 / fanIn, truncated at 2 std. */
export const lecunNormal: Initializer = varianceScaling({ scale: 1, mode: "fanIn", distribution: "truncatedNormal", name: "lecunNormal" });

/**
 * All zeros (the key is checked, not used).
 * ```ts
 * const b = zeros(key(0), [128]);
 * ```
 */
export const zeros: Initializer = (key, shape) => {
  checkKey("zeros", key);
  checkShape("zeros", shape);
  return fill(shape, 0);
};

/** All ones (the key is checked, not used). */
export const ones: Initializer = (key, shape) => {
  checkKey("ones", key);
  checkShape("ones", shape);
  return fill(shape, 1);
};

/**
 * An initializer that fills with `value`.
 * ```ts
 * const forgetBias = constant(1)(key(0), [64]);
 * ```
 */
export function constant(value: number): Initializer {
  if (typeof value !== "number" || !Number.isFinite(value))
    throw new ValueError(
      { op: "constant", expected: "a finite number", got: String(value) },
      `constant: value must be a finite number, got ${String(value)}`,
    );
  return (key, shape) => {
    checkKey("constant", key);
    checkShape("constant", shape);
    return fill(shape, value);
  };
}

/**
 * A random (semi-)orthogonal kernel times `gain` (Saxe et al. 2014): for [in, out] with
 * in >= out the columns are orthonormal, else the rows; conv kernels flatten to
 * [kh * kw * cin, cout]. Needs rank >= 2.
 * ```ts
 * const w = orthogonal(key(0), [64, 64], { gain: Math.SQRT2 });
 * ```
 */
export const orthogonal: Initializer = (key, shape, opts = {}) => {
  checkKey("orthogonal", key);
  checkOptions("orthogonal", opts);
  expectOptions("orthogonal", opts);
  return randomOrthogonal(key, shape, { gain: opts.gain ?? 1 });
};

/**
 * Every named initializer, for configs given as strings and for registry-driven tests.
 * (`constant(v)` and `varianceScaling(config)` make initializers and are not listed.)
 */
export const initializers = {
  zeros,
  ones,
  glorotUniform,
  glorotNormal,
  heUniform,
  heNormal,
  lecunUniform,
  lecunNormal,
  orthogonal,
} satisfies Record<string, Initializer>;

/** The name of an initializer in `initializers`: `"glorotUniform"`, `"heNormal"`, `"zeros"`, ... */
export type InitializerName = keyof typeof initializers;

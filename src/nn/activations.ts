// Activation functions: shape-preserving maps of float tensors. The common ones are ops' (one
// definition each: relu, sigmoid, tanh, softplus, and softmax / logSoftmax, max-shifted so they
// stay finite at extreme logits); the rest are built here from primitives, so every transform
// applies. `layers/activation.ts` wraps each as a layer.
import type { Shape } from "../../typelevel/index.js";
import type { AnyTensor, Tensor } from "../tensor/index.js";
import * as E from "../core/index.js";
import { logSoftmax, relu, sigmoid, softmax, softplus, tanh } from "../ops/index.js";
import { ValueError, expectOptions } from "../tensor/index.js";

export { logSoftmax, relu, sigmoid, softmax, softplus, tanh };

/** A shape-preserving activation of a float tensor. */
export type Activation = <S extends Shape>(x: Tensor<S>) => Tensor<S>;

// NOTE: the core surface is untyped; each function below keeps its input's shape, as the type says.
// Each runs scoped, so an eager call frees its intermediates.
const keepsShape = (f: (x: AnyTensor) => AnyTensor): Activation => ((x: AnyTensor) => E.scoped(() => f(x), E.leafTensors)) as Activation;
const scopedAs = <S extends Shape>(f: () => AnyTensor): Tensor<S> => E.scoped(f, E.leafTensors) as Tensor<S>;

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

/** Heaviside step: 1 where x > 0, else 0 (the perceptron's activation; zero gradient). */
export const step = keepsShape((x) => E.step(x));
/** The identity. */
export const linear = keepsShape((x) => x);
/** x for x > 0, alpha·x otherwise. */
export function leakyRelu<S extends Shape>(x: Tensor<S>, alpha = 0.01): Tensor<S> {
  return scopedAs(() => E.maximum(x, E.mul(x, alpha)));
}
/** x for x > 0, alpha·(e^x − 1) otherwise. */
export function elu<S extends Shape>(x: Tensor<S>, alpha = 1): Tensor<S> {
  // NOTE: expm1 of min(x, 0) keeps the unused branch finite, so its gradient is not NaN.
  return scopedAs(() => E.where(E.greater(x, 0), x, E.mul(alpha, E.expm1(E.minimum(x, 0)))));
}
/** Self-normalising ELU with the published constants. */
export const selu = keepsShape((x) => E.mul(SELU_SCALE, elu(x as Tensor<Shape>, SELU_ALPHA)));
/** x·sigmoid(x) (a.k.a. SiLU). */
export const swish = keepsShape((x) => E.mul(x, E.sigmoid(x)));
/** x·sigmoid(x): the same function as `swish`, under its other name. */
export const silu = swish;
/** Options of `gelu(x, options)` and `nn.gelu(options)`. */
export interface GeluOptions {
  /**
   * "none" (default): the exact 0.5·x·(1 + erf(x/√2)), the default of PyTorch (`approximate="none"`)
   * and Keras (`approximate=False`); "tanh": 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), PyTorch's
   * `approximate="tanh"`, Keras' `approximate=True` and the default of `jax.nn.gelu`.
   */
  readonly approximate?: "none" | "tanh";
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** The `approximate` option, checked: "none" or "tanh". */
export function geluApproximation(op: string, options: GeluOptions | undefined): "none" | "tanh" {
  if (options === undefined) return "none";
  expectOptions(op, options);
  for (const k of Object.keys(options)) {
    if (k !== "approximate")
      throw new ValueError(
        { op, expected: "the option approximate", got: `"${k}"` },
        `${op}: unknown option "${k}" (options: approximate)`,
      );
  }
  const a = options.approximate ?? "none";
  if (a !== "none" && a !== "tanh") {
    const got = JSON.stringify(a) ?? String(a);
    throw new ValueError({ op, expected: '"none" or "tanh"', got }, `${op}: approximate must be "none" or "tanh", got ${got}`);
  }
  return a;
}

/**
 * Gaussian error linear unit (Hendrycks & Gimpel 2016): by default the exact 0.5·x·(1 + erf(x/√2)),
 * as PyTorch and Keras compute it; `{ approximate: "tanh" }` gives the tanh approximation (GPT-2's,
 * `jax.nn.gelu`'s default). The two differ by at most about 5e-4.
 * ```ts
 * activations.gelu(x);                            // exact
 * activations.gelu(x, { approximate: "tanh" });   // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
 * ```
 */
export function gelu<S extends Shape>(x: Tensor<S>, options?: GeluOptions): Tensor<S> {
  if (geluApproximation("gelu", options) === "tanh") {
    return scopedAs(() => {
      const inner = E.mul(SQRT_2_OVER_PI, E.add(x, E.mul(0.044715, E.mul(x, E.square(x)))));
      return E.mul(E.mul(0.5, x), E.add(1, E.tanh(inner)));
    });
  }
  return scopedAs(() => E.mul(E.mul(0.5, x), E.add(1, E.erf(E.mul(x, Math.SQRT1_2)))));
}
/** Smooth ReLU (SmeLU): 0 for x ≤ −β, (x+β)²/(4β) for |x| < β, x for x ≥ β. */
export function smelu<S extends Shape>(x: Tensor<S>, beta = 1): Tensor<S> {
  if (!(beta > 0))
    throw new ValueError({ op: "smelu", expected: "a positive beta", got: String(beta) }, `smelu: beta must be positive, got ${beta}`);
  return scopedAs(() => {
    const mid = E.div(E.square(E.add(x, beta)), 4 * beta);
    return E.where(E.lessEqual(x, -beta), 0, E.where(E.greaterEqual(x, beta), x, mid));
  });
}

/** Every activation by name (for configs given as strings and for registry-driven tests). */
export const activations = {
  step,
  sigmoid,
  tanh,
  relu,
  softplus,
  linear,
  /** x for x > 0, alpha·x otherwise (alpha defaults to 0.01). */
  leakyRelu,
  /** x for x > 0, alpha·(e^x − 1) otherwise (alpha defaults to 1). */
  elu,
  selu,
  swish,
  silu,
  /** The exact GELU, or its tanh approximation with `{ approximate: "tanh" }`. */
  gelu,
  /** Smooth ReLU with half-width beta (default 1). */
  smelu,
  /** Softmax over the last axis. */
  softmax,
  /** log(softmax(x)) over the last axis. */
  logSoftmax,
} satisfies Record<string, Activation>;
/** The name of an activation in `activations`: `"relu"`, `"gelu"`, `"leakyRelu"`, ... */
export type ActivationName = keyof typeof activations;

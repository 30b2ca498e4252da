// Activation functions (shape-preserving), built from primitives so every transform applies.
import type { Shape } from "../../typelevel/index.js";
import type { AnyTensor, Tensor } from "../tensor/index.js";
import * as E from "../core/index.js";
import { max, sum, stopGradient } from "../core/index.js";

type Act = <S extends Shape>(x: Tensor<S>) => Tensor<S>;
const act = (f: (x: AnyTensor) => AnyTensor): Act => f as unknown as Act;

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

/** Heaviside step: 1 where x > 0, else 0 (the perceptron's activation; zero gradient). */
export const step = act((x) => E.step(x));
export const sigmoid = act(E.sigmoid);
export const tanh = act(E.tanh);
export const relu = act(E.relu);
export const softplus = act(E.softplus);
export const linear = act((x) => x);
/** x for x > 0, alpha·x otherwise. */
export function leakyRelu<S extends Shape>(x: Tensor<S>, alpha = 0.01): Tensor<S> {
  const t = x as unknown as AnyTensor;
  return E.maximum(t, E.mul(t, alpha)) as unknown as Tensor<S>;
}
/** x for x > 0, alpha·(e^x − 1) otherwise. */
export function elu<S extends Shape>(x: Tensor<S>, alpha = 1): Tensor<S> {
  const t = x as unknown as AnyTensor;
  // NOTE: expm1 of min(x, 0) keeps the unused branch finite, so its gradient is not NaN.
  return E.where(E.greater(t, 0), t, E.mul(alpha, E.expm1(E.minimum(t, 0)))) as unknown as Tensor<S>;
}
/** Self-normalising ELU with the published constants. */
export const selu = act((x) => E.mul(SELU_SCALE, elu(x as Tensor<Shape>, SELU_ALPHA)));
/** x·sigmoid(x) (a.k.a. SiLU). */
export const swish = act((x) => E.mul(x, E.sigmoid(x)));
export const silu = swish;
/** Gaussian error linear unit, exact form 0.5·x·(1 + erf(x/√2)). */
export const gelu = act((x) => E.mul(E.mul(0.5, x), E.add(1, E.erf(E.mul(x, Math.SQRT1_2)))));
/** Smooth ReLU (SmeLU): 0 for x ≤ −β, (x+β)²/(4β) for |x| < β, x for x ≥ β. */
export function smelu<S extends Shape>(x: Tensor<S>, beta = 1): Tensor<S> {
  if (!(beta > 0)) throw new Error(`smelu: beta must be positive, got ${beta}`);
  const t = x as unknown as AnyTensor;
  const mid = E.div(E.square(E.add(t, beta)), 4 * beta);
  return E.where(E.lessEqual(t, -beta), 0, E.where(E.greaterEqual(t, beta), t, mid)) as unknown as Tensor<S>;
}
/** Softmax over the last axis (max-shifted, stable). */
export const softmax = act((x) => {
  const z = E.exp(E.sub(x, stopGradient(max(x, -1, true))));
  return E.div(z, sum(z, -1, true));
});
/** log(softmax(x)) over the last axis, stable for large |x|. */
export const logSoftmax = act((x) => {
  const shifted = E.sub(x, stopGradient(max(x, -1, true)));
  return E.sub(shifted, E.log(sum(E.exp(shifted), -1, true)));
});

export const activations = {
  step,
  sigmoid,
  tanh,
  relu,
  softplus,
  linear,
  leakyRelu,
  elu,
  selu,
  swish,
  silu,
  gelu,
  smelu,
  softmax,
  logSoftmax,
} as const;
export type ActivationName = keyof typeof activations;

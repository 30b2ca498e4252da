// Activations as layers: shape-preserving, parameter-free. Every one is made by a call, like
// every other layer (`nn.relu()`, `nn.leakyRelu(0.2)`), so a layer is never a bare value.
import type { Shape } from "../../../typelevel/index.js";
import type { Tensor } from "../../tensor/index.js";
import { activations, geluApproximation, type Activation, type ActivationName, type GeluOptions } from "../activations.js";
import { defineLayer } from "./define.js";

/** An activation layer's config: which activation it applies. */
export interface ActivationConfig {
  /** The activation's name in `activations.activations`. */
  fn: ActivationName;
  /** GELU's form, when it is the tanh approximation (see `GeluOptions`). */
  approximate?: "tanh";
}

declare module "../layer.js" {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- declaration merging repeats LayerTypes' parameters
  interface LayerTypes<S extends Shape, C> {
    /** Every activation layer: the shape is kept; no params, no state. */
    activation: { out: S; params: {}; state: {} };
  }
}

function activationLayer(fn: ActivationName, f: Activation, name: string = fn, config: ActivationConfig = { fn }) {
  return defineLayer<"activation", ActivationConfig>({
    kind: "activation",
    name,
    config,
    outputShape: (s) => [...s],
    apply: (_p, x) => f(x as Tensor<Shape>),
  });
}

/** Heaviside step as a layer (zero gradient; the perceptron's). */
export const step = () => activationLayer("step", activations.step);
/** 1 / (1 + e^-x) as a layer: `[...] -> [...]`, values in (0, 1); a binary classifier's last layer. */
export const sigmoid = () => activationLayer("sigmoid", activations.sigmoid);
/** Hyperbolic tangent as a layer: `[...] -> [...]`, values in (-1, 1). `nn.dense(16)` then `nn.tanh()`. */
export const tanh = () => activationLayer("tanh", activations.tanh);
/**
 * max(x, 0) as a layer.
 * ```ts
 * nn.input(["batch", 784]).add(nn.dense(128)).add(nn.relu())
 * ```
 */
export const relu = () => activationLayer("relu", activations.relu);
/** log(1 + e^x) as a layer (a smooth relu): `[...] -> [...]`, positive values. */
export const softplus = () => activationLayer("softplus", activations.softplus);
/** Self-normalising ELU (Klambauer et al. 2017, published constants) as a layer: `[...] -> [...]`. */
export const selu = () => activationLayer("selu", activations.selu);
/** x·sigmoid(x) as a layer (the same as `silu`): `[...] -> [...]`. */
export const swish = () => activationLayer("swish", activations.swish);
/** x·sigmoid(x) as a layer (the same as `swish`): `[...] -> [...]`. */
export const silu = () => activationLayer("silu", activations.silu);
/**
 * Gaussian error linear unit as a layer: `[...] -> [...]`. Exact 0.5·x·(1 + erf(x/√2)) by default
 * (PyTorch's and Keras' default); `{ approximate: "tanh" }` for the tanh approximation.
 * ```ts
 * nn.input(["batch", 64]).add(nn.dense(256)).add(nn.gelu({ approximate: "tanh" }))
 * ```
 */
export const gelu = (options?: GeluOptions) => {
  const approximate = geluApproximation("nn.gelu", options);
  return approximate === "tanh"
    ? activationLayer("gelu", (x) => activations.gelu(x, { approximate }), "gelu(tanh)", { fn: "gelu", approximate })
    : activationLayer("gelu", (x) => activations.gelu(x));
};
/** Softmax over the last axis as a layer (max-shifted, finite at extreme logits). */
export const softmax = () => activationLayer("softmax", activations.softmax);
/** log(softmax(x)) over the last axis as a layer, computed as x − logSumExp(x). */
export const logSoftmax = () => activationLayer("logSoftmax", activations.logSoftmax);
/** x for x > 0, alpha·x otherwise, as a layer: `[...] -> [...]`. `nn.leakyRelu(0.2)`; alpha defaults to 0.01. */
export const leakyRelu = (alpha = 0.01) => activationLayer("leakyRelu", (x) => activations.leakyRelu(x, alpha), `leakyRelu(${alpha})`);
/** x for x > 0, alpha·(e^x − 1) otherwise, as a layer: `[...] -> [...]`. alpha defaults to 1. */
export const elu = (alpha = 1) => activationLayer("elu", (x) => activations.elu(x, alpha), `elu(${alpha})`);
/** Smooth ReLU: 0 for x ≤ −β, (x+β)²/(4β) for |x| < β, x for x ≥ β, as a layer: `[...] -> [...]`. beta defaults to 1. */
export const smelu = (beta = 1) => activationLayer("smelu", (x) => activations.smelu(x, beta), `smelu(${beta})`);

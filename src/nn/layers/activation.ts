// Activations as layers: shape-preserving, parameter-free. Every one is made by a call, like
// every other layer (`nn.relu()`, `nn.leakyRelu(0.2)`), so a layer is never a bare value.
import type { Shape } from "../../../typelevel/index.js";
import type { Tensor } from "../../tensor/index.js";
import { activations, type Activation, type ActivationName } from "../activations.js";
import { defineLayer } from "./define.js";

export interface ActivationConfig {
  fn: ActivationName;
}

declare module "../layer.js" {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- declaration merging repeats LayerTypes' parameters
  interface LayerTypes<S extends Shape, C> {
    activation: { out: S; params: {}; state: {} };
  }
}

function activationLayer(fn: ActivationName, f: Activation, name: string = fn) {
  return defineLayer<"activation", ActivationConfig>({
    kind: "activation",
    name,
    config: { fn },
    outputShape: (s) => [...s],
    apply: (_p, x) => f(x as Tensor<Shape>),
  });
}

/** Heaviside step as a layer (zero gradient; the perceptron's). */
export const step = () => activationLayer("step", activations.step);
export const sigmoid = () => activationLayer("sigmoid", activations.sigmoid);
export const tanh = () => activationLayer("tanh", activations.tanh);
/**
 * max(x, 0) as a layer.
 * ```ts
 * nn.input(["batch", 784]).add(nn.dense(128)).add(nn.relu())
 * ```
 */
export const relu = () => activationLayer("relu", activations.relu);
export const softplus = () => activationLayer("softplus", activations.softplus);
export const selu = () => activationLayer("selu", activations.selu);
export const swish = () => activationLayer("swish", activations.swish);
export const silu = () => activationLayer("silu", activations.silu);
export const gelu = () => activationLayer("gelu", activations.gelu);
/** Softmax over the last axis as a layer (max-shifted, finite at extreme logits). */
export const softmax = () => activationLayer("softmax", activations.softmax);
/** log(softmax(x)) over the last axis as a layer, computed as x − logSumExp(x). */
export const logSoftmax = () => activationLayer("logSoftmax", activations.logSoftmax);
export const leakyRelu = (alpha = 0.01) => activationLayer("leakyRelu", (x) => activations.leakyRelu(x, alpha), `leakyRelu(${alpha})`);
export const elu = (alpha = 1) => activationLayer("elu", (x) => activations.elu(x, alpha), `elu(${alpha})`);
export const smelu = (beta = 1) => activationLayer("smelu", (x) => activations.smelu(x, beta), `smelu(${beta})`);

// Activations as layers: shape-preserving, parameter-free.
import type { Shape } from "../../../typelevel/index.js";
import type { AnyTensor } from "../../tensor/index.js";
import { activations, leakyRelu as leakyReluFn, elu as eluFn, smelu as smeluFn, type ActivationName } from "../activations.js";
import { defineLayer } from "./define.js";

export interface ActivationConfig {
  fn: ActivationName;
}

declare module "../layer.js" {
  interface LayerTypes<S extends Shape, C> {
    activation: { out: S; params: {}; state: {} };
  }
}

function activationLayer(fn: ActivationName, f: (x: AnyTensor) => AnyTensor, name: string = fn) {
  return defineLayer<"activation", ActivationConfig>({
    kind: "activation",
    name,
    config: { fn },
    outputShape: (s) => [...s],
    apply: (_p, x) => f(x),
  });
}

const fromTable = (n: ActivationName) => activationLayer(n, activations[n] as unknown as (x: AnyTensor) => AnyTensor);

export const step = fromTable("step");
export const sigmoid = fromTable("sigmoid");
export const tanh = fromTable("tanh");
export const relu = fromTable("relu");
export const softplus = fromTable("softplus");
export const selu = fromTable("selu");
export const swish = fromTable("swish");
export const silu = fromTable("silu");
export const gelu = fromTable("gelu");
export const softmax = fromTable("softmax");
export const logSoftmax = fromTable("logSoftmax");
export const leakyRelu = (alpha = 0.01) => activationLayer("leakyRelu", (x) => leakyReluFn(x as never, alpha), `leakyRelu(${alpha})`);
export const elu = (alpha = 1) => activationLayer("elu", (x) => eluFn(x as never, alpha), `elu(${alpha})`);
export const smelu = (beta = 1) => activationLayer("smelu", (x) => smeluFn(x as never, beta), `smelu(${beta})`);

// dense: y = x · kernel + bias over the last axis.
import type { Dim, IsAny, Shape } from "../../../typelevel/index.js";
import type { Tensor } from "../../tensor/index.js";
import { add } from "../../core/primitives/elementwise.js";
import { matmul } from "../../core/primitives/matmul.js";
import { reshape } from "../../core/primitives/shape.js";
import { split } from "../../random/index.js";
import { glorotUniform, zeros, type Initializer } from "../init.js";
import type { LayerError } from "../layer.js";
import { defineLayer, expectRank, positiveInt } from "./define.js";

export interface DenseConfig<U extends number = number> {
  units: U;
  useBias: boolean;
}

declare module "../layer.js" {
  interface LayerTypes<S extends Shape, C> {
    dense: C extends DenseConfig<infer U>
      ? IsAny<S> extends true
        ? { out: any; params: { kernel: Tensor<[number, U]>; bias: Tensor<[U]> }; state: {} }
        : S extends readonly [...infer Lead extends Dim[], infer F extends Dim]
          ? { out: [...Lead, U]; params: { kernel: Tensor<[F, U]>; bias: Tensor<[U]> }; state: {} }
          : { out: LayerError<`dense(${U})`, "[..., features]", S>; params: never; state: {} }
      : never;
  }
}

export interface DenseOptions {
  useBias?: boolean;
  kernelInit?: Initializer;
  biasInit?: Initializer;
}

/**
 * Fully connected layer over the last axis: `[..., F] -> [..., units]`.
 * ```ts
 * const m = nn.input(["batch", 784]).add(nn.dense(128));   // Model<["batch", 784], ["batch", 128], ...>
 * ```
 */
export function dense<const U extends number>(units: U, opts: DenseOptions = {}) {
  const name = `dense(${units})`;
  positiveInt("dense", "units", units);
  const useBias = opts.useBias ?? true;
  const kernelInit = opts.kernelInit ?? glorotUniform;
  const biasInit = opts.biasInit ?? zeros;
  return defineLayer<"dense", DenseConfig<U>>({
    kind: "dense",
    name,
    config: { units, useBias },
    outputShape(s) {
      expectRank(name, "[..., features]", s, s.length >= 1);
      return [...s.slice(0, -1), units];
    },
    init(key, s) {
      const [k1, k2] = split(key, 2);
      const f = s[s.length - 1];
      return { kernel: kernelInit(k1, [f, units]), bias: useBias ? biasInit(k2, [units]) : zeros(k2, [units]) };
    },
    apply(p, x) {
      const s = x.shape as readonly number[];
      const h = s.length === 1 ? reshape(matmul(reshape(x, [1, s[0]]), p.kernel), [units]) : matmul(x, p.kernel);
      return useBias ? add(h, p.bias) : h;
    },
  });
}

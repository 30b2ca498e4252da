// maxout (Goodfellow et al. 2013): `pieces` affine maps per unit, the unit outputs their maximum.
import type { Dim, IsAny, Mul, Shape } from "../../../typelevel/index.js";
import type { Tensor } from "../../tensor/index.js";
import { add, max, reshape } from "../../core/index.js";
import { split } from "../../random/index.js";
import { glorotUniform, zeros } from "../init.js";
import type { LayerError, PositiveInt } from "../layer.js";
import { matmulLastAxis } from "./dense.js";
import { defineLayer, expectRank, positiveInt } from "./define.js";

type MaxoutParams<F extends Dim, U extends number, K extends number> = { kernel: Tensor<[F, Mul<U, K>]>; bias: Tensor<[Mul<U, K>]> };

// NOTE: in the IsAny branch S *is* `any` (an earlier layer failed): passing it on keeps a chain to one error.
declare module "../layer.js" {
  interface LayerTypes<S extends Shape, C> {
    /** `[..., F] -> [..., units]`; params kernel `[F, units * pieces]`, bias `[units * pieces]`. */
    maxout: C extends { units: infer U extends number; pieces: infer K extends number }
      ? IsAny<S> extends true
        ? { out: S; params: MaxoutParams<number, U, K>; state: {} }
        : S extends readonly [...infer Lead extends Dim[], infer F extends Dim]
          ? { out: [...Lead, U]; params: MaxoutParams<F, U, K>; state: {} }
          : { out: LayerError<`maxout(${U}, ${K})`, "[..., features]", S>; params: never; state: {} }
      : never;
  }
}

/**
 * Maxout units: `[..., F] -> [..., units]`, y_u = max_k (x · W[:, u * pieces + k] + b[u * pieces + k]).
 * ```ts
 * nn.input(["batch", 784]).add(nn.maxout(64, 3))   // ["batch", 64]; kernel [784, 192]
 * ```
 */
export function maxout<const U extends number, const K extends number>(
  units: U & PositiveInt<U, "maxout", "units">,
  pieces: K & PositiveInt<K, "maxout", "pieces">,
) {
  positiveInt("maxout", "units", units);
  positiveInt("maxout", "pieces", pieces);
  const name = `maxout(${units}, ${pieces})`;
  const width = (units as number) * (pieces as number);
  return defineLayer<"maxout", { units: U; pieces: K }>({
    kind: "maxout",
    name,
    config: { units: units, pieces: pieces },
    outputShape(s) {
      expectRank(name, "[..., features]", s, s.length >= 1);
      return [...s.slice(0, -1), units];
    },
    init(key, s) {
      const [k1, k2] = split(key, 2);
      // fans of one piece: each unit's pieces are separate affine maps
      return { kernel: glorotUniform(k1, [s[s.length - 1], width], { fanOut: units }), bias: zeros(k2, [width]) };
    },
    apply(p, x) {
      const z = add(matmulLastAxis(x, p.kernel), p.bias);
      return max(reshape(z, [...x.shape.slice(0, -1), units, pieces]), -1);
    },
  });
}

// upsampling2d: nearest-neighbour upsampling by an integer factor per axis (each pixel repeated).
import type { Dim, IsAny, IsTuple, Mul, Shape } from "../../../typelevel/index.js";
import { broadcastTo, reshape } from "../../core/index.js";
import type { LayerError, PositiveInt } from "../layer.js";
import { defineLayer, expectRank, positivePair, showWindow } from "./define.js";
import type { PairOf } from "./conv.js";

type Pair = readonly [number, number];

// NOTE: in the IsAny branch S *is* `any` (an earlier layer failed): passing it on keeps a chain to one error.
type UpsamplingEntry<S extends Shape, C> = C extends { readonly factor: infer F }
  ? PairOf<F> extends [infer FH extends number, infer FW extends number]
    ? IsAny<S> extends true
      ? { out: S; params: {}; state: {} }
      : IsTuple<S> extends false
        ? { out: Dim[]; params: {}; state: {} }
        : S extends readonly [infer B extends Dim, infer H extends Dim, infer W extends Dim, infer Ch extends Dim]
          ? { out: [B, Mul<H, FH>, Mul<W, FW>, Ch]; params: {}; state: {} }
          : { out: LayerError<`upsampling2d(${FH}x${FW})`, "[batch, H, W, C]", S>; params: {}; state: {} }
    : never
  : never;

declare module "../layer.js" {
  interface LayerTypes<S extends Shape, C> {
    /** `[B, H, W, C] -> [B, H * fh, W * fw, C]`; no params, no state. */
    upsampling2d: UpsamplingEntry<S, C>;
  }
}

/**
 * Nearest-neighbour upsampling: `[batch, H, W, C] -> [batch, H * fh, W * fw, C]`, each pixel
 * repeated in an fh x fw block (a reshape and a broadcast; its gradient sums each block).
 * ```ts
 * nn.input(["batch", 7, 7, 16]).add(nn.upsampling2d(2))   // ["batch", 14, 14, 16]
 * ```
 */
export function upsampling2d<const F extends number | Pair>(
  factor: F &
    (PairOf<F> extends [infer A, infer B] ? PositiveInt<A, "upsampling2d", "factor"> & PositiveInt<B, "upsampling2d", "factor"> : unknown),
) {
  const [fh, fw] = positivePair("upsampling2d", "factor", factor);
  const name = `upsampling2d(${showWindow([fh, fw])})`;
  return defineLayer<"upsampling2d", { factor: F }>({
    kind: "upsampling2d",
    name,
    config: { factor: factor },
    outputShape(s) {
      expectRank(name, "[batch, H, W, C]", s, s.length === 4);
      return [s[0], s[1] * fh, s[2] * fw, s[3]];
    },
    apply(_p, x) {
      const [b, h, w, c] = x.shape;
      if (fh === 1 && fw === 1) return x;
      // NOTE: rank 5 ([B*H, 1, W, 1, C]), not 6: vmap adds an axis and WASM kernels misbehave above rank 6
      const spread = broadcastTo(reshape(x, [b * h, 1, w, 1, c]), [b * h, fh, w, fw, c]);
      return reshape(spread, [b, h * fh, w * fw, c]);
    },
  });
}

// dropout: in training, zero each unit with probability `rate` and scale the rest by 1/(1-rate).
import type { Shape, ShapeError } from "../../../typelevel/index.js";
import { mul } from "../../core/index.js";
import { bernoulli } from "../../random/index.js";
import { defineLayer } from "./define.js";
import { ValueError } from "../../tensor/index.js";

declare module "../layer.js" {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- declaration merging repeats LayerTypes' parameters
  interface LayerTypes<S extends Shape, C> {
    /** Shape kept; no params, no state (training mode draws its mask from `ctx.key`). */
    dropout: { out: S; params: {}; state: {} };
  }
}

/** `unknown` for a literal rate in [0, 1) (or a non-literal number), else the message. */
type RateCheck<R extends number> = number extends R
  ? unknown
  : `${R}` extends `-${string}`
    ? ShapeError<`dropout: rate must be in [0, 1), got ${R}`>
    : `${R}` extends "0" | `0.${string}` | `${number}e-${number}`
      ? unknown
      : ShapeError<`dropout: rate must be in [0, 1), got ${R}`>;

/**
 * Inverted dropout; identity in eval mode. Needs `{ training: true, key }` at apply time.
 * ```ts
 * model.apply(params, x, { training: true, key: random.foldIn(k, step) })
 * ```
 */
export function dropout<const R extends number>(rate: R & RateCheck<R>) {
  if (typeof rate !== "number" || !(rate >= 0 && rate < 1))
    throw new ValueError(
      { op: "dropout", expected: "a rate in [0, 1)", got: String(rate) },
      `dropout: rate must be in [0, 1), got ${rate}`,
    );
  const name = `dropout(${rate})`;
  return defineLayer<"dropout", { rate: number }>({
    kind: "dropout",
    name,
    config: { rate },
    stochastic: rate > 0,
    outputShape: (s) => [...s],
    apply(_p, x, ctx) {
      if (!ctx.training || rate === 0) return x;
      if (ctx.key === undefined)
        throw new ValueError(
          { op: name, expected: "a PRNG key in training mode", got: "no key" },
          `${name}: training mode needs a PRNG key ({ training: true, key })`,
        );
      return mul(x, mul(bernoulli(ctx.key, x.shape, { p: 1 - rate, dtype: "float32" }), 1 / (1 - rate)));
    },
  });
}

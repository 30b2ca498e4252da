// flatten and reshape: data movement only, the leading (batch) axis kept.
import type { Dim, IsAny, Product, Reshape, Shape } from "../../../typelevel/index.js";
import { reshape as reshapeOp } from "../../core/index.js";
import type { LayerError } from "../layer.js";
import { defineLayer, expectRank } from "./define.js";
import { ShapeError as ShapeErrorClass, describeValue, ValueError } from "../../tensor/index.js";

// NOTE: in the IsAny branch S *is* `any` (an earlier layer failed): passing it on keeps a chain to one error.
declare module "../layer.js" {
  interface LayerTypes<S extends Shape, C> {
    /** `[B, ...rest] -> [B, product of rest]`; no params, no state. */
    flatten: IsAny<S> extends true
      ? { out: S; params: {}; state: {} }
      : S extends readonly [infer B extends Dim, ...infer Rest extends Dim[]]
        ? { out: [B, Product<Rest>]; params: {}; state: {} }
        : { out: LayerError<"flatten", "[batch, ...]", S>; params: {}; state: {} };
    /** `[B, ...rest] -> [B, ...target]` (one -1 in `target` is inferred); no params, no state. */
    reshape: C extends { target: infer T extends Shape }
      ? IsAny<S> extends true
        ? { out: S; params: {}; state: {} }
        : S extends readonly [infer B extends Dim, ...infer Rest extends Dim[]]
          ? Reshape<Rest, T> extends infer R
            ? R extends Shape
              ? { out: [B, ...R]; params: {}; state: {} }
              : { out: R; params: {}; state: {} }
            : never
          : { out: LayerError<"reshape", "[batch, ...]", S>; params: {}; state: {} }
      : never;
  }
}

/** `[B, ...rest] -> [B, product(rest)]`. */
export const flatten = () =>
  defineLayer<"flatten", {}>({
    kind: "flatten",
    name: "flatten",
    config: {},
    outputShape(s) {
      expectRank("flatten", "[batch, ...]", s, s.length >= 1);
      return [s[0], s.slice(1).reduce((a, b) => a * b, 1)];
    },
    apply: (_p, x) => reshapeOp(x, [x.shape[0], -1]),
  });

/** `[B, ...rest] -> [B, ...target]` (one -1 allowed in target). */
export function reshape<const T extends readonly number[]>(target: T) {
  if (!Array.isArray(target) || !target.every((d) => typeof d === "number" && (d === -1 || (Number.isInteger(d) && d >= 0)))) {
    const got = Array.isArray(target) ? `[${target.join(", ")}]` : describeValue(target);
    throw new ValueError(
      { op: "reshape", expected: "an array of non-negative integer dims or -1", got },
      `reshape: the target must be an array of non-negative integer dims (or one -1), got ${got}`,
    );
  }
  const name = `reshape([${target.join(", ")}])`;
  return defineLayer<"reshape", { target: T }>({
    kind: "reshape",
    name,
    config: { target },
    outputShape(s) {
      expectRank(name, "[batch, ...]", s, s.length >= 1);
      const n = s.slice(1).reduce((a, b) => a * b, 1);
      const known = target.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
      const t = target.map((d) => (d === -1 ? n / known : d));
      if (t.reduce((a, b) => a * b, 1) !== n || !t.every(Number.isInteger)) {
        throw new ShapeErrorClass(
          { op: name, expected: `a shape of ${n} elements per example`, got: `[${target.join(", ")}]` },
          `${name}: cannot reshape [${s.slice(1).join(", ")}] (${n} elements per example) into [${target.join(", ")}]`,
        );
      }
      return [s[0], ...t];
    },
    apply: (_p, x) => reshapeOp(x, [x.shape[0], ...target]),
  });
}

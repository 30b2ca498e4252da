// embedding: integer ids -> learned vectors.
import type { Dim, IsAny, Shape } from "../../../typelevel/index.js";
import type { Tensor } from "../../tensor/index.js";
import { gather } from "../../core/index.js";
import { normal } from "../../random/index.js";
import type { PositiveInt } from "../layer.js";
import { defineLayer, positiveInt } from "./define.js";
import { DTypeError } from "../../tensor/index.js";

// NOTE: in the IsAny branch S *is* `any` (an earlier layer failed): passing it on keeps a chain to one error.
declare module "../layer.js" {
  interface LayerTypes<S extends Shape, C> {
    /** int32 `[...] -> [..., dim]`; params table `[vocabulary, dim]`; no state. */
    embedding: C extends { vocabulary: infer V extends number; dim: infer D extends number }
      ? { out: IsAny<S> extends true ? S : [...S, D]; params: { table: Tensor<[V, D]> }; state: {}; accepts: "int32" }
      : never;
  }
}

/** `[...ids] (int32) -> [...ids, dim]`, a row of the table per id. */
export function embedding<const V extends number, const D extends number>(
  vocabulary: V & PositiveInt<V, "embedding", "vocabulary">,
  dim: D & PositiveInt<D, "embedding", "dim">,
) {
  positiveInt("embedding", "vocabulary", vocabulary);
  positiveInt("embedding", "dim", dim);
  const name = `embedding(${vocabulary}, ${dim})`;
  return defineLayer<"embedding", { vocabulary: V; dim: D }>({
    kind: "embedding",
    name,
    config: { vocabulary: vocabulary, dim: dim },
    outputShape: (s) => [...s, dim],
    fixedParamShapes: true, // ids of any shape, symbolic lengths included
    init: (key) => ({ table: normal(key, [vocabulary, dim], { std: 0.05 }) }),
    apply(p, x) {
      if (x.dtype !== "int32")
        throw new DTypeError({ op: name, expected: "int32", got: x.dtype }, `${name}: expects int32 ids, got ${x.dtype}`);
      return gather(p.table, x, 0);
    },
  });
}

export type { Dim };

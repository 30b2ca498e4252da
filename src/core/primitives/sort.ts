// argTopK: the positions of the k largest (or smallest) entries along the last axis, in order
// (tfjs `topk`, a WASM kernel). Sorting, argsort and topK are built on it: the values are a
// gather at these positions, so their derivative is gather's (a scatter back to the positions).
// The positions are int32 and have no derivative.
// NOTE: ties keep the lower index first (the kernel's order; ascending order sorts the keys
// -x for floats and -1 - x for int32, which cannot overflow, so ties keep that order too).
import * as tf from "@tensorflow/tfjs-core";
import { formatShape, type AnyTensor, ShapeError, ValueError } from "../../tensor/index.js";
import { bind } from "../trace.js";
import { definePrimitive, type Primitive } from "../primitive.js";
import { checkNumeric } from "./util.js";

export interface ArgTopKParams {
  /** How many positions (0..size of the last axis). */
  readonly k: number;
  /** The largest first (true) or the smallest first (false). */
  readonly largest: boolean;
}

export const argTopKP: Primitive<ArgTopKParams> = definePrimitive<ArgTopKParams>({
  name: "argTopK",
  abstractEval([x], { k }) {
    checkNumeric("argTopK", x);
    const s = x.shape;
    if (s.length === 0)
      throw new ShapeError(
        { op: "argTopK", expected: "a tensor of rank >= 1", got: formatShape(s) },
        "argTopK: expects a tensor of rank >= 1, got a scalar",
      );
    const n = s[s.length - 1];
    if (!Number.isInteger(k) || k < 0 || k > n)
      throw new ValueError(
        { op: "argTopK", expected: `k in 0..${n}`, got: String(k) },
        `argTopK: k = ${k} must be an integer in 0..${n} (the last dim of ${formatShape(s)})`,
      );
    return { shape: [...s.slice(0, -1), k], dtype: "int32" };
  },
  impl([x], { k, largest }) {
    const outShape = [...x.shape.slice(0, -1), k];
    if (k === 0 || x.size === 0) return tf.zeros(outShape, "int32");
    return tf.tidy(() => {
      const key = largest ? x : x.dtype === "int32" ? tf.sub(tf.scalar(-1, "int32"), x) : tf.neg(x);
      return tf.topk(key, k, true).indices;
    });
  },
  jvp: () => null,
  vjp: () => [null],
  // the last axis stays last under a leading batch axis
  batch: ([x], _b, p) => bind(argTopKP, [x], p),
});

/** Positions of the `k` largest (`largest: false`: smallest) entries along the last axis, in order. */
export function argTopK(x: AnyTensor, k: number, { largest = true }: { largest?: boolean } = {}): AnyTensor {
  return bind(argTopKP, [x], { k, largest });
}

// reverse: flips a tensor along some axes. Linear and its own adjoint (flipping twice is the identity).
// Conv rules use it to flip filters spatially.
import * as tf from "@tensorflow/tfjs-core";
import { formatShape, type AnyTensor, ValueError } from "../../tensor/index.js";
import { bind } from "../trace.js";
import { definePrimitive, type Primitive } from "../primitive.js";
import { normAxis } from "./util.js";

export interface ReverseParams {
  /** Distinct, non-negative axes. */
  readonly axes: readonly number[];
}

export const reverseP: Primitive<ReverseParams> = definePrimitive<ReverseParams>({
  name: "reverse",
  abstractEval([x], { axes }) {
    axes.forEach((a) => normAxis("reverse", a, x.shape.length));
    if (new Set(axes).size !== axes.length)
      throw new ValueError(
        { op: "reverse", expected: "distinct axes", got: formatShape(axes) },
        `reverse: repeated axis in ${formatShape(axes)}`,
      );
    return x;
  },
  impl: ([x], { axes }) => tf.reverse(x, axes as number[]),
  jvp: (_x, [t], p) => (t === null ? null : bind(reverseP, [t], p)),
  vjp: (ct, _x, p) => [bind(reverseP, [ct], p)],
  batch: ([x], _b, { axes }) => bind(reverseP, [x], { axes: axes.map((a) => a + 1) }),
});

/** `x` flipped along `axes` (negative axes count from the end); axes of size 1 are skipped. */
export function reverse(x: AnyTensor, axes: number | readonly number[]): AnyTensor {
  const shape = x.shape;
  const list = (typeof axes === "number" ? [axes] : axes).map((a) => normAxis("reverse", a, x.rank));
  if (new Set(list).size !== list.length)
    throw new ValueError(
      { op: "reverse", expected: "distinct axes", got: formatShape(list) },
      `reverse: repeated axis in ${formatShape(list)}`,
    );
  const moving = list.filter((a) => shape[a] > 1);
  return moving.length === 0 ? x : bind(reverseP, [x], { axes: moving });
}

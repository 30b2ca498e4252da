// pad: constant padding before and after each axis. Its adjoint is `slice` (see slice.ts).
import * as tf from "@tensorflow/tfjs-core";
import { formatShape, type AnyTensor, DTypeError, ValueError } from "../../tensor/index.js";
import { bind } from "../trace.js";
import { definePrimitive, type Aval, type Primitive } from "../primitive.js";
import { slice } from "./slice.js";

export type Paddings = readonly (readonly [number, number])[];

export interface PadParams {
  /** One `[before, after]` pair of non-negative integers per axis. */
  readonly paddings: Paddings;
  /** The fill value (any number, -Infinity included; an integer for int32 tensors). */
  readonly value: number;
}

function checkPad(x: Aval, { paddings, value }: PadParams): void {
  const rank = x.shape.length;
  if (!Array.isArray(paddings) || paddings.length !== rank) {
    const n = Array.isArray(paddings) ? paddings.length : String(paddings);
    throw new ValueError(
      { op: "pad", expected: `${rank} [before, after] pairs`, got: String(n) },
      `pad: expected ${rank} [before, after] pairs (one per axis of ${formatShape(x.shape)}), got ${n}`,
    );
  }
  paddings.forEach((pair, i) => {
    const ok = Array.isArray(pair) && pair.length === 2 && pair.every((v) => Number.isInteger(v) && v >= 0);
    if (!ok)
      throw new ValueError(
        { op: "pad", expected: "[before, after] non-negative integers", got: String(JSON.stringify(pair)) },
        `pad: the padding at axis ${i} must be [before, after] with non-negative integers, got ${JSON.stringify(pair)}`,
      );
  });
  if (x.dtype === "bool")
    throw new DTypeError({ op: "pad", expected: "float32 or int32", got: "bool" }, "pad: expects a numeric tensor, got bool");
  if (typeof value !== "number")
    throw new ValueError(
      { op: "pad", expected: "a number", got: typeof value },
      `pad: the fill value must be a number, got ${typeof value}`,
    );
  if (x.dtype === "int32" && !Number.isInteger(value))
    throw new ValueError(
      { op: "pad", expected: "an integer fill value", got: String(value) },
      `pad: an int32 tensor needs an integer fill value, got ${value}`,
    );
}

export const padP: Primitive<PadParams> = definePrimitive<PadParams>({
  name: "pad",
  abstractEval([x], p) {
    checkPad(x, p);
    return { shape: x.shape.map((d, i) => d + p.paddings[i][0] + p.paddings[i][1]), dtype: x.dtype };
  },
  // NOTE: tfjs refuses to pad a scalar, which has no axis to pad
  impl: ([x], p) => (x.rank === 0 ? tf.clone(x) : tf.pad(x, p.paddings as [number, number][], p.value)),
  // NOTE: the fill value is a constant, so tangents and cotangents see zero padding.
  jvp: (_x, [t], p) => (t === null ? null : pad(t, p.paddings, 0)),
  vjp: (ct, [x], p) => [
    slice(
      ct,
      p.paddings.map(([before]) => before),
      x.shape,
    ),
  ],
  batch: ([x], _b, p) => bind(padP, [x], { paddings: [[0, 0], ...p.paddings], value: p.value }),
});

/**
 * `x` with `paddings[i] = [before, after]` entries of `value` added on each side of axis i.
 * ```ts
 * pad(images, [[0, 0], [2, 2], [2, 2], [0, 0]]);   // [B, 28, 28, C] -> [B, 32, 32, C]
 * ```
 */
export function pad(x: AnyTensor, paddings: Paddings, value = 0): AnyTensor {
  if (Array.isArray(paddings) && paddings.length === x.rank && paddings.every((p) => Array.isArray(p) && p[0] === 0 && p[1] === 0))
    return x;
  return bind(padP, [x], { paddings, value });
}

// stopGradient: identity whose derivative is zero.
import * as tf from "@tensorflow/tfjs-core";
import type { AnyTensor } from "../../tensor/index.js";
import { bind, Tracer } from "../trace.js";
import { definePrimitive, type Primitive } from "../primitive.js";

export const stopGradientP: Primitive<{}> = definePrimitive<{}>({
  name: "stopGradient",
  abstractEval: ([x]) => x,
  impl: ([x]) => tf.clone(x),
  jvp: () => null,
  vjp: () => [null],
  batch: ([x]) => bind(stopGradientP, [x]),
});

/** The value of `x`, treated as a constant by every derivative. */
export function stopGradient<T extends AnyTensor>(x: T): T {
  return (x instanceof Tracer ? bind(stopGradientP, [x]) : x) as T;
}

import type * as tf from "@tensorflow/tfjs-core";
import { Concrete, type AnyTensor } from "../tensor/index.js";
import { leaves } from "../tree/index.js";
import { asTensor } from "./primitives/util.js";
import { broadcastTo } from "./primitives/broadcast.js";

export function zerosLike(x: AnyTensor): AnyTensor {
  return broadcastTo(asTensor(0, x.dtype === "int32" ? x : undefined), x.shape);
}

export function onesLike(x: AnyTensor): AnyTensor {
  return broadcastTo(asTensor(1, x.dtype === "int32" ? x : undefined), x.shape);
}

/** The tfjs tensors behind the concrete leaves of a tree. */
export function leafTensors(tree: unknown): tf.Tensor[] {
  const out: tf.Tensor[] = [];
  for (const l of leaves(tree)) if (l instanceof Concrete) out.push(l.value);
  return out;
}

// Helpers the transforms share.
import type * as tf from "@tensorflow/tfjs-core";
import { Concrete } from "../tensor/index.js";
import { leaves } from "../tree/index.js";

/** The tfjs tensors behind the concrete leaves of a tree. */
export function leafTensors(tree: unknown): tf.Tensor[] {
  const out: tf.Tensor[] = [];
  for (const l of leaves(tree)) if (l instanceof Concrete) out.push(l.value);
  return out;
}

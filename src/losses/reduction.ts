// From elementwise losses to per-example losses to the result.
import type { AnyTensor } from "../tensor/index.js";
import { div, sum } from "../core/index.js";
import type { Reduction } from "./types.js";

/** Mean over every axis but the batch axis (0): one value per example, shape [batch]. */
export function perExample(x: AnyTensor): AnyTensor {
  const shape = x.shape;
  if (shape.length <= 1) return x;
  const axes = shape.map((_, i) => i).slice(1);
  const n = shape.slice(1).reduce((a, b) => a * b, 1);
  return div(sum(x, axes), n);
}

/** Per-example losses [batch] to the result the caller asked for. */
export function reduce(op: string, losses: AnyTensor, reduction: Reduction): AnyTensor {
  if (reduction === "none") return losses;
  const total = sum(losses);
  if (reduction === "sum") return total;
  const batch = losses.shape[0];
  if (batch === 0) throw new Error(`${op}: the batch is empty, so its mean is undefined; use reduction "sum"`);
  return div(total, batch);
}

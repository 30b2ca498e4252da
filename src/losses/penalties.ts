// Weight penalties over a whole param tree: L1 (sum |w|) and L2 (sum w^2).
import type { AnyTensor, Tensor } from "../tensor/index.js";
import { leaves, pathPredicate, paths, type PathFilter } from "../tree/index.js";
import { abs, add, mul, square, sum, asTensor } from "../core/index.js";
import { tidy } from "../ops/index.js";
import { ValueError, expectOptions } from "../tensor/index.js";

/** Options of `l1Penalty` and `l2Penalty`: `l2Penalty(params, { filter: /kernel$/, scale: 1e-4 })`. */
export interface PenaltyOptions {
  /** Only leaves whose path matches (default: every float32 leaf). E.g. `/kernel$/` to skip biases. */
  filter?: PathFilter;
  /** Multiplies the sum (default 1). */
  scale?: number;
}

function penalty(op: string, params: unknown, opts: PenaltyOptions, perLeaf: (w: AnyTensor) => AnyTensor): Tensor<[]> {
  expectOptions(op, opts);
  const scale = opts.scale ?? 1;
  if (typeof scale !== "number" || !Number.isFinite(scale))
    throw new ValueError(
      { op: op, expected: "a finite number", got: String(scale) },
      `${op}: scale must be a finite number, got ${String(scale)}`,
    );
  const selected = pathPredicate(opts.filter, op, "filter");
  const ls = leaves(params);
  const ps = paths(params);
  const chosen = ls.filter((l, i) => l.dtype === "float32" && selected(ps[i]));
  if (ls.length === 0)
    throw new ValueError({ op: op, expected: "a params tree with tensors", got: "no tensors" }, `${op}: the params tree has no tensors`);
  if (chosen.length === 0)
    throw new ValueError(
      { op: op, expected: "a filter matching a float32 leaf", got: ps.join(", ") },
      `${op}: the filter matches none of the float32 leaves (${ps.join(", ")})`,
    );
  return tidy(() => {
    let total: AnyTensor = asTensor(0);
    for (const w of chosen) total = add(total, sum(perLeaf(w)));
    return scale === 1 ? total : mul(total, scale);
  }) as Tensor<[]>;
}

/**
 * `scale * sum(|w|)` over every selected leaf of a param tree (int32 leaves are skipped).
 * ```ts
 * const loss = add(mse(pred, y), l1Penalty(params, { scale: 1e-4, filter: /kernel$/ }));
 * ```
 */
export function l1Penalty(params: unknown, opts: PenaltyOptions = {}): Tensor<[]> {
  return penalty("l1Penalty", params, opts, abs);
}

/**
 * `scale * sum(w^2)` over every selected leaf of a param tree (no 1/2 factor).
 * ```ts
 * const loss = add(crossEntropy, l2Penalty(params, { scale: 1e-4, filter: /kernel$/ }));
 * ```
 */
export function l2Penalty(params: unknown, opts: PenaltyOptions = {}): Tensor<[]> {
  return penalty("l2Penalty", params, opts, square);
}

// Reports on a model: exact parameter counts per layer and a Keras-style summary table.
import { formatShape } from "../tensor/index.js";
import { leaves } from "../tree/index.js";
import { scoped } from "../core/index.js";
import { key as makeKey } from "../random/index.js";
import type { Layer } from "./layer.js";
import type { InputDim } from "./probe.js";
import { initLayers } from "./sequence.js";

/** Scalar parameters per layer, exact: from freshly initialised params, freed before returning. */
export function paramCounts(layers: readonly Layer[], shapes: readonly (readonly number[])[]): number[] {
  return scoped(
    () => initLayers(layers, makeKey(0), shapes).map((p) => leaves(p).reduce((a, t) => a + t.size, 0)),
    () => [],
  );
}

/**
 * The table `model.summary()` prints: layer, output shape, params, total.
 * `shapes` are the shapes before and after every layer (symbolic dims by name).
 */
export function summaryTable(layers: readonly Layer[], shapes: readonly (readonly InputDim[])[], counts: readonly number[]): string {
  const show = (i: number) => formatShape(shapes[i]);
  const rows: [string, string, string][] = [
    ["input", show(0), "0"],
    ...layers.map((l, i): [string, string, string] => [l.name, show(i + 1), counts[i].toLocaleString("en-US")]),
  ];
  const total = counts.reduce((a, b) => a + b, 0);
  const head = ["Layer", "Output shape", "Params"];
  const w = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c].length), head[c].length));
  const line = (r: string[]) => `${r[0].padEnd(w[0])}  ${r[1].padEnd(w[1])}  ${r[2].padStart(w[2])}`;
  const sep = "-".repeat(w[0] + w[1] + w[2] + 4);
  return [line(head), sep, ...rows.map(line), sep, `Total params: ${total.toLocaleString("en-US")}`].join("\n");
}

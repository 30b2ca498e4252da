// Train vs validation curves per epoch, one panel per metric.
// NOTE: a type-only import: plot's runtime still needs nothing from src (tests/plot-charts checks it).
import type { HistoryLike } from "../train/index.js";
import { seriesValues } from "./check.js";
import { renderSpec, type Plot, type PlotSpec } from "./render.js";
import { refused, ShapeError, ValueError } from "../tensor/errors.js";

/** Options of `learningCurvesPlot(history, { title, metrics, panelWidth, panelHeight })`. */
export interface LearningCurvesOptions {
  /** A title above the panels. */
  title?: string;
  /** Metrics to draw, one panel each, in this order (default: every metric in the history). */
  metrics?: readonly string[];
  /** Size of each panel in pixels (default 320 x 220). */
  panelWidth?: number;
  /** Height of each panel in pixels (default 220). */
  panelHeight?: number;
}

const WHERE = "learningCurvesPlot";

/** `valLoss` → `loss`, `val_loss` → `loss`, `loss` → undefined. */
function trainNameOf(key: string): string | undefined {
  const match = /^val(?:_(.+)|([A-Z].*))$/.exec(key);
  if (!match) return undefined;
  if (match[1] !== undefined) return match[1];
  const rest = match[2];
  return rest[0].toLowerCase() + rest.slice(1);
}

/**
 * Learning curves: for each metric a panel with its train and validation curves over the
 * epochs. Takes fit's `History` or any record of per-epoch series (`train.HistoryLike`): a key
 * `valX` or `val_x` is the validation curve of metric `x`; `epoch` defaults to 1..n; empty
 * series and `msPerStep` are left out. Series must all have one value per epoch; NaN (a
 * diverged run) leaves a gap.
 *
 * @example
 * const plot = await learningCurvesPlot({ loss: [0.9, 0.5, 0.4], valLoss: [1, 0.6, 0.55],
 *   accuracy: [0.7, 0.85, 0.9], valAccuracy: [0.68, 0.8, 0.84] }, { title: "MNIST MLP" });
 * await savePlot(plot, "runs/mlp/curves");
 */
export async function learningCurvesPlot(history: HistoryLike, options: LearningCurvesOptions = {}): Promise<Plot> {
  const { title, metrics, panelWidth = 320, panelHeight = 220 } = options;
  if (history === null || typeof history !== "object")
    throw refused(WHERE, `history must be an object of metric series`, `${String(history)}`);
  // step timings are not a learning curve; a metric fit did not record is an empty series
  const present = Object.keys(history).filter((key) => key !== "epoch" && key !== "msPerStep" && history[key] !== undefined);
  const isEmpty = (key: string) => Array.isArray(history[key]) && (history[key] as unknown[]).length === 0;
  const keys = present.every(isEmpty) ? present : present.filter((key) => !isEmpty(key));
  if (keys.length === 0)
    throw new ValueError(
      { op: WHERE, expected: `at least one metric series`, got: `none` },
      `${WHERE}: history has no metric series (expected e.g. { loss: [...], valLoss: [...] })`,
    );
  const values = new Map(keys.map((key) => [key, seriesValues(WHERE, key, history[key])]));
  const [firstKey] = keys as [string];
  const epochs = (values.get(firstKey) as (number | null)[]).length;
  for (const [key, series] of values) {
    if (series.length !== epochs)
      throw new ShapeError(
        { op: WHERE, expected: `${epochs} values per series`, got: `${series.length} in "${key}"` },
        `${WHERE}: series "${key}" has ${series.length} values but "${firstKey}" has ${epochs}`,
      );
  }
  if (epochs === 0) throw new ValueError({ op: WHERE, expected: `at least one epoch`, got: `0` }, `${WHERE}: history is empty (0 epochs)`);
  let epochValues: number[] = Array.from({ length: epochs }, (_, i) => i + 1);
  if (history.epoch !== undefined) {
    const given = seriesValues(WHERE, "epoch", history.epoch);
    if (given.length !== epochs)
      throw new ShapeError(
        { op: WHERE, expected: `${epochs} epoch values`, got: `${given.length}` },
        `${WHERE}: epoch has ${given.length} values but "${firstKey}" has ${epochs}`,
      );
    if (given.some((e) => e === null))
      throw new ValueError(
        { op: WHERE, expected: `finite epoch values`, got: `a non-finite value` },
        `${WHERE}: epoch values must be finite numbers`,
      );
    epochValues = given as number[];
  }

  // Group keys into metrics: "loss" gets "loss" (train) and "valLoss" (validation).
  const panels = new Map<string, { train?: string; validation?: string }>();
  for (const key of keys) {
    const trainName = trainNameOf(key);
    const metric = trainName ?? key;
    const panel = panels.get(metric) ?? {};
    if (trainName === undefined) panel.train = key;
    else panel.validation = key;
    panels.set(metric, panel);
  }
  const chosen = metrics ?? [...panels.keys()];
  if (chosen.length === 0)
    throw new ValueError(
      { op: WHERE, expected: `at least one of ${[...panels.keys()].join(", ")}`, got: `an empty metrics list` },
      `${WHERE}: metrics is empty; the history has ${[...panels.keys()].join(", ")}`,
    );
  for (const metric of chosen) {
    if (!panels.has(metric))
      throw new ValueError(
        { op: WHERE, expected: `one of ${[...panels.keys()].join(", ")}`, got: `"${metric}"` },
        `${WHERE}: metric "${metric}" is not in the history (it has ${[...panels.keys()].join(", ")})`,
      );
  }

  const charts = chosen.map((metric) => {
    const panel = panels.get(metric) as { train?: string; validation?: string };
    const rows: { epoch: number; split: string; value: number | null }[] = [];
    for (const [split, key] of [
      ["train", panel.train],
      ["validation", panel.validation],
    ] as const) {
      if (key === undefined) continue;
      const series = values.get(key) as (number | null)[];
      series.forEach((value, i) => rows.push({ epoch: epochValues[i], split, value }));
    }
    return {
      title: metric,
      width: panelWidth,
      height: panelHeight,
      data: { values: rows },
      mark: { type: "line", point: epochs <= 40, strokeWidth: 2 },
      encoding: {
        x: { field: "epoch", type: "quantitative", title: "epoch", axis: { tickMinStep: 1, format: "d" }, scale: { nice: false } },
        y: { field: "value", type: "quantitative", title: metric, scale: { zero: false } },
        color: { field: "split", type: "nominal", title: null, scale: { domain: ["train", "validation"], range: ["#1f77b4", "#ff7f0e"] } },
        tooltip: [{ field: "epoch" }, { field: "split" }, { field: "value", format: ".4f" }],
      },
    };
  });
  const spec: PlotSpec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    // NOTE: a start-anchored overall title nudges the first panel's title down; centred, the panel titles line up.
    ...(title === undefined ? {} : { title: { text: title, anchor: "middle", fontSize: 16 } }),
    hconcat: charts,
    resolve: { scale: { y: "independent" } },
  };
  return renderSpec(spec, WHERE);
}

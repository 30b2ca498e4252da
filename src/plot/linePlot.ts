// Lines over a shared or per-series x axis: SIR curves, fitted vs true, any 1-D signal.
import { seriesValues } from "./check.js";
import { CATEGORY10, renderSpec, type Plot, type PlotSpec } from "./render.js";
import { ShapeError, ValueError } from "../tensor/errors.js";

/** One line of `linePlot`: its name (in the legend) and values, with optional x, dash and color. */
export interface LineSeries {
  /** The legend label. */
  readonly name: string;
  /** The values (NaN leaves a gap). */
  readonly y: ArrayLike<number>;
  /** x values for this series (default: `options.x`, else 0..n-1). */
  readonly x?: ArrayLike<number>;
  /** Draw dashed, e.g. for a fitted or predicted curve next to the true one. */
  readonly dashed?: boolean;
  /** CSS color, e.g. to draw a fitted curve in its true curve's color (default: the next unused palette color). */
  readonly color?: string;
}

/** Options of `linePlot(series, options)`. */
export interface LinePlotOptions {
  /** A title above the chart. */
  title?: string;
  /** Shared x values for series without their own (default 0..n-1). */
  x?: ArrayLike<number>;
  /** The x axis title (default "x"). */
  xTitle?: string;
  /** The y axis title (default "value"). */
  yTitle?: string;
  /** `"log"` for quantities spanning decades, such as a loss. Default `"linear"`. */
  yScale?: "linear" | "log";
  /** Plot width in pixels (default 480). */
  width?: number;
  /** Plot height in pixels (default 280). */
  height?: number;
}

const WHERE = "linePlot";

/**
 * A line chart of named series. Pass a record of equal-length arrays (shared x) or a list
 * of `{ name, y, x?, dashed? }`. NaN values leave gaps.
 *
 * @example
 * const curves = sirEpidemic({ beta: 0.3, gamma: 0.1, days: 160, population: 1000, i0: 1 });
 * const column = (c: number) => Array.from({ length: 161 }, (_, d) => curves.data[d * 3 + c]);
 * await linePlot({ S: column(0), I: column(1), R: column(2) }, { xTitle: "day", yTitle: "people" });
 */
export async function linePlot(
  series: Readonly<Record<string, ArrayLike<number>>> | readonly LineSeries[],
  options: LinePlotOptions = {},
): Promise<Plot> {
  const { title, xTitle = "x", yTitle = "value", yScale = "linear", width = 480, height = 280 } = options;
  const list: LineSeries[] = Array.isArray(series)
    ? [...(series as readonly LineSeries[])]
    : Object.entries(series as Record<string, ArrayLike<number>>).map(([name, y]) => ({ name, y }));
  if (list.length === 0) throw new ValueError({ op: WHERE, expected: `at least one series`, got: `none` }, `${WHERE}: no series to plot`);
  const names = list.map((s) => s.name);
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  if (duplicate !== undefined)
    throw new ValueError(
      { op: WHERE, expected: `distinct series names`, got: `"${duplicate}" twice` },
      `${WHERE}: two series are named "${duplicate}"`,
    );
  const sharedX = options.x === undefined ? undefined : seriesValues(WHERE, "x", options.x);
  const first = list[0];
  const firstLength = seriesValues(WHERE, first.name, first.y).length;
  const rows: { x: number; y: number | null; series: string }[] = [];
  for (const s of list) {
    const ys = seriesValues(WHERE, s.name, s.y);
    if (ys.length === 0)
      throw new ValueError({ op: WHERE, expected: `values in series "${s.name}"`, got: `none` }, `${WHERE}: series "${s.name}" is empty`);
    let xs: (number | null)[];
    if (s.x !== undefined) {
      xs = seriesValues(WHERE, `${s.name}.x`, s.x);
      if (xs.length !== ys.length)
        throw new ShapeError(
          { op: WHERE, expected: `${xs.length} y values in series "${s.name}"`, got: `${ys.length}` },
          `${WHERE}: series "${s.name}" has ${ys.length} y values but ${xs.length} x values`,
        );
    } else if (sharedX !== undefined) {
      if (sharedX.length !== ys.length)
        throw new ShapeError(
          { op: WHERE, expected: `${sharedX.length} values in series "${s.name}"`, got: `${ys.length}` },
          `${WHERE}: series "${s.name}" has ${ys.length} values but x has ${sharedX.length}`,
        );
      xs = sharedX;
    } else {
      if (ys.length !== firstLength)
        throw new ShapeError(
          { op: WHERE, expected: `${firstLength} values in series "${s.name}"`, got: `${ys.length}` },
          `${WHERE}: series "${s.name}" has ${ys.length} values but "${first.name}" has ${firstLength} (pass x per series to plot different lengths)`,
        );
      xs = ys.map((_, i) => i);
    }
    xs.forEach((x, i) => {
      if (x === null)
        throw new ValueError(
          { op: WHERE, expected: `finite x values`, got: `a non-finite x at ${i} in series "${s.name}"` },
          `${WHERE}: x value ${i} of series "${s.name}" is not finite`,
        );
      const y = ys[i];
      rows.push({ x, y: yScale === "log" && y !== null && y <= 0 ? null : y, series: s.name });
    });
  }
  const dash = list.map((s) => (s.dashed ? [6, 4] : [1, 0]));
  let nextColor = 0;
  const colors = list.map((s) => s.color ?? (CATEGORY10[nextColor++ % CATEGORY10.length] as string));
  const spec: PlotSpec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    ...(title === undefined ? {} : { title }),
    width,
    height,
    data: { values: rows },
    mark: { type: "line", strokeWidth: 2 },
    encoding: {
      x: { field: "x", type: "quantitative", title: xTitle, scale: { nice: false, zero: false } },
      y: { field: "y", type: "quantitative", title: yTitle, scale: { type: yScale, ...(yScale === "log" ? {} : { zero: false }) } },
      color: { field: "series", type: "nominal", title: null, scale: { domain: names, range: colors }, sort: names },
      strokeDash: { field: "series", type: "nominal", title: null, scale: { domain: names, range: dash }, sort: names },
    },
  };
  return renderSpec(spec, WHERE);
}

// Vega-Lite spec → SVG text (vega, headless), in Node and in browsers. vega and vega-lite are
// optional peers, loaded on first use: importing plot does not pay vega's ~0.4 s start-up unless
// a chart is drawn. PNGs and files are Node's business (node.ts).
import type { TopLevelSpec } from "vega-lite";
import { loadPeer } from "../peers/index.js";
import { ShapeflowError } from "../tensor/errors.js";

/**
 * A Vega-Lite specification as plain JSON (https://vega.github.io/vega-lite/docs/spec.html).
 * NOTE: typed loosely on purpose: vega-lite's own spec types would load ~90 declaration files
 * into every consumer's type check.
 */
export type PlotSpec = { readonly [key: string]: unknown };

/** A rendered chart: standalone SVG text, its size in CSS pixels, and the Vega-Lite spec it came from. */
export interface Plot {
  /** The chart as standalone SVG text (fonts named, no external resources). */
  readonly svg: string;
  /** Its width in CSS pixels. */
  readonly width: number;
  /** Its height in CSS pixels. */
  readonly height: number;
  /** The Vega-Lite spec it was rendered from (to restyle it and call `renderSpec` again). */
  readonly spec: PlotSpec;
}

/**
 * Font families in order of preference. resvg picks the first installed one (DejaVu Sans
 * on most Linux machines); browsers viewing the SVG do the same.
 */
export const PLOT_FONT = "DejaVu Sans, Liberation Sans, Helvetica, Arial, sans-serif";

/** d3's category10: the colors of series and classes 0..9 (cycled beyond). */
export const CATEGORY10 = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#17becf",
] as const;

/** Shared look: white background, readable sizes. */
export const PLOT_CONFIG = {
  font: PLOT_FONT,
  background: "white",
  padding: 12,
  title: { fontSize: 15, anchor: "start", offset: 8 },
  axis: { labelFontSize: 11, titleFontSize: 12, titlePadding: 8 },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  view: { stroke: "#ccc" },
} as const;

/**
 * Compile a Vega-Lite spec and render it to SVG text without a canvas (`renderer: "none"`).
 * `where` names the caller in errors (default "renderSpec").
 *
 * @example
 * const plot = await renderSpec({ mark: "bar", data: { values: [{ a: "x", b: 3 }] },
 *   encoding: { x: { field: "a", type: "nominal" }, y: { field: "b", type: "quantitative" } } });
 * plot.svg; // "<svg ..."
 */
export async function renderSpec(spec: PlotSpec, where = "renderSpec"): Promise<Plot> {
  const { View, parse } = await loadPeer("vega", where, () => import("vega"));
  const { compile } = await loadPeer("vega-lite", where, () => import("vega-lite"));
  const config = { ...PLOT_CONFIG, ...((spec.config as object | undefined) ?? {}) };
  const vegaSpec = compile({ ...spec, config } as TopLevelSpec).spec;
  const view = new View(parse(vegaSpec), { renderer: "none" });
  try {
    const svg = await view.toSVG();
    const size = /<svg[^>]*\swidth="([\d.]+)"[^>]*\sheight="([\d.]+)"/.exec(svg);
    if (!size)
      throw new ShapeflowError(
        { op: "renderSpec", expected: `an SVG with width and height from vega`, got: `one without` },
        "renderSpec: vega returned an SVG without width and height",
      );
    return { svg, width: Number(size[1]), height: Number(size[2]), spec };
  } finally {
    view.finalize();
  }
}

// Vega-Lite spec → SVG (vega, headless) → PNG (resvg). Libraries are loaded on first use,
// so importing shapeflow does not pay vega's ~0.4 s start-up unless a plot is drawn.
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { TopLevelSpec } from "vega-lite";

/** A rendered chart: standalone SVG text, its size in CSS pixels, and the Vega-Lite spec it came from. */
export interface Plot {
  readonly svg: string;
  readonly width: number;
  readonly height: number;
  readonly spec: TopLevelSpec;
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

/** Compile a Vega-Lite spec and render it to SVG without a browser (`renderer: "none"`). */
export async function renderSpec(spec: TopLevelSpec): Promise<Plot> {
  const [{ compile }, { View, parse }] = await Promise.all([import("vega-lite"), import("vega")]);
  const vegaSpec = compile({ ...spec, config: { ...PLOT_CONFIG, ...(spec.config ?? {}) } }).spec;
  const view = new View(parse(vegaSpec), { renderer: "none" });
  try {
    const svg = await view.toSVG();
    const size = /<svg[^>]*\swidth="([\d.]+)"[^>]*\sheight="([\d.]+)"/.exec(svg);
    if (!size) throw new Error("renderSpec: vega returned an SVG without width and height");
    return { svg, width: Number(size[1]), height: Number(size[2]), spec };
  } finally {
    view.finalize();
  }
}

export interface PngOptions {
  /** Pixels per SVG pixel (default 2: crisp on high-density screens and in reports). */
  scale?: number;
  /** Extra .ttf/.otf files, for machines without system fonts (resvg draws no text without a font). */
  fontFiles?: string[];
}

/**
 * Rasterize a plot to PNG bytes with resvg, using the system fonts (plus `fontFiles`).
 *
 * @example
 * const png = await renderPng(await learningCurvesPlot(history), { scale: 1 });
 */
export async function renderPng(plot: Plot, options: PngOptions = {}): Promise<Uint8Array> {
  const { scale = 2, fontFiles = [] } = options;
  if (!(Number.isFinite(scale) && scale > 0)) throw new Error(`renderPng: scale must be a positive number, got ${scale}`);
  const { Resvg } = await import("@resvg/resvg-js");
  const resvg = new Resvg(plot.svg, {
    fitTo: { mode: "zoom", value: scale },
    background: "white",
    // NOTE: without sansSerifFamily resvg maps "sans-serif" to a serif face here; an absent family still falls back to a system font.
    font: { loadSystemFonts: true, fontFiles, sansSerifFamily: "DejaVu Sans" },
  });
  return resvg.render().asPng();
}

export interface SavedPlot {
  readonly svgPath: string;
  readonly pngPath: string;
}

/**
 * Write a plot as `<path>.svg` and `<path>.png`, creating parent folders. `path` may end in
 * `.svg` or `.png` (either way both files are written) or have no extension.
 *
 * @example
 * await savePlot(await learningCurvesPlot(history), "runs/mnist/curves"); // curves.svg + curves.png
 */
export async function savePlot(plot: Plot, path: string, options: PngOptions = {}): Promise<SavedPlot> {
  const base = path.replace(/\.(svg|png)$/i, "");
  if (base === "" || base.endsWith("/")) throw new Error(`savePlot: path needs a file name, got ${JSON.stringify(path)}`);
  const svgPath = `${base}.svg`;
  const pngPath = `${base}.png`;
  await mkdir(dirname(svgPath), { recursive: true });
  const png = await renderPng(plot, options);
  await Promise.all([writeFile(svgPath, plot.svg), writeFile(pngPath, png)]);
  return { svgPath, pngPath };
}

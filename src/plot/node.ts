// Node-only plotting: PNG bytes with resvg (a native renderer, an optional peer) and charts
// written to files. Re-exported by shapeflow/node; the charts themselves (SVG) are in index.ts.
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { loadPeer } from "../peers/index.js";
import type { Plot } from "./render.js";
import { refused } from "../tensor/errors.js";

/** Options of `renderPng(plot, { scale, fontFiles })` and `savePlot`. */
export interface PngOptions {
  /** Pixels per SVG pixel (default 2: crisp on high-density screens and in reports). */
  scale?: number;
  /** Extra .ttf/.otf files, for machines without system fonts (resvg draws no text without a font). */
  fontFiles?: string[];
}

/**
 * Rasterize a plot (or any standalone SVG) to PNG bytes with resvg, using the system fonts
 * (plus `fontFiles`). Needs the optional package `@resvg/resvg-js`.
 *
 * @example
 * const png = await renderPng(await learningCurvesPlot(history), { scale: 1 });
 */
export async function renderPng(plot: Pick<Plot, "svg">, options: PngOptions = {}): Promise<Uint8Array> {
  const { scale = 2, fontFiles = [] } = options;
  if (!(Number.isFinite(scale) && scale > 0)) throw refused("renderPng", `scale must be a positive number`, `${scale}`);
  const { Resvg } = await loadPeer("@resvg/resvg-js", "renderPng", () => import("@resvg/resvg-js"));
  const resvg = new Resvg(plot.svg, {
    fitTo: { mode: "zoom", value: scale },
    background: "white",
    // NOTE: without sansSerifFamily resvg maps "sans-serif" to a serif face here; an absent family still falls back to a system font.
    font: { loadSystemFonts: true, fontFiles, sansSerifFamily: "DejaVu Sans" },
  });
  return resvg.render().asPng();
}

/** Where `savePlot` wrote the chart. */
export interface SavedPlot {
  /** The `.svg` file. */
  readonly svgPath: string;
  /** The `.png` file. */
  readonly pngPath: string;
}

/**
 * Write a plot as `<path>.svg` and `<path>.png`, creating parent folders. `path` may end in
 * `.svg` or `.png` (either way both files are written) or have no extension.
 *
 * @example
 * await savePlot(await learningCurvesPlot(history), "runs/mnist/curves"); // curves.svg + curves.png
 */
export async function savePlot(plot: Pick<Plot, "svg">, path: string, options: PngOptions = {}): Promise<SavedPlot> {
  const base = path.replace(/\.(svg|png)$/i, "");
  if (base === "" || base.endsWith("/")) throw refused("savePlot", `path needs a file name`, `${JSON.stringify(path)}`);
  const svgPath = `${base}.svg`;
  const pngPath = `${base}.png`;
  await mkdir(dirname(svgPath), { recursive: true });
  const png = await renderPng(plot, options);
  await Promise.all([writeFile(svgPath, plot.svg), writeFile(pngPath, png)]);
  return { svgPath, pngPath };
}

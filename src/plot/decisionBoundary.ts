// A 2-D classifier's decision regions on a grid, with the data points on top.
import { encodePng, toBase64 } from "./png.js";
import { CATEGORY10, renderSpec, type Plot, type PlotSpec } from "./render.js";
import { refused, ShapeError, ValueError } from "../tensor/errors.js";

/** Score colors: low (blue), middle (near white), high (orange), interpolated linearly in RGB. */
const SCORE_STOPS = ["#2f6eb5", "#f4f4f4", "#e3801c"];

function parseHex(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function toHex([r, g, b]: readonly number[]): string {
  return `#${[r, g, b].map((c) => Math.round(c).toString(16).padStart(2, "0")).join("")}`;
}

/** The color of `hex` at `opacity` over white, as an opaque color. */
function mixWithWhite(hex: string, opacity: number): string {
  return toHex(parseHex(hex).map((c) => 255 + (c - 255) * opacity));
}

function scoreColor(t: number): string {
  const clamped = Math.min(1, Math.max(0, t));
  const segment = clamped < 0.5 ? 0 : 1;
  const local = clamped < 0.5 ? clamped * 2 : (clamped - 0.5) * 2;
  const from = parseHex(SCORE_STOPS[segment]);
  const to = parseHex(SCORE_STOPS[segment + 1]);
  return toHex(from.map((c, k) => c + (to[k] - c) * local));
}

/** For each of `pixels` equal steps across [edges[0], edges[last]], the index of the cell holding its centre. */
function cellOfPixel(edges: number[], pixels: number): Int32Array {
  const out = new Int32Array(pixels);
  const first = edges[0];
  const span = edges[edges.length - 1] - first;
  let cell = 0;
  for (let p = 0; p < pixels; p++) {
    const at = first + ((p + 0.5) / pixels) * span;
    while (cell < edges.length - 2 && at >= edges[cell + 1]) cell++;
    out[p] = cell;
  }
  return out;
}

/**
 * A PNG data URL of the grid cells (row-major by increasing y) at their true edges, top row =
 * highest y, `pixelWidth` x `pixelHeight`: each pixel takes the color of the cell holding its
 * centre, so cell edges stay crisp.
 */
async function rasterizeGrid(
  colors: string[],
  xEdges: number[],
  yEdges: number[],
  pixelWidth: number,
  pixelHeight: number,
): Promise<string> {
  const nx = xEdges.length - 1;
  const columns = cellOfPixel(xEdges, pixelWidth);
  const rows = cellOfPixel(yEdges, pixelHeight); // from the lowest y up
  const rgb = colors.map(parseHex);
  const pixels = new Uint8Array(pixelWidth * pixelHeight * 3);
  const rowBytes = pixelWidth * 3;
  for (let py = 0; py < pixelHeight; py++) {
    const j = rows[pixelHeight - 1 - py]; // image rows run top (highest y) to bottom
    const offset = py * rowBytes;
    if (py > 0 && rows[pixelHeight - py] === j) {
      pixels.copyWithin(offset, offset - rowBytes, offset); // same cell row as the row above
      continue;
    }
    for (let px = 0; px < pixelWidth; px++) {
      const [r, g, b] = rgb[j * nx + columns[px]];
      pixels[offset + 3 * px] = r;
      pixels[offset + 3 * px + 1] = g;
      pixels[offset + 3 * px + 2] = b;
    }
  }
  return `data:image/png;base64,${toBase64(await encodePng(pixelWidth, pixelHeight, pixels))}`;
}

/** The model's output on a grid over the plane: what the background of `decisionBoundaryPlot` shows. */
export interface DecisionGrid {
  /** Grid x coordinates, increasing (nx values). */
  readonly xs: ArrayLike<number>;
  /** Grid y coordinates, increasing (ny values). */
  readonly ys: ArrayLike<number>;
  /**
   * The model's output at each grid point, row-major by y: `values[j * nx + i]` is at
   * (xs[i], ys[j]); or nested `values[j][i]`. Integers are read as class ids, other
   * numbers as a score such as P(class 1).
   */
  readonly values: ArrayLike<number> | readonly ArrayLike<number>[];
}

/** One data point drawn over the grid, colored by its class. */
export interface DecisionPoint {
  /** Its first coordinate. */
  readonly x: number;
  /** Its second coordinate. */
  readonly y: number;
  /** Its class: an id (named by `classNames`) or a name. */
  readonly label: number | string;
}

/** What `decisionBoundaryPlot` draws: the grid, the points on top, titles and size. */
export interface DecisionBoundaryInput {
  /** The model's output over the plane. */
  readonly grid: DecisionGrid;
  /** Data points (train or test samples) drawn on top. */
  readonly points: readonly DecisionPoint[];
  /** A title above the chart. */
  title?: string;
  /** Names of class ids (for legend labels): `classNames[k]` names class k. */
  classNames?: readonly string[];
  /** The x axis title. */
  xTitle?: string;
  /** The y axis title. */
  yTitle?: string;
  /** Plot width in pixels (default 400). */
  width?: number;
  /** Plot height in pixels (default 400). */
  height?: number;
}

const WHERE = "decisionBoundaryPlot";

/** Cell edges: halfway between neighbouring grid coordinates, extended by half a step at both ends. */
function edges(coords: number[], axis: string): number[] {
  for (let i = 1; i < coords.length; i++) {
    if (!(coords[i] > coords[i - 1]))
      throw new ValueError(
        { op: WHERE, expected: `increasing grid ${axis}`, got: `${coords[i]} after ${coords[i - 1]} at ${i}` },
        `${WHERE}: grid ${axis} must be increasing; ${axis}[${i}] = ${coords[i]} after ${coords[i - 1]}`,
      );
  }
  if (coords.length === 1) return [coords[0] - 0.5, coords[0] + 0.5];
  const out = [coords[0] - (coords[1] - coords[0]) / 2];
  for (let i = 0; i < coords.length - 1; i++) out.push((coords[i] + coords[i + 1]) / 2);
  const last = coords.length - 1;
  out.push(coords[last] + (coords[last] - coords[last - 1]) / 2);
  return out;
}

/**
 * Decision regions of a 2-D classifier: the grid colored by predicted class (or by score,
 * for non-integer values), the labelled points drawn on top in the same class colors.
 *
 * @example
 * const xs = linspace(-1, 1, 60), ys = linspace(-1, 1, 60);
 * const values = predictClassesOnGrid(xs, ys);          // length 60 * 60
 * await decisionBoundaryPlot({ grid: { xs, ys, values }, points, title: "two spirals" });
 */
export async function decisionBoundaryPlot(input: DecisionBoundaryInput): Promise<Plot> {
  const { grid, points, title, classNames, xTitle = "x₁", yTitle = "x₂", width = 400, height = 400 } = input;
  const xs = Array.from(grid.xs);
  const ys = Array.from(grid.ys);
  if (xs.length === 0 || ys.length === 0)
    throw refused(WHERE, `grid needs at least one x and one y`, `${xs.length} xs and ${ys.length} ys`);
  const nested = grid.values.length > 0 && typeof grid.values[0] === "object";
  if (nested) {
    const rows = grid.values as readonly ArrayLike<number>[];
    if (rows.length !== ys.length)
      throw new ShapeError(
        { op: WHERE, expected: `${ys.length} rows of grid values`, got: `${rows.length}` },
        `${WHERE}: grid values have ${rows.length} rows but there are ${ys.length} ys`,
      );
    rows.forEach((row, j) => {
      if (row.length !== xs.length)
        throw new ShapeError(
          { op: WHERE, expected: `${xs.length} values in grid row ${j}`, got: `${row.length}` },
          `${WHERE}: grid values row ${j} has ${row.length} values but there are ${xs.length} xs`,
        );
    });
  }
  const values: number[] = nested
    ? (grid.values as readonly ArrayLike<number>[]).flatMap((row) => Array.from(row))
    : Array.from(grid.values as ArrayLike<number>);
  if (values.length !== xs.length * ys.length) {
    throw new ShapeError(
      { op: WHERE, expected: `${xs.length * ys.length} grid values`, got: `${values.length}` },
      `${WHERE}: grid has ${xs.length} xs and ${ys.length} ys, so values needs ${xs.length * ys.length} entries, got ${values.length}`,
    );
  }
  values.forEach((v, k) => {
    if (!Number.isFinite(v))
      throw new ValueError({ op: WHERE, expected: `finite grid values`, got: `${v} at ${k}` }, `${WHERE}: grid value ${k} is ${v}`);
  });
  points.forEach((p, k) => {
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y))
      throw new ValueError(
        { op: WHERE, expected: `finite point coordinates`, got: `x = ${p.x}, y = ${p.y} at point ${k}` },
        `${WHERE}: point ${k} has x = ${p.x}, y = ${p.y}; both must be finite`,
      );
  });
  const xEdges = edges(xs, "xs");
  const yEdges = edges(ys, "ys");
  const isClassGrid = values.every(Number.isInteger);
  const nameOf = (label: number | string): string =>
    typeof label === "number" && classNames?.[label] !== undefined ? classNames[label] : String(label);

  const pointRows = points.map((p) => ({ px: p.x, py: p.y, class: nameOf(p.label) }));
  const classes = [...new Set([...(isClassGrid ? values.map(nameOf) : []), ...pointRows.map((p) => p.class)])];
  if (classNames !== undefined) {
    const rank = (name: string) => (classNames.includes(name) ? classNames.indexOf(name) : classNames.length);
    classes.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b, undefined, { numeric: true }));
  } else {
    classes.sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  }
  const classColors = classes.map((_, k) => CATEGORY10[k % CATEGORY10.length] as string);
  const xDomain = [Math.min(xEdges[0], ...pointRows.map((p) => p.px)), Math.max(xEdges[xEdges.length - 1], ...pointRows.map((p) => p.px))];
  const yDomain = [Math.min(yEdges[0], ...pointRows.map((p) => p.py)), Math.max(yEdges[yEdges.length - 1], ...pointRows.map((p) => p.py))];
  const scoreMin = Math.min(...values);
  const scoreMax = Math.max(...values);
  const scoreDomain: [number, number] =
    scoreMin >= 0 && scoreMax <= 1 ? [0, 1] : [scoreMin, scoreMax === scoreMin ? scoreMin + 1 : scoreMax];

  // NOTE: one vega rect per grid cell costs ~0.4 ms and ~300 bytes of SVG each (a 100 x 100
  // grid: seconds and megabytes). Instead the grid is drawn once into a PNG (png.ts, at 2x the
  // chart's pixels) that the chart embeds as a single image mark; vega draws axes, points and legends.
  const cellColor = isClassGrid
    ? (v: number) => mixWithWhite(classColors[classes.indexOf(nameOf(v))], 0.35)
    : (v: number) => scoreColor((v - scoreDomain[0]) / (scoreDomain[1] - scoreDomain[0]));
  const gridWidthPx = Math.max(1, Math.round((width * (xEdges[xEdges.length - 1] - xEdges[0])) / (xDomain[1] - xDomain[0])));
  const gridHeightPx = Math.max(1, Math.round((height * (yEdges[yEdges.length - 1] - yEdges[0])) / (yDomain[1] - yDomain[0])));
  const imageUrl = await rasterizeGrid(values.map(cellColor), xEdges, yEdges, gridWidthPx * 2, gridHeightPx * 2);

  const xEncoding = { field: "x", type: "quantitative", title: xTitle, scale: { domain: xDomain, nice: false, zero: false } };
  const yEncoding = { field: "y", type: "quantitative", title: yTitle, scale: { domain: yDomain, nice: false, zero: false } };
  const classScale = { domain: classes, range: classColors };
  const layers: unknown[] = [
    {
      data: { values: [{ x: xEdges[0], x2: xEdges[xEdges.length - 1], y: yEdges[0], y2: yEdges[yEdges.length - 1], url: imageUrl }] },
      mark: { type: "image", aspect: false, aria: false, tooltip: false },
      encoding: { x: xEncoding, x2: { field: "x2" }, y: yEncoding, y2: { field: "y2" }, url: { field: "url", type: "nominal" } },
    },
    {
      data: { values: pointRows },
      mark: { type: "circle", size: 28, opacity: 0.95, stroke: isClassGrid ? "white" : "#222", strokeWidth: isClassGrid ? 0.7 : 0.5 },
      encoding: {
        x: { field: "px", type: "quantitative" },
        y: { field: "py", type: "quantitative" },
        color: { field: "class", type: "nominal", title: "class", scale: classScale },
      },
    },
  ];
  if (!isClassGrid) {
    // An invisible layer carries the score legend (same stops as the image's colors). Class
    // grids need none: the points' color scale lists every class, grid-only ones included.
    layers.push({
      data: { values: [{ score: scoreDomain[0] }, { score: scoreDomain[1] }] },
      mark: { type: "point", opacity: 0, aria: false },
      encoding: {
        x: { value: 0 },
        y: { value: 0 },
        fill: {
          field: "score",
          type: "quantitative",
          title: "score",
          scale: { domain: scoreDomain, range: SCORE_STOPS, interpolate: "rgb" },
        },
      },
    });
  }
  const spec: PlotSpec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    ...(title === undefined ? {} : { title }),
    width,
    height,
    layer: layers,
  };
  return renderSpec(spec, WHERE);
}

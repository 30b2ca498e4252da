// A confusion matrix as a heatmap with counts in the cells.
import { describe } from "./check.js";
import { renderSpec, type Plot, type PlotSpec } from "./render.js";
import { refused, ShapeError, ValueError } from "../tensor/errors.js";

/** Rows are true classes, columns predicted ones: `matrix[t][p]` = samples of class t predicted as p. Nested arrays, or flat data with shape [n, n]. */
export type ConfusionMatrix = readonly (readonly number[])[] | { readonly data: ArrayLike<number>; readonly shape: readonly number[] };

/** Options of `confusionMatrixPlot(matrix, labels, { title, normalize })`. */
export interface ConfusionMatrixOptions {
  /** A title above the chart. */
  title?: string;
  /** Color and label cells by the fraction of their row (recall per class) instead of raw counts. Default false. */
  normalize?: boolean;
}

const WHERE = "confusionMatrixPlot";

function toRows(matrix: ConfusionMatrix): number[][] {
  if (Array.isArray(matrix)) {
    const rows = matrix as readonly (readonly number[])[];
    rows.forEach((row, t) => {
      if (!Array.isArray(row) || row.length !== rows.length) {
        throw new ShapeError(
          {
            op: WHERE,
            expected: `a square matrix`,
            got: `row ${t} of ${Array.isArray(row) ? row.length : describe(row)} values in ${rows.length} rows`,
          },
          `${WHERE}: matrix must be square; row ${t} has ${Array.isArray(row) ? row.length : describe(row)} values but there are ${rows.length} rows`,
        );
      }
    });
    return rows.map((row) => [...row]);
  }
  const { data, shape } = matrix as { data: ArrayLike<number>; shape: readonly number[] };
  const n = shape[0] ?? 0;
  if (shape.length !== 2 || shape[1] !== n) throw refused(WHERE, `matrix must have shape [n, n]`, `[${shape.join(", ")}]`, ShapeError);
  if (data.length !== n * n) throw refused(WHERE, `matrix of shape [${n}, ${n}] needs ${n * n} values`, `${data.length}`, ShapeError);
  return Array.from({ length: n }, (_, t) => Array.from({ length: n }, (_, p) => data[t * n + p]));
}

/**
 * Heatmap of a confusion matrix: true class down, predicted class across, the count (or
 * row fraction, with `normalize`) written in each cell.
 *
 * @example
 * const plot = await confusionMatrixPlot([[48, 2, 0], [1, 45, 4], [0, 3, 47]], ["setosa", "versicolor", "virginica"]);
 */
export async function confusionMatrixPlot(
  matrix: ConfusionMatrix,
  labels: readonly string[],
  options: ConfusionMatrixOptions = {},
): Promise<Plot> {
  const { title, normalize = false } = options;
  const rows = toRows(matrix);
  const n = rows.length;
  if (n === 0) throw new ShapeError({ op: WHERE, expected: `a non-empty matrix`, got: `[0, 0]` }, `${WHERE}: matrix is empty`);
  if (labels.length !== n)
    throw new ValueError(
      { op: WHERE, expected: `${n} labels`, got: `${labels.length}` },
      `${WHERE}: ${labels.length} labels for a ${n} x ${n} matrix`,
    );
  if (new Set(labels).size !== n) throw refused(WHERE, `labels must be distinct`, `${describe(labels)}`);
  const cells: { truth: string; predicted: string; count: number; value: number }[] = [];
  rows.forEach((row, t) => {
    const total = row.reduce((sum, v) => sum + v, 0);
    row.forEach((count, p) => {
      if (!(Number.isFinite(count) && count >= 0))
        throw new ValueError(
          { op: WHERE, expected: `finite counts >= 0`, got: `${count} at [${t}, ${p}]` },
          `${WHERE}: cell [${t}, ${p}] is ${count}; counts must be finite and >= 0`,
        );
      cells.push({ truth: labels[t], predicted: labels[p], count, value: normalize ? (total > 0 ? count / total : 0) : count });
    });
  });
  const max = Math.max(...cells.map((c) => c.value));
  const cellSize = Math.max(24, Math.min(56, Math.floor(480 / n)));
  const order = [...labels];
  const spec: PlotSpec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    ...(title === undefined ? {} : { title }),
    width: cellSize * n,
    height: cellSize * n,
    data: { values: cells },
    encoding: {
      x: {
        field: "predicted",
        type: "ordinal",
        sort: order,
        title: "predicted",
        axis: { labelAngle: labels.some((label) => label.length * 7 > cellSize) ? -45 : 0, orient: "top" },
      },
      y: { field: "truth", type: "ordinal", sort: order, title: "true" },
    },
    layer: [
      {
        mark: { type: "rect", stroke: "white", strokeWidth: 1 },
        encoding: {
          color: {
            field: "value",
            type: "quantitative",
            title: normalize ? "fraction of row" : "count",
            scale: { scheme: "blues", domainMin: 0 },
          },
        },
      },
      {
        mark: { type: "text", fontSize: Math.max(9, Math.min(13, cellSize / 3.5)) },
        encoding: {
          text: { field: "value", type: "quantitative", format: normalize ? ".2f" : "d" },
          color: { condition: { test: `datum.value > ${max / 2}`, value: "white" }, value: "#222" },
        },
      },
    ],
  };
  return renderSpec(spec, WHERE);
}

// Small helpers shared by the examples (not part of the library): the QUICK switch, a
// stopwatch, a header line, and a grid of grey-scale images saved as SVG + PNG.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { data, init, losses, train } from "../src/index.js";
import { renderPng, savePlot } from "../src/node.js";
import * as plot from "../src/plot/index.js";

/** `QUICK=1`: a run of a few seconds (used by tests/examples.test.ts and CI). */
export const quick = process.env.QUICK === "1";

/** Milliseconds since `start()`, as seconds text. */
export function stopwatch(): () => string {
  const t0 = performance.now();
  return () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
}

export function header(title: string): void {
  console.log(`${title}${quick ? " (QUICK mode)" : ""}`);
}

/**
 * The start of an example: `init()` (the backend, which every program awaits once before its
 * first op), the header line, and a stopwatch from now.
 */
export async function setUp(title: string): Promise<() => string> {
  await init();
  header(title);
  return stopwatch();
}

/**
 * Saves rows of grey-scale images (values in [0, 1], each `size` x `size`, row-major) as one
 * picture: `<path>.svg` and `<path>.png`. Rows are labelled on the left.
 */
export async function saveImageGrid(
  rows: { label: string; images: ArrayLike<number>[] }[],
  size: number,
  path: string,
  cell = 3,
): Promise<{ svgPath: string; pngPath: string }> {
  const labelWidth = 110;
  const gap = 4;
  const cols = Math.max(...rows.map((r) => r.images.length));
  const width = labelWidth + cols * (size * cell + gap);
  const height = rows.length * (size * cell + gap) + gap;
  const parts: string[] = [];
  rows.forEach((row, r) => {
    const y0 = gap + r * (size * cell + gap);
    parts.push(`<text x="4" y="${y0 + (size * cell) / 2 + 5}" font-family="${plot.PLOT_FONT}" font-size="13">${row.label}</text>`);
    row.images.forEach((img, c) => {
      const x0 = labelWidth + c * (size * cell + gap);
      for (let i = 0; i < size; i++) {
        // one rect per run of equal grey levels in a pixel row keeps the SVG small
        let j = 0;
        while (j < size) {
          const v = grey(img[i * size + j]);
          let k = j + 1;
          while (k < size && grey(img[i * size + k]) === v) k++;
          if (v !== 255)
            parts.push(
              `<rect x="${x0 + j * cell}" y="${y0 + i * cell}" width="${(k - j) * cell}" height="${cell}" fill="rgb(${v},${v},${v})"/>`,
            );
          j = k;
        }
      }
      parts.push(`<rect x="${x0}" y="${y0}" width="${size * cell}" height="${size * cell}" fill="none" stroke="#bbb"/>`);
    });
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><rect width="100%" height="100%" fill="white"/>${parts.join("")}</svg>`;
  const png = await renderPng({ svg }, { scale: 1 });
  const base = path.replace(/\.(svg|png)$/i, "");
  mkdirSync(dirname(base), { recursive: true });
  writeFileSync(`${base}.svg`, svg);
  writeFileSync(`${base}.png`, png);
  return { svgPath: `${base}.svg`, pngPath: `${base}.png` };
}

/** Ink is dark: value 1 -> black, 0 -> white. */
function grey(v: number): number {
  return Math.round(255 * (1 - Math.min(1, Math.max(0, v))));
}

/**
 * Predicts `test`, counts a confusion matrix (rows true class, columns predicted) and saves it
 * as a heatmap. Returns the matrix.
 */
export async function saveConfusionMatrix<P, St>(
  model: train.Trainable<P, St>,
  params: P,
  test: data.Dataset,
  path: string,
  opts: { title: string; labels?: readonly string[]; state?: St },
): Promise<number[][]> {
  const scores = train.predict({ model, params, x: test.x, state: opts.state });
  const labels = train.toTensor(test.y);
  const matrix = losses.confusionMatrix(scores, labels);
  scores.dispose();
  labels.dispose();
  const names = opts.labels ?? matrix.map((_, i) => String(i));
  await savePlot(await plot.confusionMatrixPlot(matrix, names, { title: opts.title }), path);
  return matrix;
}

/**
 * The MNIST examples' split, the same everywhere: 20% held out for the test (seed 1), and 10%
 * of the rest for validation (seed 2).
 */
export function heldOutSplits<T extends data.Dataset>(ds: T) {
  const { train: trainSet, test } = data.trainTestSplit(ds, { testFraction: 0.2, seed: 1 });
  const { train: fitSet, validation } = data.validationSplit(trainSet, { fraction: 0.1, seed: 2 });
  return { fitSet, validation, test };
}

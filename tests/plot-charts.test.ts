import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { sirEpidemic, twoSpirals } from "../src/data/index.js";
import { confusionMatrixPlot, decisionBoundaryPlot, learningCurvesPlot, linePlot, type Plot } from "../src/plot/index.js";
import { renderPng, savePlot } from "../src/plot/node.js";
import type { History } from "../src/train/index.js";

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const pngSize = (png: Uint8Array) => {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) }; // IHDR
};
/** Visible text of an SVG (vega writes each label as a <text> element). */
const texts = (svg: string) => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);

const history = {
  loss: [1.2, 0.7, 0.5, 0.42, 0.4],
  valLoss: [1.3, 0.8, 0.62, 0.6, 0.61],
  accuracy: [0.6, 0.78, 0.85, 0.88, 0.9],
  valAccuracy: [0.58, 0.74, 0.8, 0.81, 0.81],
};
let directory: string | undefined;
afterAll(async () => {
  if (directory) await rm(directory, { recursive: true, force: true });
});

test("learningCurvesPlot: two panels with train and validation series, epoch and metric axes", async () => {
  const plot = await learningCurvesPlot(history, { title: "MNIST MLP" });
  expect(plot.svg.startsWith("<svg")).toBe(true);
  const labels = texts(plot.svg);
  for (const label of ["MNIST MLP", "loss", "accuracy", "epoch", "train", "validation"]) expect(labels).toContain(label);
  expect(labels.filter((t) => t === "epoch")).toHaveLength(2);
  expect(plot.width).toBeGreaterThan(600);
  expect(plot.height).toBeGreaterThan(200);
  // one line path per series
  expect(plot.svg.match(/class="mark-line role-mark/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
});

test("learningCurvesPlot: metrics selects panels; Keras-style val_ keys and explicit epochs work", async () => {
  const plot = await learningCurvesPlot(
    { epoch: [10, 20, 30], loss: [1, 0.5, 0.3], val_loss: [1.1, 0.6, 0.5], accuracy: [0.5, 0.7, 0.8] },
    { metrics: ["loss"] },
  );
  const labels = texts(plot.svg);
  expect(labels).toContain("validation");
  expect(labels).not.toContain("accuracy");
  expect(labels).toContain("30");
});

test("learningCurvesPlot: bad histories fail with clear messages", async () => {
  await expect(learningCurvesPlot({})).rejects.toThrow(
    "learningCurvesPlot: history has no metric series (expected e.g. { loss: [...], valLoss: [...] })",
  );
  await expect(learningCurvesPlot({ loss: [] })).rejects.toThrow("learningCurvesPlot: history is empty (0 epochs)");
  await expect(learningCurvesPlot({ loss: [1, 2, 3], valLoss: [1, 2] })).rejects.toThrow(
    'learningCurvesPlot: series "valLoss" has 2 values but "loss" has 3',
  );
  await expect(learningCurvesPlot({ epoch: [1, 2], loss: [1, 2, 3] })).rejects.toThrow(
    'learningCurvesPlot: epoch has 2 values but "loss" has 3',
  );
  await expect(learningCurvesPlot(history, { metrics: ["f1"] })).rejects.toThrow(
    'learningCurvesPlot: metric "f1" is not in the history (it has loss, accuracy)',
  );
  await expect(learningCurvesPlot({ loss: [1, "2"] as unknown as number[] })).rejects.toThrow(
    'learningCurvesPlot: series "loss" has a non-number at index 1: "2"',
  );
});

test("learningCurvesPlot: a fit History without validation draws loss only (empty series and step timings left out)", async () => {
  const fitHistory: History = { epoch: [1, 2], loss: [0.9, 0.5], valLoss: [], accuracy: [], valAccuracy: [], msPerStep: [12, 11] };
  const plot = await learningCurvesPlot(fitHistory);
  expect(plot.svg).toContain("loss");
  expect(plot.svg).not.toContain("msPerStep");
  expect(plot.svg).not.toContain("accuracy");
});

test("plot imports only types from src, besides peers and the error classes (which import nothing): its runtime loads none of the library (no tfjs)", async () => {
  const valueImportsOf = async (folder: string) => {
    const files = (await readdir(folder)).filter((name) => name.endsWith(".ts"));
    const found: string[] = [];
    for (const name of files) {
      const text = await readFile(join(folder, name), "utf8");
      for (const m of text.matchAll(/^(import|export)\b([^;]*?)from\s*["'](\.\.?\/[^"']+)["']/gm)) {
        if (!/^\s*type\b/.test(m[2]) && !m[3].startsWith("./")) found.push(`${name}: ${m[0]}`);
      }
    }
    return { files, found };
  };
  const plot = await valueImportsOf(join(import.meta.dirname, "..", "src", "plot"));
  expect(plot.files.length).toBeGreaterThan(3);
  // peers imports nothing; tensor/errors.js (the error classes) imports nothing either
  const allowed = ['from "../peers/index.js"', 'from "../tensor/errors.js"'];
  expect(plot.found.filter((line) => !allowed.some((end) => line.endsWith(end)))).toEqual([]);
  expect((await valueImportsOf(join(import.meta.dirname, "..", "src", "peers"))).found).toEqual([]);
});

test("savePlot writes an SVG and a PNG (signature, 2x size), creating folders", async () => {
  directory = await mkdtemp(join(tmpdir(), "shapeflow-plot-"));
  const plot = await learningCurvesPlot(history);
  const { svgPath, pngPath } = await savePlot(plot, join(directory, "nested", "run", "curves.png"));
  expect(svgPath).toBe(join(directory, "nested", "run", "curves.svg"));
  expect(pngPath).toBe(join(directory, "nested", "run", "curves.png"));
  expect(await readFile(svgPath, "utf8")).toBe(plot.svg);
  const png = new Uint8Array(await readFile(pngPath));
  expect(Array.from(png.subarray(0, 8))).toEqual(PNG_SIGNATURE);
  const size = pngSize(png);
  expect(Math.abs(size.width - 2 * plot.width)).toBeLessThanOrEqual(1);
  expect(Math.abs(size.height - 2 * plot.height)).toBeLessThanOrEqual(1);
  const small = pngSize(await renderPng(plot, { scale: 1 }));
  expect(Math.abs(small.width - plot.width)).toBeLessThanOrEqual(1);
});

test("renderPng draws text (a font is found)", async () => {
  const blank: Plot = {
    svg: `<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"></svg>`,
    width: 120,
    height: 40,
    spec: {},
  };
  const withText: Plot = {
    ...blank,
    svg: `<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"><text x="5" y="25" font-family="sans-serif" font-size="16">epoch</text></svg>`,
  };
  const [a, b] = await Promise.all([renderPng(blank, { scale: 1 }), renderPng(withText, { scale: 1 })]);
  expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
});

test("confusionMatrixPlot: labels, counts and axis titles; bad matrices fail", async () => {
  const plot = await confusionMatrixPlot(
    [
      [48, 2, 0],
      [1, 45, 4],
      [0, 3, 47],
    ],
    ["setosa", "versicolor", "virginica"],
    { title: "Iris" },
  );
  const labels = texts(plot.svg);
  for (const label of ["Iris", "setosa", "versicolor", "virginica", "predicted", "true", "48", "45", "47", "count"])
    expect(labels).toContain(label);
  const normalized = await confusionMatrixPlot({ data: Int32Array.of(9, 1, 0, 10), shape: [2, 2] }, ["a", "b"], { normalize: true });
  expect(texts(normalized.svg)).toContain("0.90");
  await expect(confusionMatrixPlot([[1, 2], [3]], ["a", "b"])).rejects.toThrow(
    "confusionMatrixPlot: matrix must be square; row 1 has 1 values but there are 2 rows",
  );
  await expect(
    confusionMatrixPlot(
      [
        [1, 2],
        [3, 4],
      ],
      ["a"],
    ),
  ).rejects.toThrow("confusionMatrixPlot: 1 labels for a 2 x 2 matrix");
  await expect(
    confusionMatrixPlot(
      [
        [1, -2],
        [3, 4],
      ],
      ["a", "b"],
    ),
  ).rejects.toThrow("confusionMatrixPlot: cell [0, 1] is -2; counts must be finite and >= 0");
});

test("decisionBoundaryPlot: the grid as one embedded image, points and class legend", async () => {
  const ds = twoSpirals({ n: 200, noise: 0.02, seed: 0 });
  const n = 100;
  const xs = Array.from({ length: n }, (_, i) => -1.1 + (2.2 * i) / (n - 1));
  const values = new Int32Array(n * n).map((_, k) => (xs[k % n] * xs[Math.floor(k / n)] > 0 ? 1 : 0));
  const points = Array.from({ length: 200 }, (_, k) => ({ x: ds.x.data[2 * k], y: ds.x.data[2 * k + 1], label: ds.y.data[k] }));
  const plot = await decisionBoundaryPlot({ grid: { xs, ys: xs, values }, points, title: "spirals", classNames: ["inner", "outer"] });
  expect(plot.svg.match(/<image /g)).toHaveLength(1);
  expect(plot.svg).toContain("data:image/png;base64,");
  // the 200 points: one path each inside the single symbol mark
  const symbols = /<g class="mark-symbol role-mark[^>]*>(.*?)<\/g>/s.exec(plot.svg)?.[1] ?? "";
  expect(symbols.match(/<path/g)).toHaveLength(200);
  for (const label of ["spirals", "inner", "outer", "class", "x₁", "x₂"]) expect(texts(plot.svg)).toContain(label);
  expect(plot.svg.length).toBeLessThan(400_000); // 10,000 cells without 10,000 SVG rects
  const scores = await decisionBoundaryPlot({
    grid: {
      xs: [0, 1],
      ys: [0, 1],
      values: [
        [0.1, 0.4],
        [0.6, 0.9],
      ],
    },
    points: [{ x: 0.2, y: 0.3, label: 0 }],
  });
  expect(texts(scores.svg)).toContain("score");
  await expect(decisionBoundaryPlot({ grid: { xs: [0, 1, 2], ys: [0, 1], values: [0, 1, 0, 1, 0] }, points: [] })).rejects.toThrow(
    "decisionBoundaryPlot: grid has 3 xs and 2 ys, so values needs 6 entries, got 5",
  );
  await expect(decisionBoundaryPlot({ grid: { xs: [0, 2, 1], ys: [0], values: [0, 1, 0] }, points: [] })).rejects.toThrow(
    "decisionBoundaryPlot: grid xs must be increasing; xs[2] = 1 after 2",
  );
});

test("linePlot: SIR curves and a dashed fitted curve; mismatched lengths fail", async () => {
  const curves = sirEpidemic({ beta: 0.3, gamma: 0.1, days: 100, population: 1000, i0: 1 });
  const column = (c: number) => Array.from({ length: 101 }, (_, d) => curves.data[d * 3 + c]);
  const plot = await linePlot(
    [
      { name: "S", y: column(0) },
      { name: "I", y: column(1), color: "#d62728" },
      { name: "R", y: column(2) },
      { name: "I fitted", y: column(1).map((v) => v * 0.95), dashed: true, color: "#d62728" },
    ],
    { title: "SIR", xTitle: "day", yTitle: "people" },
  );
  for (const label of ["SIR", "S", "I", "R", "I fitted", "day", "people"]) expect(texts(plot.svg)).toContain(label);
  expect(plot.svg).toContain('stroke-dasharray="6,4"');
  const record = await linePlot({ a: [1, 2, 3], b: [3, 2, 1] }, { x: [0, 0.5, 1], yScale: "log" });
  expect(texts(record.svg)).toContain("b");
  await expect(linePlot({ S: [1, 2, 3], I: [1, 2] })).rejects.toThrow(
    'linePlot: series "I" has 2 values but "S" has 3 (pass x per series to plot different lengths)',
  );
  await expect(linePlot({ S: [1, 2, 3] }, { x: [0, 1] })).rejects.toThrow('linePlot: series "S" has 3 values but x has 2');
  await expect(linePlot([{ name: "S", y: [1, 2], x: [0] }])).rejects.toThrow('linePlot: series "S" has 2 y values but 1 x values');
  await expect(linePlot({})).rejects.toThrow("linePlot: no series to plot");
});

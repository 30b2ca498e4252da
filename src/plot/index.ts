// shapeflow/plot: charts as SVG text (vega-lite + vega, headless), in Node and in browsers.
// PNGs and files: node.ts, re-exported by shapeflow/node.
/**
 * `shapeflow/plot`: the charts a training run produces (learning curves, confusion matrices,
 * decision boundaries, line plots) as SVG text, in Node and browsers. Needs the optional peers
 * vega and vega-lite; PNGs and files are `renderPng` and `savePlot` of `shapeflow/node`.
 * ```ts
 * import { learningCurvesPlot } from "shapeflow/plot";
 * const { svg } = await learningCurvesPlot(result.history);
 * ```
 * @module shapeflow/plot
 */
export { renderSpec, PLOT_CONFIG, PLOT_FONT, type Plot, type PlotSpec } from "./render.js";
export { learningCurvesPlot, type LearningCurvesOptions } from "./learningCurves.js";
export { confusionMatrixPlot, type ConfusionMatrix, type ConfusionMatrixOptions } from "./confusionMatrix.js";
export { decisionBoundaryPlot, type DecisionBoundaryInput, type DecisionGrid, type DecisionPoint } from "./decisionBoundary.js";
export { linePlot, type LineSeries, type LinePlotOptions } from "./linePlot.js";

// shapeflow/plot: charts as SVG text (vega-lite + vega, headless), in Node and in browsers.
// PNGs and files: node.ts, re-exported by shapeflow/node.
export { renderSpec, PLOT_CONFIG, PLOT_FONT, type Plot, type PlotSpec } from "./render.js";
export { learningCurvesPlot, type LearningCurvesOptions } from "./learningCurves.js";
export { confusionMatrixPlot, type ConfusionMatrix, type ConfusionMatrixOptions } from "./confusionMatrix.js";
export { decisionBoundaryPlot, type DecisionBoundaryInput, type DecisionGrid, type DecisionPoint } from "./decisionBoundary.js";
export { linePlot, type LineSeries, type LinePlotOptions } from "./linePlot.js";

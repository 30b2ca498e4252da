// shapeflow/plot: charts as SVG (vega-lite + vega, headless) and PNG (resvg).
export { renderSpec, renderPng, savePlot, PLOT_CONFIG, PLOT_FONT, type Plot, type PngOptions, type SavedPlot } from "./render.js";
export { learningCurvesPlot, type LearningCurvesOptions } from "./learningCurves.js";
export { confusionMatrixPlot, type ConfusionMatrix, type ConfusionMatrixOptions } from "./confusionMatrix.js";
export { decisionBoundaryPlot, type DecisionBoundaryInput, type DecisionGrid, type DecisionPoint } from "./decisionBoundary.js";
export { linePlot, type LineSeries, type LinePlotOptions } from "./linePlot.js";

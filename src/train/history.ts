// What fit records: one EpochLogs per epoch, appended to a History. The one History type of the
// library: fit fills it, callbacks read it, plot.learningCurvesPlot draws it (plot imports the type).

/** One value per epoch for each series; a metric fit did not compute stays an empty array. */
export interface History {
  /** 1, 2, ...: the epoch each entry belongs to. */
  epoch: number[];
  /** Mean training loss over the epoch's batches. */
  loss: number[];
  /** Loss on `validation` after the epoch (empty without validation data). */
  valLoss: number[];
  /** Training accuracy (empty unless `metrics: ["accuracy"]`). */
  accuracy: number[];
  /** Accuracy on `validation` after the epoch (empty without validation data or `metrics: ["accuracy"]`). */
  valAccuracy: number[];
  /** Mean time of a training step in the epoch (validation excluded). */
  msPerStep: number[];
  /** More series, e.g. added by a callback: `valX` (or `val_x`) is the validation curve of `x`. */
  [series: string]: number[];
}

/**
 * A History as a reader takes it: every series optional, any array-like of numbers (a
 * Float32Array, a Keras history's `val_loss`). What `plot.learningCurvesPlot` accepts.
 */
export type HistoryLike = { readonly [K in keyof History]?: ArrayLike<number> };

/** What a callback sees after each epoch. */
export interface EpochLogs {
  /** The epoch that ended (1, 2, ...). */
  epoch: number;
  /** Its mean training loss. */
  loss: number;
  /** Its training accuracy, with `metrics: ["accuracy"]`. */
  accuracy?: number;
  /** The loss on the validation data, when given. */
  valLoss?: number;
  /** The accuracy on the validation data, when given with `metrics: ["accuracy"]`. */
  valAccuracy?: number;
  /** Per-output metrics of a model with several outputs (`clsAccuracy`, `valClsAccuracy`). */
  [metric: string]: number | undefined;
}

/** An empty History, with every series fit records. */
export function emptyHistory(): History {
  return { epoch: [], loss: [], valLoss: [], accuracy: [], valAccuracy: [], msPerStep: [] };
}

/** Appends one epoch's logs (and its step time) to `history`. */
export function record(history: History, logs: EpochLogs, msPerStep: number): void {
  history.epoch.push(logs.epoch);
  history.msPerStep.push(msPerStep);
  for (const [k, v] of Object.entries(logs)) if (k !== "epoch" && v !== undefined) (history[k] ??= []).push(v);
}

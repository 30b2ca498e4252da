// Callbacks: code that runs after each epoch of fit, sees the logs and the params, and may stop
// training. earlyStopping and checkpoint are the two fit ships with.
import { save } from "../io/index.js";
import type { EpochLogs, History } from "./history.js";

export interface Callback<P = unknown> {
  /** Return "stop" to end training after this epoch. */
  onEpochEnd?(logs: EpochLogs, ctx: { params: P; history: History }): void | "stop";
}

export interface EarlyStoppingOptions {
  /** The logged value to watch (default "valLoss"); accuracies must rise, losses fall. */
  monitor?: "valLoss" | "loss" | "valAccuracy" | "accuracy";
  /** Epochs without improvement before stopping (default 3). */
  patience?: number;
  /** The smallest change that counts as an improvement (default 0). */
  minDelta?: number;
}

/**
 * Stops when `monitor` has not improved for `patience` epochs.
 * ```ts
 * await fit({ ...run, validation, callbacks: [earlyStopping({ monitor: "valLoss", patience: 5 })] });
 * ```
 */
export function earlyStopping(opts: EarlyStoppingOptions = {}): Callback {
  const monitor = opts.monitor ?? "valLoss";
  const patience = opts.patience ?? 3;
  const minDelta = opts.minDelta ?? 0;
  const higherIsBetter = monitor.toLowerCase().includes("accuracy");
  let best = higherIsBetter ? -Infinity : Infinity;
  let wait = 0;
  return {
    onEpochEnd(logs) {
      const v = logs[monitor];
      if (v === undefined) throw new Error(`earlyStopping: "${monitor}" is not logged; give fit validation data or metrics: ["accuracy"]`);
      const improved = higherIsBetter ? v > best + minDelta : v < best - minDelta;
      if (improved) {
        best = v;
        wait = 0;
        return;
      }
      wait++;
      return wait >= patience ? "stop" : undefined;
    },
  };
}

export interface CheckpointOptions {
  /** Where to save; `{epoch}` is replaced by the epoch number. */
  path: string;
  /** Save every this many epochs (default 1). */
  every?: number;
}

/**
 * Saves the params every `every` epochs to `path` (`{epoch}` is replaced).
 * ```ts
 * await fit({ ...run, callbacks: [checkpoint({ path: "runs/mlp/epoch-{epoch}", every: 5 })] });
 * ```
 */
export function checkpoint(opts: CheckpointOptions): Callback {
  const every = opts.every ?? 1;
  if (!Number.isInteger(every) || every < 1) throw new Error(`checkpoint: every must be a positive integer, got ${every}`);
  return {
    onEpochEnd(logs, ctx) {
      if (logs.epoch % every === 0) save(opts.path.replace("{epoch}", String(logs.epoch)), ctx.params);
    },
  };
}

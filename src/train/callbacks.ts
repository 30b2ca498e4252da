// Callbacks: code that runs after each epoch of fit, sees the logs and the run's state, and may
// stop training. earlyStopping is here; checkpoint (files, so Node only) is in checkpoint-files.ts.
import type { EpochLogs } from "./history.js";
import type { Checkpoint } from "./resume.js";
import { expectOptions, ValueError } from "../tensor/index.js";

/**
 * A callback's view of the run after an epoch: params, optimizer and layer state, PRNG key, epoch,
 * step, seed and history (what a checkpoint holds). Borrowed: read it during the call, do not
 * dispose or keep its tensors (they are freed at the next step).
 */
export type EpochContext<P = unknown> = Checkpoint<P>;

/**
 * Code fit runs after each epoch (and at the end of training), with the epoch's logs and a view of
 * the run; `earlyStopping` and `checkpoint` make the two fit ships with.
 * ```ts
 * const log: Callback = { onEpochEnd: (logs) => console.log(logs.epoch, logs.loss) };
 * ```
 */
export interface Callback<P = unknown> {
  /** Return "stop" to end training after this epoch. */
  onEpochEnd?(logs: EpochLogs, ctx: EpochContext<P>): void | "stop";
  /**
   * When training ends at an epoch's end: after the last epoch or a stop by a callback (not after
   * an error, nor when a diverging step stopped it inside an epoch).
   */
  onTrainEnd?(ctx: EpochContext<P>): void;
}

/** Options of `earlyStopping({ monitor, patience, minDelta })`. */
export interface EarlyStoppingOptions {
  /**
   * The logged value to watch (default "valLoss"), including a multi-output model's per-output
   * metrics (`"valClsAccuracy"`); accuracies must rise, losses fall.
   */
  // NOTE: `string & {}` keeps the fixed names in editors' completion while accepting per-output ones
  monitor?: "valLoss" | "loss" | "valAccuracy" | "accuracy" | (string & {});
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
  expectOptions("earlyStopping", opts);
  const monitor = opts.monitor ?? "valLoss";
  const patience = opts.patience ?? 3;
  const minDelta = opts.minDelta ?? 0;
  const higherIsBetter = monitor.toLowerCase().includes("accuracy");
  // NOTE: the decision is replayed from the whole history at each epoch, not kept in this closure,
  // so a resumed run (whose history starts with the checkpoint's epochs) stops where an
  // uninterrupted one would, and one callback can serve several runs.
  return {
    onEpochEnd(logs, ctx) {
      if (logs[monitor] === undefined)
        throw new ValueError(
          { op: "earlyStopping", expected: "a logged metric", got: `"${monitor}"` },
          `earlyStopping: "${monitor}" is not logged; give fit validation data or metrics: ["accuracy"]`,
        );
      let best = higherIsBetter ? -Infinity : Infinity;
      let wait = 0;
      for (const v of ctx.history[monitor] ?? []) {
        const improved = higherIsBetter ? v > best + minDelta : v < best - minDelta;
        if (improved) {
          best = v;
          wait = 0;
        } else wait++;
      }
      return wait >= patience ? "stop" : undefined;
    },
  };
}

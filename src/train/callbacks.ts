// Callbacks: code that runs after each epoch of fit, sees the logs and the run's state, and may
// stop training. earlyStopping and checkpoint are the two fit ships with.
import type { EpochLogs } from "./history.js";
import { pruneCheckpoints, saveCheckpoint, type Checkpoint } from "./resume.js";

/**
 * A callback's view of the run after an epoch: params, optimizer and layer state, PRNG key, epoch,
 * step, seed and history (what a checkpoint holds). Borrowed: read it during the call, do not
 * dispose or keep its tensors (they are freed at the next step).
 */
export type EpochContext<P = unknown> = Checkpoint<P>;

export interface Callback<P = unknown> {
  /** Return "stop" to end training after this epoch. */
  onEpochEnd?(logs: EpochLogs, ctx: EpochContext<P>): void | "stop";
  /**
   * When training ends at an epoch's end: after the last epoch or a stop by a callback (not after
   * an error, nor when a diverging step stopped it inside an epoch).
   */
  onTrainEnd?(ctx: EpochContext<P>): void;
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
  // NOTE: the decision is replayed from the whole history at each epoch, not kept in this closure,
  // so a resumed run (whose history starts with the checkpoint's epochs) stops where an
  // uninterrupted one would, and one callback can serve several runs.
  return {
    onEpochEnd(logs, ctx) {
      if (logs[monitor] === undefined)
        throw new Error(`earlyStopping: "${monitor}" is not logged; give fit validation data or metrics: ["accuracy"]`);
      let best = higherIsBetter ? -Infinity : Infinity;
      let wait = 0;
      for (const v of ctx.history[monitor]) {
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

export interface CheckpointOptions {
  /**
   * The file to write. With `{epoch}` in its file name, one file per save (`epoch-{epoch}.safetensors`);
   * without, the same file is replaced (atomically) each time.
   */
  path: string;
  /** Save every this many epochs (default 1). */
  every?: number;
  /**
   * Keep only the newest `keep` files of an `{epoch}` path: after each save, older files the
   * template names in its folder are deleted (those of an earlier, resumed run too). Default: all.
   */
  keep?: number;
  /** Also save when training ends on an epoch that `every` skipped (default true). */
  atEnd?: boolean;
}

/**
 * Saves the whole run every `every` epochs, so `fit({ resumeFrom })` can continue it: params,
 * optimizer state, layer state (batch-norm statistics), PRNG key, epoch, step, seed and history,
 * in one safetensors file written atomically (see `train.saveCheckpoint` for the layout).
 * ```ts
 * await fit({ ...run, callbacks: [checkpoint({ path: "runs/mlp/epoch-{epoch}.safetensors", every: 5, keep: 2 })] });
 * await fit({ ...run, epochs: 30, resumeFrom: "runs/mlp/epoch-10.safetensors" });   // goes on from epoch 10
 * ```
 */
export function checkpoint(opts: CheckpointOptions): Callback {
  const every = opts.every ?? 1;
  const atEnd = opts.atEnd ?? true;
  if (typeof opts.path !== "string" || opts.path === "")
    throw new Error(`checkpoint: path must be a non-empty string, got ${JSON.stringify(opts.path)}`);
  if (!Number.isInteger(every) || every < 1) throw new Error(`checkpoint: every must be a positive integer, got ${every}`);
  const templated = opts.path.includes("{epoch}");
  if (opts.keep !== undefined) {
    if (!Number.isInteger(opts.keep) || opts.keep < 1) throw new Error(`checkpoint: keep must be a positive integer, got ${opts.keep}`);
    const name = opts.path.split(/[\\/]/).pop() ?? "";
    if (!templated || name.split("{epoch}").length !== 2 || opts.path.slice(0, -name.length).includes("{epoch}")) {
      throw new Error(
        `checkpoint: keep needs a path with {epoch} once in its file name (e.g. "runs/epoch-{epoch}.safetensors"), got "${opts.path}"`,
      );
    }
  }
  let lastSaved = 0;
  const write = (ctx: EpochContext): void => {
    saveCheckpoint(opts.path.replaceAll("{epoch}", String(ctx.epoch)), ctx);
    lastSaved = ctx.epoch;
    if (opts.keep !== undefined) pruneCheckpoints(opts.path, opts.keep);
  };
  return {
    onEpochEnd(logs, ctx) {
      if (logs.epoch % every === 0) write(ctx);
    },
    onTrainEnd(ctx) {
      if (atEnd && lastSaved !== ctx.epoch) write(ctx);
    },
  };
}

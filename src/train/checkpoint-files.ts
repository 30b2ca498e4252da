// Checkpoint files of a training run (Node only: io's files, node:fs for `keep`), re-exported by
// shapeflow/node: the checkpoint callback, saveCheckpoint / loadCheckpoint / readCheckpointInfo.
// Loading this file also lets fit({ resumeFrom: path }) read a path (registerCheckpointFiles).
import { readdirSync, unlinkSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { load, readMetadata, save } from "../io/node.js";
import type { Callback, EpochContext } from "./callbacks.js";
import {
  checkCheckpointPath,
  checkedCheckpoint,
  checkpointContents,
  infoFromMetadata,
  optimizerMismatch,
  registerCheckpointFiles,
  type Checkpoint,
  type CheckpointInfo,
  type CheckpointLike,
} from "./resume.js";
import { refused, ValueError } from "../tensor/errors.js";

/**
 * Writes a run's state to one safetensors file, atomically (`io.save`). The tensors form the tree
 * `{ params, optState, state, key }`; epoch, step, seed, the optimizer's name and the history (as
 * JSON) go in the metadata (`train.epoch`, ...). `checkpoint` calls this after each epoch.
 * ```ts
 * saveCheckpoint("runs/mlp/last.safetensors", ctx);   // ctx: a callback's second argument
 * ```
 */
export function saveCheckpoint(path: string, c: Checkpoint): void {
  checkCheckpointPath(path, "train.saveCheckpoint");
  const { tensors, metadata } = checkpointContents(c);
  save(path, tensors, { metadata });
}

/**
 * Epoch, step, seed, optimizer name and history of a checkpoint file, reading only its header.
 * ```ts
 * readCheckpointInfo("runs/mlp/last.safetensors").epoch;   // 12
 * ```
 */
export function readCheckpointInfo(path: string): CheckpointInfo {
  checkCheckpointPath(path, "train.readCheckpointInfo");
  return readInfo(path, `train.readCheckpointInfo: ${path}`);
}

function readInfo(path: string, where: string): CheckpointInfo {
  return infoFromMetadata(readMetadata(path), where);
}

/**
 * Reads a checkpoint written by `checkpoint` and checks it against the run that will resume
 * it: the optimizer's name, then every tensor of params, optimizer state and layer state (structure,
 * dtypes, shapes); a checkpoint of another model names the first differing paths. The tensors are
 * the caller's (dispose them, or let `fit({ resumeFrom })` use them: it leaves them alone).
 * ```ts
 * const ckpt = loadCheckpoint("runs/mlp/last.safetensors", { model, params, optimizer });
 * const r = await train.fit({ model, params, optimizer, ...rest, resumeFrom: ckpt, epochs: 20 });
 * ```
 */
export function loadCheckpoint<P, St>(path: string, like: CheckpointLike<P, St>): Checkpoint<P, St> {
  checkCheckpointPath(path, "train.loadCheckpoint");
  const where = `train.loadCheckpoint: ${path}`;
  return loadAs(path, like, readInfo(path, where), where);
}

function loadAs<P, St>(path: string, like: CheckpointLike<P, St>, info: CheckpointInfo, where: string): Checkpoint<P, St> {
  if (info.optimizer !== like.optimizer.name) throw optimizerMismatch(where, info.optimizer, like.optimizer.name);
  // NOTE: loaded unchecked (io still checks the file itself: framing, checksums) and then compared,
  // so a checkpoint of another model is named by its params' paths first, as for an object
  return checkedCheckpoint(load<Record<string, unknown>>(path), info, like, where);
}

registerCheckpointFiles({ readInfo, load: loadAs });

/**
 * The files a `{epoch}` template names in its folder, newest epoch first: `keep` deletes the rest.
 * Only names that are the template with a whole number in place of `{epoch}` count.
 */
export function checkpointFiles(template: string): { path: string; epoch: number }[] {
  const dir = dirname(template);
  const [before, after] = basename(template).split("{epoch}");
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .flatMap((f) => {
      if (f.length <= before.length + after.length || !f.startsWith(before) || !f.endsWith(after)) return [];
      const middle = f.slice(before.length, f.length - after.length);
      return /^\d+$/.test(middle) ? [{ path: join(dir, f), epoch: Number(middle) }] : [];
    })
    .sort((a, b) => b.epoch - a.epoch);
}

/** Deletes all but the newest `keep` checkpoints a template names. */
export function pruneCheckpoints(template: string, keep: number): void {
  for (const { path } of checkpointFiles(template).slice(keep)) {
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  }
}

/** Options of `checkpoint({ path, every, keep, atEnd })`. */
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
 * in one safetensors file written atomically (see `saveCheckpoint` for the layout).
 * ```ts
 * await fit({ ...run, callbacks: [checkpoint({ path: "runs/mlp/epoch-{epoch}.safetensors", every: 5, keep: 2 })] });
 * await fit({ ...run, epochs: 30, resumeFrom: "runs/mlp/epoch-10.safetensors" });   // goes on from epoch 10
 * ```
 */
export function checkpoint(opts: CheckpointOptions): Callback {
  const every = opts.every ?? 1;
  const atEnd = opts.atEnd ?? true;
  if (typeof opts.path !== "string" || opts.path === "")
    throw refused("checkpoint", `path must be a non-empty string`, `${JSON.stringify(opts.path)}`);
  if (!Number.isInteger(every) || every < 1) throw refused("checkpoint", `every must be a positive integer`, `${every}`);
  const templated = opts.path.includes("{epoch}");
  if (opts.keep !== undefined) {
    if (!Number.isInteger(opts.keep) || opts.keep < 1) throw refused("checkpoint", `keep must be a positive integer`, `${opts.keep}`);
    const name = opts.path.split(/[\\/]/).pop() ?? "";
    if (!templated || name.split("{epoch}").length !== 2 || opts.path.slice(0, -name.length).includes("{epoch}")) {
      throw new ValueError(
        { op: "checkpoint", expected: `a path with {epoch} once in its file name`, got: `"${opts.path}"` },
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

// Resumable training: what a checkpoint of a run holds, how it is written (atomically, through
// io.save) and read back (checked against the run that resumes it), and where fit starts from.
//
// A checkpoint is taken at the end of an epoch. fit's randomness is a function of the run's seed,
// base key, epoch and step (epoch e's shuffle order from `seed`, step s's dropout key
// `foldIn(key, s)`, step s's augmentation seed from `seed`), so restoring those with the params,
// optimizer state and layer state continues the run exactly where it was: bit for bit on the
// same backend.
// This file runs anywhere (checkpoints as objects and metadata); the files (io's save/load,
// `keep`) are Node's: checkpoint-files.ts, re-exported by shapeflow/node.
import type { GradientTransformation } from "../optim/index.js";
import { key as makeKey, type Key } from "../random/index.js";
import { describeValue, formatShape, refused, ValueError, type AnyTensor } from "../tensor/index.js";
import { dispose, flatten, paths, structureDiff } from "../tree/index.js";
import type { History } from "./history.js";
import type { Trainable } from "./model.js";

/** The version of the checkpoint layout below (metadata key `train.format`). */
export const CHECKPOINT_FORMAT = "1";

/**
 * A training run at the end of an epoch: everything `fit` needs to go on from there. What
 * callbacks see after each epoch, what `checkpoint` saves and `loadCheckpoint` returns (shapeflow/node).
 */
export interface Checkpoint<P = unknown, St = unknown> {
  /** The model's params after `step` updates. */
  params: P;
  /** The optimizer's state (`optimizer.init(params)` after `step` updates). */
  optState: unknown;
  /** Layer state: batch-norm running statistics (`model.initState()` for a fresh run). */
  state: St;
  /** The run's base PRNG key, `random.key(seed)`: step s draws its dropout masks from `foldIn(key, s)`. */
  key: Key;
  /** Epochs completed (1, 2, ...). */
  epoch: number;
  /** Optimizer steps taken since the start of the run. */
  step: number;
  /** fit's `seed`: epoch e shuffles by `seed` and e, step s augments by `seed` and s. */
  seed: number;
  /** The optimizer's `name` (e.g. `"chain(scaleByAdam, scaleByLearningRate)"`). */
  optimizer: string;
  /** Every epoch so far. */
  history: History;
}

/** What a checkpoint is checked against: the run that resumes it (fit's options fit here). */
export interface CheckpointLike<P, St> {
  /** The model that resumes (its `initState()` gives the default state structure). */
  model: Trainable<P, St>;
  /** Params of the model (e.g. fresh `model.init`); only their structure, dtypes and shapes are used. */
  params: P;
  /** The optimizer that resumes: its `name` must match the checkpoint's, and its state structure for these params. */
  optimizer: GradientTransformation;
  /** Layer state of the same structure; default `model.initState()`. */
  state?: St;
}

const KEY = {
  format: "train.format",
  epoch: "train.epoch",
  step: "train.step",
  seed: "train.seed",
  optimizer: "train.optimizer",
  history: "train.history",
} as const;

/** The tensors of a checkpoint, as one tree (tensor names `params.…`, `optState.…`, `state.…`, `key`). */
function tensorsOf<P, St>(c: Pick<Checkpoint<P, St>, "params" | "optState" | "state" | "key">) {
  return { params: c.params, optState: c.optState, state: c.state, key: c.key };
}

// NOTE: JSON has no NaN or Infinity (a diverging validation loss can be either): they travel as strings.
function encodeHistory(h: History): string {
  return JSON.stringify(h, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v));
}

function decodeHistory(text: string, where: string): History {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ValueError(
      { op: where, expected: `the history as JSON`, got: `${(e as Error).message}` },
      `${where}: the history in its metadata is not JSON (${(e as Error).message})`,
      { cause: e },
    );
  }
  const ok = (v: unknown) => typeof v === "number" || v === "NaN" || v === "Infinity" || v === "-Infinity";
  if (raw === null || typeof raw !== "object" || Array.isArray(raw))
    throw new ValueError(
      { op: where, expected: `the history as an object`, got: `${describeValue(raw)}` },
      `${where}: the history in its metadata is not an object`,
    );
  const out: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (!Array.isArray(v) || !v.every(ok))
      throw new ValueError(
        { op: where, expected: `a list of numbers in history series "${k}"`, got: `${describeValue(v)}` },
        `${where}: the history series "${k}" is not a list of numbers`,
      );
    out[k] = v.map(Number);
  }
  for (const k of ["epoch", "loss", "valLoss", "accuracy", "valAccuracy", "msPerStep"]) {
    if (!(k in out))
      throw new ValueError({ op: where, expected: `a history series "${k}"`, got: `none` }, `${where}: the history has no "${k}" series`);
  }
  return out as History;
}

/** A deep copy of a history: a resumed run appends to its own. */
export function copyHistory(h: History): History {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, [...v]])) as History;
}

export function checkCheckpointPath(path: unknown, op: string): asserts path is string {
  if (typeof path !== "string" || path === "") throw refused(op, `path must be a non-empty string`, `${JSON.stringify(path)}`);
}

/** The tensors of a checkpoint as one tree, and its numbers and history as safetensors metadata (what saveCheckpoint writes). */
export function checkpointContents(c: Checkpoint): { tensors: ReturnType<typeof tensorsOf>; metadata: Record<string, string> } {
  return {
    tensors: tensorsOf(c),
    metadata: {
      [KEY.format]: CHECKPOINT_FORMAT,
      [KEY.epoch]: String(c.epoch),
      [KEY.step]: String(c.step),
      [KEY.seed]: String(c.seed),
      [KEY.optimizer]: c.optimizer,
      [KEY.history]: encodeHistory(c.history),
    },
  };
}

/** A checkpoint's numbers and history, from its header alone (checked). */
export type CheckpointInfo = Omit<Checkpoint, "params" | "optState" | "state" | "key">;

/** The checked numbers and history of a checkpoint's metadata; errors start with `where`. */
export function infoFromMetadata(meta: Readonly<Record<string, string>>, where: string): CheckpointInfo {
  const format = meta[KEY.format];
  if (format === undefined) {
    throw new ValueError(
      { op: where, expected: `a training checkpoint ("${KEY.format}" in its metadata)`, got: `a file without it` },
      `${where}: not a training checkpoint (no "${KEY.format}" in its metadata); io.save writes params alone: read those with io.load`,
    );
  }
  if (format !== CHECKPOINT_FORMAT)
    throw new ValueError(
      { op: where, expected: `checkpoint format "${CHECKPOINT_FORMAT}"`, got: `"${format}"` },
      `${where}: checkpoint format "${format}" is not supported (this version reads "${CHECKPOINT_FORMAT}")`,
    );
  const int = (k: string, min: number): number => {
    const text = meta[k];
    const v = Number(text);
    if (text === undefined || !/^-?\d+$/.test(text) || !Number.isSafeInteger(v) || v < min) {
      throw refused(where, `metadata "${k}" must be an integer >= ${min}`, `${JSON.stringify(text)}`);
    }
    return v;
  };
  const optimizer = meta[KEY.optimizer];
  if (optimizer === undefined)
    throw new ValueError(
      { op: where, expected: `metadata "${KEY.optimizer}"`, got: `none` },
      `${where}: metadata "${KEY.optimizer}" is missing`,
    );
  const history = meta[KEY.history];
  if (history === undefined)
    throw new ValueError(
      { op: where, expected: `metadata "${KEY.history}"`, got: `none` },
      `${where}: metadata "${KEY.history}" is missing`,
    );
  return {
    epoch: int(KEY.epoch, 1),
    step: int(KEY.step, 0),
    seed: int(KEY.seed, -Number.MAX_SAFE_INTEGER),
    optimizer,
    history: decodeHistory(history, where),
  };
}

export function optimizerMismatch(where: string, saved: string, running: string): Error {
  return new ValueError(
    { op: where, expected: `the optimizer ${running}`, got: `a checkpoint of ${saved}` },
    `${where}: the checkpoint was saved with the optimizer ${saved}, this run uses ${running}; resume with the same optimizer ` +
      `(or start a new run from its params: io.load(path, { params, ... }).params)`,
  );
}

/**
 * Every difference of a checkpoint's tensors from what this run expects, params first: structure,
 * then dtype and shape of each leaf, by path (at most 5 per tree). Empty when they fit.
 */
function mismatches<P, St>(c: Partial<Record<"params" | "optState" | "state" | "key", unknown>>, like: CheckpointLike<P, St>): string[] {
  const optState = like.optimizer.init(like.params);
  const state = like.state ?? like.model.initState();
  const key = makeKey(0);
  try {
    return [
      ...treeMismatches(c.params, like.params, "params"),
      ...treeMismatches(c.optState, optState, "optState"),
      ...treeMismatches(c.state, state, "state"),
      ...treeMismatches(c.key, key, "key"),
    ];
  } finally {
    dispose([optState, like.state === undefined ? state : undefined, key]);
  }
}

function misfit(where: string, found: readonly string[]): Error {
  return new ValueError(
    { op: where, expected: `a checkpoint of this run's trees`, got: `${found.join("; ")}` },
    `${where}: the checkpoint does not fit this run (another model, optimizer or layer state?):\n  ${found.join("\n  ")}`,
  );
}

/**
 * A checkpoint from the tensors of its file (the tree `{ params, optState, state, key }`, read
 * unchecked) and its checked info, compared with the run that will resume it; on a misfit the
 * tensors are freed and the first differing paths named.
 */
export function checkedCheckpoint<P, St>(
  raw: unknown,
  info: CheckpointInfo,
  like: CheckpointLike<P, St>,
  where: string,
): Checkpoint<P, St> {
  try {
    const tree = raw !== null && typeof raw === "object" && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
    const found = mismatches(tree, like);
    if (found.length > 0) throw misfit(where, found);
    return { params: tree.params as P, optState: tree.optState, state: tree.state as St, key: tree.key as Key, ...info };
  } catch (e) {
    dispose(raw);
    throw e;
  }
}

/**
 * How fit reads a checkpoint given as a path. Files are Node's: checkpoint-files.ts registers
 * this when it loads (shapeflow/node loads it), so the root entry imports no file system.
 */
export interface CheckpointFileReader {
  readInfo(path: string, where: string): CheckpointInfo;
  load<P, St>(path: string, like: CheckpointLike<P, St>, info: CheckpointInfo, where: string): Checkpoint<P, St>;
}

let fileReader: CheckpointFileReader | undefined;

export function registerCheckpointFiles(reader: CheckpointFileReader): void {
  fileReader = reader;
}

function readerFor(where: string): CheckpointFileReader {
  if (fileReader === undefined) {
    throw new ValueError(
      { op: where, expected: `Node's file system (import shapeflow/node)`, got: `a path without it` },
      `${where}: reading a checkpoint file needs Node's file system: import shapeflow/node (its checkpoint, loadCheckpoint, ...) ` +
        `before fit, or pass what loadCheckpoint returns`,
    );
  }
  return fileReader;
}

/** Differences of `got` from `want` by path (structure, then dtype and shape of each leaf), at most 5. */
function treeMismatches(got: unknown, want: unknown, name: string): string[] {
  const [gl, gd] = flatten({ [name]: got });
  const [wl, wd] = flatten({ [name]: want });
  const diff = structureDiff(gd, wd);
  if (diff) return [`structures differ ${diff} (the checkpoint's vs this run's)`];
  const names = paths({ [name]: want });
  const out: string[] = [];
  wl.forEach((w: AnyTensor, i) => {
    const g = gl[i];
    if (g.isDisposed) out.push(`${names[i]}: the tensor is disposed`);
    else if (g.dtype !== w.dtype) out.push(`${names[i]}: ${g.dtype} in the checkpoint, expected ${w.dtype}`);
    else if (g.shape.length !== w.shape.length || g.shape.some((d, j) => d !== w.shape[j]))
      out.push(`${names[i]}: shape ${formatShape(g.shape)} in the checkpoint, expected ${formatShape(w.shape)}`);
  });
  return out.length > 5 ? [...out.slice(0, 5), `... and ${out.length - 5} more under ${name}`] : out;
}

/** Checks a Checkpoint object (e.g. from loadCheckpoint) against this run, as loadCheckpoint checks a file. */
function checkCheckpoint<P, St>(c: Checkpoint<P, St>, like: CheckpointLike<P, St>, where: string): void {
  if (c === null || typeof c !== "object" || !("params" in c) || !("key" in c) || typeof c.epoch !== "number") {
    throw new ValueError(
      { op: where, expected: `resumeFrom as a checkpoint path or what train.loadCheckpoint returns`, got: `${describeValue(c)}` },
      `${where}: resumeFrom must be a checkpoint path or what train.loadCheckpoint returns`,
    );
  }
  if (c.optimizer !== like.optimizer.name) throw optimizerMismatch(where, c.optimizer, like.optimizer.name);
  const found = mismatches(c, like);
  if (found.length > 0) throw misfit(where, found);
}

/** Where a resumed fit starts: a checkpoint, and whether fit owns its tensors (read from a file) or borrows them. */
export interface ResumePoint<P, St> {
  from: Checkpoint<P, St>;
  owned: boolean;
}

/** A checkpoint at `epoch` cannot resume a run of `epochs` or fewer, nor one given another seed. */
function checkEpochsLeft(info: CheckpointInfo, run: { epochs: number; seed?: number }, where: string): void {
  if (info.epoch >= run.epochs) {
    throw new ValueError(
      { op: where, expected: `epochs > ${info.epoch} (the checkpoint's epoch)`, got: `${run.epochs}` },
      `${where}: the checkpoint is at epoch ${info.epoch} and epochs is ${run.epochs}: nothing left to train ` +
        `(epochs counts from the start of the run; raise it to train on)`,
    );
  }
  if (run.seed !== undefined && run.seed !== info.seed) {
    throw new ValueError(
      { op: where, expected: `seed ${info.seed} (the checkpoint's) or none`, got: `${run.seed}` },
      `${where}: the checkpoint's run has seed ${info.seed}, fit was given seed ${run.seed}; leave seed out to resume`,
    );
  }
}

/**
 * fit's `resumeFrom`, read and checked: the optimizer, every tensor, the seed (when fit is given
 * one) and the epochs left. Checks the header before reading any tensor.
 */
export function resumePoint<P, St>(
  resumeFrom: string | Checkpoint<P, St>,
  run: CheckpointLike<P, St> & { epochs: number; seed?: number },
): ResumePoint<P, St> {
  if (typeof resumeFrom === "string") {
    checkCheckpointPath(resumeFrom, "fit: resumeFrom");
    const where = `fit: resumeFrom ${resumeFrom}`;
    const reader = readerFor(where);
    const info = reader.readInfo(resumeFrom, where);
    checkEpochsLeft(info, run, where);
    return { from: reader.load(resumeFrom, run, info, where), owned: true };
  }
  const where = "fit: resumeFrom";
  if (resumeFrom !== null && typeof resumeFrom === "object" && typeof resumeFrom.epoch === "number")
    checkEpochsLeft(resumeFrom, run, where);
  checkCheckpoint(resumeFrom, run, where);
  return { from: resumeFrom, owned: false };
}

// Value checks that also run under jit and vmap, in the spirit of JAX's checkify. The `check`
// primitive (primitives/check.ts) computes a small flag tensor per check on the device and hands
// it to the innermost collector opened here; the collector reads all flags at once, after the
// step, so a check costs no host read of its own. With no collector (plain eager code), a check
// reads its flag and throws at once, as an eager check should.
import * as tf from "@tensorflow/tfjs-core";
import { formatShape, ValueError, type AnyTensor } from "../tensor/index.js";
import { leaves } from "../tree/index.js";
import { expectFunction } from "./util.js";

/** What a check says when it fails. `message` may use {value}, {index}, {position} and {count}. */
export interface CheckParams {
  /** The op that checks (the message starts with it). */
  readonly op: string;
  /** E.g. "label {value} at index {index} is out of range for 10 classes (expected 0..9)". */
  readonly message: string;
  /** What the checked values should be, for the error's `expected` ("labels in 0..9"). */
  readonly expected: string;
}

/** A failed check, read on the host. */
export interface CheckFailure {
  readonly op: string;
  /** The message without the op: "label 12 at index 3 is out of range ...". */
  readonly detail: string;
  readonly expected: string;
  /** Flat index and value of the first failing element, and how many failed. */
  readonly index: number;
  readonly value: number;
  readonly count: number;
}

/** The failure as the error users catch: `op: detail`. */
export function checkError(f: CheckFailure): ValueError {
  return new ValueError({ op: f.op, expected: f.expected, got: `${f.value} at index ${f.index}` }, `${f.op}: ${f.detail}`);
}

interface Recorded {
  /** float32 [3]: failure count, flat index of the first failure, its value. */
  readonly flag: tf.Tensor;
  readonly params: CheckParams;
  readonly shape: readonly number[];
}

const collectors: Recorded[][] = [];

/** True while some caller collects checks (then a check never reads on its own). */
export function collectingChecks(): boolean {
  return collectors.length > 0;
}

/** Called by the check primitive's kernel: hands the flag to the collector, or reports at once. */
export function recordCheck(flag: tf.Tensor, params: CheckParams, shape: readonly number[]): void {
  const sink = collectors[collectors.length - 1];
  if (sink !== undefined) {
    sink.push({ flag: tf.keep(flag), params, shape });
    return;
  }
  const values = flag.dataSync();
  flag.dispose();
  const failure = toFailure(values, 0, params, shape);
  if (failure) throw checkError(failure);
}

function toFailure(values: ArrayLike<number>, at: number, params: CheckParams, shape: readonly number[]): CheckFailure | undefined {
  const count = values[at];
  if (count === 0) return undefined;
  const index = values[at + 1];
  const value = values[at + 2];
  const fields: Record<string, string> = {
    value: String(value),
    index: String(index),
    count: String(count),
    position: formatShape(unravel(index, shape)),
  };
  const detail = params.message.replace(/\{(value|index|count|position)\}/g, (_, k: string) => fields[k]);
  return { op: params.op, detail, expected: params.expected, index, value, count };
}

function unravel(index: number, shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  for (let a = shape.length - 1; a >= 0; a--) {
    out[a] = index % shape[a];
    index = Math.floor(index / shape[a]);
  }
  return out;
}

/** The checks one call ran, not read yet. */
export class PendingChecks {
  constructor(private recorded: Recorded[]) {}

  get count(): number {
    return this.recorded.length;
  }

  /**
   * Reads every flag, together with the scalars in `alongside` (e.g. the loss), in ONE host read;
   * frees the flags. `failure` is the first check that failed, in the order the checks ran.
   */
  read(alongside: readonly AnyTensor[] = []): { failure?: CheckFailure; values: number[] } {
    const recorded = this.recorded;
    this.recorded = [];
    if (recorded.length === 0 && alongside.length === 0) return { values: [] };
    const parts = [...alongside.map((t) => t.concrete()), ...recorded.map((r) => r.flag)];
    let all: Float32Array;
    try {
      const joined = tf.tidy(() => tf.concat(parts.map((p) => tf.cast(tf.reshape(p, [-1]), "float32"))));
      all = joined.dataSync() as Float32Array;
      joined.dispose();
    } finally {
      for (const r of recorded) r.flag.dispose();
    }
    const values = Array.from(all.subarray(0, alongside.length));
    for (let i = 0; i < recorded.length; i++) {
      const failure = toFailure(all, alongside.length + 3 * i, recorded[i].params, recorded[i].shape);
      if (failure) return { failure, values };
    }
    return { values };
  }

  /** Frees the flags without reading them. */
  dispose(): void {
    for (const r of this.recorded) r.flag.dispose();
    this.recorded = [];
  }
}

/**
 * Runs `fn` collecting the checks it runs (eagerly, in jitted graphs, under vmap or grad): none
 * of them reads the host; read them with `pending.read()`. A throw frees what was collected.
 */
export function collectChecks<T>(fn: () => T): [T, PendingChecks] {
  const sink: Recorded[] = [];
  collectors.push(sink);
  try {
    return [fn(), new PendingChecks(sink)];
  } catch (e) {
    for (const r of sink) r.flag.dispose();
    throw e;
  } finally {
    collectors.pop();
  }
}

/**
 * `f` with its checks functionalized, as JAX's `checkify`: returns `[error, out]`, where `error`
 * is the first failed check (a ValueError, not thrown) or undefined. All checks are read in one
 * host read after `f` returns, also when `f` is jitted.
 * ```ts
 * const safeLoss = checkify(jit(loss));
 * const [err, l] = safeLoss(logits, labels);
 * if (err) throw err;
 * ```
 */
export function checkify<A extends unknown[], R>(f: (...args: A) => R): (...args: A) => [ValueError | undefined, R] {
  expectFunction("checkify", f);
  return (...args: A) => {
    const [out, pending] = collectChecks(() => f(...args));
    let failure: CheckFailure | undefined;
    try {
      failure = pending.read().failure;
    } catch (e) {
      for (const l of leaves(out)) l.dispose();
      throw e;
    }
    return [failure === undefined ? undefined : checkError(failure), out];
  };
}

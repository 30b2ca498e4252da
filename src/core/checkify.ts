// Value checks that also run under jit and vmap, in the spirit of JAX's checkify. The `check`
// primitive (primitives/check.ts) hands each check to the innermost collector opened here. On WASM
// and CPU, where a read is a copy, a small predicate is read as the check runs (no kernel; handles
// on its tensors kept only when it failed); elsewhere the check computes one bool flag on the
// device and the collector reads all flags at once, after the step, so a check costs one kernel
// and no host read of its own. With no collector (plain eager code), a
// check reads its flag and throws at once, as an eager check should.
import * as tf from "@tensorflow/tfjs-core";
import { formatShape, ValueError, type AnyTensor, type TfTensor } from "../tensor/index.js";
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
  /** bool []: every entry of `ok` was true; undefined for a check decided on the host when it ran (`passed`). */
  readonly flag: TfTensor | undefined;
  readonly passed: boolean;
  /** Handles on the checked value and the predicate (shared data, no copy), to name the first failure: none for a check that passed. */
  readonly x: TfTensor | undefined;
  readonly ok: TfTensor | undefined;
  readonly params: CheckParams;
}

const collectors: Recorded[][] = [];

/** True while some caller collects checks (then a check never reads on its own). */
export function collectingChecks(): boolean {
  return collectors.length > 0;
}

/** Predicates up to this size are read on the host outright where reads are plain copies (see `recordCheck`). */
const HOST_CHECK_MAX = 1 << 16;
let hostChecks = true;

/**
 * Checks decided on the host as they run (the default) or by a flag computed on the device and read
 * with the step's other values (A/B benches, tests); returns the previous setting.
 */
export function setHostChecks(on: boolean): boolean {
  const was = hostChecks;
  hostChecks = on;
  return was;
}

/** Whether `ok` is read on the host now: on WASM and CPU a read is a copy out of memory the backend already holds, no sync. */
function decidedOnHost(ok: TfTensor): boolean {
  if (!hostChecks || ok.size > HOST_CHECK_MAX) return false;
  const backend = tf.getBackend();
  return backend === "wasm" || backend === "cpu";
}

function allTrue(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) if (values[i] === 0) return false;
  return true;
}

/**
 * Called by the check primitive's impl: hands the check to the collector, or reports at once. On
 * WASM and CPU a small `ok` is read outright (a copy of its bytes: no All kernel, no flag to read
 * later, and no handles kept on x and ok unless it failed); elsewhere one All kernel makes a flag
 * the collector reads with the others after the step.
 */
export function recordCheck(x: TfTensor, ok: TfTensor, params: CheckParams): void {
  const sink = collectors[collectors.length - 1];
  if (decidedOnHost(ok)) {
    const passed = allTrue(ok.dataSync());
    if (sink === undefined) {
      if (!passed) throw checkError(describeFailure(x, ok, params));
    } else if (passed) {
      sink.push({ flag: undefined, passed, x: undefined, ok: undefined, params });
    } else {
      sink.push({ flag: undefined, passed, x: tf.keep(tf.clone(x)), ok: tf.keep(tf.clone(ok)), params });
    }
    return;
  }
  const flag = tf.all(ok);
  if (sink !== undefined) {
    sink.push({ flag: tf.keep(flag), passed: false, x: tf.keep(tf.clone(x)), ok: tf.keep(tf.clone(ok)), params });
    return;
  }
  const passed = flag.dataSync()[0] !== 0;
  flag.dispose();
  if (!passed) throw checkError(describeFailure(x, ok, params));
}

/** Count, first failing index and the value there: one more host read, made only for a check that failed. */
function describeFailure(x: TfTensor, ok: TfTensor, params: CheckParams): CheckFailure {
  const summary = tf.tidy(() => {
    const bad = tf.cast(tf.logicalNot(tf.reshape(ok, [-1])), "float32");
    const first = tf.argMax(bad);
    const value = tf.gather(tf.cast(tf.reshape(x, [-1]), "float32"), tf.reshape(first, [1]));
    return tf.concat([tf.reshape(tf.sum(bad), [1]), tf.reshape(tf.cast(first, "float32"), [1]), value]);
  });
  const [count, index, value] = summary.dataSync();
  summary.dispose();
  const fields: Record<string, string> = {
    value: String(value),
    index: String(index),
    count: String(count),
    position: formatShape(unravel(index, ok.shape)),
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

function release(recorded: readonly Recorded[]): void {
  for (const r of recorded) {
    r.flag?.dispose();
    r.x?.dispose();
    r.ok?.dispose();
  }
}

/** The checks one call ran, not read yet. */
export class PendingChecks {
  constructor(private recorded: Recorded[]) {}

  get count(): number {
    return this.recorded.length;
  }

  /**
   * Reads every flag, together with the scalars in `alongside` (e.g. the loss), in ONE host read;
   * frees the flags. `failure` is the first check that failed, in the order the checks ran (naming
   * it costs one more read, only then).
   */
  read(alongside: readonly AnyTensor[] = []): { failure?: CheckFailure; values: number[] } {
    const recorded = this.recorded;
    this.recorded = [];
    try {
      const flags = recorded.flatMap((r) => (r.flag === undefined ? [] : [r.flag]));
      let all: ArrayLike<number> = [];
      if (flags.length > 0 || alongside.length > 0) {
        const joined = tf.tidy(() => {
          const parts = alongside.map((t) => {
            const v = t.concrete();
            const flat = v.rank === 1 ? v : tf.reshape(v, [-1]);
            return v.dtype === "float32" ? flat : tf.cast(flat, "float32");
          });
          if (flags.length > 0) parts.push(tf.cast(tf.stack(flags), "float32"));
          return parts.length === 1 ? parts[0].clone() : tf.concat(parts);
        });
        all = joined.dataSync();
        joined.dispose();
      }
      const values = Array.from({ length: alongside.length }, (_, i) => all[i]);
      let f = alongside.length;
      const failed = recorded.find((r) => (r.flag === undefined ? !r.passed : all[f++] === 0));
      if (failed === undefined || failed.x === undefined || failed.ok === undefined) return { values };
      return { failure: describeFailure(failed.x, failed.ok, failed.params), values };
    } finally {
      release(recorded);
    }
  }

  /** Frees the flags without reading them. */
  dispose(): void {
    release(this.recorded);
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
    release(sink);
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

// Comparing values and counting tensors: small helpers every test needs.
import * as tf from "@tensorflow/tfjs-core";
import { Tensor, formatShape, sameShape, type AnyTensor } from "../tensor/index.js";

/** A tensor, a flat array of numbers, nested arrays, or a single number. */
export type Numeric = AnyTensor | ArrayLike<number> | readonly unknown[] | number;

function toFlat(x: Numeric): { shape?: readonly number[]; values: ArrayLike<number> } {
  if (x instanceof Tensor) return { shape: x.shape, values: x.dataSync() };
  if (typeof x === "number") return { values: [x] };
  if (ArrayBuffer.isView(x)) return { values: x as ArrayLike<number> };
  const out: number[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else out.push(typeof v === "boolean" ? Number(v) : (v as number));
  };
  walk(x);
  return { values: out };
}

/** Options of `assertAllClose(actual, expected, { rtol, atol, what })`: passes where `|a - e| <= atol + rtol |e|`. */
export interface CloseOptions {
  /** Relative tolerance (default 1e-5). */
  rtol?: number;
  /** Absolute tolerance (default 1e-6). */
  atol?: number;
  /** Name used in the message (default "value"). */
  what?: string;
}

/**
 * Throws unless `|actual - expected| <= atol + rtol * |expected|` everywhere (numpy's allclose);
 * NaNs must match. Shapes are compared when both sides are tensors.
 * ```ts
 * assertAllClose(grad(f)(x), [0.5, 1, 1.5], { rtol: 1e-4 });
 * ```
 */
export function assertAllClose(actual: Numeric, expected: Numeric, opts: CloseOptions = {}): void {
  const { rtol = 1e-5, atol = 1e-6, what = "value" } = opts;
  const a = toFlat(actual);
  const e = toFlat(expected);
  if (a.shape && e.shape && !sameShape(a.shape, e.shape)) {
    throw new Error(`${what}: expected shape ${formatShape(e.shape)}, got ${formatShape(a.shape)}`);
  }
  if (a.values.length !== e.values.length) {
    throw new Error(`${what}: expected ${e.values.length} values, got ${a.values.length}`);
  }
  let worst = -1;
  let worstExcess = 0;
  let bad = 0;
  for (let i = 0; i < a.values.length; i++) {
    const x = a.values[i],
      y = e.values[i];
    if (Number.isNaN(x) || Number.isNaN(y)) {
      if (Number.isNaN(x) !== Number.isNaN(y)) {
        bad++;
        if (worst < 0 || worstExcess !== Infinity) {
          worst = i;
          worstExcess = Infinity;
        }
      }
      continue;
    }
    if (x === y) continue; // also equal infinities
    const excess = Math.abs(x - y) - (atol + rtol * Math.abs(y));
    if (excess > 0 || Number.isNaN(excess)) {
      bad++;
      const ex = Number.isNaN(excess) ? Infinity : excess;
      if (worst < 0 || ex > worstExcess) {
        worst = i;
        worstExcess = ex;
      }
    }
  }
  if (bad > 0) {
    const x = a.values[worst],
      y = e.values[worst];
    throw new Error(
      `${what}: ${bad} of ${a.values.length} values differ beyond atol ${atol} + rtol ${rtol}; ` +
        `worst at flat index ${worst}: got ${x}, expected ${y} (|diff| ${Math.abs(x - y).toExponential(2)})`,
    );
  }
}

/** Number of live tfjs tensors. */
function live(): number {
  return tf.memory().numTensors;
}

/**
 * Runs `fn` and throws if the number of live tensors changed (a leak, or a tensor freed that
 * `fn` did not own). `fn` frees everything it makes, results included; its return value is
 * passed through (a promise is awaited before counting).
 * ```ts
 * assertNoLeaks(() => { const g = grad(f)(x); g.dispose(); });
 * ```
 */
export function assertNoLeaks<R>(fn: () => R, what = "assertNoLeaks"): R {
  const before = live();
  const check = () => {
    const after = live();
    if (after !== before) {
      throw new Error(
        `${what}: ${after > before ? `${after - before} tensor(s) leaked` : `${before - after} tensor(s) too many were freed`} (live tensors ${before} before, ${after} after)`,
      );
    }
  };
  const result = fn();
  if (result instanceof Promise) return result.then((r) => (check(), r)) as R;
  check();
  return result;
}

// checkGrads: JAX's check_grads for shapeflow. Forward mode is compared with finite differences
// in a random direction; reverse mode with the inner-product identity <u, J v> = <J^T u, v>
// (against finite differences, and against forward mode); order 2 repeats both checks on the
// derivative functions (x, v) -> J(x) v and (x, u) -> J(x)^T u.
import * as tf from "@tensorflow/tfjs-core";
import { Concrete, formatShape, type AnyTensor, DTypeError, ValueError } from "../tensor/index.js";
import { jvp, vjp } from "../core/index.js";
import { centralDifference, DEFAULT_EPS, evaluate, flatFunction, readFloat64, Rng, type FlatFunction, type Point } from "./numeric.js";

/** A differentiation mode `checkGrads` checks: `"fwd"` (jvp) or `"rev"` (vjp). */
export type GradMode = "fwd" | "rev";

/** Options of `checkGrads(f, args, { order, modes, eps, atol, rtol, seed })`. */
export interface CheckGradsOptions {
  /** 1: first derivatives; 2: also derivatives of the derivative functions. Default 1. */
  order?: 1 | 2;
  /** Which modes to check. Default both. */
  modes?: readonly GradMode[];
  /** Finite-difference step (default 2^-7). */
  eps?: number;
  /** Absolute tolerance, added to the estimated finite-difference error (default 1e-4). */
  atol?: number;
  /** Relative tolerance (default 2e-3). */
  rtol?: number;
  /** Seed of the random directions (default 0). */
  seed?: number;
}

interface Settings {
  eps: number;
  atol: number;
  rtol: number;
  seed: number;
  modes: readonly GradMode[];
  rng: Rng;
}

/**
 * Checks the derivatives of `f` at `args` (a tuple of pytrees; float32 leaves are
 * differentiated, others held fixed) against finite differences, as JAX's `check_grads`.
 * Throws an Error naming the mode, the order, the inputs to blame and the numbers; returns
 * nothing on success. Every tensor it makes is freed.
 * ```ts
 * checkGrads((x: Tensor<[3]>, w: Tensor<[3, 2]>) => tanh(matmul(reshape(x, [1, 3]), w)), [x, w], { order: 2 });
 * ```
 */
export function checkGrads<A extends unknown[]>(f: (...args: A) => unknown, args: A, opts: CheckGradsOptions = {}): void {
  const { order = 1, modes = ["fwd", "rev"], eps = DEFAULT_EPS, atol = 1e-4, rtol = 2e-3, seed = 0 } = opts;
  if (order !== 1 && order !== 2)
    throw new ValueError(
      { op: "checkGrads", expected: "order 1 or 2", got: String(order) },
      `checkGrads: order must be 1 or 2, got ${order}`,
    );
  if (modes.length === 0 || modes.some((m) => m !== "fwd" && m !== "rev")) {
    throw new ValueError(
      { op: "checkGrads", expected: '"fwd" and/or "rev"', got: String(JSON.stringify(modes)) },
      `checkGrads: modes must list "fwd" and/or "rev", got ${JSON.stringify(modes)}`,
    );
  }
  const { fn, point, outputNames } = flatFunction(f, args);
  if (fn.inputNames.length === 0)
    throw new DTypeError(
      { op: "checkGrads", expected: "a float32 tensor argument", got: "none" },
      "checkGrads: no float32 tensor among the arguments; nothing to differentiate",
    );
  const out = evaluate(fn, point.shapes, point.data);
  check({ eps, atol, rtol, seed, modes, rng: new Rng(seed) }, fn, outputNames(), point, out, order);
}

function check(s: Settings, fn: FlatFunction, outNames: string[], x: Point, y: Point, order: number): void {
  if (s.modes.includes("fwd")) {
    checkJvp(s, fn, outNames, x, y);
    if (order > 1) {
      const v = x.data.map((d) => s.rng.direction(d.length));
      const g = jvpFunction(fn);
      const gx: Point = { shapes: [...x.shapes, ...x.shapes], data: [...x.data, ...v] };
      check(
        s,
        g,
        outNames.map((n) => `tangent of ${n}`),
        gx,
        evaluate(g, gx.shapes, gx.data),
        order - 1,
      );
    }
  }
  if (s.modes.includes("rev")) {
    checkVjp(s, fn, outNames, x, y);
    if (order > 1) {
      const u = y.data.map((d) => s.rng.direction(d.length));
      const g = vjpFunction(fn, outNames);
      const gx: Point = { shapes: [...x.shapes, ...y.shapes], data: [...x.data, ...u] };
      check(
        s,
        g,
        fn.inputNames.map((n) => `cotangent of ${n}`),
        gx,
        evaluate(g, gx.shapes, gx.data),
        order - 1,
      );
    }
  }
}

/** (x, v) -> J(x) v, as a function of both. */
function jvpFunction(fn: FlatFunction): FlatFunction {
  const n = fn.inputNames.length;
  return {
    label: `jvp(${fn.label})`,
    inputNames: [...fn.inputNames, ...fn.inputNames.map((name) => `tangent of ${name}`)],
    call(inputs) {
      const xs = inputs.slice(0, n),
        vs = inputs.slice(n);
      return jvp((...a: AnyTensor[]) => fn.call(a), xs, vs)[1];
    },
  };
}

/** (x, u) -> J(x)^T u, as a function of both. */
function vjpFunction(fn: FlatFunction, outNames: string[]): FlatFunction {
  const n = fn.inputNames.length;
  return {
    label: `vjp(${fn.label})`,
    inputNames: [...fn.inputNames, ...outNames.map((name) => `cotangent of ${name}`)],
    call(inputs) {
      const xs = inputs.slice(0, n),
        us = inputs.slice(n);
      // NOTE: no pullback.dispose(): under a transform nothing is concrete, and at top level
      // `evaluate` runs us inside a tidy that frees the residuals
      const [, back] = vjp((...a: AnyTensor[]) => fn.call(a), ...xs);
      return back(us);
    },
  };
}

function tensorsOf(p: Point, data: readonly Float64Array[] = p.data): AnyTensor[] {
  return data.map((d, i) => fromData(d, p.shapes[i]));
}
function fromData(d: Float64Array, shape: readonly number[]): AnyTensor {
  return new Concrete(tf.tensor(Float32Array.from(d), shape as number[], "float32"));
}

function forward(fn: FlatFunction, x: Point, v: readonly Float64Array[]): Float64Array[] {
  let out: Float64Array[] = [];
  tf.tidy(() => {
    const [, tangents] = jvp((...a: AnyTensor[]) => fn.call(a), tensorsOf(x), tensorsOf(x, v));
    out = tangents.map(readFloat64);
  });
  return out;
}

function reverse(fn: FlatFunction, x: Point, y: Point, u: readonly Float64Array[]): Float64Array[] {
  let out: Float64Array[] = [];
  tf.tidy(() => {
    const [, back] = vjp((...a: AnyTensor[]) => fn.call(a), ...tensorsOf(x));
    out = back(tensorsOf(y, u)).map(readFloat64);
  });
  return out;
}

function dot(a: readonly Float64Array[], b: readonly Float64Array[]): { value: number; abs: number } {
  let value = 0,
    abs = 0;
  a.forEach((ai, k) => {
    for (let j = 0; j < ai.length; j++) {
      value += ai[j] * b[k][j];
      abs += Math.abs(ai[j] * b[k][j]);
    }
  });
  return { value, abs };
}

const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toPrecision(6));

/** Runs `attempt` with the direction restricted to each input alone, to name the inputs to blame. */
function blame(fn: FlatFunction, v: readonly Float64Array[], attempt: (v: Float64Array[]) => string | undefined): string {
  if (v.length === 1) return `  input: ${fn.inputNames[0]}`;
  const culprits: string[] = [];
  v.forEach((_, i) => {
    const only = v.map((d, k) => (k === i ? d : new Float64Array(d.length)));
    if (attempt(only) !== undefined) culprits.push(fn.inputNames[i]);
  });
  return culprits.length > 0
    ? `  inputs to blame (each fails alone): ${culprits.join(", ")}`
    : `  no single input fails alone (inputs: ${fn.inputNames.join(", ")})`;
}

function header(s: Settings, what: string, fn: FlatFunction): string {
  return `checkGrads: ${what} of ${fn.label} (eps ${s.eps}, atol ${s.atol}, rtol ${s.rtol}, seed ${s.seed})`;
}

function checkJvp(s: Settings, fn: FlatFunction, outNames: string[], x: Point, y: Point): void {
  const attempt = (v: Float64Array[]): string | undefined => {
    const got = forward(fn, x, v);
    const fd = centralDifference(fn, x, v, s.eps);
    for (let k = 0; k < got.length; k++) {
      let bad = 0,
        worst = -1,
        worstExcess = 0,
        worstTol = 0;
      for (let j = 0; j < got[k].length; j++) {
        const g = got[k][j],
          e = fd.value[k][j];
        const tol = s.atol + s.rtol * Math.max(Math.abs(g), Math.abs(e)) + fd.error[k][j];
        const excess = Math.abs(g - e) - tol;
        if (!(excess <= 0) && !(Number.isNaN(g) && Number.isNaN(e))) {
          bad++;
          const ex = Number.isNaN(excess) ? Infinity : excess;
          if (worst < 0 || ex > worstExcess) {
            worst = j;
            worstExcess = ex;
            worstTol = tol;
          }
        }
      }
      if (bad > 0) {
        const g = got[k][worst],
          e = fd.value[k][worst];
        return (
          `  ${outNames[k]} ${formatShape(y.shapes[k])}: ${bad} of ${got[k].length} entries differ; worst at flat index ${worst}: ` +
          `jvp gave ${fmt(g)}, finite differences ${fmt(e)} (|diff| ${Math.abs(g - e).toExponential(2)} > tolerance ${worstTol.toExponential(2)})`
        );
      }
    }
    return undefined;
  };
  const v = x.data.map((d) => s.rng.direction(d.length));
  const problem = attempt(v);
  if (problem === undefined) return;
  throw new Error(
    [header(s, "jvp", fn) + " disagrees with finite differences in a random direction", problem, blame(fn, v, attempt)].join("\n"),
  );
}

function checkVjp(s: Settings, fn: FlatFunction, outNames: string[], x: Point, y: Point): void {
  const u = y.data.map((d) => s.rng.direction(d.length));
  const attempt = (v: Float64Array[]): string | undefined => {
    const xBar = reverse(fn, x, y, u);
    const rev = dot(xBar, v);
    const fd = centralDifference(fn, x, v, s.eps);
    const num = dot(u, fd.value);
    const fdErr = dot(
      u.map((d) => d.map(Math.abs)),
      fd.error,
    ).value;
    const tolFd = s.atol + s.rtol * Math.max(rev.abs, num.abs) + fdErr;
    if (!(Math.abs(rev.value - num.value) <= tolFd)) {
      return (
        `  <J^T u, v> by vjp = ${fmt(rev.value)}, <u, J v> by finite differences = ${fmt(num.value)} ` +
        `(|diff| ${Math.abs(rev.value - num.value).toExponential(2)} > tolerance ${tolFd.toExponential(2)})`
      );
    }
    if (s.modes.includes("fwd")) {
      const fwd = dot(u, forward(fn, x, v));
      const tol = s.atol + s.rtol * Math.max(rev.abs, fwd.abs);
      if (!(Math.abs(rev.value - fwd.value) <= tol)) {
        return (
          `  <J^T u, v> by vjp = ${fmt(rev.value)}, <u, J v> by jvp = ${fmt(fwd.value)} ` +
          `(|diff| ${Math.abs(rev.value - fwd.value).toExponential(2)} > tolerance ${tol.toExponential(2)})`
        );
      }
    }
    return undefined;
  };
  const v = x.data.map((d) => s.rng.direction(d.length));
  const problem = attempt(v);
  if (problem === undefined) return;
  const outs = outNames.map((n, k) => `${n} ${formatShape(y.shapes[k])}`).join(", ");
  throw new Error(
    [
      header(s, "vjp", fn) + ` fails the inner-product identity <u, J v> = <J^T u, v> for random u, v (outputs: ${outs})`,
      problem,
      blame(fn, v, attempt),
    ].join("\n"),
  );
}

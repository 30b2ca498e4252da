// Control flow over pytrees (JAX's lax.scan, cond, while_loop, fori_loop), typed. Each traces its
// body once (body.ts) and binds a control-flow primitive (primitives/scan.ts, primitives/while.ts),
// so it works eagerly and under every transform without unrolling into the caller's trace.
import * as tf from "@tensorflow/tfjs-core";
import {
  Concrete,
  describeValue,
  DTypeError,
  formatShape,
  ShapeError,
  Tensor,
  ValueError,
  type AnyTensor,
  type DType,
} from "../tensor/index.js";
import type { Shape } from "../../typelevel/index.js";
import { flatten, unflatten, structureDiff, type TreeDef } from "../tree/index.js";
import { bindMulti, scoped, Tracer } from "./trace.js";
import { traceBody, describeAval, sameAval, evalBody } from "./body.js";
import { scanP } from "./primitives/scan.js";
import { whileP } from "./primitives/while.js";
import { customJvpP } from "./custom-jvp.js";
import { rematP } from "./remat.js";
import { fusedP } from "./fused.js";
import type { MultiPrimitive } from "./primitive.js";
import { add, less, where } from "./primitives/elementwise.js";
import { constant } from "./primitives/util.js";
import { call, expectFunction, leafTensors, type AnyFunction } from "./util.js";
import type { Batched } from "./vmap.js";
import { checkOptionNames } from "./window.js";

/** Options of `scan(f, init, xs, { length, reverse })`. */
export interface ScanOptions {
  /** Number of steps; required when `xs` has no tensors, else it must equal their leading dim. */
  length?: number;
  /** Walk xs from the last step to the first (ys stay in xs' order). */
  reverse?: boolean;
}

/** One step's slice of a tree of stacked tensors: each leaf `Tensor<[T, ...S], D>` becomes `Tensor<S, D>`. */
export type ScanSlice<X> =
  X extends Tensor<infer S extends Shape, infer D extends DType>
    ? S extends readonly [unknown, ...infer R extends Shape]
      ? Tensor<R, D>
      : Tensor<Shape, D>
    : X extends readonly unknown[]
      ? { [K in keyof X]: ScanSlice<X[K]> }
      : X extends object
        ? { [K in keyof X]: ScanSlice<X[K]> }
        : X;

/** The leading dim of a shape (`number` for a scalar or an unknown rank). */
export type LeadingDim<S extends Shape> = S extends readonly [infer T extends number | string, ...unknown[]] ? T : number;

/** The number of steps of a scan over `xs`: the leading dim of its tensors (`number` when unknown). */
export type ScanLength<X> =
  X extends Tensor<infer S extends Shape, DType>
    ? LeadingDim<S>
    : X extends readonly [infer H, ...unknown[]]
      ? H extends Tensor<infer S extends Shape, DType>
        ? LeadingDim<S>
        : number
      : X extends readonly unknown[]
        ? number
        : X extends object
          ? { [K in keyof X]: X[K] extends Tensor<infer S extends Shape, DType> ? LeadingDim<S> : number }[keyof X]
          : number;

/** Accepts `init` only when the body's carry out has init's type; otherwise the error names scan. */
export type CarryCheck<C, C2, Op extends string = "scan"> = [C2] extends [C]
  ? unknown
  : { [K in `${Op}: the body must return a carry of the same type as init`]: C2 };

const what = (i: number, def: TreeDef, leaves: readonly AnyTensor[]) =>
  leaves.length === 1 && def.kind === "leaf" ? "the carry" : `carry leaf ${i}`;

/** Checks a body's carry out against the carry in: same structure, and each leaf the same shape and dtype. */
export function checkCarry(op: string, initDef: TreeDef, initLeaves: readonly AnyTensor[], out: unknown): AnyTensor[] {
  const [leaves, def] = flatten(out);
  const diff = structureDiff(initDef, def);
  if (diff)
    throw new ValueError(
      { op, expected: "a carry with init's structure", got: diff },
      `${op}: the body must return a carry with init's structure; it differs ${diff}`,
    );
  leaves.forEach((l, i) => {
    const a = initLeaves[i];
    if (!sameAval(l, a)) {
      const Err = l.dtype !== a.dtype ? DTypeError : ShapeError;
      throw new Err(
        { op, expected: describeAval(a), got: describeAval(l) },
        `${op}: the body returned ${what(i, initDef, initLeaves)} as ${describeAval(l)}, but init has ${describeAval(a)}; the carry must keep its shape and dtype`,
      );
    }
  });
  return leaves;
}

function expectTensorLeaves(op: string, tree: unknown, name: string): [AnyTensor[], TreeDef] {
  const [leaves, def] = flatten(tree);
  const bad = (d: TreeDef): boolean =>
    d.kind === "static" ? d.value !== null && d.value !== undefined : d.kind === "leaf" ? false : d.children.some(bad);
  if (bad(def))
    throw new ValueError(
      { op, expected: `${name} as a tree of tensors`, got: describeValue(tree) },
      `${op}: ${name} must be a tensor or a tree (arrays, records) of tensors; wrap numbers with scalar()`,
    );
  return [leaves, def];
}

/**
 * Loops `f(carry, x) -> [carry, y]` over the leading axis of `xs` (JAX's `lax.scan`), returning the
 * final carry and the ys stacked along a new leading axis. `init`, `xs` and the ys are pytrees;
 * the body is traced once whatever the length, so under `jit` the loop is one equation, and its
 * reverse mode stores what each step's backward pass needs (no re-tracing). The carry must keep
 * init's type (a compile error naming scan otherwise). Values the body closes over are
 * differentiated like arguments.
 * ```ts
 * const xs = tensor([1, 2, 3, 4]);                                       // Tensor<[4]>
 * const [total, partial] = scan((c: Tensor<[]>, x: Tensor<[]>) => {
 *   const s = add(c, x);
 *   return [s, s];
 * }, scalar(0), xs);                                                     // total 10, partial [1, 3, 6, 10]
 * ```
 */
export function scan<C, X, Y, C2 = C>(
  f: (carry: C, x: ScanSlice<X>) => readonly [C2, Y],
  init: C & CarryCheck<C, C2>,
  xs: X,
  opts?: ScanOptions,
): [C, Batched<Y, ScanLength<X>>];
export function scan(f: AnyFunction, init: unknown, xs: unknown, opts: ScanOptions = {}): unknown {
  expectFunction("scan", f);
  checkOptionNames("scan", opts, ["length", "reverse"]);
  return scoped(() => scanTree("scan", f, init, xs, opts), leafTensors);
}

function scanTree(op: string, f: AnyFunction, init: unknown, xs: unknown, opts: ScanOptions): [unknown, unknown] {
  const [initLeaves, initDef] = expectTensorLeaves(op, init, "init");
  const [xsLeaves, xsDef] = expectTensorLeaves(op, xs, "xs");
  if (opts.reverse !== undefined && typeof opts.reverse !== "boolean")
    throw new ValueError(
      { op, expected: "reverse: a boolean", got: describeValue(opts.reverse) },
      `${op}: reverse must be a boolean, got ${describeValue(opts.reverse)}`,
    );
  let length = opts.length;
  if (length !== undefined && (!Number.isInteger(length) || length < 0))
    throw new ValueError(
      { op, expected: "length: a non-negative integer", got: describeValue(length) },
      `${op}: length must be a non-negative integer, got ${describeValue(length)}`,
    );
  xsLeaves.forEach((l, i) => {
    if (l.rank === 0)
      throw new ShapeError(
        { op, expected: "xs leaves with a leading axis to scan over", got: `a scalar at xs leaf ${i}` },
        `${op}: xs leaf ${i} is a scalar; each xs leaf needs a leading axis to scan over`,
      );
    if (length === undefined) length = l.shape[0];
    else if (l.shape[0] !== length)
      throw new ShapeError(
        { op, expected: `leading dim ${length}`, got: formatShape(l.shape) },
        `${op}: xs leaf ${i} has shape ${formatShape(l.shape)}, but the scan length is ${length} (${opts.length === undefined ? "from xs leaf 0" : "from length"}); every xs leaf must lead with it`,
      );
  });
  if (length === undefined)
    throw new ValueError({ op, expected: "xs with tensors, or { length }", got: "no xs" }, `${op}: xs has no tensors; give { length }`);
  const nCarry = initLeaves.length;
  let yDef: TreeDef | undefined;
  const traced = traceBody(
    op,
    (flat) => {
      const result = call(f, [unflatten(initDef, flat.slice(0, nCarry)), unflatten(xsDef, flat.slice(nCarry))]);
      if (!Array.isArray(result) || result.length !== 2) {
        const got = Array.isArray(result) ? `an array of ${result.length}` : result instanceof Tensor ? "a tensor" : describeValue(result);
        throw new ValueError({ op, expected: "[carry, y]", got }, `${op}: the body must return [carry, y], got ${got}`);
      }
      const carryOut = checkCarry(op, initDef, initLeaves, result[0]);
      const [yLeaves, def] = expectTensorLeaves(op, result[1], "the body's y");
      yDef = def;
      return [...carryOut, ...yLeaves];
    },
    [...initLeaves.map((l) => ({ shape: l.shape, dtype: l.dtype })), ...xsLeaves.map((l) => ({ shape: l.shape.slice(1), dtype: l.dtype }))],
  );
  const outs = bindMulti(scanP, [...traced.captured, ...initLeaves, ...xsLeaves], {
    body: traced.body,
    nConsts: traced.captured.length,
    nCarry,
    length,
    reverse: opts.reverse ?? false,
  });
  return [unflatten(initDef, outs.slice(0, nCarry)), unflatten(yDef!, outs.slice(nCarry))];
}

/** Accepts the false branch only when it returns the true branch's type; otherwise the error names cond. */
export type BranchCheck<T, F> = [F] extends [T] ? ([T] extends [F] ? unknown : BranchMismatch<T>) : BranchMismatch<T>;

/** What a mismatched false branch is asked for: the error text, holding the true branch's type. */
export interface BranchMismatch<T> {
  /** The type the true branch returns (the false branch must return it too). */
  "cond: both branches must return the same type": T;
}

/** A predicate: a JS boolean (a static choice) or a bool scalar tensor. */
export type Predicate = boolean | Tensor<[], "bool">;

function expectPredicate(op: string, pred: unknown, what: string): void {
  if (typeof pred === "boolean") return;
  if (!(pred instanceof Tensor) || pred.rank !== 0 || pred.dtype !== "bool") {
    const got = pred instanceof Tensor ? `${formatShape(pred.shape)} ${pred.dtype}` : describeValue(pred);
    const Err = pred instanceof Tensor && pred.rank === 0 ? DTypeError : pred instanceof Tensor ? ShapeError : ValueError;
    throw new Err(
      { op, expected: 'a bool scalar (Tensor<[], "bool">) or a boolean', got },
      `${op}: ${what} must be a bool scalar (Tensor<[], "bool">) or a boolean, got ${got}; compare to make one (e.g. greater(x, 0))`,
    );
  }
}

/**
 * `trueFn(...operands)` where `pred` holds, else `falseFn(...operands)` (JAX's `lax.cond`). Both
 * branches are traced and must return the same type (a compile error naming cond otherwise, and a
 * run-time check of the shapes). A concrete `pred` (a boolean, or a tensor outside jit and vmap)
 * runs only the chosen branch; a traced one (under jit or vmap, or inside a loop body) runs both and
 * selects with `where`, so every transform applies. NOTE: as with `where`, a branch not taken still
 * contributes zero times its derivative: keep both branches finite on every input.
 * ```ts
 * const safeLog = (x: Tensor<[]>) => cond(greater(x, 0), (v) => log(v), (v) => mul(v, 0), x);
 * ```
 */
export function cond<A extends unknown[], T, F>(
  pred: Predicate,
  trueFn: (...operands: A) => T,
  falseFn: ((...operands: A) => F) & BranchCheck<T, F>,
  ...operands: A
): T;
export function cond(pred: unknown, trueFn: AnyFunction, falseFn: AnyFunction, ...operands: unknown[]): unknown {
  const op = "cond";
  expectFunction(op, trueFn);
  expectFunction(op, falseFn);
  expectPredicate(op, pred, "the predicate");
  return scoped(() => {
    const [leaves, def] = expectTensorLeaves(op, operands, "the operands");
    const avals = leaves.map((l) => ({ shape: l.shape, dtype: l.dtype }));
    const branch = (fn: AnyFunction, name: string) => {
      let outDef: TreeDef | undefined;
      const traced = traceBody(
        op,
        (flat) => {
          const [outLeaves, d] = expectTensorLeaves(op, call(fn, unflatten<unknown[]>(def, flat)), `the ${name} branch's result`);
          outDef = d;
          return outLeaves;
        },
        avals,
      );
      return { ...traced, def: outDef! };
    };
    const t = branch(trueFn, "true");
    const f = branch(falseFn, "false");
    const diff = structureDiff(t.def, f.def);
    if (diff)
      throw new ValueError(
        { op, expected: "branches returning the same structure", got: diff },
        `cond: both branches must return the same type; their results differ ${diff}`,
      );
    t.body.outAvals.forEach((a, i) => {
      const b = f.body.outAvals[i];
      if (!sameAval(a, b)) {
        const Err = a.dtype !== b.dtype ? DTypeError : ShapeError;
        throw new Err(
          { op, expected: describeAval(a), got: describeAval(b) },
          `cond: both branches must return the same type; result leaf ${i} is ${describeAval(a)} in the true branch, ${describeAval(b)} in the false branch`,
        );
      }
    });
    const run = (b: typeof t) => evalBody(b.body, [...b.captured, ...leaves]);
    if (typeof pred === "boolean") return unflatten(t.def, run(pred ? t : f));
    const p = pred as AnyTensor;
    if (!(p instanceof Tracer)) return unflatten(t.def, run(p.concrete().dataSync()[0] !== 0 ? t : f));
    const a = run(t);
    const b = run(f);
    return unflatten(
      t.def,
      a.map((x, i) => where(p, x, b[i])),
    );
  }, leafTensors);
}

/**
 * Runs `carry = bodyFn(carry)` while `condFn(carry)` is true (JAX's `lax.while_loop`); the body
 * must keep the carry's type. Works eagerly, under jit (one equation, one host read per step),
 * vmap (runs until every example stops) and jvp. Reverse mode (grad) throws: the number of steps
 * is data, so use `scan` or `foriLoop` with number bounds instead.
 * ```ts
 * const [i, x] = whileLoop(([i]) => less(i, 10), ([i, x]) => [add(i, 1), mul(x, 2)], [scalar(0, "int32"), scalar(1)]);
 * ```
 */
export function whileLoop<C, C2 = C>(
  condFn: (carry: C) => Tensor<[], "bool">,
  bodyFn: (carry: C) => C2,
  init: C & CarryCheck<C, C2, "whileLoop">,
): C;
export function whileLoop(condFn: AnyFunction, bodyFn: AnyFunction, init: unknown): unknown {
  const op = "whileLoop";
  expectFunction(op, condFn);
  expectFunction(op, bodyFn);
  return scoped(() => whileTree(op, condFn, bodyFn, init), leafTensors);
}

function whileTree(op: string, condFn: AnyFunction, bodyFn: AnyFunction, init: unknown): unknown {
  const [leaves, def] = expectTensorLeaves(op, init, "init");
  const avals = leaves.map((l) => ({ shape: l.shape, dtype: l.dtype }));
  const c = traceBody(
    op,
    (flat) => {
      const pred: unknown = call(condFn, [unflatten(def, flat)]);
      expectPredicate(op, pred, "the condition's result");
      if (typeof pred === "boolean") return [constant(pred ? 1 : 0, "bool")];
      return [pred as AnyTensor];
    },
    avals,
  );
  const b = traceBody(op, (flat) => checkCarry(op, def, leaves, call(bodyFn, [unflatten(def, flat)])), avals);
  const outs = bindMulti(whileP, [...c.captured, ...b.captured, ...leaves], {
    cond: c.body,
    body: b.body,
    nCond: c.captured.length,
    nBody: b.captured.length,
  });
  return unflatten(def, outs);
}

/**
 * `carry = body(i, carry)` for `i` from `lower` to `upper - 1` (JAX's `lax.fori_loop`); `i` is an
 * int32 scalar. With number bounds it is a `scan` (so grad works); with tensor bounds a
 * `whileLoop` (forward mode only).
 * ```ts
 * const x = foriLoop(0, 5, (i, acc: Tensor<[]>) => add(acc, cast(i, "float32")), scalar(0));   // 10
 * ```
 */
export function foriLoop<C, C2 = C>(
  lower: number | Tensor<[], "int32">,
  upper: number | Tensor<[], "int32">,
  body: (i: Tensor<[], "int32">, carry: C) => C2,
  init: C & CarryCheck<C, C2, "foriLoop">,
): C;
export function foriLoop(lower: unknown, upper: unknown, body: AnyFunction, init: unknown): unknown {
  const op = "foriLoop";
  expectFunction(op, body);
  const bound = (b: unknown, name: string) => {
    if (typeof b === "number") {
      if (!Number.isInteger(b))
        throw new ValueError({ op, expected: `${name}: an integer`, got: String(b) }, `foriLoop: ${name} must be an integer, got ${b}`);
      return;
    }
    if (!(b instanceof Tensor) || b.rank !== 0 || b.dtype !== "int32") {
      const got = b instanceof Tensor ? `${formatShape(b.shape)} ${b.dtype}` : describeValue(b);
      throw new ValueError(
        { op, expected: `${name}: an integer or an int32 scalar`, got },
        `foriLoop: ${name} must be an integer or an int32 scalar tensor, got ${got}`,
      );
    }
  };
  bound(lower, "lower");
  bound(upper, "upper");
  return scoped(() => {
    if (typeof lower === "number" && typeof upper === "number") {
      const n = Math.max(0, upper - lower);
      const idx = new Concrete(tf.range(lower, lower + n, 1, "int32"));
      return scanTree(op, (c: unknown, i: unknown) => [call(body, [i, c]), null], init, idx, {})[0];
    }
    const lo = typeof lower === "number" ? constant(lower, "int32") : (lower as AnyTensor);
    const hi = typeof upper === "number" ? constant(upper, "int32") : (upper as AnyTensor);
    const out = whileTree(
      op,
      ([i]: AnyTensor[]) => less(i, hi),
      ([i, c]: [AnyTensor, unknown]) => [add(i, constant(1, "int32")), call(body, [i, c])],
      [lo, init],
    ) as [AnyTensor, unknown];
    return out[1];
  }, leafTensors);
}

/** The control-flow primitives (several outputs, traced bodies); the tests iterate over them as over `primitives`. */
export const controlPrimitives = {
  scan: scanP,
  while: whileP,
  customJvp: customJvpP,
  remat: rematP,
  fused: fusedP,
} satisfies Record<string, MultiPrimitive>;

export type ControlPrimitiveName = keyof typeof controlPrimitives;

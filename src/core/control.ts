// Control flow over pytrees (JAX's lax.scan, cond, while_loop, fori_loop), typed. Each traces its
// body once (body.ts) and binds a control-flow primitive (primitives/scan.ts, primitives/while.ts),
// so it works eagerly and under every transform without unrolling into the caller's trace.
import { describeValue, DTypeError, formatShape, ShapeError, type Tensor, ValueError, type AnyTensor, type DType } from "../tensor/index.js";
import type { Shape } from "../../typelevel/index.js";
import { flatten, unflatten, structureDiff, type TreeDef } from "../tree/index.js";
import { bindMulti, scoped } from "./trace.js";
import { traceBody, describeAval, sameAval } from "./body.js";
import { scanP } from "./primitives/scan.js";
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
type LeadingDim<S extends Shape> = S extends readonly [infer T extends number | string, ...unknown[]] ? T : number;

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
  return scoped(() => scanTree(f, init, xs, opts), leafTensors);
}

function scanTree(f: AnyFunction, init: unknown, xs: unknown, opts: ScanOptions): [unknown, unknown] {
  const op = "scan";
  const [initLeaves, initDef] = expectTensorLeaves(op, init, "init");
  const [xsLeaves, xsDef] = expectTensorLeaves(op, xs, "xs");
  if (opts.reverse !== undefined && typeof opts.reverse !== "boolean")
    throw new ValueError(
      { op, expected: "reverse: a boolean", got: describeValue(opts.reverse) },
      `scan: reverse must be a boolean, got ${describeValue(opts.reverse)}`,
    );
  let length = opts.length;
  if (length !== undefined && (!Number.isInteger(length) || length < 0))
    throw new ValueError(
      { op, expected: "length: a non-negative integer", got: describeValue(length) },
      `scan: length must be a non-negative integer, got ${describeValue(length)}`,
    );
  xsLeaves.forEach((l, i) => {
    if (l.rank === 0)
      throw new ShapeError(
        { op, expected: "xs leaves with a leading axis to scan over", got: `a scalar at xs leaf ${i}` },
        `scan: xs leaf ${i} is a scalar; each xs leaf needs a leading axis to scan over`,
      );
    if (length === undefined) length = l.shape[0];
    else if (l.shape[0] !== length)
      throw new ShapeError(
        { op, expected: `leading dim ${length}`, got: formatShape(l.shape) },
        `scan: xs leaf ${i} has shape ${formatShape(l.shape)}, but the scan length is ${length} (${opts.length === undefined ? "from xs leaf 0" : "from length"}); every xs leaf must lead with it`,
      );
  });
  if (length === undefined)
    throw new ValueError({ op, expected: "xs with tensors, or { length }", got: "no xs" }, "scan: xs has no tensors; give { length }");
  const nCarry = initLeaves.length;
  let yDef: TreeDef | undefined;
  const traced = traceBody(
    op,
    (flat) => {
      const result = call(f, [unflatten(initDef, flat.slice(0, nCarry)), unflatten(xsDef, flat.slice(nCarry))]);
      if (!Array.isArray(result) || result.length !== 2)
        throw new ValueError(
          { op, expected: "[carry, y]", got: Array.isArray(result) ? `an array of ${result.length}` : describeValue(result) },
          `scan: the body must return [carry, y], got ${Array.isArray(result) ? `an array of ${result.length}` : describeValue(result)}`,
        );
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

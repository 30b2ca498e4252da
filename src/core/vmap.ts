// Batching: a tracer holds a value with the batch at axis 0; each primitive's batching rule
// maps batched inputs to a batched output.
import {
  formatShape,
  type AnyTensor,
  type DType,
  type Tensor,
  type TfTensor,
  ShapeError as ShapeErrorClass,
  ValueError,
} from "../tensor/index.js";
import type { Checked, Dim, InsertAt, IsTuple, NormalizeAxis, Shape, ShapeError } from "../../typelevel/index.js";
import { flatten, unflatten } from "../tree/index.js";
import { evalShape, evalShapeMulti, scoped, Tracer, withTrace, type Trace } from "./trace.js";
import type { MultiPrimitive, Primitive } from "./primitive.js";
import { call, expectFunction, leafTensors, type AnyFunction } from "./util.js";
import { moveAxis } from "./primitives/shape.js";
import { withBatchAxis } from "./primitives/broadcast.js";
import { normAxis } from "./primitives/util.js";

export class BatchTrace implements Trace {
  readonly kind = "vmap";
  alive = true;
  constructor(
    readonly level: number,
    readonly axisSize: number,
  ) {}

  process(prim: Primitive, args: AnyTensor[], params: unknown): AnyTensor {
    evalShape(prim, args, params); // messages name per-example shapes
    const values: AnyTensor[] = [];
    const batched: boolean[] = [];
    for (const a of args) {
      const mine = a instanceof BatchTracer && a.trace === this;
      values.push(mine ? a.value : a);
      batched.push(mine);
    }
    const out = prim.batch(values, batched, params, this.axisSize);
    return new BatchTracer(this, out);
  }

  processMulti(prim: MultiPrimitive, args: AnyTensor[], params: unknown): AnyTensor[] {
    evalShapeMulti(prim, args, params);
    const values = args.map((a) => (a instanceof BatchTracer && a.trace === this ? a.value : a));
    const batched = args.map((a) => a instanceof BatchTracer && a.trace === this);
    return prim.batch(values, batched, params, this.axisSize).map((o) => new BatchTracer(this, o));
  }
}

export class BatchTracer extends Tracer {
  constructor(
    override readonly trace: BatchTrace,
    readonly value: AnyTensor,
  ) {
    super(trace, { shape: value.shape.slice(1), dtype: value.dtype });
  }
  concrete(): TfTensor {
    throw new ValueError(
      { op: "vmap", expected: "a concrete tensor", got: this.toString() },
      `cannot read the values of a batched tensor inside vmap (${this.toString()})`,
    );
  }
}

export type AxisSpec = number | null;

/** Options of `vmap(f, { inAxes, outAxes, axisSize })`. */
export interface VmapOptions {
  /** Axis of each positional argument to map over (null = shared); one number applies to all. */
  inAxes?: AxisSpec | readonly AxisSpec[];
  /** Where the mapped axis goes in the outputs (default 0). */
  outAxes?: number;
  /** Required when no argument is mapped. */
  axisSize?: number;
}

/**
 * Inserts dim N into every tensor type in a tree, at axis `OutAx` (default 0; negative counts
 * from the end of the result).
 */
export type Batched<T, N extends number | string, OutAx extends number = 0> =
  T extends Tensor<infer S extends Shape, infer D extends DType>
    ? Tensor<InsertAxis<S, OutAx, N>, D>
    : T extends readonly unknown[]
      ? { [K in keyof T]: Batched<T[K], N, OutAx> }
      : T extends object
        ? { [K in keyof T]: Batched<T[K], N, OutAx> }
        : T;
/** S with dim N inserted so that it sits at axis Ax of the result (Ax may be negative). */
type InsertAxis<S extends Shape, Ax extends number, N extends Dim> =
  IsTuple<S> extends true ? (NormalizeAxis<[...S, N], Ax> extends infer I extends number ? InsertAt<S, I, N> : Dim[]) : Dim[];

export function vmapCore(f: AnyFunction, args: unknown[], opts: VmapOptions): unknown {
  const inAxes = Array.isArray(opts.inAxes) ? opts.inAxes : args.map(() => (opts.inAxes ?? 0) as AxisSpec);
  if (inAxes.length !== args.length)
    throw new ValueError(
      { op: "vmap", expected: `${args.length} inAxes entries`, got: String(inAxes.length) },
      `vmap: inAxes has ${inAxes.length} entries for ${args.length} argument(s)`,
    );
  // batch size from the mapped leaves
  let size = opts.axisSize;
  const sizes: string[] = [];
  args.forEach((arg, i) => {
    const ax = inAxes[i];
    if (ax === null) return;
    for (const l of flatten(arg)[0]) {
      const a = normAxis("vmap", ax, l.rank);
      const n = l.shape[a];
      sizes.push(`argument ${i} has ${n} at axis ${ax} (shape ${formatShape(l.shape)})`);
      if (size === undefined) size = n;
      else if (size !== n)
        throw new ShapeErrorClass(
          { op: "vmap", expected: "mapped axes of one size", got: sizes.join("; ") },
          `vmap: mapped axes have different sizes: ${sizes.join("; ")}`,
        );
    }
  });
  if (size === undefined)
    throw new ValueError(
      { op: "vmap", expected: "inAxes or axisSize", got: "no mapped argument" },
      "vmap: no argument is mapped; give inAxes or axisSize",
    );
  const n = size;
  return withTrace(
    (level) => new BatchTrace(level, n),
    (t) => {
      const trace = t as BatchTrace;
      const wrapped = args.map((arg, i) => {
        const ax = inAxes[i];
        if (ax === null) return arg;
        const [ls, def] = flatten(arg);
        return unflatten(
          def,
          ls.map((l) => new BatchTracer(trace, moveAxis(l, normAxis("vmap", ax, l.rank), 0))),
        );
      });
      const out = call(f, wrapped);
      const [ol, od] = flatten(out);
      const outAxis = opts.outAxes ?? 0;
      return unflatten(
        od,
        ol.map((o) => {
          const v = o instanceof BatchTracer && o.trace === trace ? o.value : withBatchAxis(o, n);
          return moveAxis(v, 0, normAxis("vmap", outAxis, v.rank));
        }),
      );
    },
  );
}

/**
 * Maps `f` over an axis of its arguments: the output gains that axis (at `outAxes`). Each
 * argument's tensors must have the argument's `inAxes` axis (`null`: shared, not mapped); the
 * mapped dims of all arguments must agree (a compile error naming both sizes when they are
 * literals, as at run time), and that size is the new dim of the output.
 * ```ts
 * const perExample = vmap(grad(loss), { inAxes: [null, 0, 0] })(params, xs, ys);
 * vmap((a: Tensor<[3]>, b: Tensor<[3]>) => dot(a, b))(xs, ys);   // [32, 3] and [32, 3] -> Tensor<[32]>
 * ```
 */
export function vmap<A extends unknown[], R, const O extends VmapOptions = {}>(
  f: (...args: A) => R,
  opts?: Checked<O, InAxesRule<A, O>>,
): Vmapped<A, R, AxesOf<A, O>, OutAxOf<O>>;
export function vmap(f: AnyFunction, opts: VmapOptions = {}): (...args: unknown[]) => unknown {
  expectFunction("vmap", f);
  return (...args: unknown[]) => scoped(() => vmapCore(f, args, opts), leafTensors);
}

// ---------------------------------------------------------------- vmap's types

/**
 * The vmapped function: each argument is f's argument with the mapped axis inserted (named dims
 * accept any size); all literal mapped dims must be equal; the output gains that dim.
 */
// NOTE: Args is bound by `readonly unknown[]` alone, and f's per-example check is in the parameter
// type: with `Args extends readonly unknown[] & MappedArgs<A, Axes>` the mapped rest parameter is
// not an array type to tsc (an intersection constraint), and `Args[K] & TieCheck` printed the
// message after the whole tensor type.
export type Vmapped<A extends unknown[], R, Axes extends readonly AxisSpec[], OutAx extends number> = <
  const Args extends readonly unknown[],
>(
  ...args: { [K in keyof Args]: VmapArg<Args[K], K extends keyof A ? MappedArgs<A, Axes>[K] : unknown, TieCheck<Args, Axes, K>> }
) => Batched<R, MappedSize<Args, Axes>, OutAx>;

/**
 * The parameter type of argument K: what f takes there with the mapped axis inserted when the
 * argument does not fit it, else the argument itself, or the tie error alone (first line of the
 * diagnostic) when its mapped dim differs from the first literal one.
 */
type VmapArg<X, Want, Tie> = [X] extends [Want] ? Checked<X, Tie> : Want;
/** The axis of each argument: `inAxes` as a list, one axis for all, or 0. */
type AxesOf<A extends unknown[], O> = O extends { readonly inAxes: infer I }
  ? [I] extends [undefined]
    ? { [K in keyof A]: 0 }
    : I extends readonly AxisSpec[]
      ? I
      : { [K in keyof A]: I extends AxisSpec ? I : 0 }
  : { [K in keyof A]: 0 };
type OutAxOf<O> = O extends { readonly outAxes: infer X extends number } ? X : 0;
/** A list of inAxes must have one entry per argument of f. */
type InAxesRule<A extends unknown[], O> = O extends { readonly inAxes: infer I extends readonly unknown[] }
  ? number extends A["length"]
    ? unknown
    : I["length"] extends A["length"]
      ? unknown
      : ShapeError<`vmap: inAxes has ${I["length"]} entries for ${A["length"]} argument(s)`>
  : unknown;

/** f's arguments with the mapped axis inserted (an unmapped argument as f takes it). */
export type MappedArgs<A extends unknown[], Axes extends readonly AxisSpec[]> = {
  [K in keyof A]: K extends keyof Axes ? MappedArg<A[K], Axes[K]> : A[K];
};
/** Named dims accept any size (as model inputs do); a tensor of unknown rank stays unknown. */
type MappedArg<T, Ax> =
  T extends Tensor<infer S extends Shape, infer D extends DType>
    ? IsTuple<S> extends true
      ? Tensor<Ax extends number ? InsertAxis<AcceptNamed<S>, Ax, Dim> : AcceptNamed<S>, D>
      : Tensor<Shape, D>
    : T extends readonly unknown[]
      ? { [K in keyof T]: MappedArg<T[K], Ax> }
      : T extends object
        ? { [K in keyof T]: MappedArg<T[K], Ax> }
        : T;
type AcceptNamed<S extends Shape> = { [K in keyof S]: S[K] extends string ? S[K] | number : S[K] };

/** The dims at the mapped axis over the tensors of one argument (a union; never when unmapped). */
type MappedDims<T, Ax> = Ax extends number
  ? T extends Tensor<infer S extends Shape, DType>
    ? IsTuple<S> extends true
      ? S[NormalizeAxis<S, Ax> & keyof S]
      : number
    : T extends readonly unknown[]
      ? MappedDims<T[number], Ax>
      : T extends object
        ? MappedDims<T[keyof T], Ax>
        : never
  : never;
/** [argument index, size, axis] of the first argument whose mapped dim is a literal (or a name), else never. */
type FirstSized<
  Args extends readonly unknown[],
  Axes extends readonly AxisSpec[],
  Want extends "literal" | "name",
  I extends unknown[] = [],
> = Args extends readonly [infer H, ...infer Rest]
  ? Sized<MappedDims<H, Axes[I["length"]]>, Want> extends infer d extends Dim
    ? [d] extends [never]
      ? FirstSized<Rest, Axes, Want, [...I, 0]>
      : [I["length"], d, Axes[I["length"]]]
    : never
  : never;
type Sized<D, Want> = Want extends "literal" ? Literal<D> : D extends string ? D : never;
type Literal<D> = D extends number ? (number extends D ? never : D) : never;
/** The new dim: the first literal mapped dim, else the first named one, else `number`. */
export type MappedSize<Args extends readonly unknown[], Axes extends readonly AxisSpec[]> = SizeFrom<
  FirstSized<Args, Axes, "literal">,
  SizeFrom<FirstSized<Args, Axes, "name">, number>
>;
type SizeFrom<F, Else> = [F] extends [never] ? Else : F extends [number, infer d extends Dim, AxisSpec] ? d : Else;
/** `unknown`, or the error at argument K when its mapped dim is a literal other than the first one. */
// NOTE: FirstSized is never when no mapped dim is a literal; as the check type of this
// (non-distributive) conditional, never then resolves to never, which `Args[K] & never` would
// turn into an error: so the never case is `unknown` first.
type TieCheck<Args extends readonly unknown[], Axes extends readonly AxisSpec[], K> = [FirstSized<Args, Axes, "literal">] extends [never]
  ? unknown
  : FirstSized<Args, Axes, "literal"> extends [infer I0 extends number, infer N extends number, infer Ax0 extends number]
    ? K extends `${number}`
      ? Exclude<Literal<MappedDims<Args[K & keyof Args], Axes[K & keyof Axes]>>, N> extends infer Bad extends number
        ? [Bad] extends [never]
          ? unknown
          : ShapeError<`vmap: mapped axes have different sizes: argument ${I0} has ${N} at axis ${Ax0}, argument ${K} has ${Bad} at axis ${Axes[K & keyof Axes] & number}`>
        : unknown
      : unknown
    : unknown;

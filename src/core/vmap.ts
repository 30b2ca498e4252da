// Batching: a tracer holds a value with the batch at axis 0; each primitive's batching rule
// maps batched inputs to a batched output.
import { formatShape, type AnyTensor, type DType, type Tensor, type TfTensor, ShapeError, ValueError } from "../tensor/index.js";
import type { Shape } from "../../typelevel/index.js";
import { flatten, unflatten } from "../tree/index.js";
import { evalShape, scoped, Tracer, withTrace, type Trace } from "./trace.js";
import type { Primitive } from "./primitive.js";
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

/** Adds a leading dim N to every tensor type in a tree. */
export type Batched<T, N extends number | string> =
  T extends Tensor<infer S extends Shape, infer D extends DType>
    ? Tensor<[N, ...S], D>
    : T extends readonly unknown[]
      ? { [K in keyof T]: Batched<T[K], N> }
      : T extends object
        ? { [K in keyof T]: Batched<T[K], N> }
        : T;

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
        throw new ShapeError(
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
 * Maps `f` over an axis of its arguments: the output gains that axis (at `outAxes`).
 * ```ts
 * const perExample = vmap(grad(loss), { inAxes: [null, 0, 0] })(params, xs, ys);
 * ```
 */
export function vmap<A extends unknown[], Out>(
  f: (...args: A) => Out,
  opts?: VmapOptions & { inAxes?: 0 },
): (...args: BatchedArgs<A>) => Batched<Out, number>;
export function vmap<A extends unknown[], Out>(f: (...args: A) => Out, opts: VmapOptions): (...args: unknown[]) => Batched<Out, number>;
export function vmap<A extends unknown[], Out>(
  f: (...args: A) => Out,
  opts: VmapOptions = {},
): (...args: unknown[]) => Batched<Out, number> {
  expectFunction("vmap", f);
  return (...args: unknown[]) => scoped(() => vmapCore(f, args, opts), leafTensors) as Batched<Out, number>;
}

/** Arguments of a function vmapped over axis 0: every tensor gains a leading dim of any size. */
export type BatchedArgs<A extends unknown[]> = { [K in keyof A]: BatchedArg<A[K]> };
/** Named dims accept any size (as model inputs do); a tensor of unknown rank stays unknown. */
type BatchedArg<T> =
  T extends Tensor<infer S extends Shape, infer D extends DType>
    ? number extends S["length"]
      ? Tensor<Shape, D>
      : Tensor<[number, ...{ [K in keyof S]: S[K] extends string ? S[K] | number : S[K] }], D>
    : T extends readonly unknown[]
      ? { [K in keyof T]: BatchedArg<T[K]> }
      : T extends object
        ? { [K in keyof T]: BatchedArg<T[K]> }
        : T;

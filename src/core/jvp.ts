// Forward mode: each tracer carries a primal and a tangent (null = zero).
import { formatShape, sameShape, type AnyTensor, type TfTensor, ShapeError, ValueError, describeValue } from "../tensor/index.js";
import { flatten, unflatten, structureDiff } from "../tree/index.js";
import { bind, bindMulti, scoped, Tracer, withTrace, type Trace } from "./trace.js";
import type { MultiPrimitive, Primitive } from "./primitive.js";
import { zerosLike } from "./primitives/broadcast.js";
import { call, expectFunction, leafTensors, type AnyFunction } from "./util.js";

export class JvpTrace implements Trace {
  readonly kind = "jvp";
  alive = true;
  constructor(readonly level: number) {}

  process(prim: Primitive, args: AnyTensor[], params: unknown): AnyTensor {
    const primals: AnyTensor[] = [];
    const tangents: (AnyTensor | null)[] = [];
    for (const a of args) {
      if (a instanceof JvpTracer && a.trace === this) {
        primals.push(a.primal);
        tangents.push(a.tangent);
      } else {
        primals.push(a);
        tangents.push(null);
      }
    }
    const out = bind(prim, primals, params);
    if (tangents.every((t) => t === null)) return out;
    const t = prim.jvp(primals, tangents, params, out);
    return t === null ? out : new JvpTracer(this, out, t);
  }

  processMulti(prim: MultiPrimitive, args: AnyTensor[], params: unknown): AnyTensor[] {
    const pairs = args.map((a) => this.unwrap(a));
    const primals = pairs.map(([p]) => p);
    const tangents = pairs.map(([, t]) => t);
    if (tangents.every((t) => t === null)) return bindMulti(prim, primals, params);
    const [outs, outTangents] = prim.jvp(primals, tangents, params);
    return outs.map((o, i) => {
      const t = outTangents[i];
      return t === null ? o : new JvpTracer(this, o, t);
    });
  }

  unwrap(x: AnyTensor): [AnyTensor, AnyTensor | null] {
    return x instanceof JvpTracer && x.trace === this ? [x.primal, x.tangent] : [x, null];
  }
}

export class JvpTracer extends Tracer {
  constructor(
    override readonly trace: JvpTrace,
    readonly primal: AnyTensor,
    readonly tangent: AnyTensor | null,
  ) {
    super(trace, { shape: primal.shape, dtype: primal.dtype });
  }
  concrete(): TfTensor {
    return this.primal.concrete();
  }
}

/** Forward mode on flat leaves: outputs and their tangents. */
export function jvpCore(f: AnyFunction, primals: readonly unknown[], tangents: readonly unknown[]): [unknown, unknown] {
  return withTrace(
    (level) => new JvpTrace(level),
    (t) => {
      const trace = t as JvpTrace;
      const [pl, pd] = flatten(primals);
      const [tl, td] = flatten(tangents);
      const diff = structureDiff(pd, td);
      if (diff)
        throw new ValueError(
          { op: "jvp", expected: "tangents with the primals' structure", got: diff },
          `jvp: primals and tangents differ in structure ${diff}`,
        );
      pl.forEach((p, i) => {
        const s = p.shape,
          u = tl[i].shape;
        if (!sameShape(s, u)) {
          throw new ShapeError(
            { op: "jvp", expected: formatShape(s), got: formatShape(u) },
            `jvp: tangent ${i} has shape ${formatShape(u)}, its primal has ${formatShape(s)}`,
          );
        }
      });
      const ins = pl.map((p, i) => new JvpTracer(trace, p, tl[i]));
      const out = call(f, unflatten<unknown[]>(pd, ins));
      const [ol, od] = flatten(out);
      const pairs = ol.map((o) => trace.unwrap(o));
      return [
        unflatten(
          od,
          pairs.map(([p]) => p),
        ),
        unflatten(
          od,
          pairs.map(([p, tg]) => tg ?? zerosLike(p)),
        ),
      ];
    },
  );
}

/**
 * Forward mode: `[f(...primals), J · tangents]`.
 * ```ts
 * const [y, yDot] = jvp((x: Tensor<[3]>) => sin(x), [x], [ones([3])]);   // yDot = cos(x)
 * ```
 */
export function jvp<A extends unknown[], Out>(f: (...args: A) => Out, primals: A, tangents: A): [Out, Out] {
  expectFunction("jvp", f);
  if (!Array.isArray(primals) || !Array.isArray(tangents)) {
    const got = `${describeValue(primals)} and ${describeValue(tangents)}`;
    throw new ValueError(
      { op: "jvp", expected: "arrays of primals and tangents", got },
      `jvp: primals and tangents must be arrays (one entry per argument), got ${got}`,
    );
  }
  return scoped(() => jvpCore(f, primals, tangents), leafTensors) as [Out, Out];
}

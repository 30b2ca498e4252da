// Closed programs for control flow (JAX's closed jaxprs, small): a loop or branch body is traced
// ONCE into a flat graph whose inputs are the values it closed over (`captured`, tracers of outer
// transforms included) followed by its declared inputs. The control-flow primitives carry such
// bodies in their params; their rules build new bodies (jvp, batched, forward/backward halves of
// the vjp) by re-tracing `evalGraph` of the old one under a transform, never the user's function.
import { formatShape, ValueError, type AnyTensor, type TfTensor, Concrete } from "../tensor/index.js";
import { bind, bindMulti, evalShape, evalShapeMulti, Tracer, withTrace, type Trace } from "./trace.js";
import type { Aval, MultiPrimitive, Primitive } from "./primitive.js";
import { multiStub, outSlots, runGraph, type Equation, type Graph } from "./jit.js";
import { JvpTrace, JvpTracer } from "./jvp.js";
import { vmapCore } from "./vmap.js";

/** A traced body: a graph over [captured..., declared...] inputs with no constants of its own. */
export interface Body {
  readonly graph: Graph;
  /** Avals of every input, captured ones first. */
  readonly inAvals: readonly Aval[];
  readonly outAvals: readonly Aval[];
}

class BodyTrace implements Trace {
  readonly kind = "control-flow body";
  alive = true;
  readonly eqns: Equation[] = [];
  readonly captured: AnyTensor[] = [];
  private readonly capturedSlot = new Map<AnyTensor, number>();
  nSlots: number;
  constructor(
    readonly level: number,
    readonly nDeclared: number,
    readonly what: string,
  ) {
    this.nSlots = nDeclared;
  }

  slotOf(x: AnyTensor): number {
    if (x instanceof BodyTracer && x.trace === this) return x.slot;
    // NOTE: anything else (a tensor or a tracer of an outer transform) becomes an input of the
    // body, so outer transforms see it as an operand of the loop and differentiate through it
    let s = this.capturedSlot.get(x);
    if (s === undefined) {
      this.captured.push(x);
      s = -this.captured.length;
      this.capturedSlot.set(x, s);
    }
    return s;
  }

  process(prim: Primitive, args: AnyTensor[], params: unknown): AnyTensor {
    const aval = evalShape(prim, args, params);
    const inputs = args.map((a) => this.slotOf(a));
    const out = this.nSlots++;
    this.eqns.push({ prim, params, inputs, out, aval, free: [] });
    return new BodyTracer(this, aval, out);
  }

  processMulti(prim: MultiPrimitive, args: AnyTensor[], params: unknown): AnyTensor[] {
    const avals = evalShapeMulti(prim, args, params);
    const inputs = args.map((a) => this.slotOf(a));
    const outs = avals.map(() => this.nSlots++);
    if (avals.length > 0)
      this.eqns.push({ prim: multiStub(prim), params, inputs, out: outs[0], aval: avals[0], free: [], multi: { prim, outs, avals } });
    return avals.map((aval, i) => new BodyTracer(this, aval, outs[i]));
  }
}

class BodyTracer extends Tracer {
  constructor(
    override readonly trace: BodyTrace,
    aval: Aval,
    readonly slot: number,
  ) {
    super(trace, aval);
  }
  concrete(): TfTensor {
    throw new ValueError(
      { op: this.trace.what, expected: "a concrete tensor", got: this.toString() },
      `${this.trace.what}: cannot read the values of ${this.toString()} inside the body (it is traced once for every step); ` +
        `use cond/where for data-dependent choices`,
    );
  }
}

/**
 * Traces `f` once on abstract inputs. Returns the body and the values it closed over, which the
 * caller passes to the primitive before the declared inputs.
 */
export function traceBody(
  what: string,
  f: (ins: AnyTensor[]) => AnyTensor[],
  inAvals: readonly Aval[],
): { body: Body; captured: AnyTensor[] } {
  return withTrace(
    (level) => new BodyTrace(level, inAvals.length, what),
    (t) => {
      const trace = t as BodyTrace;
      const ins = inAvals.map((a, i) => new BodyTracer(trace, { shape: a.shape, dtype: a.dtype }, i));
      const outs = f(ins);
      const outputs = outs.map((o) => trace.slotOf(o));
      const nCapt = trace.captured.length;
      const shift = (s: number) => (s < 0 ? -s - 1 : s + nCapt);
      const eqns: Equation[] = trace.eqns.map((e) => ({
        ...e,
        inputs: e.inputs.map(shift),
        out: shift(e.out),
        ...(e.multi && { multi: { ...e.multi, outs: e.multi.outs.map(shift) } }),
      }));
      const graph = finishGraph(nCapt + inAvals.length, eqns, outputs.map(shift));
      const capturedAvals = trace.captured.map((c) => ({ shape: c.shape, dtype: c.dtype }));
      return {
        body: { graph, inAvals: [...capturedAvals, ...inAvals], outAvals: outs.map((o) => ({ shape: o.shape, dtype: o.dtype })) },
        captured: trace.captured,
      };
    },
  );
}

/** Dead-code removal and free lists for a graph with no constants (slots: inputs, then equation outputs). */
function finishGraph(nInputs: number, eqns: Equation[], outputs: number[]): Graph {
  const live = new Set(outputs);
  const kept: Equation[] = [];
  for (let i = eqns.length - 1; i >= 0; i--) {
    if (!outSlots(eqns[i]).some((s) => live.has(s)) && !eqns[i].prim.effectful) continue;
    kept.push({ ...eqns[i], free: [] });
    for (const s of eqns[i].inputs) live.add(s);
  }
  kept.reverse();
  const lastUse = new Map<number, number>();
  kept.forEach((e, i) => e.inputs.forEach((s) => lastUse.set(s, i)));
  for (const [s, i] of lastUse) if (s >= nInputs && !outputs.includes(s)) kept[i].free.push(s);
  for (const e of kept) for (const o of outSlots(e)) if (!lastUse.has(o) && !outputs.includes(o)) e.free.push(o);
  let nSlots = nInputs;
  for (const e of kept) for (const o of outSlots(e)) nSlots = Math.max(nSlots, o + 1);
  return {
    nInputs,
    consts: [],
    eqns: kept,
    outputs,
    outDef: { kind: "array", children: outputs.map(() => ({ kind: "leaf" }) as const) },
    nSlots,
    checks: kept.filter((e) => e.prim.effectful).length,
  };
}

/** Runs a body on concrete tensors (new tensors out, owned by the caller). */
export function runBody(body: Body, inputs: readonly TfTensor[]): TfTensor[] {
  return runGraph(body.graph, inputs);
}

/** A body as a function of traced values: binds each equation, so any transform can trace through it. */
export function evalBody(body: Body, args: readonly AnyTensor[]): AnyTensor[] {
  const g = body.graph;
  const vals = new Array<AnyTensor | undefined>(g.nSlots);
  args.forEach((a, i) => (vals[i] = a));
  g.consts.forEach((c, i) => (vals[g.nInputs + i] = new Concrete(c)));
  for (const e of g.eqns) {
    const ins = e.inputs.map((s) => vals[s]!);
    if (e.multi === undefined) vals[e.out] = bind(e.prim, ins, e.params);
    else {
      const outs = bindMulti(e.multi.prim, ins, e.params);
      e.multi.outs.forEach((s, k) => (vals[s] = outs[k]));
    }
  }
  return g.outputs.map((s) => vals[s]!);
}

/**
 * The part of `body` that computes `outputs` from `inputs` (slots of body's graph): the equations
 * the outputs need, stopping at the given inputs, renumbered as a new body over exactly `inputs`.
 */
export function subBody(body: Body, inputs: readonly number[], outputs: readonly number[]): Body {
  const g = body.graph;
  const producer = new Map<number, Equation>();
  for (const e of g.eqns) for (const o of outSlots(e)) producer.set(o, e);
  const inputSet = new Set(inputs);
  const needed = new Set<Equation>();
  const visit = (s: number) => {
    if (inputSet.has(s)) return;
    const e = producer.get(s);
    if (e === undefined) throw new Error(`internal: slot ${s} of a control-flow body is neither computed nor an input of its part`);
    if (needed.has(e)) return;
    needed.add(e);
    e.inputs.forEach(visit);
  };
  outputs.forEach(visit);
  const renum = new Map<number, number>();
  inputs.forEach((s, i) => renum.set(s, i));
  let next = inputs.length;
  const eqns: Equation[] = [];
  for (const e of g.eqns) {
    if (!needed.has(e)) continue;
    const ins = e.inputs.map((s) => renum.get(s)!);
    for (const o of outSlots(e)) renum.set(o, next++);
    eqns.push({
      ...e,
      inputs: ins,
      out: renum.get(e.out)!,
      free: [],
      ...(e.multi && { multi: { ...e.multi, outs: e.multi.outs.map((s) => renum.get(s)!) } }),
    });
  }
  const avalOf = slotAvals(body);
  return {
    graph: finishGraph(
      inputs.length,
      eqns,
      outputs.map((s) => renum.get(s)!),
    ),
    inAvals: inputs.map((s) => avalOf(s)),
    outAvals: outputs.map((s) => avalOf(s)),
  };
}

/** The aval of every slot of a body's graph. */
export function slotAvals(body: Body): (slot: number) => Aval {
  const avals = new Map<number, Aval>();
  body.inAvals.forEach((a, i) => avals.set(i, a));
  for (const e of body.graph.eqns) {
    if (e.multi === undefined) avals.set(e.out, e.aval);
    else e.multi.outs.forEach((s, k) => avals.set(s, e.multi!.avals[k]));
  }
  return (s) => {
    const a = avals.get(s);
    if (a === undefined) throw new Error(`internal: slot ${s} of a control-flow body has no aval`);
    return a;
  };
}

/** Same shape and dtype. */
export function sameAval(a: Aval, b: Aval): boolean {
  return a.dtype === b.dtype && formatShape(a.shape) === formatShape(b.shape);
}

/** `shape dtype` for messages. */
export function describeAval(a: Aval): string {
  return `${formatShape(a.shape)} ${a.dtype}`;
}

/** Forward mode over flat values (null tangent = zero): outputs and their tangents. */
export function jvpFlat(
  f: (ins: AnyTensor[]) => AnyTensor[],
  primals: AnyTensor[],
  tangents: (AnyTensor | null)[],
): [AnyTensor[], (AnyTensor | null)[]] {
  return withTrace(
    (level) => new JvpTrace(level),
    (t) => {
      const trace = t as JvpTrace;
      const ins = primals.map((p, i) => {
        const dot = tangents[i];
        return dot === null ? p : new JvpTracer(trace, p, dot);
      });
      const pairs = f(ins).map((o) => trace.unwrap(o));
      return [pairs.map(([p]) => p), pairs.map(([, d]) => d)];
    },
  );
}

/**
 * `body` vmapped: inputs with `batched[i]` carry a leading batch axis of size `n`; every output
 * does. Returns the traced body and the values it closed over (to pass before the inputs).
 */
export function batchBody(what: string, body: Body, batched: readonly boolean[], n: number): { body: Body; captured: AnyTensor[] } {
  const avals = body.inAvals.map((a, i) => (batched[i] ? { shape: [n, ...a.shape], dtype: a.dtype } : a));
  const inAxes = batched.map((b) => (b ? 0 : null));
  return traceBody(what, (flat) => vmapCore((...a: AnyTensor[]) => evalBody(body, a), flat, { inAxes, axisSize: n }) as AnyTensor[], avals);
}

// jit: trace once per input signature into a flat graph of primitive applications, drop dead
// code, then lower it (plan.ts) to a static plan of backend kernel calls, run on every later call;
// each intermediate is freed after its last use. `setJitExecution("replay")` replays the graph
// through the primitives' impls instead (the plan's reference, for A/B and debugging).
import * as tf from "@tensorflow/tfjs-core";
import { Concrete, formatShape, type AnyTensor, type TfTensor, ValueError } from "../tensor/index.js";
import { flatten, unflatten, structureKey, type TreeDef } from "../tree/index.js";
import { evalShape, evalShapeMulti, runImpl, Tracer, withTrace, type Trace } from "./trace.js";
import type { Aval, MultiPrimitive, Primitive } from "./primitive.js";
import { call, expectFunction, type AnyFunction } from "./util.js";
import { checkError, collectChecks, collectingChecks } from "./checkify.js";
import { disposePlan, recordingPlan, recordPlan, runPlan, type Plan } from "./plan.js";

/** One primitive application of a graph: `out = prim(...inputs)` with static `params`. */
export interface Equation {
  readonly prim: Primitive;
  readonly params: unknown;
  readonly inputs: readonly number[];
  readonly out: number;
  readonly aval: Aval;
  /** Slots whose last use is this equation. */
  free: number[];
  /**
   * Set on a multi-output primitive's equation (control flow: scan, while): its rules, all its
   * output slots and avals. `out` and `aval` then describe output 0, and `prim` is a stand-in that
   * only carries the name (a tool that reads graphs sees "scan" and can refuse it by name).
   */
  readonly multi?: { readonly prim: MultiPrimitive; readonly outs: readonly number[]; readonly avals: readonly Aval[] };
}

const stubs = new Map<string, Primitive>();
/** The stand-in `prim` of a multi-output equation: its name, and rules that say where the real ones are. */
export function multiStub(prim: MultiPrimitive): Primitive {
  let stub = stubs.get(prim.name);
  if (stub === undefined) {
    const no = (): never => {
      throw new Error(`internal: ${prim.name} is a multi-output primitive; its equation's rules are in \`multi\``);
    };
    stub = { name: prim.name, abstractEval: no, impl: no, jvp: no, vjp: no, batch: no };
    stubs.set(prim.name, stub);
  }
  return stub;
}

/** Every output slot of an equation. */
export function outSlots(e: Equation): readonly number[] {
  return e.multi === undefined ? [e.out] : e.multi.outs;
}

export interface Graph {
  readonly nInputs: number;
  readonly consts: TfTensor[];
  readonly eqns: Equation[];
  readonly outputs: readonly number[];
  readonly outDef: TreeDef;
  readonly nSlots: number;
  /** Value checks in the graph (checkify.ts): a top-level call reads them once, after the replay. */
  readonly checks: number;
}

class JitTrace implements Trace {
  readonly kind = "jit";
  alive = true;
  readonly eqns: Equation[] = [];
  readonly consts: TfTensor[] = [];
  private readonly constSlot = new Map<AnyTensor, number>();
  nSlots: number;
  constructor(
    readonly level: number,
    readonly nInputs: number,
  ) {
    this.nSlots = nInputs;
  }

  slotOf(x: AnyTensor, who: string): number {
    if (x instanceof JitTracer && x.trace === this) return x.slot;
    if (x instanceof Tracer) {
      throw new ValueError(
        { op: who, expected: "a concrete tensor or an argument", got: `a value traced by an outer ${x.trace.kind}` },
        `${who}: a jitted function closed over a value traced by an outer ${x.trace.kind}; pass it as an argument instead`,
      );
    }
    let s = this.constSlot.get(x);
    if (s === undefined) {
      // NOTE: a clone, so the caller may dispose the original while the graph lives
      const c = tf.keep(tf.clone(x.concrete()));
      this.consts.push(c);
      s = -this.consts.length; // consts get slots after the trace ends
      this.constSlot.set(x, s);
    }
    return s;
  }

  process(prim: Primitive, args: AnyTensor[], params: unknown): AnyTensor {
    const aval = evalShape(prim, args, params);
    const inputs = args.map((a) => this.slotOf(a, prim.name));
    const out = this.nSlots++;
    this.eqns.push({ prim, params, inputs, out, aval, free: [] });
    return new JitTracer(this, aval, out);
  }

  processMulti(prim: MultiPrimitive, args: AnyTensor[], params: unknown): AnyTensor[] {
    const avals = evalShapeMulti(prim, args, params);
    if (avals.length === 0) return [];
    const inputs = args.map((a) => this.slotOf(a, prim.name));
    const outs = avals.map(() => this.nSlots++);
    this.eqns.push({ prim: multiStub(prim), params, inputs, out: outs[0], aval: avals[0], free: [], multi: { prim, outs, avals } });
    return avals.map((aval, i) => new JitTracer(this, aval, outs[i]));
  }
}

class JitTracer extends Tracer {
  constructor(
    override readonly trace: JitTrace,
    aval: Aval,
    readonly slot: number,
  ) {
    super(trace, aval);
  }
  concrete(): TfTensor {
    throw new ValueError(
      { op: "jit", expected: "a concrete tensor", got: this.toString() },
      `cannot read the values of ${this.toString()} while jit traces it; read them outside the jitted function`,
    );
  }
}

/** Traces `f` on abstract inputs shaped like `leaves`. */
export function traceGraph(f: AnyFunction, inDef: TreeDef, leaves: readonly AnyTensor[]): Graph {
  const engine = tf.engine();
  engine.startScope();
  try {
    return withTrace(
      (level) => new JitTrace(level, leaves.length),
      (t) => {
        const trace = t as JitTrace;
        try {
          const ins = leaves.map((l, i) => new JitTracer(trace, { shape: l.shape, dtype: l.dtype }, i));
          const out = call(f, unflatten<unknown[]>(inDef, ins));
          const [ol, outDef] = flatten(out);
          const outSlots = ol.map((o) => trace.slotOf(o, "jit"));
          return finalize(trace, outSlots, outDef);
        } catch (e) {
          // a failed trace caches no graph, so nothing else would free the clones of closed-over tensors
          for (const c of trace.consts) if (!c.isDisposed) c.dispose();
          throw e;
        }
      },
    );
  } finally {
    engine.endScope();
  }
}

/** Renumbers const slots, removes dead equations and computes where each slot is freed. */
function finalize(trace: JitTrace, rawOutputs: number[], outDef: TreeDef): Graph {
  const nIn = trace.nInputs;
  const nConst = trace.consts.length;
  const shift = (s: number) => (s < 0 ? nIn + (-s - 1) : s >= nIn ? s + nConst : s);
  const outputs = rawOutputs.map(shift);
  const all: Equation[] = trace.eqns.map((e) => ({
    ...e,
    inputs: e.inputs.map(shift),
    out: shift(e.out),
    ...(e.multi && { multi: { ...e.multi, outs: e.multi.outs.map(shift) } }),
  }));
  // dead-code elimination (an effectful equation, a check, stays even when nothing reads its output)
  const live = new Set(outputs);
  const kept: Equation[] = [];
  for (let i = all.length - 1; i >= 0; i--) {
    if (!outSlots(all[i]).some((s) => live.has(s)) && !all[i].prim.effectful) continue;
    kept.push(all[i]);
    for (const s of all[i].inputs) live.add(s);
  }
  kept.reverse();
  // drop consts that only dead code used
  const firstEqnSlot = nIn + nConst;
  const lastUse = new Map<number, number>();
  kept.forEach((e, i) => e.inputs.forEach((s) => lastUse.set(s, i)));
  const protectedSlot = (s: number) => s < firstEqnSlot || outputs.includes(s);
  for (const [s, i] of lastUse) if (!protectedSlot(s)) kept[i].free.push(s);
  // an output nobody reads (a check's pass-through) is freed right after it is made
  for (const e of kept) for (const o of outSlots(e)) if (!lastUse.has(o) && !outputs.includes(o)) e.free.push(o);
  const consts = trace.consts.map((c, i) => (live.has(nIn + i) ? c : (c.dispose(), c)));
  const checks = kept.filter((e) => e.prim.effectful).length;
  return { nInputs: nIn, consts, eqns: kept, outputs, outDef, nSlots: trace.nSlots + nConst, checks };
}

/** Replays a graph on concrete inputs. The outputs are new tensors owned by the caller. */
export function runGraph(g: Graph, inputs: readonly TfTensor[]): TfTensor[] {
  const vals = new Array<TfTensor | undefined>(g.nSlots);
  for (let i = 0; i < inputs.length; i++) vals[i] = inputs[i];
  for (let i = 0; i < g.consts.length; i++) vals[g.nInputs + i] = g.consts[i];
  const firstEqnSlot = g.nInputs + g.consts.length;
  try {
    for (const e of g.eqns) {
      const args = e.inputs.map((s) => vals[s]!);
      if (e.multi === undefined) vals[e.out] = runImpl(e.prim, args, e.params, e.aval);
      else {
        const outs = e.multi.prim.impl(args, e.params);
        e.multi.outs.forEach((s, k) => (vals[s] = outs[k]));
      }
      for (const s of e.free) {
        vals[s]!.dispose();
        vals[s] = undefined;
      }
    }
  } catch (err) {
    for (let s = firstEqnSlot; s < vals.length; s++) vals[s]?.dispose();
    throw err;
  }
  const seen = new Set<number>();
  return g.outputs.map((s) => {
    const v = vals[s]!;
    // inputs and constants stay with their owners; a repeated output gets its own handle
    if (s < firstEqnSlot || seen.has(s)) return tf.clone(v);
    seen.add(s);
    return v;
  });
}

function signature(def: TreeDef, leaves: readonly AnyTensor[]): string {
  let key = structureKey(def);
  for (const l of leaves) key += `|${l.dtype}${formatShape(l.shape)}`;
  return key;
}

/** How jitted calls run their graphs: `"plan"` (lowered to kernel calls) or `"replay"` (equation by equation through the impls). */
export type JitExecution = "plan" | "replay";

let execution: JitExecution = "plan";

/**
 * Chooses how every jitted function runs its compiled graphs from now on, and returns the previous
 * choice. `"plan"` (the default) lowers each graph, once per signature and backend, to a static
 * plan of backend kernel calls; `"replay"` runs the graph equation by equation through the
 * primitives' eager impls. Both give the same values: the replay is the plan's reference, for A/B
 * measurements and for debugging a kernel.
 * ```ts
 * const before = setJitExecution("replay");
 * const slow = step(params, x, y);
 * setJitExecution(before);
 * ```
 */
export function setJitExecution(mode: JitExecution): JitExecution {
  if (mode !== "plan" && mode !== "replay")
    throw new ValueError(
      { op: "setJitExecution", expected: '"plan" or "replay"', got: String(mode) },
      `setJitExecution: expected "plan" or "replay", got ${String(mode)}`,
    );
  const before = execution;
  execution = mode;
  return before;
}

/** A traced graph and, once a call has run it in plan mode, its plan for the backend of that call. */
interface Compiled {
  readonly graph: Graph;
  plan?: Plan;
}

/** Runs a compiled graph: through its plan (lowering it on first use), or by replay. */
function runCompiled(c: Compiled, inputs: readonly TfTensor[]): TfTensor[] {
  // NOTE: while a plan is recorded, a nested jitted call replays, so the recorder sees its kernels;
  // under tf.profile it replays too, since the plan's kernels bypass the engine that profiles
  if (execution === "replay" || recordingPlan() || c.graph.eqns.length === 0 || tf.engine().state.profiling)
    return runGraph(c.graph, inputs);
  if (c.plan !== undefined && c.plan.backendName === tf.getBackend()) return runPlan(c.plan, inputs);
  if (c.plan !== undefined) disposePlan(c.plan);
  c.plan = undefined;
  const { outs, plan } = recordPlan(c.graph, inputs);
  c.plan = plan;
  return outs;
}

/**
 * What `jit(f)` returns: `f`'s signature, with its trace cache open to inspection
 * (`traceCount`, `lastGraph`, `lastPlan`) and `dispose()` for the constants the cached graphs hold.
 */
export interface Jitted<F extends AnyFunction> {
  /** Runs the graph traced for these arguments' signature (tracing it on first use); same result as `f`. */
  (...args: Parameters<F>): ReturnType<F>;
  /** Number of traces so far (one per input signature). */
  readonly traceCount: number;
  /** The graph for the last signature used, for inspection. */
  readonly lastGraph: Graph | undefined;
  /** The kernel plan of the last signature used (undefined until a call ran in plan mode), for inspection. */
  readonly lastPlan: Plan | undefined;
  /** Frees the constants of every cached graph and plan. */
  dispose(): void;
}

/**
 * Compiles `f` per input signature (tree structure, shapes, dtypes, static leaves): traces it to a
 * graph, lowers the graph to a static plan of backend kernel calls, and runs the plan on later
 * calls (see `setJitExecution`). Values `f` closes over are baked in as constants: pass anything
 * that changes as an argument. Called on traced values (inside grad/vmap), it traces through `f` instead.
 * ```ts
 * const step = jit(valueAndGrad(loss));
 * const [l, g] = step(params, x, y);
 * ```
 */
export function jit<F extends AnyFunction>(f: F): Jitted<F> {
  expectFunction("jit", f);
  const cache = new Map<string, Compiled>();
  let traces = 0;
  let last: Compiled | undefined;
  const run = (...args: Parameters<F>): ReturnType<F> => {
    const [leaves, def] = flatten(args);
    if (leaves.some((l) => l instanceof Tracer)) return call(f, args) as ReturnType<F>;
    const key = signature(def, leaves);
    let c = cache.get(key);
    if (c === undefined) {
      c = { graph: traceGraph(f, def, leaves) };
      cache.set(key, c);
      traces++;
    }
    last = c;
    const compiled = c;
    const replay = () =>
      runCompiled(
        compiled,
        leaves.map((l) => l.concrete()),
      );
    let outs: TfTensor[];
    if (c.graph.checks > 0 && !collectingChecks()) {
      // NOTE: nobody collects this call's checks, so it reports them itself: one host read per call, not per check
      const [o, pending] = collectChecks(replay);
      const { failure } = pending.read();
      if (failure) {
        for (const t of o) t.dispose();
        throw checkError(failure);
      }
      outs = o;
    } else {
      outs = replay();
    }
    return unflatten<ReturnType<F>>(
      c.graph.outDef,
      outs.map((o) => new Concrete(o)),
    );
  };
  const dispose = () => {
    for (const c of cache.values()) {
      for (const t of c.graph.consts) if (!t.isDisposed) t.dispose();
      if (c.plan !== undefined) disposePlan(c.plan);
    }
    cache.clear();
  };
  return Object.defineProperties(Object.assign(run, { dispose }), {
    traceCount: { get: () => traces },
    lastGraph: { get: () => last?.graph },
    lastPlan: { get: () => last?.plan },
  }) as Jitted<F>;
}
/**
 * The graph `jit(f)` would compile for these arguments, for tools that read a program instead of
 * running it (exporters, inspection). Slots `0 .. nInputs - 1` are the tensor leaves of `args` in
 * tree order, the next `consts.length` slots the values `f` closed over (scalars included), then
 * one slot per equation; dead code is already gone. The caller owns `consts`: dispose them.
 * ```ts
 * const g = makeGraph((x) => relu(matmul(x, w)), x);
 * g.eqns.map((e) => e.prim.name);   // ["matmul", "relu"]
 * ```
 */
export function makeGraph(f: AnyFunction, ...args: unknown[]): Graph {
  const [leaves, def] = flatten(args);
  if (leaves.some((l) => l instanceof Tracer))
    throw new ValueError(
      { op: "makeGraph", expected: `concrete tensors`, got: `values traced by a transform` },
      "makeGraph: the arguments must be concrete tensors, not values traced by a transform",
    );
  return traceGraph(f, def, leaves);
}

// PROTOTYPE (bench only): jit as a static plan. Records the tfjs kernel calls one replay of a
// jitted graph makes, then replays them straight on the backend's kernel functions: no primitive
// impls (shape checks, tidy), no tfjs engine (scopes, tensor tracking, kernel lookup), buffers
// referenced by slot index and freed after their last use. What core/jit.ts would do to lower a
// graph once per signature; here it measures how much of a step is dispatch overhead.
import * as tf from "@tensorflow/tfjs-core";
import type { Graph } from "../../src/core/index.js";

type Ref = { kind: "input"; i: number } | { kind: "const"; t: tf.Tensor } | { kind: "slot"; s: number };

interface Call {
  name: string;
  kernel: tf.KernelFunc;
  inputs: [string, Ref][];
  /** Variadic kernels (Concat, AddN) take an array of inputs. */
  array: boolean;
  attrs: tf.NamedAttrMap;
  outSlots: number[];
  /** Slots whose last use is this call. */
  free: number[];
}

export interface Plan {
  calls: Call[];
  nSlots: number;
  outputs: Ref[];
  /** Constants captured at record time (graph constants, constants impls build). */
  owned: tf.Tensor[];
}

interface KernelRunner {
  runKernel(name: string, inputs: tf.NamedTensorMap | tf.Tensor[], attrs: tf.NamedAttrMap): tf.Tensor | tf.Tensor[];
}
interface Backend {
  disposeData(dataId: object): boolean;
  readSync(dataId: object): ArrayLike<number>;
}
const backendOf = () => tf.backend() as unknown as Backend;

/**
 * An equation's impl on `args`, its result a tensor of its own (as core's runImpl makes it): an
 * impl may hand back an input (a check's pass-through), which the caller frees after its last use.
 */
export function ownImpl(e: Graph["eqns"][number], args: tf.Tensor[]): tf.Tensor {
  const out = e.prim.impl(args, e.params);
  return args.includes(out) ? tf.clone(out) : out;
}

/** Replays `g` once through the primitives' impls, recording every kernel the engine runs. */
export function recordPlan(g: Graph, inputs: tf.Tensor[]): Plan {
  const engine = tf.engine() as unknown as KernelRunner;
  const refOf = new Map<number, Ref>(); // tensor id -> where the plan finds it
  inputs.forEach((t, i) => refOf.set(t.id, { kind: "input", i }));
  const owned: tf.Tensor[] = [];
  const calls: Call[] = [];
  let nSlots = 0;
  const orig = engine.runKernel;
  let inside = false;
  engine.runKernel = function (this: KernelRunner, name, ins, attrs) {
    if (inside) return orig.call(this, name, ins, attrs);
    inside = true;
    try {
      const insRefs = Object.entries(ins).map(([k, t]): [string, Ref] => {
        let r = refOf.get(t.id);
        if (r === undefined) {
          const c = tf.keep(tf.clone(t));
          owned.push(c);
          r = { kind: "const", t: c };
          refOf.set(t.id, r);
        }
        return [k, r];
      });
      const out = orig.call(this, name, ins, attrs);
      const outSlots = (Array.isArray(out) ? out : [out]).map((o) => {
        const s = nSlots++;
        refOf.set(o.id, { kind: "slot", s });
        return s;
      });
      const kernel = tf.getKernel(name, tf.getBackend()).kernelFunc;
      calls.push({ name, kernel, inputs: insRefs, array: Array.isArray(ins), attrs: { ...attrs }, outSlots, free: [] });
      return out;
    } finally {
      inside = false;
    }
  };
  let outTensors: tf.Tensor[];
  const vals: (tf.Tensor | undefined)[] = new Array<tf.Tensor | undefined>(g.nSlots);
  try {
    inputs.forEach((t, i) => (vals[i] = t));
    g.consts.forEach((c, i) => (vals[g.nInputs + i] = c));
    for (const e of g.eqns)
      vals[e.out] = ownImpl(
        e,
        e.inputs.map((s) => vals[s]!),
      );
    outTensors = g.outputs.map((s) => vals[s]!);
  } finally {
    engine.runKernel = orig;
  }
  const outputs = outTensors.map((t): Ref => refOf.get(t.id) ?? { kind: "const", t });
  const keep = new Set(outputs.flatMap((r) => (r.kind === "slot" ? [r.s] : [])));
  const last = new Map<number, number>();
  calls.forEach((c, i) => {
    for (const [, r] of c.inputs) if (r.kind === "slot") last.set(r.s, i);
  });
  calls.forEach((c, i) => c.outSlots.forEach((s) => last.has(s) || last.set(s, i))); // results nobody reads
  for (const [s, i] of last) if (!keep.has(s)) calls[i].free.push(s);
  // the record replay's own tensors
  const firstEqnSlot = g.nInputs + g.consts.length;
  for (let s = firstEqnSlot; s < vals.length; s++) if (vals[s] !== undefined && !vals[s]!.isDisposed) vals[s]!.dispose();
  return { calls, nSlots, outputs, owned };
}

/** Runs the plan on `inputs`; returns the outputs (free them with `freeOutputs`). `times` gets each call's ms. */
export function runPlan(p: Plan, inputs: readonly tf.Tensor[], times?: Float64Array): tf.TensorInfo[] {
  const backend = backendOf();
  const slots = new Array<tf.TensorInfo | undefined>(p.nSlots);
  const get = (r: Ref): tf.TensorInfo => (r.kind === "input" ? inputs[r.i] : r.kind === "const" ? r.t : slots[r.s]!);
  p.calls.forEach((c, ci) => {
    const ins: Record<string, tf.TensorInfo> | tf.TensorInfo[] = c.array ? [] : {};
    for (const [k, r] of c.inputs) (ins as Record<string, tf.TensorInfo>)[k] = get(r);
    const t0 = times ? performance.now() : 0;
    const out = c.kernel({ inputs: ins as tf.NamedTensorInfoMap, backend: backend, attrs: c.attrs });
    if (times) times[ci] = performance.now() - t0;
    if (Array.isArray(out)) out.forEach((o, j) => (slots[c.outSlots[j]] = o));
    else slots[c.outSlots[0]] = out;
    for (const s of c.free) {
      backend.disposeData(slots[s]!.dataId);
      slots[s] = undefined;
    }
  });
  return p.outputs.map(get);
}

export function readOutput(info: tf.TensorInfo): ArrayLike<number> {
  return backendOf().readSync(info.dataId);
}

export function freeOutputs(p: Plan, outs: readonly tf.TensorInfo[]): void {
  const backend = backendOf();
  const seen = new Set<object>();
  p.outputs.forEach((r, i) => {
    if (r.kind === "slot" && !seen.has(outs[i].dataId)) {
      seen.add(outs[i].dataId);
      backend.disposeData(outs[i].dataId);
    }
  });
}

export function disposePlan(p: Plan): void {
  tf.dispose(p.owned);
}

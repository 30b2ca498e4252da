// jit's compiler: lowers a jitted graph, once per input signature and backend, to a static plan of
// backend kernel calls. One replay of the graph is recorded (every kernel the primitives' impls run,
// with its inputs and attributes); later calls run the recorded kernel functions directly on the
// backend: no impl (shape checks, tidy, op-level argument handling), no engine (kernel lookup,
// scopes, tensor tracking). Every intermediate is a slot, assigned at lowering time and released
// right after its last use. An equation whose kernels are not a fixed function of its inputs stays
// an equation of the plan and runs through its impl each call (see `opaqueReason`).
import * as tf from "@tensorflow/tfjs-core";
import type { TfAttrMap, TfKernelBackend, TfKernelFunc, TfTensorInfo, TfTensorInfoMap } from "../tensor/index.js";
import type { TfTensor } from "../tensor/index.js";
import { runImpl } from "./trace.js";
import { isHeapBackend, viewSlice } from "./primitives/slice.js";
import type { Equation, Graph } from "./jit.js";
import { directKeysMatch, freeDirect, lowerDirect, type Direct, type DirectMemory, type Pinned } from "./plan-direct.js";
import { assignBuffers } from "./plan-buffers.js";

/** A kernel call of the plan: `outs = kernel(srcs, attrs)` on the plan's backend. */
export interface KernelStep {
  readonly kind: "call";
  readonly name: string;
  /** `Name [in shapes] -> [out shapes]`, as recorded (for profiles). */
  readonly label: string;
  readonly fn: TfKernelFunc;
  /** Input names in the kernel's input map, or null for a variadic kernel (Concat, AddN) that takes an array. */
  readonly keys: readonly string[] | null;
  srcs: number[];
  readonly attrs: TfAttrMap;
  outs: number[];
  /** Slots whose last use is this step. */
  free: number[];
  /** On WASM, the same call without tfjs' per-call JS wrapper (core/plan-direct.ts), when the kernel is one of those lowered. */
  readonly direct: Direct | undefined;
}

/** A graph equation run through its impl at every call (reads the host, is effectful, or draws random numbers). */
export interface EquationStep {
  readonly kind: "equation";
  readonly eqn: Equation;
  /** Why it was not lowered to kernel calls. */
  readonly reason: string;
  srcs: number[];
  outs: number[];
  free: number[];
}

export type Step = KernelStep | EquationStep;

/**
 * A graph lowered to kernel calls. Value slots: `0 .. nInputs - 1` the call's inputs, then the
 * constants (the graph's and those the impls made), then one slot per computed value.
 */
export interface Plan {
  /** The backend the kernels belong to; a plan for another backend is lowered anew. */
  readonly backendName: string;
  readonly backend: TfKernelBackend;
  readonly steps: readonly Step[];
  readonly nInputs: number;
  /** The graph's constants (tensors) and those the impls made (bare backend data the plan owns). */
  readonly consts: readonly TfTensorInfo[];
  /** The constants the plan made itself (the graph owns the rest): `disposePlan` releases them. */
  readonly owned: TfTensorInfo[];
  readonly outputs: readonly number[];
  readonly nSlots: number;
  /** The WASM heap memory the direct calls' shape arrays live in (`disposePlan` frees it). */
  readonly memory: DirectMemory;
  /** Per slot, the buffer assigned at lowering time (core/plan-buffers.ts), and the buffers the plan owns. */
  readonly pins: readonly (Pinned | undefined)[];
  readonly buffers: TfTensorInfo[];
  /** Kernel calls (of them, direct calls), equations kept as equations, and kernel calls dropped as dead. */
  readonly stats: { readonly kernelCalls: number; readonly directCalls: number; readonly equations: number; readonly deadCalls: number };
}

/**
 * Kernels whose outputs are not a fixed function of their inputs' values and attributes (random
 * draws) or whose output shapes depend on data (impl code after them may bake a shape in): an
 * equation that runs one stays an equation.
 */
const UNPLANNABLE_KERNELS = new Set([
  "Multinomial",
  "RandomGamma",
  "RandomNormal",
  "RandomStandardNormal",
  "RandomUniform",
  "RandomUniformInt",
  "Unique",
  "Where",
  "NonMaxSuppressionV3",
  "NonMaxSuppressionV4",
  "NonMaxSuppressionV5",
  "SparseFillEmptyRows",
  "SparseReshape",
  "StringNGrams",
  "StringSplit",
  "RaggedGather",
  "RaggedRange",
  "RaggedTensorToTensor",
]);

/** An equation running more kernels than this (a long scan, unrolled) stays an equation: the plan's size stays bounded. */
const MAX_CALLS_PER_EQUATION = 100_000;

type Engine = ReturnType<typeof tf.engine>;
type RunKernel = Engine["runKernel"];
type ReadSync = Engine["readSync"];
type Read = Engine["read"];

let recordDepth = 0;

/** True while a plan is being recorded: a jitted function called inside an impl then replays (its kernels are recorded). */
export function recordingPlan(): boolean {
  return recordDepth > 0;
}

/** What one equation did while it was recorded. */
interface Capture {
  readonly calls: KernelStep[];
  /** Tensor ids the calls' outputs were registered under (forgotten if the equation stays an equation). */
  readonly made: number[];
  /** Constants first met in this equation. */
  readonly consts: number[];
  reason: string | undefined;
}

/**
 * Runs `g` on `inputs` as `runGraph` does (same impls, same kernels: the outputs are this call's
 * result, owned by the caller) and records the plan for later calls.
 */
export function recordPlan(g: Graph, inputs: readonly TfTensor[]): { outs: TfTensor[]; plan: Plan } {
  const engine = tf.engine();
  const backendName = tf.getBackend();
  const backend = engine.backend;
  // Temporary refs while recording: i >= 0 a slot (inputs first), -(k + 1) constant k.
  const consts: TfTensorInfo[] = [...g.consts];
  const identity = tf.getKernel("Identity", backendName).kernelFunc;
  const ownedConst = new Set<number>();
  const refOf = new Map<number, number>(); // tensor id -> ref
  inputs.forEach((t, i) => refOf.set(t.id, i));
  g.consts.forEach((c, k) => refOf.set(c.id, -(k + 1)));
  let nextSlot = g.nInputs;
  const steps: Step[] = [];
  let capture: Capture | undefined;
  const memory: DirectMemory = { ptrs: [] };

  const constRef = (t: TfTensor, cap: Capture): number => {
    // NOTE: a backend-level handle on the data (no engine tensor: the plan's constants do not
    // count as live tensors), so the impl may free what it made
    const k = consts.push(identity({ inputs: { x: t }, backend, attrs: {} }) as TfTensorInfo) - 1;
    ownedConst.add(k);
    refOf.set(t.id, -(k + 1));
    cap.consts.push(t.id);
    return -(k + 1);
  };

  const runKernel = engine.runKernel;
  const readSync = engine.readSync;
  const read = engine.read;
  let inKernel = false;
  const hookedRunKernel = function (this: Engine, name: string, ins: tf.NamedTensorMap, attrs?: TfAttrMap) {
    if (inKernel || capture === undefined) return runKernel.call(this, name, ins, attrs);
    const cap = capture;
    inKernel = true;
    try {
      if (UNPLANNABLE_KERNELS.has(name)) cap.reason ??= `runs the ${name} kernel`;
      // NOTE: a long scan is recorded unrolled; past this many calls it stays one equation
      if (cap.calls.length >= MAX_CALLS_PER_EQUATION) cap.reason ??= `runs more than ${MAX_CALLS_PER_EQUATION} kernels`;
      const array = Array.isArray(ins);
      const entries: [string, tf.Tensor][] = array ? (ins as tf.Tensor[]).map((t, i) => [String(i), t]) : Object.entries(ins);
      const srcs = entries.map(([, t]) => refOf.get(t.id) ?? constRef(t, cap));
      const out = runKernel.call(this, name, ins, attrs);
      const outs = (Array.isArray(out) ? out : [out]).map((o) => {
        const s = nextSlot++;
        refOf.set(o.id, s);
        cap.made.push(o.id);
        return s;
      });
      const kernel = planKernel(name, backendName);
      const shapes = (ts: readonly TfTensorInfo[]) => ts.map((t) => `[${t.shape.join(",")}]`).join(" ");
      const keys = array ? null : entries.map(([k]) => k);
      const outList = Array.isArray(out) ? out : [out];
      const direct = directKeysMatch(name, keys)
        ? lowerDirect(
            name,
            tf.getKernel(name, backendName).kernelFunc,
            backend,
            entries.map(([, t]) => t),
            attrs ?? {},
            outList,
            memory,
          )
        : undefined;
      cap.calls.push({
        kind: "call",
        name,
        label: `${name} ${shapes(entries.map(([, t]) => t))} -> ${shapes(outList)}`,
        fn: kernel,
        keys,
        srcs,
        attrs: { ...attrs },
        outs,
        free: [],
        direct,
      });
      return out;
    } finally {
      inKernel = false;
    }
  } as RunKernel;
  const hookedReadSync: ReadSync = function (this: Engine, dataId) {
    if (capture !== undefined && !inKernel) capture.reason ??= "reads values on the host";
    return readSync.call(this, dataId);
  };
  const hookedRead: Read = function (this: Engine, dataId) {
    if (capture !== undefined && !inKernel) capture.reason ??= "reads values on the host";
    return read.call(this, dataId);
  };

  const vals = new Array<TfTensor | undefined>(g.nSlots);
  const refs = new Array<number>(g.nSlots);
  for (let i = 0; i < inputs.length; i++) [vals[i], refs[i]] = [inputs[i], i];
  for (let k = 0; k < g.consts.length; k++) [vals[g.nInputs + k], refs[g.nInputs + k]] = [g.consts[k], -(k + 1)];
  const firstEqnSlot = g.nInputs + g.consts.length;
  engine.runKernel = hookedRunKernel;
  engine.readSync = hookedReadSync;
  engine.read = hookedRead;
  recordDepth++;
  try {
    for (const e of g.eqns) {
      const args = e.inputs.map((s) => vals[s]!);
      const cap: Capture = { calls: [], made: [], consts: [], reason: e.prim.effectful ? "is effectful" : undefined };
      capture = cap;
      let outs: TfTensor[];
      try {
        outs = e.multi === undefined ? [runImpl(e.prim, args, e.params, e.aval)] : e.multi.prim.impl(args, e.params);
      } finally {
        capture = undefined;
      }
      const outSlots = e.multi === undefined ? [e.out] : e.multi.outs;
      if (cap.reason === undefined) {
        steps.push(...cap.calls);
        outs.forEach((t, k) => (refs[outSlots[k]] = refOf.get(t.id) ?? constRef(t, cap)));
      } else {
        // NOTE: its kernels are not a fixed program: forget them (and what they made) and keep the equation
        for (const id of cap.made) refOf.delete(id);
        for (const id of cap.consts) {
          const k = -refOf.get(id)! - 1;
          releaseData(backend, consts[k]);
          consts[k] = disposedConst;
          refOf.delete(id);
        }
        const slots = outs.map((t) => {
          const s = nextSlot++;
          refOf.set(t.id, s);
          return s;
        });
        steps.push({ kind: "equation", eqn: e, reason: cap.reason, srcs: e.inputs.map((s) => refs[s]), outs: slots, free: [] });
        slots.forEach((s, k) => (refs[outSlots[k]] = s));
      }
      outs.forEach((t, k) => (vals[outSlots[k]] = t));
      for (const s of e.free) {
        vals[s]!.dispose();
        vals[s] = undefined;
      }
    }
  } catch (err) {
    for (let s = firstEqnSlot; s < vals.length; s++) vals[s]?.dispose();
    consts.forEach((c, k) => ownedConst.has(k) && c !== disposedConst && releaseData(backend, c));
    freeDirect(backend, memory);
    throw err;
  } finally {
    recordDepth--;
    engine.runKernel = runKernel;
    engine.readSync = readSync;
    engine.read = read;
  }
  const seen = new Set<number>();
  const outs = g.outputs.map((s) => {
    const v = vals[s]!;
    // inputs and constants stay with their owners; a repeated output gets its own handle
    if (s < firstEqnSlot || seen.has(s)) return tf.clone(v);
    seen.add(s);
    return v;
  });
  const plan = finishPlan(
    backendName,
    backend,
    g.nInputs,
    consts,
    ownedConst,
    steps,
    g.outputs.map((s) => refs[s]),
    nextSlot,
    memory,
  );
  return { outs, plan };
}

/** Drops dead kernel calls and disposed constants, numbers the slots (inputs, constants, computed values) and writes the free lists. */
function finishPlan(
  backendName: string,
  backend: TfKernelBackend,
  nInputs: number,
  consts: readonly TfTensorInfo[],
  ownedConst: ReadonlySet<number>,
  steps: Step[],
  rawOutputs: readonly number[],
  nRaw: number,
  memory: DirectMemory,
): Plan {
  // dead kernel calls (kernels are pure; an equation step stays)
  const live = new Set(rawOutputs);
  const kept: Step[] = [];
  let deadCalls = 0;
  for (let i = steps.length - 1; i >= 0; i--) {
    const st = steps[i];
    if (st.kind === "call" && !st.outs.some((s) => live.has(s))) {
      deadCalls++;
      continue;
    }
    kept.push(st);
    for (const s of st.srcs) live.add(s);
  }
  kept.reverse();
  // constants still used, renumbered after the inputs
  const constIndex = new Map<number, number>();
  const keptConsts: TfTensorInfo[] = [];
  const owned: TfTensorInfo[] = [];
  consts.forEach((c, k) => {
    if (c === disposedConst) return;
    if (!live.has(-(k + 1))) {
      if (ownedConst.has(k)) releaseData(backend, c);
      return;
    }
    constIndex.set(k, nInputs + keptConsts.length);
    keptConsts.push(c);
    if (ownedConst.has(k)) owned.push(c);
  });
  const shift = nInputs + keptConsts.length - nInputs;
  const renum = (r: number) => (r < 0 ? constIndex.get(-r - 1)! : r < nInputs ? r : r + shift);
  for (const st of kept) {
    st.srcs = st.srcs.map(renum);
    st.outs = st.outs.map(renum);
  }
  const outputs = rawOutputs.map(renum);
  const firstSlot = nInputs + keptConsts.length;
  const lastUse = new Map<number, number>();
  kept.forEach((st, i) => st.srcs.forEach((s) => lastUse.set(s, i)));
  const isOutput = new Set(outputs);
  for (const [s, i] of lastUse) if (s >= firstSlot && !isOutput.has(s)) kept[i].free.push(s);
  // results nobody reads (an unused output of a multi-output kernel or equation) go right away
  kept.forEach((st) => {
    for (const o of st.outs) if (!lastUse.has(o) && !isOutput.has(o)) st.free.push(o);
  });
  const equations = kept.filter((st) => st.kind === "equation").length;
  const directCalls = kept.filter((st) => st.kind === "call" && st.direct !== undefined).length;
  const { pins, owned: buffers } = assignBuffers(backend, kept, outputs, firstSlot, nRaw + shift);
  return {
    backendName,
    backend,
    steps: kept,
    nInputs,
    consts: keptConsts,
    owned,
    outputs,
    nSlots: nRaw + shift,
    memory,
    pins,
    buffers,
    stats: { kernelCalls: kept.length - equations, directCalls, equations, deadCalls },
  };
}

/**
 * tfjs' Slice on WASM, through the view-reading window kernel the slice primitive uses (tfjs'
 * copies the WHOLE input out of the heap first); same bytes out, strings go to the stock kernel.
 */
function planSlice(stock: TfKernelFunc): TfKernelFunc {
  return (args) => {
    const x = args.inputs.x;
    if (x === undefined || x.dtype === "string") return stock(args);
    const attrs = args.attrs as { begin: number[]; size: number[] };
    const [begin, size] = tf.slice_util.parseSliceParams(x, attrs.begin, attrs.size);
    return viewSlice({ inputs: args.inputs, backend: args.backend, attrs: { begin, size } });
  };
}

/**
 * Concat on WASM with one `copyWithin` per row and input on the heap. NOTE: tfjs' WASM Concat is a
 * JS loop that makes a subarray per row and input (13% of the LSTM step's plan, its gate blocks and
 * per-step gradients); same bytes out. Anything unusual (strings, empty inputs) goes to the stock kernel.
 */
function heapConcat(stock: TfKernelFunc): TfKernelFunc {
  return (args) => {
    const inputs = Object.values(args.inputs).filter((t): t is TfTensorInfo => t !== undefined);
    const backend = args.backend;
    const first = inputs.at(0);
    if (first === undefined) return stock(args);
    const dtype = first.dtype;
    if (
      !isHeapBackend(backend) ||
      inputs.length < 2 ||
      dtype === "string" ||
      dtype === "complex64" ||
      inputs.some((t) => t.dtype !== dtype || t.shape.includes(0))
    )
      return stock(args);
    const axis = tf.util.parseAxisParam((args.attrs as { axis: number | number[] }).axis, first.shape)[0];
    const outShape = tf.backend_util.computeOutShape(
      inputs.map((t) => t.shape),
      axis,
    );
    // NOTE: the output first: allocating may grow the heap, which would detach a view taken before
    const out = backend.makeOutput(outShape, dtype);
    const o = backend.typedArrayFromHeap(out);
    const unit = o.BYTES_PER_ELEMENT;
    const heap = new (o.constructor as Float32ArrayConstructor)(o.buffer);
    const rows = tf.util.sizeFromShape(first.shape.slice(0, axis));
    const inner = inputs.map((t) => tf.util.sizeFromShape(t.shape.slice(axis)));
    const starts = inputs.map((t) => backend.typedArrayFromHeap(t).byteOffset / unit);
    let dst = o.byteOffset / unit;
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < inputs.length; i++) {
        const src = starts[i] + r * inner[i];
        heap.copyWithin(dst, src, src + inner[i]);
        dst += inner[i];
      }
    }
    return out;
  };
}

/** The kernel function a plan calls for `name`: the backend's, or a faster one with the same results. */
function planKernel(name: string, backendName: string): TfKernelFunc {
  const stock = tf.getKernel(name, backendName).kernelFunc;
  if (backendName !== "wasm") return stock;
  return name === "Slice" ? planSlice(stock) : name === "Concat" ? heapConcat(stock) : stock;
}

/** A constant dropped while recording. */
const disposedConst: TfTensorInfo = { dataId: {}, shape: [], dtype: "float32" };

/** Releases one backend reference to `info`'s data; when it was the last, the engine forgets the data as well. */
function releaseData(backend: TfKernelBackend, info: TfTensorInfo): void {
  // NOTE: the engine may know this data (a kernel output sharing an engine tensor's buffer, as Reshape's does)
  if (backend.disposeData(info.dataId)) tf.engine().removeDataId(info.dataId, backend);
}

/** Gives up slot `s`'s reference: a tensor is disposed, a bare kernel output's data released on the backend. */
function release(p: Plan, vals: (TfTensorInfo | undefined)[], s: number): void {
  const v = vals[s];
  vals[s] = undefined;
  // NOTE: a pinned buffer stays with the plan
  if (v === undefined || v === p.pins[s]?.info) return;
  if (v instanceof tf.Tensor) v.dispose();
  else releaseData(p.backend, v);
}

/**
 * Slot `s` as a tensor (an equation step's argument, an output). A bare kernel output becomes an
 * engine tensor that owns its reference; a bare constant gets a new handle, added to `temps` (the
 * caller disposes it).
 */
function tensorAt(p: Plan, vals: (TfTensorInfo | undefined)[], s: number, temps: TfTensor[]): TfTensor {
  const v = vals[s]!;
  if (v instanceof tf.Tensor) return v;
  if (s < p.nInputs + p.consts.length) {
    p.backend.incRef(v.dataId);
    const t = tf.engine().makeTensorFromTensorInfo(v, p.backend);
    temps.push(t);
    return t;
  }
  const t = tf.engine().makeTensorFromTensorInfo(v, p.backend);
  vals[s] = t;
  return t;
}

/**
 * Runs the plan on `inputs` (tensors of the plan's signature). The outputs are new tensors owned by
 * the caller. `times`, when given, receives each step's wall ms (bench/profile.ts).
 */
export function runPlan(p: Plan, inputs: readonly TfTensor[], times?: Float64Array): TfTensor[] {
  const vals = new Array<TfTensorInfo | undefined>(p.nSlots);
  for (let i = 0; i < p.nInputs; i++) vals[i] = inputs[i];
  for (let k = 0; k < p.consts.length; k++) vals[p.nInputs + k] = p.consts[k];
  const firstSlot = p.nInputs + p.consts.length;
  const backend = p.backend;
  const temps: TfTensor[] = [];
  const pins = buffersEnabled ? p.pins : noPins;
  try {
    for (let i = 0; i < p.steps.length; i++) {
      const st = p.steps[i];
      const t0 = times === undefined ? 0 : performance.now();
      if (st.kind === "call") {
        const direct = st.direct;
        if (direct !== undefined && directEnabled) {
          direct.run(vals, st.srcs, st.outs[0], pins[st.outs[0]]);
          if (times !== undefined) times[i] = performance.now() - t0;
          for (const s of st.free) release(p, vals, s);
          continue;
        }
        let ins: TfTensorInfoMap | TfTensorInfo[];
        if (st.keys === null) ins = st.srcs.map((s) => vals[s]!);
        else {
          const m: TfTensorInfoMap = {};
          for (let j = 0; j < st.srcs.length; j++) m[st.keys[j]] = vals[st.srcs[j]]!;
          ins = m;
        }
        const out = st.fn({ inputs: ins as TfTensorInfoMap, backend, attrs: st.attrs });
        if (Array.isArray(out)) for (let j = 0; j < out.length; j++) vals[st.outs[j]] = out[j];
        else vals[st.outs[0]] = out;
      } else {
        const e = st.eqn;
        const args = st.srcs.map((s) => tensorAt(p, vals, s, temps));
        if (e.multi === undefined) vals[st.outs[0]] = runImpl(e.prim, args, e.params, e.aval);
        else e.multi.prim.impl(args, e.params).forEach((t, k) => (vals[st.outs[k]] = t));
        for (const t of temps.splice(0)) t.dispose();
      }
      if (times !== undefined) times[i] = performance.now() - t0;
      for (const s of st.free) release(p, vals, s);
    }
  } catch (err) {
    for (let s = firstSlot; s < vals.length; s++) release(p, vals, s);
    for (const t of temps) t.dispose();
    throw err;
  }
  const seen = new Set<number>();
  const outs = p.outputs.map((s) => {
    // inputs and constants stay with their owners; a repeated output gets its own handle
    if (s < firstSlot || seen.has(s)) return tf.clone(tensorAt(p, vals, s, temps));
    seen.add(s);
    return tensorAt(p, vals, s, temps);
  });
  for (const t of temps) t.dispose();
  return outs;
}

let directEnabled = true;

/**
 * Turns the static plan's direct WASM kernel calls (core/plan-direct.ts) on or off for every plan
 * from now on, and returns the previous setting; off, each kernel runs through tfjs' kernel
 * function. Both give the same bytes: the switch is for A/B measurements and tests.
 * ```ts
 * const before = setPlanDirectCalls(false);
 * const reference = step(params, x, y);
 * setPlanDirectCalls(before);
 * ```
 */
export function setPlanDirectCalls(on: boolean): boolean {
  const before = directEnabled;
  directEnabled = on;
  return before;
}

let buffersEnabled = true;
const noPins: readonly (Pinned | undefined)[] = [];

/**
 * Turns the static plan's buffers assigned at lowering time (core/plan-buffers.ts) on or off for
 * every plan from now on, and returns the previous setting; off, each direct call allocates its
 * output. Both give the same bytes: the switch is for A/B measurements and tests.
 * ```ts
 * const before = setPlanBuffers(false);
 * const reference = step(params, x, y);
 * setPlanBuffers(before);
 * ```
 */
export function setPlanBuffers(on: boolean): boolean {
  const before = buffersEnabled;
  buffersEnabled = on;
  return before;
}

/** Frees the constants the plan made. */
export function disposePlan(p: Plan): void {
  for (const c of p.owned) releaseData(p.backend, c);
  p.owned.length = 0;
  freeDirect(p.backend, p.memory);
  for (const b of p.buffers) releaseData(p.backend, b);
  p.buffers.length = 0;
}

/** The plan's steps in words, one a line (for inspection and tests). */
export function describePlan(p: Plan): string[] {
  return p.steps.map((st) =>
    st.kind === "call"
      ? `${st.outs.join(",")} = ${st.name}(${st.srcs.join(",")})`
      : `${st.outs.join(",")} = ${st.eqn.prim.name}(${st.srcs.join(",")}) [equation: ${st.reason}]`,
  );
}

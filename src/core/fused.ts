// Fused ops: a composite written with primitives that evaluates as ONE native kernel where the
// backend has it (core/native). The composite is the definition: off WASM it is what runs, and every
// transform (jvp, vjp and so grad of grad, vmap, ONNX export) works on it, so a kernel only has to
// compute the same values. Under jit the op is one graph equation and the static plan calls the
// kernel directly. Carried like remat: a primitive with the composite's traced body in its params.
// The body is traced once per op and operand avals and cached (host copies of its constants, no
// tensors); eagerly, a cached op whose kernel runs skips the trace and the bind altogether.
import * as tf from "@tensorflow/tfjs-core";
import type { AnyTensor, DType, TfAttrMap, TfTensor } from "../tensor/index.js";
import { Concrete, ShapeError } from "../tensor/index.js";
import { bindMulti, scoped, Tracer } from "./trace.js";
import { defineMultiPrimitive, type Aval, type MultiPrimitive } from "./primitive.js";
import { batchBody, describeAval, evalBody, jvpFlat, runBody, sameAval, traceBody, type Body } from "./body.js";
import { recomputingVjp } from "./remat.js";
import { leafTensors } from "./util.js";
import { nativeAvailable } from "./native/registry.js";

/** A fused op: its native kernel's name and the composite that defines it. */
export interface FusedOp {
  /** For messages and profiles. */
  readonly name: string;
  /** The native kernel (`registerNativeKernel`) computing the composite's outputs from the same inputs. */
  readonly kernel: string;
  /** Numbers (or arrays of numbers) the kernel reads besides its inputs. */
  readonly attrs?: TfAttrMap;
  /** The definition, in core's ops: the values off WASM, and every derivative and batching rule. */
  composite(inputs: AnyTensor[]): AnyTensor[];
  /** Whether the kernel takes these operands (shapes the composite broadcasts, say); the composite runs otherwise. */
  supports?(inputs: readonly Aval[]): boolean;
  /**
   * For an op made per call: names everything its composite depends on besides the inputs (and
   * `name`, `kernel`, `attrs`), so ops with equal keys share traced composites. Without it an op is
   * cached by identity: make ops module-level constants, or memoize their factories.
   */
  readonly key?: string;
}

export interface FusedParams {
  readonly op: FusedOp;
  /** The composite traced: [captured..., inputs...] -> outputs. */
  readonly body: Body;
  readonly nCaptured: number;
  /** False once batched by vmap: the kernel takes the op's own shapes only. */
  readonly native: boolean;
}

export const fusedP: MultiPrimitive<FusedParams> = defineMultiPrimitive<FusedParams>({
  name: "fused",
  abstractEval(avals, { op, body }) {
    avals.forEach((a, i) => {
      const want = body.inAvals[i];
      if (want === undefined || !sameAval(a, want))
        throw new ShapeError(
          { op: op.name, expected: want ? describeAval(want) : "fewer operands", got: describeAval(a) },
          `${op.name}: operand ${i} is ${describeAval(a)}, the op was traced for ${want ? describeAval(want) : "fewer operands"}`,
        );
    });
    return [...body.outAvals];
  },
  impl(inputs, { op, body, nCaptured, native }) {
    if (native && nativeAvailable(op.kernel) && (op.supports?.(body.inAvals.slice(nCaptured)) ?? true)) {
      const named: Record<string, TfTensor> = {};
      inputs.slice(nCaptured).forEach((t, i) => (named[`x${i}`] = t));
      const outs = tf.engine().runKernel<TfTensor | TfTensor[]>(op.kernel, named, op.attrs ?? {});
      return Array.isArray(outs) ? outs : [outs];
    }
    return runBody(body, inputs);
  },
  jvp: (primals, tangents, { body }) => jvpFlat((a) => evalBody(body, a), primals, tangents),
  // NOTE: the composite again, on the tape, only when the fused op itself is differentiated (the
  // ops that use one inside a custom vjp never are at first order); it keeps only the inputs
  vjp: (primals, wanted, p) => recomputingVjp(fusedP, primals, wanted, p, p.body),
  batch(inputs, batched, p, n) {
    const b = batchBody(p.op.name, p.body, batched, n);
    return bindMulti(fusedP, [...b.captured, ...inputs], { ...p, body: b.body, nCaptured: b.captured.length, native: false });
  },
});

// ------------------------------------------------------------------ the trace cache

/** A constant the composite made (or closed over), kept as host values: the cache holds no tensors. */
interface HostConstant {
  readonly shape: number[];
  readonly dtype: DType;
  readonly values: Float32Array | Int32Array | Uint8Array;
}

/** One op at one list of operand avals: its traced composite and the constants the body takes first. */
interface Traced {
  readonly body: Body;
  readonly constants: readonly HostConstant[];
}

/** Shapes per op kept at most (least recently used first out); a training step uses a handful. */
const MAX_SHAPES_PER_OP = 64;
/** Ops with a declared `key` kept at most (least recently used first out). */
const MAX_KEYED_OPS = 256;

let cacheOn = true;
let byIdentity = new WeakMap<FusedOp, Map<string, Traced>>();
const byKey = new Map<string, Map<string, Traced>>();
let traces = 0;

/**
 * Turns the fused ops' trace cache on or off (on by default) and returns what it was; off, every call
 * traces the composite again (for A/B benches and tests). Internal.
 */
export function setFusedCache(on: boolean): boolean {
  const was = cacheOn;
  cacheOn = on;
  return was;
}

/** Forgets every traced composite (the cache holds no tensors, so nothing is disposed). Internal. */
export function clearFusedCache(): void {
  byIdentity = new WeakMap();
  byKey.clear();
}

/** How many times `fused` has traced a composite since the process started (tests, benches). Internal. */
export function fusedTraceCount(): number {
  return traces;
}

/** The shapes cache of `op`: by identity, or by its declared key (ops made per call). */
function shapesOf(op: FusedOp): Map<string, Traced> {
  if (op.key === undefined) {
    let m = byIdentity.get(op);
    if (m === undefined) byIdentity.set(op, (m = new Map()));
    return m;
  }
  const k = `${op.name}\u0000${op.kernel}\u0000${JSON.stringify(op.attrs ?? {})}\u0000${op.key}`;
  let m = byKey.get(k);
  if (m === undefined) {
    if (byKey.size >= MAX_KEYED_OPS) byKey.delete(byKey.keys().next().value!);
    byKey.set(k, (m = new Map()));
  } else if (byKey.size > 8) {
    byKey.delete(k);
    byKey.set(k, m);
  }
  return m;
}

function avalsKey(inputs: readonly AnyTensor[]): string {
  let k = "";
  for (const x of inputs) k += `${x.dtype}[${x.shape.join(",")}]`;
  return k;
}

const avalsOf = (inputs: readonly AnyTensor[]): Aval[] => inputs.map((x) => ({ shape: x.shape, dtype: x.dtype }));

/** The composite traced on `inputs`' avals; undefined as the cache entry when it closed over a traced value. */
function traceComposite(op: FusedOp, inputs: readonly AnyTensor[]): { body: Body; captured: AnyTensor[]; entry?: Traced } {
  traces++;
  const t = traceBody(op.name, (ins) => op.composite(ins), avalsOf(inputs));
  if (t.captured.some((c) => c instanceof Tracer)) return t;
  // NOTE: host copies, not tensors: a cached body then holds nothing to dispose or to leak, and each
  // call makes its constants afresh where it runs (in its scope, under its transforms), as tracing did
  const constants = t.captured.map((c) => {
    const v = c.concrete();
    return { shape: [...v.shape], dtype: c.dtype, values: v.dataSync<"float32" | "int32" | "bool">() };
  });
  return { ...t, entry: { body: t.body, constants } };
}

/**
 * `op` applied to `inputs`: its native kernel on WASM when available, its composite otherwise; the
 * composite's derivatives either way. Internal (layers and optimizers fuse their inner loops with it).
 *
 * The composite is traced once per op and operand shapes and dtypes (ops are told apart by identity,
 * or by their `key`); eagerly, where the kernel runs, a cached op is one kernel call and no trace.
 */
export function fused(op: FusedOp, inputs: readonly AnyTensor[]): AnyTensor[] {
  if (!cacheOn) return scoped(() => bindTraced(op, inputs, traceComposite(op, inputs)), leafTensors);
  const shapes = shapesOf(op);
  const key = avalsKey(inputs);
  const hit = shapes.get(key);
  // least recently used first out: a hit moves to the end (only where a map could fill up)
  if (hit !== undefined && shapes.size > 8) {
    shapes.delete(key);
    shapes.set(key, hit);
  }
  if (hit !== undefined && !inputs.some((x) => x instanceof Tracer) && nativeAvailable(op.kernel)) {
    const avals = hit.body.inAvals.slice(hit.constants.length);
    if (op.supports?.(avals) ?? true) return runKernel(op, inputs);
  }
  return scoped(() => {
    if (hit !== undefined) {
      const captured = hit.constants.map((c) => new Concrete(tf.tensor(c.values, c.shape, c.dtype)));
      return bindTraced(op, inputs, { body: hit.body, captured });
    }
    const t = traceComposite(op, inputs);
    if (t.entry !== undefined) {
      if (shapes.size >= MAX_SHAPES_PER_OP) shapes.delete(shapes.keys().next().value!);
      shapes.set(key, t.entry);
    }
    return bindTraced(op, inputs, t);
  }, leafTensors);
}

function bindTraced(op: FusedOp, inputs: readonly AnyTensor[], t: { body: Body; captured: AnyTensor[] }): AnyTensor[] {
  return bindMulti(fusedP, [...t.captured, ...inputs], { op, body: t.body, nCaptured: t.captured.length, native: true });
}

/** The eager fast path: fusedP's impl on its kernel, without the bind (the shapes were checked when traced). */
function runKernel(op: FusedOp, inputs: readonly AnyTensor[]): AnyTensor[] {
  const named: Record<string, TfTensor> = {};
  inputs.forEach((t, i) => (named[`x${i}`] = t.concrete()));
  const outs = tf.engine().runKernel<TfTensor | TfTensor[]>(op.kernel, named, op.attrs ?? {});
  return (Array.isArray(outs) ? outs : [outs]).map((t) => new Concrete(t));
}

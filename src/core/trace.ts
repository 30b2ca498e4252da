// The interpreter stack. Values are Tensors; a Tracer belongs to one level of the stack.
// `bind` sends a primitive to the highest-level tracer among its arguments, or runs it eagerly.
import * as tf from "@tensorflow/tfjs-core";
import { checkSize, Concrete, describeValue, Tensor, ValueError, type AnyTensor, type DType, type TfTensor } from "../tensor/index.js";
import type { Shape } from "../../typelevel/index.js";
import type { Aval, MultiPrimitive, Primitive } from "./primitive.js";

export interface Trace {
  readonly level: number;
  readonly kind: string;
  /** Runs `prim` on arguments of which at least one is a tracer of this trace. */
  process(prim: Primitive, args: AnyTensor[], params: unknown): AnyTensor;
  /** Runs a multi-output primitive (control flow) on arguments of which at least one is a tracer of this trace. */
  processMulti(prim: MultiPrimitive, args: AnyTensor[], params: unknown): AnyTensor[];
  /** False once the transform that made it has returned. */
  alive: boolean;
}

const stack: Trace[] = [];

export function currentLevel(): number {
  return stack.length;
}

/** Runs `body` with a new trace at the top of the stack. */
export function withTrace<T>(make: (level: number) => Trace, body: (trace: Trace) => T): T {
  const trace = make(stack.length + 1);
  stack.push(trace);
  try {
    return body(trace);
  } finally {
    stack.pop();
    trace.alive = false;
  }
}

export abstract class Tracer extends Tensor<Shape, DType> {
  constructor(
    readonly trace: Trace,
    aval: Aval,
  ) {
    super(aval.shape, aval.dtype);
  }
}

/** Shape checks run for every primitive call, traced or not; a result too large to hold is an error naming the op. */
export function evalShape(prim: Primitive, args: readonly AnyTensor[], params: unknown): Aval {
  const aval = prim.abstractEval(
    args.map((a) => ({ shape: a.shape, dtype: a.dtype })),
    params,
  );
  checkSize(prim.name, aval.shape);
  return aval;
}

/** Runs the eager kernel; a kernel that hands back its input gets a fresh handle, so ownership stays simple. */
export function runImpl(prim: Primitive, inputs: TfTensor[], params: unknown, aval?: Aval): TfTensor {
  // NOTE: an empty result is all shape; tfjs kernels (WASM above all) crash or mis-shape on empty tensors
  if (aval !== undefined && aval.shape.includes(0)) return tf.zeros(aval.shape as number[], aval.dtype);
  const out = prim.impl(inputs, params);
  for (const x of inputs) if (out === x) return tf.clone(out);
  return out;
}

export function bind(prim: Primitive, args: AnyTensor[], params: unknown = {}): AnyTensor {
  const top = topTracer(prim.name, args);
  if (top === undefined) {
    const aval = evalShape(prim, args, params);
    const inputs = args.map((a) => a.concrete());
    return new Concrete(runImpl(prim, inputs, params, aval));
  }
  return top.trace.process(prim, args, params);
}

/** `bind` for a multi-output primitive (control flow): its outputs, eager or traced. */
export function bindMulti(prim: MultiPrimitive, args: AnyTensor[], params: unknown): AnyTensor[] {
  const top = topTracer(prim.name, args);
  if (top === undefined) {
    const avals = evalShapeMulti(prim, args, params);
    const inputs = args.map((a) => a.concrete());
    const outs = prim.impl(inputs, params);
    if (outs.length !== avals.length)
      throw new Error(`internal: ${prim.name} made ${outs.length} outputs, its shape rule says ${avals.length}`);
    return outs.map((t) => new Concrete(t));
  }
  return top.trace.processMulti(prim, args, params);
}

/** Output avals of a multi-output primitive (its shape checks), each checked for size. */
export function evalShapeMulti(prim: MultiPrimitive, args: readonly AnyTensor[], params: unknown): Aval[] {
  const avals = prim.abstractEval(
    args.map((a) => ({ shape: a.shape, dtype: a.dtype })),
    params,
  );
  for (const a of avals) checkSize(prim.name, a.shape);
  return avals;
}

/** The highest-level tracer among `args` (undefined: all concrete); throws on a non-tensor or an escaped tracer. */
function topTracer(name: string, args: readonly AnyTensor[]): Tracer | undefined {
  let top: Tracer | undefined;
  for (let i = 0; i < args.length; i++) {
    const a: unknown = args[i];
    if (a instanceof Tracer) {
      if (top === undefined || a.trace.level > top.trace.level) top = a;
    } else if (!(a instanceof Tensor)) {
      // NOTE: the typed ops check their arguments; this catches what reaches a primitive untyped (a null param leaf)
      const got = describeValue(a);
      throw new ValueError({ op: name, expected: "a tensor", got }, `${name}: argument ${i} must be a tensor, got ${got}`);
    }
  }
  if (top !== undefined && !top.trace.alive) {
    throw new ValueError(
      { op: name, expected: "a value of a live transform", got: `a value traced by a ${top.trace.kind} that has returned` },
      `${name}: a traced value escaped its transform (it was created inside grad/vmap/jit and used after it returned)`,
    );
  }
  return top;
}

/**
 * Runs `fn` in a tfjs memory scope when no transform is active, so every intermediate tensor is
 * freed and only the tensors of `keep(result)` survive (owned by the caller).
 */
export function scoped<T>(fn: () => T, keep: (result: T) => TfTensor[]): T {
  if (stack.length > 0) return fn();
  const engine = tf.engine();
  engine.startScope();
  let kept: TfTensor[] = [];
  try {
    const result = fn();
    kept = keep(result);
    return result;
  } finally {
    // NOTE: on a throw nothing is kept, so a failed call frees everything it made and leaves no scope open
    engine.endScope(kept);
  }
}

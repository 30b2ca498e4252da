// A primitive is a name plus its rules. Every rule that produces tensors is written with
// primitives (via `bind`), so derivatives of derivatives and batches of derivatives work.
import type { AnyTensor, DType, TfTensor } from "../tensor/index.js";

/** Shape and dtype of a value, without data. */
export interface Aval {
  readonly shape: readonly number[];
  readonly dtype: DType;
}

export interface Primitive<P = unknown> {
  readonly name: string;
  /** Its kernel does more than compute its output (a check reports): jit never drops it as dead code. */
  readonly effectful?: boolean;
  /** Output shape and dtype; throws a clear error on bad arguments (runs on every call). */
  abstractEval(inputs: readonly Aval[], params: P): Aval;
  /** Eager implementation on tfjs kernels. */
  impl(inputs: TfTensor[], params: P): TfTensor;
  /** Output tangent from input tangents (null = zero). Return null for a zero tangent. */
  jvp(primals: AnyTensor[], tangents: (AnyTensor | null)[], params: P, out: AnyTensor): AnyTensor | null;
  /** Input cotangents from the output cotangent (null = zero / not differentiable). */
  vjp(cotangent: AnyTensor, primals: AnyTensor[], params: P, out: AnyTensor): (AnyTensor | null)[];
  /** Batching rule: batched inputs carry the batch at axis 0; the output must too. */
  batch(inputs: AnyTensor[], batched: boolean[], params: P, axisSize: number): AnyTensor;
}

/**
 * A primitive with several outputs whose rules are whole programs (control flow: scan, while).
 * Its jvp rule returns primal and tangent outputs together and its vjp rule runs the forward pass
 * itself, so a loop can carry its tangents along and store what its backward pass needs per step.
 */
export interface MultiPrimitive<P = unknown> {
  readonly name: string;
  /** Output shapes and dtypes; throws a clear error on bad arguments. */
  abstractEval(inputs: readonly Aval[], params: P): Aval[];
  /** Eager implementation on tfjs kernels: new tensors, owned by the caller. */
  impl(inputs: TfTensor[], params: P): TfTensor[];
  /** Outputs and their tangents (null = zero) from inputs and their tangents. */
  jvp(primals: AnyTensor[], tangents: (AnyTensor | null)[], params: P): [AnyTensor[], (AnyTensor | null)[]];
  /**
   * Reverse mode: runs the forward pass (one level down) and returns its outputs, the values the
   * pullback reads (kept alive for a later pullback) and the pullback, which maps the output
   * cotangents (null = zero) to input cotangents (null = zero); `wanted[i]` says whether input i needs one.
   */
  vjp(
    primals: AnyTensor[],
    wanted: readonly boolean[],
    params: P,
  ): { outs: AnyTensor[]; residuals: AnyTensor[]; pullback(cts: readonly (AnyTensor | null)[]): (AnyTensor | null)[] };
  /** Batching rule: batched inputs carry the batch at axis 0; so must every output. */
  batch(inputs: AnyTensor[], batched: boolean[], params: P, axisSize: number): AnyTensor[];
}

/** Declares a primitive; `satisfies` in the registry checks that no rule is missing. */
export function definePrimitive<P>(p: Primitive<P>): Primitive<P> {
  return p;
}

/** Declares a multi-output primitive (control flow). */
export function defineMultiPrimitive<P>(p: MultiPrimitive<P>): MultiPrimitive<P> {
  return p;
}

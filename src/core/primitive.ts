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

/** Declares a primitive; `satisfies` in the registry checks that no rule is missing. */
export function definePrimitive<P>(p: Primitive<P>): Primitive<P> {
  return p;
}

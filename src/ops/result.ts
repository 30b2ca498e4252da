// How an op's result leaves the untyped surface: `typed` gives it the op's declared type (the
// one place where the runtime shape rule and the type-level rule meet), `owned` makes sure the
// caller owns it.
import { Concrete, type AnyTensor } from "../tensor/index.js";
import { bind, stopGradientP } from "../core/index.js";

/**
 * The op's declared result type for a value the untyped surface computed. The primitive's
 * `abstractEval` has checked at run time the same shape rule the type states.
 */
export function typed<T extends AnyTensor>(x: AnyTensor): T {
  return x as T;
}

/**
 * Every op hands back a tensor its caller owns: where a rule returned an input unchanged
 * (an identity reshape, a full slice, a same-dtype cast), an eager result gets its own handle
 * (sharing the data), so disposing the output never frees the input.
 */
export function owned(out: AnyTensor, ...inputs: unknown[]): AnyTensor {
  return out instanceof Concrete && inputs.includes(out) ? bind(stopGradientP, [out]) : out;
}

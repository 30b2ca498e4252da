// Helpers the transforms share.
import { Concrete, describeValue, ValueError, type TfTensor } from "../tensor/index.js";
import { leaves } from "../tree/index.js";

/** Any function: what the transforms accept (their typed signatures say more). */
export type AnyFunction = (...args: never[]) => unknown;

/** Calls `f` with arguments the transform rebuilt at run time (same structure as the caller's). */
export function call(f: AnyFunction, args: readonly unknown[]): unknown {
  return (f as (...a: readonly unknown[]) => unknown)(...args);
}

/** The tfjs tensors behind the concrete leaves of a tree. */
export function leafTensors(tree: unknown): TfTensor[] {
  const out: TfTensor[] = [];
  for (const l of leaves(tree)) if (l instanceof Concrete) out.push(l.value);
  return out;
}

/** Throws unless `f` is a function: a transform given a value fails where it is made, not with "f is not a function". */
export function expectFunction(op: string, f: unknown): asserts f is AnyFunction {
  if (typeof f !== "function") {
    const got = describeValue(f);
    throw new ValueError({ op, expected: "a function", got }, `${op}: expected a function to transform, got ${got}`);
  }
}

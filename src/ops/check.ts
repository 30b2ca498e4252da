// Value checks (label ranges, NaN guards, index bounds) that also work under jit, vmap and grad:
// the typed face of core's `check` primitive. A failed check throws eagerly; in a jitted call it
// is reported after the call (`checkify` collects them instead of throwing).
import type { Shape } from "../../typelevel/index.js";
import { expectTensor, type DType, type Tensor } from "../tensor/index.js";
import { check as checkCore, finiteMask as finiteMaskCore, type CheckParams } from "../core/index.js";
import { owned, typed } from "./result.js";

/**
 * `x`, checked: every entry of the bool `ok` (shaped like `x`) must be true. The message may name
 * the first failing entry by {value}, {index} (flat), {position} and the {count} of failures.
 * Eagerly a failure throws at once (a ValueError); inside `jit` it throws after the call, with
 * one host read for all the call's checks; `checkify(f)` returns it instead.
 * ```ts
 * const ids = check(tokens, less(tokens, vocab), {
 *   op: "embed", message: "token {value} at {position} is not in the vocabulary", expected: `ids below ${vocab}` });
 * ```
 */
export function check<S extends Shape, D extends DType>(x: Tensor<S, D>, ok: Tensor<S, "bool">, params: CheckParams): Tensor<S, D> {
  expectTensor("check", x, "x");
  expectTensor("check", ok, "ok");
  return typed(owned(checkCore(x, ok, params), x));
}

/**
 * True where `x` is finite (not NaN, not ±Infinity): the predicate of a NaN/Inf guard.
 * ```ts
 * const loss = check(l, finiteMask(l), { op: "train", message: "the loss became {value}", expected: "a finite loss" });
 * ```
 */
export function finiteMask<S extends Shape>(x: Tensor<S, "float32">): Tensor<S, "bool"> {
  expectTensor("finiteMask", x, "x");
  return typed(finiteMaskCore(x));
}

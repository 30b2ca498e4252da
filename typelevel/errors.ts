// Shape errors: a branded type whose text tsc prints on the offending argument.
import type { Shape } from "./shape.js";

/**
 * A failed shape rule. An op's parameter type becomes `Tensor<B> & ShapeError<"...">`,
 * and tsc prints the message where the argument is passed.
 */
export interface ShapeError<Msg extends string> {
  /** Phantom (never set): the message, which tsc prints as the missing property of the argument's type. */
  readonly __shapeError: Msg;
}
// NOTE: Check and Out bind R through `infer X extends ...`. Written as `R extends Shape ? R : any`,
// tsc proves the result satisfies Tensor's constraint by walking every branch of the op's
// rule (~500-2,000 instantiations per op signature). Check is also non-distributive
// (`[R]`): when its argument is an array literal, tsc computes the constraint of the
// contextual type, and the distributive form made that re-run the whole rule.

/** `unknown` when R is a shape; the error itself otherwise, so `Tensor<B> & Check<R>` rejects the argument with the message. */
export type Check<R> = [R] extends [infer E extends ShapeError<string>] ? E : unknown;
/**
 * The parameter type of a checked argument: the argument's own type A when R is a shape, the
 * error alone otherwise. Unlike `A & Check<R>` (whose printed intersection starts with A and can
 * push the message past tsc's 160-character cut), the message is then the whole parameter type,
 * so it shows on the FIRST line of the diagnostic: `... is not assignable to parameter of type
 * 'ShapeError<"matmul: inner dims differ (784 vs 28)">'`. A is inferred from the false branch.
 */
export type Checked<A, R> = [R] extends [infer E extends ShapeError<string>] ? E : A;
/**
 * `Checked` for a rule whose success is a shape (broadcasting, reductions): the argument's own type
 * A when R is a shape, the error alone otherwise. Unlike `Checked`, a rule still unresolved over a
 * generic shape (`add(x, bias)` with `x: Tensor<S>` in a `<S extends Shape>` helper) accepts the
 * argument: the rule is checked when S is known, at the helper's call site.
 */
// NOTE: tsc relates an argument to a deferred conditional type through its branches, and skips the
// false branch when the check holds for the "restrictive" form of the type parameters. An unresolved
// rule over S has `any` among its branches (the IsAny case), so `[R] extends [Shape]` holds there;
// `infer` (as in Checked) would turn this relation off.
export type CheckedShape<A, R> = [R] extends [Shape] ? A : NoInfer<Extract<R, ShapeError<string>>>;
/** The shape carried forward: R, or `any` after an error so a chain reports once (a ShapeError is not a Shape). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any after an error: every later op accepts it and stays quiet
export type Out<R> = R extends infer X extends Shape ? X : any;

/** A dim as printed in messages: 28, batch, or ? for an unknown `number`. */
export type ShowDim<D> = D extends string ? D : number extends D ? "?" : D extends number ? `${D}` : "?";
/** A shape as printed in messages: `[batch, 7, 7, 64]`; `[...]` when the rank is unknown. */
export type ShowShape<S extends readonly unknown[]> = number extends S["length"]
  ? "[...]"
  : JoinDims<S> extends infer J extends string
    ? `[${J}]`
    : never;
type JoinDims<S, Acc extends string = "", Sep extends string = ""> = S extends readonly [infer H, ...infer T]
  ? JoinDims<T, `${Acc}${Sep}${ShowDim<H>}`, ", ">
  : Acc;

/** The message of an error (never for a shape). */
export type ErrorMessage<R> = R extends ShapeError<infer M> ? M : never;

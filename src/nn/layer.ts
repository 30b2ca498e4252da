// Layers are plain data plus pure functions. What a layer does to a shape *at the type level* is
// looked up by its `kind` in `LayerTypes` (open to declaration merging for user layers).
import type { Shape, ShapeError, ShowShape } from "../../typelevel/index.js";
import type { AnyTensor, Tensor } from "../tensor/index.js";

/** A PRNG key (see src/random). */
export type Key = import("../random/index.js").Key;

/** What `apply` may need besides params: mode, randomness, and state (batch-norm statistics). */
export interface ApplyContext {
  /** Training mode: dropout active, batch norm uses batch statistics. Default false. */
  training?: boolean;
  /** Randomness for dropout in training mode. */
  key?: Key;
}

/** The runtime side of a layer. `P` = params tree, `St` = state tree (e.g. running statistics). */
export interface Layer<K extends string = string, C = unknown> {
  readonly kind: K;
  /** Human-readable name used in messages and summaries, e.g. `dense(128)`. */
  readonly name: string;
  readonly config: C;
  /** Output shape for an input shape; throws a message naming the layer when it does not fit. */
  outputShape(inShape: readonly number[]): number[];
  /** Fresh parameters for this input shape. */
  init(key: Key, inShape: readonly number[]): unknown;
  /** Fresh state (e.g. running mean/variance); `{}` for stateless layers. */
  initState(inShape: readonly number[]): unknown;
  /** Forward pass: output and new state. */
  apply(params: any, state: any, x: AnyTensor, ctx: ApplyContext): [AnyTensor, unknown];
  /** True when the layer has parameters (`init` gets a key of its own); false for parameter-free layers. */
  readonly needsKey?: boolean;
  /** True when training-mode `apply` draws random numbers (dropout), so it needs `ctx.key`. */
  readonly stochastic?: boolean;
}

/**
 * Type-level behaviour per layer kind: `out` is the output shape (or a ShapeError), `params`
 * and `state` are the trees `init` / `initState` return, for input shape S and config C.
 * Each layer file adds its kind with `declare module "../layer.js" { interface LayerTypes ... }`.
 */
export interface LayerTypes<S extends Shape, C> {
  identity: { out: S; params: {}; state: {} };
}

/** The LayerTypes entry of layer L on input S. */
export type LayerEntry<L, S extends Shape> =
  L extends Layer<infer K, infer C>
    ? K extends keyof LayerTypes<S, C>
      ? LayerTypes<S, C>[K]
      : { out: ShapeError<`unknown layer kind "${K}": register it in LayerTypes`>; params: unknown; state: unknown }
    : { out: ShapeError<"not a layer">; params: unknown; state: unknown };

/** Output shape of layer L on input S (or a ShapeError naming the layer and the shapes). */
export type LayerOut<L, S extends Shape> = LayerEntry<L, S> extends { out: infer O } ? O : never;
export type LayerParams<L, S extends Shape> = LayerEntry<L, S> extends { params: infer P } ? P : never;
export type LayerState<L, S extends Shape> = LayerEntry<L, S> extends { state: infer P } ? P : never;

/**
 * Threads S through a tuple of layers, stopping at the first error: `out` is the final shape
 * or that error; `params` and `state` are tuples with one entry per layer.
 */
export type Chain<
  S extends Shape,
  Ls extends readonly unknown[],
  P extends unknown[] = [],
  St extends unknown[] = [],
> = Ls extends readonly [infer L, ...infer Rest]
  ? LayerEntry<L, S> extends { out: infer O; params: infer LP; state: infer LS }
    ? [O] extends [Shape]
      ? Chain<O, Rest, [...P, LP], [...St, LS]>
      : { out: O; params: P; state: St }
    : never
  : { out: S; params: P; state: St };

/** Helper for layer type entries: a message in the house style. */
// NOTE: written as a conditional so tsc prints the resolved ShapeError text, not this alias.
export type LayerError<Name extends string, Expected extends string, S extends Shape> =
  ShowShape<S> extends infer Got extends string ? ShapeError<`${Name} expects ${Expected}, got ${Got}`> : never;

/**
 * A compile-time config check: `unknown` when the literal N is a positive integer (or not a
 * literal), else an error naming the layer. Used as `units: U & PositiveInt<U, "dense", "units">`.
 */
export type PositiveInt<N, Layer extends string, What extends string> = number extends N
  ? unknown
  : N extends number
    ? `${N}` extends `-${string}` | "0" | `${string}.${string}` | `${string}e${string}`
      ? ShapeError<`${Layer}: ${What} must be a positive integer, got ${N}`>
      : unknown
    : unknown;

export type { Tensor };

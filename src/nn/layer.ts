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
  /** Number of fresh keys `init` consumes (0 for parameter-free layers). */
  readonly needsKey?: boolean;
}

/**
 * Type-level behaviour per layer kind: `out` is the output shape (or a ShapeError), `params`
 * and `state` are the trees `init` / `initState` return, for input shape S and config C.
 */
export interface LayerTypes<S extends Shape, C> {
  identity: { out: S; params: {}; state: {} };
}

type Entry<L, S extends Shape> = L extends Layer<infer K, infer C>
  ? K extends keyof LayerTypes<S, C>
    ? LayerTypes<S, C>[K]
    : { out: ShapeError<`unknown layer kind "${K}": register it in LayerTypes`>; params: unknown; state: unknown }
  : { out: ShapeError<"not a layer">; params: unknown; state: unknown };

/** Output shape of layer L on input S (or a ShapeError naming the layer and the shapes). */
export type LayerOut<L, S extends Shape> = Entry<L, S> extends { out: infer O } ? O : never;
export type LayerParams<L, S extends Shape> = Entry<L, S> extends { params: infer P } ? P : never;
export type LayerState<L, S extends Shape> = Entry<L, S> extends { state: infer P } ? P : never;

/** Helper for layer type entries: a message in the house style. */
export type LayerError<Name extends string, Expected extends string, S extends Shape> = ShapeError<`${Name} expects ${Expected}, got ${ShowShape<S>}`>;

export type { Tensor };

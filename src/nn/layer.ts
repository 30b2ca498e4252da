// Layers are plain data plus pure functions. What a layer does to a shape *at the type level* is
// looked up by its `kind` in `LayerTypes` (open to declaration merging for user layers).
/**
 * `shapeflow/nn/layer`: the layer interface and the `LayerTypes` registry, for defining a layer of
 * your own. A layer's type-level shape rule is an entry in `LayerTypes`, added by declaration
 * merging, so `Model.add`, `sequential` and the combinators need no edits (see `LayerTypes`).
 * @module shapeflow/nn/layer
 */
import type { Shape, ShapeError, ShowShape } from "../../typelevel/index.js";
import type { Key } from "../random/index.js";
import type { AnyTensor, Tensor } from "../tensor/index.js";

export type { Key, Tensor };

/**
 * What `apply` may need besides params and input: mode, randomness, and state. The same record
 * for `model.apply(params, x, ctx)`, `model.applyWithState(params, x, ctx)` and `layer.apply`.
 */
export interface ApplyContext<St = unknown> {
  /** Training mode: dropout active, batch norm uses batch statistics. Default false. */
  training?: boolean;
  /** Randomness for dropout in training mode. */
  key?: Key;
  /**
   * State from `initState()` or the last `applyWithState` (batch-norm running statistics); for a
   * model the tuple of its layers' states, for a layer its own.
   */
  state?: St;
  /**
   * A mask for the layers that read one, true = real / attend: the attention layers
   * (`multiHeadAttention`, `transformerEncoder`) take bool `[batch, seq]` (padding) or
   * `[batch, seq, seq]`; the recurrent layers `[batch, time]` (padded steps keep the state).
   * Other layers ignore it; every layer of a model gets the same mask.
   */
  mask?: AnyTensor;
}

/** The runtime side of a layer (`defineLayer` makes one from plainer parts). */
export interface Layer<K extends string = string, C = unknown> {
  /** The key of this layer's entry in `LayerTypes` (e.g. `"dense"`), which gives its shape rule. */
  readonly kind: K;
  /** Human-readable name used in messages and summaries, e.g. `dense(128)`. */
  readonly name: string;
  /** The factory's arguments as a record (e.g. `{ units: 128, useBias: true }`); the type-level rule reads them. */
  readonly config: C;
  /** Output shape for an input shape; throws a message naming the layer when it does not fit. */
  outputShape(inShape: readonly number[]): number[];
  /** Fresh parameters for this input shape. */
  init(key: Key, inShape: readonly number[]): unknown;
  /** Fresh state (e.g. running mean/variance); `{}` for stateless layers. */
  initState(inShape: readonly number[]): unknown;
  /**
   * Forward pass, arguments in the order of `model.apply(params, x, ctx)`: the output and the new
   * state (`ctx.state` unchanged, or `{}`, for stateless layers). `params` is what `init` returned.
   */
  apply(params: unknown, x: AnyTensor, ctx?: ApplyContext): [AnyTensor, unknown];
  /** True when the layer has parameters (`init` gets a key of its own); false for parameter-free layers. */
  readonly needsKey?: boolean;
  /** True when training-mode `apply` draws random numbers (dropout), so it needs `ctx.key`. */
  readonly stochastic?: boolean;
  /**
   * True when the params' shapes do not depend on the input shape (embedding's table is
   * `[vocabulary, dim]` for ids of any shape), so its input may end in a symbolic dim.
   */
  readonly fixedParamShapes?: boolean;
}

/** The `accepts` part of a LayerTypes entry for layers that compute in float32 (conv, recurrent, attention, norms). */
export type FloatInput = {
  /** The input dtype the layer needs. */
  accepts: "float32";
};

/**
 * Type-level behaviour per layer kind: `out` is the output shape (or a ShapeError), `params`
 * and `state` are the trees `init` / `initState` return, for input shape S and config C; an
 * optional `accepts` names the input dtype the layer needs (`"float32"` for dense, `"int32"` for
 * embedding), which `model.add` checks against the model's input dtype.
 * Each layer file adds its kind with `declare module "../layer.js" { interface LayerTypes ... }`.
 */
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- declaration merging needs the same type parameters in every declaration
export interface LayerTypes<S extends Shape, C> {
  /** A layer that returns its input: no params, no state. */
  identity: { out: S; params: {}; state: {} };
}

/** The LayerTypes entry of layer L on input S. */
export type LayerEntry<L, S extends Shape> =
  L extends Layer<infer K, infer C>
    ? K extends keyof LayerTypes<S, C>
      ? LayerTypes<S, C>[K]
      : { out: ShapeError<`unknown layer kind "${K}": register it in LayerTypes`>; params: unknown; state: unknown }
    : { out: NotALayer<L>; params: unknown; state: unknown };
type NotALayer<L> = L extends (...args: never[]) => Layer
  ? ShapeError<"a layer factory, not a layer: call it (nn.relu(), not nn.relu)">
  : ShapeError<"not a layer">;

/** Output shape of layer L on input S (or a ShapeError naming the layer and the shapes). */
export type LayerOut<L, S extends Shape> = LayerEntry<L, S> extends { out: infer O } ? O : never;
/** The params tree layer L's `init` returns on input S (`{ kernel: Tensor<[F, units]>, bias: ... }` for dense). */
export type LayerParams<L, S extends Shape> = LayerEntry<L, S> extends { params: infer P } ? P : never;
/** The state tree layer L keeps on input S (batch norm's running statistics; `{}` for most layers). */
export type LayerState<L, S extends Shape> = LayerEntry<L, S> extends { state: infer P } ? P : never;

/**
 * Threads S through a tuple of layers: the one type-level fold behind `sequential`, `chain`,
 * `residual` and `concatBranches`. It stops at the first layer that does not fit: `out` is the
 * final shape or that layer's ShapeError; `params` and `state` are tuples with one entry per layer
 * (up to the error); `checks` has one entry per layer, `unknown` except the ShapeError at the
 * failing position, so a variadic parameter can put the message on the offending argument.
 */
export type Chain<
  S extends Shape,
  Ls extends readonly unknown[],
  P extends unknown[] = [],
  St extends unknown[] = [],
  Checks extends unknown[] = [],
> = Ls extends readonly [infer L, ...infer Rest]
  ? LayerEntry<L, S> extends { out: infer O; params: infer LP; state: infer LS }
    ? [O] extends [Shape]
      ? Chain<O, Rest, [...P, LP], [...St, LS], [...Checks, unknown]>
      : { out: O; params: P; state: St; checks: [...Checks, O, ...{ [K in keyof Rest]: unknown }] }
    : never
  : { out: S; params: P; state: St; checks: Checks };

/** Helper for layer type entries: a message in the house style. */
// NOTE: written as a conditional so tsc prints the resolved ShapeError text, not this alias.
export type LayerError<Name extends string, Expected extends string, S extends Shape> =
  ShowShape<S> extends infer Got extends string ? ShapeError<`${Name} expects ${Expected}, got ${Got}`> : never;

/**
 * A compile-time config check: `unknown` when the literal N is a positive integer (or not a
 * literal), else an error naming the layer. Used as `units: U & PositiveInt<U, "dense", "units">`.
 */
// NOTE: an indexed access, not a conditional type: inside a generic block factory
// (`<const F extends number>(filters: F) => nn.conv2d({ filters, ... })`) a conditional over F stays
// deferred and rejects F, while `Table[`${F}`]` is checked through F's constraint (`${number}`),
// which only the catch-all `unknown` entry matches. A literal picks its entries by its digits.
export type PositiveInt<N, Layer extends string, What extends string> = NotPositive<
  ShapeError<`${Layer}: ${What} must be a positive integer, got ${N & number}`>
>[`${N & number}`];
type NotPositive<E> = {
  [k: `-${number}`]: E;
  [k: `${number}.${number}`]: E;
  [k: `${number}e${string}`]: E;
  "0": E;
  [k: `${number}`]: unknown;
};

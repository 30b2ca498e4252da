// Small helpers every layer file uses.
import { formatShape, type AnyTensor, ShapeError as ShapeErrorClass, describeValue, ValueError } from "../../tensor/index.js";
import type { ApplyContext, Key, Layer } from "../layer.js";
import { scoped, leafTensors } from "../../core/index.js";

/** The params (and state) tree a layer built with `defineLayer` has unless it says otherwise: named tensors. */
export type TensorRecord = { readonly [name: string]: AnyTensor };

/**
 * A layer in its plainest form. `P` and `St` are the params and state trees `init` and
 * `initState` return, which `apply` gets back.
 */
export interface LayerDef<K extends string, C, P = TensorRecord, St = TensorRecord> {
  /** The key of the layer's `LayerTypes` entry (its type-level shape rule). */
  kind: K;
  /** Name in messages and summaries, e.g. `dense(128)`. */
  name: string;
  /** The factory's arguments, read by the `LayerTypes` entry. */
  config: C;
  /**
   * The output shape for an input shape, or a throw worded exactly as the type-level error
   * (`dense(10) expects [..., features], got [batch]`).
   */
  outputShape(inShape: readonly number[]): number[];
  /** Fresh params for this input shape (omit for a parameter-free layer: its params are `{}`). */
  init?(key: Key, inShape: readonly number[]): P;
  /** Fresh state for this input shape (omit for a stateless layer: its state is `{}`). */
  initState?(inShape: readonly number[]): St;
  /**
   * Forward pass, in the order of `model.apply(params, x, ctx)`; `ctx.state` is this layer's
   * state. Stateless layers return just the output, stateful ones `[output, new state]`.
   */
  apply(params: P, x: AnyTensor, ctx: ApplyContext<St>): AnyTensor | [AnyTensor, St];
  /** Has parameters; defaults to "`init` given" (combinators ask their parts). */
  needsKey?: boolean;
  /** Training-mode `apply` draws random numbers from `ctx.key` (dropout). Default false. */
  stochastic?: boolean;
  /** The params' shapes do not depend on the input shape (embedding), so a symbolic last input dim is fine. Default false. */
  fixedParamShapes?: boolean;
}

/**
 * A layer from its parts: `init` runs in a memory scope (split keys and temporaries freed, the
 * params kept), parameter-free layers get `{}` params and state, stateless ones keep the state.
 * Its shape rule at the type level is the `LayerTypes` entry under `kind` (see `LayerTypes`).
 * ```ts
 * const double = () =>
 *   defineLayer({ kind: "identity", name: "double", config: {}, outputShape: (s) => [...s], apply: (_p, x) => mul(x, 2) });
 * ```
 */
export function defineLayer<K extends string, C, P = TensorRecord, St = TensorRecord>(def: LayerDef<K, C, P, St>): Layer<K, C> {
  const d = def as Partial<LayerDef<K, C, P, St>> | null | undefined;
  if (typeof d !== "object" || d === null || typeof d.outputShape !== "function" || typeof d.apply !== "function") {
    const got = describeValue(def);
    throw new ValueError(
      { op: "defineLayer", expected: "{ kind, name, outputShape, apply, ... }", got },
      `defineLayer: expected a layer definition { kind, name, outputShape, apply, ... }, got ${got}`,
    );
  }
  const init = def.init;
  return {
    kind: def.kind,
    name: def.name,
    config: def.config,
    outputShape: def.outputShape,
    init: init ? (key, s) => scoped(() => init(key, s), leafTensors) : () => ({}),
    initState: def.initState ?? (() => ({})),
    needsKey: def.needsKey ?? init !== undefined,
    stochastic: def.stochastic ?? false,
    fixedParamShapes: def.fixedParamShapes ?? false,
    apply(params, x, ctx = {}) {
      // NOTE: params and state are whatever this layer's init / initState made (the Layer contract)
      const r = def.apply(params as P, x, ctx as ApplyContext<St>);
      return Array.isArray(r) ? r : [r, ctx.state ?? {}];
    },
  };
}

// One check and one error text per mistake, shared with core's conv/pool options (core/window.ts).
export { positiveInt, positivePair } from "../../core/index.js";

export function expectRank(layer: string, expected: string, s: readonly number[], ok: boolean): void {
  if (!ok)
    throw new ShapeErrorClass(
      { op: layer, expected: expected, got: formatShape(s) },
      `${layer} expects ${expected}, got ${formatShape(s)}`,
    );
}

/** `3` -> "3x3", `[3, 5]` -> "3x5": how layer names show a 2-D window. */
export function showWindow(w: number | readonly [number, number]): string {
  return typeof w === "number" ? `${w}x${w}` : `${w[0]}x${w[1]}`;
}

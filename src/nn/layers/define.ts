// Small helpers every layer file uses.
import { formatShape, type AnyTensor } from "../../tensor/index.js";
import type { ApplyContext, Key, Layer } from "../layer.js";
import { scoped, leafTensors } from "../../core/index.js";

export interface LayerDef<K extends string, C> {
  kind: K;
  name: string;
  config: C;
  outputShape(inShape: readonly number[]): number[];
  init?(key: Key, inShape: readonly number[]): unknown;
  initState?(inShape: readonly number[]): unknown;
  /** Stateless layers return just the output. */
  apply(params: any, x: AnyTensor, ctx: ApplyContext, state: any): AnyTensor | [AnyTensor, unknown];
  /** Has parameters; defaults to "`init` given" (combinators ask their parts). */
  needsKey?: boolean;
  stochastic?: boolean;
}

export function defineLayer<K extends string, C>(def: LayerDef<K, C>): Layer<K, C> {
  return {
    kind: def.kind,
    name: def.name,
    config: def.config,
    outputShape: def.outputShape,
    // scoped: split keys and temporaries are freed, the params survive
    init: def.init ? (key, s) => scoped(() => def.init!(key, s), leafTensors) : () => ({}),
    initState: def.initState ?? (() => ({})),
    needsKey: def.needsKey ?? def.init !== undefined,
    stochastic: def.stochastic ?? false,
    apply(params, state, x, ctx) {
      const r = def.apply(params, x, ctx, state);
      return Array.isArray(r) ? r : [r, state];
    },
  };
}

export function positiveInt(layer: string, what: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0)
    throw new Error(`${layer}: ${what} must be a positive integer, got ${String(v)}`);
  return v;
}

/** A `number | [h, w]` option as a pair of positive integers, or an error naming the layer. */
export function positivePair(layer: string, what: string, v: unknown, fallback?: readonly [number, number]): [number, number] {
  const p = v === undefined ? fallback : typeof v === "number" ? [v, v] : v;
  const ok = Array.isArray(p) && p.length === 2 && p.every((d) => typeof d === "number" && Number.isInteger(d) && d > 0);
  if (!ok) throw new Error(`${layer}: ${what} must be a positive integer or [h, w] of positive integers, got ${JSON.stringify(v)}`);
  return [p[0], p[1]];
}

export function expectRank(layer: string, expected: string, s: readonly number[], ok: boolean): void {
  if (!ok) throw new Error(`${layer} expects ${expected}, got ${formatShape(s)}`);
}

/** `3` -> "3x3", `[3, 5]` -> "3x5": how layer names show a 2-D window. */
export function showWindow(w: number | readonly [number, number]): string {
  return typeof w === "number" ? `${w}x${w}` : `${w[0]}x${w[1]}`;
}

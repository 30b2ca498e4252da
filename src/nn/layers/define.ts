// Small helpers every layer file uses.
import { formatShape, type AnyTensor } from "../../tensor/index.js";
import type { ApplyContext, Key, Layer } from "../layer.js";
import { scoped } from "../../core/trace.js";
import { leafTensors } from "../../core/util.js";

export interface LayerDef<K extends string, C> {
  kind: K;
  name: string;
  config: C;
  outputShape(inShape: readonly number[]): number[];
  init?(key: Key, inShape: readonly number[]): unknown;
  initState?(inShape: readonly number[]): unknown;
  /** Stateless layers return just the output. */
  apply(params: any, x: AnyTensor, ctx: ApplyContext, state: any): AnyTensor | [AnyTensor, unknown];
  stateful?: boolean;
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
    needsKey: def.init !== undefined,
    apply(params, state, x, ctx) {
      const r = def.apply(params, x, ctx, state);
      return Array.isArray(r) ? r : [r, state];
    },
  };
}

export function positiveInt(layer: string, what: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) throw new Error(`${layer}: ${what} must be a positive integer, got ${String(v)}`);
  return v;
}

export function expectRank(layer: string, expected: string, s: readonly number[], ok: boolean): void {
  if (!ok) throw new Error(`${layer} expects ${expected}, got ${formatShape(s)}`);
}

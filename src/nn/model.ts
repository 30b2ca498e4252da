// Composition: a Model threads a shape through layers at the type level and at run time.
import type { Check, Out, Shape, ShapeError } from "../../typelevel/index.js";
import { formatShape, type AnyTensor, type Tensor } from "../tensor/index.js";
import { leaves } from "../tree/index.js";
import { scoped } from "../core/trace.js";
import { leafTensors } from "../core/util.js";
import { foldIn, split, key as makeKey } from "../random/index.js";
import type { ApplyContext, Key, Layer, LayerOut, LayerParams, LayerState } from "./layer.js";

/** Runtime placeholder for symbolic dims when computing parameter shapes. */
const SYMBOLIC_SIZE = 1;

export interface ModelContext<St> extends ApplyContext {
  /** State from `initState()` or the last `applyWithState` (needed by batch norm in eval mode). */
  state?: St;
}

/** Threads S through a tuple of layers: final shape, params tuple, state tuple. */
export type Thread<S extends Shape, Ls extends readonly unknown[], P extends unknown[] = [], St extends unknown[] = []> =
  Ls extends readonly [infer L, ...infer Rest]
    ? Thread<Out<LayerOut<L, S>>, Rest, [...P, LayerParams<L, S>], [...St, LayerState<L, S>]>
    : { out: S; params: P; state: St };

/** One Check per layer: the failing position carries the ShapeError. */
export type ValidateLayers<S extends Shape, Ls extends readonly unknown[]> =
  Ls extends readonly [infer L, ...infer Rest] ? [Check<LayerOut<L, S>>, ...ValidateLayers<Out<LayerOut<L, S>>, Rest>] : [];

export class Model<In extends Shape, O extends Shape, P extends unknown[] = [], St extends unknown[] = []> {
  declare readonly __types: { in: In; out: O; params: P; state: St };

  constructor(
    /** Input shape; strings are symbolic dims (any size). */
    readonly inputShape: In,
    readonly layers: readonly Layer[],
  ) {}

  /** Appends a layer; a layer that does not fit is a compile error on this argument. */
  add<L extends Layer>(layer: L & Check<LayerOut<L, O>>): Model<In, Out<LayerOut<L, O>>, [...P, LayerParams<L, O>], [...St, LayerState<L, O>]> {
    const m = new Model(this.inputShape, [...this.layers, layer as Layer]);
    m.shapes(); // runtime check, for untyped callers and symbolic shapes
    return m as never;
  }

  /** Runtime shapes before and after every layer (symbolic dims as 1). */
  shapes(inShape: readonly number[] = this.concreteInput()): number[][] {
    const out: number[][] = [[...inShape]];
    let s = [...inShape];
    for (const l of this.layers) {
      try {
        s = l.outputShape(s);
      } catch (e) {
        throw new Error(`${(e as Error).message} (input ${formatShape(this.inputShape as readonly (number | string)[])})`);
      }
      out.push(s);
    }
    return out;
  }

  private concreteInput(): number[] {
    return (this.inputShape as readonly (number | string)[]).map((d) => (typeof d === "number" ? d : SYMBOLIC_SIZE));
  }

  /** Shapes before and after every layer, with symbolic dims kept by name where they pass through. */
  symbolicShapes(): (number | string)[][] {
    const ins = this.inputShape as readonly (number | string)[];
    const a = this.shapes();
    const b = this.shapes(ins.map((d) => (typeof d === "number" ? d : 2)));
    // a dim that changes with the symbolic sizes follows a symbolic dim: name it when unambiguous
    const symbols = ins.filter((d): d is string => typeof d === "string");
    return a.map((s, j) => s.map((d, i) => (d === b[j][i] ? d : symbols.length === 1 && b[j][i] === 2 ? symbols[0] : "?")));
  }

  /** Output shape with symbolic dims kept by name. */
  get outputShape(): (number | string)[] {
    const all = this.symbolicShapes();
    return all[all.length - 1];
  }

  /**
   * Fresh parameters: one key per layer, split from `key`.
   * ```ts
   * const params = model.init(random.key(0));
   * ```
   */
  init(key: Key): P {
    const shapes = this.shapes();
    // a memory scope frees the split keys and any temporaries; the params survive
    return scoped(() => {
      const keys = split(key, Math.max(this.layers.length, 1));
      return this.layers.map((l, i) => l.init(keys[i], shapes[i])) as P;
    }, leafTensors);
  }

  /** Fresh state (batch-norm running statistics); `{}` per stateless layer. */
  initState(): St {
    const shapes = this.shapes();
    return this.layers.map((l, i) => l.initState(shapes[i])) as St;
  }

  /**
   * The forward pass. Eval mode by default; `{ training: true, key }` turns on dropout.
   * ```ts
   * const logits = model.apply(params, x);   // Tensor<["batch", 10]>
   * ```
   */
  apply(params: P, x: Tensor<In>, ctx: ModelContext<St> = {}): Tensor<O> {
    return this.applyWithState(params, ctx.state ?? this.emptyState(), x, ctx)[0];
  }

  /** The forward pass, also returning the updated state (running statistics in training mode). */
  applyWithState(params: P, state: St, x: Tensor<In>, ctx: ApplyContext = {}): [Tensor<O>, St] {
    // outside transforms, intermediates (activations, per-layer keys) are freed on return
    return scoped(() => this.forward(params, state, x, ctx), leafTensors);
  }

  private forward(params: P, state: St, x: Tensor<In>, ctx: ApplyContext): [Tensor<O>, St] {
    this.checkInput(x as unknown as AnyTensor);
    if (!Array.isArray(params) || params.length !== this.layers.length) {
      throw new Error(`apply: expected params for ${this.layers.length} layers (from model.init), got ${Array.isArray(params) ? params.length : typeof params}`);
    }
    if (ctx.training && ctx.key === undefined && this.layers.some((l) => l.kind === "dropout")) {
      throw new Error("apply: training mode with dropout needs a PRNG key: apply(params, x, { training: true, key })");
    }
    let h = x as unknown as AnyTensor;
    const newState: unknown[] = [];
    this.layers.forEach((l, i) => {
      const lctx: ApplyContext = { training: ctx.training, key: ctx.key === undefined ? undefined : foldIn(ctx.key, i) };
      const [y, s] = l.apply(params[i], (state as unknown[])[i] ?? {}, h, lctx);
      h = y;
      newState.push(s);
    });
    return [h as unknown as Tensor<O>, newState as St];
  }

  private emptyState(): St {
    return this.layers.map(() => undefined) as unknown as St;
  }

  private checkInput(x: AnyTensor): void {
    const want = this.inputShape as readonly (number | string)[];
    const got = x.shape as readonly number[];
    const ok = got.length === want.length && want.every((d, i) => typeof d !== "number" || d === got[i]);
    if (!ok) throw new Error(`model: expected input ${formatShape(want)}, got ${formatShape(got)}`);
  }

  /** Total number of scalar parameters (exact, from the shapes). */
  paramCount(params?: P): number {
    if (params) return leaves(params).reduce((a, t) => a + t.size, 0);
    const k = keyForCount();
    const p = this.init(k);
    k.dispose();
    const n = leaves(p).reduce((a, t) => a + t.size, 0);
    for (const t of leaves(p)) t.dispose();
    return n;
  }

  /** A table like Keras' model.summary(): layer, output shape, params, total. */
  summary(): string {
    const shapes = this.shapes();
    const named = this.symbolicShapes();
    const show = (i: number) => formatShape(named[i]);
    const rows: [string, string, string][] = [["input", show(0), "0"]];
    const key = keyForCount();
    const keys = split(key, Math.max(this.layers.length, 1));
    let total = 0;
    this.layers.forEach((l, i) => {
      const p = l.init(keys[i], shapes[i]);
      const n = leaves(p).reduce((a, t) => a + t.size, 0);
      for (const t of leaves(p)) t.dispose();
      total += n;
      rows.push([l.name, show(i + 1), String(n)]);
    });
    for (const k of [key, ...keys]) k.dispose();
    const w = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c].length), ["Layer", "Output shape", "Params"][c].length));
    const line = (r: string[]) => `${r[0].padEnd(w[0])}  ${r[1].padEnd(w[1])}  ${r[2].padStart(w[2])}`;
    const sep = "-".repeat(w[0] + w[1] + w[2] + 4);
    return [line(["Layer", "Output shape", "Params"]), sep, ...rows.map(line), sep, `Total params: ${total}`].join("\n");
  }
}

function keyForCount(): Key {
  return makeKey(0);
}

/**
 * The start of a model: the input shape, with named dims for sizes known only at run time.
 * ```ts
 * const model = nn.input(["batch", 784]).add(nn.dense(128)).add(nn.relu).add(nn.dense(10));
 * ```
 */
export function input<const S extends Shape>(shape: S): Model<S, S, [], []> {
  (shape as readonly unknown[]).forEach((d, i) => {
    if (typeof d === "number" ? !Number.isInteger(d) || d < 0 : typeof d !== "string") {
      throw new Error(`input: dim ${i} must be a non-negative integer or a name, got ${String(d)}`);
    }
  });
  return new Model(shape, []);
}

/**
 * A model from an input and a list of layers; the first layer that does not fit is a compile
 * error on that argument.
 * ```ts
 * const mlp = nn.sequential(nn.input(["batch", 4]), nn.dense(10), nn.relu, nn.dense(3));
 * ```
 */
export function sequential<In extends Shape, const Ls extends readonly Layer[]>(
  start: Model<In, In, [], []>,
  ...layers: Ls & ValidateLayers<In, Ls>
): Model<In, Thread<In, Ls>["out"], Thread<In, Ls>["params"], Thread<In, Ls>["state"]> {
  const m = new Model(start.inputShape, layers as unknown as Layer[]);
  m.shapes();
  return m as never;
}

export type ParamsOf<M> = M extends Model<any, any, infer P, any> ? P : never;
export type StateOf<M> = M extends Model<any, any, any, infer St> ? St : never;
export type OutputOf<M> = M extends Model<any, infer O, any, any> ? O : never;
export type { ShapeError };

// Composition: a Model threads a shape through layers at the type level and at run time.
import type { Check, Out, Shape, ShapeError } from "../../typelevel/index.js";
import { formatShape, type AnyTensor, type DType, type Tensor } from "../tensor/index.js";
import { leaves } from "../tree/index.js";
import { scoped, leafTensors } from "../core/index.js";
import { checkKey, foldIn, split, key as makeKey } from "../random/index.js";
import type { ApplyContext, Key, Layer, LayerOut, LayerParams, LayerState } from "./layer.js";

export interface ModelContext<St> extends ApplyContext {
  /** State from `initState()` or the last `applyWithState` (needed by batch norm in eval mode). */
  state?: St;
}

/** Threads S through a tuple of layers: final shape, params tuple, state tuple (`any` after an error). */
export type Thread<
  S extends Shape,
  Ls extends readonly unknown[],
  P extends unknown[] = [],
  St extends unknown[] = [],
> = Ls extends readonly [infer L, ...infer Rest]
  ? Thread<Out<LayerOut<L, S>>, Rest, [...P, LayerParams<L, S>], [...St, LayerState<L, S>]>
  : { out: S; params: P; state: St };

/** One Check per layer: the failing position carries the ShapeError. */
export type ValidateLayers<S extends Shape, Ls extends readonly unknown[]> = Ls extends readonly [infer L, ...infer Rest]
  ? [Check<LayerOut<L, S>>, ...ValidateLayers<Out<LayerOut<L, S>>, Rest>]
  : [];

// NOTE: symbolic dims ("batch", "time") have no size until apply. Shapes are computed twice with
// large, distinct probe sizes per symbol: a dim equal to the probe in both runs *is* that symbol,
// a dim that differs otherwise derives from one ("?"; the run-b sizes are about 3x the run-a ones,
// so halving or striding cannot make them agree). Messages are named the same way, so run-time
// errors read like the compile-time ones. Run a (powers of two) is the one checked at build time.
const PROBE = 1 << 20;
const probeSize = (symbol: number, run: 0 | 1) => (run === 0 ? PROBE + 2 * symbol : 3 * PROBE + 2 * symbol + 1);

interface Run {
  shapes: number[][];
  /** The first layer that threw, and its message. */
  error?: { layer: number; message: string };
}

export class Model<In extends Shape, O extends Shape, P extends unknown[] = [], St extends unknown[] = [], D extends DType = "float32"> {
  declare readonly __types: { in: In; out: O; params: P; state: St; dtype: D };
  private cachedShapes?: number[][];

  constructor(
    /** Input shape; strings are symbolic dims (any size). */
    readonly inputShape: In,
    readonly layers: readonly Layer[],
    /** The input's dtype ("int32" for token ids). */
    readonly inputDType: D = "float32" as D,
  ) {
    // bound, so `vmap(model.apply)`, `jit(model.apply)` and `grad` of them work unwrapped
    this.init = this.init.bind(this);
    this.initState = this.initState.bind(this);
    this.apply = this.apply.bind(this);
    this.applyWithState = this.applyWithState.bind(this);
  }

  /** Appends a layer; a layer that does not fit is a compile error on this argument. */
  add<L extends Layer>(
    layer: L & Check<LayerOut<L, O>>,
  ): Model<In, Out<LayerOut<L, O>>, [...P, LayerParams<L, O>], [...St, LayerState<L, O>], D> {
    const m = new Model(this.inputShape, [...this.layers, checkLayer("add", layer)], this.inputDType);
    m.check(); // runtime check, for untyped callers
    return m as never;
  }

  // ---------------------------------------------------------------- shapes

  private symbols(): string[] {
    const out: string[] = [];
    for (const d of this.inputShape as readonly (number | string)[]) if (typeof d === "string" && !out.includes(d)) out.push(d);
    return out;
  }

  private probe(run: 0 | 1): number[] {
    const syms = this.symbols();
    return (this.inputShape as readonly (number | string)[]).map((d) => (typeof d === "number" ? d : probeSize(syms.indexOf(d), run)));
  }

  private run(inShape: readonly number[]): Run {
    const shapes = [[...inShape]];
    for (let i = 0; i < this.layers.length; i++) {
      try {
        shapes.push(this.layers[i].outputShape(shapes[i]));
      } catch (e) {
        return { shapes, error: { layer: i, message: (e as Error).message } };
      }
    }
    return { shapes };
  }

  /** A message from run a with every probe size replaced by its symbol (or "?" for sizes derived from one). */
  private nameMessage(a: string, b: string | undefined): string {
    const syms = this.symbols();
    const ta = a.split(/(\d+)/);
    const tb = b?.split(/(\d+)/);
    return ta
      .map((t, i) => {
        if (i % 2 === 0) return t;
        const s = syms.findIndex((_, j) => Number(t) === probeSize(j, 0));
        if (s >= 0) return syms[s];
        return tb && tb.length === ta.length && tb[i] !== t ? "?" : t;
      })
      .join("");
  }

  /** Throws the first layer error, worded with the symbolic dims; errors that depend on symbolic sizes wait for apply. */
  private check(): void {
    const a = this.run(this.probe(0));
    if (a.error) throw new Error(this.nameMessage(a.error.message, this.run(this.probe(1)).error?.message));
  }

  /**
   * Runtime shapes before and after every layer. Without an argument: the shapes used for
   * parameters, symbolic dims as 1 (or large when 1 is too small for a layer).
   */
  shapes(inShape?: readonly number[]): number[][] {
    if (inShape !== undefined) {
      const r = this.run(inShape);
      if (r.error) throw new Error(r.error.message);
      return r.shapes;
    }
    if (this.cachedShapes) return this.cachedShapes;
    const small = this.run((this.inputShape as readonly (number | string)[]).map((d) => (typeof d === "number" ? d : 1)));
    this.cachedShapes = small.error ? this.shapes(this.probe(0)) : small.shapes;
    return this.cachedShapes;
  }

  /** Shapes before and after every layer, symbolic dims kept by name ("?" for sizes derived from them). */
  symbolicShapes(): (number | string)[][] {
    const syms = this.symbols();
    const a = this.shapes(this.probe(0));
    const b = this.shapes(this.probe(1));
    return a.map((s, j) =>
      s.map((d, i) => {
        const k = syms.findIndex((_, n) => d === probeSize(n, 0) && b[j][i] === probeSize(n, 1));
        return k >= 0 ? syms[k] : d === b[j][i] ? d : "?";
      }),
    );
  }

  /** Output shape with symbolic dims kept by name. */
  get outputShape(): (number | string)[] {
    const all = this.symbolicShapes();
    return all[all.length - 1];
  }

  // ---------------------------------------------------------------- params and state

  /** Parameter shapes may depend on literal dims only: the feature/channel dim must be a number. */
  private checkParamShapes(): void {
    const a = this.shapes(this.probe(0));
    const b = this.shapes(this.probe(1));
    const named = this.symbolicShapes();
    this.layers.forEach((l, i) => {
      const last = a[i].length - 1;
      if (l.needsKey && last >= 0 && a[i][last] !== b[i][last]) {
        throw new Error(
          `init: ${l.name} needs a known size for the last dim of its input ${formatShape(named[i])}; give it as a number in nn.input(...)`,
        );
      }
    });
  }

  /**
   * Fresh parameters: one key per layer, split from `key`.
   * ```ts
   * const params = model.init(random.key(0));
   * ```
   */
  init(key: Key): P {
    checkKey("init", key);
    this.checkParamShapes();
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

  // ---------------------------------------------------------------- forward

  /**
   * The forward pass. Eval mode by default; `{ training: true, key }` turns on dropout.
   * ```ts
   * const logits = model.apply(params, x);   // Tensor<["batch", 10]>
   * ```
   */
  apply(params: P, x: Tensor<Accept<In>, D>, ctx: ModelContext<St> = {}): Tensor<O> {
    return this.applyWithState(params, ctx.state ?? this.emptyState(), x, ctx)[0];
  }

  /**
   * The forward pass, also returning the updated state (running statistics in training mode).
   * ```ts
   * const [logits, state2] = model.applyWithState(params, state, x, { training: true, key });
   * ```
   */
  applyWithState(params: P, state: St, x: Tensor<Accept<In>, D>, ctx: ApplyContext = {}): [Tensor<O>, St] {
    // outside transforms, intermediates (activations, per-layer keys) are freed on return
    return scoped(() => this.forward(params, state, x, ctx), leafTensors);
  }

  private forward(params: P, state: St, x: Tensor<Accept<In>, D>, ctx: ApplyContext): [Tensor<O>, St] {
    this.checkInput(x);
    if (!Array.isArray(params) || params.length !== this.layers.length) {
      throw new Error(
        `apply: expected params for ${this.layers.length} layers (from model.init), got ${Array.isArray(params) ? `${params.length}` : typeof params}`,
      );
    }
    if (ctx.training && ctx.key === undefined && this.layers.some((l) => l.stochastic)) {
      throw new Error("apply: training mode with dropout needs a PRNG key: apply(params, x, { training: true, key })");
    }
    let h = x as unknown as AnyTensor;
    const newState: unknown[] = [];
    this.layers.forEach((l, i) => {
      l.outputShape(h.shape); // the layer's own message, before a primitive's
      const lctx: ApplyContext = { training: ctx.training, key: ctx.key === undefined ? undefined : foldIn(ctx.key, i) };
      const [y, s] = l.apply(params[i], (state as unknown[] | undefined)?.[i] ?? {}, h, lctx);
      h = y;
      newState.push(s);
    });
    return [h as unknown as Tensor<O>, newState as St];
  }

  private emptyState(): St {
    return this.layers.map(() => undefined) as unknown as St;
  }

  private checkInput(x: AnyTensor): void {
    if (!(x !== null && typeof x === "object" && "shape" in x && "dtype" in x))
      throw new Error(`apply: expected an input tensor, got ${x === null ? "null" : typeof x}`);
    const want = this.inputShape as readonly (number | string)[];
    const got = x.shape;
    const ok = got.length === want.length && want.every((d, i) => typeof d !== "number" || d === got[i]);
    if (!ok) throw new Error(`apply: expected input ${formatShape(want)}, got ${formatShape(got)}`);
    if (x.dtype !== this.inputDType) throw new Error(`apply: expected a ${this.inputDType} input, got ${x.dtype}`);
  }

  // ---------------------------------------------------------------- reports

  /** Scalar parameters per layer (exact, from freshly initialised params; nothing kept). */
  private paramCounts(): number[] {
    this.checkParamShapes();
    const shapes = this.shapes();
    return scoped(
      () => {
        const keys = split(makeKey(0), Math.max(this.layers.length, 1));
        return this.layers.map((l, i) => leaves(l.init(keys[i], shapes[i])).reduce((a, t) => a + t.size, 0));
      },
      () => [],
    );
  }

  /** Total number of scalar parameters (exact, from the shapes). */
  paramCount(params?: P): number {
    if (params) return leaves(params).reduce((a, t) => a + t.size, 0);
    return this.paramCounts().reduce((a, b) => a + b, 0);
  }

  /**
   * A table like Keras' model.summary(): layer, output shape, params, total.
   * ```ts
   * console.log(nn.input(["batch", 4]).add(nn.dense(3)).summary());
   * ```
   */
  summary(): string {
    const named = this.symbolicShapes();
    const show = (i: number) => formatShape(named[i]);
    const counts = this.paramCounts();
    const rows: [string, string, string][] = [
      ["input", show(0), "0"],
      ...this.layers.map((l, i): [string, string, string] => [l.name, show(i + 1), counts[i].toLocaleString("en-US")]),
    ];
    const total = counts.reduce((a, b) => a + b, 0);
    const head = ["Layer", "Output shape", "Params"];
    const w = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c].length), head[c].length));
    const line = (r: string[]) => `${r[0].padEnd(w[0])}  ${r[1].padEnd(w[1])}  ${r[2].padStart(w[2])}`;
    const sep = "-".repeat(w[0] + w[1] + w[2] + 4);
    return [line(head), sep, ...rows.map(line), sep, `Total params: ${total.toLocaleString("en-US")}`].join("\n");
  }
}

/** The layer itself, or an error saying what came instead (`where`: "add", "sequential: argument 2"). */
function checkLayer(where: string, l: unknown): Layer {
  const ok =
    l !== null && typeof l === "object" && typeof (l as Layer).outputShape === "function" && typeof (l as Layer).apply === "function";
  if (!ok) {
    const what = typeof l === "function" ? "a function (call it: nn.flatten(), not nn.flatten)" : l === null ? "null" : typeof l;
    throw new Error(`${where}: expected a layer, got ${what}`);
  }
  return l as Layer;
}

/**
 * The start of a model: the input shape, with named dims for sizes known only at run time, and
 * the input dtype ("float32" unless given; "int32" for token ids).
 * ```ts
 * const model = nn.input(["batch", 784]).add(nn.dense(128)).add(nn.relu).add(nn.dense(10));
 * const text = nn.input(["batch", 20], "int32").add(nn.embedding(1000, 16));
 * ```
 */
export function input<const S extends Shape, const D extends DType = "float32">(shape: S, dtype?: D): Model<[...S], [...S], [], [], D> {
  if (!Array.isArray(shape)) throw new Error(`input: shape must be an array of dims, got ${typeof shape}`);
  (shape as readonly unknown[]).forEach((d, i) => {
    if (typeof d === "number" ? !Number.isInteger(d) || d < 0 : typeof d !== "string") {
      throw new Error(`input: dim ${i} must be a non-negative integer or a name, got ${String(d)}`);
    }
  });
  const dt = dtype ?? "float32";
  if (dt !== "float32" && dt !== "int32" && dt !== "bool")
    throw new Error(`input: dtype must be "float32", "int32" or "bool", got ${String(dt)}`);
  return new Model([...shape] as [...S], [], dt as D);
}

/**
 * A model from a start (usually `nn.input(...)`) and a list of layers; the first layer that
 * does not fit is a compile error on that argument.
 * ```ts
 * const mlp = nn.sequential(nn.input(["batch", 4]), nn.dense(10), nn.relu, nn.dense(3));
 * ```
 */
export function sequential<
  In extends Shape,
  O extends Shape,
  P extends unknown[],
  St extends unknown[],
  D extends DType,
  const Ls extends readonly Layer[],
>(
  start: Model<In, O, P, St, D>,
  ...layers: { [K in keyof Ls]: Ls[K] & ValidateLayers<O, Ls>[K & keyof ValidateLayers<O, Ls>] }
): Model<In, Thread<O, Ls, P, St>["out"], Thread<O, Ls, P, St>["params"], Thread<O, Ls, P, St>["state"], D> {
  const ls = (layers as readonly unknown[]).map((l, i) => checkLayer(`sequential: argument ${i + 1}`, l));
  const m = new Model(start.inputShape, [...start.layers, ...ls], start.inputDType);
  m["check"]();
  return m as never;
}

/**
 * `model.add(layer)` as a function of the model, for fp-ts style `pipe`. A layer that does not
 * fit is reported on the `append(...)` step, with a longer message than `.add` gives.
 * ```ts
 * const m = pipe(nn.input(["batch", 4]), nn.append(nn.dense(8)), nn.append(nn.relu));
 * ```
 */
export function append<L extends Layer>(layer: L) {
  return <In extends Shape, O extends Shape, P extends unknown[], St extends unknown[], D extends DType>(
    model: Model<In, O, P, St, D> & Check<LayerOut<L, O>>,
  ): Model<In, Out<LayerOut<L, O>>, [...P, LayerParams<L, O>], [...St, LayerState<L, O>], D> =>
    (model as Model<In, O, P, St, D>).add(layer as never) as never;
}

/** An input for shape S: a named dim ("batch") accepts any size. */
export type Accept<S extends Shape> = { [K in keyof S]: S[K] extends string ? S[K] | number : S[K] };
export type ParamsOf<M> = M extends Model<any, any, infer P, any, any> ? P : never;
export type StateOf<M> = M extends Model<any, any, any, infer St, any> ? St : never;
export type OutputOf<M> = M extends Model<any, infer O, any, any, any> ? O : never;
export type InputOf<M> = M extends Model<infer In, any, any, any, any> ? In : never;
export type { ShapeError };

// Composition: a Model threads a shape through layers, at the type level (Chain, LayerOut) and
// at run time (sequence.ts), with shape inference in probe.ts and reports in summary.ts.
import type { Checked, Out, Shape, ShapeError, ShowShape, TreeRule } from "../../typelevel/index.js";
import {
  formatShape,
  type AnyTensor,
  type DType,
  type Tensor,
  DTypeError,
  ShapeError as ShapeErrorClass,
  ValueError,
  isTensor,
  describeValue,
} from "../tensor/index.js";
import { leaves } from "../tree/index.js";
import { scoped, leafTensors } from "../core/index.js";
import { checkKey } from "../random/index.js";
import type { ApplyContext, Chain, Key, Layer, LayerEntry, LayerOut, LayerParams, LayerState } from "./layer.js";
import { ShapeProbe, type InputDim } from "./probe.js";
import { applyLayers, expectLayer, initLayerStates, initLayers } from "./sequence.js";
import { paramCounts, summaryTable } from "./summary.js";

/**
 * A sequence of layers on a typed input: `In` the input shape, `O` the output shape, `P` and `St`
 * the params and state trees (tuples, one entry per layer), `D` the input dtype. Built with
 * `nn.input(shape).add(layer)...` or `nn.sequential`; every method is a pure function of its
 * arguments (`init`, `apply`, `applyWithState` are bound, so they can be passed to transforms).
 * ```ts
 * const model = nn.input(["batch", 784]).add(nn.dense(128)).add(nn.relu()).add(nn.dense(10));
 * const params = model.init(random.key(0));             // [{ kernel, bias }, {}, { kernel, bias }]
 * const logits = model.apply(params, x);                // Tensor<["batch", 10]>
 * ```
 */
export class Model<In extends Shape, O extends Shape, P extends unknown[] = [], St extends unknown[] = [], D extends DType = "float32"> {
  /**
   * Phantom (no value at run time): the model's type arguments as a record, read by
   * `ParamsOf`, `ModelStateOf`, `OutputOf` and `InputOf`.
   */
  declare readonly __types: { in: In; out: O; params: P; state: St; dtype: D };
  private readonly probe: ShapeProbe;

  /** Checks that the layers fit the input shape (symbolic dims by name in the message). */
  constructor(
    /** Input shape; strings are symbolic dims (any size). */
    readonly inputShape: In,
    /** The layers in order (their params and state are the entries of `P` and `St`). */
    readonly layers: readonly Layer[],
    /** The input's dtype ("int32" for token ids). */
    readonly inputDType: D = "float32" as D,
  ) {
    this.probe = new ShapeProbe(inputShape, layers);
    this.probe.check(); // the compile-time check, again at run time for untyped callers
    // bound, so `vmap(model.apply)`, `jit(model.apply)` and `grad` of them work unwrapped
    this.init = this.init.bind(this);
    this.initState = this.initState.bind(this);
    this.apply = this.apply.bind(this);
    this.applyWithState = this.applyWithState.bind(this);
  }

  /** Appends a layer; a layer that does not fit (or a factory not called) is a compile error on this argument. */
  add<L>(layer: Checked<L, AddRule<L, O, P, D>>): Model<In, Out<LayerOut<L, O>>, [...P, LayerParams<L, O>], [...St, LayerState<L, O>], D> {
    return new Model(this.inputShape, [...this.layers, expectLayer("add", layer)], this.inputDType) as never;
  }

  // ---------------------------------------------------------------- shapes

  /**
   * Runtime shapes before and after every layer. Without an argument: the shapes used for
   * parameters, symbolic dims as 1 (or large when 1 is too small for a layer).
   */
  shapes(inShape?: readonly number[]): number[][] {
    return this.probe.shapes(inShape);
  }

  /** Shapes before and after every layer, symbolic dims kept by name ("?" for sizes derived from them). */
  symbolicShapes(): InputDim[][] {
    return this.probe.symbolicShapes();
  }

  /** Output shape with symbolic dims kept by name. */
  get outputShape(): InputDim[] {
    const all = this.symbolicShapes();
    return all[all.length - 1];
  }

  // ---------------------------------------------------------------- params and state

  /**
   * Fresh parameters: one key per layer, split from `key`.
   * ```ts
   * const params = model.init(random.key(0));
   * ```
   */
  init(key: Key): P {
    checkKey("init", key);
    this.probe.checkParamShapes();
    const shapes = this.shapes();
    // a memory scope frees the split keys and any temporaries; the params survive
    return scoped(() => initLayers(this.layers, key, shapes) as P, leafTensors);
  }

  /** Fresh state (batch-norm running statistics); `{}` per stateless layer. */
  initState(): St {
    return initLayerStates(this.layers, this.shapes()) as St;
  }

  // ---------------------------------------------------------------- forward

  /**
   * The forward pass. Eval mode by default; `{ training: true, key }` turns on dropout, and
   * `{ state }` passes the running statistics batch norm needs in eval mode.
   * ```ts
   * const logits = model.apply(params, x);   // Tensor<["batch", 10]>
   * ```
   */
  apply<G extends readonly unknown[] | [] = P>(
    params: ModelParamsArg<G, P, In, O, "apply">,
    x: Tensor<Accept<In>, D>,
    ctx: ApplyContext<St> = {},
  ): Tensor<O> {
    return this.applyWithState(params as P, x, ctx)[0];
  }

  /**
   * The forward pass (same arguments as `apply`), also returning the updated state (running
   * statistics in training mode).
   * ```ts
   * const [logits, state2] = model.applyWithState(params, x, { state, training: true, key });
   * ```
   */
  applyWithState<G extends readonly unknown[] | [] = P>(
    params: ModelParamsArg<G, P, In, O, "applyWithState">,
    x: Tensor<Accept<In>, D>,
    ctx: ApplyContext<St> = {},
  ): [Tensor<O>, St] {
    // outside transforms, intermediates (activations, per-layer keys) are freed on return
    return scoped(() => this.forward(params as P, x, ctx), leafTensors);
  }

  private forward(params: P, x: AnyTensor, ctx: ApplyContext<St>): [Tensor<O>, St] {
    this.checkInput(x);
    if (!Array.isArray(params) || params.length !== this.layers.length) {
      throw new ValueError(
        {
          op: "apply",
          expected: `params for ${this.layers.length} layers (from model.init)`,
          got: Array.isArray(params) ? `${params.length}` : typeof params,
        },
        `apply: expected params for ${this.layers.length} layers (from model.init), got ${Array.isArray(params) ? `${params.length}` : typeof params}`,
      );
    }
    if (ctx.training && ctx.key === undefined && this.layers.some((l) => l.stochastic)) {
      throw new ValueError(
        { op: "apply", expected: "a PRNG key in training mode", got: "no key" },
        "apply: training mode with dropout needs a PRNG key: apply(params, x, { training: true, key })",
      );
    }
    const [y, state] = applyLayers(this.layers, params, x, ctx);
    return [y as Tensor<O>, state as St];
  }

  private checkInput(x: AnyTensor): void {
    if (!isTensor(x))
      throw new ValueError(
        { op: "apply", expected: "a tensor", got: describeValue(x) },
        `apply: expected an input tensor, got ${describeValue(x)}`,
      );
    const want = this.inputShape as readonly InputDim[];
    const got = x.shape;
    const ok = got.length === want.length && want.every((d, i) => typeof d !== "number" || d === got[i]);
    if (!ok)
      throw new ShapeErrorClass(
        { op: "apply", expected: formatShape(want), got: formatShape(got) },
        `apply: expected input ${formatShape(want)}, got ${formatShape(got)}`,
      );
    if (x.dtype !== this.inputDType)
      throw new DTypeError(
        { op: "apply", expected: this.inputDType, got: x.dtype },
        `apply: expected a ${this.inputDType} input, got ${x.dtype}`,
      );
  }

  // ---------------------------------------------------------------- reports

  /** Total number of scalar parameters: of `params` when given, else exact from the shapes. */
  paramCount(params?: P): number {
    if (params) return leaves(params).reduce((a, t) => a + t.size, 0);
    return this.paramCounts().reduce((a, b) => a + b, 0);
  }

  private paramCounts(): number[] {
    this.probe.checkParamShapes();
    return paramCounts(this.layers, this.shapes());
  }

  /**
   * A table like Keras' model.summary(): layer, output shape, params, total.
   * ```ts
   * console.log(nn.input(["batch", 4]).add(nn.dense(3)).summary());
   * ```
   */
  summary(): string {
    return summaryTable(this.layers, this.symbolicShapes(), this.paramCounts());
  }
}

/**
 * The start of a model: the input shape, with named dims for sizes known only at run time, and
 * the input dtype ("float32" unless given; "int32" for token ids).
 * ```ts
 * const model = nn.input(["batch", 784]).add(nn.dense(128)).add(nn.relu()).add(nn.dense(10));
 * const text = nn.input(["batch", 20], "int32").add(nn.embedding(1000, 16));
 * ```
 */
export function input<const S extends Shape, const D extends DType = "float32">(shape: S, dtype?: D): Model<[...S], [...S], [], [], D> {
  if (!Array.isArray(shape))
    throw new ValueError(
      { op: "input", expected: "an array of dims", got: typeof shape },
      `input: shape must be an array of dims, got ${typeof shape}`,
    );
  (shape as readonly unknown[]).forEach((d, i) => {
    if (typeof d === "number" ? !Number.isInteger(d) || d < 0 : typeof d !== "string") {
      throw new ValueError(
        { op: "input", expected: "a non-negative integer or a name", got: String(d) },
        `input: dim ${i} must be a non-negative integer or a name, got ${String(d)}`,
      );
    }
  });
  const dt = dtype ?? "float32";
  if (dt !== "float32" && dt !== "int32" && dt !== "bool")
    throw new DTypeError(
      { op: "input", expected: '"float32", "int32" or "bool"', got: String(dt) },
      `input: dtype must be "float32", "int32" or "bool", got ${String(dt)}`,
    );
  return new Model([...shape] as [...S], [], dt as D);
}

/**
 * A model from a start (usually `nn.input(...)`) and a list of layers; the first layer that
 * does not fit is a compile error on that argument.
 * ```ts
 * const mlp = nn.sequential(nn.input(["batch", 4]), nn.dense(10), nn.relu(), nn.dense(3));
 * ```
 */
export function sequential<
  In extends Shape,
  O extends Shape,
  P extends unknown[],
  St extends unknown[],
  D extends DType,
  const Ls extends readonly unknown[],
>(
  start: Model<In, O, P, St, D>,
  ...layers: { [K in keyof Ls]: Checked<Ls[K], SequentialRule<O, Ls, P, D, K>> }
): Model<In, Out<Chain<O, Ls>["out"]>, [...P, ...Chain<O, Ls>["params"]], [...St, ...Chain<O, Ls>["state"]], D> {
  if (!(start instanceof Model)) {
    const got = describeValue(start);
    throw new ValueError(
      { op: "sequential", expected: "a model, e.g. nn.input([...])", got },
      `sequential: argument 0 must be nn.input([...]) (or a model), got ${got}`,
    );
  }
  const ls = (layers as readonly unknown[]).map((l, i) => expectLayer(`sequential: argument ${i + 1}`, l));
  return new Model(start.inputShape, [...start.layers, ...ls], start.inputDType) as never;
}

/**
 * `model.add(layer)` as a function of the model, for fp-ts style `pipe`. A layer that does not
 * fit is reported on the `append(...)` step, with a longer message than `.add` gives.
 * ```ts
 * const m = pipe(nn.input(["batch", 4]), nn.append(nn.dense(8)), nn.append(nn.relu()));
 * ```
 */
export function append<L>(layer: L) {
  return <In extends Shape, O extends Shape, P extends unknown[], St extends unknown[], D extends DType>(
    model: Checked<Model<In, O, P, St, D>, AddRule<L, O, P, D>>,
  ): Model<In, Out<LayerOut<L, O>>, [...P, LayerParams<L, O>], [...St, LayerState<L, O>], D> =>
    (model as Model<In, O, P, St, D>).add(layer as never) as never;
}

/**
 * The rule `model.add(layer)` checks: the layer's input dtype (for the first layer, the model's
 * input dtype; every layer after it gets float32), then its shape rule.
 */
export type AddRule<L, O extends Shape, P extends unknown[], D extends DType> = DTypeFirst<
  L,
  O,
  P extends [] ? D : "float32",
  LayerOut<L, O>
>;
/** The dtype rule of layer L on an input of dtype InD, else `Else` (its shape rule). */
type DTypeFirst<L, O extends Shape, InD extends DType, Else> =
  LayerEntry<L, O> extends { accepts: infer A extends DType }
    ? [InD] extends [A]
      ? Else
      : ShapeError<`${LayerName<L>} expects ${A extends "int32" ? "an" : "a"} ${A} input, got ${InD}${A extends "int32" ? '; build the model with nn.input(shape, "int32")' : "; cast the input to float32 first"}`>
    : Else;
/** What `sequential` checks on its layer K: the chain's rule, and for the first new layer its input dtype. */
type SequentialRule<O extends Shape, Ls extends readonly unknown[], P extends unknown[], D extends DType, K> = Chain<O, Ls>["checks"][K &
  keyof Chain<O, Ls>["checks"]] extends infer R
  ? K extends "0"
    ? DTypeFirst<Ls[0], O, P extends [] ? D : "float32", R>
    : R
  : never;
type LayerName<L> = L extends Layer<infer K> ? K : "layer";

// NOTE: apply and applyWithState are generic in the params they are given (G) so that another
// model's params are reported as a message on the first line of the diagnostic. G's bound makes an
// array literal (`model.apply([{}], x)`) infer as a tuple. When G is not inferred (`vmap(model.apply)`
// and `jit(model.apply)` read the signature without a call, leaving G unknown or its bound), the
// parameter is P itself, so transforms still see `params: P`.
/**
 * The parameter type of `model.apply`'s params: G when it is the model's tree P, else
 * `ShapeError<"apply: params[0].kernel is [784, 256] but the model has [784, 128] (the model
 * [batch, 784] -> [batch, 10]); are these another model's params?">`.
 */
export type ModelParamsArg<G, P, In extends Shape, O extends Shape, Op extends string> = [readonly unknown[] | []] extends [G]
  ? P
  : unknown extends G
    ? P
    : Checked<G, ModelParamsRule<G, P, In, O, Op>>;
// NOTE: the message (with the model's shapes) is built in the error branch only: as an argument of
// a generic alias it would be computed on every call, also when the params fit.
type ModelParamsRule<G, P, In extends Shape, O extends Shape, Op extends string> =
  TreeRule<G, P, Op, "params", "the model", ""> extends ShapeError<infer M>
    ? ShapeError<`${M} (the model ${ShowShape<In>} -> ${ShowShape<O>}); are these another model's params?`>
    : unknown;

/** An input for shape S: a named dim ("batch") accepts any size. */
export type Accept<S extends Shape> = { [K in keyof S]: S[K] extends string ? S[K] | number : S[K] };

// NOTE: read from the phantom `__types` record, so no other type argument needs matching.
/** The params tree of a model: a tuple with one entry per layer. */
export type ParamsOf<M> = M extends { readonly __types: { params: infer P } } ? P : never;
/** The state tree of a model (batch-norm running statistics): a tuple with one entry per layer. */
export type ModelStateOf<M> = M extends { readonly __types: { state: infer St } } ? St : never;
/** The output shape of a model. */
export type OutputOf<M> = M extends { readonly __types: { out: infer O extends Shape } } ? O : never;
/** The input shape of a model (named dims as given to `nn.input`). */
export type InputOf<M> = M extends { readonly __types: { in: infer In extends Shape } } ? In : never;
export type { ShapeError };

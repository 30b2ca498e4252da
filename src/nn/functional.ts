// The functional API: named, typed graph inputs, layers applied to symbolic nodes, branches
// merged by `add` / `concat`, and a model with a record of inputs and a record of outputs.
//
// NOTE on how a layer is applied: layers are plain objects (not callables: variadic inference in
// `sequential` needs them so), so a node applies them, `node.pipe(layer, "name")`, as `Model.add`
// does. A layer with params or state needs a name: it is the layer's key in the params and state
// records (`params.encoder.kernel`), so a checkpoint reads like the code. The same layer object
// piped under the same name at two nodes is one layer used twice (shared params).
import type { Check, Concat, Dim, IsAny, IsTuple, Out, Shape, ShapeError, ShowDim, ShowShape, Unify } from "../../typelevel/index.js";
import {
  describeValue,
  DTypeError,
  formatShape,
  isTensor,
  ShapeError as ShapeErrorClass,
  ValueError,
  type AnyTensor,
  type DType,
  type Tensor,
} from "../tensor/index.js";
import { leaves, shapes as treeShapes, dispose as disposeTree } from "../tree/index.js";
import { add as addTensors, concat as concatTensors, leafTensors, scoped } from "../core/index.js";
import { checkKey, foldIn, key as makeKey, split } from "../random/index.js";
import type { ApplyContext, Key, Layer, LayerOut, LayerParams, LayerState } from "./layer.js";
import { input as sequentialInput, Model, type Accept } from "./model.js";
import type { InputDim } from "./probe.js";
import { expectLayer } from "./sequence.js";
import { GraphNode, inputNode, layerNode, mergeNode, mergeShape, paramShape, topoOrder, type NodeOp, type NodeShapes } from "./graph.js";

// ---------------------------------------------------------------- types

/** T with its intersections flattened into one record (what a user sees on hover). */
type Simplify<T> = { -readonly [K in keyof T]: T[K] } & {};

/** True when a params or state tree has no tensors at the type level (`{}`, `[]`, `[{}, {}]`). */
type Empty<T> = 0 extends 1 & T
  ? false
  : T extends readonly []
    ? true
    : T extends readonly [infer H, ...infer R]
      ? Empty<H> extends true
        ? Empty<R>
        : false
      : T extends readonly unknown[]
        ? false
        : [keyof T] extends [never]
          ? true
          : false;

/** The name a piped layer needs: none for a layer without params or state, else a compile error until it has one. */
type NameCheck<L, S extends Shape, N> = [N] extends [never]
  ? [Empty<LayerParams<L, S>>, Empty<LayerState<L, S>>] extends [true, true]
    ? unknown
    : ShapeError<`pipe: ${KindOf<L>} has params or state, so it needs a name: node.pipe(layer, "name")`>
  : unknown;
type KindOf<L> = L extends Layer<infer K> ? K : "this layer";

/** `{ [N]: X }`, or `{}` without a name. */
type Named<N extends string, X> = [N] extends [never] ? {} : { [K in N]: X };

/**
 * A symbolic value in a functional model: its shape `S`, the params and state records `P` and
 * `St` of the named layers it depends on, and its dtype `D`. Made by `nn.input(name, shape)`,
 * `node.pipe(layer, name?)`, `nn.add` and `nn.concat`; read by `nn.model`.
 * ```ts
 * const x = nn.input("x", ["batch", 4]);
 * const h = x.pipe(nn.dense(8), "hidden").pipe(nn.relu());   // Node<["batch", 8], { hidden: ... }>
 * ```
 */
export class Node<S extends Shape = Shape, P = {}, St = {}, D extends DType = DType> extends GraphNode {
  /** Phantom (no value at run time): the node's type arguments, read by the merges and `nn.model`. */
  declare readonly __node: { shape: S; params: P; state: St; dtype: D };

  /**
   * The node of `layer` applied to this one. A layer that does not fit this node's shape (or a
   * factory not called) is a compile error on the `layer` argument, as in `Model.add`. A layer with
   * params or state needs a `name`: its key in the model's params and state records; the same
   * layer piped at two nodes under the same name shares its params.
   * ```ts
   * const h = x.pipe(nn.dense(8), "hidden").pipe(nn.relu());
   * ```
   */
  pipe<L, const N extends string = never>(
    layer: L & Check<LayerOut<L, S>> & NameCheck<L, S, N>,
    name?: N,
  ): Node<Out<LayerOut<L, S>>, P & Named<N, LayerParams<L, S>>, St & Named<N, LayerState<L, S>>, "float32"> {
    const l = expectLayer("pipe", layer);
    if (name !== undefined) checkName("pipe", name);
    else if (hasParamsOrState(l, paramShape(this))) {
      throw new ValueError(
        { op: "pipe", expected: "a name for a layer with params or state", got: "no name" },
        `pipe: ${l.name} has params or state, so it needs a name: node.pipe(layer, "name")`,
      );
    }
    return new Node(...layerNode(l, this, name)) as never;
  }
}

/** Any node (the merges' and `nn.model`'s constraint). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any shape, params, state and dtype: the constraint of a node argument
export type AnyNode = Node<any, any, any, any>;
type ShapeOfNode<N> = N extends { readonly __node: { shape: infer S extends Shape } } ? S : never;
type ParamsOfNode<N> = N extends { readonly __node: { params: infer P } } ? P : never;
type StateOfNode<N> = N extends { readonly __node: { state: infer St } } ? St : never;
type ShapesOf<Ns extends readonly unknown[]> = { [K in keyof Ns]: ShapeOfNode<Ns[K]> };
type AllParams<Ns extends readonly unknown[]> = Ns extends readonly [infer H, ...infer R] ? ParamsOfNode<H> & AllParams<R> : unknown;
type AllState<Ns extends readonly unknown[]> = Ns extends readonly [infer H, ...infer R] ? StateOfNode<H> & AllState<R> : unknown;

/** Dim-wise unification of two equal-rank shapes; `{ differ }` at the first pair that cannot be one dim. */
type UnifyShapes<A extends Shape, B extends Shape, K extends unknown[] = [], Acc extends Dim[] = []> = A extends readonly [
  infer a extends Dim,
  ...infer AT extends Dim[],
]
  ? B extends readonly [infer b extends Dim, ...infer BT extends Dim[]]
    ? [Unify<a, b>] extends [infer d extends Dim]
      ? [d] extends [never]
        ? { differ: [a, b, K["length"]] }
        : UnifyShapes<AT, BT, [...K, 0], [...Acc, d]>
      : never
    : Acc
  : Acc;
type AddAll<Acc extends Shape, Rest extends readonly Shape[]> = Rest extends readonly [infer N extends Shape, ...infer T extends Shape[]]
  ? N["length"] extends Acc["length"]
    ? UnifyShapes<Acc, N> extends infer R
      ? R extends Dim[]
        ? AddAll<R, T>
        : R extends { differ: [infer a, infer b, infer i] }
          ? ShapeError<`nn.add: shapes ${ShowShape<Acc>} and ${ShowShape<N>} differ at axis ${i & number} (${ShowDim<a>} vs ${ShowDim<b>})`>
          : never
      : never
    : ShapeError<`nn.add: shapes ${ShowShape<Acc>} and ${ShowShape<N>} have different ranks`>
  : Acc;
/** The shape `nn.add` gives nodes of shapes Ss (all equal; symbolic dims agree with anything), or an error naming both shapes. */
export type AddShape<Ss extends readonly Shape[]> =
  IsAny<Ss[number]> extends true
    ? // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any in, any out: after an earlier error, one error, not a cascade
      any
    : Ss extends readonly [infer F extends Shape, ...infer R extends Shape[]]
      ? IsTuple<F> extends true
        ? AddAll<[...F], R>
        : Dim[]
      : ShapeError<"nn.add: needs at least one node, got none">;
/** The shape `nn.concat` gives nodes of shapes Ss on Axis, or an error naming the merge and both shapes. */
export type ConcatShape<Ss extends readonly Shape[], Axis extends number> =
  Concat<Ss, Axis> extends infer R ? (R extends ShapeError<`concat: ${infer M}`> ? ShapeError<`nn.concat: ${M}`> : R) : never;

/** Check, except that an `any` result (a node after an earlier error) leaves the argument's own type in force. */
type MergeCheck<R> = IsAny<R> extends true ? unknown : Check<R>;

// ---------------------------------------------------------------- nodes

/** Throws unless `name` is a non-empty string (a key of the params record or an input's name). */
function checkName(op: string, name: unknown): asserts name is string {
  if (typeof name !== "string" || name.length === 0) {
    const got = typeof name === "string" ? '""' : describeValue(name);
    throw new ValueError({ op, expected: "a non-empty name", got }, `${op}: the name must be a non-empty string, got ${got}`);
  }
}

/** Whether a layer needs a name: it has params, or its fresh state holds tensors (freed here). */
function hasParamsOrState(l: Layer, inShape: readonly number[]): boolean {
  if (l.needsKey) return true;
  const st = l.initState(inShape);
  const n = leaves(st).length;
  disposeTree(st);
  return n > 0;
}

/**
 * The start of a model: with a shape (and dtype) only, a sequential `Model` (see `Model`); with a
 * name first, a graph input of the functional API (a `Node`), for models with several inputs.
 * ```ts
 * const mlp = nn.input(["batch", 784]).add(nn.dense(10));            // a sequential Model
 * const image = nn.input("image", ["batch", 28, 28, 1]);              // a functional input node
 * const tokens = nn.input("tokens", ["batch", 20], "int32");
 * ```
 */
export function input<const S extends Shape, const D extends DType = "float32">(shape: S, dtype?: D): Model<[...S], [...S], [], [], D>;
/** A named graph input of the functional API: its dims (names for sizes known at apply) and dtype. */
export function input<const N extends string, const S extends Shape, const D extends DType = "float32">(
  name: N,
  shape: S,
  dtype?: D,
): Node<[...S], {}, {}, D>;
export function input(nameOrShape: unknown, shapeOrDType?: unknown, dtype?: unknown): unknown {
  if (typeof nameOrShape !== "string") return sequentialInput(nameOrShape as Shape, shapeOrDType as DType | undefined);
  checkName("input", nameOrShape);
  // the sequential start checks dims and dtype with the same messages
  const start = sequentialInput(shapeOrDType as Shape, dtype as DType | undefined);
  return new Node(...inputNode(nameOrShape, start.inputShape, start.inputDType));
}

/** Throws unless every entry is a node of the functional API. */
function expectNodes(op: string, nodes: unknown): GraphNode[] {
  if (!Array.isArray(nodes) || nodes.length === 0) {
    const got = Array.isArray(nodes) ? "[]" : describeValue(nodes);
    throw new ValueError({ op, expected: "an array of nodes", got }, `${op}: expected a non-empty array of nodes, got ${got}`);
  }
  return nodes.map((n, i) => {
    if (n instanceof GraphNode) return n;
    const got = describeValue(n);
    throw new ValueError(
      { op, expected: "a node (nn.input(name, shape), node.pipe(...))", got },
      `${op}: entry ${i} must be a node (nn.input(name, shape), node.pipe(...)), got ${got}`,
    );
  });
}

/**
 * The sum of nodes of one shape (a residual connection across branches). Shapes that differ are
 * a compile error naming the merge and both shapes (`nn.add: shapes [batch, 8] and [batch, 4]
 * differ at axis 1 (8 vs 4)`), and the same at run time.
 * ```ts
 * const h = nn.add([x.pipe(nn.dense(8), "a"), y.pipe(nn.dense(8), "b")]);   // Node<["batch", 8], ...>
 * ```
 */
export function add<const Ns extends readonly AnyNode[]>(
  nodes: Ns & MergeCheck<AddShape<ShapesOf<Ns>>>,
): Node<Out<AddShape<ShapesOf<Ns>>>, AllParams<Ns>, AllState<Ns>, "float32"> {
  const ns = expectNodes("nn.add", nodes);
  return new Node(...mergeNode("add", ns, 0)) as never;
}

/**
 * Nodes joined along `axis` (default -1, the features): every other dim must agree, a compile
 * error naming the merge and both shapes otherwise, and the same at run time.
 * ```ts
 * const h = nn.concat([image.pipe(nn.flatten()), meta]);   // Node<["batch", 788], ...>
 * ```
 */
export function concat<const Ns extends readonly AnyNode[], const A extends number = -1>(
  nodes: Ns & MergeCheck<ConcatShape<ShapesOf<Ns>, A>>,
  axis?: A,
): Node<Out<ConcatShape<ShapesOf<Ns>, A>>, AllParams<Ns>, AllState<Ns>, "float32"> {
  const ns = expectNodes("nn.concat", nodes);
  const ax = axis ?? -1;
  if (!Number.isInteger(ax)) {
    throw new ValueError(
      { op: "nn.concat", expected: "an integer axis", got: String(ax) },
      `nn.concat: axis must be an integer, got ${ax}`,
    );
  }
  return new Node(...mergeNode("concat", ns, ax)) as never;
}

// ---------------------------------------------------------------- the model

type NodeRecord = Readonly<Record<string, AnyNode>>;
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
/** The tensors `apply` takes: one per input, a named dim accepting any size. */
export type InputTensors<Ins extends NodeRecord> = { -readonly [K in keyof Ins]: InputTensor<Ins[K]> };
type InputTensor<N> = N extends { readonly __node: { shape: infer S extends Shape; dtype: infer D extends DType } }
  ? Tensor<Accept<S>, D>
  : never;
/** The tensors `apply` returns: one per output. */
export type OutputTensors<Outs extends NodeRecord> = { -readonly [K in keyof Outs]: Tensor<ShapeOfNode<Outs[K]>> };
/** The params record of a model with outputs Outs: one entry per named layer. */
export type GraphParams<Outs extends NodeRecord> = Simplify<UnionToIntersection<{ [K in keyof Outs]: ParamsOfNode<Outs[K]> }[keyof Outs]>>;
/** The state record of a model with outputs Outs: one entry per named layer (`{}` for stateless ones). */
export type GraphState<Outs extends NodeRecord> = Simplify<UnionToIntersection<{ [K in keyof Outs]: StateOfNode<Outs[K]> }[keyof Outs]>>;

/** A named layer of a graph: where it is first applied (its params are made for that input) and every use. */
interface NamedLayer {
  readonly name: string;
  readonly layer: Layer;
  readonly uses: GraphNode[];
}

/** The graph of one functional model: its nodes in order, named layers and labels, checked. */
class Graph {
  readonly order: GraphNode[];
  readonly named: NamedLayer[] = [];
  readonly labels = new Map<GraphNode, string>();
  readonly stochastic: boolean;

  constructor(
    readonly inputs: ReadonlyMap<string, GraphNode>,
    readonly outputs: ReadonlyMap<string, GraphNode>,
  ) {
    this.order = topoOrder([...outputs.values()]);
    const listed = new Set(inputs.values());
    const counters = new Map<string, number>();
    const auto = (base: string) => {
      const k = (counters.get(base) ?? 0) + 1;
      counters.set(base, k);
      return `${base}_${k}`;
    };
    for (const n of this.order) {
      const op: NodeOp = n.op;
      if (op.kind === "input") {
        if (!listed.has(n)) {
          throw new ValueError(
            { op: "nn.model", expected: `the input "${op.name}" in inputs`, got: `inputs ${[...inputs.keys()].join(", ")}` },
            `nn.model: the outputs read the input "${op.name}", which is not in inputs (${[...inputs.keys()].join(", ") || "none"})`,
          );
        }
        this.labels.set(n, op.name);
      } else if (op.kind === "layer") {
        if (op.name === undefined) this.labels.set(n, auto(op.layer.name.replace(/\(.*$/, "")));
        else {
          const seen = this.named.find((l) => l.name === op.name);
          if (seen === undefined) {
            this.named.push({ name: op.name, layer: op.layer, uses: [n] });
            this.labels.set(n, op.name);
          } else if (seen.layer !== op.layer) {
            throw new ValueError(
              { op: "nn.model", expected: `one layer named "${op.name}"`, got: `${seen.layer.name} and ${op.layer.name}` },
              `nn.model: the name "${op.name}" is given to two different layers (${seen.layer.name} and ${op.layer.name}); pipe the same layer object to share params`,
            );
          } else {
            seen.uses.push(n);
            this.labels.set(n, `${op.name}#${seen.uses.length}`);
          }
        }
      } else this.labels.set(n, auto(op.merge));
    }
    this.checkShared();
    this.stochastic = this.order.some((n) => n.op.kind === "layer" && n.op.layer.stochastic === true);
  }

  /** A shared layer must get the same params at every use, and keep no state (one state per name). */
  private checkShared(): void {
    for (const l of this.named) {
      if (l.uses.length < 2) continue;
      const inShape = (n: GraphNode) => paramShape(n.parents[0]);
      const key = makeKey(0);
      try {
        const first = l.layer.init(key, inShape(l.uses[0]));
        const firstShapes = treeShapes(first);
        disposeTree(first);
        const state = l.layer.initState(inShape(l.uses[0]));
        const stateful = leaves(state).length > 0;
        disposeTree(state);
        if (stateful) {
          throw new ValueError(
            { op: "nn.model", expected: "a shared layer without state", got: l.layer.name },
            `nn.model: "${l.name}" (${l.layer.name}) is used ${l.uses.length} times, but a layer with state (batch-norm statistics) cannot be shared`,
          );
        }
        for (const u of l.uses.slice(1)) {
          const other = l.layer.init(key, inShape(u));
          const otherShapes = treeShapes(other);
          disposeTree(other);
          if (otherShapes !== firstShapes) {
            throw new ShapeErrorClass(
              { op: "nn.model", expected: firstShapes, got: otherShapes },
              `nn.model: the shared layer "${l.name}" (${l.layer.name}) gets inputs ${formatShape(l.uses[0].parents[0].shape)} and ${formatShape(u.parents[0].shape)}, which need different params (${firstShapes} vs ${otherShapes})`,
            );
          }
        }
      } finally {
        key.dispose();
      }
    }
  }
}

/**
 * A model of the functional API: several named inputs, a graph of layers and merges, a record of
 * outputs. `In` and `O` are the records of input and output tensors, `P` and `St` the params and
 * state records (one entry per named layer). `init`, `initState`, `apply` and `applyWithState` are
 * bound, so they can be passed to `grad`, `jit` and `vmap`, and `train.fit` takes the model.
 * ```ts
 * const model = nn.model({ inputs: { image, meta }, outputs: { logits, aux } });
 * const params = model.init(random.key(0));                  // { conv: { kernel, bias }, ... }
 * const { logits } = model.apply(params, { image: x, meta: m });
 * ```
 */
export class FunctionalModel<In, O, P, St> {
  /** Phantom (no value at run time): the type arguments as a record, read by `ParamsOf` and `ModelStateOf`. */
  declare readonly __types: { in: In; out: O; params: P; state: St };
  private readonly graph: Graph;

  /** Checks the graph: every input the outputs read is listed, names are unique, shared layers fit. */
  constructor(inputs: Readonly<Record<string, GraphNode>>, outputs: Readonly<Record<string, GraphNode>>) {
    const ins = new Map<string, GraphNode>();
    for (const [k, n] of Object.entries(inputs)) {
      if (!(n instanceof GraphNode) || n.op.kind !== "input") {
        const got = n instanceof GraphNode ? "a node that is not an input" : describeValue(n);
        throw new ValueError(
          { op: "nn.model", expected: "an input node", got },
          `nn.model: inputs.${k} must be nn.input("${k}", shape), got ${got}`,
        );
      }
      if (n.op.name !== k) {
        throw new ValueError(
          { op: "nn.model", expected: `the input named "${k}"`, got: `"${n.op.name}"` },
          `nn.model: inputs.${k} is the input named "${n.op.name}"; use the same name as the key`,
        );
      }
      ins.set(k, n);
    }
    const outs = new Map<string, GraphNode>();
    for (const [k, n] of Object.entries(outputs)) {
      if (!(n instanceof GraphNode)) {
        const got = describeValue(n);
        throw new ValueError({ op: "nn.model", expected: "a node", got }, `nn.model: outputs.${k} must be a node, got ${got}`);
      }
      outs.set(k, n);
    }
    if (outs.size === 0) {
      throw new ValueError({ op: "nn.model", expected: "at least one output", got: "none" }, "nn.model: needs at least one output");
    }
    this.graph = new Graph(ins, outs);
    this.init = this.init.bind(this);
    this.initState = this.initState.bind(this);
    this.apply = this.apply.bind(this);
    this.applyWithState = this.applyWithState.bind(this);
  }

  /** The input names, in the order of the `inputs` record. */
  get inputNames(): string[] {
    return [...this.graph.inputs.keys()];
  }

  /** The output names, in the order of the `outputs` record. */
  get outputNames(): string[] {
    return [...this.graph.outputs.keys()];
  }

  /** Each input's shape (named dims kept) and dtype. */
  get inputSpecs(): Record<string, { shape: InputDim[]; dtype: DType }> {
    return Object.fromEntries([...this.graph.inputs].map(([k, n]) => [k, { shape: n.shape, dtype: (n.op as { dtype: DType }).dtype }]));
  }

  /** Each output's shape, symbolic dims by name ("?" for sizes derived from them). */
  get outputShapes(): Record<string, InputDim[]> {
    return Object.fromEntries([...this.graph.outputs].map(([k, n]) => [k, n.shape]));
  }

  /** The named layers (the keys of the params and state records), in graph order. */
  get layerNames(): string[] {
    return this.graph.named.map((l) => l.name);
  }

  /** True when training-mode `apply` draws random numbers (a dropout layer), so it needs `ctx.key`. */
  get stochastic(): boolean {
    return this.graph.stochastic;
  }

  /**
   * The output shapes for these input shapes (sizes for the named dims): each node's rule in graph
   * order, so a shape that does not fit throws the layer's or the merge's own message.
   */
  outputShapesFor(inputShapes: Readonly<Record<string, readonly number[]>>): Record<string, number[]> {
    const shapes = new Map<GraphNode, number[]>();
    for (const n of this.graph.order) {
      const op = n.op;
      if (op.kind === "input") {
        const s = inputShapes[op.name];
        const want = n.shape;
        if (s === undefined || s.length !== want.length || want.some((d, i) => typeof d === "number" && d !== s[i])) {
          throw new ShapeErrorClass(
            { op: "apply", expected: formatShape(want), got: s === undefined ? "no shape" : formatShape(s) },
            `apply: input "${op.name}" expects ${formatShape(want)}, got ${s === undefined ? "nothing" : formatShape(s)}`,
          );
        }
        shapes.set(n, [...s]);
      } else if (op.kind === "layer") shapes.set(n, op.layer.outputShape(shapes.get(op.parent)!));
      else
        shapes.set(
          n,
          mergeShape(
            op.merge,
            op.parents.map((q) => shapes.get(q)!),
            op.axis,
          ),
        );
    }
    return Object.fromEntries([...this.graph.outputs].map(([k, n]) => [k, shapes.get(n)!]));
  }

  /**
   * Fresh parameters: a record with one entry per named layer, each made for the shape of its
   * first use, with a key of its own split from `key`.
   * ```ts
   * const params = model.init(random.key(0));
   * ```
   */
  init(key: Key): P {
    checkKey("init", key);
    const named = this.graph.named;
    return scoped(() => {
      const keys = split(key, Math.max(named.length, 1));
      return Object.fromEntries(named.map((l, i) => [l.name, l.layer.init(keys[i], paramShape(l.uses[0].parents[0]))])) as P;
    }, leafTensors);
  }

  /** Fresh state: one entry per named layer (batch-norm running statistics; `{}` for stateless layers). */
  initState(): St {
    return Object.fromEntries(this.graph.named.map((l) => [l.name, l.layer.initState(paramShape(l.uses[0].parents[0]))])) as St;
  }

  /**
   * The forward pass: a record of input tensors in, a record of output tensors out. Eval mode by
   * default; `{ training: true, key }` turns on dropout, `{ state }` passes batch-norm statistics.
   * ```ts
   * const { logits, aux } = model.apply(params, { image: x, meta: m });
   * ```
   */
  apply(params: P, inputs: In, ctx: ApplyContext<St> = {}): O {
    return this.applyWithState(params, inputs, ctx)[0];
  }

  /**
   * The forward pass (same arguments as `apply`), also returning the updated state record.
   * ```ts
   * const [outputs, state2] = model.applyWithState(params, inputs, { state, training: true, key });
   * ```
   */
  applyWithState(params: P, inputs: In, ctx: ApplyContext<St> = {}): [O, St] {
    return scoped(() => this.forward(params, inputs, ctx), leafTensors);
  }

  private forward(params: unknown, inputs: unknown, ctx: ApplyContext<St>): [O, St] {
    const x = this.checkInputs(inputs);
    this.checkParams(params);
    if (ctx.training && ctx.key === undefined && this.graph.stochastic) {
      throw new ValueError(
        { op: "apply", expected: "a PRNG key in training mode", got: "no key" },
        "apply: training mode with dropout needs a PRNG key: apply(params, inputs, { training: true, key })",
      );
    }
    const p = params as Record<string, unknown>;
    const st = (ctx.state ?? {}) as Record<string, unknown>;
    const values = new Map<GraphNode, AnyTensor>();
    const next: Record<string, unknown> = {};
    this.graph.order.forEach((n, i) => {
      const op = n.op;
      if (op.kind === "input") values.set(n, x[op.name]);
      else if (op.kind === "layer") {
        const h = values.get(op.parent)!;
        op.layer.outputShape(h.shape); // the layer's own message, not a primitive's
        const [y, s] = op.layer.apply(op.name === undefined ? {} : p[op.name], h, {
          training: ctx.training,
          key: ctx.key === undefined ? undefined : foldIn(ctx.key, i),
          state: op.name === undefined ? {} : (st[op.name] ?? {}),
        });
        if (op.name !== undefined) next[op.name] = s;
        values.set(n, y);
      } else {
        const xs = op.parents.map((q) => values.get(q)!);
        values.set(n, op.merge === "add" ? xs.reduce((a, b) => addTensors(a, b)) : concatTensors(xs, op.axis));
      }
    });
    const out = Object.fromEntries([...this.graph.outputs].map(([k, n]) => [k, values.get(n)!]));
    return [out as O, next as St];
  }

  private checkInputs(inputs: unknown): Record<string, AnyTensor> {
    if (typeof inputs !== "object" || inputs === null || isTensor(inputs)) {
      const got = describeValue(inputs);
      throw new ValueError(
        { op: "apply", expected: `a record of inputs { ${this.inputNames.join(", ")} }`, got },
        `apply: expected a record of input tensors { ${this.inputNames.join(", ")} }, got ${got}`,
      );
    }
    const rec = inputs as Record<string, unknown>;
    const bound = new Map<string, { size: number; input: string }>();
    const names = this.inputNames.join(", ");
    for (const [k, n] of this.graph.inputs) {
      if (!(k in rec)) {
        const given = Object.keys(rec).join(", ");
        throw new ValueError(
          { op: "apply", expected: `an input "${k}"`, got: `{ ${given} }` },
          `apply: no input "${k}" in { ${given} } (the model's inputs: ${names})`,
        );
      }
      const t = rec[k];
      if (!isTensor(t)) {
        const got = describeValue(t);
        throw new ValueError(
          { op: "apply", expected: `a tensor for input "${k}"`, got },
          `apply: input "${k}" must be a tensor, got ${got}`,
        );
      }
      const want = n.shape;
      const ok = t.shape.length === want.length && want.every((d, i) => typeof d !== "number" || d === t.shape[i]);
      if (!ok) {
        throw new ShapeErrorClass(
          { op: "apply", expected: formatShape(want), got: formatShape(t.shape) },
          `apply: input "${k}" expects ${formatShape(want)}, got ${formatShape(t.shape)}`,
        );
      }
      want.forEach((d, i) => {
        if (typeof d !== "string") return;
        const b = bound.get(d);
        if (b === undefined) bound.set(d, { size: t.shape[i], input: k });
        else if (b.size !== t.shape[i]) {
          throw new ShapeErrorClass(
            { op: "apply", expected: `${d} = ${b.size}`, got: `${d} = ${t.shape[i]}` },
            `apply: the dim "${d}" is ${b.size} in input "${b.input}" but ${t.shape[i]} in input "${k}"`,
          );
        }
      });
      const dtype = (n.op as { dtype: DType }).dtype;
      if (t.dtype !== dtype) {
        throw new DTypeError({ op: "apply", expected: dtype, got: t.dtype }, `apply: input "${k}" expects ${dtype}, got ${t.dtype}`);
      }
    }
    const extra = Object.keys(rec).find((k) => !this.graph.inputs.has(k));
    if (extra !== undefined) {
      throw new ValueError(
        { op: "apply", expected: `inputs ${names}`, got: `"${extra}"` },
        `apply: "${extra}" is not an input of the model (inputs: ${names})`,
      );
    }
    return rec as Record<string, AnyTensor>;
  }

  private checkParams(params: unknown): void {
    const names = this.layerNames;
    const rec = params as Record<string, unknown> | null;
    const missing = typeof rec === "object" && rec !== null && !Array.isArray(rec) ? names.find((k) => !(k in rec)) : undefined;
    if (typeof rec !== "object" || rec === null || Array.isArray(rec) || missing !== undefined) {
      const got = missing !== undefined ? `no entry "${missing}"` : describeValue(params);
      throw new ValueError(
        { op: "apply", expected: `params { ${names.join(", ")} } (from model.init)`, got },
        `apply: expected params { ${names.join(", ")} } (from model.init), got ${got}`,
      );
    }
  }

  // ---------------------------------------------------------------- reports

  /** Scalar parameters per named layer (exact: from fresh params, freed before returning). */
  private paramCounts(): Map<string, number> {
    const k = makeKey(0);
    const params = this.init(k);
    k.dispose();
    try {
      return new Map(Object.entries(params as Record<string, unknown>).map(([k, v]) => [k, leaves(v).reduce((a, t) => a + t.size, 0)]));
    } finally {
      disposeTree(params);
    }
  }

  /** Total number of scalar parameters: of `params` when given, else exact from the shapes (shared layers counted once). */
  paramCount(params?: P): number {
    if (params) return leaves(params).reduce((a, t) => a + t.size, 0);
    return [...this.paramCounts().values()].reduce((a, b) => a + b, 0);
  }

  /**
   * A table like Keras' summary of a functional model: node, layer, output shape, params and the
   * nodes it reads ("Connected to"); a shared layer's later uses show "shared".
   * ```ts
   * console.log(model.summary());
   * ```
   */
  summary(): string {
    const counts = this.paramCounts();
    const g = this.graph;
    const rows = g.order.map((n): string[] => {
      const op = n.op;
      const label = g.labels.get(n)!;
      const from = n.parents.map((q) => g.labels.get(q)!).join(", ");
      const shape = formatShape(n.shape);
      if (op.kind === "input") return [label, `input (${op.dtype})`, shape, "0", ""];
      if (op.kind === "merge") return [label, op.merge === "add" ? "add" : `concat(axis ${op.axis})`, shape, "0", from];
      const shared = op.name !== undefined && label !== op.name;
      const count = op.name === undefined ? "0" : shared ? "shared" : (counts.get(op.name) ?? 0).toLocaleString("en-US");
      return [label, op.layer.name, shape, count, from];
    });
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    const head = ["Node", "Layer", "Output shape", "Params", "Connected to"];
    const w = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
    const line = (r: string[]) =>
      r
        .map((v, c) => (c === 3 ? v.padStart(w[c]) : v.padEnd(w[c])))
        .join("  ")
        .trimEnd();
    const sep = "-".repeat(w.reduce((a, b) => a + b, 0) + 8);
    const outs = [...g.outputs].map(([k, n]) => `${k} = ${g.labels.get(n)!}`).join(", ");
    return [line(head), sep, ...rows.map(line), sep, `Outputs: ${outs}`, `Total params: ${total.toLocaleString("en-US")}`].join("\n");
  }
}

/**
 * A functional model from a record of input nodes and a record of output nodes: several inputs,
 * several outputs, branches and shared layers. The params and state are records keyed by the
 * names given to `pipe`; `apply` takes and returns records of tensors, typed from the nodes.
 * ```ts
 * const image = nn.input("image", ["batch", 28, 28, 1]);
 * const meta = nn.input("meta", ["batch", 4]);
 * const h = nn.concat([image.pipe(nn.flatten()), meta.pipe(nn.dense(16), "meta").pipe(nn.relu())]);
 * const logits = h.pipe(nn.dense(10), "logits");
 * const aux = h.pipe(nn.dense(1), "aux");
 * const model = nn.model({ inputs: { image, meta }, outputs: { logits, aux } });
 * ```
 */
export function model<const Ins extends NodeRecord, const Outs extends NodeRecord>(spec: {
  inputs: Ins;
  outputs: Outs;
}): FunctionalModel<InputTensors<Ins>, OutputTensors<Outs>, GraphParams<Outs>, GraphState<Outs>> {
  const s = spec as { inputs?: unknown; outputs?: unknown } | null;
  if (
    typeof s !== "object" ||
    s === null ||
    typeof s.inputs !== "object" ||
    s.inputs === null ||
    typeof s.outputs !== "object" ||
    s.outputs === null
  ) {
    const got = describeValue(spec);
    throw new ValueError(
      { op: "nn.model", expected: "{ inputs: { ... }, outputs: { ... } }", got },
      `nn.model: expected { inputs: { name: node, ... }, outputs: { name: node, ... } }, got ${got}`,
    );
  }
  return new FunctionalModel(s.inputs as Record<string, GraphNode>, s.outputs as Record<string, GraphNode>);
}

export type { NodeShapes };

// ---------------------------------------------------------------- a model as a layer

/** The names of a record's keys when it has exactly one, else never. */
type OnlyKey<R> = { [K in keyof R]: [Exclude<keyof R, K>] extends [never] ? K : never }[keyof R];
/** A shape with each `"batch" | number` dim (what `Accept` makes of a named dim) back to its name. */
type Named2<A extends Shape> = { [K in keyof A]: [Exclude<A[K], number>] extends [never] ? A[K] : Exclude<A[K], number> };
/**
 * What a model used as a layer reads of its type: the input shape it accepts (named dims by name),
 * its output shape, params and state; a sequential `Model`, or a functional model with one input
 * and one output tensor (else an error naming `nn.asLayer`).
 */
type ModelIO<M> = M extends {
  readonly __types: { in: infer In extends Shape; out: infer O extends Shape; params: infer P; state: infer St };
}
  ? { in: In; out: O; params: P; state: St }
  : M extends { readonly __types: { in: infer In; out: infer O; params: infer P; state: infer St } }
    ? [OnlyKey<In>, OnlyKey<O>] extends [infer KI extends keyof In, infer KO extends keyof O]
      ? [KI, KO] extends [never, never]
        ? ShapeError<"nn.asLayer: a functional model used as a layer needs one input and one output">
        : [In[KI], O[KO]] extends [Tensor<infer A extends Shape, DType>, Tensor<infer B extends Shape, DType>]
          ? { in: Named2<A>; out: B; params: P; state: St }
          : ShapeError<"nn.asLayer: a functional model used as a layer needs one input and one output">
      : ShapeError<"nn.asLayer: a functional model used as a layer needs one input and one output">
    : ShapeError<"nn.asLayer: expected a model (nn.input(...).add(...), nn.sequential, nn.model)">;

/** True when input S fits a model input In: same rank, literal dims equal, named dims anything. */
type FitsInput<S extends Shape, In extends Shape> = S["length"] extends In["length"] ? ([...S] extends Accept<In> ? true : false) : false;
/** The size each named dim of In has in S (`{ batch: 32 }`). */
type Bindings<In extends Shape, S extends Shape> = {
  [K in keyof In & `${number}` as In[K] extends string ? In[K] : never]: S[K & keyof S];
};
/** O with its named dims replaced by their sizes in the outer input. */
type Bound<O extends Shape, B> = { [K in keyof O]: O[K] extends keyof B ? B[O[K]] : O[K] };

type ModelLayerEntry<S extends Shape, M> =
  ModelIO<M> extends infer IO
    ? IO extends { in: infer In extends Shape; out: infer O extends Shape; params: infer P; state: infer St }
      ? {
          out: IsAny<S> extends true
            ? S
            : FitsInput<S, In> extends true
              ? Bound<O, Bindings<In, S>>
              : ShapeError<`model expects ${ShowShape<In>}, got ${ShowShape<S>}`>;
          params: P;
          state: St;
        }
      : { out: IO; params: never; state: never }
    : never;

declare module "./layer.js" {
  interface LayerTypes<S extends Shape, C> {
    /** A model used as a layer (`nn.asLayer(model)`): its output shape for input S; params and state are the model's. */
    model: C extends { readonly model: infer M } ? ModelLayerEntry<S, M> : never;
  }
}

/** The config of a model used as a layer: the model itself. */
export interface ModelLayerConfig<M> {
  /** The model, a sequential `Model` or a functional one with one input and one output. */
  readonly model: M;
}

/**
 * A model as a layer: a sequential `Model` (`nn.input(...).add(...)`, `nn.sequential`), or a
 * functional model (`nn.model`) with one input and one output, piped into another graph or added to
 * a chain like any layer. Its params and state are the model's own tree (a tuple for a sequential
 * model, a record for a functional one), nested under the name it is piped with; its named dims
 * (e.g. "batch") take the sizes of the outer input.
 * ```ts
 * const encoder = nn.input(["batch", 784]).add(nn.dense(64)).add(nn.relu());
 * const image = nn.input("image", ["batch", 784]);
 * const logits = image.pipe(nn.asLayer(encoder), "encoder").pipe(nn.dense(10), "head");   // params.encoder[0].kernel
 * ```
 */
export function asLayer<M>(model: M): Layer<"model", ModelLayerConfig<M>> {
  if (model instanceof Model) return sequentialLayer(model as Model<Shape, Shape>) as Layer<"model", ModelLayerConfig<M>>;
  if (model instanceof FunctionalModel) return functionalLayer(model) as Layer<"model", ModelLayerConfig<M>>;
  const got = describeValue(model);
  throw new ValueError(
    { op: "nn.asLayer", expected: "a model (nn.input(...).add(...), nn.sequential, nn.model)", got },
    `nn.asLayer: expected a model (nn.input(...).add(...), nn.sequential, nn.model), got ${got}`,
  );
}

/** Throws unless input shape `s` fits the model's input (same rank, literal dims equal), in the type-level wording. */
function checkModelInput(want: readonly InputDim[], s: readonly number[]): void {
  if (s.length !== want.length || want.some((d, i) => typeof d === "number" && d !== s[i])) {
    throw new ShapeErrorClass(
      { op: "model", expected: formatShape(want), got: formatShape(s) },
      `model expects ${formatShape(want)}, got ${formatShape(s)}`,
    );
  }
}

function sequentialLayer(m: Model<Shape, Shape>): Layer<"model", ModelLayerConfig<unknown>> {
  const shapes = m.symbolicShapes();
  const want = shapes[0];
  return {
    kind: "model",
    name: `model(${formatShape(want)} -> ${formatShape(shapes[shapes.length - 1])})`,
    config: { model: m },
    outputShape(s) {
      checkModelInput(want, s);
      const all = m.shapes(s);
      return all[all.length - 1];
    },
    init: (key) => m.init(key),
    initState: () => m.initState(),
    apply: (params, x, ctx = {}) => m.applyWithState(params as never, x as never, { ...ctx, state: ctx.state as never }),
    needsKey: m.layers.some((l) => l.needsKey),
    stochastic: m.layers.some((l) => l.stochastic),
  };
}

function functionalLayer(m: FunctionalModel<unknown, unknown, unknown, unknown>): Layer<"model", ModelLayerConfig<unknown>> {
  const [inName, outName] = [m.inputNames, m.outputNames];
  if (inName.length !== 1 || outName.length !== 1) {
    throw new ValueError(
      {
        op: "nn.asLayer",
        expected: "a functional model with one input and one output",
        got: `inputs { ${inName.join(", ")} }, outputs { ${outName.join(", ")} }`,
      },
      `nn.asLayer: a functional model used as a layer needs one input and one output, got inputs { ${inName.join(", ")} } and outputs { ${outName.join(", ")} }`,
    );
  }
  const [i, o] = [inName[0], outName[0]];
  const want = m.inputSpecs[i].shape;
  const k = makeKey(0);
  const fresh = m.init(k);
  const needsKey = leaves(fresh).length > 0;
  disposeTree(fresh);
  k.dispose();
  return {
    kind: "model",
    name: `model(${i}: ${formatShape(want)} -> ${o}: ${formatShape(m.outputShapes[o])})`,
    config: { model: m },
    outputShape(s) {
      checkModelInput(want, s);
      return m.outputShapesFor({ [i]: s })[o];
    },
    init: (key) => m.init(key),
    initState: () => m.initState(),
    apply(params, x, ctx = {}) {
      const [out, st] = m.applyWithState(params, { [i]: x }, { ...ctx, state: ctx.state });
      return [(out as Record<string, AnyTensor>)[o], st];
    },
    needsKey,
    stochastic: m.stochastic,
  };
}

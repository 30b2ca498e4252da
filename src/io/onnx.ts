// ONNX export: a model's forward pass in inference mode, traced with core's `makeGraph` (the
// graph jit would run), then lowered primitive by primitive to ONNX operators (opset 18) and
// written with protobufjs. Platform-neutral: bytes in, bytes out (no files, no Buffer).
//
// NOTE on the batch dim: a trace has fixed shapes, but a served model should take any batch. The
// forward pass is traced at three batch sizes; a number that differs between the traces (a
// reshape or broadcast target) is fitted as a * batch + c and computed at run time from the
// input's shape, so the ONNX graph takes any batch. Anything else that changes with the batch
// size is an error that suggests a fixed `batchSize`.
import {
  makeGraph,
  type AnyFunction,
  type Aval,
  type ConvParams,
  type Equation,
  type Graph,
  type PoolParams,
  type PrimitiveName,
  type ControlPrimitiveName,
} from "../core/index.js";
import { FunctionalModel, type Model, type ParamsOf, type ModelStateOf } from "../nn/index.js";
import { formatShape, zeros, type AnyTensor, type DType, refused, ValueError } from "../tensor/index.js";
import { dispose, flatten, paths } from "../tree/index.js";
import {
  encodeOnnxModel,
  OnnxAttributeType,
  OnnxDataType,
  type OnnxAttribute,
  type OnnxDim,
  type OnnxGraph,
  type OnnxNode,
  type OnnxTensor,
  type OnnxValueInfo,
} from "./onnx-proto.js";

/** The ONNX operator set the graphs use (ReduceMax/ReduceMin take axes as an input from 18 on). */
export const ONNX_OPSET = 18;
/** IR version 8 goes with opset 18. */
const IR_VERSION = 8;
/** Batch sizes the forward pass is traced at to tell batch-dependent numbers apart. */
const PROBES = [2, 3, 5] as const;
/** A Slice end past any dim ("to the end"). */
const TO_THE_END = Number.MAX_SAFE_INTEGER;

/** Options of `exportOnnx(model, params, options)`: state, input sizes and names of the ONNX graph. */
export interface OnnxExportOptions<St = unknown> {
  /** Layer state (batch-norm running statistics). Default: `model.initState()`. */
  state?: St;
  /**
   * A fixed batch size for the ONNX input. Default: any batch (a symbolic "batch" dim) when the
   * model's first input dim is named, as in `nn.input(["batch", 784])`.
   */
  batchSize?: number;
  /** Sizes of the other named input dims, e.g. `{ time: 28 }` (the graph is traced at that size). */
  dims?: Readonly<Record<string, number>>;
  /** Name of the graph's input. Default "input" (a functional model's inputs keep their names). */
  inputName?: string;
  /** Name of the graph's output. Default "output" (a functional model's outputs keep their names). */
  outputName?: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any model: the export reads its layers and runs apply untyped
type AnyModel = Model<any, any, any, any, any> | FunctionalModel<any, any, any, any>;

/** What the export needs of a model: its graph inputs (name, dims, dtype), output names and forward pass. */
interface ExportSpec {
  readonly inputs: readonly { readonly name: string; readonly shape: readonly (number | string)[]; readonly dtype: DType }[];
  readonly outputs: readonly string[];
  /** Inference mode: params, state and one tensor per input to one tensor per output. */
  forward(params: unknown, state: unknown, ...xs: AnyTensor[]): AnyTensor[];
}

function exportSpec(model: AnyModel, options: OnnxExportOptions): ExportSpec {
  if (model instanceof FunctionalModel) {
    const specs = model.inputSpecs;
    const names = model.inputNames;
    const outs = model.outputNames;
    return {
      inputs: names.map((name) => ({ name, shape: specs[name].shape, dtype: specs[name].dtype })),
      outputs: outs,
      forward: (p, s, ...xs) => {
        const y = model.apply(p, Object.fromEntries(names.map((k, i) => [k, xs[i]])), { state: s }) as Record<string, AnyTensor>;
        return outs.map((k) => y[k]);
      },
    };
  }
  return {
    inputs: [
      { name: options.inputName ?? "input", shape: model.inputShape as readonly (number | string)[], dtype: model.inputDType as DType },
    ],
    outputs: [options.outputName ?? "output"],
    forward: (p, s, x) => [model.apply(p, x as never, { state: s as never })],
  };
}

/**
 * The ONNX bytes of any function of tensors at the shapes of `inputs` (fixed shapes): graph
 * inputs `input_0`, `input_1`, ... and outputs `output_0`, ... in tree order. What `exportOnnx`
 * does for models, for a single primitive or a hand-written forward pass.
 * ```ts
 * const bytes = exportOnnxFunction((x, w) => relu(matmul(x, w)), [x, w]);
 * ```
 */
export function exportOnnxFunction(f: AnyFunction, inputs: readonly AnyTensor[]): Uint8Array {
  const graph = makeGraph(f, ...inputs);
  try {
    const trace: Trace = { batch: 0, graph, avals: slotAvals(graph, inputs) };
    return lowerGraphs(
      [trace],
      inputs.map((_, i) => ({ input: `input_${i}` })),
      graph.outputs.map((_, k) => `output_${k}`),
    );
  } finally {
    for (const c of graph.consts) if (!c.isDisposed) c.dispose();
  }
}

/**
 * The ONNX bytes of `model`'s forward pass in inference mode (dropout off, batch norm on its
 * running statistics), with `params` and `state` stored as initializers named by their paths
 * (`params[0].kernel`, `state[3].mean`). One input ("input", the model's input dtype) whose
 * first dim is a symbolic "batch" when the model's is named; one output ("output").
 * Unsupported primitives throw an error naming them.
 * ```ts
 * const bytes = io.exportOnnx(model, params, { state });
 * const session = await ort.InferenceSession.create(bytes);   // onnxruntime-node or -web
 * ```
 */
export function exportOnnx<M extends AnyModel>(
  model: M,
  params: ParamsOf<M>,
  options: OnnxExportOptions<ModelStateOf<M>> = {},
): Uint8Array {
  const ownState = options.state === undefined;
  const state: unknown = options.state ?? model.initState();
  try {
    const spec = exportSpec(model, options);
    const traces = traceAtProbes(spec, params, state, options);
    try {
      const [paramLeaves] = flatten(params);
      const [stateLeaves] = flatten(state);
      const named = (root: string, tree: unknown, leaves: readonly AnyTensor[]): InputRole[] =>
        paths(tree).map((p, i) => ({ initializer: `${root}${p.startsWith("[") ? "" : "."}${p}`, value: leaves[i] }));
      const roles = [
        ...named("params", params, paramLeaves),
        ...named("state", state, stateLeaves),
        ...spec.inputs.map((i) => ({ input: i.name })),
      ];
      return lowerGraphs(traces, roles, spec.outputs);
    } finally {
      for (const t of traces) for (const c of t.graph.consts) if (!c.isDisposed) c.dispose();
    }
  } finally {
    if (ownState) dispose(state);
  }
}

// ---------------------------------------------------------------- tracing

interface Trace {
  readonly batch: number;
  readonly graph: Graph;
  /** Shape and dtype of every slot. */
  readonly avals: readonly Aval[];
}

function traceAtProbes(spec: ExportSpec, params: unknown, state: unknown, options: OnnxExportOptions): Trace[] {
  // NOTE: the first dim of the first input is the batch; the same name in another input is the same batch
  const shape = spec.inputs[0].shape;
  const batchName = typeof shape[0] === "string" ? shape[0] : undefined;
  for (const input of spec.inputs) {
    const named = input.shape.filter((d, i) => typeof d === "string" && !(d === batchName && (i === 0 || input !== spec.inputs[0])));
    for (const d of named) {
      const v = options.dims?.[d];
      if (!(Number.isInteger(v) && (v as number) > 0)) {
        throw new ValueError(
          { op: "exportOnnx", expected: `a size for the input dim "${d}"`, got: `none` },
          `exportOnnx: the input dim "${d}" of ${formatShape(input.shape)} needs a size: pass { dims: { ${d}: n } }`,
        );
      }
    }
  }
  if (options.batchSize !== undefined && !(Number.isInteger(options.batchSize) && options.batchSize > 0)) {
    throw refused("exportOnnx", `batchSize must be a positive integer`, `${String(options.batchSize)}`);
  }
  const dynamic = typeof shape[0] === "string" && options.batchSize === undefined;
  const batches: readonly number[] = dynamic ? PROBES : [typeof shape[0] === "number" ? shape[0] : options.batchSize!];
  return batches.map((batch) => {
    const xs = spec.inputs.map((input) =>
      zeros(
        input.shape.map((d, i) =>
          typeof d === "number" ? d : d === batchName && (i === 0 || input !== spec.inputs[0]) ? batch : options.dims![d],
        ),
        input.dtype,
      ),
    );
    try {
      const graph = makeGraph(spec.forward, params, state, ...xs);
      return { batch, graph, avals: slotAvals(graph, [...flatten([params, state])[0], ...xs]) };
    } finally {
      for (const x of xs) x.dispose();
    }
  });
}

function slotAvals(g: Graph, inputs: readonly AnyTensor[]): Aval[] {
  return graphAvals(g, [
    ...inputs.map((t) => ({ shape: t.shape, dtype: t.dtype })),
    ...g.consts.map((c) => ({ shape: c.shape, dtype: c.dtype as DType })),
  ]);
}

/** The aval of every slot of `g`, from those of its inputs and constants. */
function graphAvals(g: Graph, leading: readonly Aval[]): Aval[] {
  const avals: Aval[] = [...leading];
  for (const e of g.eqns) {
    if (e.multi === undefined) avals[e.out] = e.aval;
    else e.multi.outs.forEach((slot, k) => (avals[slot] = e.multi!.avals[k]));
  }
  return avals;
}

/**
 * The traces must be one program: same equations on the same slots, same constants. Returns the
 * constants whose shape follows the batch (zeros an RNN starts from, made eagerly at the traced
 * size): they must hold one value, and become that value expanded to the run-time shape.
 */
function checkSameProgram(traces: readonly Trace[]): Map<number, number> {
  const [first, ...rest] = traces;
  const fail = (what: string): never => {
    throw new ValueError(
      { op: "exportOnnx", expected: `a forward pass that does not change with the batch size`, got: `${what}` },
      `exportOnnx: the traced forward pass changes with the batch size (${what}); pass { batchSize } for a fixed-size export`,
    );
  };
  const a = first.graph;
  const filled = new Map<number, number>();
  for (const t of rest) {
    const b = t.graph;
    if (a.eqns.length !== b.eqns.length) fail(`${a.eqns.length} vs ${b.eqns.length} equations`);
    a.eqns.forEach((e, i) => {
      const f = b.eqns[i];
      if (e.prim.name !== f.prim.name || e.out !== f.out || e.inputs.join() !== f.inputs.join())
        fail(`equation ${i + 1}: ${e.prim.name} vs ${f.prim.name}`);
    });
    if (a.consts.length !== b.consts.length) fail(`${a.consts.length} vs ${b.consts.length} constants`);
    a.consts.forEach((c, i) => {
      const x = c.dataSync();
      const y = b.consts[i].dataSync();
      if (formatShape(c.shape) !== formatShape(b.consts[i].shape)) {
        const v = x[0];
        if (!(x.every((u) => Object.is(u, v)) && y.every((u) => Object.is(u, v))))
          fail(`constant ${i} of shape ${formatShape(c.shape)} follows the batch but is not one value`);
        filled.set(i, Number(v));
      } else if (x.length !== y.length || x.some((v, j) => !Object.is(v, y[j]))) fail(`constant ${i} differs`);
    });
  }
  return filled;
}

// ---------------------------------------------------------------- batch-dependent numbers

/** A number in the graph: a constant, or a * batch + c (computed from the input's shape at run time). */
type SymDim = number | { readonly a: number; readonly c: number };

/** One number per trace -> a constant, or the line through them (an error when they are not on one). */
function fitDim(values: readonly number[], batches: readonly number[], where: string): SymDim {
  if (values.every((v) => v === values[0])) return values[0];
  const a = (values[1] - values[0]) / (batches[1] - batches[0]);
  const c = values[0] - a * batches[0];
  const ok = Number.isInteger(a) && Number.isInteger(c) && values.every((v, k) => v === a * batches[k] + c);
  if (!ok) {
    throw new ValueError(
      { op: "exportOnnx", expected: `${where} expressible in the batch size`, got: `${values.join(", ")} at batch ${batches.join(", ")}` },
      `exportOnnx: ${where} depends on the batch size in a way the export cannot express (${values.join(", ")} at batch ${batches.join(", ")}); pass { batchSize }`,
    );
  }
  return { a, c };
}

function showSym(d: SymDim): string {
  if (typeof d === "number") return String(d);
  const term = d.a === 1 ? "batch" : `${d.a}·batch`;
  return d.c === 0 ? term : `${term} ${d.c < 0 ? "-" : "+"} ${Math.abs(d.c)}`;
}

// ---------------------------------------------------------------- the ONNX graph under construction

type AttrValue = number | readonly number[] | string | { readonly float: number } | { readonly graph: OnnxGraph };

const ONNX_DTYPE: Record<DType, (typeof OnnxDataType)["FLOAT" | "INT32" | "BOOL"]> = {
  float32: OnnxDataType.FLOAT,
  int32: OnnxDataType.INT32,
  bool: OnnxDataType.BOOL,
};

function attribute(name: string, v: AttrValue): OnnxAttribute {
  if (typeof v === "string") return { name, type: OnnxAttributeType.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === "number") return { name, type: OnnxAttributeType.INT, i: v };
  if (Array.isArray(v)) return { name, type: OnnxAttributeType.INTS, ints: [...(v as readonly number[])] };
  if ("graph" in (v as object)) return { name, type: OnnxAttributeType.GRAPH, g: (v as { graph: OnnxGraph }).graph };
  return { name, type: OnnxAttributeType.FLOAT, f: (v as { float: number }).float };
}

function int64Bytes(values: readonly number[]): Uint8Array {
  const out = new BigInt64Array(values.length);
  values.forEach((v, i) => (out[i] = BigInt(v)));
  return new Uint8Array(out.buffer);
}

function rawBytes(data: ArrayLike<number> | Uint8Array, dtype: DType): Uint8Array {
  if (dtype === "float32") return new Uint8Array(Float32Array.from(data).buffer);
  if (dtype === "int32") return new Uint8Array(Int32Array.from(data).buffer);
  return Uint8Array.from(data, (v) => (v ? 1 : 0));
}

class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[];
  private count = 0;
  private batchName: string | undefined;
  /** The primitive being lowered, for node names. */
  current = "";

  /** With a `parent`, a subgraph (a loop body): its own nodes; names, initializers and the batch size are the parent's. */
  constructor(
    readonly batches: readonly number[],
    readonly inputName: string,
    private readonly parent?: GraphBuilder,
    private readonly prefix = "",
  ) {
    this.initializers = parent?.initializers ?? [];
  }

  /** A builder for a subgraph whose nodes may read this graph's values by name (ONNX outer scope). */
  child(prefix: string): GraphBuilder {
    return new GraphBuilder(this.batches, this.inputName, this, `${this.prefix}${prefix}/`);
  }

  /** A name no other value of the model has (subgraphs share their root's counter: ONNX names are model-wide). */
  fresh(hint: string): string {
    return this.parent !== undefined ? this.parent.fresh(hint) : `${hint}_${this.count++}`;
  }

  /** Adds a node with one output and returns the output's name. */
  op(type: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}): string {
    return this.ops(type, inputs, 1, attrs)[0];
  }

  /** Adds a node with `count` outputs and returns their names. */
  ops(type: string, inputs: readonly string[], count: number, attrs: Record<string, AttrValue> = {}): string[] {
    const outs = Array.from({ length: count }, () => this.fresh(this.current || type));
    this.nodes.push({
      name: `${this.prefix}${this.current}/${type}_${this.nodes.length}`,
      op_type: type,
      input: [...inputs],
      output: outs,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return outs;
  }

  initializer(name: string, dims: readonly number[], dtype: OnnxTensor["data_type"], raw: Uint8Array): string {
    this.initializers.push({ name, dims: [...dims], data_type: dtype, raw_data: raw });
    return name;
  }

  int64s(values: readonly number[]): string {
    return this.initializer(this.fresh("const_int64"), [values.length], OnnxDataType.INT64, int64Bytes(values));
  }

  scalar(value: number, dtype: DType): string {
    return this.initializer(this.fresh("const_scalar"), [], ONNX_DTYPE[dtype], rawBytes([value], dtype));
  }

  /** The input's batch size as an int64 [1] tensor (one Shape node, made on first use). */
  batch(): string {
    // NOTE: made in the root graph, so a loop body and the graph after the loop read the same value
    if (this.parent !== undefined) return this.parent.batch();
    this.batchName ??= (() => {
      const saved = this.current;
      this.current = "batch_size";
      const b = this.op("Shape", [this.inputName], { start: 0, end: 1 });
      this.current = saved;
      return b;
    })();
    return this.batchName;
  }

  /**
   * An int64 shape tensor. With `inferOne` (Reshape), a single batch-dependent entry becomes -1,
   * which ONNX infers from the element count; otherwise such entries are computed from the batch.
   */
  shape(dims: readonly SymDim[], inferOne = false): string {
    const dynamic = dims.filter((d) => typeof d !== "number");
    if (dynamic.length === 0) return this.int64s(dims as number[]);
    if (inferOne && dynamic.length === 1 && !dims.includes(-1)) return this.int64s(dims.map((d) => (typeof d === "number" ? d : -1)));
    const parts = dims.map((d) => {
      if (typeof d === "number") return this.int64s([d]);
      let v = d.a === 1 ? this.batch() : this.op("Mul", [this.batch(), this.int64s([d.a])]);
      if (d.c !== 0) v = this.op("Add", [v, this.int64s([d.c])]);
      return v;
    });
    return this.op("Concat", parts, { axis: 0 });
  }

  /** `dims` of each trace as symbolic dims (constant where all traces agree). */
  fit(valuesPerTrace: readonly (readonly number[])[], where: string): SymDim[] {
    return valuesPerTrace[0].map((_, i) =>
      fitDim(
        valuesPerTrace.map((v) => v[i]),
        this.batches,
        where,
      ),
    );
  }
}

// ---------------------------------------------------------------- one lowering per primitive

/** One equation seen in every trace. */
interface Site {
  readonly name: string;
  /** The equation in each trace (one trace for a fixed batch). */
  readonly eqns: readonly Equation[];
  /** ONNX value names of the inputs. */
  readonly inputs: readonly string[];
  /** Input avals per trace: `inAvals[trace][input]`. */
  readonly inAvals: readonly (readonly Aval[])[];
  /** Output aval of the first trace. */
  readonly out: Aval;
}

/** Emits the nodes for one equation and returns the name of its output. */
type Lowering = (site: Site, g: GraphBuilder) => string;
/** Emits the nodes for one equation of a multi-output (control-flow) primitive and returns its outputs' names. */
type MultiLowering = (site: Site, g: GraphBuilder) => string[];
/** A primitive the export does not lower, and why. */
interface Unsupported {
  readonly unsupported: string;
}

/** The params of a site, checked to be the same in every trace. */
function staticParams<P>(s: Site): P {
  const first = JSON.stringify(s.eqns[0].params);
  for (const e of s.eqns) {
    if (JSON.stringify(e.params) !== first) {
      throw new ValueError(
        { op: "exportOnnx", expected: `parameters of ${s.name} fixed across batch sizes`, got: `${first} vs ${JSON.stringify(e.params)}` },
        `exportOnnx: the parameters of ${s.name} change with the batch size (${first} vs ${JSON.stringify(e.params)}); pass { batchSize }`,
      );
    }
  }
  return s.eqns[0].params as P;
}

const unary =
  (type: string): Lowering =>
  (s, g) =>
    g.op(type, s.inputs);
const binary =
  (type: string): Lowering =>
  (s, g) =>
    g.op(type, s.inputs);
const composite =
  (f: (x: string, g: GraphBuilder, s: Site) => string): Lowering =>
  (s, g) =>
    f(s.inputs[0], g, s);

/** NHWC -> NCHW and back: ONNX convolutions and pools are channels-first. */
const TO_NCHW = [0, 3, 1, 2];
const TO_NHWC = [0, 2, 3, 1];

function lowerConv(s: Site, g: GraphBuilder): string {
  const p = staticParams<ConvParams>(s);
  const [, h, w] = s.inAvals[0][0].shape;
  let x = g.op("Transpose", [s.inputs[0]], { perm: TO_NCHW });
  let spatial = [h, w];
  // input dilation (a transposed convolution): zeros between pixels, by reshape + pad + reshape
  if (p.lhsDilation[0] !== 1 || p.lhsDilation[1] !== 1) {
    const [dh, dw] = p.lhsDilation;
    const c = s.inAvals[0][0].shape[3];
    x = g.op("Reshape", [x, g.int64s([0, c, h, 1, w, 1])]);
    x = g.op("Pad", [x, g.int64s([0, 0, 0, 0, 0, 0, 0, 0, 0, dh - 1, 0, dw - 1])]);
    x = g.op("Reshape", [x, g.int64s([0, c, h * dh, w * dw])]);
    spatial = [(h - 1) * dh + 1, (w - 1) * dw + 1];
    x = g.op("Slice", [x, g.int64s([0, 0]), g.int64s(spatial), g.int64s([2, 3])]);
  }
  // negative padding crops (rules for transposed convolutions make it); ONNX pads must be >= 0
  const pads = p.padding;
  if (pads.some((pair) => pair[0] < 0 || pair[1] < 0)) {
    const starts = pads.map((pair) => Math.max(0, -pair[0]));
    const ends = pads.map((pair, i) => spatial[i] - Math.max(0, -pair[1]));
    x = g.op("Slice", [x, g.int64s(starts), g.int64s(ends), g.int64s([2, 3])]);
  }
  const kernel = g.op("Transpose", [s.inputs[1]], { perm: [3, 2, 0, 1] }); // [kh, kw, cin/g, cout] -> [cout, cin/g, kh, kw]
  const [kh, kw] = s.inAvals[0][1].shape;
  const y = g.op("Conv", [x, kernel], {
    kernel_shape: [kh, kw],
    strides: [...p.strides],
    dilations: [...p.dilations],
    group: p.groups,
    pads: [Math.max(pads[0][0], 0), Math.max(pads[1][0], 0), Math.max(pads[0][1], 0), Math.max(pads[1][1], 0)],
  });
  return g.op("Transpose", [y], { perm: TO_NHWC });
}

function lowerPool(type: "MaxPool" | "AveragePool"): Lowering {
  return (s, g) => {
    const p = staticParams<PoolParams>(s);
    const x = g.op("Transpose", [s.inputs[0]], { perm: TO_NCHW });
    const attrs: Record<string, AttrValue> = {
      kernel_shape: [...p.window],
      strides: [...p.strides],
      pads: [p.padding[0][0], p.padding[1][0], p.padding[0][1], p.padding[1][1]],
    };
    // NOTE: padded pixels do not count in the mean (TF's "same"), and never win a max
    if (type === "AveragePool") attrs.count_include_pad = 0;
    return g.op("Transpose", [g.op(type, [x], attrs)], { perm: TO_NHWC });
  };
}

function lowerReduce(type: "ReduceSum" | "ReduceMax" | "ReduceMin"): Lowering {
  return (s, g) => {
    const p = staticParams<{ axes: readonly number[]; keepDims: boolean }>(s);
    if (p.axes.length === 0) return g.op("Identity", s.inputs);
    return g.op(type, [s.inputs[0], g.int64s(p.axes)], { keepdims: p.keepDims ? 1 : 0 });
  };
}

function lowerArg(type: "ArgMax" | "ArgMin"): Lowering {
  return (s, g) => {
    const { axis } = staticParams<{ axis: number }>(s);
    return g.op("Cast", [g.op(type, s.inputs, { axis, keepdims: 0 })], { to: OnnxDataType.INT32 });
  };
}

function lowerSlice(s: Site, g: GraphBuilder): string {
  const starts: number[] = [];
  const ends: number[] = [];
  const axes: number[] = [];
  const rank = s.inAvals[0][0].shape.length;
  for (let i = 0; i < rank; i++) {
    const per = s.eqns.map((e, k) => {
      const p = e.params as { begin: readonly number[]; size: readonly number[] };
      const dim = s.inAvals[k][0].shape[i];
      const begin = p.begin[i] ?? 0;
      const size = p.size[i] ?? -1;
      return { dim, begin, end: size === -1 ? dim : begin + size };
    });
    if (per.every((q) => q.begin === 0 && q.end === q.dim)) continue; // the whole axis
    const toEnd = per.every((q) => q.end === q.dim);
    if (!per.every((q) => q.begin === per[0].begin) || (!toEnd && !per.every((q) => q.end === per[0].end))) {
      throw new ValueError(
        { op: "exportOnnx", expected: `a window of axis ${i} of ${s.name} fixed across batch sizes`, got: `one that changes` },
        `exportOnnx: ${s.name} takes a window of axis ${i} that changes with the batch size; pass { batchSize }`,
      );
    }
    starts.push(per[0].begin);
    ends.push(toEnd ? TO_THE_END : per[0].end);
    axes.push(i);
  }
  if (axes.length === 0) return g.op("Identity", s.inputs);
  return g.op("Slice", [s.inputs[0], g.int64s(starts), g.int64s(ends), g.int64s(axes)]);
}

/**
 * Every primitive of core, lowered or refused with a reason. `satisfies` makes a new primitive a
 * compile error here until the export decides what to do with it.
 */
export const onnxLowerings = {
  neg: unary("Neg"),
  exp: unary("Exp"),
  expm1: composite((x, g, s) => g.op("Sub", [g.op("Exp", [x]), g.scalar(1, s.out.dtype)])),
  log: unary("Log"),
  log1p: composite((x, g, s) => g.op("Log", [g.op("Add", [x, g.scalar(1, s.out.dtype)])])),
  sqrt: unary("Sqrt"),
  rsqrt: composite((x, g) => g.op("Reciprocal", [g.op("Sqrt", [x])])),
  square: composite((x, g) => g.op("Mul", [x, x])),
  abs: unary("Abs"),
  sign: unary("Sign"),
  floor: unary("Floor"),
  ceil: unary("Ceil"),
  // NOTE: both round half to even
  round: unary("Round"),
  sin: unary("Sin"),
  cos: unary("Cos"),
  tanh: unary("Tanh"),
  sigmoid: unary("Sigmoid"),
  step: composite((x, g, s) => g.op("Cast", [g.op("Greater", [x, g.scalar(0, s.inAvals[0][0].dtype)])], { to: ONNX_DTYPE[s.out.dtype] })),
  relu: unary("Relu"),
  softplus: unary("Softplus"),
  erf: unary("Erf"),
  add: binary("Add"),
  sub: binary("Sub"),
  mul: binary("Mul"),
  div: (s, g) => {
    if (s.out.dtype !== "int32") return g.op("Div", s.inputs);
    // int32 division floors (tfjs floorDiv); ONNX's truncates toward zero
    const f = s.inputs.map((x) => g.op("Cast", [x], { to: OnnxDataType.FLOAT }));
    return g.op("Cast", [g.op("Floor", [g.op("Div", f)])], { to: OnnxDataType.INT32 });
  },
  pow: binary("Pow"),
  maximum: binary("Max"),
  minimum: binary("Min"),
  greater: binary("Greater"),
  greaterEqual: binary("GreaterOrEqual"),
  less: binary("Less"),
  lessEqual: binary("LessOrEqual"),
  equal: binary("Equal"),
  notEqual: (s, g) => g.op("Not", [g.op("Equal", s.inputs)]),
  where: (s, g) => g.op("Where", s.inputs),
  cast: (s, g) => g.op("Cast", s.inputs, { to: ONNX_DTYPE[staticParams<{ dtype: DType }>(s).dtype] }),
  broadcastTo: (s, g) => {
    const target = g.fit(
      s.eqns.map((e) => (e.params as { shape: readonly number[] }).shape),
      `the target shape of ${s.name}`,
    );
    return g.op("Expand", [s.inputs[0], g.shape(target)]);
  },
  reshape: (s, g) => {
    const target = g.fit(
      s.eqns.map((e) => (e.params as { shape: readonly number[] }).shape),
      `the target shape of ${s.name}`,
    );
    // NOTE: a 0 in an ONNX shape copies the input's dim unless allowzero is set (empty tensors)
    const zeros = target.includes(0) && !target.some((d) => typeof d !== "number");
    return g.op("Reshape", [s.inputs[0], g.shape(target, true)], zeros ? { allowzero: 1 } : {});
  },
  transpose: (s, g) => g.op("Transpose", s.inputs, { perm: staticParams<{ perm: readonly number[] }>(s).perm }),
  sum: lowerReduce("ReduceSum"),
  max: lowerReduce("ReduceMax"),
  min: lowerReduce("ReduceMin"),
  argmax: lowerArg("ArgMax"),
  argmin: lowerArg("ArgMin"),
  matmul: binary("MatMul"),
  stopGradient: unary("Identity"),
  concat: (s, g) => g.op("Concat", s.inputs, { axis: staticParams<{ axis: number }>(s).axis }),
  slice: lowerSlice,
  pad: (s, g) => {
    const p = staticParams<{ paddings: readonly (readonly [number, number])[]; value: number }>(s);
    if (p.paddings.length === 0) return g.op("Identity", s.inputs); // a scalar: ONNX Pad wants rank >= 1
    const pads = [...p.paddings.map((q) => q[0]), ...p.paddings.map((q) => q[1])];
    return g.op("Pad", [s.inputs[0], g.int64s(pads), g.scalar(p.value, s.out.dtype)], { mode: "constant" });
  },
  gather: (s, g) => {
    const p = staticParams<{ axis: number; batchDims: number }>(s);
    if (p.batchDims !== 0) {
      throw new ValueError(
        { op: "exportOnnx", expected: `${s.name} with batchDims 0`, got: `batchDims ${p.batchDims}` },
        `exportOnnx: ${s.name} with batchDims ${p.batchDims} has no ONNX lowering (only batchDims 0, ONNX Gather)`,
      );
    }
    return g.op("Gather", s.inputs, { axis: p.axis });
  },
  scatterAdd: { unsupported: "it is the adjoint of gather, made by gradients; a forward pass does not use it" },
  reverse: (s, g) => {
    const { axes } = staticParams<{ axes: readonly number[] }>(s);
    if (axes.length === 0) return g.op("Identity", s.inputs);
    const n = axes.length;
    return g.op("Slice", [
      s.inputs[0],
      g.int64s(new Array<number>(n).fill(-1)),
      g.int64s(new Array<number>(n).fill(-TO_THE_END)),
      g.int64s(axes),
      g.int64s(new Array<number>(n).fill(-1)),
    ]);
  },
  conv2d: lowerConv,
  maxPool2d: lowerPool("MaxPool"),
  avgPool2d: lowerPool("AveragePool"),
  // NOTE: a value check passes its operand through; an exported inference graph keeps the value, not the check
  check: (s, g) => g.op("Identity", [s.inputs[0]]),
  cumsum: (s, g) => {
    const p = staticParams<{ axis: number; reverse: boolean; exclusive: boolean }>(s);
    return g.op("CumSum", [s.inputs[0], g.scalar(p.axis, "int32")], { exclusive: p.exclusive ? 1 : 0, reverse: p.reverse ? 1 : 0 });
  },
  argTopK: (s, g) => {
    const p = staticParams<{ k: number; largest: boolean }>(s);
    // TopK's outputs are the values, then the indices (int64); ties keep the lower index first, as in tfjs
    const [, indices] = g.ops("TopK", [s.inputs[0], g.int64s([p.k])], 2, { axis: -1, largest: p.largest ? 1 : 0, sorted: 1 });
    return g.op("Cast", [indices], { to: OnnxDataType.INT32 });
  },
} satisfies Record<PrimitiveName, Lowering | Unsupported>;

// ---------------------------------------------------------------- control flow: bodies as subgraphs

/** A graph as seen in each trace, with the aval of every slot. */
interface TracedGraph {
  readonly graph: Graph;
  readonly avals: readonly Aval[];
}

/** What the export reads of a control-flow body (core's `Body`). */
interface BodyLike {
  readonly graph: Graph;
  readonly inAvals: readonly Aval[];
  readonly outAvals: readonly Aval[];
}

/** What the export reads of scan's params (core's `ScanParams`). */
interface ScanLike {
  readonly body: BodyLike;
  readonly nConsts: number;
  readonly nCarry: number;
  readonly length: number;
  readonly reverse: boolean;
}

/** `body` in each trace; the same program in each (a body that changes with the batch size is an error naming the site). */
function tracedBodies(s: Site, bodies: readonly BodyLike[]): TracedGraph[] {
  const first = bodies[0].graph.eqns.map((e) => e.prim.name).join();
  for (const b of bodies) {
    if (b.graph.eqns.map((e) => e.prim.name).join() !== first) {
      throw new ValueError(
        { op: "exportOnnx", expected: `the body of ${s.name} fixed across batch sizes`, got: `one that changes` },
        `exportOnnx: the body of ${s.name} changes with the batch size; pass { batchSize }`,
      );
    }
  }
  return bodies.map((b) => ({ graph: b.graph, avals: graphAvals(b.graph, b.inAvals) }));
}

/** A body's equations lowered into `g` with its inputs named `inputs`: the names of its outputs (remat, customJvp's primal). */
function inlineBody(s: Site, g: GraphBuilder, bodies: readonly BodyLike[], inputs: readonly string[]): string[] {
  const traces = tracedBodies(s, bodies);
  const names = new Map<number, string>(inputs.map((n, i) => [i, n]));
  lowerEquations(traces, g, bodyName(names), names);
  return traces[0].graph.outputs.map(bodyName(names));
}

function bodyName(names: Map<number, string>): (slot: number) => string {
  return (slot) => {
    const n = names.get(slot);
    if (n === undefined) throw new Error(`exportOnnx: body slot ${slot} is read before it is written (a bug in the trace)`);
    return n;
  };
}

/**
 * scan as ONNX Scan: the carry is Scan's state, xs its scan inputs (axis 0, reversed for a reverse
 * scan), ys its scan outputs (stacked in the same direction, so ys[t] belongs to xs[t] either
 * way). The body is a subgraph; the values it closed over are read from the enclosing graph by
 * name (ONNX's outer scope). A scan with no xs gets a [length] dummy scan input to count its steps.
 */
function lowerScan(s: Site, g: GraphBuilder): string[] {
  const ps = s.eqns.map((e) => e.params as ScanLike);
  const p = ps[0];
  if (ps.some((q) => q.nConsts !== p.nConsts || q.nCarry !== p.nCarry || q.length !== p.length || q.reverse !== p.reverse)) {
    throw new ValueError(
      { op: "exportOnnx", expected: `the length and operands of ${s.name} fixed across batch sizes`, got: `ones that change` },
      `exportOnnx: the length or operands of ${s.name} change with the batch size; pass { batchSize }`,
    );
  }
  const { nConsts, nCarry } = p;
  const nXs = p.body.inAvals.length - nConsts - nCarry;
  const nYs = p.body.outAvals.length - nCarry;
  const traces = tracedBodies(
    s,
    ps.map((q) => q.body),
  );
  const body = g.child(s.name);
  const names = new Map<number, string>();
  for (let i = 0; i < nConsts; i++) names.set(i, s.inputs[i]);
  const inputs: OnnxValueInfo[] = [];
  for (let slot = nConsts; slot < nConsts + nCarry + nXs; slot++) {
    const name = body.fresh(slot < nConsts + nCarry ? "scan_carry" : "scan_x");
    names.set(slot, name);
    inputs.push(
      valueInfo(
        name,
        ps.map((q) => q.body.inAvals[slot]),
        g.batches,
      ),
    );
  }
  let xs = s.inputs.slice(nConsts + nCarry);
  if (nXs === 0) {
    const steps = body.fresh("scan_step");
    inputs.push({ name: steps, type: { tensor_type: { elem_type: OnnxDataType.FLOAT, shape: { dim: [] } } } });
    xs = [g.initializer(g.fresh("scan_steps"), [p.length], OnnxDataType.FLOAT, rawBytes(new Float32Array(p.length), "float32"))];
  }
  lowerEquations(traces, body, bodyName(names), names);
  // NOTE: an Identity per output, so that no body output is also an input or an outer value
  body.current = "out";
  const outputs = traces[0].graph.outputs.map((slot, k) =>
    valueInfo(
      body.op("Identity", [bodyName(names)(slot)]),
      ps.map((q) => q.body.outAvals[k]),
      g.batches,
    ),
  );
  const graph: OnnxGraph = { name: body.fresh("scan_body"), node: body.nodes, initializer: [], input: inputs, output: outputs };
  const attrs: Record<string, AttrValue> = { body: { graph }, num_scan_inputs: xs.length };
  if (p.reverse) {
    attrs.scan_input_directions = xs.map(() => 1);
    if (nYs > 0) attrs.scan_output_directions = new Array<number>(nYs).fill(1);
  }
  g.current = "scan";
  return g.ops("Scan", [...s.inputs.slice(nConsts, nConsts + nCarry), ...xs], nCarry + nYs, attrs);
}

/** What the export reads of whileLoop's params (core's `WhileParams`). */
interface WhileLike {
  readonly cond: BodyLike;
  readonly body: BodyLike;
  readonly nCond: number;
  readonly nBody: number;
}

/**
 * whileLoop as ONNX Loop (no trip count: the condition alone ends it). The condition runs once in
 * the enclosing graph on the initial carry (Loop's initial `cond`), and in the Loop's body after
 * the body on the new carry (the body's `cond_out`); both read their closed-over values from the
 * enclosing graph by name (outer scope).
 */
function lowerWhile(s: Site, g: GraphBuilder): string[] {
  const ps = s.eqns.map((e) => e.params as WhileLike);
  const { nCond, nBody } = ps[0];
  if (ps.some((q) => q.nCond !== nCond || q.nBody !== nBody)) {
    throw new ValueError(
      { op: "exportOnnx", expected: `the operands of ${s.name} fixed across batch sizes`, got: `ones that change` },
      `exportOnnx: the operands of ${s.name} change with the batch size; pass { batchSize }`,
    );
  }
  const condConsts = s.inputs.slice(0, nCond);
  const bodyConsts = s.inputs.slice(nCond, nCond + nBody);
  const carry = s.inputs.slice(nCond + nBody);
  const conds = ps.map((q) => q.cond);
  // the first test, in the enclosing graph
  g.current = "while/cond";
  const [first] = inlineBody(s, g, conds, [...condConsts, ...carry]);
  // the body subgraph: (iteration, cond_in, ...carry) -> (cond_out, ...carry)
  const body = g.child(s.name);
  const iteration = body.fresh("while_iteration");
  const condIn = body.fresh("while_cond_in");
  const carryIn = carry.map(() => body.fresh("while_carry"));
  const scalarInfo = (name: string, type: OnnxDataType): OnnxValueInfo => ({
    name,
    type: { tensor_type: { elem_type: type, shape: { dim: [] } } },
  });
  const carryAvals = (k: number) => ps.map((q) => q.body.inAvals[nBody + k]);
  const inputs = [
    scalarInfo(iteration, OnnxDataType.INT64),
    scalarInfo(condIn, OnnxDataType.BOOL),
    ...carryIn.map((n, k) => valueInfo(n, carryAvals(k), g.batches)),
  ];
  body.current = "while/body";
  const next = inlineBody(
    s,
    body,
    ps.map((q) => q.body),
    [...bodyConsts, ...carryIn],
  );
  body.current = "while/cond";
  const [again] = inlineBody(s, body, conds, [...condConsts, ...next]);
  // NOTE: an Identity per output, so that no body output is also an input or an outer value
  body.current = "out";
  const outputs = [
    scalarInfo(body.op("Identity", [again]), OnnxDataType.BOOL),
    ...next.map((n, k) => valueInfo(body.op("Identity", [n]), carryAvals(k), g.batches)),
  ];
  const graph: OnnxGraph = { name: body.fresh("while_body"), node: body.nodes, initializer: [], input: inputs, output: outputs };
  g.current = "while";
  // "" for Loop's optional trip count M
  return g.ops("Loop", ["", first, ...carry], carry.length, { body: { graph } });
}

/**
 * Every control-flow primitive of core (multi-output, carrying a traced body), lowered or refused
 * with a reason; `satisfies` makes a new one a compile error here.
 */
export const onnxControlLowerings = {
  scan: lowerScan,
  // NOTE: remat only changes what the backward pass stores; a forward graph is the body itself
  remat: (s, g) =>
    inlineBody(
      s,
      g,
      s.eqns.map((e) => (e.params as { body: BodyLike }).body),
      s.inputs,
    ),
  // a custom derivative changes nothing forward: the primal function's body
  customJvp: (s, g) => {
    const { nF, nR } = s.eqns[0].params as { nF: number; nR: number };
    return inlineBody(
      s,
      g,
      s.eqns.map((e) => (e.params as { f: BodyLike }).f),
      [...s.inputs.slice(0, nF), ...s.inputs.slice(nF + nR)],
    );
  },
  while: lowerWhile,
  // a fused op is defined by its composite: export that
  fused: (s, g) =>
    inlineBody(
      s,
      g,
      s.eqns.map((e) => (e.params as { body: BodyLike }).body),
      s.inputs,
    ),
} satisfies Record<ControlPrimitiveName, MultiLowering | Unsupported>;

/** Lowers the equations of `traces` (one graph as seen in each trace) into `g`, naming their outputs in `names`. */
function lowerEquations(
  traces: readonly TracedGraph[],
  g: GraphBuilder,
  nameOf: (slot: number) => string,
  names: Map<number, string>,
): void {
  const { graph } = traces[0];
  const lowerings: Record<string, Lowering | MultiLowering | Unsupported> = { ...onnxLowerings, ...onnxControlLowerings };
  graph.eqns.forEach((e, i) => {
    const rule = lowerings[e.prim.name];
    const where = `equation ${i + 1} of ${graph.eqns.length}`;
    if (rule === undefined || "unsupported" in rule) {
      const why = rule === undefined ? "it is not a primitive the export knows" : rule.unsupported;
      throw new ValueError(
        { op: "exportOnnx", expected: `a primitive with an ONNX lowering`, got: `"${e.prim.name}" (${why})` },
        `exportOnnx: the primitive "${e.prim.name}" has no ONNX lowering: ${why} (${where})`,
      );
    }
    const site: Site = {
      name: `${e.prim.name} (${where})`,
      eqns: traces.map((t) => t.graph.eqns[i]),
      inputs: e.inputs.map(nameOf),
      inAvals: traces.map((t) => e.inputs.map((slot) => t.avals[slot])),
      out: e.aval,
    };
    g.current = e.prim.name;
    if (e.multi !== undefined) {
      const outs = (rule as MultiLowering)(site, g);
      e.multi.outs.forEach((slot, k) => names.set(slot, outs[k]));
      return;
    }
    // NOTE: an empty result is all shape (as in core's runImpl); kernels (ORT's MatMul among them) trip on empty operands
    const empty = traces.every((t) => t.graph.eqns[i].aval.shape.includes(0));
    const shape = () =>
      g.fit(
        traces.map((t) => t.graph.eqns[i].aval.shape),
        `the shape of ${site.name}`,
      );
    names.set(e.out, empty ? g.op("Expand", [g.scalar(0, e.aval.dtype), g.shape(shape())]) : (rule as Lowering)(site, g));
  });
}

// ---------------------------------------------------------------- graph -> model

function valueInfo(name: string, avals: readonly Aval[], batches: readonly number[]): OnnxValueInfo {
  const dims: OnnxDim[] = avals[0].shape.map((_, i) => {
    const d = fitDim(
      avals.map((a) => a.shape[i]),
      batches,
      `dim ${i} of ${name}`,
    );
    if (typeof d === "number") return { dim_value: d };
    return d.a === 1 && d.c === 0 ? { dim_param: "batch" } : { dim_param: showSym(d) };
  });
  return { name, type: { tensor_type: { elem_type: ONNX_DTYPE[avals[0].dtype], shape: { dim: dims } } } };
}

/** What an input slot of the traced graph becomes: a named initializer holding a value, or a graph input. */
type InputRole = { readonly initializer: string; readonly value: AnyTensor } | { readonly input: string };

function lowerGraphs(traces: readonly Trace[], roles: readonly InputRole[], outputNames: readonly string[]): Uint8Array {
  const filled = checkSameProgram(traces);
  const batches = traces.map((t) => t.batch);
  const { graph } = traces[0];
  const firstInput = roles.find((r) => "input" in r);
  const g = new GraphBuilder(batches, firstInput !== undefined && "input" in firstInput ? firstInput.input : "");
  if (graph.outputs.length !== outputNames.length) {
    throw refused("exportOnnx", `expected ${outputNames.length} output tensor(s)`, `${graph.outputs.length}`);
  }

  // slot -> ONNX name; initializers (params, state, constants) are written on first use
  const names = new Map<number, string>();
  roles.forEach((r, slot) => {
    if ("input" in r) names.set(slot, r.input);
  });
  const nameOf = (slot: number): string => {
    let n = names.get(slot);
    if (n !== undefined) return n;
    const aval = traces[0].avals[slot];
    if (slot < graph.nInputs) {
      const r = roles[slot] as { initializer: string; value: AnyTensor };
      n = g.initializer(r.initializer, aval.shape, ONNX_DTYPE[aval.dtype], rawBytes(r.value.dataSync(), aval.dtype));
    } else if (slot < graph.nInputs + graph.consts.length) {
      const i = slot - graph.nInputs;
      const value = filled.get(i);
      if (value !== undefined) {
        const saved = g.current;
        g.current = `const_${i}`;
        const shape = g.fit(
          traces.map((t) => t.avals[slot].shape),
          `the shape of constant ${i}`,
        );
        n = g.op("Expand", [g.scalar(value, aval.dtype), g.shape(shape)]);
        g.current = saved;
      } else n = g.initializer(`const_${i}`, aval.shape, ONNX_DTYPE[aval.dtype], rawBytes(graph.consts[i].dataSync(), aval.dtype));
    } else {
      throw new Error(`exportOnnx: slot ${slot} is read before it is written (a bug in the trace)`);
    }
    names.set(slot, n);
    return n;
  };

  lowerEquations(traces, g, nameOf, names);

  // outputs get their public names: the last node's output is renamed, any other gets an Identity
  const last = g.nodes.length > 0 ? g.nodes[g.nodes.length - 1] : undefined;
  const firstEqnSlot = graph.nInputs + graph.consts.length;
  graph.outputs.forEach((slot, k) => {
    const name = nameOf(slot);
    const renamable = outputNames.length === 1 && last !== undefined && last.output[0] === name && slot >= firstEqnSlot;
    if (renamable) last.output[0] = outputNames[k];
    else g.nodes.push({ name: `${outputNames[k]}/Identity`, op_type: "Identity", input: [name], output: [outputNames[k]], attribute: [] });
  });
  const inputs = roles.flatMap((r, slot) =>
    "input" in r
      ? [
          valueInfo(
            r.input,
            traces.map((t) => t.avals[slot]),
            batches,
          ),
        ]
      : [],
  );
  const outputs = graph.outputs.map((slot, k) =>
    valueInfo(
      outputNames[k],
      traces.map((t) => t.avals[slot]),
      batches,
    ),
  );

  return encodeOnnxModel({
    ir_version: IR_VERSION,
    opset_import: [{ domain: "", version: ONNX_OPSET }],
    producer_name: "shapeflow",
    producer_version: "0.1.0",
    graph: {
      name: "shapeflow",
      node: g.nodes,
      initializer: g.initializers,
      input: inputs,
      output: outputs,
    },
  });
}

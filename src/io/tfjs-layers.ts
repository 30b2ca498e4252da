// tfjs-layers / Keras: a sequential model's topology and weights in the format
// `tf.loadLayersModel` reads (model.json: modelTopology + weightsManifest, and the weight bytes),
// and the way back: weights of such a model into a matching shapeflow model. Platform-neutral
// (objects and bytes); files.ts writes and reads the files in Node.
//
// Conventions shared by both sides, so no value is transposed: dense kernels [in, out], conv
// kernels [kh, kw, cin, cout] (conv2dTranspose [kh, kw, cout, cin]), recurrent kernels
// [in, gates * units] with Keras' gate order (LSTM i, f, c, o; GRU z, r, h with the reset gate
// applied before the recurrent product, `resetAfter: false`, as tfjs-layers' GRU has no reset_after), batch norm's running
// statistics updated as Keras does (moving = momentum * moving + (1 - momentum) * batch), TF's
// rule for "same" padding (the odd pixel after).
import type { Layer, Model, ParamsOf, ModelStateOf } from "../nn/index.js";
import {
  describeValue,
  formatShape,
  sizeOf,
  tensor,
  type AnyTensor,
  refused,
  ShapeError,
  DTypeError,
  ValueError,
} from "../tensor/index.js";
import { dispose } from "../tree/index.js";

// ---------------------------------------------------------------- the format

/** One weight in a tfjs-layers manifest. */
export interface TfjsWeightSpec {
  /** The weight's Keras name, e.g. `dense_Dense1/kernel`. */
  name: string;
  /** Its dims. */
  shape: number[];
  /** Its element type. */
  dtype: "float32" | "int32";
  /** Quantized weights (written by the tfjs converter on request); shapeflow reads float32 and int32 only. */
  quantization?: unknown;
}

/** A Keras layer as JSON: `{ class_name: "Dense", config: { units: 10, ... } }`. */
export interface KerasLayerJson {
  /** The Keras class, e.g. `"Dense"`, `"Conv2D"`. */
  class_name: string;
  /** The layer's Keras config (units, activation, ...). */
  config: Record<string, unknown>;
  /** Functional models only: where the layer's input comes from. */
  inbound_nodes?: unknown;
}

/** A Keras `Sequential` topology as tfjs-layers writes it. */
export interface KerasTopology {
  /** Always `"Sequential"`: the export writes sequential models. */
  class_name: "Sequential";
  /** The model's name and its layers in order. */
  config: { name: string; layers: KerasLayerJson[] };
  /** The Keras version the JSON follows (as tfjs-layers writes it). */
  keras_version: string;
  /** The Keras backend named in the JSON (`"tensor_flow.js"`). */
  backend: string;
}

/**
 * What `tf.io.fromMemory` takes and a `save` handler receives (tfjs's ModelArtifacts): pass it to
 * `tf.loadLayersModel(tf.io.fromMemory(artifacts))`.
 */
export interface TfjsLayersArtifacts {
  /** Always `"layers-model"`. */
  format: "layers-model";
  /** Who wrote the artifacts: `"shapeflow"`. */
  generatedBy: string;
  /** Always null: not made by the tfjs converter. */
  convertedBy: null;
  /** The Keras topology: the layers and their configs. */
  modelTopology: KerasTopology;
  /** One entry per weight, in the order of `weightData`. */
  weightSpecs: TfjsWeightSpec[];
  /** Every weight's bytes, little-endian, back to back. */
  weightData: ArrayBuffer;
}

/** The contents of model.json: the topology and where the weights are. */
export interface TfjsLayersModelJson {
  /** Always `"layers-model"`. */
  format: "layers-model";
  /** Who wrote the file: `"shapeflow"`. */
  generatedBy: string;
  /** Always null: not made by the tfjs converter. */
  convertedBy: null;
  /** The Keras topology: the layers and their configs. */
  modelTopology: KerasTopology;
  /** The weight files (`paths`, relative to model.json) and the weights they hold, in order. */
  weightsManifest: { paths: string[]; weights: TfjsWeightSpec[] }[];
}

/** What the import reads: artifacts, or model.json with its weight files' bytes (in manifest order). */
export type TfjsLayersSource =
  | { modelTopology: unknown; weightSpecs: readonly TfjsWeightSpec[]; weightData: ArrayBuffer | readonly ArrayBuffer[] }
  | { modelJson: unknown; weightFiles: readonly Uint8Array[] };

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any model: the export reads its layers, not its types
type AnyModel = Model<any, any, any, any, any>;

/** A Keras layer planned for one shapeflow layer, with the weights it carries. */
interface Planned {
  className: string;
  /** Config without name, trainable and dtype. */
  config: Record<string, unknown>;
  /** Config keys an import compares (initializers and the like may differ). */
  compare: readonly string[];
  weights: readonly PlannedWeight[];
}

interface PlannedWeight {
  /** Keras' name for it: kernel, recurrent_kernel, bias, gamma, moving_mean, ... */
  keras: string;
  tree: "params" | "state";
  /** The key in the layer's params or state record. */
  key: string;
  shape: number[];
}

// ---------------------------------------------------------------- reading layer configs

type Pair = [number, number];
/** "same", "valid", or explicit [[top, bottom], [left, right]]. */
type Padding2d = "same" | "valid" | [Pair, Pair];

class Unsupported extends Error {}

function record(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function pairOf(v: unknown, fallback: Pair): Pair {
  if (typeof v === "number") return [v, v];
  if (Array.isArray(v) && v.length === 2 && v.every((d) => typeof d === "number")) return [v[0], v[1]];
  return fallback;
}

function intOf(v: unknown, fallback: number): number {
  return typeof v === "number" ? v : Array.isArray(v) && typeof v[0] === "number" ? v[0] : fallback;
}

function padding2d(v: unknown): Padding2d {
  if (v === undefined || v === "valid") return "valid";
  if (v === "same") return "same";
  if (typeof v === "number")
    return v === 0
      ? "valid"
      : [
          [v, v],
          [v, v],
        ];
  if (Array.isArray(v) && v.length === 2 && Array.isArray(v[0]) && Array.isArray(v[1])) {
    const p: [Pair, Pair] = [pairOf(v[0], [0, 0]), pairOf(v[1], [0, 0])];
    return p.flat().every((d) => d === 0) ? "valid" : p;
  }
  throw new Unsupported(`padding ${JSON.stringify(v)} is not one the export knows`);
}

/** 1-D padding as [before, after] pairs, or "same" / "valid". */
function padding1d(v: unknown): "same" | "valid" | Pair {
  if (v === undefined || v === "valid") return "valid";
  if (v === "same") return "same";
  if (typeof v === "number") return v === 0 ? "valid" : [v, v];
  if (Array.isArray(v) && v.length === 2) {
    const p = pairOf(v, [0, 0]);
    return p[0] === 0 && p[1] === 0 ? "valid" : p;
  }
  throw new Unsupported(`padding ${JSON.stringify(v)} is not one the export knows`);
}

/** A pool's options: a window alone, or { window, strides, padding }. */
function poolOptions(config: unknown): Record<string, unknown> {
  return typeof config === "number" || Array.isArray(config) ? { window: config } : record(config);
}

// ---------------------------------------------------------------- one plan per layer kind

const linearConfig = { activation: "linear" };
const CONV_COMPARE = ["filters", "kernel_size", "strides", "padding", "dilation_rate", "use_bias"] as const;

function withBias(useBias: boolean, kernel: number[], bias: number[]): PlannedWeight[] {
  const w: PlannedWeight[] = [{ keras: "kernel", tree: "params", key: "kernel", shape: kernel }];
  if (useBias) w.push({ keras: "bias", tree: "params", key: "bias", shape: bias });
  return w;
}

/** Activation layers: shapeflow's name -> Keras' activation name (tfjs-layers and Keras agree on these). */
const KERAS_ACTIVATIONS: Record<string, string | undefined> = {
  sigmoid: "sigmoid",
  tanh: "tanh",
  relu: "relu",
  softplus: "softplus",
  selu: "selu",
  swish: "swish",
  silu: "swish",
  gelu: "gelu",
  softmax: "softmax",
  linear: "linear",
};

/** A number in a layer's config or, failing that, in its name (`leakyRelu(0.2)`). */
function numberFrom(layer: Layer, key: string, fallback: number): number {
  const v = record(layer.config)[key];
  if (typeof v === "number") return v;
  const m = /\(([-+0-9.e]+)\)$/.exec(layer.name);
  return m ? Number(m[1]) : fallback;
}

function recurrent(className: string, gates: number, extra: Record<string, unknown>, compareExtra: readonly string[]) {
  return (layer: Layer, s: readonly number[]): Planned[] => {
    const c = record(layer.config);
    const units = c.units as number;
    if (c.bidirectional === true)
      throw new Unsupported("bidirectional recurrent layers (Keras' Bidirectional wrapper) are not written by this export");
    if (typeof c.maskValue === "number") throw new Unsupported("maskValue (Keras' Masking layer in front) is not written by this export");
    // NOTE: tfjs-layers' GRUCell throws on reset_after true, so only the reset-before GRU maps
    if (className === "GRU" && c.resetAfter === true)
      throw new Unsupported("tfjs-layers' GRU has no reset_after (shapeflow's default GRU); build it with { resetAfter: false }");
    const dropout = {
      dropout: typeof c.dropout === "number" ? c.dropout : 0,
      recurrent_dropout: typeof c.recurrentDropout === "number" ? c.recurrentDropout : 0,
    };
    return [
      {
        className,
        config: { units, activation: "tanh", use_bias: true, return_sequences: c.returnSequences === true, ...extra, ...dropout },
        compare: ["units", "activation", "use_bias", "return_sequences", ...compareExtra],
        weights: [
          { keras: "kernel", tree: "params", key: "kernel", shape: [s[2], gates * units] },
          { keras: "recurrent_kernel", tree: "params", key: "recurrentKernel", shape: [units, gates * units] },
          { keras: "bias", tree: "params", key: "bias", shape: [gates * units] },
        ],
      },
    ];
  };
}

/** Keras pools have no ceil mode, and exclude "same" padding from their means. */
function checkPoolModes(o: Record<string, unknown>, padding: string): void {
  if (o.ceilMode === true) throw new Unsupported("ceilMode has no Keras pooling equivalent");
  if (o.countIncludePad === true && padding !== "valid") throw new Unsupported("countIncludePad has no Keras pooling equivalent");
}

function pool2d(className: string) {
  return (layer: Layer): Planned[] => {
    const o = poolOptions(layer.config);
    const window = pairOf(o.window, [1, 1]);
    const padding = padding2d(o.padding);
    if (typeof padding !== "string")
      throw new Unsupported('explicit padding has no Keras pooling equivalent (Keras pools pad only with "same")');
    checkPoolModes(o, padding);
    return [
      {
        className,
        config: { pool_size: window, strides: pairOf(o.strides, window), padding, data_format: "channels_last" },
        compare: ["pool_size", "strides", "padding"],
        weights: [],
      },
    ];
  };
}

function pool1d(className: string) {
  return (layer: Layer): Planned[] => {
    const o = poolOptions(layer.config);
    const window = intOf(o.window, 1);
    const padding = padding1d(o.padding);
    if (typeof padding !== "string")
      throw new Unsupported('explicit padding has no Keras pooling equivalent (Keras pools pad only with "same")');
    checkPoolModes(o, padding);
    return [
      {
        className,
        config: { pool_size: [window], strides: [intOf(o.strides, window)], padding },
        compare: ["pool_size", "strides", "padding"],
        weights: [],
      },
    ];
  };
}

const globalPool = (className: string, channelsLast: boolean) => (): Planned[] => [
  { className, config: channelsLast ? { data_format: "channels_last" } : {}, compare: [], weights: [] },
];

type Plan = (layer: Layer, inShape: readonly number[]) => Planned[];

/** Every layer kind the export knows; kinds not here (and refusals inside a plan) are errors naming the layer. */
const PLANS: Record<string, Plan> = {
  dense(layer, s) {
    const c = record(layer.config);
    const units = c.units as number;
    const useBias = c.useBias !== false;
    return [
      {
        className: "Dense",
        config: { units, use_bias: useBias, ...linearConfig },
        compare: ["units", "use_bias"],
        weights: withBias(useBias, [s[s.length - 1], units], [units]),
      },
    ];
  },
  conv2d(layer, s) {
    const o = record(layer.config);
    const filters = o.filters as number;
    const kernel = pairOf(o.kernel, [1, 1]);
    const groups = (o.groups as number | undefined) ?? 1;
    if (groups !== 1) throw new Unsupported(`groups ${groups} has no tfjs-layers equivalent (Conv2D has no groups there)`);
    const useBias = o.useBias !== false;
    const padding = padding2d(o.padding);
    const conv: Planned = {
      className: "Conv2D",
      config: {
        filters,
        kernel_size: kernel,
        strides: pairOf(o.strides, [1, 1]),
        padding: typeof padding === "string" ? padding : "valid",
        data_format: "channels_last",
        dilation_rate: pairOf(o.dilations, [1, 1]),
        use_bias: useBias,
        ...linearConfig,
      },
      compare: CONV_COMPARE,
      weights: withBias(useBias, [kernel[0], kernel[1], s[3], filters], [filters]),
    };
    if (typeof padding === "string") return [conv];
    // explicit padding: zeros first, then a "valid" convolution (exact: a convolution pads with zeros)
    const zeroPad: Planned = {
      className: "ZeroPadding2D",
      config: { padding, data_format: "channels_last" },
      compare: ["padding"],
      weights: [],
    };
    return [zeroPad, conv];
  },
  conv1d(layer, s) {
    const o = record(layer.config);
    const filters = o.filters as number;
    const k = intOf(o.kernel, 1);
    const groups = (o.groups as number | undefined) ?? 1;
    if (groups !== 1) throw new Unsupported(`groups ${groups} has no tfjs-layers equivalent (Conv1D has no groups there)`);
    const useBias = o.useBias !== false;
    const padding = o.padding === "causal" ? "causal" : padding1d(o.padding);
    const conv: Planned = {
      className: "Conv1D",
      config: {
        filters,
        kernel_size: [k],
        strides: [intOf(o.strides, 1)],
        padding: typeof padding === "string" ? padding : "valid",
        dilation_rate: [intOf(o.dilations, 1)],
        use_bias: useBias,
        ...linearConfig,
      },
      compare: CONV_COMPARE,
      weights: withBias(useBias, [k, s[2], filters], [filters]),
    };
    if (typeof padding === "string") return [conv];
    // NOTE: tfjs-layers has no ZeroPadding1D: pad a [W, 1, C] image instead (causal padding included)
    const reshape = (target: number[]): Planned => ({
      className: "Reshape",
      config: { target_shape: target },
      compare: ["target_shape"],
      weights: [],
    });
    return [
      reshape([-1, 1, s[2]]),
      {
        className: "ZeroPadding2D",
        config: { padding: [padding, [0, 0]], data_format: "channels_last" },
        compare: ["padding"],
        weights: [],
      },
      reshape([-1, s[2]]),
      conv,
    ];
  },
  conv2dTranspose(layer, s) {
    const o = record(layer.config);
    const filters = o.filters as number;
    const kernel = pairOf(o.kernel, [1, 1]);
    const padding = padding2d(o.padding);
    if (typeof padding !== "string") throw new Unsupported("explicit padding has no Conv2DTranspose equivalent");
    const dilations = pairOf(o.dilations, [1, 1]);
    if (dilations[0] !== 1 || dilations[1] !== 1) throw new Unsupported("tfjs-layers' Conv2DTranspose has no dilations");
    const outputPadding = pairOf(o.outputPadding, [0, 0]);
    if (outputPadding[0] !== 0 || outputPadding[1] !== 0) throw new Unsupported("tfjs-layers' Conv2DTranspose has no outputPadding");
    const useBias = o.useBias !== false;
    return [
      {
        className: "Conv2DTranspose",
        config: {
          filters,
          kernel_size: kernel,
          strides: pairOf(o.strides, [1, 1]),
          padding,
          data_format: "channels_last",
          dilation_rate: [1, 1],
          use_bias: useBias,
          ...linearConfig,
        },
        compare: CONV_COMPARE,
        weights: withBias(useBias, [kernel[0], kernel[1], filters, s[3]], [filters]),
      },
    ];
  },
  maxPool2d: pool2d("MaxPooling2D"),
  avgPool2d: pool2d("AveragePooling2D"),
  maxPool1d: pool1d("MaxPooling1D"),
  avgPool1d: pool1d("AveragePooling1D"),
  globalAvgPool2d: globalPool("GlobalAveragePooling2D", true),
  globalMaxPool2d: globalPool("GlobalMaxPooling2D", true),
  globalAvgPool1d: globalPool("GlobalAveragePooling1D", false),
  globalMaxPool1d: globalPool("GlobalMaxPooling1D", false),
  upsampling2d: (layer) => [
    {
      className: "UpSampling2D",
      config: { size: pairOf(record(layer.config).factor, [1, 1]), data_format: "channels_last", interpolation: "nearest" },
      compare: ["size"],
      weights: [],
    },
  ],
  flatten: () => [{ className: "Flatten", config: { data_format: "channels_last" }, compare: [], weights: [] }],
  reshape: (layer, s) => {
    const target = record(layer.config).target as readonly number[];
    // Keras wants the target with -1 resolved only when it can; ours resolves it from the input
    const n = sizeOf(s.slice(1));
    const known = target.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    return [
      {
        className: "Reshape",
        config: { target_shape: target.map((d) => (d === -1 ? n / known : d)) },
        compare: ["target_shape"],
        weights: [],
      },
    ];
  },
  dropout: (layer) => [{ className: "Dropout", config: { rate: record(layer.config).rate }, compare: ["rate"], weights: [] }],
  batchNorm(layer, s) {
    const c = record(layer.config);
    const axis = typeof c.axis === "number" ? (c.axis < 0 ? c.axis + s.length : c.axis) : s.length - 1;
    const ch = [s[axis]];
    const [center, scale] = [c.center !== false, c.scale !== false];
    return [
      {
        className: "BatchNormalization",
        // NOTE: same momentum convention as Keras (weight of the old statistics); epsilon added to the variance
        config: { axis: c.axis === undefined ? -1 : axis, momentum: c.momentum ?? 0.99, epsilon: c.epsilon ?? 1e-3, center, scale },
        compare: ["epsilon", "center", "scale"],
        weights: [
          ...(scale ? [{ keras: "gamma", tree: "params" as const, key: "gamma", shape: ch }] : []),
          ...(center ? [{ keras: "beta", tree: "params" as const, key: "beta", shape: ch }] : []),
          { keras: "moving_mean", tree: "state", key: "mean", shape: ch },
          { keras: "moving_variance", tree: "state", key: "variance", shape: ch },
        ],
      },
    ];
  },
  layerNorm(layer, s) {
    const c = record(layer.config);
    const given = c.axes === undefined ? [-1] : typeof c.axes === "number" ? [c.axes] : (c.axes as number[]);
    const axes = given.map((a) => (a < 0 ? a + s.length : a));
    const shape = axes.map((a) => s[a]);
    const [center, scale] = [c.center !== false, c.scale !== false];
    return [
      {
        className: "LayerNormalization",
        config: { axis: c.axes === undefined ? -1 : axes.length === 1 ? axes[0] : axes, epsilon: c.epsilon ?? 1e-5, center, scale },
        compare: ["epsilon", "center", "scale"],
        weights: [
          ...(scale ? [{ keras: "gamma", tree: "params" as const, key: "gamma", shape }] : []),
          ...(center ? [{ keras: "beta", tree: "params" as const, key: "beta", shape }] : []),
        ],
      },
    ];
  },
  embedding(layer) {
    const c = record(layer.config);
    const vocabulary = c.vocabulary as number;
    const dim = c.dim as number;
    return [
      {
        className: "Embedding",
        config: { input_dim: vocabulary, output_dim: dim },
        compare: ["input_dim", "output_dim"],
        weights: [{ keras: "embeddings", tree: "params", key: "table", shape: [vocabulary, dim] }],
      },
    ];
  },
  simpleRnn: recurrent("SimpleRNN", 1, {}, []),
  // NOTE: unit_forget_bias only says how the bias was initialised; an import does not compare it
  lstm: recurrent("LSTM", 4, { recurrent_activation: "sigmoid", unit_forget_bias: true }, ["recurrent_activation"]),
  gru: recurrent("GRU", 3, { recurrent_activation: "sigmoid", reset_after: false }, ["recurrent_activation", "reset_after"]),
  activation(layer) {
    const fn = String(record(layer.config).fn ?? layer.name);
    if (fn === "leakyRelu")
      return [{ className: "LeakyReLU", config: { alpha: numberFrom(layer, "alpha", 0.01) }, compare: ["alpha"], weights: [] }];
    if (fn === "elu") {
      const alpha = numberFrom(layer, "alpha", 1);
      if (alpha !== 1) throw new Unsupported(`tfjs-layers' ELU takes alpha 1 only, got ${alpha}`);
      return [{ className: "ELU", config: { alpha }, compare: ["alpha"], weights: [] }];
    }
    // NOTE: tfjs-layers' "gelu_new" is the tanh approximation
    const keras = fn === "gelu" && record(layer.config).approximate === "tanh" ? "gelu_new" : KERAS_ACTIVATIONS[fn];
    if (keras === undefined) throw new Unsupported(`the activation ${fn} has no Keras equivalent`);
    return [{ className: "Activation", config: { activation: keras }, compare: ["activation"], weights: [] }];
  },
};

// ---------------------------------------------------------------- walking a model

/** One shapeflow layer of the (chain-flattened) model, where its params sit, and its Keras plan. */
interface Entry {
  layer: Layer;
  /** Index path into the params / state tuples (chains nest). */
  path: number[];
  /** "layer 3 (dense(10))", for messages. */
  where: string;
  planned: Planned[];
}

function plan(model: AnyModel, who: string): Entry[] {
  const out: Entry[] = [];
  const walk = (layers: readonly Layer[], shapes: readonly (readonly number[])[], prefix: number[], label: string) => {
    layers.forEach((layer, i) => {
      const path = [...prefix, i];
      const where = `${label}${i} (${layer.name})`;
      if (layer.kind === "chain") {
        const inner = record(layer.config).layers as readonly Layer[];
        const innerShapes = [shapes[i]];
        for (const l of inner) innerShapes.push(l.outputShape(innerShapes[innerShapes.length - 1]));
        walk(inner, innerShapes, path, `${label}${i}.`);
        return;
      }
      const p = PLANS[layer.kind];
      const fail = (why: string) =>
        new ValueError(
          { op: who, expected: `a layer the tfjs-layers format can express at ${where}`, got: why },
          `${who}: layer ${where} ${why}`,
        );
      if (p === undefined) {
        const why =
          layer.kind === "residual" || layer.kind === "concatBranches"
            ? "is not sequential; the tfjs-layers export handles sequential models (chains of layers) only"
            : `(kind "${layer.kind}") has no tfjs-layers/Keras equivalent`;
        throw fail(why);
      }
      try {
        out.push({ layer, path, where, planned: p(layer, shapes[i]) });
      } catch (e) {
        if (e instanceof Unsupported) throw fail(`cannot be exported: ${e.message}`);
        throw e;
      }
    });
  };
  if (typeof (model as Partial<AnyModel>).shapes !== "function" || !Array.isArray((model as Partial<AnyModel>).layers)) {
    throw new ValueError(
      { op: who, expected: "a sequential model (nn.input(shape).add(...))", got: describeValue(model) },
      `${who}: the tfjs-layers format takes sequential models; export a functional model (nn.model) with io.exportOnnx`,
    );
  }
  const shapes = model.shapes();
  walk(model.layers, shapes, [], "");
  return out;
}

function at(tree: unknown, path: readonly number[]): Record<string, unknown> {
  let t = tree;
  for (const i of path) t = (t as unknown[] | undefined)?.[i];
  return record(t);
}

const SNAKE = (className: string) =>
  className
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z])([A-Z][a-z])/g, "$1_$2")
    .toLowerCase();

/** Keras-style unique layer names: dense_1, dense_2, conv2d_1, ... */
function layerNames(entries: readonly Entry[]): string[][] {
  const counts = new Map<string, number>();
  return entries.map((e) =>
    e.planned.map((p) => {
      const base = SNAKE(p.className).replace(/^conv(\d)_d/, "conv$1d");
      const n = (counts.get(base) ?? 0) + 1;
      counts.set(base, n);
      return `${base}_${n}`;
    }),
  );
}

// ---------------------------------------------------------------- export

/** Options of `toTfjsLayers(model, params, { state })` and `exportTfjsLayers`. */
export interface TfjsLayersExportOptions<St = unknown> {
  /** Layer state (batch-norm running statistics). Default: `model.initState()`. */
  state?: St;
}

/**
 * A sequential model with its params (and state) as tfjs-layers artifacts, ready for
 * `tf.loadLayersModel(tf.io.fromMemory(artifacts))`; `files.ts`' `exportTfjsLayers` writes them as
 * model.json + weights.bin, which the tfjs converter turns into a Keras model. Layers without a
 * Keras equivalent (residual, concatBranches, maxout, step, smelu, logSoftmax, grouped convs)
 * are errors naming the layer.
 * ```ts
 * const artifacts = io.toTfjsLayers(model, params, { state });
 * const keras = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
 * ```
 */
export function toTfjsLayers<M extends AnyModel>(
  model: M,
  params: ParamsOf<M>,
  options: TfjsLayersExportOptions<ModelStateOf<M>> = {},
): TfjsLayersArtifacts {
  const who = "exportTfjsLayers";
  const entries = plan(model, who);
  const names = layerNames(entries);
  const ownState = options.state === undefined;
  const state: unknown = options.state ?? model.initState();
  try {
    const layers: KerasLayerJson[] = [];
    const specs: TfjsWeightSpec[] = [];
    const chunks: Float32Array[] = [];
    const batchInputShape = (model.inputShape as readonly (number | string)[]).map((d, k) => (typeof d === "number" && k > 0 ? d : null));
    // NOTE: a layer's dtype is also its weights' dtype, so int32 ids get an InputLayer of their own
    if (model.inputDType !== "float32") {
      layers.push({
        class_name: "InputLayer",
        config: { name: "input_1", batch_input_shape: batchInputShape, dtype: model.inputDType, sparse: false },
      });
    }
    entries.forEach((e, i) => {
      e.planned.forEach((p, j) => {
        const name = names[i][j];
        const config: Record<string, unknown> = { name, trainable: true, ...p.config, dtype: "float32" };
        if (layers.length === 0) config.batch_input_shape = batchInputShape;
        layers.push({ class_name: p.className, config });
        for (const w of p.weights) {
          const t = at(w.tree === "params" ? params : state, e.path)[w.key];
          if (!(t !== null && typeof t === "object" && "shape" in t && "dataSync" in t)) {
            throw new ValueError(
              { op: who, expected: `a ${w.tree} leaf "${w.key}" in layer ${e.where}`, got: `none` },
              `${who}: layer ${e.where} has no ${w.tree} leaf "${w.key}"${w.tree === "state" ? " (pass { state })" : ""}`,
            );
          }
          const leaf = t as AnyTensor;
          if (formatShape(leaf.shape) !== formatShape(w.shape)) {
            throw new ShapeError(
              { op: who, expected: `${formatShape(w.shape)} for ${w.key} of layer ${e.where}`, got: `${formatShape(leaf.shape)}` },
              `${who}: layer ${e.where}: ${w.key} has shape ${formatShape(leaf.shape)}, expected ${formatShape(w.shape)}`,
            );
          }
          specs.push({ name: `${name}/${w.keras}`, shape: [...w.shape], dtype: "float32" });
          chunks.push(Float32Array.from(leaf.dataSync()));
        }
      });
    });
    const total = chunks.reduce((a, c) => a + c.length, 0);
    const data = new Float32Array(total);
    let offset = 0;
    for (const c of chunks) {
      data.set(c, offset);
      offset += c.length;
    }
    return {
      format: "layers-model",
      generatedBy: "shapeflow",
      convertedBy: null,
      modelTopology: {
        class_name: "Sequential",
        config: { name: "sequential", layers },
        keras_version: "tfjs-layers 4.22.0",
        backend: "tensor_flow.js",
      },
      weightSpecs: specs,
      weightData: data.buffer,
    };
  } finally {
    if (ownState) dispose(state);
  }
}

/** model.json's contents for artifacts whose weights go to `weightsPath` (relative to model.json). */
export function tfjsLayersModelJson(artifacts: TfjsLayersArtifacts, weightsPath = "weights.bin"): TfjsLayersModelJson {
  return {
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: [weightsPath], weights: artifacts.weightSpecs }],
  };
}

// ---------------------------------------------------------------- import

/** The layers of a topology, InputLayer dropped: Sequential (either config form) or a chain-shaped functional model. */
function kerasLayers(topology: unknown, who: string): KerasLayerJson[] {
  const top = record(topology);
  const model = record(top.model_config ?? top); // the tfjs converter nests Keras models under model_config
  const className = model.class_name;
  const config = model.config;
  let layers: unknown;
  if (className === "Sequential") layers = Array.isArray(config) ? config : record(config).layers;
  else if (className === "Model" || className === "Functional") layers = record(config).layers;
  else throw refused(who, `expected a Sequential (or chain-shaped functional) Keras model`, `${JSON.stringify(className ?? null)}`);
  if (!Array.isArray(layers))
    throw new ValueError({ op: who, expected: `a layer list in the topology`, got: `none` }, `${who}: the topology has no layer list`);
  const list = (layers as unknown[]).map((l, i) => {
    const r = record(l);
    if (typeof r.class_name !== "string")
      throw new ValueError(
        { op: who, expected: `a class_name in Keras layer ${i}`, got: `none` },
        `${who}: Keras layer ${i} has no class_name`,
      );
    return { class_name: r.class_name, config: record(r.config), inbound_nodes: r.inbound_nodes };
  });
  if (className !== "Sequential") {
    // a functional model qualifies when each layer reads the one before it
    list.forEach((l, i) => {
      if (i === 0) return;
      const inbound = JSON.stringify(l.inbound_nodes ?? null);
      const previous = String(list[i - 1].config.name);
      if (!inbound.includes(JSON.stringify(previous))) {
        throw new ValueError(
          { op: who, expected: `Keras layer ${i} reading "${previous}"`, got: `another input` },
          `${who}: the functional model is not a chain (Keras layer ${i} "${String(l.config.name)}" does not read "${previous}")`,
        );
      }
    });
  }
  return list.filter((l) => l.class_name !== "InputLayer");
}

/** A layer with a fused activation (Dense(relu)) as the layer plus an Activation, as shapeflow writes it. */
function unfuse(layers: readonly KerasLayerJson[]): { layer: KerasLayerJson; weightsOf: string }[] {
  const out: { layer: KerasLayerJson; weightsOf: string }[] = [];
  for (const l of layers) {
    const name = String(l.config.name);
    const act = l.config.activation;
    const fuses = ["Dense", "Conv1D", "Conv2D", "Conv2DTranspose"].includes(l.class_name);
    if (fuses && typeof act === "string" && act !== "linear") {
      out.push({ layer: { class_name: l.class_name, config: { ...l.config, activation: "linear" } }, weightsOf: name });
      out.push({ layer: { class_name: "Activation", config: { name: `${name} (its activation)`, activation: act } }, weightsOf: name });
    } else out.push({ layer: l, weightsOf: name });
  }
  return out;
}

const ACTIVATION_ALIASES: Record<string, string> = { silu: "swish", linear: "linear" };

function sameConfigValue(expected: unknown, got: unknown): boolean {
  if (typeof expected === "string" && typeof got === "string") {
    return (ACTIVATION_ALIASES[expected] ?? expected) === (ACTIVATION_ALIASES[got] ?? got);
  }
  if (Array.isArray(expected)) {
    if (typeof got === "number") return expected.flat(2).every((e) => e === got);
    if (!Array.isArray(got) || got.length !== expected.length) return false;
    return expected.every((e, i) => sameConfigValue(e, (got as unknown[])[i]));
  }
  if (typeof expected === "number" && typeof got === "number") return Math.abs(expected - got) <= 1e-7 * Math.max(1, Math.abs(expected));
  return expected === got;
}

/** Keras' defaults for keys a config may leave out. */
const KERAS_DEFAULTS: Record<string, unknown> = {
  use_bias: true,
  center: true,
  scale: true,
  padding: "valid",
  strides: 1,
  dilation_rate: 1,
  return_sequences: false,
};

function sameConfig(key: string, expected: unknown, got: unknown): boolean {
  if (got === undefined && key in KERAS_DEFAULTS) return sameConfigValue(expected, KERAS_DEFAULTS[key]);
  return sameConfigValue(expected, got);
}

function weightBytes(source: TfjsLayersSource, who: string): { specs: readonly TfjsWeightSpec[]; topology: unknown; bytes: Uint8Array } {
  if ("modelJson" in source) {
    const json = record(source.modelJson);
    const manifest = json.weightsManifest;
    if (!Array.isArray(manifest))
      throw new ValueError(
        { op: who, expected: `a weightsManifest in model.json`, got: `none` },
        `${who}: model.json has no weightsManifest`,
      );
    const specs = manifest.flatMap((g) => (record(g).weights as TfjsWeightSpec[] | undefined) ?? []);
    return { specs, topology: json.modelTopology, bytes: concatBytes(source.weightFiles) };
  }
  const data = source.weightData;
  const parts = Array.isArray(data) ? (data as readonly ArrayBuffer[]) : [data as ArrayBuffer];
  return { specs: source.weightSpecs, topology: source.modelTopology, bytes: concatBytes(parts.map((b) => new Uint8Array(b))) };
}

function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

/** Each weight's values by name (float32), checked against the data's length. */
function readWeights(
  specs: readonly TfjsWeightSpec[],
  bytes: Uint8Array,
  who: string,
): Map<string, { shape: number[]; data: Float32Array }> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  let offset = 0;
  for (const s of specs) {
    if (s.quantization !== undefined)
      throw new ValueError(
        { op: who, expected: `unquantized weight "${s.name}"`, got: `a quantized one` },
        `${who}: weight "${s.name}" is quantized; export the model without quantization`,
      );
    if (s.dtype !== "float32" && s.dtype !== "int32")
      throw new DTypeError(
        { op: who, expected: `float32 for weight "${s.name}"`, got: `${String(s.dtype)}` },
        `${who}: weight "${s.name}" has dtype ${String(s.dtype)}; expected float32`,
      );
    const n = sizeOf(s.shape);
    const end = offset + 4 * n;
    if (end > bytes.byteLength) {
      throw new ValueError(
        { op: who, expected: `bytes ${offset}..${end} for weight "${s.name}"`, got: `${bytes.byteLength} bytes` },
        `${who}: the weight data ends at byte ${bytes.byteLength}, but weight "${s.name}" ${formatShape(s.shape)} needs bytes ${offset}..${end}`,
      );
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset + offset, 4 * n);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = s.dtype === "float32" ? view.getFloat32(4 * i, true) : view.getInt32(4 * i, true);
    out.set(s.name, { shape: [...s.shape], data });
    offset = end;
  }
  if (offset !== bytes.byteLength)
    throw new ValueError(
      { op: who, expected: `${offset} bytes of weight data`, got: `${bytes.byteLength}` },
      `${who}: the weight data has ${bytes.byteLength} bytes, the manifest describes ${offset}`,
    );
  return out;
}

/** `layer/weight`, or `layer/cell/weight` as TF >= 2.2 names recurrent weights. */
function findWeight(weights: Map<string, { shape: number[]; data: Float32Array }>, layer: string, keras: string) {
  const direct = weights.get(`${layer}/${keras}`);
  if (direct) return { name: `${layer}/${keras}`, ...direct };
  for (const [name, w] of weights) {
    const parts = name.split("/");
    if (parts.length === 3 && parts[0] === layer && parts[2] === keras) return { name, ...w };
  }
  return undefined;
}

/** Empty params / state trees shaped like the model's (a record per layer, tuples for chains). */
function skeleton(layers: readonly Layer[]): unknown[] {
  return layers.map((l) => (l.kind === "chain" ? skeleton(record(l.config).layers as readonly Layer[]) : {}));
}

/**
 * Weights of a tfjs-layers (or converted Keras) model into a matching shapeflow model: the
 * architecture is compared layer by layer (a Keras layer with a fused activation matches the
 * layer followed by that activation) and every weight's shape checked; any difference is an
 * error naming the layer. Nothing is allocated on failure.
 * ```ts
 * const { params, state } = io.fromTfjsLayers(artifacts, model);
 * const y = model.apply(params, x, { state });
 * ```
 */
export function fromTfjsLayers<M extends AnyModel>(source: TfjsLayersSource, model: M): { params: ParamsOf<M>; state: ModelStateOf<M> } {
  const who = "importTfjsLayers";
  const { specs, topology, bytes } = weightBytes(source, who);
  const theirs = unfuse(kerasLayers(topology, who));
  const entries = plan(model, who);
  const ours = entries.flatMap((e) => e.planned.map((p) => ({ entry: e, planned: p })));
  const describe = (l: KerasLayerJson) => `${l.class_name} "${String(l.config.name)}"`;
  const n = Math.min(ours.length, theirs.length);
  for (let i = 0; i < n; i++) {
    const { entry, planned } = ours[i];
    const { layer } = theirs[i];
    if (layer.class_name !== planned.className) {
      throw new ValueError(
        { op: who, expected: `a Keras ${planned.className} at layer ${entry.where}`, got: `${describe(layer)}` },
        `${who}: layer ${entry.where} expects a Keras ${planned.className}, the file has ${describe(layer)} there (Keras layer ${i})`,
      );
    }
    for (const key of planned.compare) {
      if (!sameConfig(key, planned.config[key], layer.config[key])) {
        throw new ValueError(
          {
            op: who,
            expected: `${planned.className} ${key} ${JSON.stringify(planned.config[key])}`,
            got: `${JSON.stringify(layer.config[key] ?? null)}`,
          },
          `${who}: layer ${entry.where} expects ${planned.className} ${key} ${JSON.stringify(planned.config[key])}, the file's ${describe(layer)} has ${JSON.stringify(layer.config[key] ?? null)}`,
        );
      }
    }
  }
  if (ours.length !== theirs.length) {
    const extra =
      ours.length > theirs.length
        ? `the file ends before layer ${ours[n].entry.where}`
        : `the file has ${theirs.length - n} more: ${theirs
            .slice(n)
            .map((t) => describe(t.layer))
            .join(", ")}`;
    throw new ValueError(
      { op: who, expected: `${ours.length} Keras layers`, got: `${theirs.length}` },
      `${who}: the model has ${ours.length} Keras layers, the file ${theirs.length} (${extra})`,
    );
  }
  const weights = readWeights(specs, bytes, who);
  const params = skeleton(model.layers);
  const state = skeleton(model.layers);
  const made: AnyTensor[] = [];
  try {
    ours.forEach(({ entry, planned }, i) => {
      for (const w of planned.weights) {
        const found = findWeight(weights, theirs[i].weightsOf, w.keras);
        if (found === undefined)
          throw new ValueError(
            { op: who, expected: `a weight "${theirs[i].weightsOf}/${w.keras}"`, got: `none` },
            `${who}: layer ${entry.where}: the file has no weight "${theirs[i].weightsOf}/${w.keras}"`,
          );
        if (formatShape(found.shape) !== formatShape(w.shape)) {
          throw new ShapeError(
            { op: who, expected: `${formatShape(w.shape)} for weight "${found.name}"`, got: `${formatShape(found.shape)}` },
            `${who}: layer ${entry.where}: weight "${found.name}" has shape ${formatShape(found.shape)}, expected ${formatShape(w.shape)}`,
          );
        }
        const t = tensor(found.data, w.shape) as AnyTensor;
        made.push(t);
        at(w.tree === "params" ? params : state, entry.path)[w.key] = t;
      }
    });
  } catch (e) {
    for (const t of made) t.dispose();
    throw e;
  }
  return { params: params as ParamsOf<M>, state: state as ModelStateOf<M> };
}

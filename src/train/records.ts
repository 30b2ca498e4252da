// Data, batches and losses for models with several inputs or outputs (nn.model): x and y may be
// records of host arrays, one per input or output name, and the loss a record of losses, one per
// output, summed with weights. A plain data set ({ x, y } of two host arrays) takes exactly the
// path it always took: same checks, same messages, same batches.
import { describeValue, ValueError, isTensor, type AnyTensor, type Tensor } from "../tensor/index.js";
import { batches, takeSamples, type BatchesOptions, type Dataset, type HostArray } from "../data/index.js";
import { add, mul } from "../core/index.js";
import { checkData, checkHostArray, toTensor, type LossFn } from "./model.js";

/** Inputs or targets: one host array, or a record with one per input / output name. */
export type HostTree = HostArray | Readonly<Record<string, HostArray>>;
/** A batch on the device: one tensor, or a record with one per input / output name. */
export type TensorTree = AnyTensor | Readonly<Record<string, AnyTensor>>;

/**
 * Training data for a model with several inputs or outputs (`nn.model`): `x` a record of host
 * arrays keyed by input name, `y` one host array (one output) or a record keyed by output name;
 * every array has the same number of samples.
 * ```ts
 * const train = { x: { image: images, meta }, y: { logits: labels, aux: targets } };
 * ```
 */
export interface RecordDataset {
  /** The inputs: one host array, or one per input name. */
  readonly x: HostTree;
  /** The targets: one host array, or one per output name. */
  readonly y: HostTree;
}

/**
 * The loss of a batch over trees of outputs and targets (what the train step calls); a plain
 * `LossFn` is one. `combinedLoss` makes one from a record of losses.
 */
// NOTE: the method form makes the parameters bivariant, so a LossFn (tensor arguments) is one.
export type TreeLossFn = {
  /** The loss of a batch: outputs and targets in, a scalar out. */
  loss(output: TensorTree, target: TensorTree): Tensor<[]>;
}["loss"];

/** A record of losses (one per output name) with optional weights, or one loss. */
export type LossSpec = LossFn | Readonly<Record<string, LossFn>>;

const isHostArray = (t: unknown): t is HostArray =>
  typeof t === "object" &&
  t !== null &&
  ArrayBuffer.isView((t as Partial<HostArray>).data) &&
  Array.isArray((t as Partial<HostArray>).shape);

/** The leaves of a host tree with their names ("" for a lone array). */
function entries(t: HostTree): [string, HostArray][] {
  return isHostArray(t) ? [["", t]] : Object.entries(t);
}

/** True for a plain data set: x and y are both host arrays. */
export function isPlainDataset(ds: Dataset | RecordDataset): ds is Dataset {
  return isHostArray(ds.x) && isHostArray(ds.y);
}

/** Checks a data set (plain or of records) and returns its sample count; the plain path is `checkData`'s. */
export function checkTreeData(ds: unknown, where: string): number {
  const d = ds as Partial<RecordDataset> | null | undefined;
  if (typeof d !== "object" || d === null || !(isRecordOf(d.x) || isRecordOf(d.y))) return checkData(ds, where);
  const seen = { n: undefined as number | undefined, first: "" };
  for (const side of ["x", "y"] as const) checkTreeSide(d[side], side, where, seen);
  return seen.n!;
}

/**
 * Checks one side of a data set (`x` or `y`: a host array or a record of them), each array with a
 * sample dim, every count equal to the first seen (`seen` carries it across sides); returns it.
 */
export function checkTreeSide(
  t: unknown,
  side: "x" | "y",
  where: string,
  seen = { n: undefined as number | undefined, first: "" },
): number {
  if (!isHostArray(t) && !isRecordOf(t)) {
    const got = describeValue(t);
    throw new ValueError(
      { op: where, expected: `${side}: a host array or a record of host arrays`, got },
      `${where}: ${side} must be a host array or a record of host arrays (one per ${side === "x" ? "input" : "output"}), got ${got}`,
    );
  }
  for (const [k, a] of entries(t)) {
    const what = k === "" ? side : `${side}.${k}`;
    checkHostArray(a, what, where);
    if (a.shape.length === 0) {
      throw new ValueError(
        { op: where, expected: `${what} with a sample dim`, got: "shape []" },
        `${where}: ${what} must have a sample dim, got shape []`,
      );
    }
    if (seen.n === undefined) [seen.n, seen.first] = [a.shape[0], what];
    else if (a.shape[0] !== seen.n) {
      throw new ValueError(
        { op: where, expected: `${seen.n} samples (as ${seen.first})`, got: `${a.shape[0]}` },
        `${where}: ${seen.first} has ${seen.n} samples but ${what} has ${a.shape[0]}`,
      );
    }
  }
  return seen.n!;
}

function isRecordOf(t: unknown): t is Readonly<Record<string, HostArray>> {
  return typeof t === "object" && t !== null && !Array.isArray(t) && !isHostArray(t) && Object.keys(t).length > 0;
}

/** Every host array of a data set, named (`x.image`, `y`), for checks over the values. */
export function hostLeaves(ds: Dataset | RecordDataset): [string, HostArray][] {
  return (["x", "y"] as const).flatMap((side) =>
    entries(ds[side]).map(([k, a]): [string, HostArray] => [k === "" ? side : `${side}.${k}`, a]),
  );
}

/**
 * Mini-batches of a data set (plain or of records): a plain one is `data.batches`'s; for records
 * the same sample order (the same seed gives the same permutation) is taken from every array.
 */
export function* treeBatches(ds: Dataset | RecordDataset, batchSize: number, options: BatchesOptions = {}): Generator<RecordDataset> {
  if (isPlainDataset(ds)) {
    yield* batches(ds, batchSize, options);
    return;
  }
  const n = entries(ds.x)[0][1].shape[0];
  const ids = { data: Int32Array.from({ length: n }, (_, i) => i), shape: [n], dtype: "int32" as const };
  const take = (t: HostTree, idx: Int32Array): HostTree =>
    isHostArray(t) ? takeSamples(t, idx) : Object.fromEntries(Object.entries(t).map(([k, a]) => [k, takeSamples(a, idx)]));
  for (const b of batches({ x: ids, y: ids }, batchSize, options)) {
    const idx = b.x.data;
    yield { x: take(ds.x, idx), y: take(ds.y, idx) };
  }
}

/** A host tree to tensors (one copy per array). */
export function treeToTensor(t: HostTree): TensorTree {
  return isHostArray(t) ? toTensor(t) : Object.fromEntries(Object.entries(t).map(([k, a]) => [k, toTensor(a)]));
}

/** The first tensor of a tree (metrics and sample counts of a batch). */
export function firstTensor(t: TensorTree): AnyTensor {
  return isTensor(t) ? t : Object.values(t)[0];
}

/**
 * One loss over trees: a single loss as it is, or a record of losses (one per output name)
 * summed with `weights` (default 1 each). Output and target records must have every name the
 * losses have.
 * ```ts
 * const loss = combinedLoss({ logits: losses.sparseCategoricalCrossEntropy, aux: losses.mse }, { aux: 0.5 });
 * ```
 */
export function combinedLoss(loss: LossSpec, weights: Readonly<Record<string, number>> = {}, where = "fit"): TreeLossFn {
  const l = loss as unknown;
  if (typeof l !== "function" && (typeof l !== "object" || l === null || Array.isArray(l) || Object.keys(l).length === 0)) {
    const got = describeValue(l);
    throw new ValueError(
      { op: where, expected: "a loss function or a record of them", got },
      `${where}: loss must be a loss function or a record of them (one per output), got ${got}`,
    );
  }
  const w = weights as unknown;
  if (typeof w !== "object" || w === null || Array.isArray(w)) {
    const got = describeValue(w);
    throw new ValueError(
      { op: where, expected: "lossWeights as a record { name: weight }", got },
      `${where}: lossWeights must be a record { name: weight }, got ${got}`,
    );
  }
  if (typeof loss === "function") {
    if (Object.keys(weights).length > 0) {
      throw new ValueError(
        { op: where, expected: "a record of losses with lossWeights", got: "one loss" },
        `${where}: lossWeights needs a record of losses, one per output (loss: { name: lossFn, ... })`,
      );
    }
    return (out, y) => {
      // a model with one named output and one target array: that output is the prediction
      const single = !isTensor(out) && isTensor(y) && Object.keys(out).length === 1 ? Object.values(out)[0] : out;
      if (!isTensor(single) || !isTensor(y)) {
        const names = Object.keys(isTensor(out) ? y : out).join(", ");
        throw new ValueError(
          { op: where, expected: "one loss per output", got: `outputs or targets { ${names} }` },
          `${where}: the model has outputs or targets { ${names} }: pass a record of losses, one per output (loss: { name: lossFn, ... })`,
        );
      }
      return loss(single, y);
    };
  }
  const names = Object.keys(loss);
  for (const k of names) {
    if (typeof loss[k] !== "function") {
      const got = describeValue(loss[k]);
      throw new ValueError(
        { op: where, expected: `a loss function for "${k}"`, got },
        `${where}: loss.${k} must be a loss function, got ${got}`,
      );
    }
  }
  for (const [k, w] of Object.entries(weights)) {
    if (!names.includes(k) || !Number.isFinite(w)) {
      const why = !names.includes(k) ? `names no loss (losses: ${names.join(", ")})` : `must be a finite number, got ${w}`;
      throw new ValueError(
        { op: where, expected: "a finite weight per named loss", got: `${k}: ${w}` },
        `${where}: lossWeights.${k} ${why}`,
      );
    }
  }
  return (out, y) => {
    const o = out as Readonly<Record<string, AnyTensor>>;
    const t = y as Readonly<Record<string, AnyTensor>>;
    let total: AnyTensor | undefined;
    for (const k of names) {
      if (isTensor(out) || !(k in o) || isTensor(y) || !(k in t)) {
        const side = isTensor(out) || !(k in o) ? "model outputs" : "targets y";
        throw new ValueError(
          { op: where, expected: `an output and a target named "${k}"`, got: `no "${k}" in the ${side}` },
          `${where}: loss.${k} has no "${k}" in the ${side}`,
        );
      }
      const term = mul(loss[k](o[k], t[k]), weights[k] ?? 1);
      total = total === undefined ? term : add(total, term);
    }
    return total as Tensor<[]>;
  };
}

/** The input and output names of a model with records of them (nn.model); undefined for one tensor. */
export function recordNames(model: unknown): { inputs?: readonly string[]; outputs?: readonly string[] } {
  const m = model as { inputNames?: unknown; outputNames?: unknown };
  const names = (v: unknown) => (Array.isArray(v) && v.every((k): k is string => typeof k === "string") ? v : undefined);
  return { inputs: names(m.inputNames), outputs: names(m.outputNames) };
}

const listed = (names: readonly string[]) => names.join(", ");

/**
 * Checks the keys of a data set's records against the model's inputs and outputs (and a record of
 * losses against the targets), so a missing or misspelt name is reported by name before any work.
 */
export function checkRecordKeys(model: unknown, ds: { x: HostTree; y?: HostTree }, loss: LossSpec | undefined, where: string): void {
  const { inputs, outputs } = recordNames(model);
  const x = ds.x;
  if (inputs === undefined) {
    if (!isHostArray(x)) {
      throw new ValueError(
        { op: where, expected: "x: one host array (the model takes one input tensor)", got: `a record { ${listed(Object.keys(x))} }` },
        `${where}: x is a record { ${listed(Object.keys(x))} }, but the model takes one input tensor`,
      );
    }
  } else if (isHostArray(x)) {
    throw new ValueError(
      { op: where, expected: `x: a record { ${listed(inputs)} }`, got: "one host array" },
      `${where}: the model takes a record of inputs { ${listed(inputs)} }; x is one array: pass x: { ${inputs[0]}: ... }`,
    );
  } else {
    const missing = inputs.find((k) => !(k in x));
    if (missing !== undefined) {
      throw new ValueError(
        { op: where, expected: `x.${missing}`, got: `x { ${listed(Object.keys(x))} }` },
        `${where}: x has no "${missing}" (the model's inputs: ${listed(inputs)})`,
      );
    }
    const extra = Object.keys(x).find((k) => !inputs.includes(k));
    if (extra !== undefined) {
      throw new ValueError(
        { op: where, expected: `inputs ${listed(inputs)}`, got: `x.${extra}` },
        `${where}: x.${extra} is not an input of the model (inputs: ${listed(inputs)})`,
      );
    }
  }
  const y = ds.y;
  if (outputs === undefined || y === undefined) return;
  if (!isHostArray(y)) {
    const extra = Object.keys(y).find((k) => !outputs.includes(k));
    if (extra !== undefined) {
      throw new ValueError(
        { op: where, expected: `outputs ${listed(outputs)}`, got: `y.${extra}` },
        `${where}: y.${extra} is not an output of the model (outputs: ${listed(outputs)})`,
      );
    }
  }
  if (typeof loss !== "object" || loss === null) return;
  for (const k of Object.keys(loss)) {
    if (!outputs.includes(k)) {
      throw new ValueError(
        { op: where, expected: `outputs ${listed(outputs)}`, got: `loss.${k}` },
        `${where}: loss.${k} names no output of the model (outputs: ${listed(outputs)})`,
      );
    }
    if (isHostArray(y)) {
      throw new ValueError(
        { op: where, expected: `y: a record { ${listed(Object.keys(loss))} }`, got: "one host array" },
        `${where}: loss is a record { ${listed(Object.keys(loss))} }, so y must be a record of targets too: y: { ${k}: ... }`,
      );
    }
    if (!(k in y)) {
      throw new ValueError(
        { op: where, expected: `y.${k}`, got: `y { ${listed(Object.keys(y))} }` },
        `${where}: y has no "${k}", the targets of loss.${k}`,
      );
    }
  }
}

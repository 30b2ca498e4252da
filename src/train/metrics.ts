// Metrics over an epoch or a data set: the mean loss, weighted by batch size, and accuracy by
// losses.accuracy (the one accuracy rule of the library), summed on the host batch by batch.
// A model with a record of outputs (nn.model) names the outputs its metrics are for.
import { accuracy } from "../losses/index.js";
import { describeValue, isTensor, ValueError, type AnyTensor } from "../tensor/index.js";
import type { TensorTree } from "./records.js";

/**
 * Metrics fit and evaluate can log besides the loss. `"accuracy"` is `losses.accuracy`: argmax
 * for `[batch, K]` outputs (int32 labels or one-hot rows); one output per example (`[batch]` or
 * `[batch, 1]`, a sigmoid probability) is class 1 above 0.5, as Keras' binary accuracy.
 */
export type Metric = "accuracy";

/**
 * The `metrics` option of fit and evaluate: a list (`["accuracy"]`) for a model with one output, or
 * for a model with a record of outputs (nn.model) a record naming the outputs to score,
 * `{ cls: ["accuracy"] }`, logged as `clsAccuracy` (and `valClsAccuracy` for validation data).
 */
export type MetricsSpec = readonly Metric[] | Readonly<Record<string, readonly Metric[]>>;

/**
 * Mean loss (and metrics) of the batches seen so far: `accuracy` for a model with one output,
 * `<output>Accuracy` (e.g. `clsAccuracy`) per output named in a record of metrics.
 */
export interface Scores {
  /** The mean loss per example. */
  loss: number;
  /** The fraction of correct predictions (with `metrics: ["accuracy"]`). */
  accuracy?: number;
  /** Per-output metrics (`metrics: { cls: ["accuracy"] }` gives `clsAccuracy`). */
  [metric: string]: number | undefined;
}

/** One scored output: its name in the logs, where to read it in outputs and targets ("" for a lone tensor). */
interface Scored {
  readonly log: string;
  readonly output: string;
}

/** The log name of a metric of output `name`: `clsAccuracy`. */
export const metricLogName = (output: string, metric: Metric): string => `${output}${metric[0].toUpperCase()}${metric.slice(1)}`;

/**
 * The outputs a metrics option scores, checked against the model's outputs when they are known
 * (`outputs`: the names of a record of outputs, undefined for one output tensor).
 */
export function scoredOutputs(metrics: unknown, outputs: readonly string[] | undefined, where: string): Scored[] {
  if (metrics === undefined) return [];
  const isMetric = (m: unknown): m is Metric => m === "accuracy";
  const checkList = (list: unknown, what: string): Metric[] => {
    if (!Array.isArray(list) || !list.every(isMetric)) {
      const got = Array.isArray(list)
        ? `[${list.map((m) => (typeof m === "string" ? JSON.stringify(m) : describeValue(m))).join(", ")}]`
        : describeValue(list);
      throw new ValueError(
        { op: where, expected: `${what}: a list of metrics (["accuracy"])`, got },
        `${where}: ${what} must be a list of metrics (["accuracy"]), got ${got}`,
      );
    }
    return [...new Set(list)];
  };
  if (Array.isArray(metrics) || typeof metrics !== "object" || metrics === null) {
    const list = checkList(metrics, "metrics");
    if (list.length === 0) return [];
    if (outputs !== undefined && outputs.length > 1) {
      throw new ValueError(
        { op: where, expected: "metrics per output: { name: [...] }", got: `a list for outputs { ${outputs.join(", ")} }` },
        `${where}: the model has outputs { ${outputs.join(", ")} }: name the outputs to score, e.g. metrics: { ${outputs[0]}: ["accuracy"] }`,
      );
    }
    return list.map((m) => ({ log: m, output: outputs?.[0] ?? "" }));
  }
  return Object.entries(metrics).flatMap(([k, list]) => {
    if (outputs !== undefined && !outputs.includes(k)) {
      throw new ValueError(
        { op: where, expected: `an output name (${outputs.join(", ")})`, got: `"${k}"` },
        `${where}: metrics.${k} names no output of the model (outputs: ${outputs.join(", ")})`,
      );
    }
    return checkList(list, `metrics.${k}`).map((m) => ({ log: metricLogName(k, m), output: k }));
  });
}

/** The tensor `name` of a batch's outputs or targets ("" or a lone tensor: the tensor itself). */
function pick(t: TensorTree, name: string, side: string, where: string): AnyTensor {
  if (isTensor(t)) return t;
  if (name === "" && Object.keys(t).length === 1) return Object.values(t)[0];
  const v = t[name];
  if (!isTensor(v)) {
    const names = Object.keys(t).join(", ");
    throw new ValueError(
      { op: where, expected: `"${name}" in the ${side}`, got: `{ ${names} }` },
      name === ""
        ? `${where}: the ${side} are a record { ${names} }: name the outputs to score, e.g. metrics: { ${Object.keys(t)[0]}: ["accuracy"] }`
        : `${where}: metrics.${name} has no "${name}" in the ${side} { ${names} }`,
    );
  }
  return v;
}

/** Running sums over batches: `add` each batch's mean loss, `scores` gives the means so far. */
export class RunningScores {
  private lossSum = 0;
  private seen = 0;
  private readonly correct: number[];

  /** `scored`: what `scoredOutputs` made of the metrics option; `where` names fit or evaluate in errors. */
  constructor(
    private readonly scored: readonly Scored[] = [],
    private readonly where = "fit",
  ) {
    this.correct = scored.map(() => 0);
  }

  /** One batch of `count` examples whose mean loss is `loss`, with its outputs and targets. */
  add(loss: number, count: number, output: TensorTree, targets: TensorTree): void {
    this.lossSum += loss * count;
    this.scored.forEach((s, i) => {
      const out = pick(output, s.output, "model outputs", this.where);
      const y = pick(targets, s.output, "targets y", this.where);
      // NOTE: accuracy is a fraction of the batch; rounding recovers the exact count, so sums stay exact.
      this.correct[i] += Math.round(accuracy(out, y) * y.shape[0]);
    });
    this.seen += count;
  }

  scores(): Scores {
    const out: Scores = { loss: this.lossSum / this.seen };
    this.scored.forEach((s, i) => (out[s.log] = this.correct[i] / this.seen));
    return out;
  }
}

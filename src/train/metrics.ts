// Metrics over an epoch or a data set: the mean loss, weighted by batch size, and accuracy by
// losses.accuracy (the one accuracy rule of the library), summed on the host batch by batch.
import { accuracy } from "../losses/index.js";
import type { AnyTensor } from "../tensor/index.js";

/**
 * Metrics fit and evaluate can log besides the loss. `"accuracy"` is `losses.accuracy`: argmax
 * for `[batch, K]` outputs (int32 labels or one-hot rows); one output per example (`[batch]` or
 * `[batch, 1]`, a sigmoid probability) is class 1 above 0.5, as Keras' binary accuracy.
 */
export type Metric = "accuracy";

/** Mean loss (and accuracy) of the batches seen so far. */
export interface Scores {
  /** The mean loss per example. */
  loss: number;
  /** The fraction of correct predictions (with `metrics: ["accuracy"]`). */
  accuracy?: number;
}

/** Running sums over batches: `add` each batch's mean loss, `scores` gives the means so far. */
export class RunningScores {
  private lossSum = 0;
  private correct = 0;
  private seen = 0;
  private readonly wantAccuracy: boolean;

  constructor(metrics: readonly Metric[] = []) {
    this.wantAccuracy = metrics.includes("accuracy");
  }

  /** One batch (as many examples as `labels` has rows) whose mean loss is `loss`. */
  add(loss: number, output: AnyTensor, labels: AnyTensor): void {
    const m = labels.shape[0];
    this.lossSum += loss * m;
    // NOTE: accuracy is a fraction of m; rounding recovers the exact count, so sums stay exact.
    if (this.wantAccuracy) this.correct += Math.round(accuracy(output, labels) * m);
    this.seen += m;
  }

  scores(): Scores {
    const loss = this.lossSum / this.seen;
    return this.wantAccuracy ? { loss, accuracy: this.correct / this.seen } : { loss };
  }
}

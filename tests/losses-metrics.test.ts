// Metrics against hand-counted values and scikit-learn's documented examples; no tensors made.
import { describe, expect, test } from "vitest";
import { tensor } from "../src/tensor/index.js";
import { jit } from "../src/core/index.js";
import { liveTensors } from "../src/backend/index.js";
import * as tree from "../src/tree/index.js";
import * as losses from "../src/losses/index.js";

// scikit-learn's precision_score / recall_score / f1_score docstring example
const Y_TRUE = [0, 1, 2, 0, 1, 2];
const Y_PRED = [0, 2, 1, 0, 0, 1];
/** Scores whose argmax is Y_PRED (with a different runner-up per row, for top-k). */
const SCORES = [
  [2.0, 1.0, -1.0],
  [0.1, 0.5, 0.9],
  [3.9, 4.0, -1.0],
  [5.0, -5.0, 0.0],
  [0.3, 0.2, 0.1],
  [1.0, 3.0, 2.0],
];

describe("metrics", () => {
  const scores = () => tensor(SCORES, [6, 3]);
  const ids = () => tensor(Y_TRUE, [6], "int32");

  test("accuracy from scores, probabilities, int ids and one-hot labels", () => {
    const s = scores();
    const y = ids();
    const pred = tensor(Y_PRED, [6], "int32");
    const oneHot = tensor(
      Y_TRUE.map((c) => [0, 1, 2].map((j) => (j === c ? 1 : 0))),
      [6, 3],
    );
    const before = liveTensors();
    expect(losses.accuracy(s, y)).toBe(2 / 6);
    expect(losses.accuracy(pred, y)).toBe(2 / 6);
    expect(losses.accuracy(s, oneHot)).toBe(2 / 6);
    expect(liveTensors()).toBe(before);
    tree.dispose([s, y, pred, oneHot]);
  });

  test("binary accuracy thresholds scores (0.5 for probabilities, 0 for logits)", () => {
    const probs = tensor([0.9, 0.4, 0.6, 0.1], [4]);
    const logits = tensor([[2], [-1], [0.5], [-0.2]], [4, 1]);
    const y = tensor([1, 0, 0, 0], [4], "int32");
    expect(losses.accuracy(probs, y)).toBe(0.75);
    expect(losses.accuracy(logits, y, { threshold: 0 })).toBe(0.75);
    expect(losses.accuracy(probs, y, { threshold: 0.95 })).toBe(0.75);
    expect(losses.accuracy(probs, y, { threshold: 0.05 })).toBe(0.25);
    tree.dispose([probs, logits, y]);
  });

  test("with binary scores, float labels in [0, 1] are soft binary labels: class 1 above 0.5", () => {
    const probs = tensor([0.9, 0.4, 0.6, 0.1, 0.7], [5]); // predicted 1, 0, 1, 0, 1
    const soft = tensor([0.9, 0.2, 0.3, 0.5, 1], [5]); // classes 1, 0, 0, 0 (0.5 is not above), 1
    const hard = tensor([1, 0, 0, 0, 1], [5], "int32");
    // [batch, 1] columns, and logits with threshold 0: the labels' 0.5 does not move with the threshold
    const logits = tensor([[2], [-1], [0.5], [-0.2], [0.1]], [5, 1]);
    const softColumn = tensor([[0.9], [0.2], [0.3], [0.5], [1]], [5, 1]);
    const before = liveTensors();
    expect(losses.accuracy(probs, soft)).toBe(0.8);
    expect(losses.accuracy(probs, soft)).toBe(losses.accuracy(probs, hard));
    expect(losses.accuracy(logits, softColumn, { threshold: 0 })).toBe(0.8);
    expect(losses.confusionMatrix(probs, soft)).toEqual([
      [2, 1],
      [0, 2],
    ]);
    expect(liveTensors()).toBe(before);
    const bad = tensor([0.5, 1.5, 0, 0, 0], [5]);
    expect(() => losses.accuracy(probs, bad)).toThrow(
      "accuracy: label 1.5 at index 1 is neither a class id (a non-negative integer) nor a soft binary label in [0, 1]",
    );
    tree.dispose([probs, soft, hard, logits, softColumn, bad]);
  });

  test("top-k accuracy", () => {
    const s = scores();
    const y = ids();
    // ranks of the true class per row: 1, 2, 3, 1, 2, 2
    expect(losses.topKAccuracy(s, y, 1)).toBe(2 / 6);
    expect(losses.topKAccuracy(s, y, 2)).toBe(5 / 6);
    expect(losses.topKAccuracy(s, y, 3)).toBe(1);
    // ties count for the label
    const tied = tensor([[1, 1, 0]], [1, 3]);
    const second = tensor([1], [1], "int32");
    expect(losses.topKAccuracy(tied, second, 1)).toBe(1);
    tree.dispose([s, y, tied, second]);
  });

  test("confusion matrix: rows are labels, columns predictions", () => {
    const s = scores();
    const y = ids();
    expect(losses.confusionMatrix(s, y)).toEqual([
      [2, 0, 0],
      [1, 0, 1],
      [0, 2, 0],
    ]);
    const pred = tensor([0, 1], [2], "int32");
    const truth = tensor([1, 1], [2], "int32");
    expect(losses.confusionMatrix(pred, truth)).toEqual([
      [0, 0],
      [1, 1],
    ]);
    expect(losses.confusionMatrix(pred, truth, { numClasses: 3 })).toEqual([
      [0, 0, 0],
      [1, 1, 0],
      [0, 0, 0],
    ]);
    tree.dispose([s, y, pred, truth]);
  });

  test("precision, recall and F1 match scikit-learn's example (macro and per class)", () => {
    const s = scores();
    const y = ids();
    expect(losses.precision(s, y)).toBeCloseTo(0.2222222222, 9);
    expect(losses.recall(s, y)).toBeCloseTo(0.3333333333, 9);
    expect(losses.f1Score(s, y)).toBeCloseTo(0.2666666667, 9);
    const p = losses.precision(s, y, { average: "none" });
    const r = losses.recall(s, y, { average: "none" });
    const f = losses.f1Score(s, y, { average: "none" });
    [p, r, f].forEach((xs, i) =>
      xs.forEach((v, j) =>
        expect(v).toBeCloseTo(
          [
            [2 / 3, 0, 0],
            [1, 0, 0],
            [0.8, 0, 0],
          ][i][j],
          9,
        ),
      ),
    );
    tree.dispose([s, y]);
  });

  test("macro averages skip classes absent from both labels and predictions", () => {
    // class 2 never occurs: macro over classes 0 and 1 only
    const pred = tensor([0, 0, 1, 1], [4], "int32");
    const truth = tensor([0, 1, 1, 1], [4], "int32");
    const opts = { numClasses: 3 };
    expect(losses.precision(pred, truth, opts)).toBeCloseTo((1 / 2 + 1) / 2, 12);
    expect(losses.recall(pred, truth, opts)).toBeCloseTo((1 + 2 / 3) / 2, 12);
    expect(losses.f1Score(pred, truth, { ...opts, average: "none" })).toEqual([2 / 3, 0.8, 0]);
    tree.dispose([pred, truth]);
  });

  test("errors name the metric, what was expected and what came", () => {
    const s = scores();
    const y = ids();
    const short = tensor([0, 1], [2], "int32");
    const cube = tensor([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]);
    const floatLabels = tensor([0.5, 1], [2]);
    const outOfRange = tensor([0, 1, 2, 3, 0, 1], [6], "int32");
    expect(() => losses.accuracy(s, short)).toThrow("accuracy: predictions have 6 examples but labels have 2");
    expect(() => losses.accuracy(cube, short)).toThrow(
      "accuracy: predictions must be float32 scores [batch, classes], float32 binary scores [batch] or int32 class ids [batch], got float32 [2, 2, 2]",
    );
    expect(() => losses.accuracy(short, floatLabels)).toThrow("accuracy: label 0.5 at index 0 is not a class id (a non-negative integer)");
    expect(() => losses.topKAccuracy(s, y, 4)).toThrow("topKAccuracy: k must be an integer in 1..3, got 4");
    expect(() => losses.topKAccuracy(s, outOfRange, 1)).toThrow(
      "topKAccuracy: label 3 at index 3 is out of range for 3 classes (expected 0..2)",
    );
    expect(() => losses.confusionMatrix(s, outOfRange)).toThrow(
      "confusionMatrix: label 3 at index 3 is out of range for 3 classes (expected 0..2)",
    );
    expect(() => losses.precision(s, y, { average: "micro" as never })).toThrow(
      'precision: average must be "macro" or "none", got "micro"',
    );
    const f = jit((x: typeof s) => {
      losses.accuracy(x, y);
      return x;
    });
    expect(() => f(s)).toThrow("accuracy: predictions is a traced value; metrics read values, so call accuracy outside jit, grad and vmap");
    tree.dispose([s, y, short, cube, floatLabels, outOfRange]);
  });
});

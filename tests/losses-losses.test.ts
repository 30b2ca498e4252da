// Every loss against a plain-JS float64 formula (all three reductions), its gradient against finite
// differences, stability at ±1000, no leaks, and exact error messages. One table drives it.
import { describe, expect, expectTypeOf, test } from "vitest";
import { scalar, tensor, type AnyTensor, type Tensor } from "../src/tensor/index.js";
import type { Shape } from "../typelevel/index.js";

type Float = Tensor<Shape, "float32">;
import { grad, jit, valueAndGrad } from "../src/core/index.js";
import { liveTensors } from "../src/backend/index.js";
import { checkGrads } from "../src/testing/index.js";
import * as tree from "../src/tree/index.js";
import * as losses from "../src/losses/index.js";
import type { Reduction } from "../src/losses/index.js";

// ------------------------------------------------------------------ fixtures
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}
const B = 4,
  K = 3;
const grid = (f: (i: number, j: number) => number, rows = B, cols = K) =>
  Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => f(i, j)));
const r = rng(7);
const PRED = grid(() => Math.round((4 * r() - 2) * 64) / 64);
// targets kept at least 0.1 away from PRED (mae's kink) and |diff| away from huber's delta 0.7
const TARG = PRED.map((row) => row.map((p, j) => p + [0.35, -1.3, 0.9][j] * (j % 2 ? 1 : -1)));
const PROBS = grid(() => 0.05 + 0.9 * r());
const BINARY = grid((i, j) => ((i + j) % 2 === 0 ? 1 : (i + j) % 3 === 0 ? 0 : 0.3));
const LOGITS = grid(() => 8 * r() - 4);
const softmaxRow = (row: number[]) => {
  const m = Math.max(...row);
  const e = row.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
};
const DIST = LOGITS.map((row) => softmaxRow(row.map((x) => x * 0.5)));
const ONE_HOT_SOFT = grid((i, j) => (j === i % K ? 0.8 : 0.1));
const LABELS = [2, 0, 1, 2];

// ------------------------------------------------------------------ the table
type Row = number[];
interface Entry {
  name: string;
  /** The loss on (predictions, second argument) with options. */
  loss: (p: Float, y: any, o?: { reduction?: Reduction }) => AnyTensor;
  predictions: number[][];
  second: { data: number[][] | number[]; dtype: "float32" | "int32" };
  /** Per-example loss in plain JS (float64). */
  reference: (p: Row, y: Row | number) => number;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const clipP = (p: number, eps = 1e-7) => Math.min(Math.max(p, eps), 1 - eps);
const logSoftmaxRow = (row: number[]) => {
  const m = Math.max(...row);
  const lse = m + Math.log(row.reduce((a, x) => a + Math.exp(x - m), 0));
  return row.map((x) => x - lse);
};

const table: Entry[] = [
  {
    name: "mse",
    loss: (p, y, o) => losses.mse(p, y, o),
    predictions: PRED,
    second: { data: TARG, dtype: "float32" },
    reference: (p, y) => mean(p.map((x, j) => (x - (y as Row)[j]) ** 2)),
  },
  {
    name: "mae",
    loss: (p, y, o) => losses.mae(p, y, o),
    predictions: PRED,
    second: { data: TARG, dtype: "float32" },
    reference: (p, y) => mean(p.map((x, j) => Math.abs(x - (y as Row)[j]))),
  },
  {
    name: "huber (delta 0.7)",
    loss: (p, y, o) => losses.huber(p, y, { ...o, delta: 0.7 }),
    predictions: PRED,
    second: { data: TARG, dtype: "float32" },
    reference: (p, y) =>
      mean(
        p.map((x, j) => {
          const a = Math.abs(x - (y as Row)[j]);
          return a <= 0.7 ? 0.5 * a * a : 0.7 * (a - 0.35);
        }),
      ),
  },
  {
    name: "binaryCrossEntropy",
    loss: (p, y, o) => losses.binaryCrossEntropy(p, y, o),
    predictions: PROBS,
    second: { data: BINARY, dtype: "float32" },
    reference: (p, y) => mean(p.map((x, j) => -((y as Row)[j] * Math.log(clipP(x)) + (1 - (y as Row)[j]) * Math.log(1 - clipP(x))))),
  },
  {
    name: "binaryCrossEntropyWithLogits",
    loss: (p, y, o) => losses.binaryCrossEntropyWithLogits(p, y, o),
    predictions: LOGITS,
    second: { data: BINARY, dtype: "float32" },
    reference: (p, y) => mean(p.map((x, j) => Math.max(x, 0) - x * (y as Row)[j] + Math.log1p(Math.exp(-Math.abs(x))))),
  },
  {
    name: "categoricalCrossEntropy (probabilities)",
    loss: (p, y, o) => losses.categoricalCrossEntropy(p, y, o),
    predictions: DIST,
    second: { data: ONE_HOT_SOFT, dtype: "float32" },
    reference: (p, y) => -p.reduce((a, x, j) => a + (y as Row)[j] * Math.log(clipP(x)), 0),
  },
  {
    name: "categoricalCrossEntropy (logits)",
    loss: (p, y, o) => losses.categoricalCrossEntropy(p, y, { ...o, fromLogits: true }),
    predictions: LOGITS,
    second: { data: ONE_HOT_SOFT, dtype: "float32" },
    reference: (p, y) => -logSoftmaxRow(p).reduce((a, l, j) => a + (y as Row)[j] * l, 0),
  },
  {
    name: "sparseCategoricalCrossEntropy",
    loss: (p, y, o) => losses.sparseCategoricalCrossEntropy(p, y as Tensor<[number], "int32">, o),
    predictions: LOGITS,
    second: { data: LABELS, dtype: "int32" },
    reference: (p, y) => -logSoftmaxRow(p)[y as number],
  },
];

const makeSecond = (e: Entry) =>
  e.second.dtype === "int32" ? tensor(e.second.data as number[], [B], "int32") : tensor(e.second.data as number[][], [B, K]);

function expectClose(actual: ArrayLike<number>, expected: number[], tol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const t = tol * Math.max(1, Math.abs(expected[i]));
    if (!(Math.abs(actual[i] - expected[i]) <= t)) throw new Error(`entry ${i}: got ${actual[i]}, expected ${expected[i]}`);
  }
}

describe.each(table)("$name", (e) => {
  const perExample = () => e.predictions.map((row, i) => e.reference(row, (e.second.data as (Row | number)[])[i]));

  test("matches its formula for each reduction, and frees its intermediates", () => {
    const p = tensor(e.predictions, [B, K]);
    const y = makeSecond(e);
    const before = liveTensors();
    const none = e.loss(p, y, { reduction: "none" });
    const sum = e.loss(p, y, { reduction: "sum" });
    const meanLoss = e.loss(p, y);
    expect(liveTensors()).toBe(before + 3);
    expect(none.shape).toEqual([B]);
    expect(meanLoss.shape).toEqual([]);
    const expected = perExample();
    expectClose(none.dataSync(), expected);
    expectClose([sum.item()], [expected.reduce((a, b) => a + b, 0)]);
    expectClose([meanLoss.item()], [mean(expected)]);
    tree.dispose([p, y, none, sum, meanLoss]);
  });

  test("has the gradient finite differences give", () => {
    const p = tensor(e.predictions, [B, K]);
    const y = makeSecond(e);
    checkGrads((x: Float) => e.loss(x, y), [p]);
    tree.dispose([p, y]);
  });

  test("runs under jit(valueAndGrad), the same as eagerly", () => {
    const p = tensor(e.predictions, [B, K]);
    const y = makeSecond(e);
    const f = (x: Float, t: AnyTensor) => e.loss(x, t) as Tensor<[]>;
    const [v0, g0] = valueAndGrad(f)(p, y);
    const step = jit(valueAndGrad(f));
    const [v1, g1] = step(p, y);
    expectClose([v1.item()], [v0.item()]);
    expectClose(g1.dataSync(), Array.from(g0.dataSync()));
    tree.dispose([p, y, v0, g0, v1, g1]);
    step.dispose();
  });
});

// ------------------------------------------------------------------ stability at ±1000

describe("large logits", () => {
  const big = [
    [1000, 0, -1000],
    [-1000, 1000, 0],
    [0, -1000, 1000],
  ];

  test("binaryCrossEntropyWithLogits is finite with the exact values and gradients", () => {
    const x = tensor([1000, -1000, 1000, -1000, 0], [5]);
    const y = tensor([0, 0, 1, 1, 1], [5]);
    const l = losses.binaryCrossEntropyWithLogits(x, y, { reduction: "none" });
    expectClose(l.dataSync(), [1000, 0, 0, 1000, Math.log(2)]);
    const g = grad((v: typeof x) => losses.binaryCrossEntropyWithLogits(v, y, { reduction: "sum" }))(x);
    // sigmoid(x) - y, exact also at x = 0
    expectClose(g.dataSync(), [1, 0, 0, -1, -0.5]);
    tree.dispose([x, y, l, g]);
  });

  test("sparse and categorical cross-entropy from logits are finite with the exact values", () => {
    const x = tensor(big, [3, 3]);
    const labels = tensor([0, 2, 0], [3], "int32");
    const l = losses.sparseCategoricalCrossEntropy(x, labels, { reduction: "none" });
    expectClose(l.dataSync(), [0, 1000, 1000]);
    const g = grad((v: typeof x) => losses.sparseCategoricalCrossEntropy(v, labels, { reduction: "sum" }))(x);
    // softmax(x) - onehot(label)
    expectClose(g.dataSync(), [0, 0, 0, 0, 1, -1, -1, 0, 1]);
    const oneHot = tensor(
      [
        [1, 0, 0],
        [0, 0, 1],
        [0.5, 0, 0.5],
      ],
      [3, 3],
    );
    const c = losses.categoricalCrossEntropy(x, oneHot, { fromLogits: true, reduction: "none" });
    expectClose(c.dataSync(), [0, 1000, 500]);
    const gc = grad((v: typeof x) => losses.categoricalCrossEntropy(v, oneHot, { fromLogits: true }))(x);
    expect(Array.from(gc.dataSync()).every(Number.isFinite)).toBe(true);
    tree.dispose([x, labels, l, g, oneHot, c, gc]);
  });

  test("probability losses clip at eps instead of returning Infinity", () => {
    const p = tensor([0, 1, 1, 0], [4]);
    const y = tensor([1, 0, 1, 0], [4]);
    const l = losses.binaryCrossEntropy(p, y, { reduction: "none" });
    // in float32, 1 - 1e-7 rounds to 1 - 2^-23, so the clipped loss on the 1 side is -log(2^-23)
    expectClose(l.dataSync(), [-Math.log(Math.fround(1e-7)), -Math.log(1 - Math.fround(1 - 1e-7)), 0, 0], 1e-5);
    const g = grad((v: typeof p) => losses.binaryCrossEntropy(v, y))(p);
    expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
    tree.dispose([p, y, l, g]);
  });
});

// ------------------------------------------------------------------ shapes beyond [batch, K]

test("per-example losses average over every non-batch axis", () => {
  // sequences: logits [2, 3, 4], labels [2, 3]
  const logits = tensor(
    Array.from({ length: 24 }, (_, i) => Math.sin(i)),
    [2, 3, 4],
  );
  const labels = tensor([0, 1, 2, 3, 0, 1], [2, 3], "int32");
  const l = losses.sparseCategoricalCrossEntropy(logits, labels, { reduction: "none" });
  const rows = Array.from({ length: 6 }, (_, k) => Array.from({ length: 4 }, (_, j) => Math.sin(k * 4 + j)));
  const perPos = rows.map((row, k) => -logSoftmaxRow(row)[[0, 1, 2, 3, 0, 1][k]]);
  expectClose(l.dataSync(), [mean(perPos.slice(0, 3)), mean(perPos.slice(3))]);
  // a [batch] regression target
  const p = tensor([1, 2, 3], [3]);
  const t = tensor([0, 0, 0], [3]);
  const m = losses.mse(p, t);
  expectClose([m.item()], [14 / 3]);
  tree.dispose([logits, labels, l, p, t, m]);
});

// ------------------------------------------------------------------ penalties

describe("penalties", () => {
  const params = () => ({
    layers: [
      { kernel: tensor([1, -2, 3, -4], [2, 2]), bias: tensor([0.5, -0.5], [2]) },
      { kernel: tensor([-1, 2], [2, 1]), bias: tensor([3], [1]) },
    ],
    step: tensor([7], [1], "int32"),
  });

  test("sum |w| and sum w^2 over every float leaf, or only the filtered ones", () => {
    const p = params();
    const before = liveTensors();
    const l1 = losses.l1Penalty(p);
    const l2 = losses.l2Penalty(p, { scale: 0.5 });
    const l1k = losses.l1Penalty(p, { filter: /kernel$/ });
    const l2k = losses.l2Penalty(p, { filter: (path) => path.startsWith("layers[1]") });
    expect(liveTensors()).toBe(before + 4);
    expectClose([l1.item(), l2.item(), l1k.item(), l2k.item()], [17, 0.5 * (30 + 0.5 + 5 + 9), 13, 5 + 9]);
    const g = grad((q: ReturnType<typeof params>) => losses.l2Penalty(q, { filter: /kernel$/ }))(p);
    expectClose(g.layers[0].kernel.dataSync(), [2, -4, 6, -8]);
    expectClose(g.layers[0].bias.dataSync(), [0, 0]);
    const g1 = grad((q: ReturnType<typeof params>) => losses.l1Penalty(q))(p);
    expectClose(g1.layers[1].kernel.dataSync(), [-1, 1]);
    tree.dispose([p, l1, l2, l1k, l2k, g, g1]);
  });

  test("errors", () => {
    const p = params();
    expect(() => losses.l2Penalty(p, { filter: /gamma/ })).toThrow(
      "l2Penalty: the filter matches none of the float32 leaves (layers[0].bias, layers[0].kernel, layers[1].bias, layers[1].kernel, step)",
    );
    expect(() => losses.l1Penalty({})).toThrow("l1Penalty: the params tree has no tensors");
    expect(() => losses.l1Penalty(p, { scale: NaN })).toThrow("l1Penalty: scale must be a finite number, got NaN");
    tree.dispose(p);
  });
});

// ------------------------------------------------------------------ errors and types

test("error messages name the loss, what was expected and what came", () => {
  const a = tensor(PRED, [B, K]);
  const b = tensor([1, 2], [2]);
  const labels = tensor(LABELS, [B], "int32");
  const bad = tensor([0, 3, 1, -1], [B], "int32");
  const s = scalar(1);
  expect(() => losses.mse(a, b as never)).toThrow("mse: predictions [4, 3] and targets [2] must have the same shape");
  expect(() => losses.mae(a, labels as never)).toThrow("mae: targets must be float32, got int32");
  expect(() => losses.huber(s, s)).toThrow("huber: predictions need a batch axis (rank >= 1), got shape []");
  expect(() => losses.huber(a, a, { delta: 0 })).toThrow("huber: delta must be a positive number, got 0");
  expect(() => losses.mse(a, a, { reduction: "avg" as never })).toThrow('mse: reduction must be "mean", "sum" or "none", got "avg"');
  expect(() => losses.sparseCategoricalCrossEntropy(a, bad)).toThrow(
    "sparseCategoricalCrossEntropy: label 3 at index 1 is out of range for 3 classes (expected 0..2)",
  );
  expect(() => losses.sparseCategoricalCrossEntropy(a, b as never)).toThrow(
    "sparseCategoricalCrossEntropy: labels must be int32 class indices, got float32",
  );
  const wrongLen = tensor([0, 1], [2], "int32");
  expect(() => losses.sparseCategoricalCrossEntropy(a, wrongLen as never)).toThrow(
    "sparseCategoricalCrossEntropy: labels [2] must have the logits' shape without the class axis, [4] (logits [4, 3])",
  );
  expect(() => losses.categoricalCrossEntropy(b, b)).toThrow(
    "categoricalCrossEntropy: predictions need a batch and a class axis (rank >= 2), got [2]",
  );
  expect(() => losses.binaryCrossEntropy(a, a, { eps: 0.7 })).toThrow("binaryCrossEntropy: eps must be a number in (0, 0.5), got 0.7");
  expect(() => losses.mse([1, 2] as never, a as never)).toThrow("mse: expected a tensor for predictions, got an array");
  const empty = tensor([], [0, 3]);
  expect(() => losses.mse(empty, empty)).toThrow('mse: the batch is empty, so its mean is undefined; use reduction "sum"');
  tree.dispose([a, b, labels, bad, s, wrongLen, empty]);
});

test("types: scalar by default, [batch] with reduction none, shape mismatches do not compile", () => {
  const typeOnly = (_f: () => unknown) => undefined;
  type Pred = Tensor<["batch", 10]>;
  typeOnly(() => {
    const p = null as unknown as Pred;
    const y = null as unknown as Tensor<[number, 10]>;
    const labels = null as unknown as Tensor<["batch"], "int32">;
    expectTypeOf(losses.mse(p, y)).toEqualTypeOf<Tensor<[]>>();
    expectTypeOf(losses.mse(p, y, { reduction: "sum" })).toEqualTypeOf<Tensor<[]>>();
    expectTypeOf(losses.mse(p, y, { reduction: "none" })).toEqualTypeOf<Tensor<["batch"]>>();
    expectTypeOf(losses.sparseCategoricalCrossEntropy(p, labels)).toEqualTypeOf<Tensor<[]>>();
    expectTypeOf(losses.sparseCategoricalCrossEntropy(p, labels, { reduction: "none" })).toEqualTypeOf<Tensor<["batch"]>>();
    expectTypeOf(losses.categoricalCrossEntropy(p, p, { fromLogits: true, reduction: "none" })).toEqualTypeOf<Tensor<["batch"]>>();
    // @ts-expect-error mse: predictions [batch, 10] and targets [batch, 9] must have the same shape
    losses.mse(p, null as unknown as Tensor<["batch", 9]>);
    // @ts-expect-error targets must be float32
    losses.binaryCrossEntropy(p, null as unknown as Tensor<["batch", 10], "int32">);
    // @ts-expect-error labels must be the logits' shape without the class axis
    losses.sparseCategoricalCrossEntropy(p, null as unknown as Tensor<["batch", 10], "int32">);
    // @ts-expect-error labels must be int32
    losses.sparseCategoricalCrossEntropy(p, null as unknown as Tensor<["batch"]>);
  });
  expect(true).toBe(true);
});

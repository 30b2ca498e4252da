// The training loop's rules: data against a model input, targets against predictions, params trees.
import type { InputMismatch, SameShapeMismatch, Shape, ShapesMatch, ShowData, SparseMismatch, TreeMismatch } from "./index.js";
import type { Equal, Expect } from "./mock-ops.test-d.js";

/** What the trees see of a tensor: a phantom shape and a dtype (src's Tensor has both). */
interface Tensor<S extends Shape, D extends string = "float32"> {
  readonly __shape: S;
  readonly dtype: D;
}

export type FitCases = [
  Expect<Equal<ShowData<[number, 28, 28, 1]>, "[N, 28, 28, 1]">>,
  Expect<Equal<ShowData<[150, 4]>, "[150, 4]">>,
  // x against the input: the sample dim and named dims take any size
  Expect<Equal<InputMismatch<[number, 784], ["batch", 784]>, never>>,
  Expect<Equal<InputMismatch<[60000, 784], [32, 784]>, never>>,
  Expect<Equal<InputMismatch<[number, 28, 28], ["batch", "time", 28]>, never>>,
  Expect<Equal<InputMismatch<number[], ["batch", 784]>, never>>,
  Expect<Equal<InputMismatch<[number, 28, 28, 1], ["batch", 784]>, "[N, 28, 28, 1] but the model takes [batch, 784] (rank 4 vs 2)">>,
  Expect<Equal<InputMismatch<[number, 3], ["batch", 4]>, "[N, 3] but the model takes [batch, 4]">>,
  Expect<Equal<ShapesMatch<["batch", 10], [number, 10]>, true>>,
  Expect<Equal<ShapesMatch<["batch", 10], [number, 3]>, false>>,
  // targets against predictions
  Expect<Equal<SparseMismatch<["batch", 10], [number]>, never>>,
  Expect<Equal<SparseMismatch<["batch", 20, 100], [number, 20]>, never>>,
  Expect<
    Equal<
      SparseMismatch<["batch", 7, 7, 10], [number]>,
      "the model outputs [batch, 7, 7, 10], so the labels must be [batch, 7, 7], but y is [N] (add nn.flatten() before the last dense layer?)"
    >
  >,
  Expect<Equal<SameShapeMismatch<["batch", 1], [number, 1]>, never>>,
  Expect<Equal<SameShapeMismatch<["batch", 1], [number]>, "the model outputs [batch, 1] but y is [N]; they must have the same shape">>,
  // params trees: the first differing path
  Expect<Equal<TreeMismatch<[{ w: Tensor<[2, 3]> }, {}], [{ w: Tensor<[2, 3]> }, {}], "params">, never>>,
  Expect<
    Equal<
      TreeMismatch<[{ w: Tensor<[2, 4]> }, {}], [{ w: Tensor<[2, 3]> }, {}], "params">,
      "params[0].w is [2, 4] but the model has [2, 3]"
    >
  >,
  Expect<
    Equal<
      TreeMismatch<[{}, { w: Tensor<[2, 3], "int32"> }], [{}, { w: Tensor<[2, 3]> }], "params">,
      "params[1].w is int32 but the model has float32"
    >
  >,
  Expect<
    Equal<
      TreeMismatch<[{ w: Tensor<[2, 3]> }], [{ w: Tensor<[2, 3]> }, {}], "params">,
      "params has 1 entries but the model has 2 (one per layer)"
    >
  >,
  Expect<Equal<TreeMismatch<[{ v: Tensor<[2, 3]> }], [{ w: Tensor<[2, 3]> }], "params">, "params[0].w is missing (the model has it)">>,
  // an extra key passes, as it does for assignability (the run-time tree checks catch it)
  Expect<Equal<TreeMismatch<[{ w: Tensor<[2, 3]>; b: Tensor<[3]> }], [{ w: Tensor<[2, 3]> }], "params">, never>>,
];

// the first differing key is chosen in ASCII order (the last), not by the order tsc created the types in
type TwoKeys = TreeMismatch<{ bias: Tensor<[256]>; kernel: Tensor<[784, 256]> }, { bias: Tensor<[128]>; kernel: Tensor<[784, 128]> }, "p">;
type TwoKeysSwapped = TreeMismatch<
  { kernel: Tensor<[784, 256]>; bias: Tensor<[256]> },
  { kernel: Tensor<[784, 128]>; bias: Tensor<[128]> },
  "p"
>;
export type OrderCases = [
  Expect<Equal<TwoKeys, "p.kernel is [784, 256] but the model has [784, 128]">>,
  Expect<Equal<TwoKeysSwapped, "p.kernel is [784, 256] but the model has [784, 128]">>,
  Expect<
    Equal<
      TreeMismatch<{ mu: Tensor<[2]>; nu: Tensor<[2]> }, { mu: Tensor<[3]>; nu: Tensor<[3]> }, "s">,
      "s.nu is [2] but the model has [3]"
    >
  >,
];

// What the training loop needs of a model and of a loss, and the one host-to-tensor copy every
// loop makes. Data arrive as untyped host arrays, so tensors here are `AnyTensor`.
import { tensor, type AnyTensor, type Tensor } from "../tensor/index.js";
import type { HostArray } from "../data/index.js";
import type { Key } from "../random/index.js";

/** What one training step needs of a model: see nn.Model's `applyWithState`. */
export interface StepModel<P, St> {
  // NOTE: a method, so its parameters compare bivariantly: a Model typed for `Tensor<["batch", 784]>`
  // is accepted although fit feeds it host data as `AnyTensor` (checked at run time by the model).
  /** The output and the new layer state for a batch `x` (`training: true` in steps, with a dropout `key`). */
  applyWithState(params: P, x: AnyTensor, ctx?: { training?: boolean; key?: Key; state?: St }): [AnyTensor, St];
}

/** What fit, evaluate and predict need of a model: see nn.Model. */
export interface Trainable<P, St> extends StepModel<P, St> {
  /** Fresh layer state (batch-norm running statistics), used when no `state` is given. */
  initState(): St;
}

/**
 * A loss: model output and targets of a batch to a scalar, e.g. `losses.sparseCategoricalCrossEntropy`.
 * Losses with narrower parameters (`Tensor<L, "float32">`, int32 labels) are accepted: a batch's
 * tensors are only known at run time, where the loss checks them. So annotate a custom loss's
 * parameters with what your data hold:
 * ```ts
 * const loss: LossFn = (out: Tensor<[number, 1]>, y: Tensor<[number, 1]>) => add(losses.mse(out, y), penalty);
 * ```
 */
// NOTE: the method form makes the parameters bivariant (strictFunctionTypes exempts methods), which is
// what lets a generic typed loss stand where `AnyTensor` arguments are passed.
export type LossFn = {
  /** The loss of a batch: the model's output and the targets in, a scalar out. */
  loss(output: AnyTensor, target: AnyTensor): Tensor<[]>;
}["loss"];

/** Host array to tensor (one copy). */
export function toTensor(a: HostArray): AnyTensor {
  return tensor(a.data, a.shape, a.dtype);
}

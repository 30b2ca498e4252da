// What the training loop needs of a model and of a loss, and the one host-to-tensor copy every
// loop makes. Data arrive as untyped host arrays, so tensors here are `AnyTensor`.
import { describeValue, formatShape, sizeOf, tensor, ValueError, type AnyTensor, type Tensor } from "../tensor/index.js";
import { checkDataset, type Dataset, type HostArray } from "../data/index.js";
import type { Key } from "../random/index.js";

/** What one training step needs of a model: see nn.Model's `applyWithState`. */
export interface StepModel<P, St> {
  // NOTE: a method, so its parameters compare bivariantly: a Model typed for `Tensor<["batch", 784]>`
  // is accepted although fit feeds it host data as `AnyTensor` (checked at run time by the model).
  /**
   * The output and the new layer state for a batch `x` (`training: true` in steps, with a dropout
   * `key`); for a model with several inputs or outputs (nn.model), records of tensors.
   */
  applyWithState(
    params: P,
    x: AnyTensor | Readonly<Record<string, AnyTensor>>,
    ctx?: { training?: boolean; key?: Key; state?: St },
  ): [AnyTensor | Readonly<Record<string, AnyTensor>>, St];
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
  checkHostArray(a, "the argument", "toTensor");
  return tensor(a.data, a.shape, a.dtype);
}

/** Throws unless `a` is a host array whose data fill its shape (a short buffer would train on zeros). */
export function checkHostArray(a: unknown, what: string, where: string): asserts a is HostArray {
  const arr = a as Partial<HostArray> | null | undefined;
  if (typeof arr !== "object" || arr === null || !Array.isArray(arr.shape) || !ArrayBuffer.isView(arr.data)) {
    const got = describeValue(a);
    throw new ValueError(
      { op: where, expected: "a host array { data, shape, dtype }", got },
      `${where}: ${what} must be a host array { data, shape, dtype } (see data.hostArray), got ${got}`,
    );
  }
  const shape = arr.shape;
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new ValueError(
      { op: where, expected: "a shape of non-negative integer dims", got: formatShape(shape) },
      `${where}: ${what} has shape ${formatShape(shape)}; dims must be non-negative integers`,
    );
  }
  const n = sizeOf(shape);
  const length = (arr.data as ArrayLike<number>).length;
  if (length !== n) {
    throw new ValueError(
      { op: where, expected: `${n} values for shape ${formatShape(shape)}`, got: `${length} values` },
      `${where}: ${what} has ${length} values, but its shape ${formatShape(shape)} needs ${n}`,
    );
  }
}

/** A data set whose x and y are well-formed host arrays with the same number of samples; returns that number. */
export function checkData(ds: unknown, where: string): number {
  const d = ds as Partial<Dataset> | null | undefined;
  if (typeof d !== "object" || d === null) {
    const got = describeValue(ds);
    throw new ValueError({ op: where, expected: "a data set { x, y }", got }, `${where}: expected a data set { x, y }, got ${got}`);
  }
  checkHostArray(d.x, "x", where);
  checkHostArray(d.y, "y", where);
  return checkDataset(d as Dataset, where);
}

/** A non-empty set: the mean loss or the outputs of nothing are undefined. */
export function checkNotEmpty(n: number, where: string): void {
  if (n === 0) {
    throw new ValueError(
      { op: where, expected: "at least one sample", got: "0 samples" },
      `${where}: the data set is empty (x has 0 samples)`,
    );
  }
}

// One training step as a single jitted graph: forward, backward and optimizer update.
import type { AnyTensor, Tensor } from "../tensor/index.js";
import { jit, valueAndGrad, type Jitted, check, finiteMask } from "../core/index.js";
import type { GradientTransformation } from "../optim/index.js";
import { updateAndApply } from "../optim/transform.js";
import type { Key } from "../random/index.js";
import type { StepModel } from "./model.js";
import type { TensorTree, TreeLossFn } from "./records.js";

/** One training step's results, all new tensors: the batch's loss, the updated params and states, the output, a NaN probe. */
export interface StepResult<P, St> {
  /** The batch's loss before the update. */
  loss: Tensor<[]>;
  /** The params after the optimizer's update. */
  params: P;
  /** The optimizer's next state. */
  optState: unknown;
  /** The layer state after this batch (training mode). */
  state: St;
  /** The model output on this batch (for metrics): a tensor, or a record for a model with several outputs. */
  out: TensorTree;
  /** A scalar that is NaN/Inf when the loss or any new parameter is (checked in the step: see DIVERGENCE). */
  probe: Tensor<[]>;
}

/**
 * The op of the step's own check: a non-finite loss or non-finite new parameters. fit reads the
 * step's checks after each step; a failure of this one means the run diverged (fit stops and keeps
 * the parameters from before the step), any other failed check is an error in the data or model.
 */
export const DIVERGENCE = "divergence";

/** The jitted step `makeTrainStep` returns: params, optimizer state, layer state, batch and dropout key in, `StepResult` out. */
export type TrainStep<P, St> = Jitted<
  (params: P, optState: unknown, state: St, x: TensorTree, y: TensorTree, key: Key) => StepResult<P, St>
>;

/**
 * `jit(valueAndGrad(loss) + optimizer update)`: traced once per batch shape, then replayed.
 * Every returned tensor is new; the caller disposes the old params and states.
 * ```ts
 * const step = makeTrainStep(model, losses.sparseCategoricalCrossEntropy, optim.adam(1e-3));
 * const r = step(params, optState, state, x, y, key);
 * ```
 */
export function makeTrainStep<P, St>(model: StepModel<P, St>, loss: TreeLossFn, optimizer: GradientTransformation): TrainStep<P, St> {
  return jit((params: P, optState: unknown, state: St, x: TensorTree, y: TensorTree, key: Key): StepResult<P, St> => {
    const objective = (p: P): [Tensor<[]>, { out: TensorTree; state: St }] => {
      const [out, newState] = model.applyWithState(p, x, { state, training: true, key });
      return [loss(out, y), { out, state: newState }];
    };
    const [[l, aux], grads] = valueAndGrad(objective, { hasAux: true })(params);
    // NOTE: update then applyUpdates, as one kernel per leaf where the optimizer has one (adam and the
    // other per-leaf steps), which also sums the new params into the probe: sum(l) plus each leaf's sum
    const [next, nextOpt, probe] = updateAndApply(optimizer, grads, optState, params, l) as [P, unknown, AnyTensor];
    // NOTE: one check for loss and params (the probe sums both), read by the caller after the step with
    // the loss: one host read per step. The caller words it from the loss it reads ("loss became NaN").
    const checkedProbe = check(probe, finiteMask(probe), {
      op: DIVERGENCE,
      message: "the parameters became non-finite (NaN or Inf)",
      expected: "a finite loss and finite parameters",
    }) as Tensor<[]>;
    return { loss: l, params: next, optState: nextOpt, state: aux.state, out: aux.out, probe: checkedProbe };
  });
}

// A jitted training run for the tests that compare a native kernel against its composite end to end.
import { losses, optim, random, tree } from "../src/index.js";
import type { AnyTensor } from "../src/tensor/index.js";
import { makeTrainStep, type TrainStep } from "../src/train/index.js";

/** What makeTrainStep needs of a model (nn.Model's bound methods). */
interface StepModel {
  init(key: never): unknown;
  initState(): unknown;
}

/**
 * The losses of `steps` jitted training steps (sparse cross-entropy, adam 1e-2, params from key 3)
 * of `model` on one batch; `inspect` sees the step (its plan) before it is disposed. Leaves nothing behind.
 */
export function trainLosses(
  model: StepModel,
  xs: AnyTensor,
  ys: AnyTensor,
  steps: number,
  inspect?: (step: TrainStep<unknown, unknown>) => void,
): number[] {
  const step = makeTrainStep(model as never, losses.sparseCategoricalCrossEntropy as never, optim.adam(1e-2));
  const key = random.key(3);
  let params: unknown = model.init(key as never);
  let state: unknown = model.initState();
  let optState: unknown = optim.adam(1e-2).init(params as never);
  const out: number[] = [];
  for (let t = 0; t < steps; t++) {
    const r = step(params, optState, state, xs, ys, key);
    out.push(r.loss.concrete().dataSync()[0]);
    tree.dispose([params, optState, state, r.loss, r.out, r.probe]);
    ({ params, optState, state } = r as { params: unknown; optState: unknown; state: unknown });
  }
  inspect?.(step);
  step.dispose();
  tree.dispose([params, optState, state, key]);
  return out;
}

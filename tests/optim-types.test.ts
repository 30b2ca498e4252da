// What optimizer types resolve to, what must compile and what must not.
import { describe, expectTypeOf, test, expect } from "vitest";
import { tensor, type Tensor } from "../src/tensor/index.js";
import * as tree from "../src/tree/index.js";
import * as optim from "../src/optim/index.js";
import type {
  AdamState,
  AdamWState,
  Count,
  EmptyState,
  MomentumState,
  ScaleByAdamState,
  ScaleByScheduleState,
  SgdState,
} from "../src/optim/index.js";

type Params = { dense: { kernel: Tensor<[3, 2]>; bias: Tensor<[2]> } };
const makeParams = (): Params => ({
  dense: { kernel: tensor([1, 2, 3, 4, 5, 6], [3, 2]) as Tensor<[3, 2]>, bias: tensor([0, 0], [2]) as Tensor<[2]> },
});

describe("optimizer types", () => {
  test("named optimizers have named states over the params type, and update keeps the params type", () => {
    const params = makeParams();
    const opt = optim.adam(1e-3);
    const state = opt.init(params);
    expectTypeOf(state).toEqualTypeOf<AdamState<Params>>();
    expectTypeOf(state[0]).toEqualTypeOf<ScaleByAdamState<Params>>();
    expectTypeOf(state[0].count).toEqualTypeOf<Count>();
    expectTypeOf(state[0].mu.dense.kernel).toEqualTypeOf<Tensor<[3, 2]>>();
    const [updates, next] = opt.update(params, state, params);
    expectTypeOf(updates).toEqualTypeOf<Params>();
    expectTypeOf(next).toEqualTypeOf<AdamState<Params>>();
    const applied = optim.applyUpdates(params, updates);
    expectTypeOf(applied).toEqualTypeOf<Params>();
    expectTypeOf(optim.sgd(0.1).init(params)).toEqualTypeOf<SgdState>();
    expectTypeOf(optim.momentum(0.1).init(params)).toEqualTypeOf<MomentumState<Params>>();
    expectTypeOf(optim.adamw(0.1).init(params)).toEqualTypeOf<AdamWState<Params>>();
    expectTypeOf(optim.rmsprop(0.1, { momentum: 0.9 }).init(params)).toEqualTypeOf<optim.RmspropMomentumState<Params>>();
    expectTypeOf(optim.rmsprop(0.1).init(params)).toEqualTypeOf<optim.RmspropState<Params>>();
    expect(state).toHaveLength(2);
    tree.dispose([params, state, updates, next, applied]);
  });

  test("chain's state is the tuple of its transforms' states", () => {
    const opt = optim.chain(optim.clipByGlobalNorm(1), optim.scaleByAdam(), optim.scaleByLearningRate(1e-3));
    const params = makeParams();
    const state = opt.init(params);
    expectTypeOf(state).toEqualTypeOf<[EmptyState, ScaleByAdamState<Params>, ScaleByScheduleState]>();
    expectTypeOf<optim.StateFor<typeof opt, Params>>().toEqualTypeOf<[EmptyState, ScaleByAdamState<Params>, ScaleByScheduleState]>();
    tree.dispose([params, state]);
  });

  test("a state for other params, or updates of another type, do not compile", () => {
    const opt = optim.adam(1e-3);
    const params = makeParams();
    const state = opt.init(params);
    const other = { w: tensor([1], [1]) as Tensor<[1]> };
    // compile-time only: these calls are never run
    const typeOnly = (_f: () => unknown) => undefined;
    // @ts-expect-error the state was made for Params, not for { w }
    typeOnly(() => opt.update(other, state));
    // @ts-expect-error params must have the updates' type
    typeOnly(() => opt.update(params, state, other));
    // @ts-expect-error an sgd state is not an adam state
    typeOnly(() => opt.update(params, optim.sgd(1).init(params)));
    // @ts-expect-error applyUpdates needs updates shaped like the params
    typeOnly(() => optim.applyUpdates(params, other));
    // at run time the wrong state fails with a message (see optim-optimizers.test.ts)
    expect(() => opt.update(other, state as never)).toThrow("scaleByAdam: state.mu does not match the updates' structure");
    tree.dispose([params, state, other]);
  });
});

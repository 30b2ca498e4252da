// What optimizer types resolve to, what must compile and what must not.
import { describe, expectTypeOf, test, expect } from "vitest";
import { tensor, type Tensor } from "../src/tensor/index.js";
import * as tree from "../src/tree/index.js";
import * as optim from "../src/optim/index.js";
import type {
  AdagradState,
  AdamaxState,
  AdamState,
  AdamWState,
  Count,
  EmptyState,
  GradientTransformation,
  MomentumState,
  RmspropMomentumState,
  RmspropState,
  ScaleByAdagradState,
  ScaleByAdamaxState,
  ScaleByAdamFamily,
  ScaleByAdamState,
  ScaleByMomentumState,
  ScaleByRmsFamily,
  ScaleByRmsState,
  ScaleByScheduleState,
  SgdState,
} from "../src/optim/index.js";

type Params = { dense: { kernel: Tensor<[3, 2]>; bias: Tensor<[2]> } };
const makeParams = (): Params => ({
  dense: { kernel: tensor([1, 2, 3, 4, 5, 6], [3, 2]), bias: tensor([0, 0], [2]) },
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

  test("the named states are read off each optimizer's chain, and match the chains written out", () => {
    // The aliases are derived (OptimizerStateOf<ReturnType<typeof adam>, P>), so these compare what
    // chain infers with the chain each optimizer is documented to be: a change to either side fails here.
    expectTypeOf<SgdState>().toEqualTypeOf<[ScaleByScheduleState]>();
    expectTypeOf<MomentumState<Params>>().toEqualTypeOf<[ScaleByMomentumState<Params>, ScaleByScheduleState]>();
    expectTypeOf(optim.nesterov(0.1).init(makeParams())).toEqualTypeOf<MomentumState<Params>>();
    expectTypeOf<AdamState<Params>>().toEqualTypeOf<[ScaleByAdamState<Params>, ScaleByScheduleState]>();
    expectTypeOf<AdamWState<Params>>().toEqualTypeOf<[ScaleByAdamState<Params>, EmptyState, ScaleByScheduleState]>();
    expectTypeOf<AdagradState<Params>>().toEqualTypeOf<[ScaleByAdagradState<Params>, ScaleByScheduleState]>();
    expectTypeOf<AdamaxState<Params>>().toEqualTypeOf<[ScaleByAdamaxState<Params>, ScaleByScheduleState]>();
    expectTypeOf<RmspropState<Params>>().toEqualTypeOf<[ScaleByRmsState<Params>, ScaleByScheduleState]>();
    expectTypeOf<RmspropMomentumState<Params>>().toEqualTypeOf<
      [ScaleByRmsState<Params>, ScaleByScheduleState, ScaleByMomentumState<Params>]
    >();
    expectTypeOf(optim.adam(1e-3)).toEqualTypeOf<GradientTransformation<optim.AdamFamily>>();

    // A wrong claim does not compile: the comparison can fail.
    // @ts-expect-error adam's chain has no weight-decay slot
    expectTypeOf<AdamState<Params>>().toEqualTypeOf<[ScaleByAdamState<Params>, EmptyState, ScaleByScheduleState]>();
    // @ts-expect-error adamw's chain has one
    expectTypeOf<AdamWState<Params>>().toEqualTypeOf<[ScaleByAdamState<Params>, ScaleByScheduleState]>();
    // @ts-expect-error rmsprop with momentum keeps a momentum trace after the learning rate's count
    expectTypeOf(optim.rmsprop(0.1, { momentum: 0.9 }).init(makeParams())).toEqualTypeOf<RmspropState<Params>>();
    // @ts-expect-error the state follows the params type
    expectTypeOf<MomentumState<Params>>().toEqualTypeOf<MomentumState<{ w: Tensor<[1]> }>>();
  });

  test("a leafwise transform's declared state is checked against the statistics it keeps", () => {
    const rule =
      () =>
      (g: any, s: any): [any, any] => [g, s];
    const rms: GradientTransformation<ScaleByRmsFamily> = optim.leafwiseTransformation("rms", { initial: { nu: 0 }, counted: false, rule });
    // @ts-expect-error ScaleByRmsState keeps nu, not mu
    const wrongKey: GradientTransformation<ScaleByRmsFamily> = optim.leafwiseTransformation("rms", {
      initial: { mu: 0 },
      counted: false,
      rule,
    });
    // @ts-expect-error ScaleByAdamState needs a step count
    const noCount: GradientTransformation<ScaleByAdamFamily> = optim.leafwiseTransformation("adam", {
      initial: { mu: 0, nu: 0 },
      counted: false,
      rule,
    });
    expect([rms, wrongKey, noCount].map((t) => t.name)).toEqual(["rms", "rms", "adam"]);
    expectTypeOf(optim.scaleByAdam().init(makeParams())).toEqualTypeOf<ScaleByAdamState<Params>>();
  });

  test("chain's state is the tuple of its transforms' states", () => {
    const opt = optim.chain(optim.clipByGlobalNorm(1), optim.scaleByAdam(), optim.scaleByLearningRate(1e-3));
    const params = makeParams();
    const state = opt.init(params);
    expectTypeOf(state).toEqualTypeOf<[EmptyState, ScaleByAdamState<Params>, ScaleByScheduleState]>();
    expectTypeOf<optim.OptimizerStateOf<typeof opt, Params>>().toEqualTypeOf<
      [EmptyState, ScaleByAdamState<Params>, ScaleByScheduleState]
    >();
    tree.dispose([params, state]);
  });

  test("a state for other params, or updates of another type, do not compile", () => {
    const opt = optim.adam(1e-3);
    const params = makeParams();
    const state = opt.init(params);
    const other = { w: tensor([1], [1]) };
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

// Gradient checks (finite differences, JAX's check_grads) through every layer in the table:
// with respect to the params and the input; second order where the table asks (dense, tanh,
// a chain). Plus the training-mode paths: batch norm's batch statistics, dropout's mask.
import { describe, expect, test } from "vitest";
import * as nn from "../src/nn/index.js";
import type { Layer } from "../src/nn/index.js";
import { stopGradient } from "../src/core/index.js";
import { key } from "../src/random/index.js";
import { checkGrads } from "../src/testing/index.js";
import type { AnyTensor } from "../src/tensor/index.js";
import { cases } from "./nn-registry.js";
import { disposeTree, input, noLeaks } from "./nn-helpers.js";

// NOTE: inputs are seeded values in [-1, 1); kinks (relu, max, pools) sit at measure-zero points,
// and these seeds keep every input further than the finite-difference step from one.
describe("gradients through every layer in the table", () => {
  for (const c of cases) {
    const layer = c.layer as Layer;
    test(`${c.name}${c.order2 ? " (order 2)" : ""}`, () => {
      noLeaks(() => {
        const m = (nn.input([...c.input], c.dtype) as any).add(layer);
        const k = key(0);
        const params = m.init(k);
        const state = m.initState();
        const x = input(c.input, c.dtype, 3);
        if (c.dtype === "int32") {
          checkGrads((p: unknown) => m.apply(p, x, { state }), [params]); // ids are not differentiable
        } else {
          checkGrads((p: unknown, v: AnyTensor) => m.apply(p, v, { state }), [params, x], { order: c.order2 ? 2 : 1 });
        }
        disposeTree(k, params, state, x);
      });
    });
  }
});

describe("training-mode gradients", () => {
  test("batchNorm with batch statistics (the mean and variance depend on every example)", () => {
    noLeaks(() => {
      const m = nn.input([4, 3]).add(nn.batchNorm());
      const k = key(0);
      const params = m.init(k);
      const state = m.initState();
      const x = input([4, 3], "float32", 5);
      checkGrads((p: typeof params, v: AnyTensor) => m.applyWithState(p, v as never, { state, training: true })[0], [params, x]);
      disposeTree(k, params, state, x);
    });
  });

  test("batchNorm over axis 1 of [N, C, L] with batch statistics, no center, unbiased running variance", () => {
    noLeaks(() => {
      const m = nn.input([3, 2, 4]).add(nn.batchNorm({ axis: 1, center: false, runningVariance: "unbiased" }));
      const k = key(0);
      const params = m.init(k);
      const state = m.initState();
      const x = input([3, 2, 4], "float32", 8);
      checkGrads((p: typeof params, v: AnyTensor) => m.applyWithState(p, v as never, { state, training: true })[0], [params, x]);
      disposeTree(k, params, state, x);
    });
  });

  test("dropout with a fixed key (the mask is a constant)", () => {
    noLeaks(() => {
      const m = nn.input([3, 5]).add(nn.dense(4)).add(nn.dropout(0.5));
      const k = key(0);
      const params = m.init(k);
      const x = input([3, 5], "float32", 6);
      checkGrads((p: typeof params, v: AnyTensor) => m.apply(p, v as never, { training: true, key: k }), [params, x]);
      disposeTree(k, params, x);
    });
  });

  test("a gradient check can fail: a wrong derivative is reported", () => {
    // guards the harness: a layer whose apply hides its params from autodiff must be caught
    const inner = nn.dense(2);
    const broken = nn.defineLayer<"dense", { units: 2; useBias: true }>({
      kind: "dense",
      name: "broken",
      config: { units: 2, useBias: true },
      outputShape: (s) => [s[0], 2],
      init: (kk, s) => inner.init(kk, s) as nn.TensorRecord,
      apply: (p, v) => inner.apply({ kernel: stopGradient(p.kernel), bias: p.bias }, v)[0],
    });
    const m = (nn.input([2, 3]) as any).add(broken);
    const k = key(0);
    const params = m.init(k);
    const x = input([2, 3]);
    expect(() => checkGrads((p: unknown, v: AnyTensor) => m.apply(p, v), [params, x])).toThrow(/kernel/);
    disposeTree(k, params, x);
  });
});

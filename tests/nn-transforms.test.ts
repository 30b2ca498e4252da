// Models compose with the transforms: vmap(model.apply) over a batch, grad with respect to the
// param tree, jit(model.apply), per-example gradients; and init/apply/summary are leak-free.
import { describe, expect, test } from "vitest";
import * as nn from "../src/nn/index.js";
import { grad, jit, valueAndGrad, vmap, mul, sub, sum, reshape } from "../src/core/index.js";
import { key } from "../src/random/index.js";
import { assertAllClose } from "../src/testing/index.js";
import type { AnyTensor, Tensor } from "../src/tensor/index.js";
import { leaves } from "../src/tree/index.js";
import { disposeTree, input, noLeaks, read, t } from "./nn-helpers.js";

const total = (y: AnyTensor) => sum(y) as unknown as Tensor<[]>;

describe("vmap", () => {
  test("vmap(model.apply) over examples equals the batched model with the same params", () => {
    noLeaks(() => {
      const single = nn.input([4]).add(nn.dense(8)).add(nn.tanh()).add(nn.dense(3));
      const batched = nn.input(["batch", 4]).add(nn.dense(8)).add(nn.tanh()).add(nn.dense(3));
      const k = key(0);
      const params = single.init(k);
      const xs = input([5, 4]);
      const perExample = vmap(single.apply, { inAxes: [null, 0] })(params, xs as never);
      const direct = batched.apply(params, xs as never);
      expect(perExample.shape).toEqual([5, 3]);
      assertAllClose(perExample, direct, { rtol: 1e-5, atol: 1e-6 });
      disposeTree(k, params, xs, perExample, direct);
    });
  });

  test("vmap over groups of batches through conv, pool, batchNorm and dropout layers", () => {
    noLeaks(() => {
      const cnn = nn
        .input(["batch", 6, 6, 2])
        .add(nn.conv2d({ filters: 3, kernel: 3, padding: "same" }))
        .add(nn.relu())
        .add(nn.maxPool2d(2))
        .add(nn.conv2dTranspose({ filters: 2, kernel: 2, strides: 2 }))
        .add(nn.upsampling2d(2))
        .add(nn.globalAvgPool2d())
        .add(nn.dense(4));
      const k = key(1);
      const params = cnn.init(k);
      const groups = input([3, 2, 6, 6, 2]);
      const mapped = vmap((x: AnyTensor) => cnn.apply(params, x as never))(groups);
      const flat = reshape(groups, [6, 6, 6, 2]);
      const direct = cnn.apply(params, flat as never);
      expect(mapped.shape).toEqual([3, 2, 4]);
      assertAllClose(mapped, read(direct), { rtol: 1e-4, atol: 1e-5 });
      disposeTree(k, params, groups, mapped, flat, direct);
    });
  });

  test("per-example gradients: vmap(grad(loss)) equals the gradient of each example alone", () => {
    noLeaks(() => {
      const m = nn.input([3]).add(nn.dense(4)).add(nn.tanh()).add(nn.dense(1));
      const k = key(2);
      const params = m.init(k);
      const xs = input([5, 3], "float32", 4);
      const ys = input([5, 1], "float32", 5);
      const loss = (p: typeof params, x: AnyTensor, y: AnyTensor) =>
        total(mul(sub(m.apply(p, x as never), y), sub(m.apply(p, x as never), y)));
      const perExample = vmap(grad(loss), { inAxes: [null, 0, 0] })(params, xs, ys);
      for (const i of [0, 4]) {
        const rows = [sliceRow(xs, i), sliceRow(ys, i)];
        const xi = reshape(rows[0], [3]);
        const yi = reshape(rows[1], [1]);
        const gi = grad(loss)(params, xi, yi);
        const mapped = leaves(perExample).map((l) => read(l));
        leaves(gi).forEach((g, j) => {
          const n = g.size;
          assertAllClose(mapped[j].slice(i * n, (i + 1) * n), read(g), { rtol: 1e-4, atol: 1e-6, what: `example ${i}, leaf ${j}` });
        });
        disposeTree(rows, xi, yi, gi);
      }
      disposeTree(k, params, xs, ys, perExample);
    });
  });
});

/** Row i of a [n, k] tensor, as [1, k]. */
function sliceRow(x: AnyTensor, i: number): AnyTensor {
  const k = x.shape[1];
  return t(read(x).slice(i * k, (i + 1) * k), [1, k]);
}

describe("grad with respect to the param tree", () => {
  test("has the params' structure, and for sum(x W + b) is W' = X^T 1, b' = batch size", () => {
    noLeaks(() => {
      const m = nn.input(["batch", 3]).add(nn.dense(2));
      const k = key(0);
      const params = m.init(k);
      const x = input([4, 3]);
      const g = grad((p: typeof params) => total(m.apply(p, x as never)))(params);
      expect(Object.keys(g[0]).sort()).toEqual(["bias", "kernel"]);
      expect(g[0].kernel.shape).toEqual([3, 2]);
      const xv = read(x);
      const colSums = [0, 1, 2].map((j) => [0, 1, 2, 3].reduce((a, n) => a + xv[n * 3 + j], 0));
      assertAllClose(
        g[0].kernel,
        colSums.flatMap((v) => [v, v]),
        { rtol: 1e-5 },
      );
      assertAllClose(g[0].bias, [4, 4]);
      disposeTree(k, params, x, g);
    });
  });

  test("through a recurrent model, with a batch-norm state threaded through applyWithState", () => {
    noLeaks(() => {
      const m = nn
        .input(["batch", 3, 2])
        .add(nn.gru(3, { returnSequences: true }))
        .add(nn.batchNorm())
        .add(nn.lstm(2))
        .add(nn.dense(1));
      const k = key(3);
      const params = m.init(k);
      const state = m.initState();
      const x = input([2, 3, 2]);
      const [l, g] = valueAndGrad((p: typeof params) => total(m.applyWithState(p, x as never, { state, training: true })[0]))(params);
      expect(leaves(g).map((t) => t.shape)).toEqual(leaves(params).map((t) => t.shape));
      expect(Number.isFinite(l.item())).toBe(true);
      disposeTree(k, params, state, x, l, g);
    });
  });
});

describe("jit", () => {
  test("jit(model.apply) gives the eager values and traces once per input shape", () => {
    noLeaks(() => {
      const m = nn
        .input(["batch", 8, 8, 1])
        .add(nn.conv2d({ filters: 2, kernel: 3 }))
        .add(nn.relu())
        .add(nn.flatten())
        .add(nn.dense(3));
      const k = key(0);
      const params = m.init(k);
      const f = jit(m.apply);
      const x1 = input([2, 8, 8, 1], "float32", 1);
      const x2 = input([2, 8, 8, 1], "float32", 2);
      const x3 = input([5, 8, 8, 1], "float32", 3);
      const outs = [x1, x2, x3].map((x) => [f(params, x as never), m.apply(params, x as never)]);
      for (const [a, b] of outs) assertAllClose(a, b, { rtol: 1e-5, atol: 1e-6 });
      expect(f.traceCount).toBe(2); // batch 2, then batch 5
      f.dispose();
      disposeTree(k, params, x1, x2, x3, outs);
    });
  });

  test("jit(valueAndGrad(loss)) with dropout: the key is an argument, so new keys do not retrace", () => {
    noLeaks(() => {
      const m = nn.input(["batch", 4]).add(nn.dense(6)).add(nn.relu()).add(nn.dropout(0.5)).add(nn.dense(1));
      const k = key(0);
      const params = m.init(k);
      const x = input([3, 4]);
      const loss = (p: typeof params, v: AnyTensor, kk: typeof k) => total(m.apply(p, v as never, { training: true, key: kk }));
      const step = jit(valueAndGrad(loss));
      const eager = valueAndGrad(loss)(params, x, k);
      const [l1, g1] = step(params, x, k);
      assertAllClose(l1, eager[0], { rtol: 1e-5 });
      for (const [a, b] of leaves(g1).map((t, i) => [t, leaves(eager[1])[i]])) assertAllClose(a, b, { rtol: 1e-5, atol: 1e-6 });
      const k2 = key(9);
      const [l2, g2] = step(params, x, k2);
      expect(step.traceCount).toBe(1);
      expect(l2.item()).not.toBe(l1.item());
      step.dispose();
      disposeTree(k, k2, params, x, eager, l1, g1, l2, g2);
    });
  });
});

describe("memory", () => {
  test("init, initState, apply, applyWithState, summary and paramCount free every temporary", () => {
    const m = nn
      .input(["batch", 6, 6, 1])
      .add(nn.conv2d({ filters: 2, kernel: 3 }))
      .add(nn.batchNorm())
      .add(nn.relu())
      .add(nn.maxPool2d(2))
      .add(nn.flatten())
      .add(nn.dropout(0.2))
      .add(nn.residual(nn.dense(8), nn.tanh()))
      .add(nn.dense(8))
      .add(nn.concatBranches(nn.dense(2), [nn.dense(2), nn.relu()]));
    noLeaks(() => {
      const k = key(0);
      const params = m.init(k);
      expect(leaves(params).length).toBe(12); // conv, batchNorm, residual dense, dense, two branch denses
      disposeTree(params);
      const state = m.initState();
      const x = input([2, 6, 6, 1]);
      const p2 = m.init(k);
      const y = m.apply(p2, x as never, { state });
      const [yt, st] = m.applyWithState(p2, x as never, { state, training: true, key: k });
      m.summary();
      m.paramCount();
      disposeTree(k, state, x, p2, y, yt, st);
    });
  });

  test("a failing apply frees what it made before the error", () => {
    const m = nn
      .input(["batch", "H", "W", 1])
      .add(nn.conv2d({ filters: 2, kernel: 3 }))
      .add(nn.conv2d({ filters: 2, kernel: 3 }));
    noLeaks(() => {
      const k = key(0);
      const params = m.init(k);
      const x = input([1, 4, 4, 1]);
      expect(() => m.apply(params, x as never)).toThrow(
        'conv2d(2, 3x3): height: input 2 is smaller than the effective kernel 3 (padding "valid") (input [1, 2, 2, 2], filter [3, 3, 2, 2])',
      );
      disposeTree(k, params, x);
    });
  });
});

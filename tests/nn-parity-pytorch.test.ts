// Known values from PyTorch for the options that reproduce its conventions: GELU's tanh
// approximation, conv2dTranspose's outputPadding and dilations, conv1d's "causal" padding with
// groups, pools' ceilMode and countIncludePad, batchNorm over axis 1 with PyTorch's momentum and
// unbiased running variance, layerNorm over two axes, RMSprop with eps outside the root. Values and
// gradients come from tests/reference/pytorch-parity.py (torch, float64), stored beside it as JSON;
// the inputs are the same formula here and there.
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import * as nn from "../src/nn/index.js";
import * as optim from "../src/optim/index.js";
import { grad, mul, sum } from "../src/core/index.js";
import { key } from "../src/random/index.js";
import { assertAllClose } from "../src/testing/index.js";
import type { AnyTensor, Tensor } from "../src/tensor/index.js";
import { disposeTree, noLeaks, t } from "./nn-helpers.js";

interface Reference {
  readonly torch: string;
  readonly gelu: { x: number[]; none: number[]; tanh: number[] };
  readonly conv2dTranspose: { shape: number[]; y: number[]; dx: number[]; dw: number[]; db: number[] };
  readonly conv1dCausal1: { shape: number[]; y: number[]; dx: number[]; dw: number[] };
  readonly conv1dCausal2: { shape: number[]; y: number[]; dx: number[]; dw: number[] };
  readonly pools: Record<string, { shape: number[]; y: number[]; dx: number[] }>;
  readonly batchNorm: { gamma: number[]; beta: number[]; steps: { y: number[]; mean: number[]; variance: number[] }[]; eval: number[] };
  readonly layerNorm: { gamma: number[]; beta: number[]; y: number[]; dx: number[]; dgamma: number[]; dbeta: number[] };
  readonly rmsprop: Record<string, number[][]>;
}

const torch = JSON.parse(readFileSync(new URL("./reference/pytorch-parity.json", import.meta.url), "utf8")) as Reference;

/** The script's inputs: scale * sin(a * i + b) over the flat index i. */
function seq(shape: readonly number[], a: number, b: number, scale = 1): number[] {
  const n = shape.reduce((x, y) => x * y, 1);
  return Array.from({ length: n }, (_, i) => scale * Math.sin(a * i + b));
}
const tseq = (shape: readonly number[], a: number, b: number, scale = 1): AnyTensor => t(seq(shape, a, b, scale), shape);

const close = { rtol: 1e-4, atol: 1e-5 };

/** A one-layer model's output and the gradients of sum(y * r) for the input and the params, against torch's. */
function checkLayer(
  what: string,
  layer: nn.Layer,
  x: AnyTensor,
  params: Record<string, AnyTensor>,
  r: (shape: readonly number[]) => AnyTensor,
  expected: { shape: number[]; y: number[]; dx: number[] } & Record<string, number[]>,
  paramGrads: Record<string, string> = {},
): void {
  const m = (nn.input([...x.shape]) as any).add(layer);
  const y = m.apply([params], x) as AnyTensor;
  expect(y.shape, `${what}: shape`).toEqual(expected.shape);
  assertAllClose(y, expected.y, { ...close, what });
  const w = r(y.shape);
  const [dp, dx] = grad((p: unknown, v: AnyTensor) => sum(mul(m.apply(p, v), w)) as Tensor<[]>, { argnums: [0, 1] })([params], x) as [
    Record<string, AnyTensor>[],
    AnyTensor,
  ];
  assertAllClose(dx, expected.dx, { ...close, what: `${what}: d/dx` });
  for (const [key, ref] of Object.entries(paramGrads)) assertAllClose(dp[0][key], expected[ref], { ...close, what: `${what}: d/d${key}` });
  disposeTree(y, w, dp, dx);
}

describe(`known values from PyTorch ${torch.torch}`, () => {
  test("GELU: exact by default (torch's approximate='none'), tanh approximation on request", () => {
    noLeaks(() => {
      const x = t(torch.gelu.x, [torch.gelu.x.length]) as Tensor<[17]>;
      const exact = nn.activations.gelu(x);
      const tanh = nn.activations.gelu(x, { approximate: "tanh" });
      assertAllClose(exact, torch.gelu.none, { ...close, what: "gelu" });
      assertAllClose(tanh, torch.gelu.tanh, { ...close, what: "gelu tanh" });
      // the two forms differ, by up to ~5e-4 here: a test of one cannot pass with the other
      const gap = Math.max(...torch.gelu.none.map((v, i) => Math.abs(v - torch.gelu.tanh[i])));
      expect(gap).toBeGreaterThan(1e-4);
      const m = nn.input([17]).add(nn.gelu({ approximate: "tanh" }));
      const y = m.apply([{}], x);
      assertAllClose(y, torch.gelu.tanh, { ...close, what: "nn.gelu({ approximate: 'tanh' })" });
      disposeTree(x, exact, tanh, y);
    });
  });

  test("conv2dTranspose: strides [2, 3], padding 1 / 0, dilations [2, 1], outputPadding [1, 2] (torch's ConvTranspose2d)", () => {
    noLeaks(() => {
      const ref = torch.conv2dTranspose;
      const layer = nn.conv2dTranspose({
        filters: 3,
        kernel: [3, 2],
        strides: [2, 3],
        dilations: [2, 1],
        padding: [
          [1, 1],
          [0, 0],
        ],
        outputPadding: [1, 2],
      });
      const x = tseq([1, 3, 4, 2], 0.37, 0.1);
      const params = { kernel: tseq([3, 2, 3, 2], 0.53, 0.2, 0.5), bias: tseq([3], 0.7, 0.3, 0.1) };
      expect(layer.outputShape([1, 3, 4, 2])).toEqual(ref.shape);
      checkLayer("conv2dTranspose", layer, x, params, (s) => tseq(s, 0.29, 0.4), ref, { kernel: "dw", bias: "db" });
      disposeTree(x, params);
    });
  });

  for (const strides of [1, 2] as const) {
    test(`conv1d: padding "causal", dilations 2, groups 2, strides ${strides} (torch: left-pad (k - 1) * d, then conv1d)`, () => {
      noLeaks(() => {
        const ref = strides === 1 ? torch.conv1dCausal1 : torch.conv1dCausal2;
        const layer = nn.conv1d({ filters: 4, kernel: 3, dilations: 2, groups: 2, strides, padding: "causal", useBias: false });
        const x = tseq([2, 7, 4], 0.41, 0.2);
        const params = { kernel: tseq([3, 2, 4], 0.61, 0.1, 0.5) };
        checkLayer("conv1d causal", layer, x, params, (s) => tseq(s, 0.23, 0.5), ref, { kernel: "dw" });
        disposeTree(x, params);
      });
    });
  }

  const pools: [string, nn.Layer][] = [
    ["maxCeil", nn.maxPool2d({ window: 3, strides: 2, padding: 1, ceilMode: true })],
    ["avgCeilIncl", nn.avgPool2d({ window: 3, strides: 2, padding: 1, ceilMode: true, countIncludePad: true })],
    ["avgCeilExcl", nn.avgPool2d({ window: 3, strides: 2, padding: 1, ceilMode: true })],
    ["avgIncl", nn.avgPool2d({ window: 3, strides: 1, padding: 1, countIncludePad: true })],
    ["avgCeilNoPad", nn.avgPool2d({ window: [2, 3], strides: 2, ceilMode: true, countIncludePad: true })],
    ["maxCeilNoPad", nn.maxPool2d({ window: [2, 3], strides: 2, ceilMode: true })],
  ];
  for (const [name, layer] of pools) {
    test(`pools: ${layer.name} ${JSON.stringify(layer.config)} (torch's ${name})`, () => {
      noLeaks(() => {
        const x = tseq([2, 7, 6, 2], 0.77, 0.3);
        expect(layer.outputShape([2, 7, 6, 2])).toEqual(torch.pools[name].shape);
        checkLayer(layer.name, layer, x, {}, (s) => tseq(s, 0.31, 0.2), torch.pools[name]);
        disposeTree(x);
      });
    });
  }

  test("batchNorm { axis: 1, momentum: 0.9, epsilon: 1e-5, runningVariance: 'unbiased' } is torch's BatchNorm1d(3) on [N, C, L]", () => {
    noLeaks(() => {
      const ref = torch.batchNorm;
      const m = nn.input([4, 3, 5]).add(nn.batchNorm({ axis: 1, momentum: 0.9, epsilon: 1e-5, runningVariance: "unbiased" }));
      const params: [{ gamma: Tensor<[3]>; beta: Tensor<[3]> }] = [
        { gamma: t(ref.gamma, [3]) as Tensor<[3]>, beta: t(ref.beta, [3]) as Tensor<[3]> },
      ];
      let state = m.initState();
      const inputs: [number, number][] = [
        [0.43, 0.1],
        [0.57, 0.7],
      ];
      inputs.forEach(([a, b], i) => {
        const x = t(
          seq([4, 3, 5], a, b, 2).map((v) => v + 0.5 * i),
          [4, 3, 5],
        );
        const [y, next] = m.applyWithState(params, x as never, { state, training: true });
        assertAllClose(y, ref.steps[i].y, { ...close, what: `training step ${i}` });
        assertAllClose(next[0].mean, ref.steps[i].mean, { ...close, what: `running mean ${i}` });
        assertAllClose(next[0].variance, ref.steps[i].variance, { ...close, what: `running variance ${i}` });
        disposeTree(x, y, state);
        state = next;
      });
      const x = tseq([4, 3, 5], 0.33, 0.9);
      const y = m.apply(params, x as never, { state });
      assertAllClose(y, ref.eval, { ...close, what: "eval" });
      disposeTree(params, state, x, y);
    });
  });

  test("batchNorm's default running variance is the biased one (Keras): it differs from torch's", () => {
    noLeaks(() => {
      const m = nn.input([4, 3, 5]).add(nn.batchNorm({ axis: 1, momentum: 0.9, epsilon: 1e-5 }));
      const k = key(0);
      const params = m.init(k);
      const state = m.initState();
      const x = t(seq([4, 3, 5], 0.43, 0.1, 2), [4, 3, 5]);
      const [y, next] = m.applyWithState(params, x as never, { state, training: true });
      // n = 20 values per channel: unbiased = biased * 20 / 19, on the (1 - momentum) share
      const unbiased = torch.batchNorm.steps[0].variance;
      const biased = Array.from(next[0].variance.dataSync());
      biased.forEach((v, j) => expect(v).toBeCloseTo(0.9 + ((unbiased[j] - 0.9) * 19) / 20, 5));
      disposeTree(k, params, state, x, y, next);
    });
  });

  test("layerNorm { axes: [-2, -1] } is torch's LayerNorm([3, 4]): values and gradients", () => {
    noLeaks(() => {
      const ref = torch.layerNorm;
      const x = tseq([2, 3, 4], 0.51, 0.3, 2);
      const params = { gamma: t(ref.gamma, [3, 4]), beta: t(ref.beta, [3, 4]) };
      const expected = { shape: [2, 3, 4], ...ref };
      checkLayer("layerNorm", nn.layerNorm({ axes: [-2, -1] }), x, params, (s) => tseq(s, 0.27, 0.1), expected, {
        gamma: "dgamma",
        beta: "dbeta",
      });
      disposeTree(x, params);
    });
  });

  for (const momentum of [0, 0.9]) {
    test(`rmsprop(0.01, { decay: 0.9, eps: 1e-3, epsInSqrt: false${momentum ? ", momentum: 0.9" : ""} }) is torch's RMSprop`, () => {
      noLeaks(() => {
        // the options type takes epsInSqrt (with and without momentum)
        const opt: optim.GradientTransformation<any> = momentum
          ? optim.rmsprop(0.01, { decay: 0.9, eps: 1e-3, epsInSqrt: false, momentum })
          : optim.rmsprop(0.01, { decay: 0.9, eps: 1e-3, epsInSqrt: false });
        let p = tseq([5], 0.3, 0.2);
        let state: unknown = opt.init(p);
        torch.rmsprop[`momentum${momentum === 0 ? "0.0" : momentum}`].forEach((expected, step) => {
          const g = tseq([5], 0.7 + 0.1 * step, 0.5 * step);
          const [u, next] = opt.update(g, state, p);
          const np = optim.applyUpdates(p, u);
          assertAllClose(np, expected, { rtol: 1e-5, atol: 1e-6, what: `step ${step}` });
          disposeTree(g, u, p, state);
          [p, state] = [np, next];
        });
        disposeTree(p, state);
      });
    });
  }
});

// Errors, word for word: shape mistakes found while building a model (the same text tsc prints,
// for callers without types), bad configs, wrong keys, wrong inputs, and size errors that can
// only show at apply time (symbolic dims).
import { describe, expect, test } from "vitest";
import * as nn from "../src/nn/index.js";
import { key } from "../src/random/index.js";
import { tensor } from "../src/tensor/index.js";
import { disposeTree, input, noLeaks } from "./nn-helpers.js";

/** The exact message, thrown as one of the library's errors (ShapeError, DTypeError, ValueError: they carry op, expected, got). */
function libraryError(message: string) {
  return expect.objectContaining({ message, op: expect.any(String), expected: expect.any(String), got: expect.any(String) });
}

/** Builders without types, as a JS caller (or a cast) would use them. */
const untyped = nn as any;

describe("shape mistakes while building a model: the compile-time text, at run time", () => {
  const table: [string, () => unknown, string][] = [
    [
      "conv2d on a flat input",
      () => untyped.input(["batch", 784]).add(nn.conv2d({ filters: 32, kernel: 3 })),
      "conv2d(32, 3x3) expects [batch, H, W, C], got [batch, 784]",
    ],
    [
      "conv2d kernel larger than the input",
      () => untyped.input(["batch", 2, 2, 1]).add(nn.conv2d({ filters: 32, kernel: 3 })),
      'conv2d(32, 3x3): height: input 2 is smaller than the effective kernel 3 (padding "valid") (input [batch, 2, 2, 1], filter [3, 3, 1, 32])',
    ],
    [
      "dilated conv2d wider than the input",
      () => untyped.input([1, 8, 4, 1]).add(nn.conv2d({ filters: 2, kernel: 3, dilations: 2 })),
      'conv2d(2, 3x3): width: input 4 is smaller than the effective kernel 5 (padding "valid") (input [1, 8, 4, 1], filter [3, 3, 1, 2])',
    ],
    [
      "conv2d groups that do not divide the channels",
      () => untyped.input(["batch", 5, 5, 3]).add(nn.conv2d({ filters: 4, kernel: 1, groups: 2 })),
      "conv2d(4, 1x1): 3 input channels do not split into 2 groups (input [batch, 5, 5, 3])",
    ],
    [
      "conv1d on an image",
      () => untyped.input(["batch", 28, 28, 1]).add(nn.conv1d({ filters: 4, kernel: 3 })),
      "conv1d(4, 3) expects [batch, W, C], got [batch, 28, 28, 1]",
    ],
    [
      "conv1d longer than the series",
      () => untyped.input(["batch", 4, 2]).add(nn.conv1d({ filters: 4, kernel: 5 })),
      'conv1d(4, 5): width: input 4 is smaller than the effective kernel 5 (padding "valid") (input [batch, 4, 2], filter [5, 2, 4])',
    ],
    [
      "conv2dTranspose padding that crops the whole output",
      () =>
        untyped.input(["batch", 1, 3, 2]).add(
          nn.conv2dTranspose({
            filters: 2,
            kernel: 2,
            padding: [
              [1, 1],
              [0, 0],
            ],
          }),
        ),
      "conv2dTranspose(2, 2x2): height: padding [1, 1] crops all of the full output 2 (input [batch, 1, 3, 2], filter [2, 2, 2, 2])",
    ],
    [
      "conv1d whose causal padding is too short for the dilated kernel",
      () => untyped.input(["batch", 2, 2]).add(nn.conv1d({ filters: 4, kernel: 3, dilations: 2, padding: [2, 0] })),
      "conv1d(4, 3): width: padded input 4 is smaller than the effective kernel 5 (input [batch, 2, 2], filter [3, 2, 4])",
    ],
    [
      "maxPool2d after flatten",
      () => untyped.input(["batch", 4, 4, 1]).add(nn.flatten()).add(nn.maxPool2d(2)),
      "maxPool2d(2x2) expects [batch, H, W, C], got [batch, 16]",
    ],
    [
      "maxPool2d window too large",
      () => untyped.input(["batch", 1, 4, 1]).add(nn.maxPool2d(2)),
      'maxPool2d(2x2): height: input 1 is smaller than the effective kernel 2 (padding "valid") (input [batch, 1, 4, 1], window [2, 2])',
    ],
    [
      "avgPool1d window too large",
      () => untyped.input(["batch", 2, 3]).add(nn.avgPool1d(3)),
      'avgPool1d(3): width: input 2 is smaller than the effective kernel 3 (padding "valid") (input [batch, 2, 3], window [3])',
    ],
    [
      "globalAvgPool2d on a sequence",
      () => untyped.input(["batch", 10, 3]).add(nn.globalAvgPool2d()),
      "globalAvgPool2d expects [batch, H, W, C], got [batch, 10, 3]",
    ],
    [
      "upsampling2d on a vector",
      () => untyped.input(["batch", 10]).add(nn.upsampling2d(2)),
      "upsampling2d(2x2) expects [batch, H, W, C], got [batch, 10]",
    ],
    [
      "conv2dTranspose on a vector",
      () => untyped.input(["batch", 10]).add(nn.conv2dTranspose({ filters: 2, kernel: 3 })),
      "conv2dTranspose(2, 3x3) expects [batch, H, W, C], got [batch, 10]",
    ],
    [
      "lstm on an image",
      () => untyped.input(["batch", 28, 28, 1]).add(nn.lstm(8)),
      "lstm(8) expects [batch, time, features], got [batch, 28, 28, 1]",
    ],
    [
      "reshape to the wrong size",
      () => untyped.input(["batch", 12]).add(nn.reshape([5, 2])),
      "reshape([5, 2]): cannot reshape [12] (12 elements per example) into [5, 2]",
    ],
    [
      "residual that changes the shape",
      () => untyped.input(["batch", 32]).add(nn.residual(nn.dense(32), nn.relu(), nn.dense(64))),
      "residual: the inner layers map [batch, 32] to [batch, 64]; a residual block must keep the shape",
    ],
    [
      "residual with a mistake inside",
      () => untyped.input(["batch", 32]).add(nn.residual(nn.maxPool2d(2))),
      "in residual: maxPool2d(2x2) expects [batch, H, W, C], got [batch, 32]",
    ],
    [
      "chain with a mistake inside",
      () => untyped.input(["batch", 32]).add(nn.chain(nn.dense(4), nn.conv1d({ filters: 2, kernel: 2 }))),
      "in chain: conv1d(2, 2) expects [batch, W, C], got [batch, 4]",
    ],
    [
      "branches that disagree off the last axis",
      () => untyped.input(["batch", 6, 3]).add(nn.concatBranches(nn.dense(2), nn.globalAvgPool1d())),
      "concatBranches: all shapes need rank 3, got [batch, 6, 2] and [batch, 3]",
    ],
    [
      "a mistake inside a branch",
      () => untyped.input(["batch", 6]).add(nn.concatBranches(nn.dense(2), [nn.dense(3), nn.flatten(), nn.lstm(2)])),
      "in branch 1: lstm(2) expects [batch, time, features], got [batch, 3]",
    ],
    [
      "sequential: the first layer that does not fit",
      () => untyped.sequential(nn.input(["batch", 784]), nn.dense(128), nn.relu(), nn.conv2d({ filters: 8, kernel: 3 })),
      "conv2d(8, 3x3) expects [batch, H, W, C], got [batch, 128]",
    ],
    [
      "a factory passed uncalled",
      () => untyped.input(["batch", 4, 4, 1]).add(nn.flatten),
      "add: expected a layer, got a function (call it: nn.flatten(), not nn.flatten)",
    ],
    [
      "an activation passed uncalled: every layer is made by a call",
      () => untyped.input(["batch", 4]).add(nn.relu),
      "add: expected a layer, got a function (call it: nn.relu(), not nn.relu)",
    ],
    [
      "sequential with an uncalled activation",
      () => untyped.sequential(nn.input(["batch", 4]), nn.dense(2), nn.tanh),
      "sequential: argument 2: expected a layer, got a function (call it: nn.tanh(), not nn.tanh)",
    ],
    [
      "sequential with a non-layer",
      () => untyped.sequential(nn.input(["batch", 4]), nn.dense(2), 3),
      "sequential: argument 2: expected a layer, got number",
    ],
    [
      "batchNorm axis out of range",
      () => untyped.input(["batch", 4]).add(nn.batchNorm({ axis: 2 })),
      "batchNorm: axis 2 is out of range for input [batch, 4]",
    ],
    [
      "layerNorm axes out of range",
      () => untyped.input(["batch", 3, 4]).add(nn.layerNorm({ axes: [-4, -1] })),
      "layerNorm: axis -4 is out of range for input [batch, 3, 4]",
    ],
    [
      "layerNorm axes out of order",
      () => untyped.input(["batch", 3, 4]).add(nn.layerNorm({ axes: [-1, 1] })),
      "layerNorm: axes must be distinct and in increasing order, got [-1, 1] (input [batch, 3, 4])",
    ],
  ];
  for (const [name, build, message] of table) test(name, () => expect(build).toThrow(libraryError(message)));

  test("symbolic dims keep their names in messages; size errors on them wait for apply", () => {
    expect(() => untyped.input(["batch", "time", 3]).add(nn.flatten()).add(nn.lstm(4))).toThrow(
      libraryError("lstm(4) expects [batch, time, features], got [batch, ?]"),
    );
    // H and W are unknown until apply: a 3x3 window fits some sizes
    const m = nn.input(["batch", "H", "W", 1]).add(nn.conv2d({ filters: 2, kernel: 3 }));
    noLeaks(() => {
      const k = key(0);
      const params = m.init(k);
      const ok = input([1, 5, 5, 1]);
      const bad = input([1, 2, 5, 1]);
      const y = m.apply(params, ok as never);
      expect(y.shape).toEqual([1, 3, 3, 2]);
      expect(() => m.apply(params, bad as never)).toThrow(
        libraryError(
          'conv2d(2, 3x3): height: input 2 is smaller than the effective kernel 3 (padding "valid") (input [1, 2, 5, 1], filter [3, 3, 1, 2])',
        ),
      );
      disposeTree(k, params, ok, bad, y);
    });
  });
});

describe("bad configs fail when the layer is made", () => {
  const table: [string, () => unknown, string][] = [
    ["dense(0)", () => untyped.dense(0), "dense: units must be a positive integer, got 0"],
    ["dense(-3)", () => untyped.dense(-3), "dense: units must be a positive integer, got -3"],
    ["dense(2.5)", () => untyped.dense(2.5), "dense: units must be a positive integer, got 2.5"],
    ["conv2d filters 0", () => untyped.conv2d({ filters: 0, kernel: 3 }), "conv2d: filters must be a positive integer, got 0"],
    [
      "conv2d kernel 0",
      () => untyped.conv2d({ filters: 2, kernel: 0 }),
      "conv2d: kernel must be a positive integer or [h, w] of positive integers, got 0",
    ],
    [
      "conv2d strides [1, 0]",
      () => untyped.conv2d({ filters: 2, kernel: 3, strides: [1, 0] }),
      "conv2d: strides must be a positive integer or [h, w] of positive integers, got [1, 0]",
    ],
    [
      "conv2d padding 'full'",
      () => untyped.conv2d({ filters: 2, kernel: 3, padding: "full" }),
      'conv2d: padding must be "same", "valid", a non-negative integer or [[top, bottom], [left, right]], got "full"',
    ],
    [
      "conv2d filters not divisible by groups",
      () => untyped.conv2d({ filters: 3, kernel: 3, groups: 2 }),
      "conv2d: 3 filters do not split into 2 groups",
    ],
    ["conv2d without options", () => untyped.conv2d(32), "conv2d: expected options { filters, kernel, ... }, got 32"],
    [
      "conv2d with the old name dilation",
      () => untyped.conv2d({ filters: 2, kernel: 3, dilation: 2 }),
      'conv2d: unknown option "dilation" (options: filters, kernel, strides, padding, dilations, groups, useBias, kernelInit, biasInit)',
    ],
    [
      "conv1d with the old name stride",
      () => untyped.conv1d({ filters: 2, kernel: 3, stride: 2 }),
      'conv1d: unknown option "stride" (options: filters, kernel, strides, padding, dilations, groups, useBias, kernelInit, biasInit)',
    ],
    [
      "conv1d with 2-D padding",
      () =>
        untyped.conv1d({
          filters: 2,
          kernel: 3,
          padding: [
            [1, 1],
            [0, 0],
          ],
        }),
      'conv1d: padding must be "same", "valid", "causal", a non-negative integer or [before, after], got [[1, 1], [0, 0]]',
    ],
    [
      "conv2dTranspose with groups",
      () => untyped.conv2dTranspose({ filters: 2, kernel: 3, groups: 2 }),
      'conv2dTranspose: unknown option "groups" (options: filters, kernel, strides, padding, dilations, outputPadding, useBias, kernelInit, biasInit)',
    ],
    [
      "conv1d dilations 0",
      () => untyped.conv1d({ filters: 2, kernel: 3, dilations: 0 }),
      "conv1d: dilations must be a positive integer, got 0",
    ],
    [
      "conv2dTranspose filters -1",
      () => untyped.conv2dTranspose({ filters: -1, kernel: 3 }),
      "conv2dTranspose: filters must be a positive integer, got -1",
    ],
    ["maxPool2d(0)", () => untyped.maxPool2d(0), "maxPool2d: window must be a positive integer or [h, w] of positive integers, got 0"],
    [
      "maxPool2d padding as large as the window",
      () =>
        untyped.maxPool2d({
          window: [2, 3],
          padding: [
            [0, 0],
            [3, 0],
          ],
        }),
      "maxPool2d: padding must be non-negative integers smaller than the window [2, 3], got [[0, 0], [3, 0]]",
    ],
    [
      "maxPool1d with the old name stride",
      () => untyped.maxPool1d({ window: 2, stride: 1 }),
      'maxPool1d: unknown option "stride" (options: window, strides, padding, ceilMode)',
    ],
    ["avgPool1d strides 0", () => untyped.avgPool1d({ window: 2, strides: 0 }), "avgPool1d: strides must be a positive integer, got 0"],
    [
      "avgPool1d without a window",
      () => untyped.avgPool1d({ strides: 2 }),
      'avgPool1d: expected a window (a number or { window, strides?, padding? }), got {"strides":2}',
    ],
    [
      "upsampling2d(0)",
      () => untyped.upsampling2d(0),
      "upsampling2d: factor must be a positive integer or [h, w] of positive integers, got 0",
    ],
    ["maxout(4, 0)", () => untyped.maxout(4, 0), "maxout: pieces must be a positive integer, got 0"],
    ["dropout(1)", () => untyped.dropout(1), "dropout: rate must be in [0, 1), got 1"],
    ["dropout(-0.1)", () => untyped.dropout(-0.1), "dropout: rate must be in [0, 1), got -0.1"],
    ["lstm(0)", () => untyped.lstm(0), "lstm: units must be a positive integer, got 0"],
    ["embedding(0, 3)", () => untyped.embedding(0, 3), "embedding: vocabulary must be a positive integer, got 0"],
    ["batchNorm momentum 1", () => untyped.batchNorm({ momentum: 1 }), "batchNorm: momentum must be in [0, 1), got 1"],
    ["input with a fractional dim", () => untyped.input([2, 1.5]), "input: dim 1 must be a non-negative integer or a name, got 1.5"],
    ["residual of a non-layer", () => untyped.residual(nn.dense(2), "relu"), "residual: argument 1: expected a layer, got string"],
    [
      "a factory passed uncalled to a combinator",
      () => untyped.chain(nn.dense(2), nn.relu),
      "chain: argument 1: expected a layer, got a function (call it: nn.relu(), not nn.relu)",
    ],
    ["concatBranches of nothing", () => untyped.concatBranches(), "concatBranches: needs at least one branch"],
    // the parity options (PyTorch / Keras conventions)
    ["gelu approximate true", () => untyped.gelu({ approximate: true }), 'nn.gelu: approximate must be "none" or "tanh", got true'],
    ["gelu with a misspelt option", () => untyped.gelu({ approx: "tanh" }), 'nn.gelu: unknown option "approx" (options: approximate)'],
    [
      "conv1d padding 'full'",
      () => untyped.conv1d({ filters: 2, kernel: 3, padding: "full" }),
      'conv1d: padding must be "same", "valid", "causal", a non-negative integer or [before, after], got "full"',
    ],
    [
      "conv2d padding 'causal' (conv1d's alone)",
      () => untyped.conv2d({ filters: 2, kernel: 3, padding: "causal" }),
      'conv2d: padding must be "same", "valid", a non-negative integer or [[top, bottom], [left, right]], got "causal"',
    ],
    [
      "conv2dTranspose outputPadding as large as the stride",
      () => untyped.conv2dTranspose({ filters: 2, kernel: 3, strides: 2, padding: 1, outputPadding: 2 }),
      "conv2dTranspose: outputPadding must be smaller than max(strides, dilations) [2, 2] per axis, got 2",
    ],
    [
      "conv2dTranspose outputPadding -1",
      () => untyped.conv2dTranspose({ filters: 2, kernel: 3, strides: 2, outputPadding: [0, -1] }),
      "conv2dTranspose: outputPadding must be a non-negative integer or [h, w] of non-negative integers, got [0, -1]",
    ],
    [
      "conv2dTranspose outputPadding with 'same'",
      () => untyped.conv2dTranspose({ filters: 2, kernel: 3, strides: 2, padding: "same", outputPadding: 1 }),
      'conv2dTranspose: outputPadding needs "valid" or explicit padding ("same" fixes the output at H * strides), got 1',
    ],
    ["maxPool2d ceilMode 1", () => untyped.maxPool2d({ window: 2, ceilMode: 1 }), "maxPool2d: ceilMode must be true or false, got 1"],
    [
      "maxPool2d countIncludePad (an average pool's option)",
      () => untyped.maxPool2d({ window: 2, countIncludePad: true }),
      'maxPool2d: unknown option "countIncludePad" (options: window, strides, padding, ceilMode)',
    ],
    [
      "avgPool1d countIncludePad 'yes'",
      () => untyped.avgPool1d({ window: 2, countIncludePad: "yes" }),
      'avgPool1d: countIncludePad must be true or false, got "yes"',
    ],
    ["batchNorm axis 1.5", () => untyped.batchNorm({ axis: 1.5 }), "batchNorm: axis must be an integer, got 1.5"],
    ["batchNorm axis [1, 2]", () => untyped.batchNorm({ axis: [1, 2] }), "batchNorm: axis must be an integer, got [1, 2]"],
    ["batchNorm center 0", () => untyped.batchNorm({ center: 0 }), "batchNorm: center must be true or false, got 0"],
    [
      "batchNorm runningVariance 'sample'",
      () => untyped.batchNorm({ runningVariance: "sample" }),
      'batchNorm: runningVariance must be "biased" or "unbiased", got "sample"',
    ],
    [
      "batchNorm with PyTorch's option name eps",
      () => untyped.batchNorm({ eps: 1e-5 }),
      'batchNorm: unknown option "eps" (options: momentum, epsilon, axis, center, scale, runningVariance)',
    ],
    [
      "layerNorm axes []",
      () => untyped.layerNorm({ axes: [] }),
      "layerNorm: axes must be an integer or a non-empty list of integers, got []",
    ],
    ["layerNorm epsilon -1", () => untyped.layerNorm({ epsilon: -1 }), "layerNorm: epsilon must be a non-negative number, got -1"],
    [
      "layerNorm with Keras' option name axis",
      () => untyped.layerNorm({ axis: -1 }),
      'layerNorm: unknown option "axis" (options: epsilon, axes, center, scale)',
    ],
  ];
  for (const [name, make, message] of table) test(name, () => expect(make).toThrow(libraryError(message)));
});

describe("init and apply check what they are given", () => {
  const m = nn.input(["batch", 4]).add(nn.dense(3)).add(nn.dropout(0.5));

  test("init needs a PRNG key", () => {
    expect(() => m.init(5 as never)).toThrow(libraryError("init: expected a PRNG key from key(seed) or split(...), got the number 5"));
    noLeaks(() => {
      const floatKey = tensor([0, 1], [2]);
      expect(() => m.init(floatKey as never)).toThrow(
        libraryError("init: expected a PRNG key from key(seed) or split(...), got Tensor<[2], float32>"),
      );
      floatKey.dispose();
    });
  });

  test("init needs literal feature sizes", () => {
    const sym = nn.input(["batch", "features"]).add(nn.dense(3));
    noLeaks(() => {
      const k = key(0);
      expect(() => sym.init(k)).toThrow(
        libraryError(
          "init: dense(3) needs a known size for the last dim of its input [batch, features]; give it as a number in nn.input(...)",
        ),
      );
      k.dispose();
    });
  });

  test("apply checks the input shape and dtype, the params, and the key dropout needs", () => {
    noLeaks(() => {
      const k = key(0);
      const params = m.init(k);
      const wrong = input([2, 5]);
      const ids = input([2, 4], "int32");
      const x = input([2, 4]);
      expect(() => m.apply(params, wrong as never)).toThrow(libraryError("apply: expected input [batch, 4], got [2, 5]"));
      expect(() => m.apply(params, ids as never)).toThrow(libraryError("apply: expected a float32 input, got int32"));
      expect(() => m.apply([params[0]] as never, x as never)).toThrow(
        libraryError("apply: expected params for 2 layers (from model.init), got 1"),
      );
      expect(() => m.apply(params, x as never, { training: true })).toThrow(
        libraryError("apply: training mode with dropout needs a PRNG key: apply(params, x, { training: true, key })"),
      );
      disposeTree(k, params, wrong, ids, x);
    });
  });

  test("batchNorm in eval mode needs the running statistics", () => {
    const bn = nn.input(["batch", 2]).add(nn.batchNorm());
    noLeaks(() => {
      const k = key(0);
      const params = bn.init(k);
      const x = input([3, 2]);
      expect(() => bn.apply(params, x as never)).toThrow(
        libraryError("batchNorm: eval mode needs the running statistics: pass { state } from model.initState() or training"),
      );
      disposeTree(k, params, x);
    });
  });

  test("embedding needs int32 ids", () => {
    const emb = (nn.input(["batch", 3]) as any).add(nn.embedding(10, 2));
    noLeaks(() => {
      const k = key(0);
      const params = emb.init(k);
      const x = input([2, 3]);
      expect(() => emb.apply(params, x)).toThrow(libraryError("embedding(10, 2): expects int32 ids, got float32"));
      disposeTree(k, params, x);
    });
  });
});

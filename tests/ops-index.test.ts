import { describe, expect, test } from "vitest";
import * as sf from "../src/index.js";
import { liveTensors } from "../src/backend/index.js";
import { grad, vmap } from "../src/core/index.js";
import { add, exp, matmul, mul, sum, tidy } from "../src/ops/index.js";
import { tensor, type Tensor } from "../src/tensor/index.js";

describe("the public surface (src/index.ts)", () => {
  test("exports ops, creation, transforms, backend and namespaces", () => {
    const names = [
      "add",
      "matmul",
      "softmax",
      "logSoftmax",
      "conv2d",
      "maxPool2d",
      "reshape",
      "tidy",
      "stopGradient",
      "tensor",
      "scalar",
      "zeros",
      "ones",
      "fill",
      "arange",
      "linspace",
      "assertShape",
      "withShape",
      "fromArray",
      "Tensor",
      "grad",
      "valueAndGrad",
      "vjp",
      "jvp",
      "vmap",
      "jit",
      "jacrev",
      "jacfwd",
      "hessian",
      "customVjp",
      "init",
      "liveTensors",
    ];
    for (const n of names) expect(typeof (sf as Record<string, unknown>)[n], n).toBe("function");
    for (const ns of ["tree", "random", "nn", "optim", "train", "data", "io", "testing"]) {
      expect(typeof (sf as Record<string, unknown>)[ns], ns).toBe("object");
    }
    // Charts live in the `shapeflow/plot` entry, so a browser bundle of the root never pulls vega.
    expect("plot" in sf).toBe(false);
    expect(typeof sf.tree.map).toBe("function");
  });

  test("a small end-to-end run through the top-level names", () => {
    const x = sf.tensor([1, 2, 3, 4], [2, 2]);
    const g = sf.grad((t: Tensor<[2, 2]>) => sf.sum(sf.square(t)))(x);
    expect(Array.from(g.dataSync())).toEqual([2, 4, 6, 8]);
    [x, g].forEach((t) => t.dispose());
  });
});

describe("tidy", () => {
  test("frees intermediates and keeps every tensor of the returned tree", () => {
    const x = tensor([1, 2, 3], [3]);
    const before = liveTensors();
    const out = tidy(() => {
      const a = exp(x);
      const b = mul(a, 2);
      return { total: sum(b), parts: [a, add(b, 1)], label: "kept as is" };
    });
    expect(liveTensors()).toBe(before + 3);
    expect(out.label).toBe("kept as is");
    expect(out.total.item()).toBeCloseTo(2 * (Math.E + Math.E ** 2 + Math.E ** 3), 3);
    sf.tree.dispose(out);
    expect(liveTensors()).toBe(before);
    x.dispose();
  });

  test("returning an input keeps it alive; throwing frees everything made so far", () => {
    const x = tensor([1, 2], [2]);
    const before = liveTensors();
    const same = tidy(() => {
      exp(x);
      return x;
    });
    expect(same).toBe(x);
    expect(liveTensors()).toBe(before);
    expect(() =>
      tidy(() => {
        exp(x);
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(liveTensors()).toBe(before);
    expect(() => tidy(() => Promise.resolve(1))).toThrow("tidy: fn must be synchronous, got a function that returned a Promise");
    x.dispose();
  });

  test("inside transforms tidy just runs the function", () => {
    const x = tensor([1, 2, 3], [3]);
    const g = grad((t: Tensor<[3]>) => tidy(() => sum(mul(t, t))))(x);
    expect(Array.from(g.dataSync())).toEqual([2, 4, 6]);
    const w = tensor([1, 0, 0, 1, 1, 1], [3, 2]);
    const rows = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const y = vmap((r: Tensor<[3]>) => tidy(() => sum(matmul(sf.reshape(r, [1, 3]), w))))(rows);
    expect(Array.from(y.dataSync())).toEqual([1 + 2 + 3 * 2, 4 + 5 + 6 * 2]);
    [x, g, w, rows, y].forEach((t) => t.dispose());
  });
});

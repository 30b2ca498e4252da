// The example of src/testing/README.md, verbatim but for the import path: it must keep running.
import { expect, test } from "vitest";
import * as fc from "fast-check";
import { add, customVjp, grad, matmul, mul, sub, sum, tanh, tensor, testing, type Tensor } from "../src/index.js";

const { arbTensor, assertAllClose, assertNoLeaks, checkGrads, numericalGrad, withTensors } = testing;

// The function under test: a dense layer with tanh, summed to a scalar.
const layer = (x: Tensor<[2, 3]>, w: Tensor<[3, 4]>, b: Tensor<[4]>) => sum(tanh(add(matmul(x, w), b)));

test("the layer's first and second derivatives match finite differences", () => {
  fc.assert(
    fc.property(arbTensor([2, 3]), arbTensor([3, 4], { min: -1, max: 1 }), arbTensor([4]), (x, w, b) =>
      // tensors are made inside the property and freed after it
      withTensors([x, w, b], ([x, w, b]) => checkGrads(layer, [x, w, b], { order: 2 })),
    ),
    { numRuns: 5 },
  );
});

test("grad agrees with a full finite-difference gradient and leaks nothing", () => {
  const f = (x: Tensor<[3, 2]>) => sum(mul(tanh(x), x));
  fc.assert(
    fc.property(arbTensor([3, 2]), (v) =>
      withTensors([v], ([x]) =>
        assertNoLeaks(() => {
          const g = grad(f)(x);
          assertAllClose(g, numericalGrad(f, x), { rtol: 1e-3, atol: 1e-4 });
          g.dispose();
        }),
      ),
    ),
    { numRuns: 10 },
  );
});

test("a wrong hand-written gradient is caught and explained", () => {
  // tanh' written as 1 - y instead of 1 - y²
  const myTanh = customVjp(
    (z: Tensor<[2, 4]>) => tanh(z),
    (z: Tensor<[2, 4]>) => {
      const y = tanh(z);
      return [y, y];
    },
    (y, yBar) => [mul(yBar, sub(1, y))],
  );
  const x = tensor([0.5, -1, 0.25, 1, 0.75, -0.5], [2, 3]);
  const w = tensor([0.3, -0.8, 0.5, 1.1, -0.2, 0.7, 0.1, -0.4, 0.6, 0.9, -1, 0.2], [3, 4]);
  const b = tensor([0.1, -0.3, 0.2, 0], [4]);
  expect(() => checkGrads((x: Tensor<[2, 3]>, w: Tensor<[3, 4]>, b: Tensor<[4]>) => sum(myTanh(add(matmul(x, w), b))), [x, w, b])).toThrow(
    /checkGrads: vjp of f .* fails the inner-product identity[^]*inputs to blame \(each fails alone\): args\[0\], args\[1\], args\[2\]/,
  );
  for (const t of [x, w, b]) t.dispose();
});

// Bugs the property tests found, pinned as plain examples so that they stay fixed even on runs
// where fast-check does not draw the case again.
import { describe, expect, test } from "vitest";
import { bind, grad, jit, primitives, vjp, vmap, mul, sum, matmul } from "../src/core/index.js";
import { tensor, zeros, type AnyTensor, type Tensor } from "../src/tensor/index.js";
import { liveTensors } from "../src/backend/index.js";
import { assertAllClose } from "../src/testing/index.js";

const t = (data: number[], shape: number[]) => tensor(data, shape) as AnyTensor;

describe("empty tensors never reach the kernels", () => {
  test("broadcastTo [1] -> [0] has shape [0] (tfjs answers [1])", () => {
    const x = t([5], [1]);
    const y = bind(primitives.broadcastTo, [x], { shape: [0] });
    expect(y.shape).toEqual([0]);
    // and its gradient: the sum of nothing
    const g = grad((z: AnyTensor) => sum(bind(primitives.broadcastTo, [z], { shape: [2, 0] })) as Tensor<[]>)(x);
    assertAllClose(g, [0]);
    for (const z of [x, y, g]) z.dispose();
  });

  test("matmul with inner dim 0 is zeros (WASM left the output uninitialised)", () => {
    const a = zeros([3, 0]) as AnyTensor;
    const b = zeros([0, 2]) as AnyTensor;
    const y = matmul(a, b);
    assertAllClose(y, [0, 0, 0, 0, 0, 0]);
    expect(y.shape).toEqual([3, 2]);
    const j = jit((p: AnyTensor, q: AnyTensor) => matmul(p, q));
    const yj = j(a, b);
    assertAllClose(yj, [0, 0, 0, 0, 0, 0]);
    for (const z of [a, b, y, yj]) z.dispose();
    j.dispose();
  });

  test("sum over an empty axis is 0; max over one is refused", () => {
    const x = zeros([3, 0], "int32") as AnyTensor;
    const s = bind(primitives.sum, [x], { axes: [1], keepDims: true });
    expect(Array.from(s.dataSync())).toEqual([0, 0, 0]);
    expect(() => bind(primitives.max, [x], { axes: [1], keepDims: false })).toThrow(
      "max: cannot reduce axis 1 of size 0 in [3, 0]; the max of nothing is undefined",
    );
    s.dispose();
    x.dispose();
  });

  test("an op whose result is empty under jit is replayed without its kernel", () => {
    const j = jit((p: AnyTensor, q: AnyTensor) => mul(p, q));
    const a = zeros([2, 2]) as AnyTensor;
    const b = zeros([0, 1, 2]) as AnyTensor;
    const y = j(a, b);
    expect(y.shape).toEqual([0, 2, 2]);
    for (const z of [a, b, y]) z.dispose();
    j.dispose();
  });
});

test("matmul broadcasts batch axes that tfjs would flatten first ([2, 2] against [2, 1])", () => {
  const a = t(
    Array.from({ length: 16 }, (_, i) => i - 7),
    [2, 2, 2, 2],
  );
  const b = t([1, 2, 3, 4, -1, 0, 2, 1], [2, 1, 2, 2]);
  const y = matmul(a, b);
  // float64 reference: out[i, j] = a[i, j] @ b[i, 0]
  const expected: number[] = [];
  const A = a.dataSync(),
    B = b.dataSync();
  for (let i = 0; i < 2; i++)
    for (let j = 0; j < 2; j++)
      for (let r = 0; r < 2; r++)
        for (let c = 0; c < 2; c++)
          expected.push(A[(i * 2 + j) * 4 + r * 2] * B[i * 4 + c] + A[(i * 2 + j) * 4 + r * 2 + 1] * B[i * 4 + 2 + c]);
  assertAllClose(y, expected);
  // the batching rule builds exactly such products
  const v = vmap((p: AnyTensor, q: AnyTensor) => matmul(p, q))(a, b) as AnyTensor;
  assertAllClose(v, expected);
  for (const z of [a, b, y, v]) z.dispose();
});

test("slice and pad of a scalar (tfjs refuses both)", () => {
  const x = t([3], []);
  const s = bind(primitives.slice, [x], { begin: [], size: [] });
  const p = bind(primitives.pad, [x], { paddings: [], value: 0 });
  expect(s.item()).toBe(3);
  expect(p.item()).toBe(3);
  for (const z of [x, s, p]) z.dispose();
});

test("vjp's pullback.dispose() frees what vjp made, never a tensor the function closed over", () => {
  const w = t([1, 2, 3], [3]);
  const x = t([4, 5, 6], [3]);
  const before = liveTensors();
  const [y, back] = vjp((z: AnyTensor) => mul(z, w), x);
  const ct = t([1, 1, 1], [3]);
  const [g] = back(ct);
  back.dispose();
  expect(w.isDisposed).toBe(false);
  assertAllClose(g, [1, 2, 3]);
  for (const z of [y, ct, g]) z.dispose();
  expect(liveTensors()).toBe(before);
  w.dispose();
  x.dispose();
});

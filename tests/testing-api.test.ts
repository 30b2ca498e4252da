// The public testing API: arbitraries, tensor lifetimes, comparisons, finite differences, checkGrads.
import { describe, expect, test } from "vitest";
import * as fc from "fast-check";
import * as tf from "@tensorflow/tfjs-core";
import {
  bind,
  customVjp,
  definePrimitive,
  primitives,
  stopGradient,
  type Primitive,
  add,
  cos,
  mul,
  sin,
  square,
  tanh,
  sum,
  matmul,
  gather,
} from "../src/core/index.js";
import { tensor, type AnyTensor, type Tensor } from "../src/tensor/index.js";
import { liveTensors } from "../src/backend/index.js";
import {
  TensorValue,
  arbAxes,
  arbBroadcastablePair,
  arbMatmulPair,
  arbPermutation,
  arbShape,
  arbTensor,
  assertAllClose,
  assertNoLeaks,
  checkGrads,
  numericalGrad,
  numericalJvp,
  toTensors,
  withTensors,
} from "../src/testing/index.js";

const t = (data: number[], shape: number[]) => tensor(data, shape) as AnyTensor;
/** Untyped helpers return AnyTensor; customVjp wants float32 outputs. */
const f32 = (x: AnyTensor) => x as Tensor<number[]>;

describe("arbitraries", () => {
  test("arbShape respects rank and dim bounds; allowEmpty adds some zero dims", () => {
    fc.assert(
      fc.property(arbShape({ minRank: 1, maxRank: 3, minDim: 2, maxDim: 5 }), (s) => {
        expect(s.length).toBeGreaterThanOrEqual(1);
        expect(s.length).toBeLessThanOrEqual(3);
        for (const d of s) expect(d >= 2 && d <= 5).toBe(true);
      }),
      { numRuns: 50 },
    );
    const dims = fc.sample(arbShape({ minRank: 3, maxRank: 3, allowEmpty: true }), 100).flat();
    expect(dims.filter((d) => d === 0).length).toBeGreaterThan(5);
    expect(dims.filter((d) => d > 0).length).toBeGreaterThan(150);
    expect(() => arbShape({ minRank: 2, maxRank: 1 })).toThrow("arbShape: need 0 <= minRank <= maxRank, got 2..1");
  });

  test("arbTensor: size, range, avoided points, distinct values, dtypes", () => {
    fc.assert(
      fc.property(arbTensor(arbShape({ maxRank: 3 }), { min: -1, max: 1, avoid: [0, 0.5], margin: 0.1 }), (v) => {
        expect(v.data.length).toBe(v.shape.reduce((a, b) => a * b, 1));
        expect(v.dtype).toBe("float32");
        for (const x of v.data) {
          expect(x >= -1 - 1e-6 && x <= 1 + 1e-6).toBe(true);
          expect(Math.abs(x) >= 0.1 - 1e-6 && Math.abs(x - 0.5) >= 0.1 - 1e-6).toBe(true);
        }
      }),
      { numRuns: 50 },
    );
    fc.assert(
      fc.property(arbTensor([12], { distinct: true, margin: 0.05 }), (v) => {
        const sorted = Array.from(v.data).sort((a, b) => a - b);
        for (let i = 1; i < sorted.length; i++) expect(sorted[i] - sorted[i - 1]).toBeGreaterThanOrEqual(0.05 - 1e-6);
      }),
      { numRuns: 30 },
    );
    const [ints] = fc.sample(arbTensor([50], { dtype: "int32", min: 0, max: 3 }), 1);
    expect(ints.data).toBeInstanceOf(Int32Array);
    expect(Array.from(ints.data).every((x) => Number.isInteger(x) && x >= 0 && x <= 3)).toBe(true);
    const [bools] = fc.sample(arbTensor([20], { dtype: "bool" }), 1);
    expect(Array.from(bools.data).every((x) => x === 0 || x === 1)).toBe(true);
  });

  test("arbBroadcastablePair: the shapes broadcast (by tfjs' own rule) to the returned output shape", () => {
    fc.assert(
      fc.property(arbBroadcastablePair({ maxRank: 4, maxDim: 3 }), ([a, b, out]) => {
        expect(tf.backend_util.assertAndGetBroadcastShape(a, b)).toEqual(out);
      }),
      { numRuns: 100 },
    );
  });

  test("arbMatmulPair, arbPermutation and arbAxes give valid arguments", () => {
    fc.assert(
      fc.property(arbMatmulPair({ maxBatchRank: 2 }), ([a, b]) => {
        const out = primitives.matmul.abstractEval(
          [
            { shape: a, dtype: "float32" },
            { shape: b, dtype: "float32" },
          ],
          {},
        );
        expect(out.shape.slice(-2)).toEqual([a[a.length - 2], b[b.length - 1]]);
      }),
      { numRuns: 50 },
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5 }).chain((r) => fc.tuple(fc.constant(r), arbPermutation(r), arbAxes(r))),
        ([r, perm, axes]) => {
          expect([...perm].sort()).toEqual(Array.from({ length: r }, (_, i) => i));
          expect(new Set(axes).size).toBe(axes.length);
          expect(axes.every((a) => a >= 0 && a < r)).toBe(true);
        },
      ),
      { numRuns: 50 },
    );
  });

  test("a TensorValue prints its data, so counterexamples are readable", () => {
    const v = new TensorValue([2], Float32Array.from([0.5, -1]), "float32");
    expect(String(v)).toBe("TensorValue([2], float32, [0.5, -1])");
    expect(fc.stringify(v)).toBe("TensorValue([2], float32, [0.5, -1])");
    expect(() => new TensorValue([2, 2], new Float32Array(3), "float32")).toThrow("TensorValue: shape [2, 2] needs 4 values, got 3");
  });
});

describe("tensor lifetimes", () => {
  const a = new TensorValue([3], Float32Array.from([1, 2, 3]), "float32");
  const b = new TensorValue([], Int32Array.from([7]), "int32");

  test("withTensors makes tensors for a tree, runs fn and disposes them", () => {
    const before = liveTensors();
    const r = withTensors({ xs: [a], n: b, label: "static" }, ({ xs, n, label }) => {
      expect(liveTensors()).toBe(before + 2);
      expect(label).toBe("static");
      expect(n.dtype).toBe("int32");
      return Array.from(xs[0].dataSync()).concat(n.item());
    });
    expect(r).toEqual([1, 2, 3, 7]);
    expect(liveTensors()).toBe(before);
  });

  test("withTensors disposes when fn throws, and after a promise settles", async () => {
    const before = liveTensors();
    expect(() =>
      withTensors([a, b], () => {
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(liveTensors()).toBe(before);
    const p = withTensors([a], async ([x]) => {
      await new Promise((r) => setTimeout(r, 1));
      return x.dataSync()[0];
    });
    expect(liveTensors()).toBe(before + 1);
    expect(await p).toBe(1);
    expect(liveTensors()).toBe(before);
  });

  test("toTensors leaves ownership to the caller", () => {
    const [x, y] = toTensors([a, b]);
    expect(x.shape).toEqual([3]);
    expect(y.item()).toBe(7);
    x.dispose();
    y.dispose();
  });

  test("assertNoLeaks passes clean code and reports leaks", () => {
    const x = t([1, 2], [2]);
    assertNoLeaks(() => {
      const y = sin(x);
      y.dispose();
    });
    let leaked: AnyTensor | undefined;
    const before = liveTensors();
    expect(() => assertNoLeaks(() => void (leaked = sin(x)))).toThrow(
      `assertNoLeaks: 1 tensor(s) leaked (live tensors ${before} before, ${before + 1} after)`,
    );
    leaked!.dispose();
    x.dispose();
  });
});

describe("assertAllClose", () => {
  test("passes within tolerance, reports the worst entry otherwise", () => {
    assertAllClose([1, 2, 3], [1, 2, 3 + 1e-6]);
    assertAllClose([[1, 2]], Float32Array.from([1, 2]));
    assertAllClose([NaN, 1], [NaN, 1]);
    expect(() => assertAllClose([1, 2, 3], [1, 2.5, 3.1])).toThrow(
      "value: 2 of 3 values differ beyond atol 0.000001 + rtol 0.00001; worst at flat index 1: got 2, expected 2.5 (|diff| 5.00e-1)",
    );
    expect(() => assertAllClose([NaN], [1], { what: "loss" })).toThrow("loss: 1 of 1 values differ");
    expect(() => assertAllClose([1, 2], [1])).toThrow("value: expected 1 values, got 2");
  });

  test("compares shapes when both sides are tensors", () => {
    const x = t([1, 2, 3, 4], [2, 2]);
    const y = t([1, 2, 3, 4], [4]);
    expect(() => assertAllClose(x, y)).toThrow("value: expected shape [4], got [2, 2]");
    assertAllClose(x, [1, 2, 3, 4]);
    x.dispose();
    y.dispose();
  });
});

describe("finite differences", () => {
  test("numericalGrad matches a closed form (float64) to ~1e-5 relative", () => {
    const xs = [0.3, -1.2, 2, 0.7];
    const x = t(xs, [2, 2]);
    const g = assertNoLeaks(() => numericalGrad((v: AnyTensor) => sum(mul(v, mul(v, v))), x));
    assertAllClose(
      g,
      xs.map((v) => 3 * v * v),
      { rtol: 1e-5, atol: 1e-5 },
    );
    expect(() => numericalGrad((v: AnyTensor) => mul(v, v), x)).toThrow("numericalGrad: f must return one scalar, got shapes [2, 2]");
    x.dispose();
  });

  test("numericalJvp of sin along v is cos(x)·v", () => {
    const xs = [0.3, -1.2, 2];
    const vs = [1, 0.5, -2];
    const x = t(xs, [3]);
    const v = t(vs, [3]);
    const [d] = numericalJvp((a: AnyTensor) => sin(a), [x], [v]);
    assertAllClose(
      d,
      xs.map((xi, i) => Math.cos(xi) * vs[i]),
      { rtol: 1e-5, atol: 1e-5 },
    );
    const w = t([1, 2], [2]);
    expect(() => numericalJvp((a: AnyTensor) => sin(a), [x], [w])).toThrow(
      "numericalJvp: tangent for args[0] has shape [2], its primal [3]",
    );
    for (const z of [x, v, w]) z.dispose();
  });
});

describe("checkGrads", () => {
  type Params = { w: AnyTensor; b: AnyTensor };
  const mlp = (p: Params, x: AnyTensor) => sum(tanh(add(matmul(x, p.w), p.b)));

  function makeParams(): Params & { x: AnyTensor } {
    return {
      w: t([0.3, -0.8, 0.5, 1.1, -0.2, 0.7], [3, 2]),
      b: t([0.1, -0.3], [2]),
      x: t([1, -0.5, 0.25, 0.4, 0.9, -1.3], [2, 3]),
    };
  }

  test("passes on a correct function of a pytree, to order 2, and frees everything", () => {
    const { w, b, x } = makeParams();
    assertNoLeaks(() => checkGrads(mlp, [{ w, b }, x], { order: 2 }));
    // several outputs, as a record
    assertNoLeaks(() => checkGrads((p: Params) => ({ h: tanh(p.w), s: sum(mul(p.b, p.b)) }), [{ w, b }]));
    for (const z of [w, b, x]) z.dispose();
  });

  test("names the pytree leaf whose reverse-mode gradient is wrong", () => {
    const { w, b, x } = makeParams();
    // identity on w with a backward rule that scales by 1.5: only w's gradient is wrong
    const badW = customVjp(
      (w: AnyTensor) => f32(mul(w, 1)),
      (w: AnyTensor) => [f32(mul(w, 1)), null],
      (_r, ct) => [mul(ct, 1.5)],
    );
    const f = (p: Params, x: AnyTensor) => sum(tanh(add(matmul(x, badW(p.w)), p.b)));
    let message = "";
    try {
      checkGrads(f, [{ w, b }, x]);
    } catch (e) {
      message = (e as Error).message;
    }
    const lines = message.split("\n");
    expect(lines[0]).toBe(
      "checkGrads: vjp of f (eps 0.0078125, atol 0.0001, rtol 0.002, seed 0) fails the inner-product identity <u, J v> = <J^T u, v> for random u, v (outputs: output [])",
    );
    expect(lines[1]).toMatch(
      /^ {2}<J\^T u, v> by vjp = -?[\d.e-]+, <u, J v> by finite differences = -?[\d.e-]+ \(\|diff\| [\d.e+-]+ > tolerance [\d.e+-]+\)$/,
    );
    expect(lines[2]).toBe("  inputs to blame (each fails alone): args[0].w");
    // forward mode never runs the custom rule, so it passes
    checkGrads(f, [{ w, b }, x], { modes: ["fwd"] });
    for (const z of [w, b, x]) z.dispose();
  });

  test("a wrong jvp names the output entry, the values and the tolerance", () => {
    const x = t([0.5, -1], [2]);
    // sin whose forward rule forgets the chain rule's cos(x) factor
    const sinP: Primitive<{}> = definePrimitive<{}>({
      name: "sinWithBadJvp",
      abstractEval: ([a]) => a,
      impl: ([a]) => tf.sin(a),
      jvp: (_p, [tan]) => tan,
      vjp: (ct, [a]) => [mul(ct, cos(a))],
      batch: ([a]) => bind(sinP, [a]),
    });
    let message = "";
    try {
      checkGrads((v: AnyTensor) => bind(sinP, [v]), [x]);
    } catch (e) {
      message = (e as Error).message;
    }
    const lines = message.split("\n");
    expect(lines[0]).toBe(
      "checkGrads: jvp of f (eps 0.0078125, atol 0.0001, rtol 0.002, seed 0) disagrees with finite differences in a random direction",
    );
    expect(lines[1]).toMatch(
      /^ {2}output \[2\]: [12] of 2 entries differ; worst at flat index [01]: jvp gave -?[\d.]+, finite differences -?[\d.]+ \(\|diff\| [\d.e+-]+ > tolerance [\d.e+-]+\)$/,
    );
    expect(lines[2]).toBe("  input: args[0]");
    expect(lines).toHaveLength(3);
    x.dispose();
  });

  test("int32 leaves are held fixed; the same seed gives the same verdict", () => {
    const table = t([0.2, 0.4, -0.6, 1.0, 0.3, -0.1], [3, 2]);
    const ids = tensor([2, 0, 2], [3], "int32") as AnyTensor;
    checkGrads((tb: AnyTensor, i: AnyTensor) => sum(mul(gather(tb, i), gather(tb, i))), [table, ids], { order: 2 });
    const wrongScale = customVjp(
      (v: AnyTensor) => f32(mul(v, 2)),
      (v: AnyTensor) => [f32(mul(v, 2)), null],
      (_r, ct) => [mul(ct, 2.5)],
    );
    const messages = [1, 2].map(() => {
      try {
        checkGrads((tb: AnyTensor, i: AnyTensor) => sum(gather(wrongScale(tb), i)), [table, ids], { seed: 3 });
        return "";
      } catch (e) {
        return (e as Error).message;
      }
    });
    expect(messages[0]).toContain("seed 3");
    expect(messages[0]).toContain("input: args[0]");
    expect(messages[1]).toBe(messages[0]);
    table.dispose();
    ids.dispose();
  });

  test("order 2 catches a derivative rule that is right but not differentiable again", () => {
    // NOTE: the backward rule treats x as a constant, so first derivatives of x^3 are right and
    // second derivatives come out 0 instead of 6x
    const x = t([0.5, -1.2, 0.8], [3]);
    const cube = customVjp(
      (v: AnyTensor) => f32(mul(v, mul(v, v))),
      (v: AnyTensor) => [f32(mul(v, mul(v, v))), v],
      (v: AnyTensor, ct: AnyTensor) => [mul(ct, mul(3, square(stopGradient(v))))],
    );
    checkGrads(cube, [x], { order: 1 });
    expect(() => checkGrads(cube, [x], { order: 2 })).toThrow(/checkGrads: (jvp|vjp) of vjp\(f\)/);
    x.dispose();
  });

  test("argument errors", () => {
    const x = t([1], [1]);
    const ids = tensor([0], [1], "int32") as AnyTensor;
    expect(() => checkGrads((v: AnyTensor) => v, [x], { order: 3 as 1 })).toThrow("checkGrads: order must be 1 or 2, got 3");
    expect(() => checkGrads((v: AnyTensor) => v, [x], { modes: [] })).toThrow('checkGrads: modes must list "fwd" and/or "rev", got []');
    expect(() => checkGrads((i: AnyTensor) => i, [ids])).toThrow(
      "checkGrads: no float32 tensor among the arguments; nothing to differentiate",
    );
    x.dispose();
    ids.dispose();
  });
});

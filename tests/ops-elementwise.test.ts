import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { scalar, tensor, type Tensor } from "../src/tensor/index.js";
import { grad } from "../src/core/index.js";
import * as ops from "../src/ops/index.js";
import {
  abs,
  add,
  cast,
  ceil,
  clip,
  cos,
  div,
  equal,
  erf,
  exp,
  expm1,
  floor,
  greater,
  greaterEqual,
  less,
  lessEqual,
  log,
  log1p,
  maximum,
  minimum,
  mul,
  neg,
  notEqual,
  pow,
  reciprocal,
  relu,
  round,
  rsqrt,
  sigmoid,
  sign,
  sin,
  softplus,
  sqrt,
  square,
  stopGradient,
  sub,
  sum,
  tanh,
  where,
} from "../src/ops/index.js";
import { broadcastRef, broadcastShape, expectClose, expectNoLeaks, randTensor, size, values } from "./ops-helpers.js";

// Abramowitz & Stegun 7.1.26 is too coarse for a reference: use the series / continued fraction.
function erfRef(x: number): number {
  if (Math.abs(x) > 3) return Math.sign(x) * (1 - erfcLarge(Math.abs(x)));
  let term = x;
  let s = x;
  for (let n = 1; n < 60; n++) {
    term *= (-x * x) / n;
    s += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * s;
}
function erfcLarge(x: number): number {
  let f = 0;
  for (let n = 60; n >= 1; n--) f = n / 2 / (x + f);
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / (x + f);
}
const roundHalfEven = (x: number) => {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
};

type Unary = (x: Tensor<[2, 3]>) => Tensor<[2, 3]>;
// [op, float64 reference, domain]
const UNARY: [string, Unary, (x: number) => number, [number, number]][] = [
  ["neg", neg, (x) => -x, [-3, 3]],
  ["abs", abs, Math.abs, [-3, 3]],
  ["sign", sign, Math.sign, [-3, 3]],
  ["square", square, (x) => x * x, [-3, 3]],
  ["exp", exp, Math.exp, [-3, 3]],
  ["expm1", expm1, Math.expm1, [-1, 1]],
  ["log", log, Math.log, [0.1, 5]],
  ["log1p", log1p, Math.log1p, [-0.5, 3]],
  ["sqrt", sqrt, Math.sqrt, [0.1, 5]],
  ["rsqrt", rsqrt, (x) => 1 / Math.sqrt(x), [0.1, 5]],
  ["floor", floor, Math.floor, [-3, 3]],
  ["ceil", ceil, Math.ceil, [-3, 3]],
  ["round", round, roundHalfEven, [-3, 3]],
  ["sin", sin, Math.sin, [-3, 3]],
  ["cos", cos, Math.cos, [-3, 3]],
  ["tanh", tanh, Math.tanh, [-3, 3]],
  ["sigmoid", sigmoid, (x) => 1 / (1 + Math.exp(-x)), [-6, 6]],
  ["relu", relu, (x) => Math.max(x, 0), [-3, 3]],
  ["softplus", softplus, (x) => Math.log1p(Math.exp(x)), [-6, 6]],
  ["erf", erf, erfRef, [-2.5, 2.5]],
  ["reciprocal", reciprocal, (x) => 1 / x, [0.2, 4]],
];

describe("unary ops", () => {
  test("the table covers every unary op in the public set", () => {
    const names = UNARY.map(([n]) => n);
    for (const n of names) expect(typeof (ops as Record<string, unknown>)[n]).toBe("function");
    expect(names).toHaveLength(21);
  });

  test.each(UNARY)("%s matches the float64 reference, keeps shape, frees everything", (name, op, ref, [lo, hi]) => {
    const v = values(6, name.length * 7 + 1, lo, hi);
    v[5] = name === "round" ? 2.5 : v[5]; // a tie
    expectNoLeaks(() => {
      const x = tensor(v, [2, 3]);
      const y = op(x);
      expect(y.shape).toEqual([2, 3]);
      expect(y.dtype).toBe("float32");
      expectClose(y.dataSync(), v.map(ref), 2e-6);
      x.dispose();
      return y;
    });
  });

  test("neg, abs, sign and square keep int32", () => {
    const x = tensor([-3, 0, 2], [3], "int32");
    for (const [op, want] of [
      [neg, [3, 0, -2]],
      [abs, [3, 0, 2]],
      [sign, [-1, 0, 1]],
      [square, [9, 0, 4]],
    ] as const) {
      const y = op(x);
      expect(y.dtype).toBe("int32");
      expect(Array.from(y.dataSync())).toEqual(want);
      y.dispose();
    }
    x.dispose();
  });

  test("errors name the op and what came", () => {
    const i = tensor([1, 2], [2], "int32");
    expect(() => exp(i as never)).toThrow("exp: argument 0 must be float32, got int32");
    expect(() => relu(3 as never)).toThrow("relu: expected a tensor for x, got number");
    expect(() => sqrt([1, 2] as never)).toThrow("sqrt: expected a tensor for x, got an array (wrap it with tensor(data, shape))");
    i.dispose();
  });
});

type Binary = (a: any, b: any) => Tensor<any, any>;
const ARITH: [string, Binary, (x: number, y: number) => number][] = [
  ["add", add, (x, y) => x + y],
  ["sub", sub, (x, y) => x - y],
  ["mul", mul, (x, y) => x * y],
  ["div", div, (x, y) => x / y],
  ["pow", pow, (x, y) => Math.pow(x, y)],
  ["maximum", maximum, Math.max],
  ["minimum", minimum, Math.min],
];
const COMPARE: [string, Binary, (x: number, y: number) => boolean][] = [
  ["greater", greater, (x, y) => x > y],
  ["greaterEqual", greaterEqual, (x, y) => x >= y],
  ["less", less, (x, y) => x < y],
  ["lessEqual", lessEqual, (x, y) => x <= y],
  ["equal", equal, (x, y) => x === y],
  ["notEqual", notEqual, (x, y) => x !== y],
];

describe("binary ops with broadcasting", () => {
  test.each(ARITH)("%s: [2, 1, 3] with [4, 1] matches the reference", (name, op, ref) => {
    const [a, av] = randTensor([2, 1, 3], 3, 0.5, 2);
    const [b, bv] = randTensor([4, 1], 4, 0.5, 2);
    expectNoLeaks(() => {
      const y = op(a, b);
      expect(y.shape).toEqual([2, 4, 3]);
      expectClose(y.dataSync(), broadcastRef(av, [2, 1, 3], bv, [4, 1], ref), 2e-6);
      return y;
    });
    // numbers broadcast as scalars, on either side, and the constant is freed
    expectNoLeaks(() => {
      const [l, r] = [op(a, 1.5), op(1.5, a)];
      expectClose(
        l.dataSync(),
        av.map((x) => ref(x, 1.5)),
        2e-6,
      );
      expectClose(
        r.dataSync(),
        av.map((x) => ref(1.5, x)),
        2e-6,
      );
      return [l, r];
    });
    a.dispose();
    b.dispose();
    expect(name).toBeTruthy();
  });

  test.each(COMPARE)("%s gives bool, with ties", (_name, op, ref) => {
    const av = [1, 2, 3, 2];
    const bv = [2, 2, 1, 5];
    const a = tensor(av, [2, 2]);
    const b = tensor(bv, [2, 2]);
    expectNoLeaks(() => {
      const y = op(a, b);
      expect(y.dtype).toBe("bool");
      expect(Array.from(y.dataSync())).toEqual(av.map((x, i) => Number(ref(x, bv[i]))));
      const s = op(a, 2);
      expect(Array.from(s.dataSync())).toEqual(av.map((x) => Number(ref(x, 2))));
      return [y, s];
    });
    a.dispose();
    b.dispose();
  });

  test("int32 stays int32, numbers follow the tensor's dtype, int division floors", () => {
    const i = tensor([7, -7, 4], [3], "int32");
    expectNoLeaks(() => {
      const s = add(i, 1);
      const d = div(i, 2);
      expect(s.dtype).toBe("int32");
      expect(Array.from(s.dataSync())).toEqual([8, -6, 5]);
      expect(Array.from(d.dataSync())).toEqual([3, -4, 2]);
      return [s, d];
    });
    i.dispose();
  });

  test("runtime shape equals the broadcast rule (property), values match add's reference", () => {
    const pair = fc
      .array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 4 })
      .chain((base) =>
        fc.tuple(
          fc.constant(base),
          fc.integer({ min: 0, max: base.length }),
          fc.integer({ min: 0, max: base.length }),
          fc.array(fc.boolean(), { minLength: base.length, maxLength: base.length }),
          fc.array(fc.boolean(), { minLength: base.length, maxLength: base.length }),
        ),
      )
      .map(([base, da, db, onesA, onesB]) => [
        base.slice(da).map((d, i) => (onesA[i + da] ? 1 : d)),
        base.slice(db).map((d, i) => (onesB[i + db] ? 1 : d)),
      ]);
    fc.assert(
      fc.property(pair, ([as, bs]) => {
        const [a, av] = randTensor(as, 5);
        const [b, bv] = randTensor(bs, 6);
        const y = add(a, b);
        expect([...y.shape]).toEqual(broadcastShape(as, bs));
        expectClose(
          y.dataSync(),
          broadcastRef(av, as, bv, bs, (x, z) => x + z),
        );
        [a, b, y].forEach((t) => t.dispose());
      }),
      { numRuns: 40 },
    );
  });

  test("shapes that do not broadcast, and dtypes that differ, are reported naming the op", () => {
    const a = tensor(values(6), [2, 3]);
    const b = tensor(values(4), [4]);
    const i = tensor([1, 2, 3], [3], "int32");
    expect(() => add(a, b as never)).toThrow("add: shapes [2, 3] and [4] do not broadcast (dim 1: 3 vs 4)");
    expect(() => maximum(a, b as never)).toThrow("maximum: shapes [2, 3] and [4] do not broadcast (dim 1: 3 vs 4)");
    expect(() => mul(a, i as never)).toThrow("mul: dtypes differ (float32 vs int32); cast one first");
    expect(() => pow(i as any, 2)).toThrow("pow: argument 0 must be float32, got int32");
    expect(() => sub(a, "1" as never)).toThrow("sub: expected a tensor or a number for the second argument, got string");
    [a, b, i].forEach((t) => t.dispose());
  });
});

describe("where, cast, clip, stopGradient", () => {
  test("where picks per element, broadcasting all three", () => {
    const c = tensor([1, 0, 1], [3], "bool");
    const [a, av] = randTensor([2, 3], 7);
    expectNoLeaks(() => {
      const y = where(c, a, 0);
      expect(y.shape).toEqual([2, 3]);
      expectClose(
        y.dataSync(),
        av.map((v, i) => ([1, 0, 1][i % 3] ? v : 0)),
      );
      return y;
    });
    expect(() => where(a as never, a, 0)).toThrow("where: condition must be bool, got float32");
    expect(() => where(tensor([1, 0], [2], "bool"), a as any, 0)).toThrow("where: shapes [2] and [2, 3] do not broadcast (dim 1: 2 vs 3)");
    c.dispose();
    a.dispose();
  });

  test("where's gradient flows to the chosen side only", () => {
    const c = tensor([1, 0, 1], [3], "bool");
    const x = tensor([1, 2, 3], [3]);
    const g = grad((t: Tensor<[3]>) => sum(where(c, mul(t, t), mul(t, 10))))(x);
    expectClose(g.dataSync(), [2, 10, 6]);
    [c, x, g].forEach((t) => t.dispose());
  });

  test("cast converts dtypes; only float -> float carries a gradient", () => {
    const x = tensor([-1.7, 0, 2.5, 0.3], [4]);
    expectNoLeaks(() => {
      const i = cast(x, "int32");
      const b = cast(x, "bool");
      const ib = cast(i, "bool");
      expect(i.dtype).toBe("int32");
      expect(Array.from(i.dataSync())).toEqual([-1, 0, 2, 0]);
      // NOTE: WASM's own Cast kernel gave [255, 0, 2, 0] here; bool means x != 0
      expect(Array.from(b.dataSync())).toEqual([1, 0, 1, 1]);
      expect(Array.from(ib.dataSync())).toEqual([1, 0, 1, 0]);
      const f = cast(b, "float32");
      expect(Array.from(f.dataSync())).toEqual([1, 0, 1, 1]);
      return [i, b, ib, f];
    });
    expect(() => cast(x, "float64" as never)).toThrow('cast: dtype must be "float32", "int32" or "bool", got "float64"');
    x.dispose();
  });

  test("clip bounds values; its gradient is 1 inside, 0 outside", () => {
    const x = tensor([-2, -0.5, 0.5, 2], [4]);
    expectNoLeaks(() => {
      const y = clip(x, -1, 1);
      expectClose(y.dataSync(), [-1, -0.5, 0.5, 1]);
      return y;
    });
    const g = grad((t: Tensor<[4]>) => sum(clip(t, -1, 1)))(x);
    expectClose(g.dataSync(), [0, 1, 1, 0]);
    expect(() => clip(x, 1, -1)).toThrow("clip: lo must be <= hi, got lo 1 and hi -1");
    expect(() => clip(x, NaN, 1)).toThrow("clip: lo and hi must be numbers, got NaN and 1");
    x.dispose();
    g.dispose();
  });

  test("stopGradient: value kept, derivative zero", () => {
    const x = scalar(3);
    const g = grad((t: Tensor<[]>) => mul(t, stopGradient(t)))(x);
    expect(g.item()).toBe(3);
    const y = stopGradient(x);
    expect(y.item()).toBe(3);
    [x, g, y].forEach((t) => t.dispose());
  });

  test("number operands under grad: d/dx sum(2 * x^3 - x / 4) = 6x^2 - 1/4", () => {
    const [x, xv] = randTensor([5], 9);
    const g = grad((t: Tensor<[5]>) => sum(sub(mul(2, pow(t, 3)), div(t, 4))))(x);
    expectClose(
      g.dataSync(),
      xv.map((v) => 6 * v * v - 0.25),
      1e-5,
    );
    x.dispose();
    g.dispose();
  });
});

test("every op hands back a tensor the caller owns, even when it is an identity", () => {
  const x = tensor([1, 2, 3, 4], [2, 2]);
  const outs = [
    ops.reshape(x, [2, 2]),
    ops.transpose(x, [0, 1]),
    ops.slice(x, [0, 0]),
    ops.cast(x, "float32"),
    ops.stopGradient(x),
    ops.concat([x]),
    ops.flatten(x, 1),
  ];
  for (const y of outs) {
    y.dispose();
    expect(x.isDisposed).toBe(false);
  }
  expect(Array.from(x.dataSync())).toEqual([1, 2, 3, 4]);
  x.dispose();
  expect(size([2, 3, 4])).toBe(24);
});

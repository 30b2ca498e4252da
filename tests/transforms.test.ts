// The transforms composed with each other: every ordered pair of grad, jvp, vmap and jit on a few
// composite functions, against float64 references built by the same composition of plain-JS
// transforms (finite differences, loops). Then hessian/jacobians, customVjp, stopGradient,
// argnums/hasAux, error messages and memory.
import { describe, expect, expectTypeOf, test } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import {
  currentLevel,
  customVjp,
  grad,
  hessian,
  jacfwd,
  jacrev,
  jit,
  jvp,
  stopGradient,
  valueAndGrad,
  vjp,
  vmap,
  type Jitted,
  add,
  exp,
  log,
  maximum,
  minimum,
  mul,
  sin,
  sub,
  tanh,
  div,
  max,
  sum,
  matmul,
  reshape,
} from "../src/core/index.js";
import { Concrete, tensor, scalar, type AnyTensor, type Tensor } from "../src/tensor/index.js";
import { liveTensors } from "../src/backend/index.js";
import { assertAllClose, assertNoLeaks, checkGrads, numericalJvp } from "../src/testing/index.js";

// ---------------------------------------------------------------- float64 arrays and references

interface Arr {
  readonly shape: number[];
  readonly data: Float64Array;
}

const sizeOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const arr = (shape: number[], data: ArrayLike<number>): Arr => ({ shape, data: Float64Array.from(data) });
/** Deterministic values in [-1, 1], exact in float32, so both sides see the same numbers. */
const fixedValues = (shape: readonly number[], salt: number) =>
  Array.from({ length: sizeOf(shape) }, (_, i) => Math.fround(Math.sin(1.7 * i + salt)));
const toTensor = (a: Arr) => tensor(Float32Array.from(a.data), a.shape) as AnyTensor;
const toArr = (t: AnyTensor) => arr([...t.shape], t.dataSync());

/** A function on a tensor, and the same function on float64 arrays. */
interface Pair {
  readonly t: (x: AnyTensor) => AnyTensor;
  readonly js: (x: Arr) => Arr;
}

/** Weights for grad (cotangent) and jvp (tangent) of a given shape: deterministic constants. */
const cotangentValues = (shape: readonly number[]) => fixedValues(shape, 0.3);
const tangentValues = (shape: readonly number[]) => fixedValues(shape, 2.1);
const constant = (shape: readonly number[], values: number[]) => tensor(Float32Array.from(values), [...shape]) as AnyTensor;

// NOTE: float64 central differences: truncation ~h², rounding ~1e-16/h; nested twice still ~1e-8
const H = 1e-4;

function fdAlong(f: (x: Arr) => Arr, x: Arr, v: ArrayLike<number>): Arr {
  const plus = f(
    arr(
      x.shape,
      x.data.map((xi, i) => xi + H * v[i]),
    ),
  );
  const minus = f(
    arr(
      x.shape,
      x.data.map((xi, i) => xi - H * v[i]),
    ),
  );
  return arr(
    plus.shape,
    plus.data.map((p, j) => (p - minus.data[j]) / (2 * H)),
  );
}

interface Transform {
  readonly name: string;
  /** Leading axes it adds to the input (vmap: one). */
  readonly batchAxes: number;
  readonly t: (f: (x: AnyTensor) => AnyTensor) => (x: AnyTensor) => AnyTensor;
  readonly js: (f: (x: Arr) => Arr) => (x: Arr) => Arr;
}

const jitted: Jitted<any>[] = [];

const transforms: Transform[] = [
  {
    // x -> J(x)^T w: the gradient of <F(x), w>
    name: "grad",
    batchAxes: 0,
    t: (f) => (x) =>
      grad(((z: AnyTensor) => {
        const y = f(z);
        return sum(mul(y, constant(y.shape, cotangentValues(y.shape))));
      }) as unknown as (z: AnyTensor) => Tensor<[]>)(x),
    js: (f) => (x) => {
      const w = cotangentValues(f(x).shape);
      const g = new Float64Array(x.data.length);
      for (let i = 0; i < g.length; i++) {
        const e = new Float64Array(g.length);
        e[i] = 1;
        fdAlong(f, x, e).data.forEach((d, j) => (g[i] += d * w[j]));
      }
      return arr(x.shape, g);
    },
  },
  {
    // x -> J(x) v
    name: "jvp",
    batchAxes: 0,
    t: (f) => (x) => {
      const v = constant(x.shape, tangentValues(x.shape));
      const [y, yDot] = jvp(f, [x], [v]);
      // NOTE: under an outer transform v may be a residual of its tape: only free it at top level
      if (currentLevel() === 0) {
        y.dispose();
        v.dispose();
      }
      return yDot;
    },
    js: (f) => (x) => fdAlong(f, x, tangentValues(x.shape)),
  },
  {
    name: "vmap",
    batchAxes: 1,
    t: (f) => (x) => vmap(f)(x),
    js: (f) => (x) => {
      const n = x.shape[0];
      const inner = x.shape.slice(1);
      const ys = Array.from({ length: n }, (_, b) => f(arr(inner, x.data.subarray(b * sizeOf(inner), (b + 1) * sizeOf(inner)))));
      return arr(
        [n, ...ys[0].shape],
        ys.flatMap((y) => Array.from(y.data)),
      );
    },
  },
  {
    name: "jit",
    batchAxes: 0,
    t: (f) => {
      const jf = jit(f);
      jitted.push(jf);
      return (x) => jf(x);
    },
    js: (f) => f,
  },
];

// ---------------------------------------------------------------- composite functions

const W1 = arr([3, 4], fixedValues([3, 4], 0.7));
const B1 = arr([4], fixedValues([4], 1.9));
const W2 = arr([4, 2], fixedValues([4, 2], 2.6));

function jsMatVec(x: ArrayLike<number>, w: Arr): number[] {
  const [n, m] = w.shape;
  return Array.from({ length: m }, (_, j) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += x[i] * w.data[i * m + j];
    return s;
  });
}

const composites: Record<string, Pair> = {
  // [3] -> [2]: matmul + tanh, like one hidden layer
  mlp: {
    t: (x) => {
      const [w1, b1, w2] = [toTensor(W1), toTensor(B1), toTensor(W2)];
      const h = tanh(add(matmul(reshape(x, [1, 3]), w1), b1));
      return reshape(matmul(h, w2), [2]);
    },
    js: (x) => {
      const h = jsMatVec(x.data, W1).map((v, j) => Math.tanh(v + B1.data[j]));
      return arr([2], jsMatVec(h, W2));
    },
  },
  // [3] -> [3]: a numerically stable softmax (max subtracted)
  softmax: {
    t: (x) => {
      const e = exp(sub(x, max(x, [0], { keepDims: true })));
      return div(e, sum(e, [0], { keepDims: true }));
    },
    js: (x) => {
      const m = Math.max(...x.data);
      const e = x.data.map((v) => Math.exp(v - m));
      const s = e.reduce((a, b) => a + b, 0);
      return arr(
        [3],
        e.map((v) => v / s),
      );
    },
  },
  // [3] -> []: logsumexp plus a smooth coupling term, a rank-0 output
  logsumexp: {
    t: (x) => add(log(sum(exp(x))), mul(sum(sin(x)), sum(x))),
    js: (x) => {
      const d = Array.from(x.data);
      return arr(
        [],
        [Math.log(d.reduce((a, v) => a + Math.exp(v), 0)) + d.reduce((a, v) => a + Math.sin(v), 0) * d.reduce((a, v) => a + v, 0)],
      );
    },
  },
};

describe.each(Object.keys(composites))("%s: every ordered pair of transforms against float64", (fname) => {
  const base = composites[fname];
  const pairs = transforms.flatMap((outer) => transforms.map((inner) => [outer, inner] as const));
  test.each(pairs.map(([o, i]) => [`${o.name}(${i.name}(f))`, o, i] as const))("%s", (_label, outer, inner) => {
    const batch = 2;
    const lead = new Array(outer.batchAxes + inner.batchAxes).fill(batch);
    const x = arr(
      [...lead, 3],
      fixedValues([...lead, 3], 0.45).map((v) => v * 1.5),
    );
    const expected = outer.js(inner.js(base.js))(x);
    const before = liveTensors();
    const xt = toTensor(x);
    const got = outer.t(inner.t(base.t))(xt);
    try {
      expect([...got.shape]).toEqual(expected.shape);
      assertAllClose(got, expected.data, { rtol: 2e-3, atol: 2e-4, what: `${outer.name}(${inner.name}(${fname}))` });
    } finally {
      got.dispose();
      xt.dispose();
      for (const j of jitted.splice(0)) j.dispose();
    }
    expect(liveTensors(), "no tensor outlives the call").toBe(before);
  });
});

// ---------------------------------------------------------------- named compositions

type Params = { w1: Tensor<[3, 4]>; b1: Tensor<[4]>; w2: Tensor<[4, 1]> };
const makeParams = (): Params => ({
  w1: toTensor(W1) as Tensor<[3, 4]>,
  b1: toTensor(B1) as Tensor<[4]>,
  w2: toTensor(arr([4, 1], fixedValues([4], 3.3))) as Tensor<[4, 1]>,
});
const disposeAll = (...ts: unknown[]) => {
  for (const t of ts.flatMap((x) =>
    Array.isArray(x) ? x : x instanceof Concrete ? [x] : typeof x === "object" && x ? Object.values(x) : [],
  ))
    (t as AnyTensor).dispose();
};

/** Mean squared error of a one-hidden-layer net on a batch [B, 3] with targets [B, 1]. */
const loss = (p: Params, x: AnyTensor, y: AnyTensor) => {
  const pred = matmul(tanh(add(matmul(x, p.w1), p.b1)), p.w2);
  const d = sub(pred, y);
  return div(sum(mul(d, d)), x.shape[0]) as Tensor<[]>;
};

describe("named compositions", () => {
  test("vmap(grad): per-example gradients equal a loop of grad", () => {
    const p = makeParams();
    const xs = toTensor(arr([4, 3], fixedValues([4, 3], 0.2)));
    const ys = toTensor(arr([4, 1], fixedValues([4, 1], 5.1)));
    const before = liveTensors();
    const perExample = vmap(
      grad((q: Params, x: AnyTensor, y: AnyTensor) => loss(q, reshape(x, [1, 3]), reshape(y, [1, 1]))),
      { inAxes: [null, 0, 0] },
    )(p, xs, ys) as unknown as Params;
    expect(perExample.w1.shape).toEqual([4, 3, 4]);
    for (let b = 0; b < 4; b++) {
      const xb = new Concrete(tf.slice(xs.concrete(), [b, 0], [1, 3]));
      const yb = new Concrete(tf.slice(ys.concrete(), [b, 0], [1, 1]));
      const g = grad(loss)(p, xb, yb);
      for (const k of ["w1", "b1", "w2"] as const) {
        const row = new Concrete(tf.tidy(() => tf.squeeze(tf.slice(perExample[k].concrete(), [b], [1]), [0])));
        assertAllClose(row, g[k], { rtol: 1e-5, atol: 1e-6, what: `per-example ${k}, example ${b}` });
        row.dispose();
      }
      disposeAll(g, xb, yb);
    }
    disposeAll(perExample);
    expect(liveTensors()).toBe(before);
    disposeAll(p, xs, ys);
  });

  test("grad(grad), jvp(grad) and grad(<grad, v>) agree on Hessian-vector products, and with finite differences", () => {
    const f = (x: AnyTensor) => add(log(sum(exp(x))), sum(mul(sin(x), x))) as Tensor<[]>;
    const x = toTensor(arr([4], [0.3, -0.7, 1.1, 0.2]));
    const v = toTensor(arr([4], [1, -0.5, 0.25, 2]));
    const g = grad(f);
    const [, hvpFwd] = jvp((z: AnyTensor) => g(z), [x], [v]);
    const hvpRev = grad((z: AnyTensor) => sum(mul(g(z), v)) as Tensor<[]>)(x);
    const [hvpFd] = numericalJvp((z: AnyTensor) => g(z), [x], [v]);
    assertAllClose(hvpFwd, hvpRev, { rtol: 1e-5, atol: 1e-6, what: "jvp(grad) vs grad(<grad, v>)" });
    assertAllClose(hvpFwd, hvpFd, { rtol: 2e-3, atol: 2e-4, what: "jvp(grad) vs finite differences of grad" });
    // and grad(grad) of a scalar cubic against its closed form: d²/dx² x³ = 6x
    const third = grad(grad((s: Tensor<[]>) => mul(s, mul(s, s)) as Tensor<[]>))(scalar(1.5));
    expect(third.item()).toBeCloseTo(9, 5);
    disposeAll(x, v, hvpFwd, hvpRev, third);
  });

  test("hessian = jacfwd(jacrev) = jacrev(jacrev) = finite differences of grad, and it is symmetric", () => {
    const f = (x: Tensor<[3]>) => add(log(sum(exp(x))), mul(sum(sin(x)), sum(x))) as Tensor<[]>;
    const x = toTensor(arr([3], [0.4, -1.1, 0.9])) as Tensor<[3]>;
    const before = liveTensors();
    const h1 = hessian(f)(x);
    const h2 = jacfwd(jacrev(f as never) as never)(x) as AnyTensor;
    const h3 = jacrev(jacrev(f as never) as never)(x) as AnyTensor;
    expect(h1.shape).toEqual([3, 3]);
    const g = grad(f);
    const cols = [0, 1, 2].map((j) => {
      const e = toTensor(
        arr(
          [3],
          [0, 1, 2].map((i) => Number(i === j)),
        ),
      );
      const [c] = numericalJvp((z: AnyTensor) => g(z as Tensor<[3]>), [x], [e]);
      e.dispose();
      return Array.from(c);
    });
    const fd = [0, 1, 2].flatMap((i) => cols.map((c) => c[i]));
    assertAllClose(h1, h2, { rtol: 1e-5, atol: 1e-6, what: "hessian vs jacfwd(jacrev)" });
    assertAllClose(h1, h3, { rtol: 1e-5, atol: 1e-6, what: "hessian vs jacrev(jacrev)" });
    assertAllClose(h1, fd, { rtol: 2e-3, atol: 2e-4, what: "hessian vs finite differences" });
    const hv = h1.dataSync();
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(hv[i * 3 + j]).toBeCloseTo(hv[j * 3 + i], 5);
    disposeAll(h1, h2, h3);
    expect(liveTensors()).toBe(before);
    x.dispose();
  });

  test("jit(valueAndGrad) = valueAndGrad; one trace per shape signature; jit frees its intermediates", () => {
    const p = makeParams();
    const x = toTensor(arr([5, 3], fixedValues([5, 3], 0.9)));
    const y = toTensor(arr([5, 1], fixedValues([5, 1], 1.4)));
    const step = jit(valueAndGrad(loss));
    const before = liveTensors();
    const [l1, g1] = step(p, x, y);
    // the loss and three gradients, plus the constants the graph keeps (freed by step.dispose())
    const consts = step.lastGraph!.consts.filter((c) => !c.isDisposed).length;
    expect(liveTensors()).toBe(before + 4 + consts);
    const [l0, g0] = valueAndGrad(loss)(p, x, y);
    expect(l1.item()).toBeCloseTo(l0.item(), 6);
    for (const k of ["w1", "b1", "w2"] as const) assertAllClose(g1[k], g0[k], { rtol: 1e-6, atol: 1e-7, what: `jit(valueAndGrad) ${k}` });
    const beforeReplay = liveTensors();
    const [l2, g2] = step(p, x, y);
    expect(liveTensors(), "a replay leaves only its outputs").toBe(beforeReplay + 4);
    expect(step.traceCount).toBe(1);
    const x2 = toTensor(arr([2, 3], fixedValues([2, 3], 0.1)));
    const y2 = toTensor(arr([2, 1], fixedValues([2, 1], 0.2)));
    const [l3, g3] = step(p, x2, y2);
    expect(step.traceCount).toBe(2);
    disposeAll(l0, g0, l1, g1, l2, g2, l3, g3, x2, y2);
    step.dispose();
    expect(liveTensors()).toBe(before);
    disposeAll(p, x, y);
  });

  test("grad(jit(f)) = grad(f), and jit inside vmap and jvp traces through", () => {
    const f = (x: AnyTensor) => sum(mul(tanh(x), x)) as Tensor<[]>;
    const jf = jit(f);
    const x = toTensor(arr([2, 3], fixedValues([2, 3], 0.6)));
    const before = liveTensors();
    const g1 = grad(jf)(x);
    const g0 = grad(f)(x);
    assertAllClose(g1, g0, { rtol: 1e-6, atol: 1e-7, what: "grad(jit f)" });
    const v1 = vmap(jf)(x) as AnyTensor;
    const v0 = vmap(f)(x) as AnyTensor;
    assertAllClose(v1, v0, { rtol: 1e-6, atol: 1e-7, what: "vmap(jit f)" });
    disposeAll(g0, g1, v0, v1);
    expect(liveTensors()).toBe(before);
    jf.dispose();
    x.dispose();
  });

  test("vmap(jvp) equals a loop of jvp", () => {
    const f = (x: AnyTensor) => mul(sin(x), sum(x));
    const xs = toTensor(arr([3, 4], fixedValues([3, 4], 0.8)));
    const vs = toTensor(arr([3, 4], fixedValues([3, 4], 1.8)));
    const tangents = vmap((x: AnyTensor, v: AnyTensor) => jvp(f, [x], [v])[1])(xs, vs) as AnyTensor;
    for (let b = 0; b < 3; b++) {
      const xb = new Concrete(tf.tidy(() => tf.squeeze(tf.slice(xs.concrete(), [b], [1]), [0])));
      const vb = new Concrete(tf.tidy(() => tf.squeeze(tf.slice(vs.concrete(), [b], [1]), [0])));
      const [yb, tb] = jvp(f, [xb], [vb]);
      const row = new Concrete(tf.tidy(() => tf.squeeze(tf.slice(tangents.concrete(), [b], [1]), [0])));
      assertAllClose(row, tb, { rtol: 1e-6, atol: 1e-7, what: `vmap(jvp) example ${b}` });
      disposeAll(xb, vb, yb, tb, row);
    }
    disposeAll(xs, vs, tangents);
  });

  test("checkGrads agrees: the MLP loss has correct derivatives to order 2", () => {
    const p = makeParams();
    const x = toTensor(arr([2, 3], fixedValues([2, 3], 0.5)));
    const y = toTensor(arr([2, 1], fixedValues([2, 1], 0.6)));
    assertNoLeaks(() => checkGrads(loss, [p, x, y], { order: 2 }));
    disposeAll(p, x, y);
  });
});

// ---------------------------------------------------------------- customVjp and stopGradient

describe("customVjp and stopGradient", () => {
  test("customVjp: the backward rule is used (gradient clipping), the forward value is f's", () => {
    const clipGradient = customVjp(
      (x: Tensor<[4]>) => x,
      (x: Tensor<[4]>) => [x, null],
      (_r: null, ct: Tensor<[4]>) => [maximum(minimum(ct, 1), -1) as Tensor<[4]>],
    );
    const x = tensor([1, 2, 3, 4], [4]);
    const w = tensor([0.5, -3, 2, -0.25], [4]);
    const before = liveTensors();
    const f = (z: Tensor<[4]>) => sum(mul(clipGradient(z), w)) as Tensor<[]>;
    // NOTE: valueAndGrad, not a plain call: eager code outside transforms keeps its intermediates
    const [y, g] = valueAndGrad(f)(x);
    assertAllClose(g, [0.5, -1, 1, -0.25]);
    expect(y.item()).toBeCloseTo(0.5 - 6 + 6 - 1, 6);
    // forward mode (and so jvp of it) differentiates f itself: the identity
    const ones = tensor([1, 1, 1, 1], [4]);
    const [y2, t] = jvp(f, [x], [ones]);
    expect(t.item()).toBeCloseTo(0.5 - 3 + 2 - 0.25, 6);
    disposeAll(g, y, y2, t, ones);
    expect(liveTensors()).toBe(before);
    disposeAll(x, w);
  });

  test("stopGradient: d/dx [x · stopGradient(x)] = x, not 2x; values pass through", () => {
    const x = tensor([1.5, -2], [2]);
    const g = grad((z: Tensor<[2]>) => sum(mul(z, stopGradient(z))) as Tensor<[]>)(x);
    assertAllClose(g, [1.5, -2]);
    const gg = grad((z: Tensor<[2]>) => sum(grad((u: Tensor<[2]>) => sum(mul(u, stopGradient(mul(u, u)))) as Tensor<[]>)(z)) as Tensor<[]>)(
      x,
    );
    // inner gradient: stopGradient(u²); stopGradient stops the outer grad too (as in JAX), so 0
    assertAllClose(gg, [0, 0]);
    disposeAll(x, g, gg);
  });
});

// ---------------------------------------------------------------- argnums and hasAux

describe("argnums and hasAux", () => {
  const f = (a: Tensor<[2]>, b: Tensor<[2]>, c: Tensor<[]>) => sum(mul(mul(a, b), c)) as Tensor<[]>;
  const a = tensor([1, 2], [2]);
  const b = tensor([3, 4], [2]);
  const c = scalar(2);

  test("values and types of each argnums form", () => {
    const g0 = grad(f)(a, b, c);
    expectTypeOf(g0).toEqualTypeOf<Tensor<[2]>>();
    assertAllClose(g0, [6, 8]);
    const g2 = grad(f, { argnums: 2 })(a, b, c);
    expectTypeOf(g2).toEqualTypeOf<Tensor<[]>>();
    expect(g2.item()).toBe(11);
    const [ga, gc] = grad(f, { argnums: [0, 2] })(a, b, c);
    expectTypeOf(ga).toEqualTypeOf<Tensor<[2]>>();
    expectTypeOf(gc).toEqualTypeOf<Tensor<[]>>();
    assertAllClose(ga, [6, 8]);
    expect(gc.item()).toBe(11);
    const [value, [gb]] = valueAndGrad(f, { argnums: [1] })(a, b, c);
    expect(value.item()).toBe(22);
    assertAllClose(gb, [2, 4]);
    disposeAll(g0, g2, ga, gc, value, gb);
  });

  test("hasAux passes aux through without differentiating it", () => {
    const withAux = (x: Tensor<[2]>) => {
      const y = mul(x, x);
      return [sum(y) as Tensor<[]>, { squares: y as Tensor<[2]>, note: "aux" }] as [Tensor<[]>, { squares: Tensor<[2]>; note: string }];
    };
    const [g, aux] = grad(withAux, { hasAux: true })(a);
    expectTypeOf(aux).toEqualTypeOf<{ squares: Tensor<[2]>; note: string }>();
    assertAllClose(g, [2, 4]);
    assertAllClose(aux.squares, [1, 4]);
    expect(aux.note).toBe("aux");
    const [[value, aux2], g2] = valueAndGrad(withAux, { hasAux: true })(a);
    expect(value.item()).toBe(5);
    assertAllClose(g2, [2, 4]);
    disposeAll(g, aux.squares, value, aux2.squares, g2);
  });

  test("argnums out of range", () => {
    expect(() => grad(f, { argnums: 3 as 2 })(a, b, c)).toThrow("grad: argnums 3 is out of range for 3 argument(s)");
  });
});

// ---------------------------------------------------------------- errors

describe("error messages", () => {
  const x = tensor([1, 2, 3], [3]);

  test("grad of a non-scalar output", () => {
    expect(() => grad(((z: AnyTensor) => mul(z, z)) as unknown as (z: AnyTensor) => Tensor<[]>)(x)).toThrow(
      "grad: the function must return a scalar (shape []), got shape [3]; sum or average it first",
    );
  });

  test("vmap over arguments whose mapped axes differ in size", () => {
    const y = tensor([1, 2], [2]);
    // @ts-expect-error vmap: mapped axes have different sizes (3 vs 2): a compile error too
    expect(() => vmap((a: AnyTensor, b: AnyTensor) => add(a, b))(x, y)).toThrow(
      "vmap: mapped axes have different sizes: argument 0 has 3 at axis 0 (shape [3]); argument 1 has 2 at axis 0 (shape [2])",
    );
    y.dispose();
  });

  test("a tracer that escapes its transform", () => {
    let leaked: AnyTensor | undefined;
    grad((z: AnyTensor) => {
      leaked = mul(z, 2);
      return sum(z) as Tensor<[]>;
    })(x).dispose();
    expect(() => add(leaked!, 1)).toThrow(
      "add: a traced value escaped its transform (it was created inside grad/vmap/jit and used after it returned)",
    );
  });

  test("jit closing over a value traced by an outer transform", () => {
    expect(() =>
      grad((z: AnyTensor) => {
        // jit is called on a concrete argument but closes over the grad tracer z
        const inner = jit((w: AnyTensor) => mul(w, z));
        return sum(inner(tensor([1, 1, 1], [3]))) as Tensor<[]>;
      })(x),
    ).toThrow("mul: a jitted function closed over a value traced by an outer grad; pass it as an argument instead");
  });

  test("reading values inside jit", () => {
    const j = jit((z: AnyTensor) => scalar(z.dataSync()[0]));
    expect(() => j(x)).toThrow(/cannot read the values of Tensor<\[3\], float32> while jit traces it/);
  });
});

// ---------------------------------------------------------------- memory

describe("memory", () => {
  test("transformed calls leak nothing: results are the caller's, and disposing them restores the count", () => {
    const p = makeParams();
    const x = toTensor(arr([3, 3], fixedValues([3, 3], 0.4)));
    const y = toTensor(arr([3, 1], fixedValues([3, 1], 0.5)));
    const calls: [string, () => unknown][] = [
      ["grad", () => grad(loss)(p, x, y)],
      ["valueAndGrad", () => valueAndGrad(loss)(p, x, y)],
      [
        "vjp",
        () => {
          const [out, back] = vjp((q: Params) => loss(q, x, y), p);
          const cts = back(scalar(1));
          back.dispose();
          return [out, cts];
        },
      ],
      ["jvp", () => jvp((q: Params) => loss(q, x, y), [p], [p])],
      ["vmap", () => vmap((r: AnyTensor) => tanh(r))(x)],
      ["hessian", () => hessian((r: Tensor<[3]>) => sum(mul(r, r)) as Tensor<[]>)(toTensor(arr([3], [1, 2, 3])) as Tensor<[3]>)],
      [
        "grad(grad)",
        () =>
          grad((r: Tensor<[3]>) => sum(grad((s: Tensor<[3]>) => sum(mul(s, mul(s, s))) as Tensor<[]>)(r)) as Tensor<[]>)(
            toTensor(arr([3], [1, 2, 3])) as Tensor<[3]>,
          ),
      ],
    ];
    for (const [name, call] of calls) {
      const before = liveTensors();
      const result = call();
      const owned = new Set<AnyTensor>();
      const collect = (v: unknown): void => {
        if (v instanceof Concrete) owned.add(v as AnyTensor);
        else if (Array.isArray(v)) v.forEach(collect);
        else if (v && typeof v === "object") Object.values(v).forEach(collect);
      };
      collect(result);
      // a function argument handed back (jvp's primal tree is not) would not be the caller's to free
      for (const t of [x, y, ...Object.values(p)]) expect(owned.has(t), `${name} returned an input`).toBe(false);
      for (const t of owned) t.dispose();
      // hessian and grad(grad) created their input inline: one tensor each
      const inline = name === "hessian" || name === "grad(grad)" ? 1 : name === "vjp" ? 1 : 0;
      expect(liveTensors() - inline, `${name}: live tensors after disposing the results`).toBe(before);
    }
    disposeAll(p, x, y);
  });
});

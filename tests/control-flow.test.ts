// Control flow (scan, whileLoop, cond, foriLoop) and the function transforms built the same way
// (customJvp, remat). A spec per control-flow primitive (`controlPrimitives`, checked with
// `satisfies`) drives the registry checks every primitive gets: first and second derivatives
// against finite differences (checkGrads: jvp and vjp vs FD, and vjp vs jvp), the inner-product
// identity <u, J v> = <J^T u, v>, vmap against a loop, jit against eager, and no leaks. Then the
// behaviour each one promises: one trace whatever the length, residuals without re-tracing, values
// against plain loops, and the exact error texts.
import { describe, expect, test } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import {
  add,
  cast,
  remat,
  cond,
  customJvp,
  exp,
  foriLoop,
  grad,
  greater,
  jit,
  jvp,
  less,
  log,
  mul,
  scalar,
  scan,
  sigmoid,
  sum,
  tensor,
  vjp,
  vmap,
  whileLoop,
  type Tensor,
} from "../src/index.js";
import { controlPrimitives, type ControlPrimitiveName } from "../src/core/index.js";
import * as lax from "../src/core/index.js";
import { Concrete, type AnyTensor } from "../src/tensor/index.js";
import { liveTensors } from "../src/backend/index.js";
import { assertAllClose, assertNoLeaks, checkGrads } from "../src/testing/index.js";
import { init } from "../src/backend/index.js";
import { axpy } from "./fixtures/native/axpy.js";

await init();

type Scalar = Tensor<[]>;
/** Runs eager code that makes intermediates (lax does not free them) in a scope: only the result survives. */
const run = <T>(fn: () => T): T => lax.scoped(fn, lax.leafTensors);
const values = (t: AnyTensor) => Array.from(t.dataSync() as ArrayLike<number>);
const rand = (shape: number[], seed: number, scale = 1) => {
  let s = seed * 9301 + 49297;
  const n = shape.reduce((a, b) => a * b, 1);
  const d = Float32Array.from({ length: n }, () => ((s = (s * 9301 + 49297) % 233280) / 233280 - 0.5) * 2 * scale);
  return new Concrete(tf.tensor(d, shape, "float32")) as AnyTensor;
};

// ---------------------------------------------------------------- functions built on each primitive
/** An RNN cell run by scan; w is closed over by the body, so its gradient flows through the captured operand. */
function rnnLoss(w: AnyTensor, h0: AnyTensor, xs: AnyTensor): Scalar {
  const [h, ys] = scan(
    (c: AnyTensor, x: AnyTensor) => {
      const next = lax.tanh(lax.add(lax.sum(lax.mul(w, c), [1]), x));
      return [next, lax.mul(next, next)] as const;
    },
    h0,
    xs,
  );
  return lax.add(lax.sum(ys), lax.sum(lax.sin(h))) as Scalar;
}

/** A reversed scan over two xs with a record carry, an int32 counter among its leaves. */
function reversedRecordLoss(a0: AnyTensor, xs: AnyTensor, zs: AnyTensor): Scalar {
  const [carry, ys] = scan(
    (c: { a: AnyTensor; n: AnyTensor }, x: { u: AnyTensor; z: AnyTensor }) => {
      const a = lax.add(lax.mul(c.a, lax.sin(x.z)), x.u);
      return [{ a, n: lax.add(c.n, lax.asTensor(1, c.n)) }, { s: lax.mul(a, x.u) }] as const;
    },
    { a: a0, n: new Concrete(tf.scalar(0, "int32")) },
    { u: xs, z: zs },
    { reverse: true },
  );
  return lax.add(lax.sum(carry.a), lax.sum(ys.s)) as Scalar;
}

/** Grows x by 1.5 while its sum is below 6 (a data-dependent number of steps). */
function growWhile(x: AnyTensor): AnyTensor {
  return whileLoop(
    (c: AnyTensor) => lax.less(lax.sum(c), lax.asTensor(6)) as Tensor<[], "bool">,
    (c: AnyTensor) => lax.add(lax.mul(c, 1.5), lax.mul(lax.sin(c), 0.1)),
    x,
  );
}

const log1pexpNaive = (x: AnyTensor) => lax.log(lax.add(lax.exp(x), 1));
const log1pexp = customJvp(log1pexpNaive, ([x], [xDot]) => [log1pexpNaive(x), lax.mul(xDot, lax.sigmoid(x))] as const);

const block = (w: AnyTensor, x: AnyTensor) => lax.tanh(lax.matmul(lax.tanh(lax.matmul(x, w)), w));
const rematBlock = remat(block);
const rematLoss = (w: AnyTensor, x: AnyTensor) => lax.sum(lax.mul(rematBlock(w, rematBlock(w, x)), x)) as Scalar;

interface Case {
  readonly name: string;
  readonly f: (...args: AnyTensor[]) => AnyTensor;
  readonly args: () => AnyTensor[];
  /** Reverse mode is refused (whileLoop): check forward mode only. */
  readonly forwardOnly?: boolean;
}
interface ControlSpec {
  readonly cases: readonly Case[];
}

const specs = {
  scan: {
    cases: [
      { name: "an RNN over 5 steps (closed-over weights)", f: rnnLoss, args: () => [rand([3, 3], 1, 0.6), rand([3], 2), rand([5, 3], 3)] },
      {
        name: "reversed, record carry with an int32 leaf",
        f: reversedRecordLoss,
        args: () => [rand([2], 4), rand([4, 2], 5), rand([4], 6)],
      },
    ],
  },
  while: { cases: [{ name: "grow while the sum is below 6", f: growWhile, args: () => [lax.add(rand([3], 7), 1.2)], forwardOnly: true }] },
  customJvp: { cases: [{ name: "log1pexp with its stable rule", f: (x) => lax.sum(log1pexp(x)), args: () => [rand([4], 8, 3)] }] },
  remat: {
    cases: [{ name: "two rematerialised tanh-matmul blocks", f: rematLoss, args: () => [rand([3, 3], 9, 0.7), rand([2, 3], 10)] }],
  },
  fused: {
    cases: [
      {
        name: "a fused a x + y and x y (a native kernel on WASM)",
        f: (x, y) => {
          const [s, p] = axpy(1.5, x, y);
          return lax.sum(lax.mul(lax.tanh(s), p));
        },
        args: () => [rand([5], 11), rand([5], 12)],
      },
    ],
  },
} satisfies Record<ControlPrimitiveName, ControlSpec>;

function dispose(ts: readonly AnyTensor[]) {
  for (const t of ts) t.dispose();
}

describe.each(Object.keys(controlPrimitives) as ControlPrimitiveName[])("control primitive %s", (name) => {
  const spec: ControlSpec = specs[name];
  test.each(spec.cases.map((c) => [c.name, c] as const))("%s: derivatives against finite differences (orders 1 and 2)", (_n, c) => {
    const args = run(() => c.args());
    const before = liveTensors();
    checkGrads(c.f, args, { order: 2, modes: c.forwardOnly ? ["fwd"] : ["fwd", "rev"], atol: 2e-3, rtol: 5e-3 });
    expect(liveTensors(), "no leaks").toBe(before);
    dispose(args);
  });

  test.each(spec.cases.filter((c) => !c.forwardOnly).map((c) => [c.name, c] as const))(
    "%s: jvp against vjp, <u, J v> = <J^T u, v>",
    (_n, c) => {
      const args = run(() => c.args());
      assertNoLeaks(() => {
        const v = args.map((a, i) => rand([...a.shape], 100 + i));
        const [y, yDot] = jvp(c.f, args, v);
        const u = rand([...y.shape], 200);
        const [y2, back] = vjp(c.f, ...args);
        const cts = back(u);
        const dot = (a: AnyTensor, b: AnyTensor) => {
          const d = run(() => lax.sum(lax.mul(a, b)));
          const value = values(d)[0];
          d.dispose();
          return value;
        };
        const lhs = dot(u, yDot);
        const rhs = cts.reduce((acc, ct, i) => acc + dot(ct, v[i]), 0);
        y2.dispose();
        expect(Math.abs(lhs - rhs)).toBeLessThan(1e-4 * (1 + Math.abs(lhs)));
        back.dispose();
        dispose([...v, y, yDot, u, ...cts]);
      });
      dispose(args);
    },
  );

  test.each(spec.cases.map((c) => [c.name, c] as const))("%s: vmap equals a loop over examples; jit equals eager", (_n, c) => {
    const per = [0, 1, 2].map((k) => run(() => c.args().map((a, i) => lax.add(a, rand([...a.shape], 300 + 10 * k + i, 0.05)))));
    assertNoLeaks(() => {
      const stacked = per[0].map((_, i) =>
        run(() =>
          lax.stack(
            per.map((p) => p[i]),
            0,
          ),
        ),
      );
      const batched = vmap(c.f)(...stacked);
      const size = values(batched).length / 3;
      per.forEach((p, k) => {
        const y = run(() => c.f(...p));
        assertAllClose(values(batched).slice(k * size, (k + 1) * size), values(y), { rtol: 1e-4, atol: 1e-5, what: `vmap example ${k}` });
        const jitted = jit(c.f);
        const yj = jitted(...p);
        assertAllClose(yj, values(y), { rtol: 1e-5, atol: 1e-6, what: "jit vs eager" });
        expect(jitted.lastGraph!.eqns.some((e) => e.prim.name === controlPrimitives[name].name)).toBe(true);
        jitted.dispose();
        dispose([y, yj]);
      });
      dispose([...stacked, batched]);
    });
    for (const p of per) dispose(p);
  });
});

// ---------------------------------------------------------------- scan
describe("scan", () => {
  test("cumulative sums, forward and reversed; ys keep xs' order", () => {
    const xs = tensor([1, 2, 3, 4], [4]);
    const zero = scalar(0);
    assertNoLeaks(() => {
      const step = (c: Tensor<[]>, x: Tensor<[]>) => {
        const s = add(c, x);
        return [s, s] as const;
      };
      const [total, partial] = scan(step, zero, xs);
      expect(values(total)).toEqual([10]);
      expect(values(partial)).toEqual([1, 3, 6, 10]);
      const [rTotal, rPartial] = scan(step, zero, xs, { reverse: true });
      expect(values(rTotal)).toEqual([10]);
      expect(values(rPartial)).toEqual([10, 9, 7, 4]);
      for (const t of [total, partial, rTotal, rPartial]) t.dispose();
    });
    xs.dispose();
    zero.dispose();
  });

  test("no xs: { length } alone; zero steps return init and empty ys", () => {
    const [c, ys] = scan((c: Tensor<[]>, _x: null) => [mul(c, 2), c] as const, scalar(1), null, { length: 5 });
    expect(values(c)).toEqual([32]);
    expect(values(ys)).toEqual([1, 2, 4, 8, 16]);
    const [c0, ys0] = scan((c: Tensor<[]>, _x: null) => [mul(c, 2), c] as const, scalar(3), null, { length: 0 });
    expect(values(c0)).toEqual([3]);
    expect(ys0.shape).toEqual([0]);
  });

  test("under jit the body is traced once and the graph does not grow with the length", () => {
    let calls = 0;
    const run = (xs: AnyTensor): Scalar =>
      lax.sum(
        scan(
          (c: AnyTensor, x: AnyTensor) => {
            calls++;
            const n = lax.tanh(lax.add(lax.mul(c, 0.9), x));
            return [n, n] as const;
          },
          lax.zerosLike({ shape: [4], dtype: "float32" }),
          xs,
        )[1],
      ) as Scalar;
    const sizes: number[] = [];
    for (const T of [5, 50]) {
      calls = 0;
      const f = jit(run);
      const xs = rand([T, 4], T);
      f(xs).dispose();
      expect(calls, `body calls for T = ${T}`).toBe(1);
      sizes.push(f.lastGraph!.eqns.length);
      // reverse mode: the body's vjp comes from the traced graph, never from calling the body again
      calls = 0;
      const g = jit(grad(run));
      g(xs).dispose();
      expect(calls, `body calls under jit(grad) for T = ${T}`).toBe(1);
      sizes.push(g.lastGraph!.eqns.length);
      f.dispose();
      g.dispose();
      xs.dispose();
    }
    expect(sizes[0], "forward graph size, T = 5 vs 50").toBe(sizes[2]);
    expect(sizes[1], "gradient graph size, T = 5 vs 50").toBe(sizes[3]);
  });

  test("trace time and size: a 50-step loop unrolled vs scan (reported, not asserted)", () => {
    const w = rand([16, 16], 11, 0.3);
    const cell = (h: AnyTensor, x: AnyTensor) => lax.tanh(lax.add(lax.matmul(h, w), x));
    const unrolled = (h0: AnyTensor, xs: AnyTensor) => {
      let h = h0;
      for (let t = 0; t < 50; t++) h = cell(h, lax.reshape(lax.slice(xs, [t], [1]), [8, 16]));
      return lax.sum(h) as Scalar;
    };
    const scanned = (h0: AnyTensor, xs: AnyTensor) =>
      lax.sum(scan((h: AnyTensor, x: AnyTensor) => [cell(h, x), null] as const, h0, xs)[0]) as Scalar;
    const h0 = rand([8, 16], 12);
    const xs = rand([50, 8, 16], 13);
    const report: Record<string, string> = {};
    for (const [label, f] of [
      ["unrolled", unrolled],
      ["scan", scanned],
    ] as const) {
      for (const [mode, t] of [
        ["forward", jit(f)],
        ["grad", jit(grad(f))],
      ] as const) {
        const start = performance.now();
        t(h0, xs).dispose();
        const ms = performance.now() - start;
        report[`${label} ${mode}`] = `${t.lastGraph!.eqns.length} equations, first call (trace + run) ${ms.toFixed(1)} ms`;
        t.dispose();
      }
    }
    console.log("50-step loop under jit:", report);
    expect(Object.keys(report)).toHaveLength(4);
    dispose([w, h0, xs]);
  });

  test("gradients of a pytree scan match the unrolled loop", () => {
    const a0 = rand([2], 20);
    const xs = rand([4, 2], 21);
    const zs = rand([4], 22);
    const unrolled = (a0: AnyTensor, xs: AnyTensor, zs: AnyTensor) => {
      let a = a0;
      const ss: AnyTensor[] = new Array<AnyTensor>(4);
      for (let t = 3; t >= 0; t--) {
        const u = lax.reshape(lax.slice(xs, [t], [1]), [2]);
        const z = lax.reshape(lax.slice(zs, [t], [1]), []);
        a = lax.add(lax.mul(a, lax.sin(z)), u);
        ss[t] = lax.mul(a, u);
      }
      return lax.add(lax.sum(a), lax.sum(lax.stack(ss, 0))) as Scalar;
    };
    const g1 = grad(reversedRecordLoss, { argnums: [0, 1, 2] })(a0, xs, zs);
    const g2 = grad(unrolled, { argnums: [0, 1, 2] })(a0, xs, zs);
    g1.forEach((g, i) => assertAllClose(g, values(g2[i]), { rtol: 1e-5, atol: 1e-6, what: `gradient ${i}` }));
  });

  test("grad of grad through scan (a Hessian-vector product) matches finite differences of the gradient", () => {
    const w = rand([3, 3], 30, 0.5);
    const h0 = rand([3], 31);
    const xs = rand([4, 3], 32);
    const gw = (w: AnyTensor) => lax.sum(lax.mul(grad((w: AnyTensor) => rnnLoss(w, h0, xs))(w), w)) as Scalar;
    checkGrads(gw, [w], { order: 1, atol: 2e-3, rtol: 5e-3 });
  });

  test("errors: the carry must keep its type; xs must agree on the length; the body returns [carry, y]", () => {
    const xs = tensor([1, 2, 3], [3]);
    const zero = scalar(0) as AnyTensor;
    const two = tensor([1, 2], [2]);
    const before = liveTensors();
    expect(() => scan((c: AnyTensor, x: AnyTensor) => [lax.stack([c, x], 0), x] as const, zero, xs)).toThrow(
      "scan: the body returned the carry as [2] float32, but init has [] float32; the carry must keep its shape and dtype",
    );
    expect(() => scan((c: AnyTensor, x: AnyTensor) => [lax.cast(c, "int32"), x] as const, zero, xs)).toThrow(
      "scan: the body returned the carry as [] int32, but init has [] float32",
    );
    expect(() => scan(((c: AnyTensor) => [[c], c]) as never, zero, xs)).toThrow(
      "scan: the body must return a carry with init's structure; it differs at the root",
    );
    expect(() => scan((c: AnyTensor, x: { a: AnyTensor }) => [c, x.a] as const, zero, { a: xs, b: two })).toThrow(
      "scan: xs leaf 1 has shape [2], but the scan length is 3 (from xs leaf 0); every xs leaf must lead with it",
    );
    expect(() => scan((c: AnyTensor, x: AnyTensor) => [c, x] as const, zero, xs, { length: 4 })).toThrow(
      "scan: xs leaf 0 has shape [3], but the scan length is 4 (from length)",
    );
    expect(() => scan(((c: AnyTensor) => c) as never, zero, xs)).toThrow("scan: the body must return [carry, y], got a tensor");
    expect(() => scan((c: AnyTensor) => [c, c] as const, zero, null)).toThrow("scan: xs has no tensors; give { length }");
    expect(() => scan((c: AnyTensor) => [c, c] as const, zero, xs, { lenght: 3 } as never)).toThrow(
      'scan: unknown option "lenght" (options: length, reverse)',
    );
    expect(() =>
      scan(
        (c: AnyTensor, x: AnyTensor) => {
          x.dataSync();
          return [c, x] as const;
        },
        zero,
        xs,
      ),
    ).toThrow("scan: cannot read the values of");
    expect(liveTensors(), "failed calls leak nothing").toBe(before + 0);
  });
});

// ---------------------------------------------------------------- cond, whileLoop, foriLoop
describe("cond", () => {
  const safeLog = (x: Tensor<[]>) =>
    cond(
      greater(x, 0),
      (v: Tensor<[]>) => log(v),
      (v: Tensor<[]>) => mul(v, 0),
      x,
    );
  test("concrete predicates run one branch; traced ones (jit, vmap) select; gradients follow the branch taken", () => {
    expect(values(safeLog(scalar(Math.E)))[0]).toBeCloseTo(1, 5);
    expect(values(safeLog(scalar(-2)))).toEqual([-0]);
    expect(values(jit(safeLog)(scalar(Math.E)))[0]).toBeCloseTo(1, 5);
    expect(values(vmap(safeLog)(tensor([Math.E, -1, 1], [3])) as AnyTensor)).toEqual([expect.closeTo(1, 5), -0, 0]);
    expect(values(grad(safeLog)(scalar(2)))[0]).toBeCloseTo(0.5, 6);
    expect(values(jit(grad(safeLog))(scalar(2)))[0]).toBeCloseTo(0.5, 6);
    expect(values(grad(safeLog)(scalar(-2)))).toEqual([0]);
    let taken = "";
    cond(
      true,
      () => ((taken += "t"), scalar(1)),
      () => ((taken += "f"), scalar(2)),
    );
    expect(taken, "both branches are traced (type check), once each").toBe("tf");
  });

  test("errors: branches of different types; a predicate that is not a bool scalar", () => {
    expect(() =>
      cond(
        true,
        () => scalar(1) as AnyTensor,
        () => tensor([1, 2], [2]) as AnyTensor,
      ),
    ).toThrow(
      "cond: both branches must return the same type; result leaf 0 is [] float32 in the true branch, [2] float32 in the false branch",
    );
    expect(() =>
      cond(
        true,
        () => [scalar(1)] as AnyTensor[],
        () => scalar(1) as unknown as AnyTensor[],
      ),
    ).toThrow("cond: both branches must return the same type; their results differ");
    expect(() =>
      cond(
        scalar(1) as never,
        () => scalar(1),
        () => scalar(2),
      ),
    ).toThrow(
      'cond: the predicate must be a bool scalar (Tensor<[], "bool">) or a boolean, got [] float32; compare to make one (e.g. greater(x, 0))',
    );
  });
});

describe("whileLoop and foriLoop", () => {
  test("whileLoop: values, jit (one host read per step), vmap (until every example stops), jvp; grad is refused", () => {
    const count = ([i, x]: [Tensor<[], "int32">, Tensor<[]>]) => [add(i, 1), mul(x, 2)] as [Tensor<[], "int32">, Tensor<[]>];
    const below = ([i]: [Tensor<[], "int32">, Tensor<[]>]) => less(i, 10);
    const [i, x] = whileLoop(below, count, [scalar(0, "int32"), scalar(1)]);
    expect([values(i)[0], values(x)[0]]).toEqual([10, 1024]);
    const f = (x: AnyTensor) => growWhile(x);
    expect(values(jit(f)(tensor([1, 1, 1], [3])))).toEqual(values(f(tensor([1, 1, 1], [3]))));
    const batched = vmap(f)(tensor([1, 1, 1, 3, 3, 3], [2, 3]));
    expect(values(batched)).toEqual([...values(f(tensor([1, 1, 1], [3]))), ...values(f(tensor([3, 3, 3], [3])))]);
    const [, dot] = jvp(f, [tensor([1, 1, 1], [3])], [tensor([1, 0, 0], [3])]);
    expect(values(dot)[0]).toBeGreaterThan(1);
    expect(() => grad((x: AnyTensor) => lax.sum(f(x)) as Scalar)(tensor([1, 1, 1], [3]))).toThrow(
      "whileLoop: reverse-mode differentiation (grad, vjp) is not supported: the number of steps is known only at run time",
    );
  });

  test("foriLoop: number bounds lower to scan (differentiable), tensor bounds to whileLoop", () => {
    const body = (i: Tensor<[], "int32">, acc: Tensor<[]>) => add(mul(acc, 1.1), cast(i, "float32"));
    const direct = (x: number) => {
      let acc = x;
      for (let i = 2; i < 7; i++) acc = acc * 1.1 + i;
      return acc;
    };
    expect(values(foriLoop(2, 7, body, scalar(1)))[0]).toBeCloseTo(direct(1), 4);
    expect(values(foriLoop(scalar(2, "int32"), scalar(7, "int32"), body, scalar(1)))[0]).toBeCloseTo(direct(1), 4);
    expect(values(foriLoop(5, 5, body, scalar(1)))).toEqual([1]);
    expect(values(grad((x: Tensor<[]>) => foriLoop(2, 7, body, x))(scalar(1)))[0]).toBeCloseTo(1.1 ** 5, 4);
    expect(() => foriLoop(0.5, 3, body, scalar(1))).toThrow("foriLoop: lower must be an integer, got 0.5");
  });
});

// ---------------------------------------------------------------- customJvp, remat
describe("customJvp and remat", () => {
  test("customJvp: a stable log1pexp; jvp uses the rule, grad its transpose, under jit and vmap too", () => {
    const naive = (x: Tensor<[]>) => log(add(exp(x), 1));
    const stable = customJvp(naive, ([x], [xDot]) => [naive(x), mul(xDot, sigmoid(x))] as const);
    expect(Number.isNaN(values(grad(naive)(scalar(100)))[0]), "the plain formula's gradient").toBe(true);
    expect(values(grad(stable)(scalar(100)))).toEqual([1]);
    expect(values(jit(grad(stable))(scalar(100)))).toEqual([1]);
    expect(values(jvp(stable, [scalar(100)], [scalar(2)])[1])).toEqual([2]);
    expect(values(vmap(grad(stable))(tensor([100, 0], [2])))).toEqual([1, 0.5]);
    expect(values(grad(grad(stable))(scalar(0)))[0]).toBeCloseTo(0.25, 6);
    expect(() => customJvp(naive, (([x]: [Tensor<[]>]) => x) as never)(scalar(1))).toThrow(
      "customJvp: the jvp rule must return [output, output tangent], got a tensor",
    );
  });

  test("remat: same values and gradients; the backward pass recomputes instead of storing", () => {
    const w = rand([8, 8], 40, 0.4);
    const x = rand([4, 8], 41);
    const plain = (w: AnyTensor, x: AnyTensor) => lax.sum(lax.mul(block(w, block(w, x)), x)) as Scalar;
    assertAllClose(rematLoss(w, x), values(plain(w, x)), { rtol: 1e-6 });
    const [gr, gp] = [grad(rematLoss)(w, x), grad(plain)(w, x)];
    assertAllClose(gr, values(gp), { rtol: 1e-5, atol: 1e-6 });
    let calls = 0;
    const counted = remat((w: AnyTensor, x: AnyTensor) => (calls++, block(w, x)));
    grad((w: AnyTensor) => lax.sum(counted(w, x)) as Scalar)(w).dispose();
    expect(calls, "traced once: the recomputation replays the traced body").toBe(1);
  });

  test("remat: peak memory of the gradient of a deep MLP, with and without (reported, asserted lower)", async () => {
    const depth = 24;
    const width = 128;
    const batch = 1024;
    const ws = Array.from({ length: depth }, (_, i) => rand([width, width], 50 + i, 1 / Math.sqrt(width)));
    const x = rand([batch, width], 49);
    const layer = (w: AnyTensor, h: AnyTensor) => lax.tanh(lax.matmul(h, w));
    const blockOf4 = (ws4: AnyTensor[], h: AnyTensor) => ws4.reduce((a, w) => layer(w, a), h);
    const remBlock = remat(blockOf4);
    const loss = (useRemat: boolean) => (ws: AnyTensor[]) => {
      let h = x;
      for (let b = 0; b < depth; b += 4) h = (useRemat ? remBlock : blockOf4)(ws.slice(b, b + 4), h);
      return lax.sum(lax.mul(h, h)) as Scalar;
    };
    const peak = async (useRemat: boolean) => {
      // NOTE: measured on jit's replay, which frees each value after its last use; eager grad
      // keeps every intermediate until it returns, so there is nothing for remat to save there
      const step = jit(grad(loss(useRemat)));
      dispose(step(ws));
      let g: AnyTensor[] = [];
      const base = tf.memory().numBytes;
      const info = await tf.profile(() => {
        g = step(ws);
      });
      const result = values(g[0]);
      dispose(g);
      step.dispose();
      return { peakBytes: info.peakBytes - base, first: result };
    };
    const plain = await peak(false);
    const rem = await peak(true);
    console.log(
      `deep MLP (${depth} x dense ${width}, batch ${batch}), jit(grad) replay, peak tensor bytes above params and batch: ` +
        `without remat ${(plain.peakBytes / 2 ** 20).toFixed(2)} MiB, with remat every 4 layers ${(rem.peakBytes / 2 ** 20).toFixed(2)} MiB`,
    );
    assertAllClose(rem.first, plain.first, { rtol: 1e-5, atol: 1e-7 });
    expect(rem.peakBytes).toBeLessThan(plain.peakBytes);
    dispose([...ws, x]);
  });
});

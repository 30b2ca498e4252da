// The registry checks must be able to fail: each deliberately broken primitive below is caught
// by the check that targets its bug, and passes the others.
import { describe, expect, test } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import {
  bind,
  definePrimitive,
  type Primitive,
  primitives,
  mul,
  cos,
  sin,
  add,
  stopGradient,
  type PrimitiveName,
} from "../src/core/index.js";
import { TensorValue, arbTensor } from "../src/testing/index.js";
import { specs, type PrimitiveCase, type PrimitiveSpec } from "./primitive-specs.js";
import { checkFirstOrder, checkJit, checkSecondOrder, checkShapeAndValues, checkVmap, forCases } from "./primitive-harness.js";

/** A unary primitive built from tfjs kernels and rules; `overrides` plant the bug. */
function unaryPrimitive(name: string, overrides: Partial<Primitive<{}>>): Primitive<{}> {
  const prim: Primitive<{}> = definePrimitive<{}>({
    name,
    abstractEval: ([x]) => x,
    impl: ([x]) => tf.sin(x),
    jvp: ([x], [t]) => (t === null ? null : mul(t, cos(x))),
    vjp: (ct, [x]) => [mul(ct, cos(x))],
    batch: ([x]) => bind(prim, [x], {}),
    ...overrides,
  });
  return prim;
}

const spec: PrimitiveSpec = {
  cases: arbTensor([2, 3], { min: -2, max: 2 }).map((x) => ({ inputs: [x], params: {} })),
  derivative: "fd",
  elementwise: Math.sin,
};
const fixed: PrimitiveCase = {
  inputs: [new TensorValue([2, 3], Float32Array.from([0.3, -1.2, 1.9, 0.5, -0.4, 1.1]), "float32")],
  params: {},
};

function allChecks(prim: Primitive, c: PrimitiveCase = fixed): void {
  checkShapeAndValues(prim.name, prim, spec, c);
  checkFirstOrder(prim, spec, c);
  checkSecondOrder(prim, c);
  checkVmap(prim.name, prim, c, 7);
  checkJit(prim.name, prim, spec, c, 7);
}

describe("the primitive checks catch planted bugs", () => {
  test("a correct primitive passes every check, over random cases too", () => {
    const good = unaryPrimitive("goodSin", {});
    allChecks(good);
    forCases(spec, (c, seed) => (checkFirstOrder(good, spec, c), checkVmap("goodSin", good, c, seed)), 5);
  });

  test("a wrong jvp rule: forward mode disagrees with finite differences", () => {
    const bad = unaryPrimitive("badJvp", { jvp: ([x], [t]) => (t === null ? null : mul(t, sin(x))) });
    expect(() => checkFirstOrder(bad, spec, fixed)).toThrow(/checkGrads: jvp of f .* disagrees with finite differences/);
    // and fast-check finds it too
    expect(() => forCases(spec, (c) => checkFirstOrder(bad, spec, c), 5)).toThrow(/Property failed/);
  });

  test("a wrong vjp rule: reverse mode fails the inner-product identity", () => {
    const bad = unaryPrimitive("badVjp", { vjp: (ct, [x]) => [mul(ct, add(cos(x), 0.01))] });
    expect(() => checkFirstOrder(bad, spec, fixed)).toThrow(/checkGrads: vjp of f .* fails the inner-product identity/);
  });

  test("a derivative rule that cannot be differentiated again: only the second-order check fails", () => {
    // NOTE: cos(stopGradient(x)) has the right value but a zero derivative, so sin'' comes out 0
    const bad = unaryPrimitive("frozenDerivative", {
      jvp: ([x], [t]) => (t === null ? null : mul(t, cos(stopGradient(x)))),
      vjp: (ct, [x]) => [mul(ct, cos(stopGradient(x)))],
    });
    checkFirstOrder(bad, spec, fixed);
    expect(() => checkSecondOrder(bad, fixed)).toThrow(/checkGrads: (jvp|vjp) of (jvp|vjp)\(f\)/);
  });

  test("a batching rule that mixes examples: vmap differs from the loop", () => {
    const good = unaryPrimitive("sin", {});
    // flips the batch axis: a plausible slip in a real rule
    const bad = unaryPrimitive("badBatch", { batch: ([x]) => bind(primitives.reverse, [bind(good, [x], {})], { axes: [0] }) });
    expect(() => checkVmap("badBatch", bad, fixed, 7)).toThrow(/badBatch under vmap with inAxes \[0\], example 0/);
  });

  test("a shape rule that disagrees with the kernel", () => {
    const bad = unaryPrimitive("badShape", { abstractEval: ([x]) => ({ shape: [...x.shape].reverse(), dtype: x.dtype }) });
    expect(() => checkShapeAndValues("badShape", bad, spec, fixed)).toThrow(/eager shape vs shape rule|kernel shape vs shape rule/);
  });

  test("a kernel with wrong values: the float64 reference catches it", () => {
    const bad = unaryPrimitive("badKernel", { impl: ([x]) => tf.tidy(() => tf.add(tf.sin(x), 1e-4)) });
    expect(() => checkShapeAndValues("badKernel", bad, spec, fixed)).toThrow(
      /badKernel against its float64 reference: 6 of 6 values differ/,
    );
  });

  test("a kernel that leaks a tensor: the leak check catches it", () => {
    const leaked: tf.Tensor[] = [];
    const bad = unaryPrimitive("leaky", { impl: ([x]) => (leaked.push(tf.keep(tf.ones([1]))), tf.sin(x)) });
    expect(() => forCases(spec, (c) => checkShapeAndValues("leaky", bad, spec, c), 1)).toThrow(/Property failed/);
    expect(leaked.length).toBeGreaterThan(0);
    for (const t of leaked) t.dispose();
  });

  test("a kernel that jit cannot replay faithfully (it keeps state): jit(f) differs from f", () => {
    let calls = 0;
    const bad = unaryPrimitive("stateful", { impl: ([x]) => tf.tidy(() => tf.mul(tf.sin(x), ++calls)) });
    expect(() => checkJit("stateful", bad, { ...spec, derivative: "none" }, fixed, 7)).toThrow(/jit\(stateful\) vs eager/);
  });
});

test("a primitive without a spec is a compile error (tsc checks the @ts-expect-error below)", () => {
  const { exp: _dropped, ...rest } = specs;
  // @ts-expect-error Property 'exp' is missing
  const registry: Record<PrimitiveName, PrimitiveSpec> = rest;
  expect(Object.keys(registry)).not.toContain("exp");
});

// The checks run on every primitive (tests/primitives.test.ts) and, to prove that they can fail,
// on deliberately broken primitives (tests/testing-harness.test.ts). Each check throws on failure.
import { expect } from "vitest";
import * as fc from "fast-check";
import * as tf from "@tensorflow/tfjs-core";
import { bind, grad, jit, jvp, vjp, vmap, type Primitive, mul, sum } from "../src/core/index.js";
import { Concrete, formatShape, type AnyTensor, type Tensor } from "../src/tensor/index.js";
import { liveTensors } from "../src/backend/index.js";
import { TensorValue, assertAllClose, checkGrads, withTensors } from "../src/testing/index.js";
import { Rng } from "../src/testing/numeric.js";
import type { PrimitiveCase, PrimitiveSpec } from "./primitive-specs.js";
import { elementwise } from "./primitive-references.js";

/** Runs `body` and asserts that the number of live tensors is unchanged. */
export function leakFree(body: () => void): void {
  const before = liveTensors();
  body();
  expect(liveTensors(), "live tensors after the check").toBe(before);
}

/** `step` run twice to warm up (traces, plans), then five times: live tensors and the backend's buffers must not move. */
export function expectFlatMemory(step: () => void): void {
  step();
  step();
  const before = [liveTensors(), tf.engine().backend.numDataIds()];
  for (let i = 0; i < 5; i++) step();
  expect([liveTensors(), tf.engine().backend.numDataIds()], "live tensors and backend buffers after 5 more steps").toEqual(before);
}

/** fast-check over the spec's cases (plus a seed for the checks' own randomness), leak-checked. */
export function forCases(spec: PrimitiveSpec, property: (c: PrimitiveCase, seed: number) => void, numRuns: number): void {
  fc.assert(
    fc.property(spec.cases, fc.integer({ min: 0, max: 2 ** 31 - 1 }), (c, seed) => leakFree(() => property(c, seed))),
    { numRuns },
  );
}

const apply =
  (prim: Primitive, params: unknown) =>
  (...xs: AnyTensor[]) =>
    bind(prim, xs, params);

function shapeOf(x: { shape: unknown }): number[] {
  return [...(x.shape as readonly number[])];
}

const avalOf = (x: AnyTensor) => ({ shape: shapeOf(x), dtype: x.dtype });

/** The float32 inputs of a case, by position. */
const floatPositions = (c: PrimitiveCase) => c.inputs.flatMap((v, i) => (v.dtype === "float32" ? [i] : []));

/** Shape rule, eager result, raw kernel result and the float64 reference all agree. */
export function checkShapeAndValues(name: string, prim: Primitive, spec: PrimitiveSpec, c: PrimitiveCase): void {
  withTensors([...c.inputs], (xs) => {
    const aval = prim.abstractEval(xs.map(avalOf), c.params);
    // NOTE: empty results never reach the kernels (see runImpl), so neither do we
    const raw = aval.shape.includes(0)
      ? tf.zeros([...aval.shape], aval.dtype)
      : prim.impl(
          xs.map((x) => x.concrete()),
          c.params,
        );
    const y = bind(prim, xs, c.params);
    try {
      expect(shapeOf(y), "eager shape vs shape rule").toEqual([...aval.shape]);
      expect(y.dtype).toBe(aval.dtype);
      expect(raw.shape, "kernel shape vs shape rule").toEqual([...aval.shape]);
      expect(raw.dtype).toBe(aval.dtype);
      expect(Array.from(y.dataSync() as ArrayLike<number>)).toEqual(Array.from(raw.dataSync() as ArrayLike<number>));
      const expected = spec.elementwise
        ? elementwise(spec.elementwise, c.inputs, aval.dtype === "int32")
        : spec.reference?.(c.inputs, c.params);
      if (expected) {
        expect(shapeOf(y), "shape of the float64 reference").toEqual(expected.shape);
        assertAllClose(y, expected.data, { rtol: 2e-6, atol: 2e-6, what: `${name} against its float64 reference` });
      }
    } finally {
      y.dispose();
      if (!xs.some((x) => (x as unknown as Concrete).value === raw)) raw.dispose();
    }
  });
}

/** jvp vs finite differences, vjp vs finite differences and vs jvp (checkGrads), or exact zeros. */
export function checkFirstOrder(prim: Primitive, spec: PrimitiveSpec, c: PrimitiveCase): void {
  withTensors([...c.inputs], (xs) => {
    const f = apply(prim, c.params);
    const floats = floatPositions(c);
    const outDType = prim.abstractEval(xs.map(avalOf), c.params).dtype;
    if (spec.derivative === "none") expect(outDType, "a primitive without derivative has a bool/int output").not.toBe("float32");
    if (floats.length === 0) return;
    if (spec.derivative === "fd") {
      if (outDType === "float32") checkGrads(f, xs, { order: 1 });
      return;
    }
    // "zero" and "none": both modes must give exact zeros
    const tangents = xs.map((x) => (x.dtype === "float32" ? new Concrete(tf.onesLike(x.concrete())) : x) as AnyTensor);
    const [y, yDot] = jvp(f, xs, tangents);
    expect(
      Array.from(yDot.dataSync() as ArrayLike<number>).every((v) => v === 0),
      "jvp gives zeros",
    ).toBe(true);
    if (outDType === "float32") {
      const [y2, back] = vjp(f, ...xs);
      const seed = new Concrete(tf.onesLike(y.concrete()));
      const cts = back(seed);
      for (const i of floats)
        expect(
          Array.from(cts[i].dataSync()).every((v) => v === 0),
          "vjp gives zeros",
        ).toBe(true);
      for (const t of [...cts, y2, seed]) t.dispose();
      back.dispose();
    }
    for (const t of [y, yDot, ...tangents.filter((t, i) => t !== xs[i])]) t.dispose();
  });
}

/** checkGrads of order 2: jvp and vjp of the jvp and vjp functions vs finite differences. */
export function checkSecondOrder(prim: Primitive, c: PrimitiveCase): void {
  withTensors([...c.inputs], (xs) => {
    const outDType = prim.abstractEval(xs.map(avalOf), c.params).dtype;
    if (floatPositions(c).length === 0 || outDType !== "float32") return;
    checkGrads(apply(prim, c.params), xs, { order: 2 });
  });
}

/** `[B, ...shape]` data with B shuffles of `v` (values stay in the spec's domain), batch moved to `axis`. */
function batchOf(v: TensorValue, size: number, axis: number, rng: Rng): { stacked: TensorValue; examples: TensorValue[] } {
  const examples: TensorValue[] = [v];
  for (let b = 1; b < size; b++) {
    const d = Array.from(v.data as ArrayLike<number>);
    for (let i = d.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1));
      [d[i], d[j]] = [d[j], d[i]];
    }
    examples.push(new TensorValue(v.shape, (v.data.constructor as unknown as { from(x: number[]): typeof v.data }).from(d), v.dtype));
  }
  const outer = v.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = v.shape.slice(axis).reduce((a, b) => a * b, 1);
  const data = new (v.data.constructor as new (n: number) => typeof v.data)(v.size * size);
  for (let o = 0; o < outer; o++)
    for (let b = 0; b < size; b++) for (let i = 0; i < inner; i++) data[(o * size + b) * inner + i] = examples[b].data[o * inner + i];
  const shape = [...v.shape.slice(0, axis), size, ...v.shape.slice(axis)];
  return { stacked: new TensorValue(shape, data, v.dtype), examples };
}

/** vmap over every non-empty set of arguments (each at a random axis) equals a loop over examples. */
export function checkVmap(name: string, prim: Primitive, c: PrimitiveCase, seed: number): void {
  const rng = new Rng(seed);
  const n = c.inputs.length;
  const size = 2 + (seed % 2);
  for (let mask = 1; mask < 1 << n; mask++) {
    const inAxes = c.inputs.map((v, i) => (mask & (1 << i) ? Math.floor(rng.next() * (v.rank + 1)) : null));
    const batches = c.inputs.map((v, i) => (inAxes[i] === null ? undefined : batchOf(v, size, inAxes[i], rng)));
    const args = c.inputs.map((v, i) => batches[i]?.stacked ?? v);
    const where = `${name} under vmap with inAxes ${JSON.stringify(inAxes)}`;
    withTensors(args, (xs) => {
      const f = apply(prim, c.params);
      const ys = vmap(f, { inAxes })(...xs) as AnyTensor;
      try {
        expect(shapeOf(ys)[0], `${where}: batch size`).toBe(size);
        for (let b = 0; b < size; b++) {
          const example = c.inputs.map((v, i) => batches[i]?.examples[b] ?? v);
          withTensors(example, (es) => {
            const y = f(...es);
            const yb = tf.tidy(() => tf.squeeze(tf.slice(ys.concrete(), [b], [1]), [0]));
            try {
              expect(yb.shape, `${where}, example ${b}: shape`).toEqual(shapeOf(y));
              expect(yb.dtype).toBe(y.dtype);
              assertAllClose(new Concrete(yb), y, { rtol: 1e-5, atol: 1e-6, what: `${where}, example ${b}` });
            } finally {
              y.dispose();
              yb.dispose();
            }
          });
        }
      } finally {
        ys.dispose();
      }
    });
  }
}

/** jit(f) = f exactly, one trace, only the output left alive; jit(grad <u, f>) = grad <u, f>. */
export function checkJit(name: string, prim: Primitive, spec: PrimitiveSpec, c: PrimitiveCase, seed: number): void {
  withTensors([...c.inputs], (xs) => {
    const f = apply(prim, c.params);
    const jf = jit(f);
    const before = liveTensors();
    const y = jf(...xs);
    expect(liveTensors(), `jit(${name}): only the output stays alive`).toBe(before + 1);
    const y0 = f(...xs);
    expect(shapeOf(y)).toEqual(shapeOf(y0));
    expect(Array.from(y.dataSync() as ArrayLike<number>), `jit(${name}) vs eager`).toEqual(Array.from(y0.dataSync() as ArrayLike<number>));
    expect(jf.traceCount).toBe(1);
    const floats = floatPositions(c);
    if (spec.derivative === "fd" && floats.length > 0 && y0.dtype === "float32") {
      const u = new TensorValue(shapeOf(y0), Float32Array.from(new Rng(seed).direction(y0.size)), "float32").toTensor() as AnyTensor;
      const loss = ((...a: AnyTensor[]) => sum(mul(f(...a), u))) as unknown as (...a: AnyTensor[]) => Tensor<[]>;
      const g = grad(loss, { argnums: floats });
      const jg = jit(g);
      const gs = g(...xs);
      const jgs = jg(...xs);
      gs.forEach((gi, k) => assertAllClose(jgs[k], gi, { rtol: 1e-6, atol: 1e-7, what: `jit(grad ${name}) for argument ${floats[k]}` }));
      for (const t of [...gs, ...jgs, u]) t.dispose();
      jg.dispose();
    }
    for (const t of [y, y0]) t.dispose();
    jf.dispose();
  });
}

/** f'' of a unary elementwise primitive from grad(sum ∘ grad(sum ∘ f)) against a closed form. */
export function checkClosedFormSecondDerivative(
  name: string,
  prim: Primitive,
  secondDerivative: (x: number) => number,
  c: PrimitiveCase,
): void {
  if (c.inputs[0].dtype !== "float32") return;
  withTensors([...c.inputs], ([x]) => {
    const f = (t: AnyTensor) => sum(bind(prim, [t], {}));
    // elementwise f: the Hessian of sum(f) is diagonal, and grad(sum ∘ grad) is that diagonal
    const df = grad(f as unknown as (t: AnyTensor) => Tensor<[]>);
    const second = grad(((t: AnyTensor) => sum(df(t))) as unknown as (t: AnyTensor) => Tensor<[]>)(x);
    try {
      const expected = Array.from(c.inputs[0].data as Float32Array, secondDerivative);
      assertAllClose(second, expected, { rtol: 1e-4, atol: 1e-5, what: `${name}'' at ${formatShape(c.inputs[0].shape)}` });
    } finally {
      second.dispose();
    }
  });
}

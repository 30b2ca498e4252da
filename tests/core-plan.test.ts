// jit's static plan (core/plan.ts) on the WASM backend: the same bytes as the replay through the
// impls on training steps, a scan and random draws; no leaks over many calls or on errors; a new
// plan per signature. core-plan-cpu.test.ts runs the same cases on the CPU backend.
import { afterEach, describe, expect, test } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import { bind, describePlan, exp, jit, matmul, mul, add, relu, setJitExecution, sum } from "../src/core/index.js";
import { tensor, tree } from "../src/index.js";
import type { AnyTensor } from "../src/tensor/index.js";
import { cases, expectPlanMatchesReplay, failIfNegativeP, values } from "./core-plan-cases.js";

const backendBuffers = () => tf.engine().backend.numDataIds();

afterEach(() => {
  setJitExecution("plan");
});

describe("plan vs replay, bit for bit (WASM)", () => {
  for (const c of cases())
    test(c.name, () => {
      expectPlanMatchesReplay(c);
      c.dispose();
    });

  test("random draws stay equations of the plan, and each call draws anew", () => {
    const c = cases()[4];
    c.run(2);
    const plan = c.jitted.lastPlan!;
    expect(plan.stats.equations).toBeGreaterThan(0);
    expect(describePlan(plan).filter((l) => l.includes("[equation: reads values on the host]")).length).toBe(plan.stats.equations);
    const [a, b] = c.run(2);
    c.dispose();
    expect(Buffer.from(a).equals(Buffer.from(b)), "different keys, different draws").toBe(false);
  });
});

test("setJitExecution refuses an unknown mode by name", () => {
  expect(() => setJitExecution("compile" as never)).toThrow('setJitExecution: expected "plan" or "replay", got compile');
});

describe("memory", () => {
  test("no tensors or backend buffers leak over many planned calls (training steps)", () => {
    for (const c of cases().slice(0, 3)) {
      c.run(2);
      const [t0, b0] = [tf.memory().numTensors, backendBuffers()];
      c.run(12);
      expect(tf.memory().numTensors, c.name).toBe(t0);
      expect(backendBuffers(), c.name).toBe(b0);
      c.dispose();
    }
  });

  test("the plan's constants are released with the jitted function", () => {
    const w = tensor(values(12, 3), [3, 4]);
    const [t0, b0] = [tf.memory().numTensors, backendBuffers()];
    const f = jit((x: AnyTensor) => relu(add(mul(matmul(x, w), 0.5), 1)));
    const x = tensor(values(6, 4), [2, 3]);
    for (let i = 0; i < 3; i++) f(x).dispose();
    expect(f.lastPlan!.stats.kernelCalls).toBeGreaterThan(2);
    f.dispose();
    x.dispose();
    expect(tf.memory().numTensors).toBe(t0);
    expect(backendBuffers()).toBe(b0);
    w.dispose();
  });

  test("an error inside a planned call (an equation step, a kernel) leaves no tensors or buffers behind", () => {
    // a kernel that throws on demand, recorded into the plan like any other
    let failKernel = false;
    const backendName = tf.getBackend();
    const kernelName = `ShapeflowPlanTestFail_${backendName}`;
    tf.registerKernel({
      kernelName,
      backendName,
      kernelFunc: ({ inputs, backend }) => {
        if (failKernel) throw new Error("kernel failed on purpose");
        return tf.getKernel("Identity", backendName).kernelFunc({ inputs, backend, attrs: {} });
      },
    });
    const viaKernel = (x: AnyTensor) =>
      bind({ ...failIfNegativeP, name: "viaKernel", impl: ([t]) => tf.engine().runKernel(kernelName, { x: t }) }, [x]);
    const f = jit((x: AnyTensor) => {
      const a = exp(x);
      const b = bind(failIfNegativeP, [mul(a, x)]);
      const c = viaKernel(add(b, a));
      return [sum(mul(c, b)), c];
    });
    const good = tensor(values(6, 1).map(Math.abs), [2, 3]);
    const bad = tensor(
      values(6, 1).map((v) => -Math.abs(v) - 0.1),
      [2, 3],
    );
    tree.dispose(f(good));
    tree.dispose(f(good)); // the plan runs from here on
    const lines = describePlan(f.lastPlan!);
    expect(lines.some((l) => l.includes("failIfNegative") && l.includes("[equation: reads values on the host]"))).toBe(true);
    expect(lines.some((l) => l.includes(kernelName))).toBe(true);
    const [t0, b0] = [tf.memory().numTensors, backendBuffers()];
    expect(() => f(bad)).toThrow("failIfNegative: negative input");
    expect([tf.memory().numTensors, backendBuffers()]).toEqual([t0, b0]);
    failKernel = true;
    expect(() => f(good)).toThrow("kernel failed on purpose");
    expect([tf.memory().numTensors, backendBuffers()]).toEqual([t0, b0]);
    failKernel = false;
    tree.dispose(f(good));
    expect([tf.memory().numTensors, backendBuffers()]).toEqual([t0, b0]);
    f.dispose();
    tf.unregisterKernel(kernelName, backendName);
    tree.dispose([good, bad]);
  });
});

test("a new signature gets its own plan; an old signature reuses its plan", () => {
  const f = jit((x: AnyTensor) => sum(mul(exp(x), x)));
  const small = tensor(values(6, 1), [2, 3]);
  const large = tensor(values(12, 2), [4, 3]);
  f(small).dispose();
  f(small).dispose();
  const p1 = f.lastPlan!;
  f(large).dispose();
  const p2 = f.lastPlan!;
  expect(p2).not.toBe(p1);
  expect(f.traceCount).toBe(2);
  const shapes = (p: typeof p1) => p.steps.flatMap((st) => (st.kind === "call" ? [st.label] : [])).join("; ");
  expect(shapes(p1)).toContain("[2,3]");
  expect(shapes(p2)).toContain("[4,3]");
  expect(shapes(p2)).not.toContain("[2,3]");
  f(small).dispose();
  expect(f.lastPlan).toBe(p1);
  expect(f.traceCount).toBe(2);
  // and the values follow the signature
  const want = Array.from(small.dataSync()).reduce((a, v) => a + Math.exp(v) * v, 0);
  const got = f(small);
  expect(got.item()).toBeCloseTo(want, 5);
  tree.dispose([got, small, large]);
  f.dispose();
});

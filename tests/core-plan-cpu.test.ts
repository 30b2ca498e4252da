// jit's static plan on the CPU backend: the cases of core-plan.test.ts, bit for bit against the
// replay, and no leaks; a plan lowered for one backend is lowered anew for another.
import { afterAll, beforeAll, expect, test } from "vitest";
import "@tensorflow/tfjs-backend-cpu"; // registers the CPU backend, which init() imports only when asked for it
import * as tf from "@tensorflow/tfjs-core";
import { exp, jit, mul, sum } from "../src/core/index.js";
import { tensor } from "../src/index.js";
import type { AnyTensor } from "../src/tensor/index.js";
import { cases, expectPlanMatchesReplay, values } from "./core-plan-cases.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
  await tf.ready();
});

// in case the runner reuses this process for another file
afterAll(async () => {
  await tf.setBackend("wasm");
});

for (const c of cases())
  test(`CPU backend: ${c.name}`, () => {
    expect(tf.getBackend()).toBe("cpu");
    expectPlanMatchesReplay(c);
    c.run(2);
    const before = [tf.memory().numTensors, tf.engine().backend.numDataIds()];
    c.run(6);
    expect([tf.memory().numTensors, tf.engine().backend.numDataIds()]).toEqual(before);
    c.dispose();
  });

test("a plan recorded on one backend is lowered anew on another", async () => {
  const f = jit((x: AnyTensor) => sum(mul(exp(x), x)));
  const x = tensor(values(6, 1), [2, 3]);
  f(x).dispose();
  f(x).dispose();
  const cpuPlan = f.lastPlan!;
  expect(cpuPlan.backendName).toBe("cpu");
  const onCpu = f(x);
  const want = onCpu.item();
  onCpu.dispose();
  await tf.setBackend("wasm");
  try {
    const y = tensor(values(6, 1), [2, 3]);
    const got = f(y);
    expect(f.lastPlan!.backendName).toBe("wasm");
    expect(f.traceCount).toBe(1);
    expect(got.item()).toBeCloseTo(want, 5);
    got.dispose();
    y.dispose();
    f.dispose();
  } finally {
    await tf.setBackend("cpu");
  }
  x.dispose();
});

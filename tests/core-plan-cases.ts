// Graphs for the static-plan tests (core-plan.test.ts on WASM, core-plan-cpu.test.ts on the CPU
// backend): each a jitted function and the arguments of a few calls. A training step runs its
// output params back in, so a plan that went wrong anywhere shows up in every later step.
import { expect } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import {
  bind,
  definePrimitive,
  jit,
  scan,
  setJitExecution,
  add,
  matmul,
  mul,
  exp,
  sub,
  sum,
  tanh,
  type Jitted,
  type Primitive,
} from "../src/core/index.js";
import { losses, nn, optim, random, tensor, tree } from "../src/index.js";
import { makeTrainStep } from "../src/train/index.js";
import type { AnyTensor } from "../src/tensor/index.js";

/** Deterministic pseudo-random numbers in [-1, 1). */
export function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

export interface Case {
  name: string;
  /** Runs `steps` calls and returns every output's bytes, in order; frees what it made. */
  run(steps: number): Uint8Array[];
  dispose(): void;
  /** The jitted function (to read its plan). */
  jitted: Jitted<never>;
}

function bytesOf(tree_: unknown): Uint8Array[] {
  return tree.leaves(tree_).map((l) => {
    const d = l.concrete().dataSync();
    // the shape and dtype first, then the bytes of the values
    const head = new TextEncoder().encode(`${l.dtype}[${l.shape.join(",")}]:`);
    return new Uint8Array([...head, ...new Uint8Array(d.buffer, d.byteOffset, d.byteLength)]);
  });
}

function trainCase(name: string, build: () => unknown, xShape: number[], classes: number): Case {
  const model = build() as {
    init(k: unknown): unknown;
    initState(): unknown;
  };
  const step = makeTrainStep(model as never, losses.sparseCategoricalCrossEntropy as never, optim.adam(1e-2));
  const batch = xShape[0];
  const xs = [0, 1].map((i) =>
    tensor(
      values(
        xShape.reduce((a, b) => a * b, 1),
        7 + i,
      ),
      xShape,
    ),
  );
  const ys = [0, 1].map((i) =>
    tensor(
      Int32Array.from({ length: batch }, (_, j) => (j * 7 + i) % classes),
      [batch],
      "int32",
    ),
  );
  return {
    name,
    jitted: step,
    run(steps) {
      const key = random.key(3);
      let params = model.init(key);
      let state = model.initState();
      let optState: unknown = optim.adam(1e-2).init(params as never);
      const out: Uint8Array[] = [];
      for (let s = 0; s < steps; s++) {
        const k = random.foldIn(key, s);
        const r = step(params, optState, state, xs[s % 2], ys[s % 2], k);
        out.push(...bytesOf([r.loss, r.out, r.probe]));
        tree.dispose([params, optState, state, k]);
        ({ params, optState, state } = r as { params: unknown; optState: unknown; state: unknown });
        tree.dispose([r.loss, r.out, r.probe]);
      }
      out.push(...bytesOf(params));
      tree.dispose([params, optState, state, key]);
      return out;
    },
    dispose() {
      step.dispose();
      tree.dispose([xs, ys]);
    },
  };
}

function fnCase(name: string, f: (...a: never[]) => unknown, args: (s: number) => AnyTensor[]): Case {
  const j = jit(f);
  return {
    name,
    jitted: j,
    run(steps) {
      const out: Uint8Array[] = [];
      for (let s = 0; s < steps; s++) {
        const a = args(s);
        const r = (j as unknown as (...x: AnyTensor[]) => unknown)(...a);
        out.push(...bytesOf(r));
        tree.dispose([r, a]);
      }
      return out;
    },
    dispose: () => j.dispose(),
  };
}

export function cases(): Case[] {
  return [
    trainCase(
      "MLP train step (with dropout: random draws)",
      () =>
        nn.input(["batch", 12]).add(nn.dense(16)).add(nn.relu()).add(nn.dropout(0.25)).add(nn.dense(16)).add(nn.relu()).add(nn.dense(4)),
      [8, 12],
      4,
    ),
    trainCase("LSTM train step", () => nn.input(["batch", 5, 3]).add(nn.lstm(6)).add(nn.dense(4)), [4, 5, 3], 4),
    trainCase(
      "CNN train step",
      () =>
        nn
          .input(["batch", 8, 8, 1])
          .add(nn.conv2d({ filters: 4, kernel: 3, padding: "same" }))
          .add(nn.relu())
          .add(nn.maxPool2d(2))
          .add(nn.flatten())
          .add(nn.dense(4)),
      [3, 8, 8, 1],
      4,
    ),
    fnCase(
      "a scan (a tanh RNN over 6 steps)",
      (w: AnyTensor, h0: AnyTensor, xs: AnyTensor) =>
        scan(
          (h: AnyTensor, x: AnyTensor) => {
            const h2 = tanh(add(matmul(h, w), x));
            return [h2, sum(h2)] as const;
          },
          h0,
          xs,
        ),
      (s) => [tensor(values(16, 1), [4, 4]), tensor(values(8, 2 + s), [2, 4]), tensor(values(48, 5), [6, 2, 4])],
    ),
    fnCase(
      "random draws between kernels",
      (k: AnyTensor, x: AnyTensor) => {
        const n = random.normal(k as never, [3, 5]) as unknown as AnyTensor;
        const u = random.uniform(random.split(k as never, 2)[1], [3, 5]) as unknown as AnyTensor;
        return [mul(exp(mul(x, n)), u), sub(n, x)];
      },
      (s) => [random.key(s), tensor(values(15, 11), [3, 5])],
    ),
  ];
}

/** Runs `c` by replay, then by plan (first call records, the rest run the plan), and expects the same bytes. */
export function expectPlanMatchesReplay(c: Case, steps = 4): void {
  const before = setJitExecution("replay");
  let replayed: Uint8Array[];
  try {
    replayed = c.run(steps);
  } finally {
    setJitExecution("plan");
  }
  const planned = c.run(steps);
  setJitExecution(before);
  expect(planned.length).toBe(replayed.length);
  planned.forEach((p, i) => expect(Buffer.from(p).equals(Buffer.from(replayed[i])), `${c.name}: output ${i} differs`).toBe(true));
  const plan = c.jitted.lastPlan!;
  expect(plan, `${c.name}: a plan was made`).toBeDefined();
  expect(plan.backendName).toBe(tf.getBackend());
  expect(plan.stats.kernelCalls).toBeGreaterThan(0);
}

/** A primitive whose impl reads its input on the host (so it stays an equation of the plan) and throws on a negative first value. */
export const failIfNegativeP: Primitive<{}> = definePrimitive<{}>({
  name: "failIfNegative",
  abstractEval: ([x]) => x,
  impl([x]) {
    if (x.dataSync()[0] < 0) throw new Error("failIfNegative: negative input");
    return tf.clone(x);
  },
  jvp: (_p, [d]) => d,
  vjp: (ct) => [ct],
  batch: ([x], _b, p) => bind(failIfNegativeP, [x], p),
});

// The static plan's direct WASM calls (core/plan-direct.ts): each gives the same bytes as tfjs'
// own kernel over random shapes (broadcasting, size 0, transposed matmuls, windows, concats), is
// used only when the registered kernel is tfjs' own, and a plan uses them (and frees their heap
// memory with the plan); the buffers a plan assigns at lowering time (core/plan-buffers.ts) go
// only where nothing can keep a reference and never to two values alive at once. Plan-vs-replay equality of whole training steps is core-plan.test.ts.
import { afterEach, describe, expect, test } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import {
  concat,
  describePlan,
  directKeysMatch,
  exp,
  freeDirect,
  jit,
  lowerDirect,
  matmul,
  mul,
  add,
  reshape,
  setJitExecution,
  setPlanBuffers,
  setPlanDirectCalls,
  sigmoid,
  slice,
  sum,
  transpose,
  type DirectMemory,
} from "../src/core/index.js";
import { tensor, tree } from "../src/index.js";
import type { AnyTensor } from "../src/tensor/index.js";
import type { TfTensorInfo } from "../src/tensor/index.js";
import { cases, values } from "./core-plan-cases.js";

afterEach(() => {
  setPlanDirectCalls(true);
  setPlanBuffers(true);
  setJitExecution("plan");
});

const onWasm = tf.getBackend() === "wasm";

/** A deterministic generator (LCG) for shapes and values. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

const bytes = (t: TfTensorInfo) => {
  const v = tf.engine().backend.readSync(t.dataId) as Float32Array | Int32Array | Uint8Array;
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
};

/**
 * Runs kernel `name` on `inputs` through tfjs (the engine) and through its direct call lowered for
 * the same inputs; expects a direct call to exist and both outputs to have the same shape, dtype and bytes.
 */
function expectSameAsKernel(
  name: string,
  inputs: tf.NamedTensorMap | tf.Tensor[],
  attrs: Record<string, unknown> = {},
  lowered = true,
): void {
  const backend = tf.engine().backend;
  const want = tf.engine().runKernel<tf.Tensor>(name, inputs as tf.NamedTensorMap, attrs as tf.NamedAttrMap);
  const list = Array.isArray(inputs) ? inputs : Object.values(inputs);
  const keys = Array.isArray(inputs) ? null : Object.keys(inputs);
  const mem: DirectMemory = { ptrs: [] };
  const what = `${name} ${list.map((t) => `[${t.shape.join(",")}]`).join(" ")} ${JSON.stringify(attrs)}`;
  expect(directKeysMatch(name, keys), what).toBe(true);
  const run = lowerDirect(name, tf.getKernel(name, "wasm").kernelFunc, backend, list, attrs as tf.NamedAttrMap, [want], mem);
  if (!lowered) {
    // tfjs does something else for these inputs: the plan keeps its kernel
    expect(run, what).toBeUndefined();
    want.dispose();
    return;
  }
  expect(run, what).toBeDefined();
  const vals: (TfTensorInfo | undefined)[] = [...list, undefined];
  run!.run(
    vals,
    list.map((_, i) => i),
    list.length,
    undefined,
  );
  const got = vals[list.length]!;
  expect([got.shape, got.dtype], what).toEqual([want.shape, want.dtype]);
  expect(bytes(got).equals(bytes(want)), what).toBe(true);
  if (backend.disposeData(got.dataId)) tf.engine().removeDataId(got.dataId, backend);
  want.dispose();
  freeDirect(backend, mem);
}

const randShape = (r: () => number, rank: number, max = 5, zero = false) =>
  Array.from({ length: rank }, () => (zero && r() < 0.15 ? 0 : 1 + Math.floor(r() * max)));
const randTensor = (r: () => number, shape: number[], dtype: "float32" | "int32" = "float32") =>
  dtype === "int32"
    ? tf.tensor(
        Array.from({ length: tf.util.sizeFromShape(shape) }, () => Math.floor(r() * 20) - 10),
        shape,
        "int32",
      )
    : tf.tensor(
        Array.from({ length: tf.util.sizeFromShape(shape) }, () => (r() - 0.5) * 8),
        shape,
      );

/** `shape` with some axes set to 1 (or dropped from the front): a shape that broadcasts against it. */
const broadcastOf = (r: () => number, shape: number[]) => {
  const b = shape.map((d) => (r() < 0.4 ? 1 : d));
  return b.slice(Math.floor(r() * (b.length + 1) * 0.5));
};

describe.runIf(onWasm)("direct WASM calls give tfjs' kernel's bytes", () => {
  test("binary elementwise kernels, broadcasting and size 0, float32 and int32", () => {
    const r = rng(1);
    const names = ["Add", "Sub", "Multiply", "RealDiv", "Maximum", "Minimum", "SquaredDifference", "Pow", "Equal", "Less", "GreaterEqual"];
    for (let k = 0; k < 80; k++) {
      const name = names[k % names.length];
      const shape = randShape(r, Math.floor(r() * 4), 5, true);
      const other = broadcastOf(r, shape);
      const [sa, sb] = r() < 0.5 ? [shape, other] : [other, shape];
      const dtype = k % 3 === 0 && name !== "RealDiv" && name !== "Pow" ? "int32" : "float32";
      const [a, b] = [randTensor(r, sa, dtype), randTensor(r, sb, dtype)];
      expectSameAsKernel(name, { a, b });
      tf.dispose([a, b]);
    }
  });

  test("unary kernels and Sigmoid, size 0 included", () => {
    const r = rng(2);
    const names = ["Sigmoid", "Exp", "Neg", "Sqrt", "Square", "Tanh", "Relu", "Abs", "Log", "Rsqrt"];
    for (let k = 0; k < 40; k++) {
      const x = randTensor(r, randShape(r, Math.floor(r() * 4), 6, true));
      const pos = ["Sqrt", "Log", "Rsqrt"].includes(names[k % names.length]);
      const xin = pos ? tf.abs(x) : x;
      expectSameAsKernel(names[k % names.length], { x: xin });
      tf.dispose([x, xin]);
    }
  });

  test("BatchMatMul: ranks 2 and 3, transposes, a broadcast batch", () => {
    const r = rng(3);
    for (let k = 0; k < 24; k++) {
      const [m, n, p] = randShape(r, 3, 7);
      const [ta, tb] = [k % 2 === 1, (k >> 1) % 2 === 1];
      const batch = k % 8 < 4 ? [] : [1 + Math.floor(r() * 3)];
      const bBatch = batch.length > 0 && k % 3 === 0 ? [1] : batch;
      const a = randTensor(r, [...batch, ...(ta ? [n, m] : [m, n])]);
      const b = randTensor(r, [...bBatch, ...(tb ? [p, n] : [n, p])]);
      expectSameAsKernel("BatchMatMul", { a, b }, { transposeA: ta, transposeB: tb });
      tf.dispose([a, b]);
    }
  });

  test("Transpose (size-1 axes included), Reshape", () => {
    const r = rng(4);
    for (let k = 0; k < 30; k++) {
      const rank = 2 + Math.floor(r() * 3);
      const x = randTensor(r, randShape(r, rank, 4), k % 2 === 0 ? "float32" : "int32");
      const perm = [...Array(rank).keys()].sort(() => r() - 0.5);
      if (perm.every((p, i) => p === i)) [perm[0], perm[1]] = [perm[1], perm[0]];
      // NOTE: a permutation that only moves size-1 axes is a copy in tfjs (Identity), not its Transpose
      const moved = perm.filter((p) => x.shape[p] !== 1);
      expectSameAsKernel(
        "Transpose",
        { x },
        { perm },
        moved.some((p, i) => i > 0 && p < moved[i - 1]),
      );
      expectSameAsKernel("Reshape", { x }, { shape: [-1] });
      tf.dispose(x);
    }
  });

  test("Concat over each axis (array inputs), Slice and the view window", () => {
    const r = rng(5);
    for (let k = 0; k < 30; k++) {
      const rank = 1 + Math.floor(r() * 3);
      const shape = randShape(r, rank, 5);
      const axis = Math.floor(r() * rank);
      const dtype = k % 3 === 0 ? "int32" : "float32";
      const parts = Array.from({ length: 2 + Math.floor(r() * 3) }, () =>
        randTensor(
          r,
          shape.map((d, i) => (i === axis ? 1 + Math.floor(r() * 4) : d)),
          dtype,
        ),
      );
      expectSameAsKernel("Concat", parts, { axis });
      const x = parts[0];
      const begin = x.shape.map((d) => Math.floor(r() * d));
      const size = x.shape.map((d, i) => (r() < 0.2 ? 0 : r() < 0.3 ? -1 : 1 + Math.floor(r() * (d - begin[i]))));
      expectSameAsKernel("Slice", { x }, { begin, size });
      const resolved = size.map((s, i) => (s === -1 ? x.shape[i] - begin[i] : s));
      expectSameAsKernel("ShapeflowSlice", { x }, { begin, size: resolved });
      tf.dispose(parts);
    }
  });

  test("a kernel registered by someone else under a lowered name runs through its own function", () => {
    const stock = tf.getKernel("Add", "wasm").kernelFunc;
    const mine: tf.KernelFunc = (args) => stock(args);
    const a = tf.ones([2, 2]);
    const mem: DirectMemory = { ptrs: [] };
    expect(lowerDirect("Add", mine, tf.engine().backend, [a, a], {}, [a], mem)).toBeUndefined();
    expect(lowerDirect("ShapeflowLstmCellForward", mine, tf.engine().backend, [a, a], {}, [a], mem)).toBeUndefined();
    expect(directKeysMatch("Add", ["b", "a"])).toBe(false);
    a.dispose();
  });
});

test("a plan uses direct calls on WASM only, gives the same bytes with them off, and frees their heap memory", () => {
  const w = tensor(values(12, 3), [3, 4]);
  const f = jit((x: AnyTensor) => {
    const h = sigmoid(add(matmul(x, w), 0.5));
    const parts = [slice(h, [0, 0], [-1, 2]), slice(h, [0, 2], [-1, 2])];
    const c = concat([mul(parts[0], parts[1]), exp(parts[1])], 1);
    return [sum(reshape(transpose(c), [-1])), c];
  });
  const x = tensor(values(6, 4), [2, 3]);
  const run = () => {
    const outs = f(x);
    const b = outs.map((t) => Buffer.from(t.concrete().dataSync().buffer));
    tree.dispose(outs);
    return b;
  };
  run();
  const withDirect = run();
  const plan = f.lastPlan!;
  if (onWasm) {
    expect(plan.stats.directCalls).toBeGreaterThan(5);
    expect(plan.memory.ptrs.length).toBeGreaterThan(0);
  } else expect(plan.stats.directCalls).toBe(0);
  setPlanDirectCalls(false);
  const without = run();
  withDirect.forEach((b, i) => expect(b.equals(without[i])).toBe(true));
  f.dispose();
  expect(plan.memory.ptrs.length).toBe(0);
  tree.dispose([w, x]);
});

describe.runIf(onWasm)("buffers assigned at lowering time", () => {
  test("only values made by a direct call and read only by direct calls get one; never an output, a matmul's b or a Reshape's input", () => {
    for (const c of cases().slice(0, 3)) {
      c.run(2);
      const plan = c.jitted.lastPlan!;
      const pinned = plan.pins.flatMap((p, s) => (p === undefined ? [] : [s]));
      expect(pinned.length, c.name).toBeGreaterThan(0);
      expect(plan.buffers.length, c.name).toBeLessThanOrEqual(pinned.length);
      for (const s of pinned) expect(plan.outputs, c.name).not.toContain(s);
      for (const st of plan.steps) {
        const reads = st.srcs.filter((s) => plan.pins[s] !== undefined);
        if (reads.length === 0) continue;
        expect(st.kind === "call" && st.direct !== undefined && !st.direct.aliases, `${c.name}: ${describePlan(plan).join("; ")}`).toBe(
          true,
        );
        if (st.kind === "call" && st.name === "BatchMatMul") expect(plan.pins[st.srcs[1]], c.name).toBeUndefined();
      }
      // values alive at the same time never share a buffer: each step's inputs and output are distinct memory
      for (const st of plan.steps) {
        const offs = [...st.srcs, ...st.outs].flatMap((s) => (plan.pins[s] === undefined ? [] : [[s, plan.pins[s].offset]]));
        const byOffset = new Map<number, Set<number>>();
        for (const [s, off] of offs) byOffset.set(off, (byOffset.get(off) ?? new Set()).add(s));
        for (const slots of byOffset.values()) expect(slots.size, c.name).toBe(1);
      }
      c.dispose();
    }
  });

  test("a computed matmul operand, changing every call: the same bytes as the replay, with buffers and without", () => {
    const f = jit((x: AnyTensor) => {
      const w = exp(mul(transpose(x), 0.1));
      const h = matmul(x, w);
      return matmul(sigmoid(h), exp(mul(h, 0.01)));
    });
    const results = (mode: "plan" | "replay" | "unpinned") =>
      [1, 2, 3].map((seed) => {
        const x = tensor(values(12, seed), [4, 3]);
        const before = setJitExecution(mode === "replay" ? "replay" : "plan");
        const buffers = setPlanBuffers(mode !== "unpinned");
        try {
          const y = f(x);
          const b = Buffer.from(y.concrete().dataSync().buffer);
          tree.dispose([x, y]);
          return b;
        } finally {
          setJitExecution(before);
          setPlanBuffers(buffers);
        }
      });
    results("plan");
    const [planned, unpinned, replayed] = [results("plan"), results("unpinned"), results("replay")];
    expect(f.lastPlan!.pins.some((p) => p !== undefined)).toBe(true);
    planned.forEach((b, i) => {
      expect(b.equals(replayed[i]), `call ${i}`).toBe(true);
      expect(b.equals(unpinned[i]), `call ${i}`).toBe(true);
    });
    f.dispose();
  });
});

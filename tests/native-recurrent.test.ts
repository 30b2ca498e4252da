// The recurrent step kernels (src/core/native/recurrent.c: LSTM, both GRUs, simple RNN) against
// their composites (the same fused ops with native kernels off), over shapes with B = 1 and U not a
// multiple of 4 and pre-activations far into σ's tails; then each layer with the kernels against
// the layer on the composites and on the step-by-step loop: values and gradients (eager and jit,
// with an initial state, masked), grad of grad, no leaks.
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, test } from "vitest";
import * as nn from "../src/nn/index.js";
import {
  fused,
  grad,
  jit,
  jvp,
  leafTensors,
  mul,
  nativeAvailable,
  reshape,
  scoped,
  setNativeKernels,
  withNativeKernels,
  slice,
  sum,
  tanh,
  vmap,
} from "../src/core/index.js";
import { key } from "../src/random/index.js";
import { assertAllClose } from "../src/testing/index.js";
import { tensor, type AnyTensor, type Tensor } from "../src/tensor/index.js";
import { gruBeforeStepOps, gruStepOps, lstmStepOps, rnnStepOps, stepByStep } from "../src/nn/layers/recurrent.js";
import { disposeTree, input, noLeaks, read, values } from "./nn-helpers.js";

/** Values in (−scale, scale) of `shape`. */
const scaled = (shape: number[], seed: number, scale: number) =>
  tensor(
    values(shape[0] * shape[1], seed).map((v) => v * scale),
    shape,
  );

/** The op's outputs with the kernel and with the composite agree (all outputs, to float32 rounding). */
function expectKernelMatches(kernel: string, run: () => AnyTensor[], what: string): void {
  expect(
    withNativeKernels(true, () => nativeAvailable(kernel)),
    `${kernel} runs natively in these tests`,
  ).toBe(true);
  const native = withNativeKernels(true, run);
  const composite = withNativeKernels(false, run);
  expect(native.map((n) => n.shape)).toEqual(composite.map((c) => c.shape));
  native.forEach((n, i) => assertAllClose(n, read(composite[i]), { rtol: 2e-6, atol: 1e-6, what: `${what} output ${i}` }));
  disposeTree(native, composite);
}

const shapes = [
  [1, 1],
  [1, 5],
  [3, 7],
  [4, 8],
  [2, 13],
  [5, 6],
  [64, 64],
] as const;

describe("the LSTM step kernels match their composites", () => {
  for (const [b, u] of shapes)
    for (const scale of [2, 60])
      test(`B ${b}, U ${u}, pre-activations in ±${scale}`, () => {
        noLeaks(() => {
          const pre = scaled([b, 4 * u], 1, scale);
          const c2 = scaled([b, u], 2, 4);
          const dh = scaled([b, u], 3, 1);
          const dc = scaled([b, u], 4, 1);
          for (const hasC of [false, true])
            for (const keep of [false, true]) {
              const fwd = () => fused(lstmStepOps.forward(hasC, keep), hasC ? [pre, c2] : [pre]);
              expectKernelMatches("ShapeflowLstmStepForward", fwd, `forward (c ${hasC}, keep ${keep})`);
            }
          const kept = withNativeKernels(false, () => fused(lstmStepOps.forward(true, true), [pre, c2]));
          const [, , factor, cellFromH, forget] = kept;
          for (const hasDc of [false, true])
            for (const carry of [false, true]) {
              const ins = [factor, cellFromH, dh, ...(hasDc ? [dc] : []), ...(carry ? [forget] : [])];
              const back = () => fused(lstmStepOps.backward(hasDc, carry), ins);
              expectKernelMatches("ShapeflowLstmStepBackward", back, `backward (dc ${hasDc}, carry ${carry})`);
            }
          disposeTree(pre, c2, dh, dc, kept);
        });
      });
});

describe("the GRU and simple RNN step kernels match their composites", () => {
  for (const [b, u] of shapes)
    for (const scale of [2, 60])
      test(`B ${b}, U ${u}, pre-activations in ±${scale}`, () => {
        noLeaks(() => {
          // (h_n, the last block, multiplies r inside σ: kept in ±1 so that r's rounding is not amplified by the scale)
          const pre = tensor(
            values(b * 4 * u, 5).map((v, i) => (i % (4 * u) < 3 * u ? v * scale : v)),
            [b, 4 * u],
          );
          const h = scaled([b, u], 6, 1);
          const dh = scaled([b, u], 7, 1);
          for (const keep of [false, true])
            expectKernelMatches("ShapeflowGruStepForward", () => fused(gruStepOps.forward(keep), [pre, h]), `GRU forward (keep ${keep})`);
          const kept = withNativeKernels(false, () => fused(gruStepOps.forward(true), [pre, h]));
          const [, factor, z] = kept;
          for (const carry of [false, true])
            expectKernelMatches(
              "ShapeflowGruStepBackward",
              () => fused(gruStepOps.backward(carry), carry ? [factor, dh, z] : [factor, dh]),
              `GRU backward (carry ${carry})`,
            );
          const rnnPre = scaled([b, u], 8, scale);
          for (const keep of [false, true])
            expectKernelMatches("ShapeflowRnnStepForward", () => fused(rnnStepOps.forward(keep), [rnnPre]), `RNN forward (keep ${keep})`);
          const [hn, rnnFactor] = withNativeKernels(false, () => fused(rnnStepOps.forward(true), [rnnPre]));
          expectKernelMatches("ShapeflowRnnStepBackward", () => fused(rnnStepOps.backward, [rnnFactor, dh]), "RNN backward");
          disposeTree(pre, h, dh, kept, rnnPre, hn, rnnFactor);
        });
      });
});

// the reset-before GRU's: U 1, 3, 5 and 17 (SIMD and scalar tails), B 1 and 7 (a block of four rows
// for the transpose and three more), and M4's size
const beforeShapes = [...[1, 7].flatMap((b) => [1, 3, 5, 17].map((u) => [b, u] as const)), [64, 64] as const];

describe("the reset-before GRU step kernels match their composites", () => {
  for (const [b, u] of beforeShapes)
    for (const scale of [2, 60])
      test(`B ${b}, U ${u}, pre-activations in ±${scale}`, () => {
        noLeaks(() => {
          const pre = scaled([b, 3 * u], 21, scale);
          const [h, hRec, rhU, dh, dRh] = [22, 23, 24, 25, 26].map((seed) => scaled([b, u], seed, 1));
          for (const keep of [false, true])
            expectKernelMatches(
              "ShapeflowGruBeforeGatesForward",
              () => fused(gruBeforeStepOps.gates(keep), [pre, hRec]),
              `gates (keep ${keep})`,
            );
          const gates = withNativeKernels(false, () => fused(gruBeforeStepOps.gates(true), [pre, hRec]));
          const [, z, r] = gates;
          for (const keep of [false, true])
            expectKernelMatches(
              "ShapeflowGruBeforeStepForward",
              () => fused(gruBeforeStepOps.step(keep), [pre, rhU, h, z]),
              `step (keep ${keep})`,
            );
          const kept = withNativeKernels(false, () => fused(gruBeforeStepOps.step(true), [pre, rhU, h, z]));
          const [, q, zSlope] = kept;
          const rSlope = gates[3];
          for (const carry of [false, true])
            expectKernelMatches(
              "ShapeflowGruBeforeStepBackward",
              () => fused(gruBeforeStepOps.backward(carry), [zSlope, rSlope, q, dh, dRh, ...(carry ? [z, r] : [])]),
              `backward (carry ${carry})`,
            );
          disposeTree(pre, h, hRec, rhU, dh, dRh, gates, kept);
        });
      });
});

describe("the reset-before GRU layer on the kernels", () => {
  const layerOf = (u: number, returnSequences: boolean, dropout = 0) =>
    nn.gru(u, { resetAfter: false, returnSequences, dropout, recurrentDropout: dropout }) as nn.RecurrentLayer<string, unknown>;
  const callsOf = (f: { lastPlan?: { steps: readonly { kind: string; name?: string }[] } }) =>
    f.lastPlan?.steps.flatMap((st) => (st.kind === "call" && st.name !== undefined ? [st.name] : [])) ?? [];
  const kernels = ["ShapeflowGruBeforeGatesForward", "ShapeflowGruBeforeStepForward", "ShapeflowGruBeforeStepBackward"];

  for (const b of [1, 7])
    for (const u of [1, 3, 5, 17])
      for (const masked of [true, false])
        test(`B ${b}, U ${u}: values and gradients as the composites'${masked ? ", masked" : ""}, with an initial state and both dropouts (training), eager and jit`, () => {
          noLeaks(() => {
            const tl = 4;
            const f = 3;
            const layer = layerOf(u, true, 0.3);
            const k = key(40 + u);
            const dropKey = key(50 + b);
            const p = layer.init(k, [b, tl, f]);
            const x = input([b, tl, f], "float32", 41);
            const h0 = [input([b, u], "float32", 42)];
            // ragged lengths: row 0 all real, then a padded first step, a padded last step, ...
            const mask = tensor(
              Array.from({ length: b * tl }, (_, i) => (i < tl ? 1 : (i * 7 + b) % 3 === 0 ? 0 : 1)),
              [b, tl],
            );
            const ctx = (init: AnyTensor[]): nn.RecurrentContext => ({
              initialState: init,
              ...(masked ? { mask } : {}),
              training: true,
              key: dropKey,
            });
            const loss = (q: unknown, v: AnyTensor, init: AnyTensor[]) => sum(mul(tanh(run(layer, q, v, ctx(init))), 1.7)) as Tensor<[]>;
            const gradAll = grad(loss, { argnums: [0, 1, 2] });
            const out = {
              native: withNativeKernels(true, () => run(layer, p, x, ctx(h0))),
              composite: withNativeKernels(false, () => run(layer, p, x, ctx(h0))),
            };
            assertAllClose(out.native, read(out.composite), { rtol: 1e-5, atol: 1e-6, what: "forward" });
            type Grads = [Params, AnyTensor, AnyTensor[]];
            const jitted = withNativeKernels(true, () => jit(gradAll));
            const grads = {
              eager: withNativeKernels(true, () => gradAll(p, x, h0) as Grads),
              jit: withNativeKernels(true, () => jitted(p, x, h0) as Grads),
              composite: withNativeKernels(false, () => gradAll(p, x, h0) as Grads),
            };
            // the jitted step's plan calls the three kernels once a time step each
            const calls = callsOf(jitted);
            for (const name of kernels) expect(calls.filter((c) => c === name).length, name).toBe(tl);
            for (const [name, g] of [
              ["eager", grads.eager],
              ["jit", grads.jit],
            ] as const) {
              const ref = grads.composite;
              for (const w of ["kernel", "recurrentKernel", "bias"])
                assertAllClose(g[0][w], read(ref[0][w]), { rtol: 1e-4, atol: 1e-6, what: `${name} d ${w}` });
              assertAllClose(g[1], read(ref[1]), { rtol: 1e-4, atol: 1e-6, what: `${name} d x` });
              assertAllClose(g[2][0], read(ref[2][0]), { rtol: 1e-4, atol: 1e-6, what: `${name} d h0` });
            }
            jitted.dispose();
            disposeTree(k, dropKey, p, x, h0, mask, out, grads);
          });
        });

  test("jvp through the layer (the fused ops' tangents from their composites) equals the step-by-step loop's", () => {
    noLeaks(() => {
      const [b, tl, f, u] = [7, 3, 4, 5];
      const layer = layerOf(u, true);
      const k = key(80);
      const p = layer.init(k, [b, tl, f]);
      const x = input([b, tl, f], "float32", 81);
      const dx = input([b, tl, f], "float32", 82);
      const mask = tensor([1, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 0], [b, tl]);
      const forward = (v: AnyTensor) => run(layer, p, v, { mask });
      const native = withNativeKernels(true, () => jvp<[AnyTensor], AnyTensor>(forward, [x], [dx]));
      const steps = stepByStep(() => jvp<[AnyTensor], AnyTensor>(forward, [x], [dx]));
      assertAllClose(native[0], read(steps[0]), { rtol: 1e-5, atol: 1e-6, what: "primal" });
      assertAllClose(native[1], read(steps[1]), { rtol: 1e-4, atol: 1e-6, what: "tangent" });
      disposeTree(k, p, x, dx, mask, native, steps);
    });
  });

  test("the composites' jitted plan runs none of the kernels", () => {
    noLeaks(() => {
      const layer = layerOf(5, false);
      const k = key(60);
      const p = layer.init(k, [7, 3, 2]);
      const x = input([7, 3, 2], "float32", 61);
      const f = withNativeKernels(false, () => jit(grad((q: unknown) => sum(run(layer, q, x)) as Tensor<[]>)));
      const g = withNativeKernels(false, () => f(p));
      const calls = callsOf(f);
      for (const name of kernels) expect(calls).not.toContain(name);
      expect(calls.length).toBeGreaterThan(0);
      f.dispose();
      disposeTree(k, p, x, g);
    });
  });

  test("leaves no tensors nor backend buffers behind, eager and jitted, masked", () => {
    const layer = layerOf(6, true, 0.2);
    const k = key(70);
    const p = layer.init(k, [3, 4, 2]);
    const x = input([3, 4, 2], "float32", 71);
    const mask = tensor([1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 1, 1], [3, 4]);
    const dropKey = key(72);
    const loss = (q: unknown) => sum(run(layer, q, x, { mask, training: true, key: dropKey })) as Tensor<[]>;
    const eager = grad(loss);
    const jitted = jit(eager);
    // once each first: jit's trace and the modules' instantiation keep what they keep
    disposeTree(eager(p), jitted(p));
    const before = [tf.memory().numTensors, tf.engine().backend.numDataIds()];
    for (let i = 0; i < 3; i++) disposeTree(eager(p), jitted(p));
    expect([tf.memory().numTensors, tf.engine().backend.numDataIds()]).toEqual(before);
    jitted.dispose();
    disposeTree(k, p, x, mask, dropKey);
  });
});

type Params = Record<string, AnyTensor>;
const run = (layer: nn.RecurrentLayer<string, unknown>, p: unknown, x: AnyTensor, ctx: nn.RecurrentContext = {}) =>
  scoped(() => layer.apply(p, x, ctx)[0], leafTensors);

const kinds = ["lstm", "gru", "gruResetBefore", "simpleRnn"] as const;
const make = (kind: (typeof kinds)[number], units: number, returnSequences = false) =>
  (kind === "gru" || kind === "gruResetBefore"
    ? nn.gru(units, { returnSequences, resetAfter: kind === "gru" })
    : nn[kind](units, { returnSequences })) as nn.RecurrentLayer<string, unknown>;
const variants = [
  { returnSequences: false, initial: false, masked: false },
  { returnSequences: true, initial: false, masked: false },
  { returnSequences: false, initial: true, masked: false },
  { returnSequences: true, initial: true, masked: true },
] as const;

describe.each(kinds)("the %s layer with the kernels", (kind) => {
  for (const { returnSequences, initial, masked } of variants)
    test(`matches the composites and the step-by-step loop${returnSequences ? ", returnSequences" : ""}${initial ? ", from an initial state" : ""}${masked ? ", masked" : ""}`, () => {
      noLeaks(() => {
        const [b, tl, f, u] = [3, 5, 6, 7];
        const layer = make(kind, u, returnSequences);
        const k = key(5);
        const p = layer.init(k, [b, tl, f]);
        const x = input([b, tl, f], "float32", 11);
        const h0 = !initial
          ? []
          : kind === "lstm"
            ? [input([b, u], "float32", 12), input([b, u], "float32", 13)]
            : [input([b, u], "float32", 12)];
        // ragged lengths, a padded first step and an empty row
        const mask = tensor([1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0], [b, tl]);
        const ctx = (init: AnyTensor[]): nn.RecurrentContext => ({
          ...(initial ? { initialState: init } : {}),
          ...(masked ? { mask } : {}),
        });
        const loss = (q: unknown, v: AnyTensor, init: AnyTensor[]) => sum(mul(tanh(run(layer, q, v, ctx(init))), 1.7)) as Tensor<[]>;
        const gradAll = grad(loss, { argnums: [0, 1, 2] });
        const jitted = jit(gradAll);
        const out = {
          native: withNativeKernels(true, () => run(layer, p, x, ctx(h0))),
          composite: withNativeKernels(false, () => run(layer, p, x, ctx(h0))),
          steps: stepByStep(() => run(layer, p, x, ctx(h0))),
        };
        assertAllClose(out.native, read(out.composite), { rtol: 1e-5, atol: 1e-6, what: "forward vs composite" });
        assertAllClose(out.native, read(out.steps), { rtol: 1e-5, atol: 1e-6, what: "forward vs step by step" });
        type Grads = [Params, AnyTensor, AnyTensor[]];
        const grads = {
          eager: withNativeKernels(true, () => gradAll(p, x, h0) as Grads),
          jit: withNativeKernels(true, () => jitted(p, x, h0) as Grads),
          composite: withNativeKernels(false, () => gradAll(p, x, h0) as Grads),
          steps: stepByStep(() => gradAll(p, x, h0) as Grads),
        };
        for (const [name, g] of [
          ["eager", grads.eager],
          ["jit", grads.jit],
          ["composite", grads.composite],
        ] as const) {
          const ref = grads.steps;
          for (const w of ["kernel", "recurrentKernel", "bias"])
            assertAllClose(g[0][w], read(ref[0][w]), { rtol: 1e-4, atol: 1e-6, what: `${name} d ${w}` });
          assertAllClose(g[1], read(ref[1]), { rtol: 1e-4, atol: 1e-6, what: `${name} d x` });
          expect(g[2].length).toBe(h0.length);
          g[2].forEach((d, i) => assertAllClose(d, read(ref[2][i]), { rtol: 1e-4, atol: 1e-6, what: `${name} d h0[${i}]` }));
        }
        jitted.dispose();
        k.dispose();
        disposeTree(p, x, h0, mask, out, grads);
      });
    });

  test("vmap over groups of batches (the batched fused ops run their composites) equals each group's run", () => {
    noLeaks(() => {
      const [g, b, tl, f, u] = [2, 3, 4, 5, 6];
      const layer = make(kind, u, true);
      const k = key(7);
      const p = layer.init(k, [b, tl, f]);
      const xs = input([g, b, tl, f], "float32", 16);
      const grouped = vmap((v: AnyTensor) => run(layer, p, v), { inAxes: [0] })(xs);
      expect(grouped.shape).toEqual([g, b, tl, u]);
      for (let i = 0; i < g; i++) {
        const x = scoped(() => reshape(slice(xs, [i, 0, 0, 0], [1, b, tl, f]), [b, tl, f]), leafTensors);
        const one = run(layer, p, x);
        const part = scoped(() => slice(grouped, [i, 0, 0, 0], [1, b, tl, u]), leafTensors);
        assertAllClose(part, read(one), { rtol: 1e-5, atol: 1e-6, what: `group ${i}` });
        disposeTree(x, one, part);
      }
      k.dispose();
      disposeTree(p, xs, grouped);
    });
  });

  test("grad of grad through the layer (the fused ops' derivatives come from their composites)", () => {
    noLeaks(() => {
      const [b, tl, f, u] = [2, 3, 4, 5];
      const layer = make(kind, u);
      const k = key(6);
      const p = layer.init(k, [b, tl, f]);
      const x = input([b, tl, f], "float32", 14);
      const w = input([b, tl, f], "float32", 15);
      const loss = (v: AnyTensor) => sum(mul(tanh(run(layer, p, v)), 1.3)) as Tensor<[]>;
      // d/dx of <d loss / dx, w>
      const second = grad((v: AnyTensor) => sum(mul(grad(loss)(v), w)) as Tensor<[]>);
      const native = withNativeKernels(true, () => second(x));
      const composite = withNativeKernels(false, () => second(x));
      const steps = stepByStep(() => second(x));
      assertAllClose(native, read(composite), { rtol: 1e-4, atol: 1e-6, what: "native vs composite" });
      assertAllClose(native, read(steps), { rtol: 1e-4, atol: 1e-6, what: "native vs step by step" });
      k.dispose();
      disposeTree(p, x, w, native, composite, steps);
    });
  });
});

// Recurrent layers' options (bidirectional, masking, initial state, dropout, GRU reset-after) by
// equivalence with plainer runs and against the published equations; the fused LSTM against the
// unrolled cell (values and gradients); gradient checks of the new paths; the ONNX export.
import { describe, expect, test } from "vitest";
import * as ort from "onnxruntime-node";
import * as nn from "../src/nn/index.js";
import { concat, grad, jit, leafTensors, reverse, scoped, slice, sum, mul, tanh } from "../src/core/index.js";
import { io } from "../src/index.js";
import { key, type Key } from "../src/random/index.js";
import { assertAllClose, checkGrads } from "../src/testing/index.js";
import { tensor, zeros, type AnyTensor, type Tensor } from "../src/tensor/index.js";
import { stepByStep } from "../src/nn/layers/recurrent.js";
import { disposeTree, input, noLeaks, read, t } from "./nn-helpers.js";

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const dotCol = (v: number[], m: number[], cols: number, col: number) => v.reduce((a, vi, i) => a + vi * m[i * cols + col], 0);

type Params = Record<string, AnyTensor>;
type BiParams = { forward: Params; backward: Params };
/** A layer's apply with its full context (the recurrent layers take initialState and mask). */
const run = (layer: nn.RecurrentLayer<string, unknown>, p: unknown, x: AnyTensor, ctx: nn.RecurrentContext = {}) =>
  scoped(() => layer.apply(p, x, ctx)[0], leafTensors);

/** The values of a slice of `x` (the slice freed). */
function part(x: AnyTensor, begin: number[], size: number[]): number[] {
  const sl = slice(x, begin, size);
  const v = read(sl);
  sl.dispose();
  return v;
}

/** Fresh params for a layer on `shape`. */
function paramsFor(layer: nn.RecurrentLayer<string, unknown>, shape: number[], seed = 0): unknown {
  const k = key(seed);
  const p = layer.init(k, shape);
  k.dispose();
  return p;
}

const kinds = ["simpleRnn", "lstm", "gru"] as const;
const make = (kind: (typeof kinds)[number], units: number, opts: nn.GruOptions = {}) =>
  (kind === "gru" ? nn.gru(units, opts) : nn[kind](units, opts)) as nn.RecurrentLayer<string, unknown>;

// the reset-before GRU (resetAfter: false) has its own fused cell
const fusedKinds = [...kinds, "gruResetBefore"] as const;
const makeFused = (kind: (typeof fusedKinds)[number], units: number, opts: nn.GruOptions = {}) =>
  kind === "gruResetBefore"
    ? (nn.gru(units, { ...opts, resetAfter: false }) as nn.RecurrentLayer<string, unknown>)
    : make(kind, units, opts);

/** A bidirectional layer's gradients (every param of both directions, and x): jit(grad) on the fused path against grad on the step-by-step loop. */
/**
 * The fused layer's gradients (params, x, the initial state) against the step-by-step loop's; returns d x's
 * values (for checks of its own) and frees the gradients.
 */
function expectGradsMatch(
  loss: (q: unknown, v: AnyTensor, init: AnyTensor[]) => Tensor<[]>,
  p: unknown,
  x: AnyTensor,
  h0: AnyTensor[],
): number[] {
  const [gpF, gxF, ghF] = grad(loss, { argnums: [0, 1, 2] })(p, x, h0) as [Params, AnyTensor, AnyTensor[]];
  const [gpU, gxU, ghU] = stepByStep(() => grad(loss, { argnums: [0, 1, 2] })(p, x, h0) as [Params, AnyTensor, AnyTensor[]]);
  for (const name of ["kernel", "recurrentKernel", "bias"])
    assertAllClose(gpF[name], read(gpU[name]), { rtol: 1e-4, atol: 1e-6, what: name });
  assertAllClose(gxF, read(gxU), { rtol: 1e-4, atol: 1e-6, what: "d x" });
  ghF.forEach((g, i) => assertAllClose(g, read(ghU[i]), { rtol: 1e-4, atol: 1e-6, what: `d initialState ${i}` }));
  const dx = read(gxF);
  disposeTree(gpF, gxF, ghF, gpU, gxU, ghU);
  return dx;
}

function expectBiGradsMatch(loss: (q: unknown, v: AnyTensor) => Tensor<[]>, p: unknown, x: AnyTensor): void {
  const g = jit(grad(loss, { argnums: [0, 1] }));
  const [gpF, gxF] = g(p, x) as [BiParams, AnyTensor];
  const [gpU, gxU] = stepByStep(() => grad(loss, { argnums: [0, 1] })(p, x) as [BiParams, AnyTensor]);
  for (const d of ["forward", "backward"] as const)
    for (const name of ["kernel", "recurrentKernel", "bias"])
      assertAllClose(gpF[d][name], read(gpU[d][name]), { rtol: 1e-4, atol: 1e-6, what: `${d} ${name}` });
  assertAllClose(gxF, read(gxU), { rtol: 1e-4, atol: 1e-6, what: "d x" });
  g.dispose();
  disposeTree(gpF, gxF, gpU, gxU);
}

describe.each(fusedKinds)("the fused %s matches the unrolled cell", (kind) => {
  for (const returnSequences of [false, true]) {
    test(`values and gradients${returnSequences ? ", returnSequences" : ""}`, () => {
      noLeaks(() => {
        const [b, tl, f, u] = [3, 4, 5, 2];
        const layer = makeFused(kind, u, { returnSequences });
        const p = paramsFor(layer, [b, tl, f], 1);
        const x = input([b, tl, f], "float32", 7);
        // stepByStep: the general (unrolled) loop, differentiated op by op
        const fused = run(layer, p, x);
        const unrolled = stepByStep(() => run(layer, p, x));
        assertAllClose(fused, read(unrolled), { rtol: 1e-5, atol: 1e-6, what: "forward" });
        expectGradsMatch((q, v) => sum(mul(tanh(run(layer, q, v)), 1.7)) as Tensor<[]>, p, x, []);
        disposeTree(p, x, fused, unrolled);
      });
    });
  }

  test("from an initial state: values and gradients (h0 and c0 included)", () => {
    noLeaks(() => {
      const [b, tl, f, u] = [3, 4, 5, 2];
      const layer = makeFused(kind, u, { returnSequences: true });
      const p = paramsFor(layer, [b, tl, f], 3);
      const x = input([b, tl, f], "float32", 8);
      const h0 = kind === "lstm" ? [input([b, u], "float32", 9), input([b, u], "float32", 10)] : [input([b, u], "float32", 9)];
      const loss = (q: unknown, v: AnyTensor, init: AnyTensor[]) =>
        sum(mul(tanh(run(layer, q, v, { initialState: init })), 1.7)) as Tensor<[]>;
      const fused = run(layer, p, x, { initialState: h0 });
      const unrolled = stepByStep(() => run(layer, p, x, { initialState: h0 }));
      assertAllClose(fused, read(unrolled), { rtol: 1e-5, atol: 1e-6, what: "forward" });
      const [gpF, gxF, ghF] = grad(loss, { argnums: [0, 1, 2] })(p, x, h0) as [Params, AnyTensor, AnyTensor[]];
      const [gpU, gxU, ghU] = stepByStep(() => grad(loss, { argnums: [0, 1, 2] })(p, x, h0) as [Params, AnyTensor, AnyTensor[]]);
      for (const name of ["kernel", "recurrentKernel", "bias"])
        assertAllClose(gpF[name], read(gpU[name]), { rtol: 1e-4, atol: 1e-6, what: name });
      assertAllClose(gxF, read(gxU), { rtol: 1e-4, atol: 1e-6, what: "d x" });
      ghF.forEach((g, i) => assertAllClose(g, read(ghU[i]), { rtol: 1e-4, atol: 1e-6, what: `d initialState ${i}` }));
      disposeTree(p, x, h0, fused, unrolled, gpF, gxF, ghF, gpU, gxU, ghU);
    });
  });

  for (const [what, returnSequences, withInit] of [
    ["last step", false, false],
    ["returnSequences", true, false],
    ["returnSequences, from an initial state", true, true],
  ] as const) {
    test(`a real mask (ragged lengths, a padded first step, an empty row), ${what}: values and all gradients match the step-by-step loop`, () => {
      noLeaks(() => {
        const [b, tl, f, u] = [4, 5, 3, 2];
        const layer = makeFused(kind, u, { returnSequences });
        const p = paramsFor(layer, [b, tl, f], 5);
        const x = input([b, tl, f], "float32", 11);
        const h0 = !withInit
          ? []
          : kind === "lstm"
            ? [input([b, u], "float32", 12), input([b, u], "float32", 13)]
            : [input([b, u], "float32", 12)];
        // row 0 full, row 1 length 2, row 2 padded at the front and in the middle, row 3 all padding
        const pattern = [
          [1, 1, 1, 1, 1],
          [1, 1, 0, 0, 0],
          [0, 1, 0, 1, 1],
          [0, 0, 0, 0, 0],
        ];
        const mask = tensor(
          pattern.flat().map((v) => v === 1),
          [b, tl],
          "bool",
        );
        const ctx = (init: AnyTensor[]) => (withInit ? { mask, initialState: init } : { mask });
        const fused = run(layer, p, x, ctx(h0));
        const unrolled = stepByStep(() => run(layer, p, x, ctx(h0)));
        assertAllClose(fused, read(unrolled), { rtol: 1e-5, atol: 1e-6, what: "forward" });
        // the all-padding row outputs its initial state (zeros without one)
        if (!withInit)
          expect(part(fused, returnSequences ? [3, 0, 0] : [3, 0], returnSequences ? [1, tl, u] : [1, u]).every((v) => v === 0)).toBe(true);
        const loss = (q: unknown, v: AnyTensor, init: AnyTensor[]) => sum(mul(tanh(run(layer, q, v, ctx(init))), 1.7)) as Tensor<[]>;
        const dx = expectGradsMatch(loss, p, x, h0);
        // padded steps take no gradient from x
        pattern.forEach((row, i) =>
          row.forEach((v, s) => v === 0 && expect(dx.slice((i * tl + s) * f, (i * tl + s + 1) * f).every((d) => d === 0)).toBe(true)),
        );
        disposeTree(p, x, h0, mask, fused, unrolled);
      });
    });
  }

  test("a real mask, bidirectional, under jit: the fused run matches the step-by-step loop", () => {
    noLeaks(() => {
      const [b, tl, f, u] = [3, 4, 2, 3];
      const layer = makeFused(kind, u, { returnSequences: true, bidirectional: true });
      const p = paramsFor(layer, [b, tl, f], 6);
      const x = input([b, tl, f], "float32", 14);
      const mask = tensor([1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 1, 0], [b, tl]); // numeric: non-zero = real
      const loss = (q: unknown, v: AnyTensor) => sum(mul(tanh(run(layer, q, v, { mask })), 1.7)) as Tensor<[]>;
      expectBiGradsMatch((q, v) => loss(q, v), p, x);
      disposeTree(p, x, mask);
    });
  });

  test("a real mask: the fused cell's gradients against finite differences", () => {
    noLeaks(() => {
      const [b, tl, f, u] = [2, 3, 2, 2];
      const layer = makeFused(kind, u, { returnSequences: true });
      const p = paramsFor(layer, [b, tl, f], 7) as Params;
      const x = input([b, tl, f], "float32", 15);
      const mask = tensor([true, false, true, false, true, false], [b, tl], "bool");
      checkGrads((q: Params, v: AnyTensor) => sum(mul(tanh(run(layer, q, v, { mask })), 1.7)) as Tensor<[]>, [p, x]);
      disposeTree(p, x, mask);
    });
  });

  for (const [what, withMask] of [
    ["from an initial state", false],
    ["with a real mask and an initial state", true],
  ] as const) {
    test(`recurrent dropout in training, ${what}: values and all gradients match the step-by-step loop for the same key`, () => {
      noLeaks(() => {
        const [b, tl, f, u] = [3, 4, 3, 5];
        const layer = makeFused(kind, u, { returnSequences: true, dropout: 0.2, recurrentDropout: 0.4 });
        const p = paramsFor(layer, [b, tl, f], 21);
        const x = input([b, tl, f], "float32", 22);
        const h0 = kind === "lstm" ? [input([b, u], "float32", 23), input([b, u], "float32", 24)] : [input([b, u], "float32", 23)];
        const mask = withMask
          ? tensor([true, true, true, true, true, false, true, false, false, true, true, false], [b, tl], "bool")
          : undefined;
        const k = key(25);
        const ctx = (init: AnyTensor[]): nn.RecurrentContext => ({ training: true, key: k, initialState: init, ...(mask ? { mask } : {}) });
        const fused = run(layer, p, x, ctx(h0));
        const unrolled = stepByStep(() => run(layer, p, x, ctx(h0)));
        const plain = run(layer, p, x, { ...ctx(h0), training: false });
        assertAllClose(fused, read(unrolled), { rtol: 1e-5, atol: 1e-6, what: "forward" });
        // the draw drops something: training differs from inference
        expect(read(fused)).not.toEqual(read(plain));
        const loss = (q: unknown, v: AnyTensor, init: AnyTensor[]) => sum(mul(tanh(run(layer, q, v, ctx(init))), 1.7)) as Tensor<[]>;
        expectGradsMatch(loss, p, x, h0);
        disposeTree(p, x, h0, mask ?? [], k, fused, unrolled, plain);
      });
    });
  }

  test("recurrent dropout, bidirectional, under jit: the fused run matches the step-by-step loop", () => {
    noLeaks(() => {
      const [b, tl, f, u] = [3, 4, 2, 4];
      const layer = makeFused(kind, u, { bidirectional: true, recurrentDropout: 0.5 });
      const p = paramsFor(layer, [b, tl, f], 26);
      const x = input([b, tl, f], "float32", 27);
      const k = key(28);
      const loss = (q: unknown, v: AnyTensor, kk: Key) => sum(mul(tanh(run(layer, q, v, { training: true, key: kk })), 1.7)) as Tensor<[]>;
      expectBiGradsMatch((q, v) => loss(q, v, k), p, x);
      disposeTree(p, x, k);
    });
  });

  test("recurrent dropout: the fused cell's gradients against finite differences", () => {
    noLeaks(() => {
      const [b, tl, f, u] = [2, 3, 2, 3];
      const layer = makeFused(kind, u, { returnSequences: true, recurrentDropout: 0.4 });
      const p = paramsFor(layer, [b, tl, f], 29) as Params;
      const x = input([b, tl, f], "float32", 30);
      const h0 = kind === "lstm" ? [input([b, u], "float32", 31), input([b, u], "float32", 32)] : [input([b, u], "float32", 31)];
      const k = key(33);
      checkGrads(
        (q: Params, v: AnyTensor, init: AnyTensor[]) =>
          sum(mul(tanh(run(layer, q, v, { training: true, key: k, initialState: init })), 1.7)) as Tensor<[]>,
        [p, x, h0],
      );
      disposeTree(p, x, h0, k);
    });
  });

  test("a one-step sequence, and jit against eager", () => {
    noLeaks(() => {
      const layer = makeFused(kind, 3, { returnSequences: true });
      const p = paramsFor(layer, [2, 1, 4]);
      const x = input([2, 1, 4], "float32", 3);
      const f = jit((q: unknown, v: AnyTensor) => run(layer, q, v));
      const eager = run(layer, p, x);
      const jitted = f(p, x);
      assertAllClose(jitted, read(eager), { rtol: 1e-6 });
      f.dispose();
      disposeTree(p, x, eager, jitted);
    });
  });
});

describe("bidirectional = the forward run and the reversed run, concatenated", () => {
  for (const kind of kinds) {
    for (const returnSequences of [false, true]) {
      test(`${kind}${returnSequences ? ", returnSequences" : ""}`, () => {
        noLeaks(() => {
          const [b, tl, f, u] = [2, 4, 3, 2];
          const bi = make(kind, u, { returnSequences, bidirectional: true });
          const one = make(kind, u, { returnSequences });
          const p = paramsFor(bi, [b, tl, f], 2) as { forward: Params; backward: Params };
          expect(Object.keys(p)).toEqual(["forward", "backward"]);
          const x = input([b, tl, f], "float32", 5);
          const y = run(bi, p, x);
          expect(y.shape).toEqual(returnSequences ? [b, tl, 2 * u] : [b, 2 * u]);
          const fwd = run(one, p.forward, x);
          const xr = reverse(x, 1);
          const bwdRaw = run(one, p.backward, xr);
          const bwd = returnSequences ? reverse(bwdRaw, 1) : bwdRaw;
          const want = concat([fwd, bwd], returnSequences ? 2 : 1);
          assertAllClose(y, read(want), { rtol: 1e-6, atol: 1e-7 });
          disposeTree(p, x, y, fwd, xr, bwdRaw, bwd, want);
        });
      });
    }
  }
});

describe("masking: padded steps leave the state unchanged", () => {
  for (const kind of kinds) {
    test(`${kind}: maskValue 0 on padded sequences gives the unpadded run (bidirectional too)`, () => {
      noLeaks(() => {
        const [tl, f, u] = [5, 3, 2];
        const lengths = [2, 5, 3];
        for (const bidirectional of [false, true]) {
          const masked = make(kind, u, { maskValue: 0, returnSequences: true, bidirectional });
          const plain = make(kind, u, { returnSequences: true, bidirectional });
          const p = paramsFor(masked, [1, tl, f], 3);
          lengths.forEach((len, i) => {
            const real = input([1, len, f], "float32", 20 + i);
            const pad = zeros([1, tl - len, f]);
            const padded = concat([real, pad], 1);
            const y = run(masked, p, padded); // [1, T, W]
            const want = run(plain, p, real); // [1, len, W]
            assertAllClose(part(y, [0, 0, 0], [1, len, y.shape[2]]), read(want), { rtol: 1e-5, atol: 1e-6, what: `length ${len}` });
            if (!bidirectional && len < tl) {
              // the forward run's state passes through the padding: every padded step repeats the last real one
              const last = part(y, [0, len - 1, 0], [1, 1, u]);
              for (let s = len; s < tl; s++) expect(part(y, [0, s, 0], [1, 1, u])).toEqual(last);
            }
            disposeTree(real, pad, padded, y, want);
          });
          disposeTree(p);
        }
      });
    });
  }

  test("a mask at call time, per example, equals running each example on its own length", () => {
    noLeaks(() => {
      const [b, tl, f, u] = [3, 4, 2, 3];
      const layer = make("lstm", u);
      const p = paramsFor(layer, [b, tl, f], 4);
      const x = input([b, tl, f], "float32", 9);
      const lengths = [4, 1, 2];
      const mask = tensor(
        lengths.flatMap((len) => Array.from({ length: tl }, (_, s) => s < len)),
        [b, tl],
        "bool",
      );
      const y = run(layer, p, x, { mask });
      lengths.forEach((len, i) => {
        const xi = slice(x, [i, 0, 0], [1, len, f]);
        const yi = run(layer, p, xi);
        assertAllClose(part(y, [i, 0], [1, u]), read(yi), { rtol: 1e-5, atol: 1e-6, what: `example ${i}` });
        disposeTree(xi, yi);
      });
      // a numeric mask means the same (non-zero = real)
      const numeric = tensor(read(mask).map(Number), [b, tl]);
      const y2 = run(layer, p, x, { mask: numeric });
      expect(read(y2)).toEqual(read(y));
      disposeTree(p, x, mask, y, numeric, y2);
    });
  });
});

describe("initialState", () => {
  for (const kind of ["simpleRnn", "gru"] as const) {
    test(`${kind}: a run split in two, the second starting from the first's h, equals the whole run`, () => {
      noLeaks(() => {
        const [b, tl, f, u] = [2, 5, 3, 2];
        const layer = make(kind, u);
        const p = paramsFor(layer, [b, tl, f], 6);
        const x = input([b, tl, f], "float32", 2);
        const whole = run(layer, p, x);
        const first = slice(x, [0, 0, 0], [b, 2, f]);
        const rest = slice(x, [0, 2, 0], [b, 3, f]);
        const h2 = run(layer, p, first);
        const split = run(layer, p, rest, { initialState: h2 });
        assertAllClose(split, read(whole), { rtol: 1e-6, atol: 1e-7 });
        disposeTree(p, x, whole, first, rest, h2, split);
      });
    });
  }

  test("lstm: [h0, c0] enter the equations (one step by hand)", () => {
    noLeaks(() => {
      const layer = make("lstm", 1);
      const p = {
        kernel: t([0.5, -0.3, 0.8, 0.2], [1, 4]),
        recurrentKernel: t([0.1, 0.2, 0.3, 0.4], [1, 4]),
        bias: t([0.1, 1, -0.2, 0.05], [4]),
      };
      const [x, h0, c0] = [t([2], [1, 1, 1]), t([0.6], [1, 1]), t([-0.7], [1, 1])];
      const y = run(layer, p, x, { initialState: [h0, c0] });
      // pre-activations x W + h0 U + b with x = 2, h0 = 0.6, c0 = -0.7
      const i = sigmoid(0.5 * 2 + 0.1 * 0.6 + 0.1),
        f = sigmoid(-0.3 * 2 + 0.2 * 0.6 + 1),
        g = Math.tanh(0.8 * 2 + 0.3 * 0.6 - 0.2),
        o = sigmoid(0.2 * 2 + 0.4 * 0.6 + 0.05);
      assertAllClose(y, [o * Math.tanh(f * -0.7 + i * g)], { rtol: 1e-5 });
      disposeTree(p, x, h0, c0, y);
    });
  });

  test("bidirectional takes the forward run's state, then the backward run's", () => {
    noLeaks(() => {
      const [b, tl, f, u] = [2, 3, 2, 2];
      const bi = make("gru", u, { bidirectional: true });
      const one = make("gru", u);
      const p = paramsFor(bi, [b, tl, f], 7) as { forward: Params; backward: Params };
      const x = input([b, tl, f], "float32", 4);
      const [hf, hb] = [input([b, u], "float32", 30), input([b, u], "float32", 31)];
      const y = run(bi, p, x, { initialState: [hf, hb] });
      const xr = reverse(x, 1);
      const fwd = run(one, p.forward, x, { initialState: hf });
      const bwd = run(one, p.backward, xr, { initialState: hb });
      const want = concat([fwd, bwd], 1);
      assertAllClose(y, read(want), { rtol: 1e-6 });
      disposeTree(p, x, hf, hb, y, xr, fwd, bwd, want);
    });
  });

  test("wrong count or shape: named errors", () => {
    noLeaks(() => {
      const layer = make("lstm", 2);
      const p = paramsFor(layer, [2, 3, 1]);
      const x = input([2, 3, 1]);
      const h = zeros([2, 2]);
      const bad = zeros([3, 2]);
      expect(() => run(layer, p, x, { initialState: h })).toThrow(
        "lstm(2): initialState must be 2 tensors ([h, c] or, bidirectional, [hForward, hBackward]), got 1",
      );
      expect(() => run(layer, p, x, { initialState: [h, bad] })).toThrow("lstm(2): initialState 1 must be [2, 2], got [3, 2]");
      expect(() => run(layer, p, x, { mask: bad })).toThrow("lstm(2): mask must be [batch, time] = [2, 3], got [3, 2]");
      disposeTree(p, x, h, bad);
    });
  });
});

describe("dropout and recurrentDropout", () => {
  for (const kind of kinds) {
    test(`${kind}: deterministic given a key, different for another key, off at inference`, () => {
      noLeaks(() => {
        const [b, tl, f, u] = [4, 3, 5, 4];
        const layer = make(kind, u, { dropout: 0.4, recurrentDropout: 0.3 });
        const plain = make(kind, u);
        expect(layer.stochastic).toBe(true);
        const p = paramsFor(layer, [b, tl, f], 8);
        const x = input([b, tl, f], "float32", 12);
        const [k1, k2] = [key(1), key(2)];
        const a = run(layer, p, x, { training: true, key: k1 });
        const again = run(layer, p, x, { training: true, key: k1 });
        const other = run(layer, p, x, { training: true, key: k2 });
        const inference = run(layer, p, x, { training: false, key: k1 });
        const reference = run(plain, p, x);
        expect(read(again)).toEqual(read(a));
        expect(read(other)).not.toEqual(read(a));
        expect(read(a)).not.toEqual(read(reference));
        expect(read(inference)).toEqual(read(reference));
        expect(() => run(layer, p, x, { training: true })).toThrow(
          `${layer.name}: training mode with dropout needs a PRNG key ({ training: true, key })`,
        );
        disposeTree(p, x, k1, k2, a, again, other, inference, reference);
      });
    });
  }

  test("input dropout: one mask per sequence, shared by every step (Keras' semantics)", () => {
    noLeaks(() => {
      // with a zero recurrent kernel and bias, simpleRnn's h_t = tanh(dropped(x_t) W): a dropped
      // feature is zero at every step of that sequence
      const [b, tl, f] = [3, 4, 6];
      const layer = make("simpleRnn", f, { dropout: 0.5, returnSequences: true });
      const eye = Array.from({ length: f * f }, (_, i) => (i % (f + 1) === 0 ? 1 : 0));
      const p = { kernel: t(eye, [f, f]), recurrentKernel: zeros([f, f]), bias: zeros([f]) };
      const x = tensor(new Array<number>(b * tl * f).fill(0.5), [b, tl, f]);
      const k = key(3);
      const out = run(layer, p, x, { training: true, key: k });
      const y = read(out);
      for (let i = 0; i < b; i++)
        for (let j = 0; j < f; j++) {
          const col = Array.from({ length: tl }, (_, s) => y[(i * tl + s) * f + j]);
          expect(new Set(col).size, `example ${i}, feature ${j}`).toBe(1);
          expect([0, Math.tanh(1)].some((v) => Math.abs(col[0] - v) < 1e-6)).toBe(true);
        }
      disposeTree(p, x, k, out);
    });
  });

  test("rates out of range: named errors", () => {
    expect(() => nn.lstm(4, { dropout: 1 })).toThrow("lstm: dropout must be in [0, 1), got 1");
    expect(() => nn.gru(4, { recurrentDropout: -0.1 })).toThrow("gru: recurrentDropout must be in [0, 1), got -0.1");
    expect(() => nn.simpleRnn(4, { maskValue: Number.NaN })).toThrow("simpleRnn: maskValue must be a number (not NaN), got NaN");
  });
});

describe("GRU resetAfter", () => {
  test("resetAfter true (the default) matches PyTorch's / Keras 2's equations over 3 steps", () => {
    noLeaks(() => {
      const [b, tl, f, u] = [2, 3, 2, 2];
      const layer = make("gru", u, { returnSequences: true });
      const p = paramsFor(layer, [b, tl, f], 9) as Params;
      expect(p.bias.shape).toEqual([2, 3 * u]);
      // random biases, so the input and recurrent biases are told apart
      const bias = input([2, 3 * u], "float32", 40);
      const q = { ...p, bias };
      const x = input([b, tl, f], "float32", 41);
      const y = run(layer, q, x);
      const [xs, W, U, bb] = [read(x), read(p.kernel), read(p.recurrentKernel), read(bias)];
      const want: number[] = [];
      for (let i = 0; i < b; i++) {
        let h = new Array<number>(u).fill(0);
        for (let s = 0; s < tl; s++) {
          const xt = xs.slice((i * tl + s) * f, (i * tl + s + 1) * f);
          const xg = (c: number) => dotCol(xt, W, 3 * u, c) + bb[c];
          const hg = (c: number) => dotCol(h, U, 3 * u, c) + bb[3 * u + c];
          const z = h.map((_, k) => sigmoid(xg(k) + hg(k)));
          const r = h.map((_, k) => sigmoid(xg(u + k) + hg(u + k)));
          h = h.map((hk, k) => z[k] * hk + (1 - z[k]) * Math.tanh(xg(2 * u + k) + r[k] * hg(2 * u + k)));
          want.push(...h);
        }
      }
      assertAllClose(y, want, { rtol: 1e-5, atol: 1e-6 });
      disposeTree(p, bias, x, y);
    });
  });

  test("the two conventions differ once h is non-zero, and resetAfter false keeps a [3 * units] bias", () => {
    noLeaks(() => {
      const before = make("gru", 2, { resetAfter: false });
      const after = make("gru", 2);
      const pb = paramsFor(before, [1, 3, 2], 10) as Params;
      expect(pb.bias.shape).toEqual([6]);
      expect(before.config).toMatchObject({ resetAfter: false });
      expect(after.config).toMatchObject({ resetAfter: true });
      const pa = { kernel: pb.kernel, recurrentKernel: pb.recurrentKernel, bias: zeros([2, 6]) };
      const x = input([1, 3, 2], "float32", 11);
      const [yb, ya] = [run(before, pb, x), run(after, pa, x)];
      expect(Math.max(...read(yb).map((v, i) => Math.abs(v - read(ya)[i])))).toBeGreaterThan(1e-4);
      disposeTree(pb, pa.bias, x, yb, ya);
    });
  });
});

describe("gradients of the new paths (finite differences, forward and reverse mode)", () => {
  const cases: [string, nn.RecurrentLayer<string, unknown>, (k: Key) => nn.RecurrentContext][] = [
    ["lstm bidirectional, sequences", make("lstm", 2, { bidirectional: true, returnSequences: true }), () => ({})],
    ["gru reset-after (fused), sequences", make("gru", 2, { returnSequences: true }), () => ({})],
    ["simpleRnn (fused), bidirectional", make("simpleRnn", 2, { bidirectional: true }), () => ({})],
    ["gru reset-after, masked (maskValue)", make("gru", 2, { maskValue: 0, returnSequences: true }), () => ({})],
    ["gru reset-before", make("gru", 2, { resetAfter: false }), () => ({})],
    [
      "simpleRnn with dropout and recurrent dropout",
      make("simpleRnn", 3, { dropout: 0.3, recurrentDropout: 0.3 }),
      (k) => ({ training: true, key: k }),
    ],
    ["lstm with recurrent dropout", make("lstm", 2, { recurrentDropout: 0.4 }), (k) => ({ training: true, key: k })],
  ];
  for (const [name, layer, ctx] of cases) {
    test(name, () => {
      noLeaks(() => {
        const shape = [2, 3, 2];
        const p = paramsFor(layer, shape, 12);
        const x = input(shape, "float32", 13);
        // a padded last step for the masked case
        const padded = name.includes("masked")
          ? scoped(() => concat([slice(x, [0, 0, 0], [2, 2, 2]), zeros([2, 1, 2])], 1), leafTensors)
          : x;
        const k = key(4);
        // NOTE: with a mask from the values, moving a padded input off maskValue changes the mask: params only
        if (padded === x) checkGrads((q: unknown, v: AnyTensor) => run(layer, q, v, ctx(k)), [p, x]);
        else checkGrads((q: unknown) => run(layer, q, padded, ctx(k)), [p]);
        disposeTree(p, x, k, padded === x ? [] : padded);
      });
    });
  }

  test("initialState gets its gradient (lstm, both h0 and c0)", () => {
    noLeaks(() => {
      const layer = make("lstm", 2, { returnSequences: true });
      const p = paramsFor(layer, [2, 3, 2], 14);
      const x = input([2, 3, 2], "float32", 15);
      const [h0, c0] = [input([2, 2], "float32", 16), input([2, 2], "float32", 17)];
      checkGrads((h: AnyTensor, c: AnyTensor) => run(layer, p, x, { initialState: [h, c] }), [h0, c0]);
      disposeTree(p, x, h0, c0);
    });
  });

  for (const kind of ["simpleRnn", "gru"] as const) {
    test(`initialState gets its gradient (${kind})`, () => {
      noLeaks(() => {
        const layer = make(kind, 2);
        const p = paramsFor(layer, [2, 3, 2], 18);
        const x = input([2, 3, 2], "float32", 19);
        const h0 = input([2, 2], "float32", 20);
        checkGrads((h: AnyTensor) => run(layer, p, x, { initialState: h }), [h0]);
        disposeTree(p, x, h0);
      });
    });
  }
});

describe("ONNX export of the options", () => {
  async function runOnnx(bytes: Uint8Array, x: AnyTensor): Promise<number[]> {
    const session = await ort.InferenceSession.create(bytes);
    const out = await session.run({ input: new ort.Tensor("float32", x.dataSync() as Float32Array, [...x.shape]) });
    await session.release();
    return Array.from(out.output.data as Float32Array);
  }

  test("bidirectional LSTM (fused), masked GRU, reset-before GRU with dropout: a symbolic batch, ONNX Runtime agrees", async () => {
    const model = nn
      .input(["batch", 5, 3])
      .add(nn.lstm(4, { bidirectional: true, returnSequences: true }))
      .add(nn.gru(3, { maskValue: 0, returnSequences: true }))
      .add(nn.gru(2, { resetAfter: false, dropout: 0.2, bidirectional: true }));
    const params = model.init(key(5));
    const bytes = io.exportOnnx(model, params);
    for (const batch of [1, 4]) {
      const x = input([batch, 5, 3], "float32", 50 + batch);
      const want = model.apply(params, x as never);
      expect(want.shape).toEqual([batch, 4]);
      const got = await runOnnx(bytes, x);
      assertAllClose(want, got, { atol: 1e-5, rtol: 1e-4 });
      disposeTree(x, want);
    }
    disposeTree(params);
  });

  test("the tfjs-layers export refuses what Keras' GRU/LSTM config cannot say, by name", () => {
    const seq = nn.input(["batch", 4, 3]);
    expect(() => io.toTfjsLayers(seq.add(nn.lstm(2, { bidirectional: true })), [{}] as never)).toThrow(
      "exportTfjsLayers: layer 0 (lstm(2, bidirectional)) cannot be exported: bidirectional recurrent layers (Keras' Bidirectional wrapper) are not written by this export",
    );
    expect(() => io.toTfjsLayers(seq.add(nn.gru(2, { maskValue: 0 })), [{}] as never)).toThrow(
      "exportTfjsLayers: layer 0 (gru(2)) cannot be exported: maskValue (Keras' Masking layer in front) is not written by this export",
    );
    expect(() => io.toTfjsLayers(seq.add(nn.gru(2)), [{}] as never)).toThrow(
      "exportTfjsLayers: layer 0 (gru(2)) cannot be exported: tfjs-layers' GRU has no reset_after (shapeflow's default GRU); build it with { resetAfter: false }",
    );
  });
});

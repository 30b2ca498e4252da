// Every layer in the table (tests/nn-registry.ts): the runtime output shape equals
// `layer.outputShape` and the type-level shape (checked at compile time by the table), init and
// apply leave no tensors behind, jit gives the same values, training mode keeps the shape.
// Then random configs per layer family (fast-check) against plain-JS shape formulas.
import { describe, expect, test } from "vitest";
import fc from "fast-check";
import * as nn from "../src/nn/index.js";
import type { Layer } from "../src/nn/index.js";
import { jit } from "../src/core/index.js";
import { key } from "../src/random/index.js";
import { assertAllClose } from "../src/testing/index.js";
import { cases } from "./nn-registry.js";
import { disposeTree, input, noLeaks } from "./nn-helpers.js";

/** An untyped one-layer model (the table's types are checked in nn-registry.ts). */
function oneLayer(shape: readonly number[], layer: Layer, dtype: "float32" | "int32" = "float32"): any {
  return (nn.input([...shape], dtype) as any).add(layer);
}

describe("every layer in the table", () => {
  for (const c of cases) {
    test(c.name, () => {
      const layer = c.layer as Layer;
      expect(layer.outputShape(c.input)).toEqual([...c.expected]);
      noLeaks(() => {
        const m = oneLayer(c.input, layer, c.dtype);
        const k = key(0);
        const params = m.init(k);
        const state = m.initState();
        const x = input(c.input, c.dtype);
        const y = m.apply(params, x, { state });
        expect(y.shape).toEqual([...c.expected]);
        expect(y.dtype).toBe("float32");
        const f = jit((p: unknown, s: unknown, v: unknown) => m.apply(p, v, { state: s }));
        const yj = f(params, state, x);
        assertAllClose(yj, y, { rtol: 1e-5, atol: 1e-6, what: `${c.name} under jit` });
        const [yt, st] = m.applyWithState(params, x, { state, training: true, key: k });
        expect(yt.shape).toEqual([...c.expected]);
        f.dispose();
        disposeTree(k, params, state, x, y, yj, yt, st);
      });
    });
  }

  test("the table covers every layer factory nn exports, and no layer is a bare value", () => {
    // every layer is made by a call (nn.relu(), nn.dense(3)): a table row per factory
    const made = new Set<string>();
    const bareLayers: string[] = [];
    for (const [name, v] of Object.entries(nn)) {
      if (v !== null && typeof v === "object" && "kind" in v) bareLayers.push(name);
      else if (
        typeof v === "function" &&
        ![
          "input",
          "sequential",
          "append",
          "Model",
          "defineLayer",
          "model",
          "add",
          "concat",
          "Node",
          "FunctionalModel",
          "attention",
        ].includes(name)
      )
        made.add(name);
    }
    expect(bareLayers).toEqual([]);
    const covered = new Set(cases.flatMap((c) => [c.layer.kind, c.name.split(" ")[0]]));
    expect([...made].filter((k) => !covered.has(k))).toEqual([]);
  });
});

// ---------------------------------------------------------------- random configs

const convOut = (n: number, k: number, s: number, d: number, padding: "same" | "valid") =>
  padding === "same" ? Math.ceil(n / s) : Math.floor((n - ((k - 1) * d + 1)) / s) + 1;
const padding = fc.constantFrom("same" as const, "valid" as const);
const small = (lo: number, hi: number) => fc.integer({ min: lo, max: hi });

/** Builds the layer, checks outputShape against `expected`, then init + apply give that shape, leak-free. */
function checkShape(shape: number[], layer: Layer, expected: number[], dtype: "float32" | "int32" = "float32"): void {
  expect(layer.outputShape(shape)).toEqual(expected);
  noLeaks(() => {
    const m = oneLayer(shape, layer, dtype);
    const k = key(3);
    const params = m.init(k);
    const x = input(shape, dtype, 7);
    const y = m.apply(params, x, { state: m.initState() });
    expect(y.shape).toEqual(expected);
    disposeTree(k, params, x, y);
  });
}

const RUNS = { numRuns: 6, seed: 42 };

describe("random configs give the published output shapes", () => {
  test("conv2d", () => {
    const arb = fc
      .record({
        b: small(1, 2),
        h: small(1, 7),
        w: small(1, 7),
        c: small(1, 3),
        filters: small(1, 3),
        kh: small(1, 3),
        kw: small(1, 3),
        sh: small(1, 2),
        sw: small(1, 2),
        dh: small(1, 2),
        dw: small(1, 2),
        padding,
      })
      .filter((r) => r.padding === "same" || (r.h >= (r.kh - 1) * r.dh + 1 && r.w >= (r.kw - 1) * r.dw + 1));
    fc.assert(
      fc.property(arb, (r) => {
        const layer = nn.conv2d({
          filters: r.filters,
          kernel: [r.kh, r.kw],
          strides: [r.sh, r.sw],
          dilations: [r.dh, r.dw],
          padding: r.padding,
        });
        checkShape([r.b, r.h, r.w, r.c], layer, [
          r.b,
          convOut(r.h, r.kh, r.sh, r.dh, r.padding),
          convOut(r.w, r.kw, r.sw, r.dw, r.padding),
          r.filters,
        ]);
      }),
      RUNS,
    );
  });

  test("conv1d", () => {
    const arb = fc
      .record({
        b: small(1, 2),
        w: small(1, 9),
        c: small(1, 3),
        filters: small(1, 3),
        k: small(1, 4),
        s: small(1, 3),
        d: small(1, 2),
        padding,
      })
      .filter((r) => r.padding === "same" || r.w >= (r.k - 1) * r.d + 1);
    fc.assert(
      fc.property(arb, (r) => {
        const layer = nn.conv1d({ filters: r.filters, kernel: r.k, strides: r.s, dilations: r.d, padding: r.padding });
        checkShape([r.b, r.w, r.c], layer, [r.b, convOut(r.w, r.k, r.s, r.d, r.padding), r.filters]);
      }),
      RUNS,
    );
  });

  test("conv2dTranspose (Keras' deconv_output_length)", () => {
    const arb = fc.record({
      b: small(1, 2),
      h: small(1, 4),
      w: small(1, 4),
      c: small(1, 3),
      filters: small(1, 3),
      kh: small(1, 3),
      kw: small(1, 3),
      sh: small(1, 3),
      sw: small(1, 3),
      padding,
    });
    const out = (n: number, k: number, s: number, p: "same" | "valid") => (p === "same" ? n * s : n * s + Math.max(k - s, 0));
    fc.assert(
      fc.property(arb, (r) => {
        const layer = nn.conv2dTranspose({ filters: r.filters, kernel: [r.kh, r.kw], strides: [r.sh, r.sw], padding: r.padding });
        checkShape([r.b, r.h, r.w, r.c], layer, [r.b, out(r.h, r.kh, r.sh, r.padding), out(r.w, r.kw, r.sw, r.padding), r.filters]);
      }),
      RUNS,
    );
  });

  test("maxPool2d / avgPool2d", () => {
    const arb = fc
      .record({
        max: fc.boolean(),
        b: small(1, 2),
        h: small(1, 6),
        w: small(1, 6),
        c: small(1, 2),
        kh: small(1, 3),
        kw: small(1, 3),
        sh: small(1, 3),
        sw: small(1, 3),
        padding,
      })
      .filter((r) => r.padding === "same" || (r.h >= r.kh && r.w >= r.kw));
    fc.assert(
      fc.property(arb, (r) => {
        const opts = { window: [r.kh, r.kw] as [number, number], strides: [r.sh, r.sw] as [number, number], padding: r.padding };
        const layer = r.max ? nn.maxPool2d(opts) : nn.avgPool2d(opts);
        checkShape([r.b, r.h, r.w, r.c], layer, [r.b, convOut(r.h, r.kh, r.sh, 1, r.padding), convOut(r.w, r.kw, r.sw, 1, r.padding), r.c]);
      }),
      RUNS,
    );
  });

  test("maxPool1d / avgPool1d", () => {
    const arb = fc
      .record({ max: fc.boolean(), b: small(1, 2), w: small(1, 8), c: small(1, 2), k: small(1, 3), s: small(1, 3), padding })
      .filter((r) => r.padding === "same" || r.w >= r.k);
    fc.assert(
      fc.property(arb, (r) => {
        const opts = { window: r.k, strides: r.s, padding: r.padding };
        const layer = r.max ? nn.maxPool1d(opts) : nn.avgPool1d(opts);
        checkShape([r.b, r.w, r.c], layer, [r.b, convOut(r.w, r.k, r.s, 1, r.padding), r.c]);
      }),
      RUNS,
    );
  });

  test("upsampling2d", () => {
    const arb = fc.record({ b: small(1, 2), h: small(1, 4), w: small(1, 4), c: small(1, 2), fh: small(1, 3), fw: small(1, 3) });
    fc.assert(
      fc.property(arb, (r) => checkShape([r.b, r.h, r.w, r.c], nn.upsampling2d([r.fh, r.fw]), [r.b, r.h * r.fh, r.w * r.fw, r.c])),
      RUNS,
    );
  });

  test("dense / maxout over any leading axes", () => {
    const arb = fc.record({
      lead: fc.array(small(1, 3), { minLength: 0, maxLength: 2 }),
      f: small(1, 4),
      units: small(1, 4),
      pieces: small(1, 3),
      maxout: fc.boolean(),
    });
    fc.assert(
      fc.property(arb, (r) => {
        const layer = r.maxout ? nn.maxout(r.units, r.pieces) : nn.dense(r.units);
        checkShape([...r.lead, r.f], layer, [...r.lead, r.units]);
      }),
      RUNS,
    );
  });

  test("simpleRnn / lstm / gru", () => {
    const arb = fc.record({
      kind: fc.constantFrom("simpleRnn" as const, "lstm" as const, "gru" as const),
      b: small(1, 2),
      t: small(1, 3),
      f: small(1, 3),
      units: small(1, 3),
      seq: fc.boolean(),
      bidirectional: fc.boolean(),
    });
    fc.assert(
      fc.property(arb, (r) => {
        const opts = { returnSequences: r.seq, bidirectional: r.bidirectional };
        const layer = r.kind === "gru" ? nn.gru(r.units, opts) : nn[r.kind](r.units, opts);
        const width = r.bidirectional ? 2 * r.units : r.units;
        checkShape([r.b, r.t, r.f], layer, r.seq ? [r.b, r.t, width] : [r.b, width]);
      }),
      RUNS,
    );
  });

  test("embedding / flatten / reshape", () => {
    const arb = fc.record({ dims: fc.array(small(1, 3), { minLength: 1, maxLength: 3 }), vocab: small(10, 12), dim: small(1, 3) });
    fc.assert(
      fc.property(arb, (r) => {
        checkShape(r.dims, nn.embedding(r.vocab, r.dim), [...r.dims, r.dim], "int32");
        const rest = r.dims.slice(1).reduce((a, b) => a * b, 1);
        checkShape([2, ...r.dims], nn.flatten(), [2, r.dims.reduce((a, b) => a * b, 1)]);
        checkShape([2, ...r.dims], nn.reshape([r.dims[0], -1]), [2, r.dims[0], rest]);
      }),
      RUNS,
    );
  });
});

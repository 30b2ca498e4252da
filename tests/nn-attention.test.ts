// Attention and transformer layers: values against a plain-JS float64 reference (Keras'
// MultiHeadAttention semantics), a hand-computed case, masks (padding, pairs, causal) and their
// numerical behaviour, gradients against finite differences, dropout determinism, symbolic
// sequence lengths, the encoder block against its definition, and the error texts.
import { describe, expect, test } from "vitest";
import * as nn from "../src/nn/index.js";
import { initAttentionParams, type AttentionParams } from "../src/nn/layers/attention.js";
import { sinusoidalTable } from "../src/nn/layers/transformer.js";
import { jit } from "../src/core/index.js";
import { key, foldIn } from "../src/random/index.js";
import { assertAllClose, checkGrads } from "../src/testing/index.js";
import { tensor, type AnyTensor, type Tensor } from "../src/tensor/index.js";
import { notEqual, add, mul, tidy } from "../src/ops/index.js";
import type { ApplyContext, Layer } from "../src/nn/index.js";
import { disposeTree, input, noLeaks, read, values } from "./nn-helpers.js";

// ---------------------------------------------------------------- a float64 reference

type Mat = number[][];
const matmul = (a: Mat, b: Mat): Mat => a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
const rows = (flat: number[], r: number, c: number): Mat => Array.from({ length: r }, (_, i) => flat.slice(i * c, (i + 1) * c));

/**
 * Keras' MultiHeadAttention on one example, written from the paper's formulas: per head h,
 * softmax(Q_h K_hᵀ / √K + mask) V_h, heads concatenated, then the output projection.
 * `allowed(i, j)` says whether query i may attend key j.
 */
function referenceAttention(
  p: { wq: number[]; bq: number[]; wk: number[]; bk: number[]; wv: number[]; bv: number[]; wo: number[]; bo: number[] },
  dims: { h: number; k: number; v: number; dq: number; dk: number; dv: number; dout: number },
  q: Mat,
  k: Mat,
  v: Mat,
  allowed: (i: number, j: number) => boolean,
): Mat {
  const { h, k: kd, v: vd, dq, dk, dv, dout } = dims;
  const proj = (x: Mat, w: number[], b: number[], din: number, width: number) =>
    matmul(x, rows(w, din, h * width)).map((r) => r.map((val, c) => val + b[c]));
  const Q = proj(q, p.wq, p.bq, dq, kd);
  const K = proj(k, p.wk, p.bk, dk, kd);
  const V = proj(v, p.wv, p.bv, dv, vd);
  const concat: Mat = q.map(() => new Array<number>(h * vd).fill(0));
  for (let head = 0; head < h; head++) {
    for (let i = 0; i < q.length; i++) {
      const scores = k.map((_, j) => {
        if (!allowed(i, j)) return -Infinity;
        let s = 0;
        for (let c = 0; c < kd; c++) s += Q[i][head * kd + c] * K[j][head * kd + c];
        return s / Math.sqrt(kd);
      });
      const m = Math.max(...scores);
      // a row with nothing allowed: every key equally (the library's finite masked score does this)
      const e = m === -Infinity ? scores.map(() => 1) : scores.map((s) => Math.exp(s - m));
      const z = e.reduce((a, b) => a + b, 0);
      for (let c = 0; c < vd; c++) concat[i][head * vd + c] = e.reduce((acc, w, j) => acc + (w / z) * V[j][head * vd + c], 0);
    }
  }
  return matmul(concat, rows(p.wo, h * vd, dout)).map((r) => r.map((val, c) => val + p.bo[c]));
}

function flatParams(params: AttentionParams) {
  return {
    wq: read(params.query.kernel),
    bq: read(params.query.bias),
    wk: read(params.key.kernel),
    bk: read(params.key.bias),
    wv: read(params.value.kernel),
    bv: read(params.value.bias),
    wo: read(params.output.kernel),
    bo: read(params.output.bias),
  };
}

/** Non-zero biases, so a wrong bias layout shows. */
function withBiases(p: AttentionParams, seed: number): AttentionParams {
  const b = (t: AnyTensor, s: number) => {
    const fresh = tensor(values(t.size, s), [...t.shape]);
    t.dispose();
    return fresh;
  };
  return {
    query: { kernel: p.query.kernel, bias: b(p.query.bias, seed) },
    key: { kernel: p.key.kernel, bias: b(p.key.bias, seed + 1) },
    value: { kernel: p.value.kernel, bias: b(p.value.bias, seed + 2) },
    output: { kernel: p.output.kernel, bias: b(p.output.bias, seed + 3) },
  } as AttentionParams;
}

/** The reference over a batch: [B, Tq, Dout] flat. */
function referenceBatch(
  params: AttentionParams,
  q: AnyTensor,
  k: AnyTensor,
  v: AnyTensor,
  allowed: (b: number, i: number, j: number) => boolean,
): number[] {
  const [b, tq, dq] = q.shape;
  const [, tk, dk] = k.shape;
  const dv = v.shape[2];
  const [, h, kd] = params.query.kernel.shape;
  const vd = params.value.kernel.shape[2];
  const dout = params.output.kernel.shape[2];
  const p = flatParams(params);
  const [qv, kv, vv] = [read(q), read(k), read(v)];
  const out: number[] = [];
  for (let n = 0; n < b; n++) {
    const y = referenceAttention(
      p,
      { h, k: kd, v: vd, dq, dk, dv, dout },
      rows(qv.slice(n * tq * dq, (n + 1) * tq * dq), tq, dq),
      rows(kv.slice(n * tk * dk, (n + 1) * tk * dk), tk, dk),
      rows(vv.slice(n * tk * dv, (n + 1) * tk * dv), tk, dv),
      (i, j) => allowed(n, i, j),
    );
    out.push(...y.flat());
  }
  return out;
}

const TOL = { rtol: 1e-4, atol: 1e-5 };
/** A number whose literal the compiler does not see (a run-time check is under test). */
const untypedNumber = (n: number): number => n;

/** assertAllClose against flat float64 values (the expected tensor is freed). */
function close(actual: AnyTensor, want: number[], opts: { rtol?: number; atol?: number; what?: string } = TOL): void {
  const e = tensor(want, [...actual.shape]);
  try {
    assertAllClose(actual, e, { ...TOL, ...opts });
  } finally {
    e.dispose();
  }
}

/** A layer's output alone, its intermediates freed (a bare layer's apply runs in no scope of its own). */
const applied = (layer: Layer, params: unknown, x: AnyTensor, ctx: ApplyContext = {}): AnyTensor =>
  tidy(() => layer.apply(params, x, ctx)[0]);
type T3 = Tensor<[number, number, number]>;

// ---------------------------------------------------------------- values

describe("multiHeadAttention values", () => {
  test("a hand-computed case: one head of size 1, identity projections", () => {
    noLeaks(() => {
      const one = (v: number) => tensor([v], [1, 1, 1]);
      const params = {
        query: { kernel: one(1), bias: tensor([0], [1, 1]) },
        key: { kernel: one(1), bias: tensor([0], [1, 1]) },
        value: { kernel: one(1), bias: tensor([0], [1, 1]) },
        output: { kernel: one(1), bias: tensor([0], [1]) },
      };
      const x = tensor([1, 2], [1, 2, 1]);
      const y = nn.attention(params, x, x, x);
      // scores x_i·x_j: row 0 [1, 2], row 1 [2, 4]; out_i = Σ_j softmax_j · x_j
      const w0 = Math.exp(1) / (Math.exp(1) + Math.exp(2));
      const w1 = Math.exp(2) / (Math.exp(2) + Math.exp(4));
      close(y, [w0 * 1 + (1 - w0) * 2, w1 * 1 + (1 - w1) * 2], TOL);
      const yc = nn.attention(params, x, x, x, { causal: true });
      // causal: position 0 sees only itself
      close(yc, [1, w1 * 1 + (1 - w1) * 2], TOL);
      disposeTree(params, x, y, yc);
    });
  });

  test("the layer equals the float64 reference (self-attention, keyDim = D / heads)", () => {
    noLeaks(() => {
      const layer = nn.multiHeadAttention({ heads: 2 });
      const k = key(1);
      const params = withBiases(layer.init(k, [2, 4, 6]) as AttentionParams, 10);
      const x = input([2, 4, 6], "float32", 5);
      const y = applied(layer, params, x);
      expect(params.query.kernel.shape).toEqual([6, 2, 3]);
      expect(params.output.kernel.shape).toEqual([2, 3, 6]);
      close(
        y,
        referenceBatch(params, x, x, x, () => true),
        TOL,
      );
      disposeTree(k, params, x, y);
    });
  });

  test("cross-attention with its own sizes: Tq != Tk, Dq, Dk, Dv, keyDim, valueDim and Dout all different", () => {
    noLeaks(() => {
      const k = key(2);
      const params = withBiases(initAttentionParams(k, { query: 5, key: 3, value: 4, output: 7 }, 3, 2, 4), 20);
      const q = input([2, 3, 5], "float32", 1);
      const kk = input([2, 4, 3], "float32", 2);
      const v = input([2, 4, 4], "float32", 3);
      const y = nn.attention(params, q as T3, kk as T3, v as T3);
      expect(y.shape).toEqual([2, 3, 7]);
      close(
        y,
        referenceBatch(params, q, kk, v, () => true),
        TOL,
      );
      disposeTree(k, params, q, kk, v, y);
    });
  });

  test("masks: padding [B, Tk], pairs [B, Tq, Tk], causal, and a padding mask combined with causal", () => {
    noLeaks(() => {
      const layer = nn.multiHeadAttention({ heads: 2, keyDim: 3, valueDim: 2 });
      const k = key(3);
      const params = withBiases(layer.init(k, [2, 5, 4]) as AttentionParams, 30);
      const x = input([2, 5, 4], "float32", 7);
      const lengths = [5, 3];
      const pad = tensor(
        lengths.flatMap((n) => Array.from({ length: 5 }, (_, j) => (j < n ? 1 : 0))),
        [2, 5],
        "bool",
      );
      const pairsAllowed = (b: number, i: number, j: number) => (i + j + b) % 3 !== 0;
      const pairs = tensor(
        Array.from({ length: 50 }, (_, n) => (pairsAllowed(Math.floor(n / 25), Math.floor(n / 5) % 5, n % 5) ? 1 : 0)),
        [2, 5, 5],
        "bool",
      );
      const cases: [string, AnyTensor, (b: number, i: number, j: number) => boolean][] = [];
      const run = (what: string, mask: AnyTensor | undefined, causal: boolean, allowed: (b: number, i: number, j: number) => boolean) => {
        const y = nn.attention(params, x as T3, x as T3, x as T3, { mask: mask as never, causal });
        close(y, referenceBatch(params, x, x, x, allowed), { ...TOL, what });
        cases.push([what, y, allowed]);
      };
      run("padding", pad, false, (b, _i, j) => j < lengths[b]);
      run("pairs", pairs, false, pairsAllowed);
      run("causal", undefined, true, (_b, i, j) => j <= i);
      run("padding and causal", pad, true, (b, i, j) => j < lengths[b] && j <= i);
      // the layer reads the mask from the apply context
      const yl = applied(layer, params, x, { mask: pad });
      assertAllClose(yl, cases[0][1], { ...TOL, what: "the layer with ctx.mask" });
      disposeTree(
        k,
        params,
        x,
        pad,
        pairs,
        yl,
        cases.map((c) => c[1]),
      );
    });
  });

  test("masked positions do not influence the output; causal outputs do not see the future", () => {
    noLeaks(() => {
      const layer = nn.multiHeadAttention({ heads: 2, causal: true });
      const k = key(4);
      const params = layer.init(k, [1, 6, 4]);
      const x = input([1, 6, 4], "float32", 1);
      // change positions 3.. only: outputs 0..2 must not move
      const shift = tensor(
        Array.from({ length: 24 }, (_, i) => (i >= 12 ? 5 : 0)),
        [1, 6, 4],
      );
      const changed = add(x as T3, shift);
      const a = applied(layer, params, x);
      const b = applied(layer, params, changed);
      expect(read(a).slice(0, 12)).toEqual(read(b).slice(0, 12));
      expect(read(a).slice(12)).not.toEqual(read(b).slice(12));
      disposeTree(k, params, x, shift, changed, a, b);
    });
  });

  test("stable: a fully masked row is finite (uniform weights), huge scores do not overflow", () => {
    noLeaks(() => {
      const layer = nn.multiHeadAttention({ heads: 1 });
      const k = key(5);
      const params = layer.init(k, [1, 3, 2]) as AttentionParams;
      const x = input([1, 3, 2], "float32", 2) as T3;
      const nothing = tensor([0, 0, 0, 1, 1, 1, 0, 1, 0], [1, 3, 3], "bool");
      const y = nn.attention(params, x, x, x, { mask: nothing });
      expect(read(y).every(Number.isFinite)).toBe(true);
      close(
        y,
        referenceBatch(params, x, x, x, (_b, i, j) => [0, 0, 0, 1, 1, 1, 0, 1, 0][i * 3 + j] === 1),
        TOL,
      );
      const big: T3 = mul(x, 1e4);
      const yb = nn.attention(params, big, big, big, { mask: nothing });
      expect(read(yb).every(Number.isFinite)).toBe(true);
      disposeTree(k, params, x, nothing, y, big, yb);
    });
  });
});

// ---------------------------------------------------------------- gradients, jit, dropout

describe("multiHeadAttention derivatives and modes", () => {
  test("gradients match finite differences with a padding mask and causal masking (params, query, key, value)", () => {
    noLeaks(() => {
      const k = key(6);
      const params = withBiases(initAttentionParams(k, { query: 3, key: 2, value: 2, output: 3 }, 2, 2, 2), 40);
      const q = input([2, 3, 3], "float32", 1);
      const kk = input([2, 3, 2], "float32", 2);
      const v = input([2, 3, 2], "float32", 3);
      const mask = tensor([1, 1, 0, 1, 1, 1], [2, 3], "bool");
      checkGrads(
        (p: AttentionParams, a: AnyTensor, b: AnyTensor, c: AnyTensor) =>
          nn.attention(p, a as Tensor<[2, 3, 3]>, b as Tensor<[2, 3, 2]>, c as Tensor<[2, 3, 2]>, { mask, causal: true }),
        [params, q, kk, v],
      );
      disposeTree(k, params, q, kk, v, mask);
    });
  });

  test("jit gives the eager values, with the mask in the apply context", () => {
    noLeaks(() => {
      const m = nn.input([2, 4, 4]).add(nn.multiHeadAttention({ heads: 2, causal: true }));
      const k = key(7);
      const params = m.init(k);
      const x = input([2, 4, 4], "float32", 4) as Tensor<[2, 4, 4]>;
      const mask = tensor([1, 1, 1, 0, 1, 1, 0, 0], [2, 4], "bool");
      const f = jit((p: typeof params, v: Tensor<[2, 4, 4]>, msk: AnyTensor) => m.apply(p, v, { mask: msk }));
      const yj = f(params, x, mask);
      const y = m.apply(params, x, { mask });
      assertAllClose(yj, y, TOL);
      f.dispose();
      disposeTree(k, params, x, mask, y, yj);
    });
  });

  test("dropout on the weights: deterministic for a key, different for another, off in eval mode", () => {
    noLeaks(() => {
      const m = nn.input([2, 4, 4]).add(nn.multiHeadAttention({ heads: 2, dropout: 0.5 }));
      const plain = nn.input([2, 4, 4]).add(nn.multiHeadAttention({ heads: 2 }));
      const k = key(8);
      const params = m.init(k);
      const x = input([2, 4, 4], "float32", 4) as Tensor<[2, 4, 4]>;
      const [k1, k2] = [foldIn(k, 1), foldIn(k, 2)];
      const a = m.apply(params, x, { training: true, key: k1 });
      const b = m.apply(params, x, { training: true, key: k1 });
      const c = m.apply(params, x, { training: true, key: k2 });
      const e = m.apply(params, x);
      const p = plain.apply(params, x);
      expect(read(a)).toEqual(read(b));
      expect(read(a)).not.toEqual(read(c));
      expect(read(e)).toEqual(read(p));
      expect(read(a)).not.toEqual(read(e));
      expect(() => m.apply(params, x, { training: true })).toThrow(/needs a PRNG key/);
      disposeTree(k, k1, k2, params, x, a, b, c, e, p);
    });
  });

  test("symbolic sequence lengths: one model applies to sequences of any length", () => {
    noLeaks(() => {
      const m = nn
        .input(["batch", "seq", 8])
        .add(nn.multiHeadAttention({ heads: 4 }))
        .add(nn.transformerEncoder({ heads: 2, ffDim: 16 }));
      expect(m.summary()).toContain("[batch, seq, 8]");
      const k = key(9);
      const params = m.init(k);
      for (const t of [3, 7]) {
        const x = input([2, t, 8], "float32", t);
        const y = m.apply(params, x as never);
        expect(y.shape).toEqual([2, t, 8]);
        disposeTree(x, y);
      }
      disposeTree(k, params);
    });
  });
});

describe("token models with a symbolic length", () => {
  test("embedding on ids [batch, seq]: its table does not depend on the length, so init accepts the symbolic dim", () => {
    noLeaks(() => {
      const m = nn
        .input(["batch", "seq"], "int32")
        .add(nn.embedding(10, 8))
        .add(nn.positionalEmbedding({ maxLength: 6 }))
        .add(nn.transformerEncoder({ heads: 2, ffDim: 8 }));
      const k = key(13);
      const params = m.init(k);
      expect(params[0].table.shape).toEqual([10, 8]);
      for (const t of [2, 6]) {
        const ids = input([3, t], "int32", t);
        const y = m.apply(params, ids as never);
        expect(y.shape).toEqual([3, t, 8]);
        disposeTree(ids, y);
      }
      disposeTree(k, params);
    });
    // a layer whose params do depend on the last dim still asks for a number
    expect(() =>
      nn
        .input(["batch", "seq"])
        .add(nn.dense(3) as never)
        .init(key(0)),
    ).toThrow("init: dense(3) needs a known size for the last dim of its input [batch, seq]; give it as a number in nn.input(...)");
  });
});

// ---------------------------------------------------------------- positionalEmbedding and the encoder block

describe("positionalEmbedding", () => {
  test("learned: adds the first T rows of the table", () => {
    noLeaks(() => {
      const layer = nn.positionalEmbedding({ maxLength: 6 });
      const k = key(10);
      const params = layer.init(k, [2, 4, 3]) as { table: AnyTensor };
      expect(params.table.shape).toEqual([6, 3]);
      const x = input([2, 4, 3], "float32", 1);
      const y = applied(layer, params, x);
      const table = read(params.table);
      const xs = read(x);
      const want = xs.map((v, i) => v + table[i % 12]);
      close(y, want, TOL);
      disposeTree(k, params, x, y);
    });
  });

  test("sinusoidal: sin/cos of pos / 10000^(2i/D), no params", () => {
    const table = sinusoidalTable(3, 4);
    expect(table[1 * 4 + 0]).toBeCloseTo(Math.sin(1), 6);
    expect(table[1 * 4 + 1]).toBeCloseTo(Math.cos(1), 6);
    expect(table[2 * 4 + 2]).toBeCloseTo(Math.sin(2 / 100), 6);
    expect(table[2 * 4 + 3]).toBeCloseTo(Math.cos(2 / 100), 6);
    noLeaks(() => {
      const layer = nn.positionalEmbedding({ maxLength: 8, encoding: "sinusoidal" });
      const k0 = key(0);
      expect(layer.init(k0, [1, 3, 4])).toEqual({});
      k0.dispose();
      const x = tensor(new Array<number>(12).fill(0), [1, 3, 4]);
      const y = applied(layer, {}, x);
      close(y, Array.from(table), TOL);
      disposeTree(x, y);
    });
  });

  test("a sequence longer than maxLength is an error at apply time (symbolic lengths are known only then)", () => {
    const m = nn.input(["batch", "seq", 2]).add(nn.positionalEmbedding({ maxLength: 3 }));
    const params = m.init(key(0));
    const x = input([1, 4, 2]);
    expect(() => m.apply(params, x as never)).toThrow("positionalEmbedding(3): sequence length 4 exceeds maxLength 3");
    disposeTree(params, x);
  });
});

describe("transformerEncoder", () => {
  const ln = (x: number[], d: number, g: number[], b: number[]) =>
    x.map((_, i) => {
      const row = x.slice(i - (i % d), i - (i % d) + d);
      const mean = row.reduce((s, v) => s + v, 0) / d;
      const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / d;
      return ((x[i] - mean) / Math.sqrt(variance + 1e-5)) * g[i % d] + b[i % d];
    });
  const ffn = (x: number[], d: number, f: number, w1: number[], b1: number[], w2: number[], b2: number[]) => {
    const inner = matmul(rows(x, x.length / d, d), rows(w1, d, f)).map((r) => r.map((v, j) => Math.max(0, v + b1[j])));
    return matmul(inner, rows(w2, f, d))
      .map((r) => r.map((v, j) => v + b2[j]))
      .flat();
  };

  for (const norm of ["post", "pre"] as const) {
    test(`${norm}-norm block equals its definition (causal)`, () => {
      noLeaks(() => {
        const layer = nn.transformerEncoder({ heads: 2, ffDim: 5, norm, causal: true });
        const k = key(11);
        const params = layer.init(k, [2, 3, 4]) as nn.TransformerEncoderParams;
        const x = input([2, 3, 4], "float32", 2);
        const y = applied(layer, params, x);
        const g1 = read(params.attentionNorm.gamma).map((v, i) => v + 0.1 * i); // (ones: a wrong gamma would hide)
        const d = 4;
        const p1 = { ...params, attentionNorm: { gamma: tensor(g1, [4]), beta: params.attentionNorm.beta } };
        const y1 = applied(layer, p1, x);
        const f = params.feedForward;
        const [w1, b1, w2, b2] = [read(f.inner.kernel), read(f.inner.bias), read(f.outer.kernel), read(f.outer.bias)];
        const beta1 = read(params.attentionNorm.beta);
        const [g2, beta2] = [read(params.feedForwardNorm.gamma), read(params.feedForwardNorm.beta)];
        const mha = (h: number[]) => {
          const ht = tensor(h, [2, 3, 4]);
          const out = referenceBatch(params.attention, ht, ht, ht, (_b, i, j) => j <= i);
          ht.dispose();
          return out;
        };
        const xs = read(x);
        const plus = (a: number[], b: number[]) => a.map((v, i) => v + b[i]);
        let want: number[];
        if (norm === "post") {
          const h = ln(plus(xs, mha(xs)), d, g1, beta1);
          want = ln(plus(h, ffn(h, d, 5, w1, b1, w2, b2)), d, g2, beta2);
        } else {
          const h = plus(xs, mha(ln(xs, d, g1, beta1)));
          want = plus(h, ffn(ln(h, d, g2, beta2), d, 5, w1, b1, w2, b2));
        }
        close(y1, want, { rtol: 1e-3, atol: 1e-4 });
        disposeTree(k, params, x, y, y1, p1.attentionNorm.gamma);
      });
    });
  }

  test("padding mask through the apply context of a model; dropout needs a key", () => {
    noLeaks(() => {
      const m = nn
        .input([2, 4], "int32")
        .add(nn.embedding(5, 4))
        .add(nn.transformerEncoder({ heads: 2, ffDim: 8, dropout: 0.1 }));
      const k = key(12);
      const params = m.init(k);
      const ids = tensor([1, 2, 3, 0, 4, 1, 0, 0], [2, 4], "int32");
      const ids2 = tensor([1, 2, 3, 4, 4, 1, 2, 3], [2, 4], "int32"); // other tokens at the padded places
      const mask = notEqual(ids, 0);
      const [ya, yb] = [m.apply(params, ids, { mask }), m.apply(params, ids2, { mask })];
      const [a, b] = [read(ya), read(yb)];
      // unpadded positions see only unpadded keys: equal outputs there
      for (const [row, n] of [
        [0, 3],
        [1, 2],
      ])
        expect(b.slice(row * 16, row * 16 + n * 4).map((v) => v.toFixed(5))).toEqual(
          a.slice(row * 16, row * 16 + n * 4).map((v) => v.toFixed(5)),
        );
      expect(() => m.apply(params, ids, { training: true })).toThrow(/PRNG key/);
      disposeTree(k, params, ids, ids2, mask, ya, yb);
    });
  });
});

// ---------------------------------------------------------------- errors

describe("errors name the layer and both sides", () => {
  test("bad configs, inputs and masks", () => {
    expect(() => nn.multiHeadAttention({ heads: untypedNumber(0) })).toThrow("multiHeadAttention: heads must be a positive integer, got 0");
    expect(() => nn.multiHeadAttention({ heads: 2, dropout: 1 })).toThrow("multiHeadAttention: dropout must be in [0, 1), got 1");
    expect(() => nn.transformerEncoder({ heads: 2, ffDim: 4, norm: "mid" as "pre" })).toThrow(
      'transformerEncoder: norm must be "pre" or "post", got mid',
    );
    expect(() => nn.multiHeadAttention({ heads: 3 }).outputShape([2, 5, 64])).toThrow(
      "multiHeadAttention(3 heads): model dim 64 is not divisible by 3 heads; pass keyDim to choose the head size",
    );
    expect(() => (nn.input(["batch", 64]) as any).add(nn.multiHeadAttention({ heads: 2 }))).toThrow(
      "multiHeadAttention(2 heads) expects [batch, seq, features], got [batch, 64]",
    );
    expect(() => nn.positionalEmbedding({ maxLength: 4, dim: 8 }).outputShape([1, 4, 6])).toThrow(
      "positionalEmbedding(4) expects [batch, seq, 8], got features 6",
    );
    const layer = nn.multiHeadAttention({ heads: 2 });
    const params = layer.init(key(0), [2, 3, 4]);
    const x = input([2, 3, 4]);
    const ints = tensor([1, 1, 1, 1, 1, 1], [2, 3], "int32");
    const wrong = tensor([1, 1, 1, 1], [2, 2], "bool");
    noLeaks(() => {
      expect(() => layer.apply(params, x, { mask: ints })).toThrow(
        "multiHeadAttention(2 heads): mask must be bool (true = attend), got int32",
      );
      expect(() => layer.apply(params, x, { mask: wrong })).toThrow(
        "multiHeadAttention(2 heads): mask must be bool [2, 3] (padding) or [2, 3, 3], got [2, 2]",
      );
    });
    disposeTree(params, x, ints, wrong);
  });
});

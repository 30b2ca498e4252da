// Layers against published formulas, computed in plain JS (float64): conv2d, conv1d,
// conv2dTranspose, pools, upsampling, maxout, LSTM and GRU steps, batch norm (train / eval,
// running statistics with momentum), dropout statistics; summary() text and parameter counts.
import { describe, expect, test } from "vitest";
import * as nn from "../src/nn/index.js";
import type { Layer } from "../src/nn/index.js";
import { grad, mul, sum } from "../src/core/index.js";
import * as ops from "../src/ops/index.js";
import { key } from "../src/random/index.js";
import { assertAllClose } from "../src/testing/index.js";
import { ones } from "../src/tensor/index.js";
import type { AnyTensor, Tensor } from "../src/tensor/index.js";
import { disposeTree, input, noLeaks, read, t, values } from "./nn-helpers.js";

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** Index into a row-major array of `shape`. */
const at =
  (shape: readonly number[]) =>
  (...ix: number[]) =>
    ix.reduce((a, v, i) => a * shape[i] + v, 0);

/** Runs a one-layer model on `x` with fresh params; hands the params' values to `reference`. */
function compare(
  layer: Layer,
  shape: number[],
  reference: (x: number[], p: Record<string, number[]>) => number[],
  opts: { rtol?: number; atol?: number } = {},
): void {
  noLeaks(() => {
    const m = (nn.input(shape) as any).add(layer);
    const k = key(5);
    const params = m.init(k);
    const x = input(shape, "float32", 11);
    const y = m.apply(params, x);
    const p: Record<string, number[]> = {};
    for (const [name, v] of Object.entries(params[0] as Record<string, AnyTensor>)) p[name] = read(v);
    assertAllClose(y, reference(read(x), p), { rtol: opts.rtol ?? 1e-4, atol: opts.atol ?? 1e-5, what: layer.name });
    disposeTree(k, params, x, y);
  });
}

// ---------------------------------------------------------------- convolutions

type Pads = readonly [readonly [number, number], readonly [number, number]];
/** [before, after] of axis i: TF's rule for "same" (extra pixel after), zeros for "valid", else explicit. */
function padsOf(padding: "same" | "valid" | Pads, i: 0 | 1, n: number, eff: number, stride: number): [number, number] {
  if (padding === "valid") return [0, 0];
  if (padding !== "same") return [padding[i][0], padding[i][1]];
  const total = Math.max((Math.ceil(n / stride) - 1) * stride + eff - n, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** conv2d, NHWC, kernel [kh, kw, cin / groups, cout], TF's "same" padding (extra pixel after). */
function conv2dRef(
  x: number[],
  [b, h, w, c]: number[],
  kernel: number[],
  [kh, kw, cout]: number[],
  bias: number[] | undefined,
  o: { strides: [number, number]; dilation: [number, number]; padding: "same" | "valid" | Pads; groups: number },
): number[] {
  const [sh, sw] = o.strides;
  const [dh, dw] = o.dilation;
  const eff = [(kh - 1) * dh + 1, (kw - 1) * dw + 1];
  const [top, bottom] = padsOf(o.padding, 0, h, eff[0], sh);
  const [left, right] = padsOf(o.padding, 1, w, eff[1], sw);
  const oh = Math.floor((h + top + bottom - eff[0]) / sh) + 1;
  const ow = Math.floor((w + left + right - eff[1]) / sw) + 1;
  const cg = c / o.groups;
  const og = cout / o.groups;
  const X = at([b, h, w, c]);
  const K = at([kh, kw, cg, cout]);
  const out: number[] = [];
  for (let n = 0; n < b; n++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let f = 0; f < cout; f++) {
          let acc = bias ? bias[f] : 0;
          const g = Math.floor(f / og);
          for (let di = 0; di < kh; di++)
            for (let dj = 0; dj < kw; dj++) {
              const r = i * sh + di * dh - top;
              const q = j * sw + dj * dw - left;
              if (r < 0 || r >= h || q < 0 || q >= w) continue;
              for (let ci = 0; ci < cg; ci++) acc += x[X(n, r, q, g * cg + ci)] * kernel[K(di, dj, ci, f)];
            }
          out.push(acc);
        }
  return out;
}

describe("convolutions against plain-JS references", () => {
  const configs = [
    { shape: [2, 6, 5, 3], filters: 4, kernel: [3, 2], strides: [1, 1], dilation: [1, 1], padding: "valid", groups: 1 },
    { shape: [1, 7, 6, 2], filters: 3, kernel: [3, 3], strides: [2, 2], dilation: [1, 1], padding: "same", groups: 1 },
    { shape: [1, 7, 7, 2], filters: 2, kernel: [2, 3], strides: [1, 2], dilation: [2, 1], padding: "valid", groups: 1 },
    { shape: [2, 5, 5, 4], filters: 6, kernel: [3, 3], strides: [1, 1], dilation: [1, 1], padding: "same", groups: 2 },
    {
      shape: [1, 6, 5, 2],
      filters: 3,
      kernel: [3, 2],
      strides: [2, 1],
      dilation: [1, 2],
      padding: [
        [2, 0],
        [1, 3],
      ],
      groups: 1,
    },
  ] as const;
  for (const cfg of configs) {
    test(`conv2d ${JSON.stringify(cfg)}`, () => {
      const layer = nn.conv2d({
        filters: cfg.filters,
        kernel: cfg.kernel,
        strides: cfg.strides,
        dilations: cfg.dilation,
        padding: cfg.padding,
        groups: cfg.groups,
      });
      compare(layer, [...cfg.shape], (x, p) =>
        conv2dRef(x, [...cfg.shape], p.kernel, [cfg.kernel[0], cfg.kernel[1], cfg.filters], p.bias, {
          strides: [...cfg.strides],
          dilation: [...cfg.dilation],
          padding: cfg.padding,
          groups: cfg.groups,
        }),
      );
    });
  }

  test("conv1d is conv2d over a height-1 image", () => {
    const shape = [2, 9, 3];
    compare(nn.conv1d({ filters: 2, kernel: 3, strides: 2, dilations: 2, padding: "same" }), shape, (x, p) =>
      conv2dRef(x, [2, 1, 9, 3], p.kernel, [1, 3, 2], p.bias, { strides: [1, 2], dilation: [1, 2], padding: "same", groups: 1 }),
    );
    // causal: [(k - 1) * dilations, 0]; and groups
    const pads: Pads = [
      [0, 0],
      [4, 0],
    ];
    compare(nn.conv1d({ filters: 6, kernel: 3, dilations: 2, padding: [4, 0], groups: 3 }), [2, 7, 6], (x, p) =>
      conv2dRef(x, [2, 1, 7, 6], p.kernel, [1, 3, 6], p.bias, { strides: [1, 1], dilation: [1, 2], padding: pads, groups: 3 }),
    );
  });

  /** Transposed convolution by scattering each input pixel through the kernel (the adjoint of conv2d). */
  function conv2dTransposeRef(
    x: number[],
    [b, h, w, c]: number[],
    kernel: number[],
    [kh, kw, f]: number[],
    bias: number[],
    s: [number, number],
    padding: "same" | "valid" | Pads,
    d: [number, number] = [1, 1],
  ): number[] {
    const eff = [(kh - 1) * d[0] + 1, (kw - 1) * d[1] + 1];
    // Keras' output lengths for "same" / "valid"; explicit padding is the forward conv's (PyTorch)
    const len = (n: number, i: 0 | 1) =>
      padding === "same"
        ? n * s[i]
        : padding === "valid"
          ? n * s[i] + Math.max(eff[i] - s[i], 0)
          : (n - 1) * s[i] + eff[i] - padding[i][0] - padding[i][1];
    const [oh, ow] = [len(h, 0), len(w, 1)];
    // the forward conv2d of this adjoint maps [oh, ow] to [h, w] with TF's padding rule
    const [top] = padsOf(padding, 0, oh, eff[0], s[0]);
    const [left] = padsOf(padding, 1, ow, eff[1], s[1]);
    const out = new Array<number>(b * oh * ow * f).fill(0);
    const O = at([b, oh, ow, f]);
    const X = at([b, h, w, c]);
    const K = at([kh, kw, f, c]);
    for (let n = 0; n < b; n++)
      for (let i = 0; i < h; i++)
        for (let j = 0; j < w; j++)
          for (let di = 0; di < kh; di++)
            for (let dj = 0; dj < kw; dj++) {
              const r = i * s[0] + di * d[0] - top;
              const q = j * s[1] + dj * d[1] - left;
              if (r < 0 || r >= oh || q < 0 || q >= ow) continue;
              for (let o = 0; o < f; o++) for (let ci = 0; ci < c; ci++) out[O(n, r, q, o)] += x[X(n, i, j, ci)] * kernel[K(di, dj, o, ci)];
            }
    return out.map((v, i) => v + bias[i % f]);
  }

  for (const [shape, kernel, strides, padding] of [
    [[2, 3, 3, 2], [3, 3], [2, 2], "same"],
    [[1, 3, 4, 2], [3, 2], [2, 1], "valid"],
    [[1, 2, 3, 1], [2, 2], [3, 3], "valid"],
    [[1, 4, 3, 3], [4, 3], [2, 3], "same"],
  ] as const) {
    test(`conv2dTranspose ${JSON.stringify({ shape, kernel, strides, padding })}`, () => {
      compare(nn.conv2dTranspose({ filters: 2, kernel, strides, padding }), [...shape], (x, p) =>
        conv2dTransposeRef(x, [...shape], p.kernel, [kernel[0], kernel[1], 2], p.bias, [...strides], padding),
      );
    });
  }

  test("conv2dTranspose with explicit padding (the forward conv's) and dilations", () => {
    // the DCGAN upsampler: kernel 4, stride 2, padding 1 doubles the size
    compare(nn.conv2dTranspose({ filters: 2, kernel: 4, strides: 2, padding: 1 }), [1, 3, 2, 2], (x, p) =>
      conv2dTransposeRef(
        x,
        [1, 3, 2, 2],
        p.kernel,
        [4, 4, 2],
        p.bias,
        [2, 2],
        [
          [1, 1],
          [1, 1],
        ],
      ),
    );
    const pads: Pads = [
      [0, 2],
      [1, 0],
    ];
    compare(nn.conv2dTranspose({ filters: 2, kernel: [2, 3], strides: [1, 2], dilations: [2, 1], padding: pads }), [2, 3, 3, 1], (x, p) =>
      conv2dTransposeRef(x, [2, 3, 3, 1], p.kernel, [2, 3, 2], p.bias, [1, 2], pads, [2, 1]),
    );
    compare(nn.conv2dTranspose({ filters: 1, kernel: 2, strides: 3, dilations: 2, padding: "valid" }), [1, 2, 2, 2], (x, p) =>
      conv2dTransposeRef(x, [1, 2, 2, 2], p.kernel, [2, 2, 1], p.bias, [3, 3], "valid", [2, 2]),
    );
  });
});

// ---------------------------------------------------------------- pools, upsampling, maxout

function pool2dRef(
  x: number[],
  [b, h, w, c]: number[],
  [kh, kw]: number[],
  [sh, sw]: number[],
  padding: "same" | "valid" | Pads,
  kind: "max" | "avg",
): number[] {
  const [top, bottom] = padsOf(padding, 0, h, kh, sh);
  const [left, right] = padsOf(padding, 1, w, kw, sw);
  const oh = Math.floor((h + top + bottom - kh) / sh) + 1;
  const ow = Math.floor((w + left + right - kw) / sw) + 1;
  const X = at([b, h, w, c]);
  const out: number[] = [];
  for (let n = 0; n < b; n++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let ch = 0; ch < c; ch++) {
          const seen: number[] = [];
          for (let di = 0; di < kh; di++)
            for (let dj = 0; dj < kw; dj++) {
              const r = i * sh + di - top;
              const q = j * sw + dj - left;
              if (r >= 0 && r < h && q >= 0 && q < w) seen.push(x[X(n, r, q, ch)]); // padded pixels are ignored
            }
          out.push(kind === "max" ? Math.max(...seen) : seen.reduce((a, v) => a + v, 0) / seen.length);
        }
  return out;
}

describe("pools, upsampling and maxout against plain-JS references", () => {
  test("maxPool2d / avgPool2d, tiled and overlapping with 'same' padding", () => {
    compare(nn.maxPool2d(2), [2, 5, 4, 3], (x) => pool2dRef(x, [2, 5, 4, 3], [2, 2], [2, 2], "valid", "max"));
    compare(nn.avgPool2d(2), [2, 5, 4, 3], (x) => pool2dRef(x, [2, 5, 4, 3], [2, 2], [2, 2], "valid", "avg"));
    compare(nn.maxPool2d({ window: 3, strides: 2, padding: "same" }), [1, 5, 6, 2], (x) =>
      pool2dRef(x, [1, 5, 6, 2], [3, 3], [2, 2], "same", "max"),
    );
    compare(nn.avgPool2d({ window: [3, 2], strides: 1, padding: "same" }), [1, 4, 4, 2], (x) =>
      pool2dRef(x, [1, 4, 4, 2], [3, 2], [1, 1], "same", "avg"),
    );
  });

  test("maxPool2d / avgPool2d / 1-D pools with explicit padding", () => {
    const pads: Pads = [
      [1, 0],
      [2, 1],
    ];
    compare(nn.maxPool2d({ window: [2, 3], strides: [2, 1], padding: pads }), [1, 5, 4, 2], (x) =>
      pool2dRef(x, [1, 5, 4, 2], [2, 3], [2, 1], pads, "max"),
    );
    compare(nn.avgPool2d({ window: 3, strides: 2, padding: 1 }), [2, 5, 6, 1], (x) =>
      pool2dRef(
        x,
        [2, 5, 6, 1],
        [3, 3],
        [2, 2],
        [
          [1, 1],
          [1, 1],
        ],
        "avg",
      ),
    );
    compare(nn.avgPool1d({ window: 3, strides: 1, padding: [2, 0] }), [2, 5, 2], (x) =>
      pool2dRef(
        x,
        [2, 1, 5, 2],
        [1, 3],
        [1, 1],
        [
          [0, 0],
          [2, 0],
        ],
        "avg",
      ),
    );
  });

  test("maxPool1d / avgPool1d are 2-D pools over a height-1 image", () => {
    compare(nn.maxPool1d({ window: 3, strides: 2 }), [2, 7, 2], (x) => pool2dRef(x, [2, 1, 7, 2], [1, 3], [1, 2], "valid", "max"));
    compare(nn.avgPool1d({ window: 2, padding: "same" }), [2, 5, 2], (x) => pool2dRef(x, [2, 1, 5, 2], [1, 2], [1, 2], "same", "avg"));
  });

  test("global pools: mean and max over space", () => {
    const shape = [2, 3, 4, 2];
    const X = at(shape);
    const over = (x: number[], f: (v: number[]) => number) =>
      [0, 1].flatMap((n) => [0, 1].map((c) => f([0, 1, 2].flatMap((i) => [0, 1, 2, 3].map((j) => x[X(n, i, j, c)])))));
    compare(nn.globalAvgPool2d(), shape, (x) => over(x, (v) => v.reduce((a, b) => a + b, 0) / v.length));
    compare(nn.globalMaxPool2d(), shape, (x) => over(x, (v) => Math.max(...v)));
    const X1 = at([2, 5, 3]);
    const over1 = (x: number[], f: (v: number[]) => number) =>
      [0, 1].flatMap((n) => [0, 1, 2].map((c) => f([0, 1, 2, 3, 4].map((i) => x[X1(n, i, c)]))));
    compare(nn.globalAvgPool1d(), [2, 5, 3], (x) => over1(x, (v) => v.reduce((a, b) => a + b, 0) / v.length));
    compare(nn.globalMaxPool1d(), [2, 5, 3], (x) => over1(x, (v) => Math.max(...v)));
  });

  test("upsampling2d repeats each pixel in an fh x fw block", () => {
    const shape = [2, 2, 3, 2];
    const X = at(shape);
    compare(nn.upsampling2d([2, 3]), shape, (x) => {
      const out: number[] = [];
      for (let n = 0; n < 2; n++)
        for (let i = 0; i < 4; i++)
          for (let j = 0; j < 9; j++) for (let c = 0; c < 2; c++) out.push(x[X(n, Math.floor(i / 2), Math.floor(j / 3), c)]);
      return out;
    });
  });

  test("maxout: the max over each unit's pieces", () => {
    const [b, f, units, pieces] = [3, 4, 2, 3];
    compare(nn.maxout(units, pieces), [b, f], (x, p) => {
      const out: number[] = [];
      for (let n = 0; n < b; n++)
        for (let u = 0; u < units; u++) {
          const z = Array.from({ length: pieces }, (_, k) => {
            const col = u * pieces + k;
            let acc = p.bias[col];
            for (let i = 0; i < f; i++) acc += x[n * f + i] * p.kernel[i * units * pieces + col];
            return acc;
          });
          out.push(Math.max(...z));
        }
      return out;
    });
  });
});

// ---------------------------------------------------------------- recurrent cells

/** x [B, T, F] through a recurrent cell in plain JS; `step` maps (x_t, h, c) to (h, c). */
function unroll(
  x: number[],
  [b, tlen, f]: number[],
  units: number,
  step: (xt: number[], h: number[], c: number[]) => [number[], number[]],
): number[][][] {
  const out: number[][][] = [];
  for (let n = 0; n < b; n++) {
    let h = new Array<number>(units).fill(0);
    let c = new Array<number>(units).fill(0);
    const seq: number[][] = [];
    for (let s = 0; s < tlen; s++) {
      [h, c] = step(x.slice((n * tlen + s) * f, (n * tlen + s + 1) * f), h, c);
      seq.push(h);
    }
    out.push(seq);
  }
  return out;
}

/** Column `col` of the affine map v · M[:, col] for M stored row-major [rows, cols]. */
const dotCol = (v: number[], m: number[], cols: number, col: number) => v.reduce((a, vi, i) => a + vi * m[i * cols + col], 0);

describe("recurrent layers against the published equations", () => {
  test("LSTM, one step by hand (1 feature, 1 unit; Keras gate order i, f, g, o)", () => {
    noLeaks(() => {
      const m = nn.input([1, 1, 1]).add(nn.lstm(1));
      // kernel [1, 4] = W_i, W_f, W_g, W_o; recurrent kernel unused at h0 = 0; bias b_i, b_f, b_g, b_o
      const params: any = [
        { kernel: t([0.5, -0.3, 0.8, 0.2], [1, 4]), recurrentKernel: t([0.1, 0.2, 0.3, 0.4], [1, 4]), bias: t([0.1, 1, -0.2, 0.05], [4]) },
      ];
      const x = t([2], [1, 1, 1]);
      const y = m.apply(params, x as never);
      const i = sigmoid(0.5 * 2 + 0.1),
        f = sigmoid(-0.3 * 2 + 1),
        g = Math.tanh(0.8 * 2 - 0.2),
        o = sigmoid(0.2 * 2 + 0.05);
      const c = f * 0 + i * g;
      assertAllClose(y, [o * Math.tanh(c)], { rtol: 1e-5 });
      expect(y.item()).toBeCloseTo(0.354_892, 5); // the same formula evaluated once, as a fixed number
      disposeTree(params, x, y);
    });
  });

  test("LSTM over 3 steps matches the equations (random weights)", () => {
    const [b, tlen, f, u] = [2, 3, 2, 3];
    compare(nn.lstm(u, { returnSequences: true }), [b, tlen, f], (x, p) =>
      unroll(x, [b, tlen, f], u, (xt, h, c) => {
        const z = (gate: number, k: number) =>
          dotCol(xt, p.kernel, 4 * u, gate * u + k) + dotCol(h, p.recurrentKernel, 4 * u, gate * u + k) + p.bias[gate * u + k];
        const cn = c.map((ck, k) => sigmoid(z(1, k)) * ck + sigmoid(z(0, k)) * Math.tanh(z(2, k)));
        return [cn.map((ck, k) => sigmoid(z(3, k)) * Math.tanh(ck)), cn];
      }).flat(2),
    );
  });

  test("LSTM init: forget-gate bias 1, the rest 0 (Jozefowicz et al. 2015)", () => {
    noLeaks(() => {
      const m = nn.input(["batch", 2, 3]).add(nn.lstm(2));
      const k = key(0);
      const [p] = m.init(k);
      expect(read(p.bias)).toEqual([0, 0, 1, 1, 0, 0, 0, 0]);
      disposeTree(k, p);
    });
  });

  test("GRU, one step by hand (update z, reset r, candidate; h0 = 0)", () => {
    noLeaks(() => {
      const m = nn.input([1, 1, 1]).add(nn.gru(1, { resetAfter: false }));
      const params: any = [
        { kernel: t([0.5, -0.4, 0.9], [1, 3]), recurrentKernel: t([0.3, 0.2, 0.7], [1, 3]), bias: t([0.1, 0.2, -0.1], [3]) },
      ];
      const x = t([1.5], [1, 1, 1]);
      const y = m.apply(params, x as never);
      const z = sigmoid(0.5 * 1.5 + 0.1),
        hh = Math.tanh(0.9 * 1.5 - 0.1);
      assertAllClose(y, [z * 0 + (1 - z) * hh], { rtol: 1e-5 });
      disposeTree(params, x, y);
    });
  });

  test("GRU over 3 steps matches the equations (reset gate applied before the recurrent product)", () => {
    const [b, tlen, f, u] = [2, 3, 2, 2];
    compare(nn.gru(u, { returnSequences: true, resetAfter: false }), [b, tlen, f], (x, p) =>
      unroll(x, [b, tlen, f], u, (xt, h) => {
        const xw = (gate: number, k: number) => dotCol(xt, p.kernel, 3 * u, gate * u + k) + p.bias[gate * u + k];
        const z = h.map((_, k) => sigmoid(xw(0, k) + dotCol(h, p.recurrentKernel, 3 * u, k)));
        const r = h.map((_, k) => sigmoid(xw(1, k) + dotCol(h, p.recurrentKernel, 3 * u, u + k)));
        const rh = h.map((hk, k) => r[k] * hk);
        const hn = h.map((hk, k) => z[k] * hk + (1 - z[k]) * Math.tanh(xw(2, k) + dotCol(rh, p.recurrentKernel, 3 * u, 2 * u + k)));
        return [hn, hn];
      }).flat(2),
    );
  });

  test("simpleRnn: h_t = tanh(x_t W + h_{t-1} U + b)", () => {
    const [b, tlen, f, u] = [2, 3, 2, 2];
    compare(nn.simpleRnn(u), [b, tlen, f], (x, p) =>
      unroll(x, [b, tlen, f], u, (xt, h) => {
        const hn = h.map((_, k) => Math.tanh(dotCol(xt, p.kernel, u, k) + dotCol(h, p.recurrentKernel, u, k) + p.bias[k]));
        return [hn, hn];
      }).flatMap((seq) => seq[tlen - 1]),
    );
  });
});

// ---------------------------------------------------------------- batch norm and dropout

describe("batchNorm: batch statistics in training, running statistics in eval", () => {
  test("training normalises with the batch's mean and (biased) variance and moves the running statistics by momentum", () => {
    noLeaks(() => {
      const [b, c] = [4, 3];
      const momentum = 0.9,
        eps = 1e-3;
      const m = nn.input(["batch", c]).add(nn.batchNorm({ momentum, epsilon: eps }));
      const k = key(0);
      const params = m.init(k);
      let state = m.initState();
      const xs = [values(b * c, 21).map((v) => 3 * v + 1), values(b * c, 22).map((v) => 2 * v - 1)];
      let runMean = [0, 0, 0],
        runVar = [1, 1, 1];
      for (const data of xs) {
        const x = t(data, [b, c]);
        const [y, next] = m.applyWithState(params, x as never, { state, training: true });
        const mean = [0, 1, 2].map((j) => [0, 1, 2, 3].reduce((a, n) => a + data[n * c + j], 0) / b);
        const variance = [0, 1, 2].map((j) => [0, 1, 2, 3].reduce((a, n) => a + (data[n * c + j] - mean[j]) ** 2, 0) / b);
        assertAllClose(
          y,
          data.map((v, i) => (v - mean[i % c]) / Math.sqrt(variance[i % c] + eps)),
          { rtol: 1e-4, atol: 1e-5, what: "normalised batch" },
        );
        runMean = runMean.map((r, j) => momentum * r + (1 - momentum) * mean[j]);
        runVar = runVar.map((r, j) => momentum * r + (1 - momentum) * variance[j]);
        assertAllClose(next[0].mean, runMean, { rtol: 1e-5, what: "running mean" });
        assertAllClose(next[0].variance, runVar, { rtol: 1e-5, what: "running variance" });
        disposeTree(state, x, y);
        state = next;
      }
      // eval mode: the running statistics, not the batch's
      const data = values(b * c, 23);
      const x = t(data, [b, c]);
      const y = m.apply(params, x as never, { state });
      assertAllClose(
        y,
        data.map((v, i) => (v - runMean[i % c]) / Math.sqrt(runVar[i % c] + eps)),
        { rtol: 1e-4, atol: 1e-5, what: "eval" },
      );
      const [y2, same] = m.applyWithState(params, x as never, { state });
      expect(same[0]).toBe(state[0]); // eval does not change the state
      disposeTree(k, params, state, x, y, y2);
    });
  });

  test("gamma and beta scale and shift after normalising", () => {
    noLeaks(() => {
      const m = nn.input(["batch", 2]).add(nn.batchNorm({ epsilon: 0 }));
      const params: any = [{ gamma: t([2, 3], [2]), beta: t([1, -1], [2]) }];
      const x = t([1, 10, 3, 20], [2, 2]);
      const st0 = m.initState();
      const [y, st] = m.applyWithState(params, x as never, { state: st0, training: true });
      assertAllClose(y, [2 * -1 + 1, 3 * -1 - 1, 2 * 1 + 1, 3 * 1 - 1], { rtol: 1e-5 });
      disposeTree(params, x, y, st0, st);
    });
  });
});

describe("dropout", () => {
  test("zeros about `rate` of the units, scales the rest by 1 / (1 - rate): the mean is preserved", () => {
    noLeaks(() => {
      const rate = 0.3;
      const m = nn.input(["batch", 100]).add(nn.dropout(rate));
      const x = ones([100, 100]) as unknown as AnyTensor;
      const k = key(7);
      const y = m.apply([{}], x as never, { training: true, key: k });
      const v = read(y);
      const zeros = v.filter((e) => e === 0).length / v.length;
      // 10,000 Bernoulli draws: standard error sqrt(0.21 / 10^4) ~ 0.0046; 5 standard errors
      expect(Math.abs(zeros - rate)).toBeLessThan(0.023);
      expect(new Set(v.filter((e) => e !== 0).map((e) => e.toFixed(5)))).toEqual(new Set([(1 / (1 - rate)).toFixed(5)]));
      const mean = v.reduce((a, e) => a + e, 0) / v.length;
      expect(Math.abs(mean - 1)).toBeLessThan(0.033); // standard error ~ 0.0065
      // the same key gives the same mask; another key another
      const again = m.apply([{}], x as never, { training: true, key: k });
      expect(read(again)).toEqual(v);
      const k2 = key(8);
      const other = m.apply([{}], x as never, { training: true, key: k2 });
      expect(read(other)).not.toEqual(v);
      disposeTree(x, k, k2, y, again, other);
    });
  });

  test("is the identity in eval mode and at rate 0", () => {
    noLeaks(() => {
      const x = input([3, 4]);
      const y = nn
        .input([3, 4])
        .add(nn.dropout(0.9))
        .apply([{}], x as never);
      expect(read(y)).toEqual(read(x));
      const k = key(1);
      const y0 = nn
        .input([3, 4])
        .add(nn.dropout(0))
        .apply([{}], x as never, { training: true, key: k });
      expect(read(y0)).toEqual(read(x));
      disposeTree(x, y, k, y0);
    });
  });
});

// ---------------------------------------------------------------- softmax at extreme logits

/** softmax of one row in float64, max-shifted. */
function softmaxRow(row: readonly number[]): number[] {
  const m = Math.max(...row);
  const e = row.map((v) => Math.exp(v - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
}

describe("softmax and logSoftmax layers at extreme logits", () => {
  // rows: a spread of 2000, a near-tie far below 0, logits near float32's range, and a row with a -inf
  const rows = [
    [1000, 0, -1000],
    [-1000, -1000, -999],
    [1e30, -1e30, 0],
    [-Infinity, 3, 3],
  ];
  const flat = rows.flat();
  const shape = [rows.length, 3];

  test("one definition: nn's activations are ops' softmax and logSoftmax", () => {
    expect(nn.activations.softmax).toBe(ops.softmax);
    expect(nn.activations.logSoftmax).toBe(ops.logSoftmax);
  });

  test("values are finite where the answer is, and match float64 references", () => {
    noLeaks(() => {
      const x = t(flat, shape);
      const p = nn
        .input(["batch", 3])
        .add(nn.softmax())
        .apply([{}], x as never);
      const lp = nn
        .input(["batch", 3])
        .add(nn.logSoftmax())
        .apply([{}], x as never);
      const pRef = rows.flatMap(softmaxRow);
      assertAllClose(p, pRef, { rtol: 1e-6, atol: 1e-7, what: "softmax" });
      const lpRef = rows.flatMap((r) => {
        const m = Math.max(...r);
        const lse = m + Math.log(r.reduce((a, v) => a + Math.exp(v - m), 0));
        return r.map((v) => v - lse);
      });
      const lpv = read(lp);
      expect(lpv.map(Number.isNaN)).toEqual(lpRef.map(() => false));
      // finite entries agree to float32 spacing at the row's magnitude (x - logSumExp(x) cancels); -inf stays -inf
      lpv.forEach((v, i) => {
        const scale = Math.max(...rows[Math.floor(i / 3)].filter(Number.isFinite).map(Math.abs));
        if (!Number.isFinite(lpRef[i])) expect(v).toBe(lpRef[i]);
        else expect(Math.abs(v - lpRef[i])).toBeLessThanOrEqual(1e-6 + scale * 2 ** -22);
      });
      disposeTree(x, p, lp);
    });
  });

  test("gradients stay finite: d/dx sum(w * logSoftmax(x)) = w - softmax(x) * sum(w)", () => {
    noLeaks(() => {
      const finiteRows = rows.slice(0, 3);
      const x = t(finiteRows.flat(), [3, 3]);
      const weights = [1, 0, 0, 0, 2, -1, 0.5, 0.5, 0];
      const w = t(weights, [3, 3]);
      const m = nn.input(["batch", 3]).add(nn.logSoftmax());
      const g = grad((v: AnyTensor) => sum(mul(m.apply([{}], v as never), w)) as Tensor<[]>)(x);
      const ref = finiteRows.flatMap((r, i) => {
        const wi = weights.slice(3 * i, 3 * i + 3);
        const total = wi.reduce((a, b) => a + b, 0);
        return softmaxRow(r).map((p, j) => wi[j] - p * total);
      });
      assertAllClose(g, ref, { rtol: 1e-5, atol: 1e-6, what: "logSoftmax gradient" });
      disposeTree(x, w, g);
    });
  });
});

// ---------------------------------------------------------------- summary and parameter counts

describe("summary() and parameter counts", () => {
  test("the MLP 784-128-128-128-10 has 134,794 parameters", () => {
    const mlp = nn.sequential(
      nn.input(["batch", 784]),
      nn.dense(128),
      nn.relu(),
      nn.dense(128),
      nn.relu(),
      nn.dense(128),
      nn.relu(),
      nn.dense(10),
    );
    noLeaks(() => expect(mlp.paramCount()).toBe(134_794));
    expect(mlp.summary()).toBe(
      [
        "Layer       Output shape   Params",
        "---------------------------------",
        "input       [batch, 784]        0",
        "dense(128)  [batch, 128]  100,480",
        "relu        [batch, 128]        0",
        "dense(128)  [batch, 128]   16,512",
        "relu        [batch, 128]        0",
        "dense(128)  [batch, 128]   16,512",
        "relu        [batch, 128]        0",
        "dense(10)   [batch, 10]     1,290",
        "---------------------------------",
        "Total params: 134,794",
      ].join("\n"),
    );
  });

  test("LeNet-5 (tanh, average pooling) has the published 61,706 parameters", () => {
    const lenet = nn
      .input(["batch", 28, 28, 1])
      .add(nn.conv2d({ filters: 6, kernel: 5, padding: "same" }))
      .add(nn.tanh())
      .add(nn.avgPool2d(2))
      .add(nn.conv2d({ filters: 16, kernel: 5 }))
      .add(nn.tanh())
      .add(nn.avgPool2d(2))
      .add(nn.flatten())
      .add(nn.dense(120))
      .add(nn.tanh())
      .add(nn.dense(84))
      .add(nn.tanh())
      .add(nn.dense(10));
    expect(lenet.summary()).toBe(
      [
        "Layer            Output shape         Params",
        "--------------------------------------------",
        "input            [batch, 28, 28, 1]        0",
        "conv2d(6, 5x5)   [batch, 28, 28, 6]      156",
        "tanh             [batch, 28, 28, 6]        0",
        "avgPool2d(2x2)   [batch, 14, 14, 6]        0",
        "conv2d(16, 5x5)  [batch, 10, 10, 16]   2,416",
        "tanh             [batch, 10, 10, 16]       0",
        "avgPool2d(2x2)   [batch, 5, 5, 16]         0",
        "flatten          [batch, 400]              0",
        "dense(120)       [batch, 120]         48,120",
        "tanh             [batch, 120]              0",
        "dense(84)        [batch, 84]          10,164",
        "tanh             [batch, 84]               0",
        "dense(10)        [batch, 10]             850",
        "--------------------------------------------",
        "Total params: 61,706",
      ].join("\n"),
    );
    noLeaks(() => {
      const k = key(0);
      const params = lenet.init(k);
      expect(lenet.paramCount(params)).toBe(61_706);
      disposeTree(k, params);
    });
  });

  test("symbolic dims keep their names; sizes derived from them show as ?", () => {
    const m = nn
      .input(["batch", "time", 3])
      .add(nn.conv1d({ filters: 4, kernel: 3, padding: "same" }))
      .add(nn.lstm(5, { returnSequences: true }))
      .add(nn.maxPool1d(2))
      .add(nn.globalAvgPool1d());
    expect(m.symbolicShapes()).toEqual([
      ["batch", "time", 3],
      ["batch", "time", 4],
      ["batch", "time", 5],
      ["batch", "?", 5],
      ["batch", 5],
    ]);
    expect(m.outputShape).toEqual(["batch", 5]);
    expect(m.summary().split("\n")[1 + 3]).toBe("lstm(5, sequences)  [batch, time, 5]     200");
  });
});

// Plain-JS float64 references for convolution and pooling (NHWC, filters [kh, kw, cin / groups, cout]),
// forward and analytic backward, written as direct loops over every (output, kernel tap) pair.

export type Pair = readonly [number, number];

export interface Img {
  readonly data: Float64Array;
  readonly shape: readonly number[];
}

export interface RefConvParams {
  readonly strides: Pair;
  readonly padding: readonly [Pair, Pair];
  readonly dilations: Pair;
  readonly lhsDilation: Pair;
  readonly groups: number;
}

const dil = (n: number, d: number) => (n === 0 ? 0 : (n - 1) * d + 1);

export function refConvShape(xs: readonly number[], ws: readonly number[], p: RefConvParams): number[] {
  const out = (i: 0 | 1) =>
    Math.floor((dil(xs[1 + i], p.lhsDilation[i]) + p.padding[i][0] + p.padding[i][1] - dil(ws[i], p.dilations[i])) / p.strides[i]) + 1;
  return [xs[0], out(0), out(1), ws[3]];
}

/** Calls visit(x index, w index, out index) for every product term of the convolution. */
function convTerms(
  xs: readonly number[],
  ws: readonly number[],
  p: RefConvParams,
  visit: (xi: number, wi: number, oi: number) => void,
): void {
  const [b, h, w, c] = xs;
  const [kh, kw, cg, co] = ws;
  const [, oh, ow] = refConvShape(xs, ws, p);
  const cog = co / p.groups;
  for (let n = 0; n < b; n++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let o = 0; o < co; o++) {
          const g = Math.floor(o / cog);
          const oi = ((n * oh + oy) * ow + ox) * co + o;
          for (let ky = 0; ky < kh; ky++)
            for (let kx = 0; kx < kw; kx++) {
              // position in the input dilated by lhsDilation
              const iy = oy * p.strides[0] + ky * p.dilations[0] - p.padding[0][0];
              const ix = ox * p.strides[1] + kx * p.dilations[1] - p.padding[1][0];
              if (iy < 0 || ix < 0 || iy % p.lhsDilation[0] !== 0 || ix % p.lhsDilation[1] !== 0) continue;
              const y = iy / p.lhsDilation[0],
                x = ix / p.lhsDilation[1];
              if (y >= h || x >= w) continue;
              for (let ci = 0; ci < cg; ci++) {
                const xi = ((n * h + y) * w + x) * c + g * cg + ci;
                const wi = ((ky * kw + kx) * cg + ci) * co + o;
                visit(xi, wi, oi);
              }
            }
        }
}

export function refConv(x: Img, w: Img, p: RefConvParams): Img {
  const shape = refConvShape(x.shape, w.shape, p);
  const data = new Float64Array(shape.reduce((a, b) => a * b, 1));
  convTerms(x.shape, w.shape, p, (xi, wi, oi) => (data[oi] += x.data[xi] * w.data[wi]));
  return { data, shape };
}

/** Analytic cotangents of x and w for the output cotangent ct. */
export function refConvBackward(x: Img, w: Img, ct: Img, p: RefConvParams): { dx: Img; dw: Img } {
  const dx = new Float64Array(x.data.length);
  const dw = new Float64Array(w.data.length);
  convTerms(x.shape, w.shape, p, (xi, wi, oi) => {
    dx[xi] += ct.data[oi] * w.data[wi];
    dw[wi] += ct.data[oi] * x.data[xi];
  });
  return { dx: { data: dx, shape: x.shape }, dw: { data: dw, shape: w.shape } };
}

export interface RefPoolParams {
  readonly window: Pair;
  readonly strides: Pair;
  readonly padding: readonly [Pair, Pair];
}

/** Visits each output window with the flat indices of its real (unpadded) pixels. */
function poolWindows(xs: readonly number[], p: RefPoolParams, visit: (oi: number, members: number[]) => void): number[] {
  const [b, h, w, c] = xs;
  const oh = Math.floor((h + p.padding[0][0] + p.padding[0][1] - p.window[0]) / p.strides[0]) + 1;
  const ow = Math.floor((w + p.padding[1][0] + p.padding[1][1] - p.window[1]) / p.strides[1]) + 1;
  for (let n = 0; n < b; n++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let ch = 0; ch < c; ch++) {
          const members: number[] = [];
          for (let ky = 0; ky < p.window[0]; ky++)
            for (let kx = 0; kx < p.window[1]; kx++) {
              const y = oy * p.strides[0] + ky - p.padding[0][0];
              const x = ox * p.strides[1] + kx - p.padding[1][0];
              if (y >= 0 && x >= 0 && y < h && x < w) members.push(((n * h + y) * w + x) * c + ch);
            }
          visit(((n * oh + oy) * ow + ox) * c + ch, members);
        }
  return [b, oh, ow, c];
}

export function refMaxPool(x: Img, p: RefPoolParams): Img {
  const out: number[] = [];
  const shape = poolWindows(x.shape, p, (oi, m) => (out[oi] = Math.max(...m.map((i) => x.data[i]))));
  return { data: Float64Array.from(out), shape };
}

export function refAvgPool(x: Img, p: RefPoolParams): Img {
  const out: number[] = [];
  const shape = poolWindows(x.shape, p, (oi, m) => (out[oi] = m.reduce((s, i) => s + x.data[i], 0) / m.length));
  return { data: Float64Array.from(out), shape };
}

/** Average pooling's adjoint: ct spread evenly over each window's real pixels. */
export function refAvgPoolBackward(x: Img, ct: Img, p: RefPoolParams): Img {
  const dx = new Float64Array(x.data.length);
  poolWindows(x.shape, p, (oi, m) => m.forEach((i) => (dx[i] += ct.data[oi] / m.length)));
  return { data: dx, shape: x.shape };
}

/** Max pooling's derivative with distinct values in each window: ct goes to the arg-max. */
export function refMaxPoolBackward(x: Img, ct: Img, p: RefPoolParams): Img {
  const dx = new Float64Array(x.data.length);
  poolWindows(x.shape, p, (oi, m) => {
    let best = m[0];
    for (const i of m) if (x.data[i] > x.data[best]) best = i;
    dx[best] += ct.data[oi];
  });
  return { data: dx, shape: x.shape };
}

/** Deterministic pseudo-random values in [-1, 1) (mulberry32). */
export function randomData(n: number, seed: number): Float64Array {
  let a = seed >>> 0;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    // rounded to float32 so that the kernels and the reference see the same inputs
    out[i] = Math.fround((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1);
  }
  return out;
}

export function randomImg(shape: readonly number[], seed: number): Img {
  return {
    data: randomData(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ),
    shape,
  };
}

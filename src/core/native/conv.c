// The filter gradient of a 2-D convolution (NHWC input, [kh, kw, cin, cout] filter, groups 1,
// no input dilation): dw[kh, kw, c, o] = sum over b, y, x of
//   x[b, y * sh + kh * dh - top, x * sw + kw * dw - left, c] * dy[b, y, x, o]
// one GEMM with a very long K (B * Ho * Wo) and a small output, done with implicit im2col: no
// patches are materialised, each output tile is accumulated in SIMD registers over the positions.
//
// A tile is R filter rows (consecutive (kw, c) or c indices) x 4V output channels; per position it
// broadcasts R input values and multiplies them into V vectors of dy. Filter rows of one kernel row
// kh are consecutive in memory in x as well, for taps whose whole window row lies inside the image
// (and dw = 1): there the rows (kw, c) are KW * C consecutive floats of x ("interior" columns). The
// border columns (some kw taps in the padding) run per tap, over the columns where that tap is inside.
// Positions are walked one image (or a few small images) at a time, so x and dy stay in cache while
// every tile passes over them.
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(name)))
#define INLINE static inline __attribute__((always_inline))

INLINE int ceil_div(int a, int b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }
INLINE int floor_div(int a, int b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
INLINE int imax(int a, int b) { return a > b ? a : b; }
INLINE int imin(int a, int b) { return a < b ? a : b; }

// The walk over positions: nb images x ny rows x nx columns; x advances xsb / xsy / xsx floats per
// image / row / column, dy dsb / dsy / o.
#define WALK int nb, int ny, int nx, int xsb, int xsy, int xsx, int dsb, int dsy
#define WALK_ARGS nb, ny, nx, xsb, xsy, xsx, dsb, dsy

// R rows (R <= 4) x 4V channels (V <= 2), accumulated onto dw's current values.
INLINE void tile(const int R, const int V, const float* xp, const float* dyp, float* dwp, int o, WALK) {
  v128_t a00 = wasm_f32x4_splat(0), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
  a00 = wasm_v128_load(dwp);
  if (V > 1) a01 = wasm_v128_load(dwp + 4);
  if (R > 1) a10 = wasm_v128_load(dwp + o);
  if (R > 1 && V > 1) a11 = wasm_v128_load(dwp + o + 4);
  if (R > 2) a20 = wasm_v128_load(dwp + 2 * o);
  if (R > 2 && V > 1) a21 = wasm_v128_load(dwp + 2 * o + 4);
  if (R > 3) a30 = wasm_v128_load(dwp + 3 * o);
  if (R > 3 && V > 1) a31 = wasm_v128_load(dwp + 3 * o + 4);
  for (int b = 0; b < nb; b++) {
    for (int y = 0; y < ny; y++) {
      const float* xq = xp + b * xsb + y * xsy;
      const float* dq = dyp + b * dsb + y * dsy;
      for (int i = 0; i < nx; i++) {
        const v128_t d0 = wasm_v128_load(dq);
        const v128_t d1 = V > 1 ? wasm_v128_load(dq + 4) : d0;
        v128_t s = wasm_v128_load32_splat(xq);
        a00 = wasm_f32x4_add(a00, wasm_f32x4_mul(s, d0));
        if (V > 1) a01 = wasm_f32x4_add(a01, wasm_f32x4_mul(s, d1));
        if (R > 1) {
          s = wasm_v128_load32_splat(xq + 1);
          a10 = wasm_f32x4_add(a10, wasm_f32x4_mul(s, d0));
          if (V > 1) a11 = wasm_f32x4_add(a11, wasm_f32x4_mul(s, d1));
        }
        if (R > 2) {
          s = wasm_v128_load32_splat(xq + 2);
          a20 = wasm_f32x4_add(a20, wasm_f32x4_mul(s, d0));
          if (V > 1) a21 = wasm_f32x4_add(a21, wasm_f32x4_mul(s, d1));
        }
        if (R > 3) {
          s = wasm_v128_load32_splat(xq + 3);
          a30 = wasm_f32x4_add(a30, wasm_f32x4_mul(s, d0));
          if (V > 1) a31 = wasm_f32x4_add(a31, wasm_f32x4_mul(s, d1));
        }
        xq += xsx;
        dq += o;
      }
    }
  }
  wasm_v128_store(dwp, a00);
  if (V > 1) wasm_v128_store(dwp + 4, a01);
  if (R > 1) wasm_v128_store(dwp + o, a10);
  if (R > 1 && V > 1) wasm_v128_store(dwp + o + 4, a11);
  if (R > 2) wasm_v128_store(dwp + 2 * o, a20);
  if (R > 2 && V > 1) wasm_v128_store(dwp + 2 * o + 4, a21);
  if (R > 3) wasm_v128_store(dwp + 3 * o, a30);
  if (R > 3 && V > 1) wasm_v128_store(dwp + 3 * o + 4, a31);
}

// R rows x 1 channel, scalar (the o % 4 trailing channels).
INLINE void tile_scalar(const int R, const float* xp, const float* dyp, float* dwp, int o, WALK) {
  for (int r = 0; r < R; r++) {
    float acc = dwp[r * o];
    for (int b = 0; b < nb; b++) {
      for (int y = 0; y < ny; y++) {
        const float* xq = xp + b * xsb + y * xsy + r;
        const float* dq = dyp + b * dsb + y * dsy;
        for (int i = 0; i < nx; i++) acc += xq[i * xsx] * dq[i * o];
      }
    }
    dwp[r * o] = acc;
  }
}

// R rows x all o channels.
INLINE void row_block(const int R, const float* xp, const float* dyp, float* dwp, int o, WALK) {
  int c = 0;
  for (; c + 8 <= o; c += 8) tile(R, 2, xp, dyp + c, dwp + c, o, WALK_ARGS);
  if (c + 4 <= o) {
    tile(R, 1, xp, dyp + c, dwp + c, o, WALK_ARGS);
    c += 4;
  }
  for (; c < o; c++) tile_scalar(R, xp, dyp + c, dwp + c, o, WALK_ARGS);
}

// rows filter rows (consecutive floats in x from xp, consecutive rows of dw from dwp) x o channels.
static void block(int rows, const float* xp, const float* dyp, float* dwp, int o, WALK) {
  if (nb <= 0 || ny <= 0 || nx <= 0) return;
  int r = 0;
  for (; r + 4 <= rows; r += 4) row_block(4, xp + r, dyp, dwp + r * o, o, WALK_ARGS);
  const int left = rows - r;
  if (left == 3) row_block(3, xp + r, dyp, dwp + r * o, o, WALK_ARGS);
  if (left == 2) row_block(2, xp + r, dyp, dwp + r * o, o, WALK_ARGS);
  if (left == 1) row_block(1, xp + r, dyp, dwp + r * o, o, WALK_ARGS);
}

// x [B, H, W, C], dy [B, Ho, Wo, O] -> dw [KH, KW, C, O] (overwritten). Padding may be negative (crops).
EXPORT("conv2d_filter_grad") __attribute__((no_builtin("memset")))
void conv2d_filter_grad(const float* x, const float* dy, float* dw, int B, int H, int W, int C, int Ho, int Wo, int O, int KH,
                        int KW, int sh, int sw, int dh, int dl, int top, int left) {
  const int n = KH * KW * C * O;
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(dw + i, wasm_f32x4_splat(0));
  for (; i < n; i++) dw[i] = 0;
  if (B <= 0 || Ho <= 0 || Wo <= 0 || C <= 0 || O <= 0) return;
  // columns where every tap of a window row is inside the image (all kw at once, when dl = 1)
  int xi0 = Wo, xi1 = Wo;
  if (dl == 1 || KW == 1) {
    xi0 = imax(0, ceil_div(left, sw));
    xi1 = imin(Wo, floor_div(W - KW + left, sw) + 1);
    if (xi0 >= xi1) xi0 = xi1 = Wo;
  }
  const int per = Ho * Wo;
  const int chunk = per >= 128 ? 1 : (128 + per - 1) / per;  // images per pass
  const int xsb = H * W * C, xsy = sh * W * C, xsx = sw * C, dsb = Ho * Wo * O, dsy = Wo * O;
  for (int b0 = 0; b0 < B; b0 += chunk) {
    const int nb = imin(chunk, B - b0);
    for (int kh = 0; kh < KH; kh++) {
      const int y0 = imax(0, ceil_div(top - kh * dh, sh));
      const int y1 = imin(Ho, floor_div(H - 1 + top - kh * dh, sh) + 1);
      if (y0 >= y1) continue;
      const int ny = y1 - y0;
      const float* xrow = x + ((b0 * H + y0 * sh + kh * dh - top) * W) * C;
      const float* drow = dy + (b0 * Ho + y0) * Wo * O;
      if (xi0 < xi1)
        block(KW * C, xrow + (xi0 * sw - left) * C, drow + xi0 * O, dw + kh * KW * C * O, O, nb, ny, xi1 - xi0, xsb, xsy, xsx, dsb,
              dsy);
      for (int kw = 0; kw < KW; kw++) {
        const int col = kw * dl - left;
        const int xv0 = imax(0, ceil_div(-col, sw));
        const int xv1 = imin(Wo, floor_div(W - 1 - col, sw) + 1);
        float* dwt = dw + (kh * KW + kw) * C * O;
        int a = xv0, e = imin(xv1, xi0);
        if (a < e) block(C, xrow + (a * sw + col) * C, drow + a * O, dwt, O, nb, ny, e - a, xsb, xsy, xsx, dsb, dsy);
        a = imax(xv0, xi1);
        e = xv1;
        if (a < e) block(C, xrow + (a * sw + col) * C, drow + a * O, dwt, O, nb, ny, e - a, xsb, xsy, xsx, dsb, dsy);
      }
    }
  }
}


// ---------------------------------------------------------------- forward convolution
// out[b, y, x, o] = sum over kh, kw, c of x[b, y * sh + kh * dh - top, x * sw + kw * dw - left, c] * w[kh, kw, c, o]
// Register tiles of 4 consecutive output columns x 8 channels: per filter row (kh, kw, c) a tile
// loads 2 vectors of w and broadcasts 4 input values. Columns whose windows lie inside the image
// run 4 at a time over all taps (with dw = 1 a window row's (kw, c) rows are KW * C consecutive
// floats of x and of w); the others one at a time over their valid taps. One image and one block
// of channels at a time, so that block's filter columns stay in L1 (all channels per tile: ~25%
// slower on M3's second layer, the filter no longer fits).

// The taps of a tile: nkh kernel rows (x advances xkh, w wkh per row), each nkw runs (x advances
// xkw, w wkw per run) of n consecutive filter rows (x by 1, w by o).
#define TAPS int nkh, int xkh, int wkh, int nkw, int xkw, int wkw, int n
#define TAPS_ARGS nkh, xkh, wkh, nkw, xkw, wkw, n

// R output columns (xsx floats apart in x, o apart in out) x 4V channels (R <= 4, V <= 2).
INLINE void fwd_tile(const int R, const int V, const float* xp, int xsx, const float* wp, float* outp, int o, TAPS) {
  v128_t a00 = wasm_f32x4_splat(0), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
  for (int i = 0; i < nkh; i++) {
    for (int j = 0; j < nkw; j++) {
      const float* x0 = xp + i * xkh + j * xkw;
      const float* x1 = x0 + xsx;
      const float* x2 = x0 + 2 * xsx;
      const float* x3 = x0 + 3 * xsx;
      const float* wq = wp + i * wkh + j * wkw;
      for (int k = 0; k < n; k++) {
        const v128_t w0 = wasm_v128_load(wq);
        const v128_t w1 = V > 1 ? wasm_v128_load(wq + 4) : w0;
        wq += o;
        v128_t s = wasm_v128_load32_splat(x0 + k);
        a00 = wasm_f32x4_add(a00, wasm_f32x4_mul(s, w0));
        if (V > 1) a01 = wasm_f32x4_add(a01, wasm_f32x4_mul(s, w1));
        if (R > 1) {
          s = wasm_v128_load32_splat(x1 + k);
          a10 = wasm_f32x4_add(a10, wasm_f32x4_mul(s, w0));
          if (V > 1) a11 = wasm_f32x4_add(a11, wasm_f32x4_mul(s, w1));
        }
        if (R > 2) {
          s = wasm_v128_load32_splat(x2 + k);
          a20 = wasm_f32x4_add(a20, wasm_f32x4_mul(s, w0));
          if (V > 1) a21 = wasm_f32x4_add(a21, wasm_f32x4_mul(s, w1));
        }
        if (R > 3) {
          s = wasm_v128_load32_splat(x3 + k);
          a30 = wasm_f32x4_add(a30, wasm_f32x4_mul(s, w0));
          if (V > 1) a31 = wasm_f32x4_add(a31, wasm_f32x4_mul(s, w1));
        }
      }
    }
  }
  wasm_v128_store(outp, a00);
  if (V > 1) wasm_v128_store(outp + 4, a01);
  if (R > 1) wasm_v128_store(outp + o, a10);
  if (R > 1 && V > 1) wasm_v128_store(outp + o + 4, a11);
  if (R > 2) wasm_v128_store(outp + 2 * o, a20);
  if (R > 2 && V > 1) wasm_v128_store(outp + 2 * o + 4, a21);
  if (R > 3) wasm_v128_store(outp + 3 * o, a30);
  if (R > 3 && V > 1) wasm_v128_store(outp + 3 * o + 4, a31);
}

// R output columns (R <= 2) x 16 channels: per filter row 4 vectors of w (a whole cache line when
// w is 64-byte aligned) and R broadcasts.
INLINE void fwd_tile16(const int R, const float* xp, int xsx, const float* wp, float* outp, int o, TAPS) {
  v128_t a0 = wasm_f32x4_splat(0), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
  for (int i = 0; i < nkh; i++) {
    for (int j = 0; j < nkw; j++) {
      const float* x0 = xp + i * xkh + j * xkw;
      const float* x1 = x0 + xsx;
      const float* wq = wp + i * wkh + j * wkw;
      for (int k = 0; k < n; k++) {
        const v128_t w0 = wasm_v128_load(wq), w1 = wasm_v128_load(wq + 4), w2 = wasm_v128_load(wq + 8), w3 = wasm_v128_load(wq + 12);
        wq += o;
        v128_t s = wasm_v128_load32_splat(x0 + k);
        a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(s, w0));
        a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(s, w1));
        a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(s, w2));
        a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(s, w3));
        if (R > 1) {
          s = wasm_v128_load32_splat(x1 + k);
          b0 = wasm_f32x4_add(b0, wasm_f32x4_mul(s, w0));
          b1 = wasm_f32x4_add(b1, wasm_f32x4_mul(s, w1));
          b2 = wasm_f32x4_add(b2, wasm_f32x4_mul(s, w2));
          b3 = wasm_f32x4_add(b3, wasm_f32x4_mul(s, w3));
        }
      }
    }
  }
  wasm_v128_store(outp, a0);
  wasm_v128_store(outp + 4, a1);
  wasm_v128_store(outp + 8, a2);
  wasm_v128_store(outp + 12, a3);
  if (R > 1) {
    wasm_v128_store(outp + o, b0);
    wasm_v128_store(outp + o + 4, b1);
    wasm_v128_store(outp + o + 8, b2);
    wasm_v128_store(outp + o + 12, b3);
  }
}

// One output column x one channel, scalar (the o % 4 trailing channels).
INLINE void fwd_scalar(const float* xp, const float* wp, float* outp, int o, TAPS) {
  float acc = 0;
  for (int i = 0; i < nkh; i++)
    for (int j = 0; j < nkw; j++) {
      const float* xq = xp + i * xkh + j * xkw;
      const float* wq = wp + i * wkh + j * wkw;
      for (int k = 0; k < n; k++) acc += xq[k] * wq[k * o];
    }
  *outp = acc;
}

// R columns x one block of channels: 16 (V = 4, columns in pairs), 8 (V = 2), 4 (V = 1) or 1 (V = 0, scalar).
INLINE void fwd_block(const int R, const int V, const float* xp, int xsx, const float* wp, float* outp, int o, TAPS) {
  if (V == 4) {
    int r = 0;
    for (; r + 2 <= R; r += 2) fwd_tile16(2, xp + r * xsx, xsx, wp, outp + r * o, o, TAPS_ARGS);
    if (r < R) fwd_tile16(1, xp + r * xsx, xsx, wp, outp + r * o, o, TAPS_ARGS);
  } else if (V > 0)
    fwd_tile(R, V, xp, xsx, wp, outp, o, TAPS_ARGS);
  else
    for (int r = 0; r < R; r++) fwd_scalar(xp + r * xsx, wp, outp + r * o, o, TAPS_ARGS);
}

// Geometry of a forward convolution, passed on to fwd_image.
#define GEOM int H, int W, int C, int Ho, int Wo, int O, int KH, int KW, int sh, int sw, int dh, int dl, int top, int left
#define GEOM_ARGS H, W, C, Ho, Wo, O, KH, KW, sh, sw, dh, dl, top, left

// One image, channels [oc, oc + 16, 8, 4 or 1) (V = 4, 2, 1, 0).
INLINE void fwd_image(const int V, const float* xb, const float* w, float* ob, int oc, int xi0, int xi1, GEOM) {
  const int merged = dl == 1 || KW == 1;  // a window row's taps are consecutive floats of x
  const int width = V > 0 ? 4 * V : 1;
  const int xsx = sw * C;
  for (int y = 0; y < Ho; y++) {
    // kernel rows inside the image
    const int kh0 = imax(0, ceil_div(top - y * sh, dh));
    const int kh1 = imin(KH, floor_div(H - 1 + top - y * sh, dh) + 1);
    float* orow = ob + y * Wo * O + oc;
    if (kh0 >= kh1 || C <= 0) {
      for (int xo = 0; xo < Wo; xo++)
        for (int i = 0; i < width; i++) orow[xo * O + i] = 0;
      continue;
    }
    const int nkh = kh1 - kh0;
    const float* xrow = xb + ((y * sh + kh0 * dh - top) * W) * C;  // x at kernel row kh0, column 0
    const float* wrow = w + kh0 * KW * C * O + oc;
    const int xkh = dh * W * C, wkh = KW * C * O;
    // interior columns, 4 at a time
    int xc = xi0;
    const float* xi = xrow + (xi0 * sw - left) * C;
    for (; xc + 4 <= xi1; xc += 4, xi += 4 * xsx) {
      if (merged)
        fwd_block(4, V, xi, xsx, wrow, orow + xc * O, O, nkh, xkh, wkh, 1, 0, 0, KW * C);
      else
        fwd_block(4, V, xi, xsx, wrow, orow + xc * O, O, nkh, xkh, wkh, KW, dl * C, C * O, C);
    }
    // every other column alone, over its valid taps
    for (int xo = 0; xo < Wo; xo++) {
      if (xo >= xi0 && xo < xc) continue;
      const int col = xo * sw - left;
      const int kw0 = imax(0, ceil_div(-col, dl));
      const int kw1 = imin(KW, floor_div(W - 1 - col, dl) + 1);
      float* op = orow + xo * O;
      if (kw0 >= kw1) {
        for (int i = 0; i < width; i++) op[i] = 0;
        continue;
      }
      const float* xp = xrow + (col + kw0 * dl) * C;
      const float* wp = wrow + kw0 * C * O;
      if (merged)
        fwd_block(1, V, xp, xsx, wp, op, O, nkh, xkh, wkh, 1, 0, 0, (kw1 - kw0) * C);
      else
        fwd_block(1, V, xp, xsx, wp, op, O, nkh, xkh, wkh, kw1 - kw0, dl * C, C * O, C);
    }
  }
}

// x [B, H, W, C], w [KH, KW, C, O] -> out [B, Ho, Wo, O]. Padding may be negative (crops).
EXPORT("conv2d_forward") __attribute__((no_builtin("memset")))
void conv2d_forward(const float* x, const float* w, float* out, int B, GEOM, int wide) {
  if (B <= 0 || Ho <= 0 || Wo <= 0 || O <= 0) return;
  // columns whose whole window row is inside the image
  int xi0 = imax(0, ceil_div(left, sw));
  int xi1 = imin(Wo, floor_div(W - 1 - (KW - 1) * dl + left, sw) + 1);
  if (xi0 >= xi1) xi0 = xi1 = Wo;
  for (int b = 0; b < B; b++) {
    const float* xb = x + b * H * W * C;
    float* ob = out + b * Ho * Wo * O;
    int oc = 0;
    if (wide)
      for (; oc + 16 <= O; oc += 16) fwd_image(4, xb, w, ob, oc, xi0, xi1, GEOM_ARGS);
    for (; oc + 8 <= O; oc += 8) fwd_image(2, xb, w, ob, oc, xi0, xi1, GEOM_ARGS);
    if (oc + 4 <= O) {
      fwd_image(1, xb, w, ob, oc, xi0, xi1, GEOM_ARGS);
      oc += 4;
    }
    for (; oc < O; oc++) fwd_image(0, xb, w, ob, oc, xi0, xi1, GEOM_ARGS);
  }
}

// The filter of a conv2d's input gradient: w [KH, KW, C, O] flipped in space with its channel
// axes swapped, out [kh, kw, o, c] = w[KH - 1 - kh, KW - 1 - kw, c, o], in one pass (as a Reverse and
// a Transpose kernel it takes ~1 ms on the 3x3x32x64 filter of M3).
EXPORT("conv2d_flip_filter")
void conv2d_flip_filter(const float* w, float* out, int KH, int KW, int C, int O) {
  for (int kh = 0; kh < KH; kh++)
    for (int kw = 0; kw < KW; kw++) {
      const float* src = w + ((KH - 1 - kh) * KW + (KW - 1 - kw)) * C * O;
      float* dst = out + (kh * KW + kw) * O * C;
      for (int c = 0; c < C; c++)
        for (int o = 0; o < O; o++) dst[o * C + c] = src[c * O + o];
    }
}

// ---------------------------------------------------------------- max-pool gradient (tiled windows)
// Windows kh x kw with stride = window and no padding: dx = ct / (ties in the window) at each pixel
// equal to its window's maximum `out`, 0 elsewhere (and in the rows / columns no window covers),
// in one pass; the same float operations as maxPool2d's mask rule (mask * (ct / count)).
EXPORT("max_pool_grad_tiled") __attribute__((no_builtin("memset")))
void max_pool_grad_tiled(const float* x, const float* out, const float* ct, float* dx, int B, int H, int W, int C, int KH, int KW) {
  const int Ho = H / KH, Wo = W / KW;
  const v128_t one = wasm_f32x4_splat(1);
  for (int b = 0; b < B; b++) {
    for (int y = 0; y < H; y++) {
      const int oy = y / KH;
      float* drow = dx + ((b * H + y) * W) * C;
      if (oy >= Ho) {
        for (int i = 0; i < W * C; i++) drow[i] = 0;
        continue;
      }
      for (int i = Wo * KW * C; i < W * C; i++) drow[i] = 0;
    }
    for (int oy = 0; oy < Ho; oy++) {
      for (int ox = 0; ox < Wo; ox++) {
        const int p = ((b * Ho + oy) * Wo + ox) * C;
        const float* xw = x + ((b * H + oy * KH) * W + ox * KW) * C;
        float* dw = dx + ((b * H + oy * KH) * W + ox * KW) * C;
        int c = 0;
        if (KH == 2 && KW == 2) {
          // the common 2x2 window: each pixel loaded and compared once
          const int r = W * C;
          for (; c + 4 <= C; c += 4) {
            const v128_t m = wasm_v128_load(out + p + c);
            const v128_t e0 = wasm_f32x4_eq(wasm_v128_load(xw + c), m);
            const v128_t e1 = wasm_f32x4_eq(wasm_v128_load(xw + C + c), m);
            const v128_t e2 = wasm_f32x4_eq(wasm_v128_load(xw + r + c), m);
            const v128_t e3 = wasm_f32x4_eq(wasm_v128_load(xw + r + C + c), m);
            const v128_t count = wasm_f32x4_add(wasm_f32x4_add(wasm_v128_and(e0, one), wasm_v128_and(e1, one)),
                                                wasm_f32x4_add(wasm_v128_and(e2, one), wasm_v128_and(e3, one)));
            const v128_t share = wasm_f32x4_div(wasm_v128_load(ct + p + c), count);
            wasm_v128_store(dw + c, wasm_v128_and(e0, share));
            wasm_v128_store(dw + C + c, wasm_v128_and(e1, share));
            wasm_v128_store(dw + r + c, wasm_v128_and(e2, share));
            wasm_v128_store(dw + r + C + c, wasm_v128_and(e3, share));
          }
        }
        for (; c + 4 <= C; c += 4) {
          const v128_t m = wasm_v128_load(out + p + c);
          v128_t count = wasm_f32x4_splat(0);
          for (int i = 0; i < KH; i++)
            for (int j = 0; j < KW; j++)
              count = wasm_f32x4_add(count, wasm_v128_and(wasm_f32x4_eq(wasm_v128_load(xw + (i * W + j) * C + c), m), one));
          const v128_t share = wasm_f32x4_div(wasm_v128_load(ct + p + c), count);
          for (int i = 0; i < KH; i++)
            for (int j = 0; j < KW; j++) {
              const int q = (i * W + j) * C + c;
              wasm_v128_store(dw + q, wasm_v128_and(wasm_f32x4_eq(wasm_v128_load(xw + q), m), share));
            }
        }
        for (; c < C; c++) {
          const float m = out[p + c];
          float count = 0;
          for (int i = 0; i < KH; i++)
            for (int j = 0; j < KW; j++) count += xw[(i * W + j) * C + c] == m ? 1.0f : 0.0f;
          const float share = ct[p + c] / count;
          for (int i = 0; i < KH; i++)
            for (int j = 0; j < KW; j++) {
              const int q = (i * W + j) * C + c;
              dw[q] = xw[q] == m ? share : 0.0f;
            }
        }
      }
    }
  }
}

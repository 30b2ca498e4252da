// float32 GEMM on row-major operands: C [m, n] = op(A) op(B), where op(A) is A [m, k] or, transposed,
// A given as [k, m]; op(B) is B [k, n] or, transposed, B given as [n, k].
//
// tfjs-backend-wasm's BatchMatMul (XNNPACK) packs B into its own layout once per tensor id: in a
// training step every right operand is fresh (new weights, fresh gradients), so it packs on every
// call. Here B is packed per call, KC rows at a time, into panels of 8 columns x KC rows in a
// scratch the caller gives (zero-padded past n): a copy the size of B, done in cache, reused by
// every row tile. A is read in place at its strides (either layout).
//
// A tile is R rows (R <= 4) x 8 columns: per k step, two vectors of the panel and R broadcast
// elements of A, multiplied and added into 2R accumulators (no FMA: Node 20 has no relaxed SIMD).
// The k axis runs in blocks of KC so a panel stays in L1; blocks after the first add onto C.
// (6 x 8 tiles, 12 accumulators, measured half as fast: V8 uses 16 SIMD registers, and spills.)
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(name)))
#define INLINE static inline __attribute__((always_inline))

// rows of k per block: a panel is KC x 8 floats (8 KB), kept in L1 while every row tile reads it
#define KC 256

INLINE int imin(int a, int b) { return a < b ? a : b; }

// Stores lanes [0, nc) of v (nc < 4) at p, added to what is there when acc.
INLINE void store_part(float* p, v128_t v, int nc, int acc) {
  if (nc > 0) p[0] = (acc ? p[0] : 0) + wasm_f32x4_extract_lane(v, 0);
  if (nc > 1) p[1] = (acc ? p[1] : 0) + wasm_f32x4_extract_lane(v, 1);
  if (nc > 2) p[2] = (acc ? p[2] : 0) + wasm_f32x4_extract_lane(v, 2);
}

// Stores a row's 8 accumulators (nc of them valid) at p.
INLINE void store_row(float* p, v128_t v0, v128_t v1, int nc, int acc) {
  if (nc == 8) {
    if (acc) {
      v0 = wasm_f32x4_add(v0, wasm_v128_load(p));
      v1 = wasm_f32x4_add(v1, wasm_v128_load(p + 4));
    }
    wasm_v128_store(p, v0);
    wasm_v128_store(p + 4, v1);
  } else if (nc >= 4) {
    if (acc) v0 = wasm_f32x4_add(v0, wasm_v128_load(p));
    wasm_v128_store(p, v0);
    store_part(p + 4, v1, nc - 4, acc);
  } else {
    store_part(p, v0, nc, acc);
  }
}

// R rows x 8 columns over kc steps: A's rows at a + r * ars, stepping acs per k; the panel bp
// [kc, 8]; C's rows at c + r * ldc, nc columns valid, added onto C when acc.
INLINE void tile(const int R, const float* a, int ars, int acs, const float* bp, int ldb, int kc, float* c, int ldc, int nc, int acc) {
  v128_t c00 = wasm_f32x4_splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  const float* a0 = a;
  const float* a1 = a + ars;
  const float* a2 = a + 2 * ars;
  const float* a3 = a + 3 * ars;
  for (int p = 0; p < kc; p++) {
    const v128_t b0 = wasm_v128_load(bp);
    const v128_t b1 = wasm_v128_load(bp + 4);
    bp += ldb;
    v128_t s = wasm_v128_load32_splat(a0);
    a0 += acs;
    c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(s, b0));
    c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(s, b1));
    if (R > 1) {
      s = wasm_v128_load32_splat(a1);
      a1 += acs;
      c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(s, b0));
      c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(s, b1));
    }
    if (R > 2) {
      s = wasm_v128_load32_splat(a2);
      a2 += acs;
      c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(s, b0));
      c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(s, b1));
    }
    if (R > 3) {
      s = wasm_v128_load32_splat(a3);
      a3 += acs;
      c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(s, b0));
      c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(s, b1));
    }
  }
  store_row(c, c00, c01, nc, acc);
  if (R > 1) store_row(c + ldc, c10, c11, nc, acc);
  if (R > 2) store_row(c + 2 * ldc, c20, c21, nc, acc);
  if (R > 3) store_row(c + 3 * ldc, c30, c31, nc, acc);
}

// Products of 1 to 3 rows (m < 4; but one row with n >= 256 streams, below), which the tile above
// runs on too few accumulators to hide the add's latency: R rows x 4V columns (V = 8 / R, eight accumulators), read from B in place (no
// panel: each row of B is read once whatever the layout of the panel). Full widths only.
INLINE void wide(const int R, const int V, const float* a, int acs, int ars, const float* b, int ldb, int kc, float* c, int ldc, int acc) {
  v128_t r0[8], r1[4];
  for (int v = 0; v < V; v++) r0[v] = wasm_f32x4_splat(0);
  if (R > 1)
    for (int v = 0; v < 4; v++) r1[v] = wasm_f32x4_splat(0);
  const float* a0 = a;
  const float* a1 = a + ars;
  for (int p = 0; p < kc; p++, b += ldb) {
    const v128_t s0 = wasm_v128_load32_splat(a0);
    a0 += acs;
    if (R > 1) {
      const v128_t s1 = wasm_v128_load32_splat(a1);
      a1 += acs;
      for (int v = 0; v < 4; v++) {
        const v128_t bv = wasm_v128_load(b + 4 * v);
        r0[v] = wasm_f32x4_add(r0[v], wasm_f32x4_mul(s0, bv));
        r1[v] = wasm_f32x4_add(r1[v], wasm_f32x4_mul(s1, bv));
      }
    } else {
      for (int v = 0; v < V; v++) r0[v] = wasm_f32x4_add(r0[v], wasm_f32x4_mul(s0, wasm_v128_load(b + 4 * v)));
    }
  }
  for (int v = 0; v < V; v++) {
    if (acc) r0[v] = wasm_f32x4_add(r0[v], wasm_v128_load(c + 4 * v));
    wasm_v128_store(c + 4 * v, r0[v]);
  }
  if (R > 1)
    for (int v = 0; v < 4; v++) {
      if (acc) r1[v] = wasm_f32x4_add(r1[v], wasm_v128_load(c + ldc + 4 * v));
      wasm_v128_store(c + ldc + 4 * v, r1[v]);
    }
}

// A row of C (m = 1, n >= 256) = that row of A x B [k, n], B read front to back, Q = 4 (or 1) of its
// rows at a time: each C vector gets Q products of broadcast A and a vector of B (a GEMV that
// streams B in order; C's row stays in cache). first: C is written, not added onto.
INLINE void stream(const int Q, const float* a, int acs, const float* b, int n, float* c, int first) {
  v128_t s[4];
  for (int q = 0; q < Q; q++) s[q] = wasm_v128_load32_splat(a + q * acs);
  int j = 0;
  for (; j + 4 <= n; j += 4) {
    v128_t x = first ? wasm_f32x4_splat(0) : wasm_v128_load(c + j);
    for (int q = 0; q < Q; q++) x = wasm_f32x4_add(x, wasm_f32x4_mul(s[q], wasm_v128_load(b + q * n + j)));
    wasm_v128_store(c + j, x);
  }
  for (; j < n; j++) {
    float x = first ? 0 : c[j];
    for (int q = 0; q < Q; q++) x += a[q * acs] * b[q * n + j];
    c[j] = x;
  }
}

// The panel of columns [j, j + nc) and rows [p0, p0 + kc) of B given as [n, k] (its rows j .. j + 7,
// transposed 4 x 4 at a time) into bp [kc, 8], zeros past nc.
INLINE void pack_nt(const float* b, float* bp, int k, int j, int nc, int p0, int kc) {
  const float* src = b + j * k + p0;
  if (nc == 8) {
    int p = 0;
    for (; p + 4 <= kc; p += 4) {
      for (int h = 0; h < 2; h++) {
        const float* s = src + 4 * h * k + p;
        const v128_t r0 = wasm_v128_load(s);
        const v128_t r1 = wasm_v128_load(s + k);
        const v128_t r2 = wasm_v128_load(s + 2 * k);
        const v128_t r3 = wasm_v128_load(s + 3 * k);
        const v128_t t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5);
        const v128_t t1 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5);
        const v128_t t2 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7);
        const v128_t t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
        float* d = bp + p * 8 + 4 * h;
        wasm_v128_store(d, wasm_i64x2_shuffle(t0, t1, 0, 2));
        wasm_v128_store(d + 8, wasm_i64x2_shuffle(t0, t1, 1, 3));
        wasm_v128_store(d + 16, wasm_i64x2_shuffle(t2, t3, 0, 2));
        wasm_v128_store(d + 24, wasm_i64x2_shuffle(t2, t3, 1, 3));
      }
    }
    for (; p < kc; p++)
      for (int q = 0; q < 8; q++) bp[p * 8 + q] = src[q * k + p];
  } else {
    for (int p = 0; p < kc; p++)
      for (int q = 0; q < 8; q++) bp[p * 8 + q] = q < nc ? src[q * k + p] : 0;
  }
}

// Panels are PANEL(kc) floats apart: [kc, 8] and a cache line, so that the same row of successive
// panels does not fall into the same cache set (kc * 32 bytes is a multiple of 4 KB for kc = 128, 256).
#define PANEL(kc) ((kc) * 8 + 16)

// Rows [p0, p0 + kc) of B [k, n], columns [j0, n), as panels of 8 columns: panel q at bp + q * PANEL(kc),
// [kc, 8] each, zeros past n.
INLINE void pack_block(const float* b, float* bp, int n, int j0, int p0, int kc) {
  const int full = (n - j0) / 8;
  const int rest = (n - j0) % 8;
  for (int p = 0; p < kc; p++) {
    const float* src = b + (p0 + p) * n + j0;
    float* dst = bp + p * 8;
    for (int q = 0; q < full; q++, src += 8, dst += PANEL(kc)) {
      wasm_v128_store(dst, wasm_v128_load(src));
      wasm_v128_store(dst + 4, wasm_v128_load(src + 4));
    }
    if (rest > 0)
      for (int r = 0; r < 8; r++) dst[r] = r < rest ? src[r] : 0;
  }
}

// C [m, n] = op(A) op(B) (see the top). ta: A given as [k, m]; tb: B given as [n, k]. scratch:
// min(k, KC) * 8 floats when tb, else (min(k, KC) * 8 + 16) per 8 columns of n (rounded up). k = 0 writes zeros.
EXPORT("gemm_f32") __attribute__((no_builtin("memset")))
void gemm_f32(const float* a, const float* b, float* c, float* scratch, int m, int n, int k, int ta, int tb) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    for (int i = 0; i < m * n; i++) c[i] = 0;
    return;
  }
  const int ars = ta ? 1 : k;
  const int acs = ta ? m : 1;
  if (m == 1 && !tb && n >= 256) {
    // one row streaming B: measured 1.3-1.7x the wide tiles' speed at 1 x 784 x 512; slower on
    // narrow products (1.25x the time at 1 x 50176 x 32) and on two rows (1.3x at 2 x 784 x 512)
    int p = 0;
    for (; p + 4 <= k; p += 4) stream(4, a + p * acs, acs, b + p * n, n, c, p == 0);
    for (; p < k; p++) stream(1, a + p * acs, acs, b + p * n, n, c, p == 0);
    return;
  }
  for (int p0 = 0; p0 < k; p0 += KC) {
    const int kc = imin(KC, k - p0);
    const int acc = p0 > 0;
    int j = 0;
    if (m < 4 && !tb) {
      // one or two rows at a time, 32 or 16 columns wide, B in place
      const int w = m == 2 ? 16 : 32;
      for (; j + w <= n; j += w) {
        const float* bp = b + p0 * n + j;
        const float* ap = a + p0 * acs;
        if (m == 2) {
          wide(2, 4, ap, acs, ars, bp, n, kc, c + j, n, acc);
        } else {
          for (int i = 0; i < m; i++) wide(1, 8, ap + i * ars, acs, ars, bp, n, kc, c + i * n + j, n, acc);
        }
      }
    }
    // NOTE: B [k, n] is packed a whole block of rows at a time, each row read once front to back
    // (a panel at a time would read 32 bytes per row at a stride of n floats, and with n a power
    // of 2 those rows fall into a few cache sets); B given as [n, k] a panel at a time (its rows
    // are the panel's columns, read in order)
    const int j0 = j;
    if (!tb) pack_block(b, scratch, n, j0, p0, kc);
    for (; j < n; j += 8) {
      const int nc = imin(8, n - j);
      const float* bp = scratch;
      const int ldb = 8;
      if (tb) pack_nt(b, scratch, k, j, nc, p0, kc);
      else bp = scratch + (j - j0) / 8 * PANEL(kc);
      const float* ap = a + p0 * acs;
      float* cp = c + j;
      int i = 0;
      for (; i + 4 <= m; i += 4) tile(4, ap + i * ars, ars, acs, bp, ldb, kc, cp + i * n, n, nc, acc);
      switch (m - i) {
        case 3:
          tile(3, ap + i * ars, ars, acs, bp, ldb, kc, cp + i * n, n, nc, acc);
          break;
        case 2:
          tile(2, ap + i * ars, ars, acs, bp, ldb, kc, cp + i * n, n, nc, acc);
          break;
        case 1:
          tile(1, ap + i * ars, ars, acs, bp, ldb, kc, cp + i * n, n, nc, acc);
          break;
      }
    }
  }
}

// Softmax cross-entropy from logits, forward and reverse, in WASM SIMD over tfjs' heap; registered in
// xent.ts, used by the classification losses (src/losses/xent.ts: the fused ops' composites there).
// Per row x [C] of the logits [N, C]:
//
//   shift = max(x) where finite, else 0;  z = x − shift;  logs = log Σ exp(z)   (so logsumexp = shift + logs)
//   sparse (int label l):   loss = logs − z[l]                  (logs when l is outside 0..C−1)
//                           dx   = (exp(z − logs) − onehot(l)) g
//   dense (targets y [C]):  loss = logs Σy − Σ y z
//                           dx   = (exp(z − logs) Σy − y) g;     dy = (logs − z) g
//
// with g the row's cotangent, or, reduced, the loss is (Σ_rows loss) / divisor and g = g_scalar / divisor.
// The forward saves shift and logs per row for the reverse (not their sum, logsumexp: exp(z − logs)
// then has no rounding of a large shift in it); the sparse one also writes whether each label is in
// range (a bool byte, for the loss's check).
//
// exp: x = n ln2 + r, |r| ≤ ln2/2, e^r from a degree-5 minimax polynomial (XNNPACK's coefficients, as
// in recurrent.c), 2^n from the exponent bits; within 3 ulp (measured). Inputs below −87.33 give 0, above 87 +inf
// (only rows whose max is not finite reach positive inputs: then the sum is +inf or NaN anyway), NaN
// stays NaN. log: once per row, in double (the row's sum of exps is in [1, C] for finite rows).
// Row-major, contiguous; C need not be a multiple of 4 (scalar tails compute the same formulas).
// No libc, no static data, no stack: leaf functions over byte offsets into the imported memory.
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(name)))

#define LOG2E 1.44269504088896341f
#define LN2_HI 0.693359375f
#define LN2_LO -2.12194440e-4f
#define C5 0x1.0F9F9Cp-7f
#define C4 0x1.573A1Ap-5f
#define C3 0x1.555A80p-3f
#define C2 0x1.FFFDC6p-2f
#define C1 0x1.FFFFF6p-1f
#define LO -87.33654f
#define HI 87.0f
#define MAGIC 12583039.0f
#define INF __builtin_inff()

#define SPLAT(v) wasm_f32x4_splat(v)
#define LD(p) wasm_v128_load(p)
#define ST(p, v) wasm_v128_store(p, v)

// e^x, 4 lanes. NOTE: pmin/pmax and magic-number rounding (V8 lowers f32x4.min/max and nearest to
// several x86 instructions each); pmax(x, LO) and pmin(x, HI) keep a NaN x.
static inline v128_t vexp(v128_t x) {
  v128_t xc = wasm_f32x4_pmin(wasm_f32x4_pmax(x, SPLAT(LO)), SPLAT(HI));
  v128_t biased = wasm_f32x4_add(wasm_f32x4_mul(xc, SPLAT(LOG2E)), SPLAT(MAGIC));
  v128_t scale = wasm_i32x4_shl(biased, 23);
  v128_t n = wasm_f32x4_sub(biased, SPLAT(MAGIC));
  v128_t r = wasm_f32x4_sub(xc, wasm_f32x4_mul(n, SPLAT(LN2_HI)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, SPLAT(LN2_LO)));
  v128_t p = wasm_f32x4_add(wasm_f32x4_mul(SPLAT(C5), r), SPLAT(C4));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), SPLAT(C3));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), SPLAT(C2));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), SPLAT(C1));
  v128_t e = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(r, scale), p), scale);
  e = wasm_v128_andnot(e, wasm_f32x4_lt(x, SPLAT(LO)));
  return wasm_v128_bitselect(SPLAT(INF), e, wasm_f32x4_gt(x, SPLAT(HI)));
}

// The same, one lane (the tails).
static inline float sexp(float x) {
  float xc = x < LO ? LO : x;
  xc = HI < xc ? HI : xc;
  union {
    float f;
    int i;
  } biased;
  biased.f = xc * LOG2E + MAGIC;
  float n = biased.f - MAGIC;
  biased.i = biased.i << 23;
  float r = xc - n * LN2_HI;
  r = r - n * LN2_LO;
  float p = C5 * r + C4;
  p = p * r + C3;
  p = p * r + C2;
  p = p * r + C1;
  float e = r * biased.f * p + biased.f;
  if (x < LO) return 0.0f;
  if (x > HI) return INF;
  return e;
}

// log(s) for s ≥ 0 (0 gives −inf, +inf and NaN themselves): s = 2^k m with m in [√½, √2),
// log m = 2 atanh(f), f = (m − 1) / (m + 1), |f| ≤ 0.172, the series to f^15 (error < 1e-13).
static float flog(float s) {
  if (!(s > 0.0f) || s == INF) return s == 0.0f ? -INF : s + s; // (NaN, +inf; s < 0 cannot happen)
  union {
    double d;
    unsigned long long u;
  } v;
  v.d = (double)s;
  int k = (int)((v.u >> 52) & 0x7ff) - 1023;
  v.u = (v.u & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL;
  if (v.d > 1.4142135623730951) {
    v.d *= 0.5;
    k++;
  }
  double f = (v.d - 1.0) / (v.d + 1.0);
  double f2 = f * f;
  double t = 1.0 / 15;
  t = t * f2 + 1.0 / 13;
  t = t * f2 + 1.0 / 11;
  t = t * f2 + 1.0 / 9;
  t = t * f2 + 1.0 / 7;
  t = t * f2 + 1.0 / 5;
  t = t * f2 + 1.0 / 3;
  t = t * f2 + 1.0;
  return (float)(2.0 * f * t + k * 0.6931471805599453);
}

// The row's shift: its max where finite, else 0 (NaN entries are skipped by pmax's rule; they make
// the sum of exps NaN later).
static inline float row_shift(const float *x, int c) {
  v128_t acc = SPLAT(-INF);
  int j = 0;
  for (; j + 4 <= c; j += 4) acc = wasm_f32x4_pmax(acc, LD(x + j));
  acc = wasm_f32x4_pmax(acc, wasm_i32x4_shuffle(acc, acc, 2, 3, 0, 1));
  acc = wasm_f32x4_pmax(acc, wasm_i32x4_shuffle(acc, acc, 1, 0, 3, 2));
  float m = wasm_f32x4_extract_lane(acc, 0);
  for (; j < c; j++) m = m < x[j] ? x[j] : m;
  return (m < INF && m > -INF) ? m : 0.0f;
}

static inline float hsum(v128_t v) {
  return (wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1)) + (wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3));
}

// Σ exp(x − shift) over the row.
static inline float row_sumexp(const float *x, int c, float shift) {
  v128_t vs = SPLAT(shift);
  v128_t acc = SPLAT(0.0f);
  int j = 0;
  for (; j + 4 <= c; j += 4) acc = wasm_f32x4_add(acc, vexp(wasm_f32x4_sub(LD(x + j), vs)));
  float s = hsum(acc);
  for (; j < c; j++) s += sexp(x[j] - shift);
  return s;
}

// Sparse labels. out: the per-row losses [n], or (reduce) their sum over `divisor` [1]; shift and
// logs [n]; ok [n] bytes: 1 where 0 ≤ label < c.
EXPORT("xent_sparse_forward")
void xent_sparse_forward(const float *x, const int *labels, float *out, float *shiftOut, float *logsOut, unsigned char *ok, int n, int c,
                         int reduce, float divisor) {
  double total = 0.0;
  for (int row = 0; row < n; row++) {
    const float *xr = x + row * c;
    float shift = row_shift(xr, c);
    float logs = flog(row_sumexp(xr, c, shift));
    int l = labels[row];
    int in = l >= 0 && l < c;
    float loss = in ? logs - (xr[l] - shift) : logs;
    shiftOut[row] = shift;
    logsOut[row] = logs;
    ok[row] = (unsigned char)in;
    if (reduce)
      total += loss;
    else
      out[row] = loss;
  }
  if (reduce) out[0] = (float)total / divisor;
}

// dx [n, c] from the logits, labels, shift, logs and g ([n], or (reduce) [1], then divided by `divisor`).
EXPORT("xent_sparse_backward")
void xent_sparse_backward(const float *x, const int *labels, const float *shifts, const float *logs, const float *g, float *dx, int n, int c,
                          int reduce, float divisor) {
  const float gAll = reduce ? g[0] / divisor : 0.0f;
  const v128_t iota = wasm_i32x4_make(0, 1, 2, 3);
  for (int row = 0; row < n; row++) {
    const float *xr = x + row * c;
    float *dr = dx + row * c;
    float shift = shifts[row];
    float ls = logs[row];
    float gs = reduce ? gAll : g[row];
    int l = labels[row];
    v128_t vs = SPLAT(shift), vl = SPLAT(ls), vg = SPLAT(gs), vlab = wasm_i32x4_splat(l);
    int j = 0;
    for (; j + 4 <= c; j += 4) {
      v128_t p = vexp(wasm_f32x4_sub(wasm_f32x4_sub(LD(xr + j), vs), vl));
      v128_t hot = wasm_v128_and(wasm_i32x4_eq(wasm_i32x4_add(iota, wasm_i32x4_splat(j)), vlab), SPLAT(1.0f));
      ST(dr + j, wasm_f32x4_mul(wasm_f32x4_sub(p, hot), vg));
    }
    for (; j < c; j++) dr[j] = (sexp((xr[j] - shift) - ls) - (j == l ? 1.0f : 0.0f)) * gs;
  }
}

// Dense targets y [n, c]. out, shift and logs as the sparse forward's.
EXPORT("xent_dense_forward")
void xent_dense_forward(const float *x, const float *y, float *out, float *shiftOut, float *logsOut, int n, int c, int reduce, float divisor) {
  double total = 0.0;
  for (int row = 0; row < n; row++) {
    const float *xr = x + row * c;
    const float *yr = y + row * c;
    float shift = row_shift(xr, c);
    v128_t vs = SPLAT(shift);
    v128_t se = SPLAT(0.0f), sy = SPLAT(0.0f), syz = SPLAT(0.0f);
    int j = 0;
    for (; j + 4 <= c; j += 4) {
      v128_t z = wasm_f32x4_sub(LD(xr + j), vs);
      v128_t yv = LD(yr + j);
      se = wasm_f32x4_add(se, vexp(z));
      sy = wasm_f32x4_add(sy, yv);
      syz = wasm_f32x4_add(syz, wasm_f32x4_mul(yv, z));
    }
    float s = hsum(se), ys = hsum(sy), yz = hsum(syz);
    for (; j < c; j++) {
      float z = xr[j] - shift;
      s += sexp(z);
      ys += yr[j];
      yz += yr[j] * z;
    }
    float logs = flog(s);
    float loss = logs * ys - yz;
    shiftOut[row] = shift;
    logsOut[row] = logs;
    if (reduce)
      total += loss;
    else
      out[row] = loss;
  }
  if (reduce) out[0] = (float)total / divisor;
}

// dx and dy [n, c] from the logits, targets, shift, logs and g (as the sparse reverse's).
EXPORT("xent_dense_backward")
void xent_dense_backward(const float *x, const float *y, const float *shifts, const float *logs, const float *g, float *dx, float *dy, int n,
                         int c, int reduce, float divisor) {
  const float gAll = reduce ? g[0] / divisor : 0.0f;
  for (int row = 0; row < n; row++) {
    const float *xr = x + row * c;
    const float *yr = y + row * c;
    float *dxr = dx + row * c;
    float *dyr = dy + row * c;
    float shift = shifts[row];
    v128_t acc = SPLAT(0.0f);
    int j = 0;
    for (; j + 4 <= c; j += 4) acc = wasm_f32x4_add(acc, LD(yr + j));
    float ys = hsum(acc);
    for (; j < c; j++) ys += yr[j];
    float ls = logs[row];
    float gs = reduce ? gAll : g[row];
    v128_t vs = SPLAT(shift), vl = SPLAT(ls), vg = SPLAT(gs), vys = SPLAT(ys);
    for (j = 0; j + 4 <= c; j += 4) {
      v128_t z = wasm_f32x4_sub(LD(xr + j), vs);
      v128_t yv = LD(yr + j);
      v128_t p = vexp(wasm_f32x4_sub(z, vl));
      ST(dxr + j, wasm_f32x4_mul(wasm_f32x4_sub(wasm_f32x4_mul(p, vys), yv), vg));
      ST(dyr + j, wasm_f32x4_mul(wasm_f32x4_sub(vl, z), vg));
    }
    for (; j < c; j++) {
      float z = xr[j] - shift;
      dxr[j] = (sexp(z - ls) * ys - yr[j]) * gs;
      dyr[j] = (ls - z) * gs;
    }
  }
}

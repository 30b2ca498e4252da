// The recurrent cells' steps of the fused sequence (src/nn/layers/recurrent.ts: `lstmFused`,
// `gruFused`, `gruBeforeFused`, `simpleRnnFused`), forward and reverse, in WASM SIMD over tfjs' heap; registered in
// core/native/recurrent.ts. Each computes exactly its fused op's composite (recurrent.ts: lstmStep, lstmStepBack, ...).
// The LSTM:
//
//   pre [B, 4U] = the packed pre-activations [i, f, 2 z_g, o];  a = σ(pre)
//   g2 = 4 a_g − 2 (2 tanh z_g);  c2' = f c2 + i g2 (i g2 at step 0);  t = 2 σ(c2') − 1 (tanh c);  h = o t
//   keep:  factor = [g2, c2, i, t] ⊙ a (1 − a);  cellFromH = o (1 − t²);  forget = f
//
//   reverse:  dc = dc_next + dh cellFromH;  dPre = [dc, dc, dc, dh] ⊙ factor;  carry: dc_prev = dc forget
//             and, optionally, dPre's transpose [4U, B] (what the weight gradient's product takes)
//
// σ(z) = e^z / (1 + e^z) for z < 0 and 1 − σ(−z) above, with e^−|z| from a degree-5 polynomial
// (σ within 2.6e-7 relative over [−87, 87], measured; |z| is clamped at 87 so that 2^n stays a
// normal float: σ(z < −87) is σ(−87) ≈ 1.6e-38).
// Row-major, contiguous; U need not be a multiple of 4 (scalar tails compute the same formulas).
// No libc, no static data, no stack: leaf functions over byte offsets into the imported memory.
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(name)))

#define LOG2E 1.44269504088896341f
#define LN2_HI 0.693359375f
#define LN2_LO -2.12194440e-4f
// a degree-5 minimax polynomial for e^r on [−ln2/2, ln2/2] (XNNPACK's sigmoid coefficients)
#define C5 0x1.0F9F9Cp-7f
#define C4 0x1.573A1Ap-5f
#define C3 0x1.555A80p-3f
#define C2 0x1.FFFDC6p-2f
#define C1 0x1.FFFFF6p-1f
#define CLAMP 87.0f
#define MAGIC 12583039.0f

// e^x for x in [−87, 0] (the caller clamps): x = n ln2 + r, |r| ≤ ln2 / 2. n is rounded by adding
// 1.5 · 2^23 + 127 (its low mantissa bits then hold n + 127, the biased exponent of 2^n). V8 lowers
// f32x4.min/max (NaN rules), nearest and trunc_sat to several x86 instructions each, so pmax and
// this magic-number rounding instead.
static inline v128_t vexp(v128_t x) {
  v128_t biased = wasm_f32x4_add(wasm_f32x4_mul(x, wasm_f32x4_splat(LOG2E)), wasm_f32x4_splat(MAGIC));
  v128_t scale = wasm_i32x4_shl(biased, 23);
  v128_t n = wasm_f32x4_sub(biased, wasm_f32x4_splat(MAGIC));
  v128_t r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, wasm_f32x4_splat(LN2_HI)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, wasm_f32x4_splat(LN2_LO)));
  v128_t p = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_splat(C5), r), wasm_f32x4_splat(C4));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(C3));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(C2));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(C1));
  // 2^n (1 + r p(r)) as 2^n + (r 2^n) p(r)
  v128_t rs = wasm_f32x4_mul(r, scale);
  return wasm_f32x4_add(wasm_f32x4_mul(rs, p), scale);
}

// σ(z) from e = e^−|z| with one division: e / (1 + e) below 0, 1 − that above.
static inline v128_t vsigmoid(v128_t z) {
  v128_t neg = wasm_f32x4_pmax(wasm_v128_or(z, wasm_f32x4_splat(-0.0f)), wasm_f32x4_splat(-CLAMP));
  v128_t e = vexp(neg);
  v128_t low = wasm_f32x4_div(e, wasm_f32x4_add(wasm_f32x4_splat(1.0f), e));
  return wasm_v128_bitselect(wasm_f32x4_sub(wasm_f32x4_splat(1.0f), low), low, wasm_f32x4_ge(z, wasm_f32x4_splat(0.0f)));
}

// The same, one lane at a time (the tails when U is not a multiple of 4).
static inline float sexp(float x) {
  union {
    float f;
    int i;
  } biased;
  biased.f = x * LOG2E + MAGIC;
  float n = biased.f - MAGIC;
  biased.i = biased.i << 23;
  float r = x - n * LN2_HI;
  r = r - n * LN2_LO;
  float p = C5 * r + C4;
  p = p * r + C3;
  p = p * r + C2;
  p = p * r + C1;
  float rs = r * biased.f;
  return rs * p + biased.f;
}

static inline float ssigmoid(float z) {
  float a = z < 0.0f ? z : -z;
  float neg = a > -CLAMP ? a : -CLAMP;
  float e = sexp(neg);
  float low = e / (1.0f + e);
  return z >= 0.0f ? 1.0f - low : low;
}

#define SPLAT(v) wasm_f32x4_splat(v)
#define LD(p) wasm_v128_load(p)
#define ST(p, v) wasm_v128_store(p, v)

// flags: 1 = c2 given (else step 0: c2 taken as 0), 2 = keep (write factor, cellFromH, forget).
EXPORT("lstm_forward")
void lstm_forward(const float *pre, const float *c2, float *h, float *c2out, float *factor, float *cellFromH, float *forget, int b, int u,
                  int flags) {
  const int hasC = flags & 1;
  const int keep = flags & 2;
  const int w = 4 * u;
  for (int row = 0; row < b; row++) {
    const float *pr = pre + row * w;
    const float *cr = hasC ? c2 + row * u : 0;
    float *hr = h + row * u;
    float *co = c2out + row * u;
    float *fr = keep ? factor + row * w : 0;
    float *xr = keep ? cellFromH + row * u : 0;
    float *gr = keep ? forget + row * u : 0;
    int j = 0;
    for (; j + 4 <= u; j += 4) {
      v128_t ai = vsigmoid(LD(pr + j));
      v128_t af = vsigmoid(LD(pr + u + j));
      v128_t ag = vsigmoid(LD(pr + 2 * u + j));
      v128_t ao = vsigmoid(LD(pr + 3 * u + j));
      v128_t g2 = wasm_f32x4_sub(wasm_f32x4_mul(ag, SPLAT(4.0f)), SPLAT(2.0f));
      v128_t prev = hasC ? LD(cr + j) : SPLAT(0.0f);
      v128_t ig2 = wasm_f32x4_mul(ai, g2);
      v128_t cn = hasC ? wasm_f32x4_add(wasm_f32x4_mul(af, prev), ig2) : ig2;
      v128_t t = wasm_f32x4_sub(wasm_f32x4_mul(vsigmoid(cn), SPLAT(2.0f)), SPLAT(1.0f));
      ST(hr + j, wasm_f32x4_mul(ao, t));
      ST(co + j, cn);
      if (keep) {
        v128_t one = SPLAT(1.0f);
        ST(fr + j, wasm_f32x4_mul(g2, wasm_f32x4_mul(ai, wasm_f32x4_sub(one, ai))));
        ST(fr + u + j, wasm_f32x4_mul(prev, wasm_f32x4_mul(af, wasm_f32x4_sub(one, af))));
        ST(fr + 2 * u + j, wasm_f32x4_mul(ai, wasm_f32x4_mul(ag, wasm_f32x4_sub(one, ag))));
        ST(fr + 3 * u + j, wasm_f32x4_mul(t, wasm_f32x4_mul(ao, wasm_f32x4_sub(one, ao))));
        ST(xr + j, wasm_f32x4_mul(ao, wasm_f32x4_sub(one, wasm_f32x4_mul(t, t))));
        ST(gr + j, af);
      }
    }
    for (; j < u; j++) {
      float ai = ssigmoid(pr[j]);
      float af = ssigmoid(pr[u + j]);
      float ag = ssigmoid(pr[2 * u + j]);
      float ao = ssigmoid(pr[3 * u + j]);
      float g2 = ag * 4.0f - 2.0f;
      float prev = hasC ? cr[j] : 0.0f;
      float ig2 = ai * g2;
      float cn = hasC ? af * prev + ig2 : ig2;
      float t = ssigmoid(cn) * 2.0f - 1.0f;
      hr[j] = ao * t;
      co[j] = cn;
      if (keep) {
        fr[j] = g2 * (ai * (1.0f - ai));
        fr[u + j] = prev * (af * (1.0f - af));
        fr[2 * u + j] = ai * (ag * (1.0f - ag));
        fr[3 * u + j] = t * (ao * (1.0f - ao));
        xr[j] = ao * (1.0f - t * t);
        gr[j] = af;
      }
    }
  }
}

// The 4 lanes of d down a column: t[0], t[stride], t[2 stride], t[3 stride].
static inline void store_column(float *t, int stride, v128_t d) {
  t[0] = wasm_f32x4_extract_lane(d, 0);
  t[stride] = wasm_f32x4_extract_lane(d, 1);
  t[2 * stride] = wasm_f32x4_extract_lane(d, 2);
  t[3 * stride] = wasm_f32x4_extract_lane(d, 3);
}

// A 4 × 4 block of floats transposed: a, b, c, d (rows) become the columns, stored at p, p + stride, ...
#define STORE_T4(p, stride, a, b, c, d)                    \
  do {                                                     \
    v128_t t0_ = wasm_i32x4_shuffle(a, b, 0, 4, 1, 5);     \
    v128_t t1_ = wasm_i32x4_shuffle(a, b, 2, 6, 3, 7);     \
    v128_t t2_ = wasm_i32x4_shuffle(c, d, 0, 4, 1, 5);     \
    v128_t t3_ = wasm_i32x4_shuffle(c, d, 2, 6, 3, 7);     \
    ST(p, wasm_i32x4_shuffle(t0_, t2_, 0, 1, 4, 5));       \
    ST((p) + (stride), wasm_i32x4_shuffle(t0_, t2_, 2, 3, 6, 7)); \
    ST((p) + 2 * (stride), wasm_i32x4_shuffle(t1_, t3_, 0, 1, 4, 5)); \
    ST((p) + 3 * (stride), wasm_i32x4_shuffle(t1_, t3_, 2, 3, 6, 7)); \
  } while (0)

// One element (row, j) of the LSTM reverse step, dPreT included when `trans`.
#define LSTM_BACK_SCALAR(row, j)                                        \
  do {                                                                  \
    const float *fr_ = factor + (row) * w;                              \
    float dhv_ = dh[(row) * u + (j)];                                   \
    float fromH_ = dhv_ * cellFromH[(row) * u + (j)];                   \
    float dc_ = hasDc ? dcNext[(row) * u + (j)] + fromH_ : fromH_;      \
    float d0_ = dc_ * fr_[(j)];                                         \
    float d1_ = dc_ * fr_[u + (j)];                                     \
    float d2_ = dc_ * fr_[2 * u + (j)];                                 \
    float d3_ = dhv_ * fr_[3 * u + (j)];                                \
    float *dp_ = dPre + (row) * w;                                      \
    dp_[(j)] = d0_;                                                     \
    dp_[u + (j)] = d1_;                                                 \
    dp_[2 * u + (j)] = d2_;                                             \
    dp_[3 * u + (j)] = d3_;                                             \
    if (carry) dcOut[(row) * u + (j)] = dc_ * forget[(row) * u + (j)];  \
    if (trans) {                                                        \
      dPreT[((j)) * b + (row)] = d0_;                                   \
      dPreT[(u + (j)) * b + (row)] = d1_;                               \
      dPreT[(2 * u + (j)) * b + (row)] = d2_;                           \
      dPreT[(3 * u + (j)) * b + (row)] = d3_;                           \
    }                                                                   \
  } while (0)

// dc of row r at columns j..j+3 (and that row's dh in dhv).
#define LSTM_DC(r, dhv, dcv)                                                         \
  v128_t dhv = LD(dh + (r) * u + j);                                                 \
  v128_t dcv = wasm_f32x4_mul(dhv, LD(cellFromH + (r) * u + j));                     \
  if (hasDc) dcv = wasm_f32x4_add(LD(dcNext + (r) * u + j), dcv);                    \
  if (carry) ST(dcOut + (r) * u + j, wasm_f32x4_mul(dcv, LD(forget + (r) * u + j)));

// Block k of row r at columns j..j+3: `by` times the factor, stored in dPre (and returned).
static inline v128_t block_product(const float *factor, float *dPre, int w, int u, int r, int k, int j, v128_t by) {
  v128_t d = wasm_f32x4_mul(by, LD(factor + r * w + k * u + j));
  ST(dPre + r * w + k * u + j, d);
  return d;
}

// flags: 1 = dc_next given, 2 = carry (write dcOut = dc forget), 4 = write dPreT [4U, B]. With the
// transpose, rows go four at a time so that dPreT is written in 4 × 4 blocks, not a float at a time.
EXPORT("lstm_backward")
void lstm_backward(const float *factor, const float *cellFromH, const float *forget, const float *dh, const float *dcNext, float *dPre,
                   float *dPreT, float *dcOut, int b, int u, int flags) {
  const int hasDc = flags & 1;
  const int carry = flags & 2;
  const int trans = flags & 4;
  const int w = 4 * u;
  int row = 0;
  if (trans)
    for (; row + 4 <= b; row += 4) {
      int j = 0;
      for (; j + 4 <= u; j += 4) {
        LSTM_DC(row, h0, c0)
        LSTM_DC(row + 1, h1, c1)
        LSTM_DC(row + 2, h2, c2)
        LSTM_DC(row + 3, h3, c3)
        for (int k = 0; k < 4; k++) {
          v128_t d0 = block_product(factor, dPre, w, u, row, k, j, k == 3 ? h0 : c0);
          v128_t d1 = block_product(factor, dPre, w, u, row + 1, k, j, k == 3 ? h1 : c1);
          v128_t d2 = block_product(factor, dPre, w, u, row + 2, k, j, k == 3 ? h2 : c2);
          v128_t d3 = block_product(factor, dPre, w, u, row + 3, k, j, k == 3 ? h3 : c3);
          STORE_T4(dPreT + (k * u + j) * b + row, b, d0, d1, d2, d3);
        }
      }
      for (; j < u; j++)
        for (int r = row; r < row + 4; r++) LSTM_BACK_SCALAR(r, j);
    }
  for (; row < b; row++) {
    int j = 0;
    for (; j + 4 <= u; j += 4) {
      LSTM_DC(row, hv, cv)
      for (int k = 0; k < 4; k++) {
        v128_t d = block_product(factor, dPre, w, u, row, k, j, k == 3 ? hv : cv);
        if (trans) {
          store_column(dPreT + (k * u + j) * b + row, b, d);
        }
      }
    }
    for (; j < u; j++) LSTM_BACK_SCALAR(row, j);
  }
}

// The reset-after GRU's step (`gruFused`), the same way. pre [B, 4U] = [z, r | 2 x_n | 2 h_n]:
//   a = σ(pre[:, :2U]) = [z, r];  s = σ(2 x_n + r 2 h_n);  n = 2 s − 1;  diff = h − n;  h' = n + z diff
//   keep:  q = 2 (1 − z) s (1 − s);  factor = [diff z (1 − z), q 2h_n r (1 − r), q, q r];  z
//   reverse:  dPre = dh [1, 1, 1, 1] ⊙ factor (and dPreᵀ);  carry: dh_prev = dh z
// flags: 2 = keep (write factor and z).
EXPORT("gru_forward")
void gru_forward(const float *pre, const float *h, float *hOut, float *factor, float *zOut, int b, int u, int flags) {
  const int keep = flags & 2;
  const int w = 4 * u;
  for (int row = 0; row < b; row++) {
    const float *pr = pre + row * w;
    const float *hr = h + row * u;
    float *ho = hOut + row * u;
    float *fr = keep ? factor + row * w : 0;
    float *zr = keep ? zOut + row * u : 0;
    int j = 0;
    for (; j + 4 <= u; j += 4) {
      v128_t one = SPLAT(1.0f);
      v128_t z = vsigmoid(LD(pr + j));
      v128_t r = vsigmoid(LD(pr + u + j));
      v128_t hn = LD(pr + 3 * u + j);
      v128_t s = vsigmoid(wasm_f32x4_add(LD(pr + 2 * u + j), wasm_f32x4_mul(r, hn)));
      v128_t n = wasm_f32x4_sub(wasm_f32x4_mul(s, SPLAT(2.0f)), one);
      v128_t diff = wasm_f32x4_sub(LD(hr + j), n);
      ST(ho + j, wasm_f32x4_add(n, wasm_f32x4_mul(z, diff)));
      if (keep) {
        v128_t q = wasm_f32x4_mul(wasm_f32x4_mul(wasm_f32x4_sub(one, z), wasm_f32x4_mul(s, wasm_f32x4_sub(one, s))), SPLAT(2.0f));
        ST(fr + j, wasm_f32x4_mul(diff, wasm_f32x4_mul(z, wasm_f32x4_sub(one, z))));
        ST(fr + u + j, wasm_f32x4_mul(wasm_f32x4_mul(q, hn), wasm_f32x4_mul(r, wasm_f32x4_sub(one, r))));
        ST(fr + 2 * u + j, q);
        ST(fr + 3 * u + j, wasm_f32x4_mul(q, r));
        ST(zr + j, z);
      }
    }
    for (; j < u; j++) {
      float z = ssigmoid(pr[j]);
      float r = ssigmoid(pr[u + j]);
      float hn = pr[3 * u + j];
      float s = ssigmoid(pr[2 * u + j] + r * hn);
      float n = s * 2.0f - 1.0f;
      float diff = hr[j] - n;
      ho[j] = n + z * diff;
      if (keep) {
        float q = ((1.0f - z) * (s * (1.0f - s))) * 2.0f;
        fr[j] = diff * (z * (1.0f - z));
        fr[u + j] = (q * hn) * (r * (1.0f - r));
        fr[2 * u + j] = q;
        fr[3 * u + j] = q * r;
        zr[j] = z;
      }
    }
  }
}

// dPre [B, n U] = dh [B, U] (repeated per block) ⊙ factor [B, n U], and with `trans` its transpose
// [n U, B], four rows at a time in 4 × 4 blocks where it can.
static inline void scaled_blocks(const float *factor, const float *dh, float *dPre, float *dPreT, int b, int u, int n, int trans) {
  const int w = n * u;
  int row = 0;
  if (trans)
    for (; row + 4 <= b; row += 4) {
      int j = 0;
      for (; j + 4 <= u; j += 4) {
        v128_t h0 = LD(dh + row * u + j);
        v128_t h1 = LD(dh + (row + 1) * u + j);
        v128_t h2 = LD(dh + (row + 2) * u + j);
        v128_t h3 = LD(dh + (row + 3) * u + j);
        for (int k = 0; k < n; k++) {
          v128_t d0 = block_product(factor, dPre, w, u, row, k, j, h0);
          v128_t d1 = block_product(factor, dPre, w, u, row + 1, k, j, h1);
          v128_t d2 = block_product(factor, dPre, w, u, row + 2, k, j, h2);
          v128_t d3 = block_product(factor, dPre, w, u, row + 3, k, j, h3);
          STORE_T4(dPreT + (k * u + j) * b + row, b, d0, d1, d2, d3);
        }
      }
      for (; j < u; j++)
        for (int r = row; r < row + 4; r++)
          for (int k = 0; k < n; k++) {
            float d = dh[r * u + j] * factor[r * w + k * u + j];
            dPre[r * w + k * u + j] = d;
            dPreT[(k * u + j) * b + r] = d;
          }
    }
  for (; row < b; row++)
    for (int k = 0; k < n; k++) {
      int j = 0;
      for (; j + 4 <= u; j += 4) {
        v128_t d = block_product(factor, dPre, w, u, row, k, j, LD(dh + row * u + j));
        if (trans) {
          store_column(dPreT + (k * u + j) * b + row, b, d);
        }
      }
      for (; j < u; j++) {
        float d = dh[row * u + j] * factor[row * w + k * u + j];
        dPre[row * w + k * u + j] = d;
        if (trans) dPreT[(k * u + j) * b + row] = d;
      }
    }
}

// flags: 2 = carry (write dhOut = dh z), 4 = write dPreT [4U, B].
EXPORT("gru_backward")
void gru_backward(const float *factor, const float *z, const float *dh, float *dPre, float *dPreT, float *dhOut, int b, int u, int flags) {
  scaled_blocks(factor, dh, dPre, dPreT, b, u, 4, flags & 4);
  if (flags & 2) {
    const int n = b * u;
    int j = 0;
    for (; j + 4 <= n; j += 4) ST(dhOut + j, wasm_f32x4_mul(LD(dh + j), LD(z + j)));
    for (; j < n; j++) dhOut[j] = dh[j] * z[j];
  }
}

// The reset-before GRU's step (`gruBeforeFused`): two products a step, the second after the reset
// gate, so its step is two kernels around that product and one in reverse. pre [B, 3U] = [z, r | 2 x_n]
// (x_n with its bias), hRec = h_{k-1} (after recurrent dropout), rhU = (r ⊙ hRec) 2 U_n:
//   gates:  z = σ(pre_z), r = σ(pre_r);  rh = r hRec          keep: r, rSlope = hRec r (1 − r)
//   step:   s = σ(2 x_n + rhU);  n = 2 s − 1;  diff = h − n;  h' = n + z diff
//           keep: q = 2 (1 − z) s (1 − s), zSlope = diff z (1 − z)
//   reverse: dPre = [dh zSlope, dRh rSlope, dh q] (and dPreᵀ [3U, B]), where dRh = (dh q)(2 U_n)ᵀ;
//            carry: dh_prev = dh z + dRh r (r times the dropout mask, z blended with a padding mask, by the caller)
// flags: 2 = keep (write r and rSlope).
EXPORT("gru_before_gates")
void gru_before_gates(const float *pre, const float *hRec, float *rh, float *zOut, float *rOut, float *rSlope, int b, int u, int flags) {
  const int keep = flags & 2;
  const int w = 3 * u;
  for (int row = 0; row < b; row++) {
    const float *pr = pre + row * w;
    const int at = row * u;
    int j = 0;
    for (; j + 4 <= u; j += 4) {
      v128_t z = vsigmoid(LD(pr + j));
      v128_t r = vsigmoid(LD(pr + u + j));
      v128_t hr = LD(hRec + at + j);
      ST(rh + at + j, wasm_f32x4_mul(r, hr));
      ST(zOut + at + j, z);
      if (keep) {
        ST(rOut + at + j, r);
        ST(rSlope + at + j, wasm_f32x4_mul(hr, wasm_f32x4_mul(r, wasm_f32x4_sub(SPLAT(1.0f), r))));
      }
    }
    for (; j < u; j++) {
      float z = ssigmoid(pr[j]);
      float r = ssigmoid(pr[u + j]);
      float hr = hRec[at + j];
      rh[at + j] = r * hr;
      zOut[at + j] = z;
      if (keep) {
        rOut[at + j] = r;
        rSlope[at + j] = hr * (r * (1.0f - r));
      }
    }
  }
}

// flags: 2 = keep (write q and zSlope).
EXPORT("gru_before_step")
void gru_before_step(const float *pre, const float *rhU, const float *h, const float *z, float *hOut, float *q, float *zSlope, int b, int u,
                     int flags) {
  const int keep = flags & 2;
  const int w = 3 * u;
  for (int row = 0; row < b; row++) {
    const float *pn = pre + row * w + 2 * u;
    const int at = row * u;
    int j = 0;
    for (; j + 4 <= u; j += 4) {
      v128_t one = SPLAT(1.0f);
      v128_t s = vsigmoid(wasm_f32x4_add(LD(pn + j), LD(rhU + at + j)));
      v128_t n = wasm_f32x4_sub(wasm_f32x4_mul(s, SPLAT(2.0f)), one);
      v128_t zv = LD(z + at + j);
      v128_t diff = wasm_f32x4_sub(LD(h + at + j), n);
      ST(hOut + at + j, wasm_f32x4_add(n, wasm_f32x4_mul(zv, diff)));
      if (keep) {
        v128_t nz = wasm_f32x4_sub(one, zv);
        ST(q + at + j, wasm_f32x4_mul(wasm_f32x4_mul(nz, wasm_f32x4_mul(s, wasm_f32x4_sub(one, s))), SPLAT(2.0f)));
        ST(zSlope + at + j, wasm_f32x4_mul(diff, wasm_f32x4_mul(zv, nz)));
      }
    }
    for (; j < u; j++) {
      float s = ssigmoid(pn[j] + rhU[at + j]);
      float n = s * 2.0f - 1.0f;
      float zv = z[at + j];
      float diff = h[at + j] - n;
      hOut[at + j] = n + zv * diff;
      if (keep) {
        q[at + j] = ((1.0f - zv) * (s * (1.0f - s))) * 2.0f;
        zSlope[at + j] = diff * (zv * (1.0f - zv));
      }
    }
  }
}

// Block k of the reverse step's dPre at (r, j..j+3): by ⊙ f (both [B, U]), stored in dPre [B, 3U] (and returned).
static inline v128_t gb_block(const float *by, const float *f, float *dPre, int u, int r, int k, int j) {
  v128_t d = wasm_f32x4_mul(LD(by + r * u + j), LD(f + r * u + j));
  ST(dPre + r * 3 * u + k * u + j, d);
  return d;
}

// The scalar form of one element (r, j) of the reverse step, dPreT included when `trans`.
static inline void gb_scalar(const float *zSlope, const float *rSlope, const float *q, const float *dh, const float *dRh, float *dPre,
                             float *dPreT, int b, int u, int r, int j, int trans) {
  const int at = r * u + j;
  float d0 = dh[at] * zSlope[at];
  float d1 = dRh[at] * rSlope[at];
  float d2 = dh[at] * q[at];
  float *dp = dPre + r * 3 * u;
  dp[j] = d0;
  dp[u + j] = d1;
  dp[2 * u + j] = d2;
  if (trans) {
    dPreT[j * b + r] = d0;
    dPreT[(u + j) * b + r] = d1;
    dPreT[(2 * u + j) * b + r] = d2;
  }
}

// flags: 2 = carry (write dhOut = dh z + dRh r), 4 = write dPreT [3U, B] (four rows at a time in 4 × 4 blocks where it can).
EXPORT("gru_before_backward")
void gru_before_backward(const float *zSlope, const float *rSlope, const float *q, const float *dh, const float *dRh, const float *z,
                         const float *r, float *dPre, float *dPreT, float *dhOut, int b, int u, int flags) {
  const int trans = flags & 4;
  int row = 0;
  if (trans)
    for (; row + 4 <= b; row += 4) {
      int j = 0;
      for (; j + 4 <= u; j += 4) {
        for (int k = 0; k < 3; k++) {
          const float *by = k == 1 ? dRh : dh;
          const float *f = k == 0 ? zSlope : k == 1 ? rSlope : q;
          v128_t d0 = gb_block(by, f, dPre, u, row, k, j);
          v128_t d1 = gb_block(by, f, dPre, u, row + 1, k, j);
          v128_t d2 = gb_block(by, f, dPre, u, row + 2, k, j);
          v128_t d3 = gb_block(by, f, dPre, u, row + 3, k, j);
          STORE_T4(dPreT + (k * u + j) * b + row, b, d0, d1, d2, d3);
        }
      }
      for (; j < u; j++)
        for (int rr = row; rr < row + 4; rr++) gb_scalar(zSlope, rSlope, q, dh, dRh, dPre, dPreT, b, u, rr, j, 1);
    }
  for (; row < b; row++) {
    int j = 0;
    for (; j + 4 <= u; j += 4)
      for (int k = 0; k < 3; k++) {
        v128_t d = gb_block(k == 1 ? dRh : dh, k == 0 ? zSlope : k == 1 ? rSlope : q, dPre, u, row, k, j);
        if (trans) store_column(dPreT + (k * u + j) * b + row, b, d);
      }
    for (; j < u; j++) gb_scalar(zSlope, rSlope, q, dh, dRh, dPre, dPreT, b, u, row, j, trans);
  }
  if (flags & 2) {
    const int n = b * u;
    int j = 0;
    for (; j + 4 <= n; j += 4) ST(dhOut + j, wasm_f32x4_add(wasm_f32x4_mul(LD(dh + j), LD(z + j)), wasm_f32x4_mul(LD(dRh + j), LD(r + j))));
    for (; j < n; j++) dhOut[j] = dh[j] * z[j] + dRh[j] * r[j];
  }
}

// The simple RNN's step (`simpleRnnFused`): pre [B, U] holds 2z;  s = σ(2z);  h = 2 s − 1 (tanh z)
//   keep:  factor = 2 s (1 − s);   reverse:  dPre = dh factor (and dPreᵀ [U, B]).
// flags: 2 = keep (write factor).
EXPORT("rnn_forward")
void rnn_forward(const float *pre, float *h, float *factor, int n, int flags) {
  const int keep = flags & 2;
  int j = 0;
  for (; j + 4 <= n; j += 4) {
    v128_t s = vsigmoid(LD(pre + j));
    ST(h + j, wasm_f32x4_sub(wasm_f32x4_mul(s, SPLAT(2.0f)), SPLAT(1.0f)));
    if (keep) ST(factor + j, wasm_f32x4_mul(wasm_f32x4_mul(s, wasm_f32x4_sub(SPLAT(1.0f), s)), SPLAT(2.0f)));
  }
  for (; j < n; j++) {
    float s = ssigmoid(pre[j]);
    h[j] = s * 2.0f - 1.0f;
    if (keep) factor[j] = (s * (1.0f - s)) * 2.0f;
  }
}

// flags: 4 = write dPreT [U, B].
EXPORT("rnn_backward")
void rnn_backward(const float *factor, const float *dh, float *dPre, float *dPreT, int b, int u, int flags) {
  scaled_blocks(factor, dh, dPre, dPreT, b, u, 1, flags & 4);
}

// Concatenation along the columns of row-major [rows, cols_i] blocks, one block per call: src's rows
// go to dst [rows, dstCols] at column `at` (tfjs-wasm concatenates along a later axis in JS, a
// typed-array copy per row and input: the fused sequence's [x_k, h, 1] and its cotangents' transposes).
EXPORT("copy_columns")
void copy_columns(const float *src, float *dst, int rows, int cols, int dstCols, int at) {
  for (int row = 0; row < rows; row++) {
    const float *s = src + row * cols;
    float *d = dst + row * dstCols + at;
    int j = 0;
    for (; j + 4 <= cols; j += 4) ST(d + j, LD(s + j));
    for (; j < cols; j++) d[j] = s[j];
  }
}

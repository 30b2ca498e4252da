// The recurrent cells' steps of the fused sequence (src/nn/layers/recurrent.ts: `lstmFused`,
// `gruFused`, `simpleRnnFused`), forward and reverse, in WASM SIMD over tfjs' heap; registered in
// lstm.ts. Each computes exactly its fused op's composite (recurrent.ts: lstmStep, lstmStepBack, ...).
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

// flags: 1 = dc_next given, 2 = carry (write dcOut = dc forget), 4 = write dPreT [4U, B].
EXPORT("lstm_backward")
void lstm_backward(const float *factor, const float *cellFromH, const float *forget, const float *dh, const float *dcNext, float *dPre,
                   float *dPreT, float *dcOut, int b, int u, int flags) {
  const int hasDc = flags & 1;
  const int carry = flags & 2;
  const int trans = flags & 4;
  const int w = 4 * u;
  for (int row = 0; row < b; row++) {
    const float *fr = factor + row * w;
    const float *xr = cellFromH + row * u;
    const float *gr = forget + row * u;
    const float *dhr = dh + row * u;
    const float *dnr = hasDc ? dcNext + row * u : 0;
    float *dp = dPre + row * w;
    float *dco = carry ? dcOut + row * u : 0;
    int j = 0;
    for (; j + 4 <= u; j += 4) {
      v128_t dhv = LD(dhr + j);
      v128_t fromH = wasm_f32x4_mul(dhv, LD(xr + j));
      v128_t dc = hasDc ? wasm_f32x4_add(LD(dnr + j), fromH) : fromH;
      v128_t d0 = wasm_f32x4_mul(dc, LD(fr + j));
      v128_t d1 = wasm_f32x4_mul(dc, LD(fr + u + j));
      v128_t d2 = wasm_f32x4_mul(dc, LD(fr + 2 * u + j));
      v128_t d3 = wasm_f32x4_mul(dhv, LD(fr + 3 * u + j));
      ST(dp + j, d0);
      ST(dp + u + j, d1);
      ST(dp + 2 * u + j, d2);
      ST(dp + 3 * u + j, d3);
      if (carry) ST(dco + j, wasm_f32x4_mul(dc, LD(gr + j)));
      if (trans) {
        float *t0 = dPreT + j * b + row;
        float *t1 = t0 + u * b;
        float *t2 = t1 + u * b;
        float *t3 = t2 + u * b;
        t0[0] = wasm_f32x4_extract_lane(d0, 0);
        t0[b] = wasm_f32x4_extract_lane(d0, 1);
        t0[2 * b] = wasm_f32x4_extract_lane(d0, 2);
        t0[3 * b] = wasm_f32x4_extract_lane(d0, 3);
        t1[0] = wasm_f32x4_extract_lane(d1, 0);
        t1[b] = wasm_f32x4_extract_lane(d1, 1);
        t1[2 * b] = wasm_f32x4_extract_lane(d1, 2);
        t1[3 * b] = wasm_f32x4_extract_lane(d1, 3);
        t2[0] = wasm_f32x4_extract_lane(d2, 0);
        t2[b] = wasm_f32x4_extract_lane(d2, 1);
        t2[2 * b] = wasm_f32x4_extract_lane(d2, 2);
        t2[3 * b] = wasm_f32x4_extract_lane(d2, 3);
        t3[0] = wasm_f32x4_extract_lane(d3, 0);
        t3[b] = wasm_f32x4_extract_lane(d3, 1);
        t3[2 * b] = wasm_f32x4_extract_lane(d3, 2);
        t3[3 * b] = wasm_f32x4_extract_lane(d3, 3);
      }
    }
    for (; j < u; j++) {
      float dhv = dhr[j];
      float fromH = dhv * xr[j];
      float dc = hasDc ? dnr[j] + fromH : fromH;
      float d0 = dc * fr[j];
      float d1 = dc * fr[u + j];
      float d2 = dc * fr[2 * u + j];
      float d3 = dhv * fr[3 * u + j];
      dp[j] = d0;
      dp[u + j] = d1;
      dp[2 * u + j] = d2;
      dp[3 * u + j] = d3;
      if (carry) dco[j] = dc * gr[j];
      if (trans) {
        dPreT[j * b + row] = d0;
        dPreT[(u + j) * b + row] = d1;
        dPreT[(2 * u + j) * b + row] = d2;
        dPreT[(3 * u + j) * b + row] = d3;
      }
    }
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

// flags: 2 = carry (write dhOut = dh z), 4 = write dPreT [4U, B].
EXPORT("gru_backward")
void gru_backward(const float *factor, const float *z, const float *dh, float *dPre, float *dPreT, float *dhOut, int b, int u, int flags) {
  const int carry = flags & 2;
  const int trans = flags & 4;
  const int w = 4 * u;
  for (int row = 0; row < b; row++) {
    const float *fr = factor + row * w;
    const float *dhr = dh + row * u;
    float *dp = dPre + row * w;
    for (int k = 0; k < 4; k++) {
      const float *fk = fr + k * u;
      float *dk = dp + k * u;
      int j = 0;
      for (; j + 4 <= u; j += 4) {
        v128_t d = wasm_f32x4_mul(LD(dhr + j), LD(fk + j));
        ST(dk + j, d);
        if (trans) {
          float *t = dPreT + (k * u + j) * b + row;
          t[0] = wasm_f32x4_extract_lane(d, 0);
          t[b] = wasm_f32x4_extract_lane(d, 1);
          t[2 * b] = wasm_f32x4_extract_lane(d, 2);
          t[3 * b] = wasm_f32x4_extract_lane(d, 3);
        }
      }
      for (; j < u; j++) {
        float d = dhr[j] * fk[j];
        dk[j] = d;
        if (trans) dPreT[(k * u + j) * b + row] = d;
      }
    }
    if (carry) {
      const float *zr = z + row * u;
      float *dho = dhOut + row * u;
      int j = 0;
      for (; j + 4 <= u; j += 4) ST(dho + j, wasm_f32x4_mul(LD(dhr + j), LD(zr + j)));
      for (; j < u; j++) dho[j] = dhr[j] * zr[j];
    }
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
  const int trans = flags & 4;
  for (int row = 0; row < b; row++) {
    const float *fr = factor + row * u;
    const float *dhr = dh + row * u;
    float *dp = dPre + row * u;
    int j = 0;
    for (; j + 4 <= u; j += 4) {
      v128_t d = wasm_f32x4_mul(LD(dhr + j), LD(fr + j));
      ST(dp + j, d);
      if (trans) {
        float *t = dPreT + j * b + row;
        t[0] = wasm_f32x4_extract_lane(d, 0);
        t[b] = wasm_f32x4_extract_lane(d, 1);
        t[2 * b] = wasm_f32x4_extract_lane(d, 2);
        t[3 * b] = wasm_f32x4_extract_lane(d, 3);
      }
    }
    for (; j < u; j++) {
      float d = dhr[j] * fr[j];
      dp[j] = d;
      if (trans) dPreT[j * b + row] = d;
    }
  }
}

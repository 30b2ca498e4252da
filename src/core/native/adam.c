// The per-leaf steps of the optimizers that keep running statistics (src/optim: Adam, Adamax, RMSProp,
// Adagrad, momentum), each one pass over the leaf in place of one elementwise kernel per operation.
//
// Adam's per-leaf step in one pass over the leaf (scaleByAdam's rule, src/optim/adam.ts):
//   m = b1 mu + (1-b1) g,  v = b2 nu + (1-b2) g^2,
//   update = (m / c1) / (sqrt(v / c2 + epsRoot) + eps)
// with the bias corrections c1 = 1 - b1^t, c2 = 1 - b2^t read from two scalar tensors. The composite
// does eleven elementwise kernels (each a pass over the leaf); this reads g, mu, nu once and writes
// the update, m and v once.
// NOTE: m / c1 and v / c2 are taken as m * (1/c1) and v * (1/c2) (one rounding more, ~1 ulp): a
// division per element costs as much as the rest of the loop, the root's one is kept.
// adam_update_scaled also multiplies the update by a scalar (chain(scaleByAdam, scaleByLearningRate)).
#include <wasm_simd128.h>

static inline void adam_step(const float *g, const float *mu, const float *nu, float r1, float r2, float scale, float *update, float *m_out,
                             float *v_out, int n, float b1, float one_minus_b1, float b2, float one_minus_b2, float eps, float eps_root) {
  int i = 0;
  const v128_t vb1 = wasm_f32x4_splat(b1), va1 = wasm_f32x4_splat(one_minus_b1);
  const v128_t vb2 = wasm_f32x4_splat(b2), va2 = wasm_f32x4_splat(one_minus_b2);
  const v128_t vr1 = wasm_f32x4_splat(r1), vr2 = wasm_f32x4_splat(r2), vs = wasm_f32x4_splat(scale);
  const v128_t veps = wasm_f32x4_splat(eps), vroot = wasm_f32x4_splat(eps_root);
  for (; i + 4 <= n; i += 4) {
    const v128_t gv = wasm_v128_load(g + i);
    const v128_t m = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(mu + i), vb1), wasm_f32x4_mul(gv, va1));
    const v128_t v = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(nu + i), vb2), wasm_f32x4_mul(wasm_f32x4_mul(gv, gv), va2));
    const v128_t root = wasm_f32x4_sqrt(wasm_f32x4_add(wasm_f32x4_mul(v, vr2), vroot));
    wasm_v128_store(update + i, wasm_f32x4_mul(wasm_f32x4_div(wasm_f32x4_mul(m, vr1), wasm_f32x4_add(root, veps)), vs));
    wasm_v128_store(m_out + i, m);
    wasm_v128_store(v_out + i, v);
  }
  for (; i < n; i++) {
    const float gi = g[i];
    const float m = mu[i] * b1 + gi * one_minus_b1;
    const float v = nu[i] * b2 + (gi * gi) * one_minus_b2;
    update[i] = ((m * r1) / (__builtin_sqrtf(v * r2 + eps_root) + eps)) * scale;
    m_out[i] = m;
    v_out[i] = v;
  }
}

__attribute__((export_name("adam_update"))) void adam_update(const float *g, const float *mu, const float *nu, const float *c1,
                                                             const float *c2, float *update, float *m_out, float *v_out, int n, float b1,
                                                             float one_minus_b1, float b2, float one_minus_b2, float eps, float eps_root) {
  // NOTE: times 1.0f is exact (and folded away)
  adam_step(g, mu, nu, 1.0f / *c1, 1.0f / *c2, 1.0f, update, m_out, v_out, n, b1, one_minus_b1, b2, one_minus_b2, eps, eps_root);
}

// The same with the update times a scalar (the learning-rate scaling that follows Adam in a chain).
__attribute__((export_name("adam_update_scaled"))) void adam_update_scaled(const float *g, const float *mu, const float *nu, const float *c1,
                                                                           const float *c2, const float *scale, float *update, float *m_out,
                                                                           float *v_out, int n, float b1, float one_minus_b1, float b2,
                                                                           float one_minus_b2, float eps, float eps_root) {
  adam_step(g, mu, nu, 1.0f / *c1, 1.0f / *c2, *scale, update, m_out, v_out, n, b1, one_minus_b1, b2, one_minus_b2, eps, eps_root);
}

// Adamax's step (scaleByAdamax): m = b1 mu + (1-b1) g,  u = max(|g| + eps, b2 nu),  update = (m / c1) / u.
__attribute__((export_name("adamax_update"))) void adamax_update(const float *g, const float *mu, const float *nu, const float *c1,
                                                                 float *update, float *m_out, float *u_out, int n, float b1,
                                                                 float one_minus_b1, float b2, float eps) {
  const float r1 = 1.0f / *c1;
  int i = 0;
  const v128_t vb1 = wasm_f32x4_splat(b1), va1 = wasm_f32x4_splat(one_minus_b1), vb2 = wasm_f32x4_splat(b2);
  const v128_t vr1 = wasm_f32x4_splat(r1), veps = wasm_f32x4_splat(eps);
  for (; i + 4 <= n; i += 4) {
    const v128_t gv = wasm_v128_load(g + i);
    const v128_t m = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(mu + i), vb1), wasm_f32x4_mul(gv, va1));
    const v128_t u = wasm_f32x4_max(wasm_f32x4_add(wasm_f32x4_abs(gv), veps), wasm_f32x4_mul(wasm_v128_load(nu + i), vb2));
    wasm_v128_store(update + i, wasm_f32x4_div(wasm_f32x4_mul(m, vr1), u));
    wasm_v128_store(m_out + i, m);
    wasm_v128_store(u_out + i, u);
  }
  for (; i < n; i++) {
    const float gi = g[i];
    const float m = mu[i] * b1 + gi * one_minus_b1;
    const float a = __builtin_fabsf(gi) + eps, b = nu[i] * b2;
    const float u = a > b ? a : b;
    update[i] = (m * r1) / u;
    m_out[i] = m;
    u_out[i] = u;
  }
}

// RMSProp's step (scaleByRms): v = decay nu + (1-decay) g^2, update = g / sqrt(v + eps) (eps_in_sqrt != 0)
// or g / (sqrt(v) + eps).
__attribute__((export_name("rms_update"))) void rms_update(const float *g, const float *nu, float *update, float *v_out, int n, float decay,
                                                           float one_minus_decay, float eps, int eps_in_sqrt) {
  int i = 0;
  const v128_t vd = wasm_f32x4_splat(decay), va = wasm_f32x4_splat(one_minus_decay);
  const v128_t inside = wasm_f32x4_splat(eps_in_sqrt ? eps : 0.0f), outside = wasm_f32x4_splat(eps_in_sqrt ? 0.0f : eps);
  for (; i + 4 <= n; i += 4) {
    const v128_t gv = wasm_v128_load(g + i);
    const v128_t v = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(nu + i), vd), wasm_f32x4_mul(wasm_f32x4_mul(gv, gv), va));
    wasm_v128_store(update + i, wasm_f32x4_div(gv, wasm_f32x4_add(wasm_f32x4_sqrt(wasm_f32x4_add(v, inside)), outside)));
    wasm_v128_store(v_out + i, v);
  }
  const float in = eps_in_sqrt ? eps : 0.0f, out = eps_in_sqrt ? 0.0f : eps;
  for (; i < n; i++) {
    const float gi = g[i];
    const float v = nu[i] * decay + (gi * gi) * one_minus_decay;
    update[i] = gi / (__builtin_sqrtf(v + in) + out);
    v_out[i] = v;
  }
}

// Adagrad's step (scaleByAdagrad): s = acc + g^2, update = g / sqrt(s + eps) where s > 0, else 0.
__attribute__((export_name("adagrad_update"))) void adagrad_update(const float *g, const float *acc, float *update, float *s_out, int n,
                                                                   float eps) {
  int i = 0;
  const v128_t veps = wasm_f32x4_splat(eps), zero = wasm_f32x4_splat(0.0f), one = wasm_f32x4_splat(1.0f);
  for (; i + 4 <= n; i += 4) {
    const v128_t gv = wasm_v128_load(g + i);
    const v128_t s = wasm_f32x4_add(wasm_v128_load(acc + i), wasm_f32x4_mul(gv, gv));
    const v128_t positive = wasm_f32x4_gt(s, zero);
    // NOTE: the root of 1 where s is not positive keeps 0/0 out of the lanes that are masked off
    const v128_t root = wasm_f32x4_sqrt(wasm_f32x4_add(wasm_v128_bitselect(s, one, positive), veps));
    wasm_v128_store(update + i, wasm_v128_and(wasm_f32x4_div(gv, root), positive));
    wasm_v128_store(s_out + i, s);
  }
  for (; i < n; i++) {
    const float gi = g[i];
    const float s = acc[i] + gi * gi;
    update[i] = s > 0.0f ? gi / __builtin_sqrtf(s + eps) : 0.0f;
    s_out[i] = s;
  }
}

// Momentum's step (scaleByMomentum): t = g + decay trace, which is also the update.
__attribute__((export_name("momentum_update"))) void momentum_update(const float *g, const float *trace, float *t_out, int n, float decay) {
  int i = 0;
  const v128_t vd = wasm_f32x4_splat(decay);
  for (; i + 4 <= n; i += 4) wasm_v128_store(t_out + i, wasm_f32x4_add(wasm_v128_load(g + i), wasm_f32x4_mul(wasm_v128_load(trace + i), vd)));
  for (; i < n; i++) t_out[i] = g[i] + trace[i] * decay;
}

// Nesterov's: t = g + decay trace, update = g + decay t.
__attribute__((export_name("nesterov_update"))) void nesterov_update(const float *g, const float *trace, float *update, float *t_out, int n,
                                                                     float decay) {
  int i = 0;
  const v128_t vd = wasm_f32x4_splat(decay);
  for (; i + 4 <= n; i += 4) {
    const v128_t gv = wasm_v128_load(g + i);
    const v128_t t = wasm_f32x4_add(gv, wasm_f32x4_mul(wasm_v128_load(trace + i), vd));
    wasm_v128_store(t_out + i, t);
    wasm_v128_store(update + i, wasm_f32x4_add(gv, wasm_f32x4_mul(t, vd)));
  }
  for (; i < n; i++) {
    const float t = g[i] + trace[i] * decay;
    t_out[i] = t;
    update[i] = g[i] + t * decay;
  }
}

// ------------------------------------------------------------------ the same steps applied to the params
// Each *_apply takes the leaf's params p too and writes p' = p + scale * (update + wd * p) in place of
// the update (applyUpdates folded into the step, and the decoupled weight decay of a chain like adamw's
// when wd is not 0), with its new statistics. `scale` (the learning rate a chain folds in) may be 0 (no
// scaling: times 1). When `probe_out` is not 0 it also writes *probe_in (0 when
// probe_in is 0) plus the sum of p': the divergence probe of a training step, non-finite when some p'
// is, summed in the same pass instead of one Sum kernel per leaf.

static inline float lane_sum(v128_t v) {
  return (wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1)) + (wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3));
}

// p + (u + wd p) s: with wd = 0, u + 0 p is u exactly (p finite; a non-finite p stays non-finite)
static inline v128_t applied4(v128_t p, v128_t u, v128_t wd, v128_t s) {
  return wasm_f32x4_add(p, wasm_f32x4_mul(wasm_f32x4_add(u, wasm_f32x4_mul(p, wd)), s));
}
static inline float applied1(float p, float u, float wd, float s) { return p + (u + p * wd) * s; }

static inline void write_probe(const float *probe_in, float *probe_out, v128_t acc, float tail) {
  if (probe_out) *probe_out = (probe_in ? *probe_in : 0.0f) + (lane_sum(acc) + tail);
}

__attribute__((export_name("adam_apply"))) void adam_apply(const float *g, const float *mu, const float *nu, const float *p, const float *c1,
                                                           const float *c2, const float *scale, const float *probe_in, float *m_out,
                                                           float *v_out, float *p_out, float *probe_out, int n, float b1, float one_minus_b1,
                                                           float b2, float one_minus_b2, float eps, float eps_root, float wd) {
  const float r1 = 1.0f / *c1, r2 = 1.0f / *c2, s = scale ? *scale : 1.0f;
  const v128_t vb1 = wasm_f32x4_splat(b1), va1 = wasm_f32x4_splat(one_minus_b1);
  const v128_t vb2 = wasm_f32x4_splat(b2), va2 = wasm_f32x4_splat(one_minus_b2);
  const v128_t vr1 = wasm_f32x4_splat(r1), vr2 = wasm_f32x4_splat(r2), vs = wasm_f32x4_splat(s);
  const v128_t veps = wasm_f32x4_splat(eps), vroot = wasm_f32x4_splat(eps_root);
  const v128_t vwd = wasm_f32x4_splat(wd);
  v128_t acc = wasm_f32x4_splat(0.0f);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t gv = wasm_v128_load(g + i);
    const v128_t m = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(mu + i), vb1), wasm_f32x4_mul(gv, va1));
    const v128_t v = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(nu + i), vb2), wasm_f32x4_mul(wasm_f32x4_mul(gv, gv), va2));
    const v128_t root = wasm_f32x4_sqrt(wasm_f32x4_add(wasm_f32x4_mul(v, vr2), vroot));
    const v128_t q = applied4(wasm_v128_load(p + i), wasm_f32x4_div(wasm_f32x4_mul(m, vr1), wasm_f32x4_add(root, veps)), vwd, vs);
    wasm_v128_store(m_out + i, m);
    wasm_v128_store(v_out + i, v);
    wasm_v128_store(p_out + i, q);
    acc = wasm_f32x4_add(acc, q);
  }
  float tail = 0.0f;
  for (; i < n; i++) {
    const float gi = g[i];
    const float m = mu[i] * b1 + gi * one_minus_b1;
    const float v = nu[i] * b2 + (gi * gi) * one_minus_b2;
    const float q = applied1(p[i], (m * r1) / (__builtin_sqrtf(v * r2 + eps_root) + eps), wd, s);
    m_out[i] = m;
    v_out[i] = v;
    p_out[i] = q;
    tail += q;
  }
  write_probe(probe_in, probe_out, acc, tail);
}

__attribute__((export_name("adamax_apply"))) void adamax_apply(const float *g, const float *mu, const float *nu, const float *p,
                                                               const float *c1, const float *scale, const float *probe_in, float *m_out,
                                                               float *u_out, float *p_out, float *probe_out, int n, float b1,
                                                               float one_minus_b1, float b2, float eps, float wd) {
  const float r1 = 1.0f / *c1, s = scale ? *scale : 1.0f;
  const v128_t vb1 = wasm_f32x4_splat(b1), va1 = wasm_f32x4_splat(one_minus_b1), vb2 = wasm_f32x4_splat(b2);
  const v128_t vr1 = wasm_f32x4_splat(r1), veps = wasm_f32x4_splat(eps), vs = wasm_f32x4_splat(s);
  const v128_t vwd = wasm_f32x4_splat(wd);
  v128_t acc = wasm_f32x4_splat(0.0f);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t gv = wasm_v128_load(g + i);
    const v128_t m = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(mu + i), vb1), wasm_f32x4_mul(gv, va1));
    const v128_t u = wasm_f32x4_max(wasm_f32x4_add(wasm_f32x4_abs(gv), veps), wasm_f32x4_mul(wasm_v128_load(nu + i), vb2));
    const v128_t q = applied4(wasm_v128_load(p + i), wasm_f32x4_div(wasm_f32x4_mul(m, vr1), u), vwd, vs);
    wasm_v128_store(m_out + i, m);
    wasm_v128_store(u_out + i, u);
    wasm_v128_store(p_out + i, q);
    acc = wasm_f32x4_add(acc, q);
  }
  float tail = 0.0f;
  for (; i < n; i++) {
    const float gi = g[i];
    const float m = mu[i] * b1 + gi * one_minus_b1;
    const float a = __builtin_fabsf(gi) + eps, b = nu[i] * b2;
    const float u = a > b ? a : b;
    const float q = applied1(p[i], (m * r1) / u, wd, s);
    m_out[i] = m;
    u_out[i] = u;
    p_out[i] = q;
    tail += q;
  }
  write_probe(probe_in, probe_out, acc, tail);
}

__attribute__((export_name("rms_apply"))) void rms_apply(const float *g, const float *nu, const float *p, const float *scale,
                                                         const float *probe_in, float *v_out, float *p_out, float *probe_out, int n,
                                                         float decay, float one_minus_decay, float eps, int eps_in_sqrt, float wd) {
  const float s = scale ? *scale : 1.0f;
  const float in = eps_in_sqrt ? eps : 0.0f, out = eps_in_sqrt ? 0.0f : eps;
  const v128_t vd = wasm_f32x4_splat(decay), va = wasm_f32x4_splat(one_minus_decay), vs = wasm_f32x4_splat(s);
  const v128_t inside = wasm_f32x4_splat(in), outside = wasm_f32x4_splat(out);
  const v128_t vwd = wasm_f32x4_splat(wd);
  v128_t acc = wasm_f32x4_splat(0.0f);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t gv = wasm_v128_load(g + i);
    const v128_t v = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(nu + i), vd), wasm_f32x4_mul(wasm_f32x4_mul(gv, gv), va));
    const v128_t u = wasm_f32x4_div(gv, wasm_f32x4_add(wasm_f32x4_sqrt(wasm_f32x4_add(v, inside)), outside));
    const v128_t q = applied4(wasm_v128_load(p + i), u, vwd, vs);
    wasm_v128_store(v_out + i, v);
    wasm_v128_store(p_out + i, q);
    acc = wasm_f32x4_add(acc, q);
  }
  float tail = 0.0f;
  for (; i < n; i++) {
    const float gi = g[i];
    const float v = nu[i] * decay + (gi * gi) * one_minus_decay;
    const float q = applied1(p[i], gi / (__builtin_sqrtf(v + in) + out), wd, s);
    v_out[i] = v;
    p_out[i] = q;
    tail += q;
  }
  write_probe(probe_in, probe_out, acc, tail);
}

__attribute__((export_name("adagrad_apply"))) void adagrad_apply(const float *g, const float *acc_in, const float *p, const float *scale,
                                                                 const float *probe_in, float *s_out, float *p_out, float *probe_out, int n,
                                                                 float eps, float wd) {
  const float sc = scale ? *scale : 1.0f;
  const v128_t veps = wasm_f32x4_splat(eps), zero = wasm_f32x4_splat(0.0f), one = wasm_f32x4_splat(1.0f), vs = wasm_f32x4_splat(sc);
  const v128_t vwd = wasm_f32x4_splat(wd);
  v128_t acc = wasm_f32x4_splat(0.0f);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t gv = wasm_v128_load(g + i);
    const v128_t s = wasm_f32x4_add(wasm_v128_load(acc_in + i), wasm_f32x4_mul(gv, gv));
    const v128_t positive = wasm_f32x4_gt(s, zero);
    // NOTE: as adagrad_update: the root of 1 where s is not positive keeps 0/0 out of the masked lanes
    const v128_t root = wasm_f32x4_sqrt(wasm_f32x4_add(wasm_v128_bitselect(s, one, positive), veps));
    const v128_t u = wasm_v128_and(wasm_f32x4_div(gv, root), positive);
    const v128_t q = applied4(wasm_v128_load(p + i), u, vwd, vs);
    wasm_v128_store(s_out + i, s);
    wasm_v128_store(p_out + i, q);
    acc = wasm_f32x4_add(acc, q);
  }
  float tail = 0.0f;
  for (; i < n; i++) {
    const float gi = g[i];
    const float s = acc_in[i] + gi * gi;
    const float q = applied1(p[i], s > 0.0f ? gi / __builtin_sqrtf(s + eps) : 0.0f, wd, sc);
    s_out[i] = s;
    p_out[i] = q;
    tail += q;
  }
  write_probe(probe_in, probe_out, acc, tail);
}

__attribute__((export_name("momentum_apply"))) void momentum_apply(const float *g, const float *trace, const float *p, const float *scale,
                                                                   const float *probe_in, float *t_out, float *p_out, float *probe_out, int n,
                                                                   float decay, float wd) {
  const float s = scale ? *scale : 1.0f;
  const v128_t vd = wasm_f32x4_splat(decay), vs = wasm_f32x4_splat(s);
  const v128_t vwd = wasm_f32x4_splat(wd);
  v128_t acc = wasm_f32x4_splat(0.0f);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t t = wasm_f32x4_add(wasm_v128_load(g + i), wasm_f32x4_mul(wasm_v128_load(trace + i), vd));
    const v128_t q = applied4(wasm_v128_load(p + i), t, vwd, vs);
    wasm_v128_store(t_out + i, t);
    wasm_v128_store(p_out + i, q);
    acc = wasm_f32x4_add(acc, q);
  }
  float tail = 0.0f;
  for (; i < n; i++) {
    const float t = g[i] + trace[i] * decay;
    const float q = applied1(p[i], t, wd, s);
    t_out[i] = t;
    p_out[i] = q;
    tail += q;
  }
  write_probe(probe_in, probe_out, acc, tail);
}

__attribute__((export_name("nesterov_apply"))) void nesterov_apply(const float *g, const float *trace, const float *p, const float *scale,
                                                                   const float *probe_in, float *t_out, float *p_out, float *probe_out, int n,
                                                                   float decay, float wd) {
  const float s = scale ? *scale : 1.0f;
  const v128_t vd = wasm_f32x4_splat(decay), vs = wasm_f32x4_splat(s);
  const v128_t vwd = wasm_f32x4_splat(wd);
  v128_t acc = wasm_f32x4_splat(0.0f);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t gv = wasm_v128_load(g + i);
    const v128_t t = wasm_f32x4_add(gv, wasm_f32x4_mul(wasm_v128_load(trace + i), vd));
    const v128_t q = applied4(wasm_v128_load(p + i), wasm_f32x4_add(gv, wasm_f32x4_mul(t, vd)), vwd, vs);
    wasm_v128_store(t_out + i, t);
    wasm_v128_store(p_out + i, q);
    acc = wasm_f32x4_add(acc, q);
  }
  float tail = 0.0f;
  for (; i < n; i++) {
    const float t = g[i] + trace[i] * decay;
    const float q = applied1(p[i], g[i] + t * decay, wd, s);
    t_out[i] = t;
    p_out[i] = q;
    tail += q;
  }
  write_probe(probe_in, probe_out, acc, tail);
}

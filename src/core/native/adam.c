// Adam's per-leaf step in one pass over the leaf (scaleByAdam's rule, src/optim/adam.ts):
//   m = b1 mu + (1-b1) g,  v = b2 nu + (1-b2) g^2,
//   update = (m / c1) / (sqrt(v / c2 + epsRoot) + eps)
// with the bias corrections c1 = 1 - b1^t, c2 = 1 - b2^t read from two scalar tensors. The composite
// does eleven elementwise kernels (each a pass over the leaf); this reads g, mu, nu once and writes
// the update, m and v once.
// NOTE: m / c1 and v / c2 are taken as m * (1/c1) and v * (1/c2) (one rounding more, ~1 ulp): a
// division per element costs as much as the rest of the loop, the root's one is kept.
#include <wasm_simd128.h>

__attribute__((export_name("adam_update"))) void adam_update(const float *g, const float *mu, const float *nu, const float *c1,
                                                             const float *c2, float *update, float *m_out, float *v_out, int n, float b1,
                                                             float one_minus_b1, float b2, float one_minus_b2, float eps, float eps_root) {
  const float r1 = 1.0f / *c1;
  const float r2 = 1.0f / *c2;
  int i = 0;
  const v128_t vb1 = wasm_f32x4_splat(b1), va1 = wasm_f32x4_splat(one_minus_b1);
  const v128_t vb2 = wasm_f32x4_splat(b2), va2 = wasm_f32x4_splat(one_minus_b2);
  const v128_t vr1 = wasm_f32x4_splat(r1), vr2 = wasm_f32x4_splat(r2);
  const v128_t veps = wasm_f32x4_splat(eps), vroot = wasm_f32x4_splat(eps_root);
  for (; i + 4 <= n; i += 4) {
    const v128_t gv = wasm_v128_load(g + i);
    const v128_t m = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(mu + i), vb1), wasm_f32x4_mul(gv, va1));
    const v128_t v = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(nu + i), vb2), wasm_f32x4_mul(wasm_f32x4_mul(gv, gv), va2));
    const v128_t root = wasm_f32x4_sqrt(wasm_f32x4_add(wasm_f32x4_mul(v, vr2), vroot));
    wasm_v128_store(update + i, wasm_f32x4_div(wasm_f32x4_mul(m, vr1), wasm_f32x4_add(root, veps)));
    wasm_v128_store(m_out + i, m);
    wasm_v128_store(v_out + i, v);
  }
  for (; i < n; i++) {
    const float gi = g[i];
    const float m = mu[i] * b1 + gi * one_minus_b1;
    const float v = nu[i] * b2 + (gi * gi) * one_minus_b2;
    update[i] = (m * r1) / (__builtin_sqrtf(v * r2 + eps_root) + eps);
    m_out[i] = m;
    v_out[i] = v;
  }
}

// Column sums: out [n] = the sum over the rows of x [m, n] (row-major), for sum over leading axes
// (every dense layer's bias gradient, batch-norm and conv bias gradients: [B, ..., C] -> [C]).
//
// tfjs' Sum reduces the last axis, so it transposes first; a product with a row of ones needs the
// ones (a tensor of m floats) and accumulates over all of k. Here x is read once, front to back, 64
// rows at a time, with blocked accumulation for accuracy: 64 rows in registers (strips of 16
// columns), 64 such blocks into a second set of sums, those into the output. The rounding error then grows
// with 64 + 64 + m / 4096 terms instead of m (the float64 reference's test: tests/core-reduce-fast).
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(name)))
#define INLINE static inline __attribute__((always_inline))

#define B1 64
#define B2 64

INLINE int imin(int a, int b) { return a < b ? a : b; }

// Adds the sums of `rows` rows of V vectors (4V columns, V = 1 or 4) at x, rows n floats apart, onto
// acc. (Named accumulators, not an array: an array of vectors would live on the stack.)
INLINE void block(const int V, const float* x, float* acc, int rows, int n) {
  const v128_t z = wasm_f32x4_splat(0);
  v128_t s0 = z, s1 = z, s2 = z, s3 = z;
  for (int i = 0; i < rows; i++, x += n) {
    s0 = wasm_f32x4_add(s0, wasm_v128_load(x));
    if (V > 1) {
      s1 = wasm_f32x4_add(s1, wasm_v128_load(x + 4));
      s2 = wasm_f32x4_add(s2, wasm_v128_load(x + 8));
      s3 = wasm_f32x4_add(s3, wasm_v128_load(x + 12));
    }
  }
  wasm_v128_store(acc, wasm_f32x4_add(wasm_v128_load(acc), s0));
  if (V > 1) {
    wasm_v128_store(acc + 4, wasm_f32x4_add(wasm_v128_load(acc + 4), s1));
    wasm_v128_store(acc + 8, wasm_f32x4_add(wasm_v128_load(acc + 8), s2));
    wasm_v128_store(acc + 12, wasm_f32x4_add(wasm_v128_load(acc + 12), s3));
  }
}

// out [n] = sum over i of x [i, :], x [m, n]; mid: n floats of scratch. Row blocks of B1 rows (B1 x n
// contiguous floats, in cache while its strips of 16 columns are summed in registers) are added onto
// mid, and every B2 blocks mid onto out. m = 0 writes zeros.
EXPORT("colsum_f32") __attribute__((no_builtin("memset")))
void colsum_f32(const float* x, float* out, float* mid, int m, int n) {
  for (int j = 0; j < n; j++) out[j] = mid[j] = 0;
  for (int i2 = 0; i2 < m; i2 += B1 * B2) {
    const int e2 = imin(m, i2 + B1 * B2);
    for (int i1 = i2; i1 < e2; i1 += B1) {
      const int rows = imin(e2, i1 + B1) - i1;
      const float* p = x + i1 * n;
      int j = 0;
      for (; j + 16 <= n; j += 16) block(4, p + j, mid + j, rows, n);
      for (; j + 4 <= n; j += 4) block(1, p + j, mid + j, rows, n);
      for (; j < n; j++) {
        float s = 0;
        for (int i = 0; i < rows; i++) s += p[i * n + j];
        mid[j] += s;
      }
    }
    for (int j = 0; j < n; j++) {
      out[j] += mid[j];
      mid[j] = 0;
    }
  }
}

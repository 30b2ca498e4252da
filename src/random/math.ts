// Float64 special functions for the samplers: erf (for truncation bounds), erfinv (inverse-CDF
// normals), and float32 neighbours (for open-interval clamps).

const TWO_OVER_SQRT_PI = 1.1283791670955126;

/**
 * erf(x) to ~1e-15 relative: a positive series for |x| < 2.5 (no cancellation, since
 * erf(x) = 2/sqrt(pi) e^{-x^2} sum 2^n x^{2n+1} / (1 3 5 ... (2n+1))), and for |x| >= 2.5 the
 * continued fraction of erfc, evaluated bottom-up with a fixed depth that converges there.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax >= 6) return Math.sign(x); // erfc(6) ~ 2e-17: 1 in double
  if (ax < 2.5) {
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= (2 * x2) / (2 * n + 1);
      sum += term;
      if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
    }
    return TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
  }
  // erfc(x) = e^{-x^2}/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))
  let f = ax;
  for (let k = 60; k >= 1; k--) f = ax + k / 2 / f;
  const erfc = (0.5 * TWO_OVER_SQRT_PI * Math.exp(-ax * ax)) / f;
  return Math.sign(x) * (1 - erfc);
}

/**
 * erfinv on (-1, 1): Giles' single-precision approximation ("Approximating the erfinv function",
 * GPU Computing Gems, 2011), the one XLA uses for float32; about 1e-7 relative, which is all a
 * float32 sample can hold. Evaluated in float64.
 */
export function erfinv(x: number): number {
  let w = -Math.log((1 - x) * (1 + x));
  let p: number;
  if (w < 5) {
    w -= 2.5;
    p = 2.81022636e-8;
    p = 3.43273939e-7 + p * w;
    p = -3.5233877e-6 + p * w;
    p = -4.39150654e-6 + p * w;
    p = 0.00021858087 + p * w;
    p = -0.00125372503 + p * w;
    p = -0.00417768164 + p * w;
    p = 0.246640727 + p * w;
    p = 1.50140941 + p * w;
  } else {
    w = Math.sqrt(w) - 3;
    p = -0.000200214257;
    p = 0.000100950558 + p * w;
    p = 0.00134934322 + p * w;
    p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w;
    p = -0.0076224613 + p * w;
    p = 0.00943887047 + p * w;
    p = 1.00167406 + p * w;
    p = 2.83297682 + p * w;
  }
  return p * x;
}

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);

/** The smallest float32 strictly above `x`. */
export function float32Above(x: number): number {
  const f = Math.fround(x);
  if (f > x) return f;
  f32[0] = f;
  if (f === 0)
    i32[0] = 1; // the smallest positive subnormal
  else if (f > 0) i32[0] += 1;
  else i32[0] -= 1;
  return f32[0];
}

/** The largest float32 strictly below `x`. */
export function float32Below(x: number): number {
  return -float32Above(-x);
}

/**
 * Standard deviation of a standard normal truncated to (-2, 2): sqrt(1 - 4 phi(2) / erf(sqrt 2)),
 * ~0.8796. Dividing by it keeps the variance of a truncated-normal initializer at its target.
 */
export const TRUNCATED_STD_2 = Math.sqrt(1 - (4 * Math.exp(-2)) / Math.sqrt(2 * Math.PI) / erf(Math.SQRT2));

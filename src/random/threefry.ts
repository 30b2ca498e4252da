// Threefry-2x32 with 20 rounds (Salmon et al., "Parallel Random Numbers: As Easy as 1, 2, 3",
// SC'11), the counter-based hash behind JAX's default PRNG. Plain JS on int32 values, so the
// bits do not depend on the tfjs backend. Words are uint32 conceptually; we carry them as
// int32 (`| 0`) because V8 keeps small integers unboxed, and convert with `>>> 0` at the edges.

/** Key-schedule parity constant of Threefish/Threefry. */
const PARITY = 0x1bd11bda;

/**
 * Writes threefry2x32(key = [k0, k1], counter = [x0, x1]) into `out[at]`, `out[at + 1]` as int32.
 * Fully unrolled: 5 groups of 4 rounds with rotations (13, 15, 26, 6) and (17, 29, 16, 24),
 * a key injection after each group.
 */
// NOTE: unrolled by hand and kept out of prettier (.prettierignore): a loop over the rotation table, or a
// function per group, measured 1.6-2.5x slower in V8, and dropout draws one block per element.
export function threefryInto(k0: number, k1: number, x0: number, x1: number, out: Int32Array, at: number): void {
  const k2 = k0 ^ k1 ^ PARITY;
  let a = (x0 + k0) | 0;
  let b = (x1 + k1) | 0;
  // group 1
  a = (a + b) | 0; b = (b << 13) | (b >>> 19); b ^= a;
  a = (a + b) | 0; b = (b << 15) | (b >>> 17); b ^= a;
  a = (a + b) | 0; b = (b << 26) | (b >>> 6); b ^= a;
  a = (a + b) | 0; b = (b << 6) | (b >>> 26); b ^= a;
  a = (a + k1) | 0; b = (b + k2 + 1) | 0;
  // group 2
  a = (a + b) | 0; b = (b << 17) | (b >>> 15); b ^= a;
  a = (a + b) | 0; b = (b << 29) | (b >>> 3); b ^= a;
  a = (a + b) | 0; b = (b << 16) | (b >>> 16); b ^= a;
  a = (a + b) | 0; b = (b << 24) | (b >>> 8); b ^= a;
  a = (a + k2) | 0; b = (b + k0 + 2) | 0;
  // group 3
  a = (a + b) | 0; b = (b << 13) | (b >>> 19); b ^= a;
  a = (a + b) | 0; b = (b << 15) | (b >>> 17); b ^= a;
  a = (a + b) | 0; b = (b << 26) | (b >>> 6); b ^= a;
  a = (a + b) | 0; b = (b << 6) | (b >>> 26); b ^= a;
  a = (a + k0) | 0; b = (b + k1 + 3) | 0;
  // group 4
  a = (a + b) | 0; b = (b << 17) | (b >>> 15); b ^= a;
  a = (a + b) | 0; b = (b << 29) | (b >>> 3); b ^= a;
  a = (a + b) | 0; b = (b << 16) | (b >>> 16); b ^= a;
  a = (a + b) | 0; b = (b << 24) | (b >>> 8); b ^= a;
  a = (a + k1) | 0; b = (b + k2 + 4) | 0;
  // group 5
  a = (a + b) | 0; b = (b << 13) | (b >>> 19); b ^= a;
  a = (a + b) | 0; b = (b << 15) | (b >>> 17); b ^= a;
  a = (a + b) | 0; b = (b << 26) | (b >>> 6); b ^= a;
  a = (a + b) | 0; b = (b << 6) | (b >>> 26); b ^= a;
  a = (a + k2) | 0; b = (b + k0 + 5) | 0;
  out[at] = a;
  out[at + 1] = b;
}

const scratch = new Int32Array(2);

/**
 * Threefry-2x32-20 of one block, as uint32 numbers: the reference function the known-answer
 * tests (Random123's kat_vectors, JAX's testThreefry2x32) check.
 * ```ts
 * threefry2x32([0, 0], [0, 0]);   // [0x6b200159, 0x99ba4efe]
 * ```
 */
export function threefry2x32(key: readonly [number, number], counter: readonly [number, number]): [number, number] {
  threefryInto(key[0] | 0, key[1] | 0, counter[0] | 0, counter[1] | 0, scratch, 0);
  return [scratch[0] >>> 0, scratch[1] >>> 0];
}

/**
 * JAX's `threefry_seed` for a 64-bit two's-complement seed: [high word, low word]. Seeds in
 * [0, 2^32) give [0, seed], as in JAX with or without x64.
 */
export function seedWords(seed: number): [number, number] {
  return [Math.floor(seed / 4294967296) >>> 0, seed >>> 0];
}

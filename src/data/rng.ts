import { refused } from "../tensor/errors.js";
// A small seeded PRNG for host-side data work (shuffles, splits, synthetic data, augmentation).
// NOTE: this is not src/random (tensor PRNG keys): data code must not import tfjs, and a
// 32-bit generator is plenty for shuffling and noise.

/** A deterministic stream of random numbers from an integer seed. */
export interface HostRng {
  /** Uniform in [0, 1). */
  float(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal (Box-Muller). */
  normal(): number;
  /** A uniformly random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): Int32Array;
}

/** Throws unless `seed` is an integer; `where` names the caller. */
export function checkSeed(seed: number, where: string): void {
  if (!Number.isInteger(seed)) throw refused(where, `seed must be an integer`, `${seed}`);
}

/**
 * Mulberry32 seeded through splitmix32, so nearby seeds (0, 1, 2) give unrelated streams.
 * Same seed, same numbers, on every platform.
 *
 * @example
 * const rng = hostRng(42);
 * rng.float(); // 0 <= u < 1
 * rng.permutation(5); // e.g. Int32Array [3, 0, 4, 1, 2]
 */
export function hostRng(seed: number): HostRng {
  checkSeed(seed, "hostRng");
  // splitmix32 scramble of the seed
  let z = (seed + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  let state = (z ^ (z >>> 16)) | 0;
  const next32 = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const float = (): number => next32() / 4294967296;
  let spareNormal: number | undefined;
  return {
    float,
    int(n: number): number {
      if (!Number.isInteger(n) || n <= 0) throw refused("hostRng.int", `n must be a positive integer`, `${n}`);
      return Math.floor(float() * n);
    },
    normal(): number {
      if (spareNormal !== undefined) {
        const value = spareNormal;
        spareNormal = undefined;
        return value;
      }
      const u1 = 1 - float(); // in (0, 1]: log(u1) is finite
      const u2 = float();
      const radius = Math.sqrt(-2 * Math.log(u1));
      spareNormal = radius * Math.sin(2 * Math.PI * u2);
      return radius * Math.cos(2 * Math.PI * u2);
    },
    permutation(n: number): Int32Array {
      const perm = new Int32Array(n);
      for (let i = 0; i < n; i++) perm[i] = i;
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(float() * (i + 1));
        const tmp = perm[i];
        perm[i] = perm[j];
        perm[j] = tmp;
      }
      return perm;
    },
  };
}

// Two-class data sets in the plane (with xor and twoSpirals in synthetic.ts): the playground's
// circles and gaussians. Each is a pure function of its options; the seed is explicit.
import type { Dataset } from "./dataset.js";
import { checkSeed, hostRng } from "./rng.js";
import { refused } from "../tensor/errors.js";

type Planar = Dataset<[number, 2], [number], "float32", "int32">;

function checkPlanar(where: string, n: number, noise: number, seed: number): void {
  if (!Number.isInteger(n) || n <= 0) throw refused(where, `n must be a positive integer`, `${n}`);
  if (!Number.isFinite(noise) || noise < 0) throw refused(where, `noise must be a finite number >= 0`, `${noise}`);
  checkSeed(seed, where);
}

/** Options of `circles({ n, noise, seed, factor })`. */
export interface CirclesOptions {
  /** Total samples; classes alternate (sample i has class i % 2). */
  n: number;
  /** Standard deviation of Gaussian noise on each coordinate (default 0). */
  noise?: number;
  /** Seed of the random draws (an integer): same seed, same data. */
  seed: number;
  /** Radius of the inner circle (class 1) relative to the outer one (class 0, radius 1); default 0.5. */
  factor?: number;
}

/**
 * Two concentric circles: class 0 on the unit circle, class 1 on a circle of radius `factor`,
 * angles uniform. x `[n, 2]` float32, y `[n]` int32. No line separates them; one hidden layer does.
 *
 * @example
 * const ds = circles({ n: 400, noise: 0.05, seed: 0 });
 */
export function circles(options: CirclesOptions): Planar {
  const { n, noise = 0, seed, factor = 0.5 } = options;
  checkPlanar("circles", n, noise, seed);
  if (!(Number.isFinite(factor) && factor > 0 && factor < 1)) throw refused("circles", `factor must be in (0, 1)`, `${factor}`);
  const rng = hostRng(seed);
  const x = new Float32Array(n * 2);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    const radius = label === 1 ? factor : 1;
    const angle = 2 * Math.PI * rng.float();
    x[2 * i] = radius * Math.cos(angle) + noise * rng.normal();
    x[2 * i + 1] = radius * Math.sin(angle) + noise * rng.normal();
    y[i] = label;
  }
  return { x: { data: x, shape: [n, 2], dtype: "float32" }, y: { data: y, shape: [n], dtype: "int32" }, classNames: ["outer", "inner"] };
}

/** Options of `gaussians({ n, noise, seed, center })`. */
export interface GaussiansOptions {
  /** Total samples; classes alternate (sample i has class i % 2). */
  n: number;
  /** Standard deviation of each cloud (default 0.25). */
  noise?: number;
  /** Seed of the random draws (an integer): same seed, same data. */
  seed: number;
  /** Centre of class 1; class 0 is centred on its mirror image through the origin (default [0.5, 0.5]). */
  center?: readonly [number, number];
}

/**
 * Two Gaussian clouds, class 1 around `center` and class 0 around `-center`, each with standard
 * deviation `noise`: x `[n, 2]` float32, y `[n]` int32. Linearly separable when the clouds are
 * tight; overlapping as `noise` grows.
 *
 * @example
 * const ds = gaussians({ n: 400, noise: 0.2, seed: 0 });
 */
export function gaussians(options: GaussiansOptions): Planar {
  const { n, noise = 0.25, seed, center = [0.5, 0.5] } = options;
  checkPlanar("gaussians", n, noise, seed);
  const [cx, cy] = center;
  if (!(Number.isFinite(cx) && Number.isFinite(cy))) throw refused("gaussians", `center must be two finite numbers`, `[${cx}, ${cy}]`);
  const rng = hostRng(seed);
  const x = new Float32Array(n * 2);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    const sign = label === 1 ? 1 : -1;
    x[2 * i] = sign * cx + noise * rng.normal();
    x[2 * i + 1] = sign * cy + noise * rng.normal();
    y[i] = label;
  }
  return { x: { data: x, shape: [n, 2], dtype: "float32" }, y: { data: y, shape: [n], dtype: "int32" }, classNames: ["0", "1"] };
}

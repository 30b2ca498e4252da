// Explicit PRNG keys and samplers (JAX style): no global state; every draw takes a key.
export { key, keyFromData, keyData, split, splitStacked, foldIn, isKey, checkKey, type Key, type Keys } from "./key.js";
export {
  uniform,
  normal,
  truncatedNormal,
  bernoulli,
  type BernoulliOptions,
  randint,
  bits,
  gumbel,
  categorical,
  permutation,
  orthogonal,
  type Dims,
} from "./sample.js";
export { TRUNCATED_STD_2 } from "./math.js";

import { threefry2x32 } from "./threefry.js";
import { erf, erfinv } from "./math.js";
/**
 * Not public API: kept only for the known-answer tests, which check what no public function
 * shows at full precision. `threefry2x32` is the bare block (tests/random-threefry: Random123's
 * vectors and JAX's legacy blocks use counters our samplers never do; ours are always `(0, i)`);
 * `erf` / `erfinv` are the float64 functions behind `normal` and `truncatedNormal`, whose float32
 * samples hide their last digits (tests/random-samplers).
 * @internal
 */
export const internal = { threefry2x32, erf, erfinv } as const;

// Explicit PRNG keys and samplers (JAX style): no global state; every draw takes a key.
export { key, keyFromData, keyData, split, splitStacked, foldIn, isKey, checkKey, type Key, type Keys } from "./key.js";
export {
  uniform,
  normal,
  truncatedNormal,
  bernoulli,
  randint,
  bits,
  gumbel,
  categorical,
  permutation,
  orthogonal,
  type Dims,
} from "./sample.js";
export { threefry2x32 } from "./threefry.js";
export { randomP, foldInTensorP } from "./primitive.js";

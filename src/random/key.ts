// PRNG keys: int32 tensors of shape [2] (two uint32 words stored as int32). Being tensors, keys
// are pytree leaves: jit treats a new key as new data (no re-trace), vmap can map over a stack
// of keys, and grad sees them as constants. Like any tensor, a key is freed with `dispose()`.
import * as tf from "@tensorflow/tfjs-core";
import { Concrete, Tensor, ValueError } from "../tensor/index.js";
import { bind } from "../core/index.js";
import { foldInTensorP, randomP } from "./primitive.js";
import { seedWords } from "./threefry.js";

/** A PRNG key: from `key(seed)`, `split` or `foldIn`; never reused for two different draws. */
export type Key = Tensor<[2], "int32">;

/** `n` keys: a tuple for small literal `n` (destructuring is checked), else an array. */
export type Keys<N extends number> = number extends N ? Key[] : N extends SmallCount ? KeyTuple<N> : Key[];
type SmallCount = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12 | 13 | 14 | 15 | 16;
type KeyTuple<N extends number, Acc extends Key[] = []> = Acc["length"] extends N ? Acc : KeyTuple<N, [...Acc, Key]>;

/** What a wrong argument was, for messages. */
export function describe(x: unknown): string {
  if (x instanceof Tensor) return x.toString();
  if (x === null || x === undefined) return String(x);
  if (Array.isArray(x)) return `an array of ${x.length} value(s)`;
  if (typeof x === "string") return `the string ${JSON.stringify(x)}`;
  if (typeof x === "object") return `an object with keys {${Object.keys(x).join(", ")}}`;
  return `the ${typeof x} ${String(x)}`;
}

/** True for a key-shaped tensor (int32 [2]); traced keys inside jit/vmap/grad count. */
export function isKey(x: unknown): x is Key {
  if (!(x instanceof Tensor) || x.dtype !== "int32") return false;
  const s = x.shape as readonly number[];
  return s.length === 1 && s[0] === 2;
}

/**
 * Throws unless `x` is a PRNG key (an int32 `[2]` tensor), with a message naming `op`:
 * `init: expected a PRNG key from key(seed) or split(...), got ...`. For functions that take a key.
 * ```ts
 * checkKey("myLayer.init", k);   // k: Key from here on
 * ```
 */
export function checkKey(op: string, x: unknown): asserts x is Key {
  if (!isKey(x))
    throw new ValueError(
      { op: op, expected: "a PRNG key from key(seed) or split(...)", got: describe(x) },
      `${op}: expected a PRNG key from key(seed) or split(...), got ${describe(x)}`,
    );
}

/**
 * A key from an integer seed; the same as JAX's `jax.random.key(seed)` key data
 * ([0, seed] for seeds in [0, 2^32); 64-bit two's complement words otherwise).
 * ```ts
 * const k = key(0);
 * keyData(k);   // [0, 0]
 * ```
 */
export function key(seed: number): Key {
  if (typeof seed !== "number" || !Number.isSafeInteger(seed)) {
    throw new ValueError(
      { op: "key", expected: "an integer seed in [-(2^53 - 1), 2^53 - 1]", got: describe(seed) },
      `key: seed must be an integer in [-(2^53 - 1), 2^53 - 1], got ${describe(seed)}`,
    );
  }
  const [hi, lo] = seedWords(seed);
  return new Concrete<[2], "int32">(tf.tensor1d([hi | 0, lo | 0], "int32"));
}

/**
 * A key from its two uint32 words, e.g. copied from JAX's `jax.random.key_data(k)`.
 * ```ts
 * const k = keyFromData([0, 42]);   // equals key(42)
 * ```
 */
export function keyFromData(words: readonly [number, number]): Key {
  const ok = Array.isArray(words) && words.length === 2 && words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff);
  if (!ok)
    throw new ValueError(
      { op: "keyFromData", expected: "two uint32 words [hi, lo]", got: Array.isArray(words) ? `[${words.join(", ")}]` : describe(words) },
      `keyFromData: expected two uint32 words [hi, lo], got ${Array.isArray(words) ? `[${words.join(", ")}]` : describe(words)}`,
    );
  return new Concrete<[2], "int32">(tf.tensor1d([words[0] | 0, words[1] | 0], "int32"));
}

/** The two words of a concrete key as uint32 numbers (comparable with JAX's `key_data`). */
export function keyData(k: Key): [number, number] {
  checkKey("keyData", k);
  const d = k.dataSync();
  return [d[0] >>> 0, d[1] >>> 0];
}

function checkCount(op: string, n: unknown): asserts n is number {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0)
    throw new ValueError(
      { op: op, expected: "a non-negative integer n", got: describe(n) },
      `${op}: n must be a non-negative integer, got ${describe(n)}`,
    );
}

/**
 * `n` new independent keys (default 2). Key i equals `foldIn(k, i)`, as in JAX with
 * `jax_threefry_partitionable` (the default since JAX 0.5). The parent should not be used
 * for sampling afterwards; the results are new tensors owned by the caller.
 * ```ts
 * const [initKey, dropoutKey] = split(key(0));
 * ```
 */
export function split<const N extends number = 2>(k: Key, n?: N): Keys<N> {
  checkKey("split", k);
  const count = n ?? 2;
  checkCount("split", count);
  return Array.from({ length: count }, (_, i) => bind(randomP, [k], { kind: "foldIn", shape: [2], data: i })) as Keys<N>;
}

/**
 * `n` keys stacked into one int32 [n, 2] tensor, for `vmap` over keys: row i equals `split(k, n)[i]`.
 * ```ts
 * const noise = vmap((k: Key) => normal(k, [3]))(splitStacked(key(0), 8));   // [8, 3]
 * ```
 */
export function splitStacked<const N extends number>(k: Key, n: N): Tensor<[N, 2], "int32"> {
  checkKey("splitStacked", k);
  checkCount("splitStacked", n);
  return bind(randomP, [k], { kind: "split", shape: [n, 2] }) as Tensor<[N, 2], "int32">;
}

/**
 * A new key that mixes `data` (an integer, or an int32 scalar tensor such as a traced step
 * counter) into `k`: threefry2x32(k, [0, data]), equal to JAX's `fold_in`.
 * ```ts
 * const stepKey = foldIn(runKey, step);
 * ```
 */
export function foldIn(k: Key, data: number | Tensor<[], "int32">): Key {
  checkKey("foldIn", k);
  if (data instanceof Tensor) {
    if (data.dtype !== "int32" || data.shape.length !== 0) {
      throw new ValueError(
        { op: "foldIn", expected: "an integer or an int32 scalar tensor", got: data.toString() },
        `foldIn: data must be an integer or an int32 scalar tensor, got ${data.toString()}`,
      );
    }
    return bind(foldInTensorP, [k, data], {}) as Key;
  }
  if (typeof data !== "number" || !Number.isInteger(data) || data < -2147483648 || data > 0xffffffff) {
    throw new ValueError(
      { op: "foldIn", expected: "an integer in [-2^31, 2^32)", got: describe(data) },
      `foldIn: data must be an integer in [-2^31, 2^32), got ${describe(data)}`,
    );
  }
  return bind(randomP, [k], { kind: "foldIn", shape: [2], data: data | 0 }) as Key;
}

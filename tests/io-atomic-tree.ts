// The ~50 MB tree that tests/io-atomic.test.ts has a child process save over and over. Version
// `v` is a fixed pseudo-random base XOR a mask of `v`: it differs from every other version in
// every element, and its bytes can be checked from `v` alone.
import { tensor, type Tensor } from "../src/tensor/index.js";

export const SHAPES = {
  kernel0: [2048, 4096],
  bias0: [4096],
  kernel1: [4096, 1024],
  bias1: [1024],
  mask: [1000],
} as const;
export const FLOAT_LEAVES = ["kernel0", "bias0", "kernel1", "bias1"] as const;

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const bases = new Map<string, Int32Array>();

/** The base float bit patterns of a leaf (the exponent's top bit clear: never NaN or Infinity). */
export function baseBits(leaf: (typeof FLOAT_LEAVES)[number]): Int32Array {
  let b = bases.get(leaf);
  if (!b) {
    const salt = Math.imul(FLOAT_LEAVES.indexOf(leaf) + 1, 0x165667b1);
    b = new Int32Array(size(SHAPES[leaf]));
    for (let i = 0; i < b.length; i++) b[i] = (Math.imul(i, -1640531535) ^ salt) & 0x3fffffff;
    bases.set(leaf, b);
  }
  return b;
}

/** What version `v` XORs into every float (non-zero, top exponent bit clear). */
export function versionMask(v: number): number {
  return (Math.imul(v, 0x27d4eb2d) & 0x3ffffffe) | 1;
}

export function maskBits(v: number): Uint8Array {
  return Uint8Array.from({ length: SHAPES.mask[0] }, (_, i) => ((i * 7 + v) % 3 === 0 ? 1 : 0));
}

export interface CheckpointTree {
  layers: [{ kernel: Tensor; bias: Tensor }, { kernel: Tensor; bias: Tensor }];
  step: Tensor<[1], "int32">;
  mask: Tensor<[1000], "bool">;
  name: string;
}

function floats(leaf: (typeof FLOAT_LEAVES)[number], v: number): Tensor {
  const base = baseBits(leaf);
  const m = versionMask(v);
  const out = new Int32Array(base.length);
  for (let i = 0; i < out.length; i++) out[i] = base[i] ^ m;
  return tensor(new Float32Array(out.buffer), SHAPES[leaf]);
}

export function checkpointTree(v: number): CheckpointTree {
  return {
    layers: [
      { kernel: floats("kernel0", v), bias: floats("bias0", v) },
      { kernel: floats("kernel1", v), bias: floats("bias1", v) },
    ],
    step: tensor([v], [1], "int32"),
    mask: tensor(maskBits(v), SHAPES.mask, "bool"),
    name: "big",
  };
}

/** True when `t` holds exactly the floats of `leaf` at version `v`. */
export function holdsVersion(t: Tensor, leaf: (typeof FLOAT_LEAVES)[number], v: number): boolean {
  const d = t.dataSync();
  const got = new Int32Array(d.buffer, d.byteOffset, d.length);
  const base = baseBits(leaf);
  const m = versionMask(v);
  if (got.length !== base.length) return false;
  for (let i = 0; i < got.length; i++) if ((got[i] ^ base[i]) !== m) return false;
  return true;
}

// The seed models of the export tests (the example models' architectures), with parameters and
// batch-norm statistics drawn at random so no weight is a round number and no bias is zero.
import { nn, random, tree } from "../src/index.js";
import type { AnyTensor } from "../src/tensor/index.js";
import { add } from "../src/core/index.js";

export const seedModels = {
  mlp: () =>
    nn
      .input(["batch", 784])
      .add(nn.dense(128))
      .add(nn.relu())
      .add(nn.dense(128))
      .add(nn.relu())
      .add(nn.dense(128))
      .add(nn.relu())
      .add(nn.dense(10)),
  cnn: () =>
    nn
      .input(["batch", 28, 28, 1])
      .add(nn.conv2d({ filters: 32, kernel: 3, padding: "same" }))
      .add(nn.relu())
      .add(nn.maxPool2d(2))
      .add(nn.batchNorm({ momentum: 0.9 }))
      .add(nn.conv2d({ filters: 64, kernel: 3, padding: "same" }))
      .add(nn.relu())
      .add(nn.maxPool2d(2))
      .add(nn.batchNorm({ momentum: 0.9 }))
      .add(nn.flatten())
      .add(nn.dropout(0.25))
      .add(nn.dense(128))
      .add(nn.relu())
      .add(nn.dropout(0.5))
      .add(nn.dense(10)),
  lstm: () => nn.input(["batch", 28, 28]).add(nn.lstm(64)).add(nn.dense(10)),
  autoencoder: () =>
    nn
      .input(["batch", 784])
      .add(nn.dense(128))
      .add(nn.relu())
      .add(nn.dense(32))
      .add(nn.relu())
      .add(nn.dense(128))
      .add(nn.relu())
      .add(nn.dense(784))
      .add(nn.sigmoid()),
};

/** Fresh params with every leaf moved by noise of `scale` (biases and batch-norm gammas stop being round). */
export function jittered<T>(params: T, seed: number, scale = 0.05): T {
  let i = 0;
  return tree.map(params, (leaf) => {
    const k = random.key(seed * 1000 + i++);
    const noise = random.normal(k, leaf.shape, { std: scale }) as AnyTensor;
    const out = add(leaf, noise);
    tree.dispose([k, noise]);
    return out;
  });
}

/** Batch-norm statistics that are not the initial zeros and ones. */
export function randomState<T>(state: T, seed: number): T {
  let i = 0;
  return tree.map(state, (leaf, path) => {
    const k = random.key(seed * 7919 + i++);
    const out = path.endsWith("variance")
      ? (random.uniform(k, leaf.shape, { min: 0.5, max: 1.5 }) as AnyTensor)
      : (random.normal(k, leaf.shape, { std: 0.1 }) as AnyTensor);
    k.dispose();
    return out;
  });
}

/** Inputs in [0, 1), as the MNIST models see them. */
export function inputs(shape: readonly number[], seed: number): AnyTensor {
  const k = random.key(seed);
  const x = random.uniform(k, shape) as AnyTensor;
  k.dispose();
  return x;
}

/** max |a - b| over two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`maxAbsDiff: lengths ${a.length} and ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

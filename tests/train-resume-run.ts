// The run tests/train-resume.test.ts interrupts and resumes (also in a child process,
// tests/train-resume-child.ts): batch norm, dropout, Adam, validation, accuracy and a host-side
// augmentation, so every kind of state a checkpoint must carry is exercised.
import { nn, optim, losses, data, random, type train } from "../src/index.js";

export const model = () =>
  nn.input(["batch", 2]).add(nn.dense(16)).add(nn.batchNorm()).add(nn.relu()).add(nn.dropout(0.3)).add(nn.dense(2));

/** fit's options without epochs and callbacks; `n` training examples. */
export function run(n = 96) {
  const m = model();
  const key = random.key(11);
  const params = m.init(key);
  key.dispose();
  return {
    model: m,
    params,
    optimizer: optim.adam(0.01),
    loss: losses.sparseCategoricalCrossEntropy,
    train: data.xor({ n, noise: 0.1, seed: 1 }),
    validation: data.xor({ n: 32, noise: 0.1, seed: 2 }),
    batchSize: 16,
    metrics: ["accuracy"] as train.Metric[],
    progress: "silent" as const,
    seed: 7,
    // a host-side transform seeded per step: the step counter must be restored too
    augment: (x: data.HostArray, s: number) =>
      data.hostArray(
        Float32Array.from(x.data, (v, i) => v + 0.01 * Math.sin(s * 31 + i)),
        x.shape,
      ),
  };
}

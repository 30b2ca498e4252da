// The README's 20-line example, type-checked by `npm test` (the shape mistake must not compile).
import { init, nn, optim, losses, train, data, random } from "../src/index.js";
import { loadMnist } from "../src/node.js";

export async function readmeExample() {
  await init();
  const mnist = loadMnist();
  const { train: trainSet, test } = data.trainTestSplit(mnist, { testFraction: 0.2, seed: 0 });

  const model = nn.input(["batch", 28, 28, 1]).add(nn.flatten()).add(nn.dense(128)).add(nn.relu()).add(nn.dense(10));
  const params = model.init(random.key(0));

  const { params: trained, history } = await train.fit({
    model,
    params,
    optimizer: optim.adam(1e-3),
    loss: losses.sparseCategoricalCrossEntropy,
    train: trainSet,
    validation: test,
    epochs: 5,
    batchSize: 128,
    metrics: ["accuracy"],
  });

  // @ts-expect-error lstm(64) expects [batch, time, features], got [batch, 10]
  model.add(nn.lstm(64));
  return { trained, history };
}

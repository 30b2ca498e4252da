import { init, nn, optim, losses, train, data, random } from "../src/index.js";
await init();
const all = data.loadMnist({ limit: 640 });
const model = nn.input(["batch", 28, 28, 1])
  .add(nn.conv2d({ filters: 32, kernel: 3, padding: "same" })).add(nn.relu).add(nn.maxPool2d(2)).add(nn.batchNorm())
  .add(nn.conv2d({ filters: 64, kernel: 3, padding: "same" })).add(nn.relu).add(nn.maxPool2d(2)).add(nn.batchNorm())
  .add(nn.flatten()).add(nn.dropout(0.25)).add(nn.dense(128)).add(nn.relu).add(nn.dropout(0.5)).add(nn.dense(10));
const r = await train.fit({ model, params: model.init(random.key(0)), optimizer: optim.adam(1e-3), loss: losses.sparseCategoricalCrossEntropy, train: all, epochs: 2, batchSize: 64, metrics: ["accuracy"] });
console.log(r.traceCount);

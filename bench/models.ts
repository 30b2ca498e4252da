// Training steps of the course models (Adam): shapeflow's jitted step vs tfjs-layers trainOnBatch
// on the same backend, in one run.
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { nn, optim, losses, random, tensor, tree } from "../src/index.js";
import type { AnyTensor } from "../src/tensor/index.js";
import { makeTrainStep, type StepModel } from "../src/train/index.js";
import { time, type Timing } from "./harness.js";

interface Case {
  name: string;
  batch: number;
  inShape: number[];
  build(): { init(k: random.Key): unknown; initState(): unknown; applyWithState: StepModel<unknown, unknown>["applyWithState"] };
  keras(): tfl.Sequential;
}

const cases: Case[] = [
  {
    name: "MLP 784-500-300-10, batch 128",
    batch: 128,
    inShape: [784],
    build: () => nn.input(["batch", 784]).add(nn.dense(500)).add(nn.relu()).add(nn.dense(300)).add(nn.relu()).add(nn.dense(10)),
    keras() {
      const m = tfl.sequential();
      m.add(tfl.layers.dense({ units: 500, activation: "relu", inputShape: [784] }));
      m.add(tfl.layers.dense({ units: 300, activation: "relu" }));
      m.add(tfl.layers.dense({ units: 10 }));
      return m;
    },
  },
  {
    name: "CNN 32c-pool-64c-pool-128-10, batch 64",
    batch: 64,
    inShape: [28, 28, 1],
    build: () =>
      nn
        .input(["batch", 28, 28, 1])
        .add(nn.conv2d({ filters: 32, kernel: 3, padding: "same" }))
        .add(nn.relu())
        .add(nn.maxPool2d(2))
        .add(nn.conv2d({ filters: 64, kernel: 3, padding: "same" }))
        .add(nn.relu())
        .add(nn.maxPool2d(2))
        .add(nn.flatten())
        .add(nn.dense(128))
        .add(nn.relu())
        .add(nn.dense(10)),
    keras() {
      const m = tfl.sequential();
      m.add(tfl.layers.conv2d({ filters: 32, kernelSize: 3, padding: "same", activation: "relu", inputShape: [28, 28, 1] }));
      m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
      m.add(tfl.layers.conv2d({ filters: 64, kernelSize: 3, padding: "same", activation: "relu" }));
      m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
      m.add(tfl.layers.flatten());
      m.add(tfl.layers.dense({ units: 128, activation: "relu" }));
      m.add(tfl.layers.dense({ units: 10 }));
      return m;
    },
  },
  {
    name: "LSTM(64) over 28x28 -> 10, batch 64",
    batch: 64,
    inShape: [28, 28],
    build: () => nn.input(["batch", 28, 28]).add(nn.lstm(64)).add(nn.dense(10)),
    keras() {
      const m = tfl.sequential();
      // NOTE: tfjs-layers' default orthogonal recurrent initializer throws under wasm ("rMat.flatten is not a function")
      m.add(tfl.layers.lstm({ units: 64, inputShape: [28, 28], recurrentInitializer: "glorotUniform" }));
      m.add(tfl.layers.dense({ units: 10 }));
      return m;
    },
  },
];

export async function benchModels(runs = 10): Promise<{ name: string; rows: Timing[] }[]> {
  const out: { name: string; rows: Timing[] }[] = [];
  for (const c of cases) {
    const rows: Timing[] = [];
    const n = c.batch * c.inShape.reduce((a, b) => a * b, 1);
    const xData = Float32Array.from({ length: n }, (_, i) => ((i * 7919) % 1000) / 1000);
    const labels = Int32Array.from({ length: c.batch }, (_, i) => i % 10);
    const x = tensor(xData, [c.batch, ...c.inShape]) as unknown as AnyTensor;
    const y = tensor(labels, [c.batch], "int32") as unknown as AnyTensor;

    const model = c.build();
    const k = random.key(0);
    let params = model.init(k);
    let state = model.initState();
    const opt = optim.adam(1e-3);
    let optState: unknown = opt.init(params);
    const step = makeTrainStep(model as never, losses.sparseCategoricalCrossEntropy as never, opt);
    rows.push(
      await time(
        "shapeflow jit step",
        () => {
          const r = step(params, optState, state, x, y, k);
          tree.dispose([params, optState, state]);
          params = r.params;
          optState = r.optState;
          state = r.state;
          r.out.dispose();
          return (r.loss as unknown as { concrete(): tf.Tensor }).concrete();
        },
        { warmup: 2, runs },
      ),
    );
    step.dispose();
    tree.dispose([params, optState, state, k]);

    try {
      const km = c.keras();
      km.compile({ optimizer: tf.train.adam(1e-3), loss: "sparseCategoricalCrossentropy" });
      const yk = tf.cast(tf.reshape(labels.length ? tf.tensor1d(labels, "int32") : tf.tensor1d([]), [c.batch, 1]), "float32");
      rows.push(await time("tfjs-layers trainOnBatch", () => km.trainOnBatch(x.concrete(), yk), { warmup: 2, runs }));
      km.dispose();
      yk.dispose();
    } catch (e) {
      rows.push({
        name: `tfjs-layers trainOnBatch (fails: ${String((e as Error).message).slice(0, 60)})`,
        medianMs: NaN,
        minMs: NaN,
        runs: 0,
      });
    }
    x.dispose();
    y.dispose();
    out.push({ name: c.name, rows });
  }
  return out;
}

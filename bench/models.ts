// The four benchmark models (M1-M4 of ../shared/peers/README.md): shapeflow and tfjs-layers
// definitions of the same networks, and the training FLOPs of one step (bench_torch.py's formula).
import * as tfl from "@tensorflow/tfjs-layers";
import { nn } from "../src/index.js";
// M1 and M4 are the seed course's MLP and LSTM, the same models the export tests use
import { seedModels } from "../tests/io-export-models.js";

export type ModelId = "M1" | "M2" | "M3" | "M4";
export const MODEL_IDS: readonly ModelId[] = ["M1", "M2", "M3", "M4"];

/** What a benchmark step needs of a shapeflow model (nn.Model's bound methods). */
export interface BenchModel {
  init(key: unknown): unknown;
  initState(): unknown;
  applyWithState(params: unknown, x: unknown, ctx?: unknown): [unknown, unknown];
}

export interface ModelSpec {
  id: ModelId;
  name: string;
  batch: number;
  /** One example's shape, NHWC for images (the bytes are the same 784 pixels everywhere). */
  inShape: number[];
  build(): BenchModel;
  /** The same network in tfjs-layers, ending in a softmax (its sparse cross-entropy takes probabilities). */
  keras(): tfl.Sequential;
  /** Multiply-adds x 2 of forward + backward (input gradient of the first layer skipped), as bench_torch.py counts. */
  trainFlops: number;
}

const mlpFlops = (batch: number, layers: number[]) => {
  const fwd = layers.reduce((a, b) => a + b, 0);
  return 2 * batch * (2 * fwd + (fwd - layers[0]));
};

function denseStack(sizes: number[]): tfl.Sequential {
  const m = tfl.sequential();
  sizes.slice(1).forEach((units, i) => {
    const last = i === sizes.length - 2;
    m.add(tfl.layers.dense({ units, activation: last ? "softmax" : "relu", ...(i === 0 ? { inputShape: [sizes[0]] } : {}) }));
  });
  return m;
}

export const MODELS: Record<ModelId, ModelSpec> = {
  M1: {
    id: "M1",
    name: "MLP 784-128-128-128-10, b128",
    batch: 128,
    inShape: [784],
    build: seedModels.mlp,
    keras: () => denseStack([784, 128, 128, 128, 10]),
    trainFlops: mlpFlops(128, [784 * 128, 128 * 128, 128 * 128, 128 * 10]),
  },
  M2: {
    id: "M2",
    name: "MLP 784-500-300-10, b128",
    batch: 128,
    inShape: [784],
    build: () => nn.input(["batch", 784]).add(nn.dense(500)).add(nn.relu()).add(nn.dense(300)).add(nn.relu()).add(nn.dense(10)),
    keras: () => denseStack([784, 500, 300, 10]),
    trainFlops: mlpFlops(128, [784 * 500, 500 * 300, 300 * 10]),
  },
  M3: {
    id: "M3",
    name: "CNN 32c-pool-64c-pool-128-10, b64",
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
      m.add(tfl.layers.dense({ units: 10, activation: "softmax" }));
      return m;
    },
    trainFlops: mlpFlops(64, [28 * 28 * 32 * 9, 14 * 14 * 64 * 9 * 32, 3136 * 128, 128 * 10]),
  },
  M4: {
    id: "M4",
    name: "LSTM(64) x 28 steps -> 10, b64",
    batch: 64,
    inShape: [28, 28],
    build: seedModels.lstm,
    keras() {
      const m = tfl.sequential();
      // NOTE: tfjs-layers' default orthogonal recurrent initializer throws under wasm ("rMat.flatten is not a function")
      m.add(tfl.layers.lstm({ units: 64, inputShape: [28, 28], recurrentInitializer: "glorotUniform" }));
      m.add(tfl.layers.dense({ units: 10, activation: "softmax" }));
      return m;
    },
    trainFlops: (() => {
      const [inM, recM, fc] = [28 * 28 * 256, 28 * 64 * 256, 64 * 10];
      return 2 * 64 * (2 * (inM + recM + fc) + recM + fc);
    })(),
  },
};

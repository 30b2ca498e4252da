// The playground's model and training, with no DOM and no worker: the Web Worker drives it in
// the page, and it runs as is in Node (tsx) for tuning. A small MLP on two inputs, two logits,
// softmax cross-entropy plus an optional L2 penalty on the kernels, one jitted step
// (forward, backward and optimizer update in one graph).
import { add, data, init, jit, losses, nn, optim, random, tensor, tree, valueAndGrad, type Tensor } from "./shapeflow.js";
import { EXTENT, type DatasetName, type PlaygroundConfig, type Scores } from "./config.js";

export * from "./config.js";

type Planar = data.Dataset<[number, 2], [number], "float32", "int32">;

/** The points of a data set, seeded and centred on the origin, inside the plane the page shows (unless noise carries them out). */
export function makeDataset(name: DatasetName, n: number, noise: number, seed: number): Planar {
  switch (name) {
    case "xor": {
      // data.xor draws corners of the unit square: centre them on (±0.6, ±0.6)
      const ds = data.xor({ n, noise: noise / 1.2, seed });
      const x = ds.x.data.map((v) => (v - 0.5) * 1.2);
      return { ...ds, x: { ...ds.x, data: x } };
    }
    case "circles":
      return data.circles({ n, noise, seed });
    case "spirals":
      return data.twoSpirals({ n, noise, seed });
    case "gaussians":
      return data.gaussians({ n, noise: Math.max(noise, 0.05) + 0.15, seed });
  }
}

interface Points {
  x: Tensor<[number, 2]>;
  y: Tensor<[number], "int32">;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- the layer list is built at run time from the
   page's settings, so the model's param and output types are not known statically. */
type AnyModel = nn.Model<any, any, any, any>;
type Params = any;
/* eslint-enable @typescript-eslint/no-explicit-any */

function buildModel(config: PlaygroundConfig): AnyModel {
  const activation = { relu: nn.relu, tanh: nn.tanh, sigmoid: nn.sigmoid, linear: undefined }[config.activation];
  let model: AnyModel = nn.input(["batch", 2]);
  for (const width of config.hidden) {
    model = model.add(nn.dense(width));
    if (activation) model = model.add(activation());
  }
  return model.add(nn.dense(2));
}

function toPoints(ds: Planar): Points {
  return { x: tensor(ds.x.data, ds.x.shape, "float32"), y: tensor(ds.y.data, ds.y.shape, "int32") };
}

/**
 * One training run: data, model, parameters and optimizer state. Every tensor it holds is
 * freed by `dispose()`; each step frees the tensors it replaces.
 */
export class Trainer {
  readonly train: Planar;
  readonly test: Planar;
  stepCount = 0;
  private readonly model: AnyModel;
  private params: Params;
  private optState: unknown;
  private readonly trainPoints: Points;
  private readonly testPoints: Points;
  private readonly step: ReturnType<typeof makeStep>;
  private readonly evaluateOn: ReturnType<typeof makeEvaluate>;
  private readonly forward: ReturnType<typeof makeForward>;
  private grid?: { resolution: number; x: Tensor<[number, 2]> };
  private epochBatches?: Iterator<{ x: { data: Float32Array }; y: { data: Int32Array } }>;
  private epoch = 0;

  /** Full passes over the training half so far. */
  get epochCount(): number {
    return this.epoch;
  }

  constructor(readonly config: PlaygroundConfig) {
    const all = makeDataset(config.dataset, config.samples, config.noise, config.seed);
    const { train, test } = data.trainTestSplit(all, { testFraction: 0.5, seed: config.seed, stratify: true });
    this.train = train;
    this.test = test;
    this.model = buildModel(config);
    const key = random.key(config.seed);
    this.params = this.model.init(key);
    key.dispose();
    const optimizer = config.optimizer === "adam" ? optim.adam(config.learningRate) : optim.sgd(config.learningRate);
    this.optState = optimizer.init(this.params);
    this.trainPoints = toPoints(train);
    this.testPoints = toPoints(test);
    this.step = makeStep(this.model, optimizer, config.l2);
    this.evaluateOn = makeEvaluate(this.model);
    this.forward = makeForward(this.model);
  }

  private nextBatch(): { x: Float32Array; y: Int32Array } {
    const batchSize = Math.min(this.config.batchSize, this.train.y.shape[0]);
    for (;;) {
      this.epochBatches ??= data.batches(this.train, batchSize, { seed: this.config.seed * 100_003 + this.epoch, dropRemainder: true });
      const next = this.epochBatches.next();
      if (!next.done) return { x: next.value.x.data, y: next.value.y.data };
      this.epochBatches = undefined;
      this.epoch++;
    }
  }

  /** Runs `count` steps; returns the mean training loss over them (with the penalty). */
  steps(count: number): number {
    let total = 0;
    for (let i = 0; i < count; i++) {
      const batch = this.nextBatch();
      const n = batch.y.length;
      const x = tensor(batch.x, [n, 2], "float32");
      const y = tensor(batch.y, [n], "int32");
      const r = this.step(this.params, this.optState, x, y);
      tree.dispose([this.params, this.optState, x, y]);
      this.params = r.params;
      this.optState = r.optState;
      total += r.loss.item();
      r.loss.dispose();
      this.stepCount++;
    }
    return total / count;
  }

  /** Losses (without the penalty) and accuracies on the train and test halves. */
  evaluate(): Scores {
    const [trainLoss, trainAccuracy] = this.score(this.trainPoints);
    const [testLoss, testAccuracy] = this.score(this.testPoints);
    return { trainLoss, testLoss, trainAccuracy, testAccuracy };
  }

  private score(points: Points): [number, number] {
    const { loss, out } = this.evaluateOn(this.params, points.x, points.y);
    const result: [number, number] = [loss.item(), losses.accuracy(out, points.y)];
    tree.dispose([loss, out]);
    return result;
  }

  /**
   * P(class 1) on a `resolution` x `resolution` grid over the plane, row 0 at the top
   * (y = EXTENT), column 0 at the left (x = -EXTENT): cell centres, row-major.
   */
  boundary(resolution: number): Float32Array {
    if (this.grid?.resolution !== resolution) {
      this.grid?.x.dispose();
      const xs = new Float32Array(resolution * resolution * 2);
      for (let row = 0; row < resolution; row++) {
        for (let col = 0; col < resolution; col++) {
          const k = 2 * (row * resolution + col);
          xs[k] = -EXTENT + ((col + 0.5) / resolution) * 2 * EXTENT;
          xs[k + 1] = EXTENT - ((row + 0.5) / resolution) * 2 * EXTENT;
        }
      }
      this.grid = { resolution, x: tensor(xs, [resolution * resolution, 2], "float32") };
    }
    const logits = this.forward(this.params, this.grid.x);
    const values = logits.dataSync();
    logits.dispose();
    const p = new Float32Array(resolution * resolution);
    for (let i = 0; i < p.length; i++) p[i] = 1 / (1 + Math.exp(values[2 * i] - values[2 * i + 1]));
    return p;
  }

  dispose(): void {
    tree.dispose([this.params, this.optState, this.trainPoints, this.testPoints]);
    this.grid?.x.dispose();
    this.step.dispose();
    this.evaluateOn.dispose();
    this.forward.dispose();
  }
}

function makeStep(model: AnyModel, optimizer: optim.GradientTransformation, l2: number) {
  const objective = (params: Params, x: Tensor<[number, 2]>, y: Tensor<[number], "int32">): Tensor<[]> => {
    const crossEntropy = losses.sparseCategoricalCrossEntropy(model.apply(params, x) as Tensor<[number, 2]>, y);
    return l2 > 0 ? add(crossEntropy, losses.l2Penalty(params, { scale: l2, filter: /kernel$/ })) : crossEntropy;
  };
  return jit((params: Params, optState: unknown, x: Tensor<[number, 2]>, y: Tensor<[number], "int32">) => {
    const [loss, grads] = valueAndGrad(objective)(params, x, y);
    const [next, nextState] = optim.applyGradients(optimizer, grads, optState, params);
    return { loss, params: next, optState: nextState };
  });
}

function makeForward(model: AnyModel) {
  return jit((params: Params, x: Tensor<[number, 2]>) => model.apply(params, x) as Tensor<[number, 2]>);
}

function makeEvaluate(model: AnyModel) {
  return jit((params: Params, x: Tensor<[number, 2]>, y: Tensor<[number], "int32">) => {
    const out = model.apply(params, x) as Tensor<[number, 2]>;
    return { loss: losses.sparseCategoricalCrossEntropy(out, y), out };
  });
}

export { init };

// The playground's settings and the constants page and worker share. No shapeflow imports
// here, so the page's bundle stays small (the page only draws; the worker trains).
export const DATASETS = ["xor", "circles", "spirals", "gaussians"] as const;
export type DatasetName = (typeof DATASETS)[number];
export const ACTIVATIONS = ["relu", "tanh", "sigmoid", "linear"] as const;
export type ActivationName = (typeof ACTIVATIONS)[number];
export const OPTIMIZERS = ["adam", "sgd"] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

export interface PlaygroundConfig {
  dataset: DatasetName;
  /** Noise of the data set generator (standard deviation, in plane units). */
  noise: number;
  /** Points generated, split into train and test halves. */
  samples: number;
  /** Widths of the hidden layers ([] is logistic regression). */
  hidden: number[];
  activation: ActivationName;
  optimizer: OptimizerName;
  learningRate: number;
  /** Scale of the L2 penalty, `l2 * sum(w^2)` over the kernels (biases are not penalised). */
  l2: number;
  batchSize: number;
  seed: number;
}

/** The page's initial settings (index.html shows the same). */
export const defaultConfig: PlaygroundConfig = {
  dataset: "circles",
  noise: 0.05,
  samples: 600,
  hidden: [16, 16, 16],
  activation: "tanh",
  optimizer: "adam",
  learningRate: 0.05,
  l2: 0,
  batchSize: 64,
  seed: 1,
};

/** The plane the page shows: [-EXTENT, EXTENT]^2. Every data set lies inside it. */
export const EXTENT = 1.3;

/** What one evaluation reports: mean losses (without the penalty) and accuracies. */
export interface Scores {
  trainLoss: number;
  testLoss: number;
  trainAccuracy: number;
  testAccuracy: number;
}

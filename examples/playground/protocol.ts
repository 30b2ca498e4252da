// Messages between the page (main thread) and the training worker.
import type { PlaygroundConfig, Scores } from "./config.js";

export type ToWorker =
  /** A new run with this configuration (data, model, optimizer); playing or paused as before. */
  | { type: "reset"; run: number; config: PlaygroundConfig }
  | { type: "play" }
  | { type: "pause" }
  /** One chunk of steps, then pause. */
  | { type: "step" };

export interface PointsMessage {
  x: Float32Array;
  y: Int32Array;
}

export type FromWorker =
  /** The backend is up (after the WASM binary was fetched and compiled). */
  | { type: "ready"; backend: string; wasmPaths: string; threads: number; native: Record<string, string> }
  /** The points of a new run (sent after each reset). */
  | { type: "data"; run: number; train: PointsMessage; test: PointsMessage }
  | {
      type: "progress";
      /** The run (from its reset message) these numbers belong to. */
      run: number;
      /** Steps taken since the reset. */
      step: number;
      epoch: number;
      /** Mean training loss of the steps of this chunk (with the penalty); NaN right after a reset. */
      batchLoss: number;
      /** Steps in this chunk (0 right after a reset). */
      steps: number;
      scores: Scores;
      /** Mean wall time of one training step in this chunk (NaN right after a reset). */
      msPerStep: number;
      /** P(class 1) on a resolution x resolution grid over the plane, row 0 at the top. */
      boundary: Float32Array;
      resolution: number;
      running: boolean;
    }
  | { type: "error"; message: string };

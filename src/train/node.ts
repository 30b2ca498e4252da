// Node-only training helpers, re-exported by shapeflow/node: a live progress bar on a terminal,
// and checkpoint files (checkpoint-files.ts; loading it lets fit resume from a path).
import { createRequire } from "node:module";
import type * as CliProgress from "cli-progress";
import { loadPeerSync } from "../peers/index.js";
import { formatMetrics, makeProgress, type Progress } from "./progress.js";

/** Whether stdout is a terminal and not CI (`CI` unset): where a live bar makes sense. */
export function isInteractive(): boolean {
  return Boolean(process.stdout.isTTY) && !process.env.CI;
}

/** Options of `progressBar({ write })`. */
export interface ProgressBarOptions {
  /** Where epoch lines go (default stdout); the bar itself draws on stderr. */
  write?: (s: string) => void;
}

/**
 * A live bar for `fit` on a terminal (steps, running metrics, ms/step, ETA), drawn by the
 * optional package `cli-progress`; when not interactive (CI, a pipe) one plain line per epoch.
 * ```ts
 * import { progressBar } from "shapeflow/node";
 * await train.fit({ ...run, progress: progressBar() });
 * ```
 */
export function progressBar(options: ProgressBarOptions = {}): Progress {
  const { write = (s: string) => void process.stdout.write(s) } = options;
  if (!isInteractive()) return makeProgress({ mode: "lines", write });
  const require = createRequire(import.meta.url);
  const cliProgress = loadPeerSync("cli-progress", "progressBar", () => require("cli-progress") as typeof CliProgress);
  const bar = new cliProgress.SingleBar(
    {
      format: "epoch {epoch} |{bar}| {value}/{total} {metrics} | {msPerStep} ms/step | ETA {eta_formatted}",
      barsize: 24,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let epoch = "";
  return {
    startEpoch(e, n, steps) {
      epoch = `${e + 1}/${n}`;
      bar.start(steps, 0, { epoch, metrics: "", msPerStep: "-" });
    },
    step(done, values, ms) {
      bar.update(done, { epoch, metrics: formatMetrics(values), msPerStep: ms.toFixed(1) });
    },
    endEpoch(summary) {
      bar.stop();
      write(`epoch ${epoch} ${summary}\n`);
    },
    stop() {
      bar.stop();
    },
  };
}

export { checkpoint, saveCheckpoint, loadCheckpoint, readCheckpointInfo, type CheckpointOptions } from "./checkpoint-files.js";

import { refused } from "../tensor/errors.js";
// Progress output: one plain line per epoch, nothing, or a reporter of your own (a browser page
// updating its UI, a logger). The live terminal bar is Node-only: progressBar() in node.ts.

/** What fit tells a progress reporter (methods that have nothing to do may be empty). */
export interface Progress {
  /** Epoch `epoch` of `epochs` (1-based) begins; it has `steps` steps. */
  startEpoch(epoch: number, epochs: number, steps: number): void;
  /** `done` steps of this epoch are finished; `values` are the running means (loss, accuracy). */
  step(done: number, values: Record<string, number>, msPerStep: number): void;
  /** The epoch ended; `summary` is its line of logs (`loss 0.31 - accuracy 0.91 - valLoss ...`). */
  endEpoch(summary: string): void;
  /** Training ended (a live bar releases the terminal). */
  stop(): void;
}

/** `"lines"`: one line per epoch (the default); `"silent"`: nothing. */
export type ProgressMode = "lines" | "silent";

/** Options of `makeProgress({ mode, write })`. */
export interface ProgressOptions {
  /** Default `"lines"`. */
  mode?: ProgressMode;
  /** Where epoch lines go, each ending in "\n" (default `console.log`, in Node and browsers alike). */
  write?: (s: string) => void;
}

/** console.log of a line written with its "\n". */
export function writeToConsole(s: string): void {
  console.log(s.endsWith("\n") ? s.slice(0, -1) : s);
}

/**
 * The progress reporter fit uses for a `ProgressMode`: one line per epoch, or nothing.
 * ```ts
 * const progress = makeProgress({ mode: "lines", write: (s) => void log.push(s) });
 * ```
 */
export function makeProgress(options: ProgressOptions = {}): Progress {
  const { mode = "lines", write = writeToConsole } = options;
  if (mode === "silent") return { startEpoch() {}, step() {}, endEpoch() {}, stop() {} };
  if (mode !== "lines") throw refused("makeProgress", `mode must be "lines" or "silent"`, `${JSON.stringify(mode)}`);
  let header = "";
  return {
    startEpoch(e, n) {
      header = epochLabel(e, n);
    },
    step() {},
    endEpoch(summary) {
      write(`${header} ${summary}\n`);
    },
    stop() {},
  };
}

/** "epoch  3/12": the epoch (counted from 1) padded to the width of the total. */
export function epochLabel(epoch: number, epochs: number): string {
  return `epoch ${String(epoch + 1).padStart(String(epochs).length)}/${epochs}`;
}

export function formatMetrics(values: Record<string, number>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k} ${Number.isFinite(v) ? v.toFixed(4) : String(v)}`)
    .join(" ");
}

// Progress output: a live bar on a terminal, plain lines in CI or when piped.
import cliProgress from "cli-progress";

export interface Progress {
  startEpoch(epoch: number, epochs: number, steps: number): void;
  step(done: number, values: Record<string, number>, msPerStep: number): void;
  endEpoch(summary: string): void;
  stop(): void;
}

export function isInteractive(): boolean {
  return Boolean(process.stdout.isTTY) && !process.env.CI;
}

/** `"bar"` on a TTY, `"lines"` otherwise (one line per epoch), or `"silent"`. */
export type ProgressMode = "bar" | "lines" | "silent";

export interface ProgressOptions {
  /** Default `"bar"` when `isInteractive()`, else `"lines"`. */
  mode?: ProgressMode;
  /** Where epoch lines go (default stdout); the live bar itself draws on stderr (cli-progress). */
  write?: (s: string) => void;
}

/**
 * The progress reporter fit uses: a live bar, one line per epoch, or nothing.
 * ```ts
 * const progress = makeProgress({ mode: "lines", write: (s) => void log.push(s) });
 * ```
 */
export function makeProgress(options: ProgressOptions = {}): Progress {
  const { mode = isInteractive() ? "bar" : "lines", write = (s: string) => process.stdout.write(s) } = options;
  if (mode === "silent") return { startEpoch() {}, step() {}, endEpoch() {}, stop() {} };
  if (mode === "lines") {
    let header = "";
    return {
      startEpoch(e, n) {
        header = `epoch ${String(e + 1).padStart(String(n).length)}/${n}`;
      },
      step() {},
      endEpoch(summary) {
        write(`${header} ${summary}\n`);
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: "epoch {epoch} |{bar}| {value}/{total} {metrics} | {msPerStep} ms/step | ETA {eta_formatted}",
      barsize: 24,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let epochLabel = "";
  return {
    startEpoch(e, n, steps) {
      epochLabel = `${e + 1}/${n}`;
      bar.start(steps, 0, { epoch: epochLabel, metrics: "", msPerStep: "-" });
    },
    step(done, values, ms) {
      bar.update(done, { epoch: epochLabel, metrics: formatMetrics(values), msPerStep: ms.toFixed(1) });
    },
    endEpoch(summary) {
      bar.stop();
      write(`epoch ${epochLabel} ${summary}\n`);
    },
    stop() {
      bar.stop();
    },
  };
}

export function formatMetrics(values: Record<string, number>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k} ${Number.isFinite(v) ? v.toFixed(4) : String(v)}`)
    .join(" ");
}

// Timing helpers for benchmarks: warm up, then the median of repeated runs.
import * as tf from "@tensorflow/tfjs-core";

export interface Timing {
  name: string;
  medianMs: number;
  minMs: number;
  runs: number;
}

export async function time(name: string, step: () => unknown, { warmup = 3, runs = 20 } = {}): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await settle(step());
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await settle(step());
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { name, medianMs: ms[Math.floor(ms.length / 2)], minMs: ms[0], runs };
}

/** Waits for the values so that timings include the kernels, not just dispatch. */
async function settle(x: unknown): Promise<void> {
  if (x instanceof Promise) x = await x;
  if (x instanceof tf.Tensor) {
    await x.data();
    x.dispose();
  }
}

export function table(rows: Timing[], reference: string): string {
  const ref = rows.find((r) => r.name === reference);
  const lines = ["| step | median ms | min ms | vs reference |", "| --- | --- | --- | --- |"];
  for (const r of rows) {
    const ratio = ref ? (ref.medianMs / r.medianMs).toFixed(2) + "x faster" : "";
    lines.push(`| ${r.name} | ${r.medianMs.toFixed(2)} | ${r.minMs.toFixed(2)} | ${r.name === reference ? "reference" : ratio} |`);
  }
  return lines.join("\n");
}

// The one timing harness: implementations of a training step measured in the same run,
// alternating (A, B, C, A, B, C, ...), each round a block of steps, medians over rounds.
// Wall time is what the table reports; CPU time of the process that ran the step is kept too
// (on a shared, loaded machine it moves far less than wall time).

export type ImplName = "shapeflow-jit" | "shapeflow-eager" | "shapeflow-jit-2t" | "tfjs-layers" | "pytorch-1t" | "pytorch-2t";

export interface BlockTime {
  wallMs: number;
  cpuMs: number;
}

export interface Impl {
  readonly name: ImplName;
  /** Builds the step and warms it up; `firstMs` is the first call (for jit: trace + first run). */
  setup(): Promise<{ firstMs: number }>;
  /** Runs `steps` training steps; totals over them. */
  run(steps: number): Promise<BlockTime>;
  /** Tensor bytes at the peak of one step above those before it (tfjs engine count), when measurable. */
  peakBytes?(): Promise<number>;
  dispose(): void;
}

export interface ImplStats {
  name: ImplName;
  firstMs: number;
  stepsPerBlock: number;
  /** Per-round ms per step. */
  wall: number[];
  cpu: number[];
  msPerStep: number;
  cpuMsPerStep: number;
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Wall and CPU time of `steps` calls of a step that runs in this process. */
export async function timeLocal(steps: number, step: () => unknown): Promise<BlockTime> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    const r = step();
    if (r instanceof Promise) await r;
  }
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wallMs, cpuMs: (c.user + c.system) / 1000 };
}

/**
 * Sets every implementation up, sizes its block to about `blockMs` (at least one step), then
 * runs `rounds` rounds, each implementation once per round in the same order.
 */
export async function alternate(
  impls: readonly Impl[],
  { rounds, blockMs, log = () => {} }: { rounds: number; blockMs: number; log?: (s: string) => void },
): Promise<ImplStats[]> {
  const stats: ImplStats[] = [];
  for (const impl of impls) {
    const { firstMs } = await impl.setup();
    const pilot = await impl.run(3);
    const steps = Math.max(1, Math.min(100, Math.round((3 * blockMs) / Math.max(pilot.wallMs, 0.01))));
    stats.push({ name: impl.name, firstMs, stepsPerBlock: steps, wall: [], cpu: [], msPerStep: NaN, cpuMsPerStep: NaN });
    log(`  ${impl.name}: first call ${firstMs.toFixed(0)} ms, ${steps} step(s) per block`);
  }
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < impls.length; i++) {
      const s = stats[i];
      const t = await impls[i].run(s.stepsPerBlock);
      s.wall.push(t.wallMs / s.stepsPerBlock);
      s.cpu.push(t.cpuMs / s.stepsPerBlock);
    }
  }
  for (const s of stats) {
    s.msPerStep = median(s.wall);
    s.cpuMsPerStep = median(s.cpu);
  }
  return stats;
}

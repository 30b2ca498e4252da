// The benchmark's data: the same MNIST bytes the PyTorch reference reads (../shared/peers/prep_data.mjs
// writes them to $PEERS_DIR), made here when missing.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** The folder of the peer reference (bench_torch.py, prep_data.mjs): $PEERS_SRC, else `shared/peers` above the project. */
export function peersSource(): string | undefined {
  const candidates = [process.env.PEERS_SRC, join(ROOT, "../shared/peers"), join(ROOT, "../../shared/peers")];
  return candidates.find((d): d is string => d !== undefined && existsSync(join(d, "bench_torch.py")));
}

export const PEERS_DIR = process.env.PEERS_DIR ?? "/tmp/peers";

export interface Digits {
  /** n * 784 pixels in [0, 1]. */
  x: Float32Array;
  y: Int32Array;
  n: number;
}

/** Reads $PEERS_DIR/mnist_x.f32 and mnist_y.u8, running prep_data.mjs first when they are missing. */
export function loadDigits(count = 4096): Digits {
  const xs = join(PEERS_DIR, "mnist_x.f32");
  const ys = join(PEERS_DIR, "mnist_y.u8");
  if (!existsSync(xs) || !existsSync(ys)) {
    const src = peersSource();
    if (src === undefined) throw new Error(`bench: no data in ${PEERS_DIR} and no prep_data.mjs found (set PEERS_SRC)`);
    execFileSync(process.execPath, [join(src, "prep_data.mjs"), String(count)], { cwd: ROOT, env: { ...process.env, PEERS_DIR } });
  }
  const xb = readFileSync(xs);
  const yb = readFileSync(ys);
  const x = new Float32Array(xb.buffer.slice(xb.byteOffset, xb.byteOffset + xb.byteLength));
  const y = Int32Array.from(yb);
  return { x, y, n: y.length };
}

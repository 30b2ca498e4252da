// Every course example runs in QUICK mode as a child process (as a user runs it: tsx, CI=true so
// progress is plain lines), two at a time, and must exit 0, print its progress and its final
// figure, write its plots, and reach a sanity figure parsed from its output.
import { describe, expect, test, beforeAll } from "vitest";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
const tsx = join(root, "node_modules", ".bin", "tsx");

interface Run {
  code: number | null;
  out: string;
  ms: number;
  startedAt: number;
}

interface Expectation {
  /** A line that shows training progressed (one per epoch or per tenth of the run). */
  progress: RegExp;
  /** The final figure; its capture groups go to `check`. */
  final: RegExp;
  check(m: RegExpMatchArray): void;
  /** Plot files (under out/) the example writes. */
  plots: string[];
  /** Other lines that must be printed. */
  also?: RegExp[];
}

const num = (s: string | undefined) => Number(s);

const examples: Record<string, Expectation> = {
  perceptron: {
    progress: /^epoch 1 misclassified during the pass: \d+$/m,
    final: /^perceptron: converged after (\d+) epochs, training accuracy ([\d.]+) \((\d+)\/(\d+)\)/m,
    check: (m) => {
      expect(num(m[2])).toBe(1);
      expect(m[3]).toBe(m[4]);
    },
    plots: ["perceptron-boundary.png"],
  },
  "linear-regression": {
    progress: /^step \d+\/\d+ loss \S+ w \S+ b \S+$/m,
    final: /^linear regression: slope ([-\d.]+) \(true 2\), intercept ([-\d.]+) \(true -1\)/m,
    check: (m) => {
      expect(Math.abs(num(m[1]) - 2)).toBeLessThan(0.05);
      expect(Math.abs(num(m[2]) + 1)).toBeLessThan(0.05);
    },
    plots: ["linear-regression-loss.png"],
  },
  "logistic-regression": {
    progress: /^epoch +1\/\d+ loss \S+ accuracy \S+ valLoss \S+ valAccuracy \S+/m,
    final: /^logistic regression: held-out accuracy ([\d.]+)/m,
    check: (m) => expect(num(m[1])).toBeGreaterThan(0.8),
    plots: ["logistic-regression-boundary.png"],
  },
  xor: {
    progress: /^epoch \d+\/\d+ loss \S+ accuracy \S+$/m,
    final: /^XOR: (\d)\/4 correct/m,
    check: (m) => expect(m[1]).toBe("4"),
    plots: ["xor-boundary.png"],
  },
  iris: {
    progress: /^epoch +1\/\d+ loss \S+ accuracy \S+ valLoss \S+ valAccuracy \S+/m,
    final: /^Iris: held-out test accuracy ([\d.]+)/m,
    check: (m) => expect(num(m[1])).toBeGreaterThan(0.8),
    plots: ["iris-learning-curves.png", "iris-confusion.png"],
  },
  "mnist-mlp": {
    progress: /^epoch +1\/\d+ loss \S+ accuracy \S+ valLoss \S+ valAccuracy \S+/m,
    final: /^MNIST MLP: held-out test accuracy ([\d.]+)/m,
    check: (m) => expect(num(m[1])).toBeGreaterThan(0.7),
    plots: ["mnist-mlp-learning-curves.png", "mnist-mlp-confusion.png"],
  },
  "mnist-500-300": {
    progress: /^epoch +1\/\d+ loss \S+ accuracy \S+ valLoss \S+ valAccuracy \S+/m,
    final: /^MNIST 500-300: held-out test accuracy ([\d.]+)/m,
    check: (m) => expect(num(m[1])).toBeGreaterThan(0.7),
    plots: ["mnist-500-300-learning-curves.png", "mnist-500-300-confusion.png"],
  },
  "mnist-cnn": {
    progress: /^epoch +1\/\d+ loss \S+ accuracy \S+ valLoss \S+ valAccuracy \S+/m,
    // 6 steps on 432 digits: the batch-norm running statistics are still mostly their initial
    // values, so eval-mode accuracy means little; check that training accuracy left chance (0.1)
    final: /^epoch 1\/1 loss \S+ accuracy ([\d.]+)/m,
    check: (m) => expect(num(m[1])).toBeGreaterThan(0.2),
    also: [/^MNIST CNN: held-out test accuracy [\d.]+, loss [\d.]+ \(120 digits\)/m],
    plots: ["mnist-cnn-learning-curves.png", "mnist-cnn-confusion.png"],
  },
  "mnist-lstm": {
    progress: /^epoch +1\/\d+ loss \S+ accuracy \S+ valLoss \S+ valAccuracy \S+/m,
    final: /^MNIST LSTM: held-out test accuracy ([\d.]+)/m,
    check: (m) => expect(num(m[1])).toBeGreaterThan(0.2),
    plots: ["mnist-lstm-learning-curves.png"],
  },
  "lstm-scan": {
    progress: /^epoch 1\/\d+ loss \S+ valAccuracy \S+/m,
    final: /^MNIST LSTM \(scan\): held-out test accuracy ([\d.]+)/m,
    check: (m) => expect(num(m[1])).toBeGreaterThan(0.2),
    also: [/^training step graph: \d+ equations \(2 scans\), body traced once/m],
    plots: ["lstm-scan-accuracy.png"],
  },
  autoencoder: {
    progress: /^epoch +1\/\d+ loss \S+ valLoss \S+/m,
    final: /^autoencoder: held-out reconstruction mse ([\d.]+) \(mean-image baseline ([\d.]+)\)/m,
    check: (m) => {
      expect(num(m[1])).toBeGreaterThan(0);
      expect(num(m[1])).toBeLessThan(0.1);
    },
    plots: ["autoencoder-reconstructions.png"],
  },
  vae: {
    progress: /^epoch +1\/\d+ negative ELBO \S+ held-out \S+$/m,
    final: /^vae: held-out negative ELBO ([\d.]+) nats per digit \(before training ([\d.]+)\)/m,
    check: (m) => {
      // the ELBO improves: an untrained decoder costs ~784 ln 2 = 543 nats per digit
      expect(num(m[2])).toBeGreaterThan(400);
      expect(num(m[1])).toBeGreaterThan(50);
      expect(num(m[1])).toBeLessThan(0.6 * num(m[2]));
    },
    plots: ["vae-latent.png", "vae-samples.png"],
  },
  sir: {
    progress: /^step \d+\/\d+ loss \S+ beta \S+ gamma \S+$/m,
    final: /^SIR fit: beta ([\d.]+) \(true 0.3, error \S+\), gamma ([\d.]+) \(true 0.1/m,
    check: (m) => {
      expect(Math.abs(num(m[1]) / 0.3 - 1)).toBeLessThan(0.05);
      expect(Math.abs(num(m[2]) / 0.1 - 1)).toBeLessThan(0.05);
    },
    plots: ["sir-fit.png", "sir-loss.png"],
  },
  transformer: {
    progress: /^epoch 1\/\d+ loss \S+ valLoss \S+/m,
    final: /^transformer: held-out token accuracy ([\d.]+), string accuracy ([\d.]+)/m,
    // 32 steps: far from sorted (the full run reaches 0.99), but well above chance (0.1 per digit)
    check: (m) => expect(num(m[1])).toBeGreaterThan(0.3),
    also: [/^ {2}validation token accuracy [\d.]+$/m],
    plots: ["transformer-learning-curves.png"],
  },
};

function runExample(name: string): Promise<Run> {
  const startedAt = Date.now();
  return new Promise((resolve) => {
    const child = spawn(tsx, [join("examples", `${name}.ts`)], { cwd: root, env: { ...process.env, QUICK: "1", CI: "true" } });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    // a hung example must not hang the suite
    const timer = setTimeout(() => child.kill("SIGKILL"), 240_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      // kept for reading after a failure
      mkdirSync(join(root, "out", "quick-runs"), { recursive: true });
      writeFileSync(join(root, "out", "quick-runs", `${name}.log`), out);
      resolve({ code, out, ms: Date.now() - startedAt, startedAt });
    });
  });
}

// EXAMPLES=xor,sir runs a subset (for local debugging); CI runs them all
const selected = Object.entries(examples).filter(([name]) => !process.env.EXAMPLES || process.env.EXAMPLES.split(",").includes(name));
const runs = new Map<string, Run>();

beforeAll(async () => {
  // two at a time: the machine has 2 cores
  const queue = selected.map(([name]) => name);
  const worker = async () => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) runs.set(name, await runExample(name));
  };
  await Promise.all([worker(), worker()]);
}, 900_000);

test("every example file is covered and has an npm script", () => {
  const files = readdirSync(join(root, "examples")).filter((f) => f.endsWith(".ts") && f !== "common.ts");
  expect(files.map((f) => f.replace(/\.ts$/, "")).sort()).toEqual(Object.keys(examples).sort());
  const scripts = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).scripts as Record<string, string>;
  for (const name of Object.keys(examples)) expect(scripts[`example:${name}`]).toBe(`tsx examples/${name}.ts`);
});

describe.each(selected)("example %s (QUICK=1)", (name, want) => {
  test("exits 0, shows progress and its final figure, writes its plots", () => {
    const run = runs.get(name)!;
    if (run.code !== 0) throw new Error(`${name} exited with ${run.code} after ${run.ms} ms:\n${run.out.slice(-3000)}`);
    expect(run.out).toMatch(want.progress);
    const m = run.out.match(want.final);
    if (!m) throw new Error(`${name}: no line matching ${want.final} in:\n${run.out.slice(-3000)}`);
    want.check(m);
    for (const line of want.also ?? []) expect(run.out).toMatch(line);
    for (const p of want.plots) {
      const file = join(root, "out", p);
      expect(existsSync(file), `${name} should write out/${p}`).toBe(true);
      expect(statSync(file).mtimeMs).toBeGreaterThanOrEqual(run.startedAt - 1000);
      expect(statSync(file).size).toBeGreaterThan(1000);
    }
  });
});

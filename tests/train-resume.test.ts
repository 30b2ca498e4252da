// Resumable training: a run interrupted (a shorter run, a callback that throws, a child process
// killed with SIGKILL) and resumed from its checkpoint ends bit for bit where the uninterrupted run
// ends: params, optimizer state, batch-norm state, history, steps. And clear errors when the
// checkpoint does not belong to the run.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { nn, optim, random, train, tree, liveTensors } from "../src/index.js";
import { checkpoint, io, loadCheckpoint, readCheckpointInfo, saveCheckpoint } from "../src/node.js";
import { run } from "./train-resume-run.js";

const dir = mkdtempSync(join(tmpdir(), "shapeflow-resume-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const file = (name = "ckpt") => join(dir, `${name}-${files++}.safetensors`);
const adamName = optim.adam(0.01).name;

/** Every leaf's bits (float32 read as uint32), by path: equal means bit for bit. */
function bits(t: unknown): Record<string, number[]> {
  const names = tree.paths(t);
  return Object.fromEntries(
    tree.leaves(t).map((leaf, i) => {
      const d = leaf.dataSync();
      return [names[i], Array.from(d instanceof Float32Array ? new Uint32Array(d.buffer, d.byteOffset, d.length) : d)];
    }),
  );
}

/** The history without its timings (the one thing two runs never share). */
function values(h: train.History): Record<string, number[]> {
  const { msPerStep: _ms, ...rest } = h;
  return rest;
}

type Result = Awaited<ReturnType<typeof train.fit>>;

function expectSameRun(a: Result, b: Result): void {
  expect(bits(a.params)).toEqual(bits(b.params));
  expect(bits(a.optState)).toEqual(bits(b.optState));
  expect(bits(a.state)).toEqual(bits(b.state));
  expect(values(a.history)).toEqual(values(b.history));
  expect(a.history.msPerStep).toHaveLength(b.history.msPerStep.length);
  expect(a.steps).toBe(b.steps);
  expect(a.stopReason).toBe(b.stopReason);
}

function free(...results: unknown[]): void {
  for (const r of results) {
    const { params, optState, state } = r as Result;
    tree.dispose([params, optState, state]);
  }
}

type Options = Partial<Parameters<typeof train.fit>[0]> & { epochs: number };

/** fit on the standard run (`n` examples) with `options`; the run's fresh params are freed after. */
async function fitRun(options: Options, n?: number): Promise<Result> {
  const base = run(n);
  try {
    return await train.fit({ ...base, ...options });
  } finally {
    tree.dispose(base.params);
  }
}

/** The uninterrupted run of `epochs` epochs (cached: each test compares against it). */
const straightRuns = new Map<number, Promise<Result>>();
function straight(epochs: number): Promise<Result> {
  if (!straightRuns.has(epochs)) straightRuns.set(epochs, fitRun({ epochs }));
  return straightRuns.get(epochs) as Promise<Result>;
}
afterAll(async () => {
  for (const r of straightRuns.values()) free(await r);
});

describe("an interrupted run, resumed, ends bit for bit as the uninterrupted one", () => {
  test("stopped by a shorter epochs count; resumed from one overwritten file", async () => {
    const reference = await straight(6);
    const before = liveTensors();
    const path = file();
    const first = await fitRun({ epochs: 2, callbacks: [checkpoint({ path })] });
    expect(readCheckpointInfo(path)).toMatchObject({ epoch: 2, step: 12, seed: 7 });
    const resumed = await fitRun({ epochs: 6, resumeFrom: path });
    expectSameRun(resumed, reference);
    expect(resumed.history.epoch).toEqual([1, 2, 3, 4, 5, 6]);
    expect(resumed.history.msPerStep.slice(0, 2)).toEqual(first.history.msPerStep); // the checkpoint's own
    expect(resumed.traceCount).toBe(1);
    free(first, resumed);
    expect(liveTensors()).toBe(before);
  });

  test("a callback throws in epoch 4 (a crash); resumed from the newest of the last two {epoch} files", async () => {
    const reference = await straight(6);
    const before = liveTensors();
    const template = join(dir, "crash", "epoch-{epoch}.safetensors");
    const crash = {
      onEpochEnd: (logs: train.EpochLogs) =>
        void (
          logs.epoch === 4 &&
          (() => {
            throw new Error("power cut");
          })()
        ),
    };
    await expect(fitRun({ epochs: 6, callbacks: [checkpoint({ path: template, keep: 2 }), crash] })).rejects.toThrow("power cut");
    expect(liveTensors()).toBe(before); // the failed run freed everything
    expect(readdirSync(join(dir, "crash")).sort()).toEqual(["epoch-3.safetensors", "epoch-4.safetensors"]);
    const resumed = await fitRun({
      epochs: 6,
      resumeFrom: join(dir, "crash", "epoch-4.safetensors"),
      callbacks: [checkpoint({ path: template, keep: 2 })],
    });
    expectSameRun(resumed, reference);
    expect(readdirSync(join(dir, "crash")).sort()).toEqual(["epoch-5.safetensors", "epoch-6.safetensors"]);
    free(resumed);
    expect(liveTensors()).toBe(before);
  });

  test("resumed from every epoch of a checkpointed run, including one every 4th epoch saved at the end", async () => {
    const reference = await straight(6);
    const before = liveTensors();
    const template = join(dir, "every", "e-{epoch}.safetensors");
    const checkpointed = await fitRun({ epochs: 6, callbacks: [checkpoint({ path: template })] });
    expectSameRun(checkpointed, reference); // saving changes nothing
    for (let e = 1; e < 6; e++) {
      const resumed = await fitRun({ epochs: 6, resumeFrom: template.replace("{epoch}", String(e)) });
      expectSameRun(resumed, reference);
      free(resumed);
    }
    // every: 4 of 5 epochs saves epoch 4 and, at the end, epoch 5
    const sparse = join(dir, "sparse", "e-{epoch}.safetensors");
    free(await fitRun({ epochs: 5, callbacks: [checkpoint({ path: sparse, every: 4 })] }));
    expect(readdirSync(join(dir, "sparse")).sort()).toEqual(["e-4.safetensors", "e-5.safetensors"]);
    const resumed = await fitRun({ epochs: 6, resumeFrom: sparse.replace("{epoch}", "5") });
    expectSameRun(resumed, reference);
    free(checkpointed, resumed);
    expect(liveTensors()).toBe(before);
  });

  test("resumeFrom a loaded checkpoint: fit leaves its tensors alone, so it can resume twice", async () => {
    const reference = await straight(6);
    const before = liveTensors();
    const path = file();
    free(await fitRun({ epochs: 3, callbacks: [checkpoint({ path })] }));
    const r = run();
    const ckpt = loadCheckpoint(path, r);
    expect(ckpt).toMatchObject({ epoch: 3, step: 18, seed: 7, optimizer: r.optimizer.name });
    expect(ckpt.history.epoch).toEqual([1, 2, 3]);
    const saved = bits([ckpt.params, ckpt.optState, ckpt.state, ckpt.key]);
    const once = await train.fit({ ...r, epochs: 6, resumeFrom: ckpt });
    const twice = await train.fit({ ...r, epochs: 6, resumeFrom: ckpt });
    expectSameRun(once, reference);
    expectSameRun(twice, reference);
    expect(bits([ckpt.params, ckpt.optState, ckpt.state, ckpt.key])).toEqual(saved);
    expect(ckpt.history.epoch).toEqual([1, 2, 3]); // fit appends to its own copy
    tree.dispose([ckpt.params, ckpt.optState, ckpt.state, ckpt.key, r.params]);
    free(once, twice);
    expect(liveTensors()).toBe(before);
  });

  test("earlyStopping decides from the history, so a resumed run stops where the straight one did", async () => {
    const stopper = () => train.earlyStopping({ monitor: "loss", patience: 1, minDelta: 0.02 });
    const template = join(dir, "early", "e-{epoch}.safetensors");
    const straightRun = await fitRun({ epochs: 30, callbacks: [stopper(), checkpoint({ path: template })] });
    const stopped = straightRun.history.epoch.length;
    expect(straightRun.stopReason).toBe(`stopped by a callback after epoch ${stopped}`);
    expect(stopped).toBeGreaterThan(2);
    expect(stopped).toBeLessThan(30);
    const resumed = await fitRun({
      epochs: 30,
      resumeFrom: template.replace("{epoch}", String(stopped - 1)),
      callbacks: [stopper()],
    });
    expectSameRun(resumed, straightRun);
    free(straightRun, resumed);
  });
});

describe("what a checkpoint holds", () => {
  test("one safetensors file: tensors params.*, optState.*, state.*, key; numbers and history in the metadata", async () => {
    const path = file();
    const r = await fitRun({ epochs: 2, callbacks: [checkpoint({ path })] });
    const raw = io.load<Record<string, unknown>>(path);
    expect(Object.keys(raw).sort()).toEqual(["key", "optState", "params", "state"]);
    expect(bits(raw.params)).toEqual(bits(r.params));
    expect(bits(raw.optState)).toEqual(bits(r.optState));
    expect(bits(raw.state)).toEqual(bits(r.state)); // batch-norm running statistics
    expect(bits(raw.key)).toEqual(bits(random.key(7))); // the run's base key: random.key(seed)
    const meta = io.readMetadata(path);
    expect(meta).toMatchObject({ "train.format": "1", "train.epoch": "2", "train.step": "12", "train.seed": "7" });
    expect(meta["train.optimizer"]).toBe(adamName);
    expect(JSON.parse(meta["train.history"]).loss).toEqual(r.history.loss);
    tree.dispose(raw);
    free(r);
  });

  test("saveCheckpoint and readCheckpointInfo round-trip the history exactly, NaN and Infinity too", () => {
    const path = file();
    const r = run();
    const history = {
      epoch: [1, 2],
      loss: [0.1 + 0.2, 1 / 3],
      valLoss: [NaN, Infinity],
      accuracy: [],
      valAccuracy: [-Infinity],
      msPerStep: [1.5, 2],
      custom: [Math.PI],
    };
    const state = r.model.initState();
    const optState = r.optimizer.init(r.params);
    const key = random.key(7);
    saveCheckpoint(path, {
      params: r.params,
      optState,
      state,
      key,
      epoch: 2,
      step: 12,
      seed: 7,
      optimizer: r.optimizer.name,
      history,
    });
    expect(readCheckpointInfo(path)).toEqual({ epoch: 2, step: 12, seed: 7, optimizer: r.optimizer.name, history });
    tree.dispose([r.params, state, optState, key]);
  });
});

describe("clear errors, and nothing allocated after them", () => {
  // one checkpoint at epoch 2 of the standard run
  const shared = join(dir, "shared.safetensors");
  const ready = (async () => free(await fitRun({ epochs: 2, callbacks: [checkpoint({ path: shared })] })))();

  /** fit on the standard run with `options` rejects with `message` and leaves no tensor behind. */
  async function rejects(options: Partial<Options>, message: string | RegExp): Promise<void> {
    await ready;
    const before = liveTensors();
    await expect(fitRun({ epochs: 4, ...options })).rejects.toThrow(message);
    expect(liveTensors()).toBe(before);
  }

  test("a checkpoint of another model names the differing paths", async () => {
    const other = nn.input(["batch", 2]).add(nn.dense(8)).add(nn.batchNorm()).add(nn.relu()).add(nn.dropout(0.3)).add(nn.dense(2));
    const params = other.init(random.key(0));
    await rejects(
      { model: other, params, resumeFrom: shared },
      [
        `fit: resumeFrom ${shared}: the checkpoint does not fit this run (another model, optimizer or layer state?):`,
        "  params[0].bias: shape [16] in the checkpoint, expected [8]",
        "  params[0].kernel: shape [2, 16] in the checkpoint, expected [2, 8]",
        "  params[1].beta: shape [16] in the checkpoint, expected [8]",
        "  params[1].gamma: shape [16] in the checkpoint, expected [8]",
        "  params[4].kernel: shape [16, 2] in the checkpoint, expected [8, 2]",
        "  optState[0].mu[0].bias: shape [16] in the checkpoint, expected [8]",
      ].join("\n"),
    );
    tree.dispose(params);
  });

  test("a checkpoint of another model, as an object, names the differing paths", async () => {
    await ready;
    const r = run();
    const ckpt = loadCheckpoint(shared, r);
    const other = nn.input(["batch", 2]).add(nn.dense(16)).add(nn.relu()).add(nn.dense(2));
    const params = other.init(random.key(0));
    await rejects(
      { model: other, params, resumeFrom: ckpt },
      [
        "fit: resumeFrom: the checkpoint does not fit this run (another model, optimizer or layer state?):",
        "  structures differ at params: array of 5 vs array of 3 (the checkpoint's vs this run's)",
        "  structures differ at optState[0].mu: array of 5 vs array of 3 (the checkpoint's vs this run's)",
        "  structures differ at state: array of 5 vs array of 3 (the checkpoint's vs this run's)",
      ].join("\n"),
    );
    tree.dispose([ckpt.params, ckpt.optState, ckpt.state, ckpt.key, r.params, params]);
  });

  test("another optimizer: by name, and by state when the name lies", async () => {
    const sgd = optim.sgd(0.1);
    await rejects(
      { optimizer: sgd, resumeFrom: shared },
      `fit: resumeFrom ${shared}: the checkpoint was saved with the optimizer ${adamName}, this run uses ${sgd.name}`,
    );
    const disguised = { ...optim.momentum(0.1), name: adamName };
    await rejects(
      { optimizer: disguised, resumeFrom: shared },
      /the checkpoint does not fit this run \(another model, optimizer or layer state\?\):\n {2}structures differ at optState\[0\]/,
    );
    const r = run();
    expect(() => loadCheckpoint(shared, { ...r, optimizer: sgd })).toThrow(
      `train.loadCheckpoint: ${shared}: the checkpoint was saved with the optimizer`,
    );
    tree.dispose(r.params);
  });

  test("epochs already reached, another seed, a params-only file, a missing file", async () => {
    await rejects(
      { epochs: 2, resumeFrom: shared },
      `fit: resumeFrom ${shared}: the checkpoint is at epoch 2 and epochs is 2: nothing left to train (epochs counts from the start of the run; raise it to train on)`,
    );
    await rejects({ epochs: 1, resumeFrom: shared }, "the checkpoint is at epoch 2 and epochs is 1");
    await rejects(
      { seed: 8, resumeFrom: shared },
      `fit: resumeFrom ${shared}: the checkpoint's run has seed 7, fit was given seed 8; leave seed out to resume`,
    );
    const paramsOnly = file("params");
    const r = run();
    io.save(paramsOnly, r.params);
    await rejects(
      { resumeFrom: paramsOnly },
      `fit: resumeFrom ${paramsOnly}: not a training checkpoint (no "train.format" in its metadata); io.save writes params alone: read those with io.load`,
    );
    await rejects(
      { resumeFrom: join(dir, "nowhere.safetensors") },
      /^io\.readMetadata: .*nowhere\.safetensors: cannot read the file \(ENOENT/,
    );
    expect(() => checkpoint({ path: join(dir, "fixed.safetensors"), keep: 2 })).toThrow(
      'checkpoint: keep needs a path with {epoch} once in its file name (e.g. "runs/epoch-{epoch}.safetensors")',
    );
    tree.dispose(r.params);
  });
});

/** mulberry32, for reproducible kill moments. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const TRIALS = 2;
const N = 480; // 30 steps an epoch, so the kill falls inside an epoch or during its save

/** Trains in a child process with a checkpoint every epoch; SIGKILLs it `fraction` x 1.5 epochs after epoch 2 ended. */
function killed(path: string, fraction: number): Promise<{ lastReported: number; delayMs: number }> {
  const child = spawn(process.execPath, ["--import", "tsx", join("tests", "train-resume-child.ts"), path, String(N)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  let lastReported = 0;
  let delayMs = -1;
  return new Promise((resolve, reject) => {
    const guard = setTimeout(() => child.kill("SIGKILL"), 150_000);
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      for (const m of out.matchAll(/^epoch (\d+) (\d+)$/gm)) {
        lastReported = Math.max(lastReported, Number(m[1]));
        if (m[1] === "2" && delayMs < 0) {
          delayMs = fraction * 1.5 * Number(m[2]);
          setTimeout(() => child.kill("SIGKILL"), delayMs);
        }
      }
    });
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    child.on("close", (_code, signal) => {
      clearTimeout(guard);
      if (signal !== "SIGKILL" || delayMs < 0) return reject(new Error(`the child ended by ${signal} before being killed:\n${err}`));
      resolve({ lastReported, delayMs });
    });
  });
}

test(`SIGKILL in the middle of training (${TRIALS} child processes): resumed in this process, the run ends as an uninterrupted one`, async () => {
  const random01 = rng(11);
  const trials = await Promise.all(
    Array.from({ length: TRIALS }, (_, i) => killed(join(dir, `killed-${i}.safetensors`), random01()).then((t) => ({ ...t, i }))),
  );
  const before = liveTensors();
  for (const { i, lastReported, delayMs } of trials) {
    const path = join(dir, `killed-${i}.safetensors`);
    expect(existsSync(path)).toBe(true);
    const { epoch } = readCheckpointInfo(path);
    // the last epoch reported, or the next one when the kill fell between its save and its print
    expect([lastReported, lastReported + 1]).toContain(epoch);
    const epochs = epoch + 2;
    const reference = await fitRun({ epochs }, N);
    const resumed = await fitRun({ epochs, resumeFrom: path }, N);
    expectSameRun(resumed, reference);
    free(reference, resumed);
    console.log(
      `train resume SIGKILL trial ${i}: killed ${Math.round(delayMs)} ms after epoch 2, checkpoint at epoch ${epoch}, resumed to ${epochs}: bit for bit`,
    );
  }
  expect(liveTensors()).toBe(before);
}, 200_000);

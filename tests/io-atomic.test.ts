// Crash safety: child processes save a ~50 MB tree in a loop and are killed with SIGKILL at
// random moments; the checkpoint file must always hold a whole version (the last one reported
// saved, or the next one when the kill came after its rename), bit for bit.
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { tree, zeros, liveTensors } from "../src/index.js";
import { io } from "../src/node.js";
import { FLOAT_LEAVES, SHAPES, holdsVersion, maskBits } from "./io-atomic-tree.js";

const TRIALS = 6;
const PARALLEL = 3;
const dir = mkdtempSync(join(tmpdir(), "shapeflow-io-kill-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** mulberry32: the kill moments are reproducible. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

interface Trial {
  path: string;
  lastSaved: number;
  saveMs: number;
  delayMs: number;
  tempLeft: number;
}

/**
 * Starts a child saving in a loop; once version 1 is on disk and the save of version 2 has begun,
 * kills it `fraction` x 1.2 times the duration of save 1 later: mostly during save 2 (writing,
 * fsync, rename), sometimes just after it.
 */
function trial(index: number, fraction: number): Promise<Trial> {
  const path = join(dir, `ckpt-${index}.safetensors`);
  const child = spawn(process.execPath, ["--import", "tsx", join("tests", "io-atomic-child.ts"), path], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  let lastSaved = 0;
  let saveMs = -1;
  let delayMs = -1;
  return new Promise<Trial>((resolve, reject) => {
    const guard = setTimeout(() => child.kill("SIGKILL"), 150_000);
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      for (const m of out.matchAll(/^saved (\d+) (\d+)$/gm)) {
        lastSaved = Math.max(lastSaved, Number(m[1]));
        if (m[1] === "1") saveMs = Number(m[2]);
      }
      if (delayMs < 0 && saveMs >= 0 && /^writing 2$/m.test(out)) {
        delayMs = fraction * 1.2 * saveMs;
        setTimeout(() => child.kill("SIGKILL"), delayMs);
      }
    });
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    child.on("close", (_code, signal) => {
      clearTimeout(guard);
      if (signal !== "SIGKILL" || delayMs < 0) return reject(new Error(`child ${index} ended by ${signal} before being killed:\n${err}`));
      const temps = readdirSync(dir).filter((f) => f.startsWith(`.ckpt-${index}.safetensors.tmp-`));
      for (const f of temps) unlinkSync(join(dir, f));
      resolve({ path, lastSaved, saveMs, delayMs, tempLeft: temps.length });
    });
  });
}

test(`SIGKILL during ~50 MB saves (${TRIALS} child processes): the checkpoint always loads, bit for bit`, async () => {
  const like = {
    layers: [
      { kernel: zeros(SHAPES.kernel0), bias: zeros(SHAPES.bias0) },
      { kernel: zeros(SHAPES.kernel1), bias: zeros(SHAPES.bias1) },
    ],
    step: zeros([1], "int32"),
    mask: zeros(SHAPES.mask, "bool"),
    name: "big",
  };
  const before = liveTensors();
  const random = rng(2026);
  const results: Trial[] = [];
  for (let wave = 0; wave < TRIALS; wave += PARALLEL) {
    const n = Math.min(PARALLEL, TRIALS - wave);
    results.push(...(await Promise.all(Array.from({ length: n }, (_, i) => trial(wave + i, random())))));
  }
  for (const r of results) {
    const version = Number(io.readMetadata(r.path).version);
    // the last version reported saved, or the next one when the kill fell between its rename and its print
    expect([r.lastSaved, r.lastSaved + 1]).toContain(version);
    const back = io.load(r.path, like);
    const floats = [back.layers[0].kernel, back.layers[0].bias, back.layers[1].kernel, back.layers[1].bias];
    floats.forEach((t, i) => expect(holdsVersion(t, FLOAT_LEAVES[i], version)).toBe(true));
    expect(Array.from(back.step.dataSync())).toEqual([version]);
    expect(Array.from(back.mask.dataSync())).toEqual(Array.from(maskBits(version)));
    expect(statSync(r.path).size).toBeGreaterThan(50_000_000);
    tree.dispose(back);
  }
  expect(liveTensors()).toBe(before);
  const midWrite = results.filter((r) => r.tempLeft > 0).length;
  console.log(
    `io SIGKILL: ${results.length} trials, ${midWrite} killed mid-write (temporary file left), last versions reported saved ${results.map((r) => r.lastSaved).join(",")}; ` +
      `save 1 took ~${Math.round(results.reduce((s, r) => s + r.saveMs, 0) / results.length)} ms, kills ${results.map((r) => Math.round(r.delayMs)).join(",")} ms into save 2`,
  );
  tree.dispose(like);
}, 200_000);

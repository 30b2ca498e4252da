// The page: reads the controls, drives the training worker and draws what it posts (the
// decision boundary with the points on top, the loss curves, the scores). No training here,
// so the page stays responsive while the worker computes.
import { ACTIVATIONS, DATASETS, EXTENT, OPTIMIZERS, defaultConfig, type PlaygroundConfig, type Scores } from "./config.js";
import type { FromWorker, PointsMessage, ToWorker } from "./protocol.js";

/** What the page shows, also readable by tests as `window.__playground`. */
export interface PlaygroundState {
  status: "loading" | "paused" | "running" | "error";
  backend?: string;
  /** Where the worker told tfjs to fetch its .wasm binaries from. */
  wasmPaths?: string;
  threads?: number;
  /** Our own WASM kernels: "ok" or why a module does not run (nativeStatus). */
  native?: Record<string, string>;
  config: PlaygroundConfig;
  /** Counts up on every reset; messages of older runs are dropped. */
  run: number;
  step: number;
  epoch: number;
  scores?: Scores;
  /** ms per training step in the last chunk, and averaged over the run's chunks after the first (which traces the step). */
  msPerStep?: number;
  meanMsPerStep?: number;
  /** Training steps and their wall time (ms) summed over the run's chunks after the first. */
  timed: { chunks: number; steps: number; ms: number };
  /** How many boundary images were drawn. */
  frames: number;
  error?: string;
}

declare global {
  interface Window {
    __playground: PlaygroundState;
  }
}

const byId = <T extends HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`playground: no element #${id} in the page`);
  return element as T;
};

const controls = {
  dataset: byId<HTMLSelectElement>("dataset"),
  noise: byId<HTMLInputElement>("noise"),
  samples: byId<HTMLSelectElement>("samples"),
  seed: byId<HTMLInputElement>("seed"),
  hidden: byId<HTMLInputElement>("hidden"),
  activation: byId<HTMLSelectElement>("activation"),
  optimizer: byId<HTMLSelectElement>("optimizer"),
  learningRate: byId<HTMLSelectElement>("learning-rate"),
  l2: byId<HTMLSelectElement>("l2"),
  batchSize: byId<HTMLSelectElement>("batch-size"),
};
const buttons = { play: byId<HTMLButtonElement>("play"), step: byId<HTMLButtonElement>("step"), reset: byId<HTMLButtonElement>("reset") };
const boundaryCanvas = byId<HTMLCanvasElement>("boundary");
const lossCanvas = byId<HTMLCanvasElement>("loss-curve");

const state: PlaygroundState = {
  status: "loading",
  config: defaultConfig,
  run: 0,
  step: 0,
  epoch: 0,
  timed: { chunks: 0, steps: 0, ms: 0 },
  frames: 0,
};
window.__playground = state;

// ------------------------------------------------------------------ configuration from the controls

const MAX_LAYERS = 6;
const MAX_WIDTH = 64;

/** Hidden widths from "16, 16, 8" (commas or spaces), or a message saying what is wrong. */
function parseHidden(text: string): number[] | string {
  const parts = text.split(/[\s,]+/).filter((p) => p !== "");
  const widths = parts.map(Number);
  if (widths.some((w) => !Number.isInteger(w) || w < 1 || w > MAX_WIDTH))
    return `hidden layer widths must be integers from 1 to ${MAX_WIDTH}`;
  if (widths.length > MAX_LAYERS) return `at most ${MAX_LAYERS} hidden layers`;
  return widths;
}

function oneOf<T extends string>(value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value))
    throw new Error(`playground: ${JSON.stringify(value)} is not one of ${allowed.join(", ")}`);
  return value as T;
}

/** The configuration the controls show, or undefined while one is invalid (it is marked). */
function readConfig(): PlaygroundConfig | undefined {
  const hidden = parseHidden(controls.hidden.value);
  controls.hidden.setCustomValidity(typeof hidden === "string" ? hidden : "");
  const seed = Number(controls.seed.value);
  controls.seed.setCustomValidity(Number.isInteger(seed) && seed >= 0 ? "" : "a non-negative integer");
  if (typeof hidden === "string" || !controls.seed.validity.valid) return undefined;
  return {
    dataset: oneOf(controls.dataset.value, DATASETS),
    noise: Number(controls.noise.value),
    samples: Number(controls.samples.value),
    hidden,
    activation: oneOf(controls.activation.value, ACTIVATIONS),
    optimizer: oneOf(controls.optimizer.value, OPTIMIZERS),
    learningRate: Number(controls.learningRate.value),
    l2: Number(controls.l2.value),
    batchSize: Number(controls.batchSize.value),
    seed,
  };
}

// ------------------------------------------------------------------ the worker

const worker = new Worker(new URL(`worker.js${location.search}`, location.href));
const send = (message: ToWorker) => worker.postMessage(message);

let points: { train: PointsMessage; test: PointsMessage } | undefined;
let lastBoundary: { values: Float32Array; resolution: number } | undefined;
let lossHistory: { step: number; train: number; test: number }[] = [];

function reset(): void {
  const config = readConfig();
  if (!config) return;
  state.config = config;
  state.run++;
  state.step = 0;
  state.epoch = 0;
  state.scores = undefined;
  state.msPerStep = state.meanMsPerStep = undefined;
  points = undefined;
  lastBoundary = undefined;
  lossHistory = [];
  state.timed = { chunks: 0, steps: 0, ms: 0 };
  send({ type: "reset", run: state.run, config });
  if (state.status === "running") send({ type: "play" });
}

function setStatus(status: PlaygroundState["status"]): void {
  state.status = status;
  document.body.dataset.state = status;
  buttons.play.textContent = status === "running" ? "Pause" : "Play";
  const idle = status === "loading" || status === "error";
  for (const b of Object.values(buttons)) b.disabled = idle;
}

worker.onmessage = (event: MessageEvent<FromWorker>) => {
  const message = event.data;
  switch (message.type) {
    case "ready":
      state.backend = message.backend;
      state.wasmPaths = message.wasmPaths;
      state.threads = message.threads;
      state.native = message.native;
      byId("status").textContent = `${message.backend} backend, ${message.threads} thread${message.threads === 1 ? "" : "s"}`;
      setStatus("paused");
      return;
    case "data":
      if (message.run !== state.run) return;
      points = { train: message.train, test: message.test };
      return;
    case "progress":
      if (message.run !== state.run) return;
      onProgress(message);
      return;
    case "error":
      state.error = message.message;
      byId("error").textContent = `Error: ${message.message}`;
      byId("error").hidden = false;
      setStatus("error");
      return;
  }
};
worker.onerror = (event) => {
  state.error = event.message || "the worker failed to start";
  byId("error").textContent = `Error: ${state.error}`;
  byId("error").hidden = false;
  setStatus("error");
};

function onProgress(message: Extract<FromWorker, { type: "progress" }>): void {
  state.step = message.step;
  state.epoch = message.epoch;
  state.scores = message.scores;
  if (message.steps > 0) {
    state.msPerStep = message.msPerStep;
    // the run's first chunk includes tracing the jitted step: the mean leaves it out
    const timed = state.timed;
    if (timed.chunks++ > 0) {
      timed.steps += message.steps;
      timed.ms += message.msPerStep * message.steps;
      state.meanMsPerStep = timed.ms / timed.steps;
    }
  }
  lossHistory.push({ step: message.step, train: message.scores.trainLoss, test: message.scores.testLoss });
  lastBoundary = { values: message.boundary, resolution: message.resolution };
  if (state.status === "running" && !message.running) setStatus("paused");
  requestDraw();
}

// ------------------------------------------------------------------ drawing

let drawPending = false;
/** Draws at most once per frame, however fast progress arrives. */
function requestDraw(): void {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    draw();
  });
}

const fmt = (v: number | undefined, digits: number) => (v === undefined || !Number.isFinite(v) ? "-" : v.toFixed(digits));

function draw(): void {
  byId("stat-step").textContent = String(state.step);
  byId("stat-epoch").textContent = String(state.epoch);
  byId("stat-ms").textContent = fmt(state.meanMsPerStep ?? state.msPerStep, 2);
  byId("train-loss").textContent = fmt(state.scores?.trainLoss, 3);
  byId("test-loss").textContent = fmt(state.scores?.testLoss, 3);
  byId("train-accuracy").textContent = fmt(state.scores?.trainAccuracy, 3);
  byId("test-accuracy").textContent = fmt(state.scores?.testAccuracy, 3);
  document.body.dataset.step = String(state.step);
  document.body.dataset.testAccuracy = fmt(state.scores?.testAccuracy, 4);
  drawBoundary();
  drawLoss();
  state.frames++;
}

type Rgb = [number, number, number];
const CLASS0: Rgb = [245, 147, 34]; // orange
const MIDDLE: Rgb = [232, 234, 235];
const CLASS1: Rgb = [8, 119, 189]; // blue
const css = ([r, g, b]: Rgb) => `rgb(${r}, ${g}, ${b})`;

/** Orange through light grey to blue as P(class 1) goes 0 -> 0.5 -> 1. */
function shade(p: number, out: Uint8ClampedArray, at: number): void {
  const t = Math.min(1, Math.abs(2 * p - 1));
  const end = p < 0.5 ? CLASS0 : CLASS1;
  for (let c = 0; c < 3; c++) out[at + c] = MIDDLE[c] + (end[c] - MIDDLE[c]) * t * 0.85;
  out[at + 3] = 255;
}

const heat = document.createElement("canvas");

function drawBoundary(): void {
  const ctx = boundaryCanvas.getContext("2d");
  if (!ctx) return;
  const { width, height } = boundaryCanvas;
  ctx.fillStyle = css(MIDDLE);
  ctx.fillRect(0, 0, width, height);
  if (lastBoundary) {
    const { values, resolution } = lastBoundary;
    heat.width = heat.height = resolution;
    const hctx = heat.getContext("2d");
    if (hctx) {
      const image = hctx.createImageData(resolution, resolution);
      for (let i = 0; i < values.length; i++) shade(values[i], image.data, 4 * i);
      hctx.putImageData(image, 0, 0);
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(heat, 0, 0, width, height);
    }
  }
  if (!points) return;
  const toPixel = (x: number, y: number): [number, number] => [
    ((x + EXTENT) / (2 * EXTENT)) * width,
    ((EXTENT - y) / (2 * EXTENT)) * height,
  ];
  const drawSet = (set: PointsMessage, stroke: string) => {
    ctx.strokeStyle = stroke;
    ctx.lineWidth = 1;
    for (let i = 0; i < set.y.length; i++) {
      const [px, py] = toPixel(set.x[2 * i], set.x[2 * i + 1]);
      ctx.beginPath();
      ctx.arc(px, py, 3.5, 0, 2 * Math.PI);
      ctx.fillStyle = css(set.y[i] === 1 ? CLASS1 : CLASS0);
      ctx.fill();
      ctx.stroke();
    }
  };
  drawSet(points.train, "white");
  drawSet(points.test, "black");
}

function drawLoss(): void {
  const ctx = lossCanvas.getContext("2d");
  if (!ctx) return;
  const { width, height } = lossCanvas;
  ctx.clearRect(0, 0, width, height);
  if (lossHistory.length === 0) return;
  const maxStep = Math.max(1, lossHistory[lossHistory.length - 1].step);
  const finite = lossHistory.flatMap((h) => [h.train, h.test]).filter(Number.isFinite);
  const maxLoss = Math.max(1e-6, ...finite);
  const pad = 4;
  const line = (key: "train" | "test", color: string) => {
    ctx.strokeStyle = color;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    lossHistory.forEach((h, i) => {
      const x = pad + (h.step / maxStep) * (width - 2 * pad);
      const y = height - pad - (Math.min(h[key], maxLoss) / maxLoss) * (height - 2 * pad);
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    });
    ctx.stroke();
  };
  line("train", "#222");
  line("test", "#c0392b");
  ctx.fillStyle = "#666";
  ctx.font = "11px system-ui, sans-serif";
  ctx.fillText(`max ${maxLoss.toFixed(3)}`, pad + 2, 12);
}

// ------------------------------------------------------------------ wiring

buttons.play.addEventListener("click", () => {
  if (state.status === "running") {
    send({ type: "pause" });
    setStatus("paused");
  } else if (state.status === "paused") {
    send({ type: "play" });
    setStatus("running");
  }
});
buttons.step.addEventListener("click", () => {
  send({ type: "step" });
  setStatus("paused");
});
buttons.reset.addEventListener("click", reset);
for (const control of Object.values(controls)) control.addEventListener("change", reset);
controls.noise.addEventListener("input", () => (byId("noise-value").textContent = Number(controls.noise.value).toFixed(2)));

// the controls start at the defaults (a reload may have kept other values: read them)
reset();
requestDraw();

// The training worker: owns the backend and the Trainer, runs steps in chunks of about
// CHUNK_MS and posts progress after each, so the page stays responsive and redraws as it learns.
import { backendInfo, nativeStatus } from "./shapeflow.js";
import { Trainer, init } from "./trainer.js";
import type { FromWorker, ToWorker } from "./protocol.js";

interface WorkerScope {
  readonly location: { href: string; search: string };
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
}
declare const self: WorkerScope;

/** Wall time of one chunk of steps: about 15 page updates per second, whatever a step costs. */
const CHUNK_MS = 60;
const RESOLUTION = 64;

let trainer: Trainer | undefined;
let run = 0;
let running = false;
let scheduled = false;

const post = (message: FromWorker, transfer: Transferable[] = []) => self.postMessage(message, transfer);

async function start(): Promise<void> {
  // the binaries are served by the page's own origin, beside the worker in wasm/
  const wasmPaths = new URL("wasm/", self.location.href).href;
  // NOTE: the page is cross-origin isolated (COOP/COEP), so tfjs's threaded build can run. It is
  // opt-in (`?threads=2` or `?threads=auto`): for matrices this small both builds ran at 3-6
  // ms/step here, within the noise, and the threaded one starts 8 workers.
  const asked = new URLSearchParams(self.location.search).get("threads");
  const threads = asked === null || asked === "off" ? false : asked === "auto" ? "auto" : Number(asked);
  const backend = await init({ backend: "wasm", wasmPaths, threads });
  const info = backendInfo();
  if (info?.fallback !== undefined) console.warn(`shapeflow: ${info.fallback}`);
  post({ type: "ready", backend, wasmPaths, threads: info?.threads ?? 1, native: nativeStatus() });
}

function progress(steps: number, batchLoss: number, msPerStep: number): void {
  if (!trainer) return;
  const boundary = trainer.boundary(RESOLUTION);
  post(
    {
      type: "progress",
      run,
      step: trainer.stepCount,
      epoch: trainer.epochCount,
      batchLoss,
      steps,
      scores: trainer.evaluate(),
      msPerStep,
      boundary,
      resolution: RESOLUTION,
      running,
    },
    [boundary.buffer],
  );
}

/** Steps for about CHUNK_MS, then progress; yields to the event loop between chunks. */
function chunk(single = false): void {
  scheduled = false;
  if (!trainer || !(running || single)) return;
  const t0 = performance.now();
  let steps = 0;
  let lossSum = 0;
  do {
    lossSum += trainer.steps(1);
    steps++;
  } while (performance.now() - t0 < CHUNK_MS);
  const msPerStep = (performance.now() - t0) / steps;
  progress(steps, lossSum / steps, msPerStep);
  schedule();
}

function schedule(): void {
  if (!running || scheduled) return;
  scheduled = true;
  // NOTE: a macrotask, so pause/reset messages that arrived meanwhile run before the next chunk
  setTimeout(() => guarded(chunk), 0);
}

function handle(message: ToWorker): void {
  switch (message.type) {
    case "reset": {
      trainer?.dispose();
      trainer = undefined;
      run = message.run;
      trainer = new Trainer(message.config);
      const copy = (ds: Trainer["train"]) => ({ x: ds.x.data.slice(), y: ds.y.data.slice() });
      post({ type: "data", run, train: copy(trainer.train), test: copy(trainer.test) });
      progress(0, NaN, NaN);
      return;
    }
    case "play":
      running = true;
      schedule();
      return;
    case "pause":
      running = false;
      return;
    case "step":
      running = false;
      chunk(true);
      return;
  }
}

/** Runs `f`; an error stops training and goes to the page, which shows it. */
function guarded(f: () => void): void {
  try {
    f();
  } catch (error) {
    running = false;
    post({ type: "error", message: error instanceof Error ? error.message : String(error) });
  }
}

const started = start();
started.catch((error: unknown) => post({ type: "error", message: error instanceof Error ? error.message : String(error) }));
// messages wait for the backend (a failed start was reported above)
self.onmessage = (event) =>
  void started.then(
    () => guarded(() => handle(event.data)),
    () => undefined,
  );

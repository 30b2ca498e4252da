// The bench's "shapeflow-jit-2t": shapeflow's jitted train step on tfjs' threaded build (threads
// from SHAPEFLOW_THREADS, the thread gate at its default), in its own process because a process
// runs one WASM backend. Driven like the PyTorch workers: one JSON request a line on stdin
// ({ cmd: "setup" | "run" | "info", model, steps }), one JSON answer a line on stdout.
import { createInterface } from "node:readline";
import { backendInfo, init } from "../src/backend/index.js";
import { tree } from "../src/index.js";
import { loadDigits } from "./data.js";
import type { Impl } from "./harness.js";
import { makeBatches, shapeflowImpl } from "./impls.js";
import { MODELS, type ModelId } from "./models.js";

await init();
const digits = loadDigits();
const running = new Map<ModelId, { impl: Impl; dispose(): void }>();
const answer = (x: unknown) => process.stdout.write(JSON.stringify(x) + "\n");

for await (const line of createInterface({ input: process.stdin })) {
  const req = JSON.parse(line) as { cmd: string; model?: ModelId; steps?: number };
  try {
    if (req.cmd === "info") answer(backendInfo() ?? {});
    else if (req.cmd === "setup") {
      const spec = MODELS[req.model!];
      running.get(req.model!)?.dispose();
      const batches = makeBatches(spec, digits);
      const impl = shapeflowImpl(spec, batches, "jit");
      running.set(req.model!, {
        impl,
        dispose() {
          impl.dispose();
          tree.dispose(batches);
        },
      });
      answer(await impl.setup());
    } else if (req.cmd === "run") {
      const r = running.get(req.model!);
      if (r === undefined) throw new Error(`no setup for ${req.model}`);
      answer(await r.impl.run(req.steps ?? 1));
    } else throw new Error(`unknown command ${req.cmd}`);
  } catch (e) {
    answer({ error: e instanceof Error ? e.message : String(e) });
  }
}
for (const r of running.values()) r.dispose();

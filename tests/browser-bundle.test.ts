// The root entry "shapeflow" is browser-safe: esbuild bundles an app importing it for the
// browser with no aliases, externals or polyfills, and nothing Node-only (a node: built-in, a
// native package, an optional peer) is reachable from it. The bundle then trains XOR in a bare
// JS context without process, Buffer or setImmediate. shapeflow/plot bundles for browsers too.
import { runInNewContext } from "node:vm";
import { build } from "esbuild";
import { describe, expect, test } from "vitest";
import { OPTIONAL_PEERS } from "../src/peers/index.js";

const root = new URL("..", import.meta.url).pathname;

async function bundle(contents: string, format: "esm" | "iife" = "esm") {
  const result = await build({
    stdin: { contents, resolveDir: root, loader: "ts", sourcefile: "app.ts" },
    bundle: true,
    platform: "browser",
    format,
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  return { code: result.outputFiles[0].text, inputs: Object.keys(result.metafile.inputs), warnings: result.warnings };
}

/** Packages a bundle's inputs come from ("@scope/name" or "name"). */
function packagesOf(inputs: readonly string[]): Set<string> {
  const names = inputs.flatMap((path) => {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
    return m ? [m[1]] : [];
  });
  return new Set(names);
}

const app = `
import { init, nn, optim, losses, train, data, random } from "./src/index.ts";
export async function run(log: (line: string) => void) {
  await init({ backend: "cpu" });
  const table = data.xor();
  const model = nn.input(["batch", 2]).add(nn.dense(8)).add(nn.relu()).add(nn.dense(2));
  const result = await train.fit({
    model, params: model.init(random.key(1)), optimizer: optim.adam(0.05), loss: losses.sparseCategoricalCrossEntropy,
    train: table, epochs: 150, batchSize: 4, metrics: ["accuracy"],
    progress: { startEpoch() {}, step() {}, endEpoch: (summary) => log(summary), stop() {} },
  });
  // a checkpoint path needs Node's files: refused with a message, before any work
  const resumed = await train
    .fit({ model, params: result.params, optimizer: optim.adam(0.05), loss: losses.sparseCategoricalCrossEntropy,
      train: table, epochs: 200, batchSize: 4, resumeFrom: "runs/xor.safetensors" })
    .then(() => "resumed", (e: Error) => e.message);
  return { accuracy: result.history.accuracy.at(-1), resumed };
}
`;

/**
 * Runs an IIFE bundle in a fresh V8 context that has only what a Web Worker has (no process,
 * Buffer, setImmediate or require): tfjs-core detects a browser through WorkerGlobalScope.
 */
function runInWorkerLikeContext(code: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const context: Record<string, unknown> = {
    ...extra,
    console: { log() {}, info() {}, warn() {}, error() {} },
    setTimeout,
    clearTimeout,
    queueMicrotask,
    performance,
    TextEncoder,
    TextDecoder,
    URL,
    WorkerGlobalScope: function WorkerGlobalScope() {},
    importScripts() {},
  };
  context.self = context;
  runInNewContext(code, context);
  return context;
}

describe("browser bundle of the root entry", () => {
  test("bundles with no errors; no node: built-in, native package or optional peer among its inputs", async () => {
    const { inputs } = await bundle(app);
    expect(inputs.filter((path) => path.startsWith("node:") || /(^|\/)node_modules\/@resvg\//.test(path))).toEqual([]);
    const packages = packagesOf(inputs);
    for (const peer of Object.keys(OPTIONAL_PEERS)) expect(packages.has(peer), peer).toBe(false);
    expect(packages.has("@tensorflow/tfjs-core")).toBe(true);
    expect(inputs.some((path) => path.endsWith("src/node.ts") || /src\/\w+\/node\.ts$/.test(path))).toBe(false);
  });

  test("the bundle trains XOR (CPU backend) where there is no process, Buffer or setImmediate", async () => {
    const { code } = await bundle(`${app}\n(globalThis as { run?: unknown }).run = run;`, "iife");
    const context = runInWorkerLikeContext(code);
    expect(runInNewContext("[typeof process, typeof Buffer, typeof setImmediate, typeof require]", context)).toEqual([
      "undefined",
      "undefined",
      "undefined",
      "undefined",
    ]);
    const lines: string[] = [];
    const { accuracy, resumed } = await (context.run as (log: (line: string) => void) => Promise<{ accuracy: number; resumed: string }>)(
      (line) => void lines.push(line),
    );
    expect(accuracy).toBe(1);
    expect(resumed).toBe(
      "fit: resumeFrom runs/xor.safetensors: reading a checkpoint file needs Node's file system: import shapeflow/node " +
        "(its checkpoint, loadCheckpoint, ...) before fit, or pass what loadCheckpoint returns",
    );
    expect(lines).toHaveLength(150);
    expect(lines[0]).toMatch(/^loss \d\.\d{4} accuracy \d\.\d{4} \| [\d.]+ ms\/step$/);
  });
});

describe("WASM in a browser-like context", () => {
  test("a binary the page does not serve: the error names the URL tried (beside the script) and wasmPaths", async () => {
    const { code } = await bundle(
      `import { init } from "./src/index.ts";\n(globalThis as { start?: unknown }).start = () => init().then(String, (e: Error) => e.message);\n`,
      "iife",
    );
    const fetched: string[] = [];
    const context = runInWorkerLikeContext(code, {
      location: { href: "http://example.test/app/worker.js" },
      fetch: (url: string) => {
        fetched.push(String(url));
        return Promise.resolve(new Response("not found", { status: 404 }));
      },
    });
    const message = await (context.start as () => Promise<string>)();
    expect(fetched).toContain("http://example.test/app/tfjs-backend-wasm-simd.wasm");
    expect(message).toBe(
      "init: the wasm backend could not load tfjs-backend-wasm-simd.wasm from http://example.test/app/tfjs-backend-wasm-simd.wasm. " +
        'Serve the .wasm files of @tensorflow/tfjs-backend-wasm/dist/ and pass their folder: init({ wasmPaths: "/path/to/wasm/" }); ' +
        'or call init({ backend: "cpu" }) for the pure-JS fallback.',
    );
  });
});

describe("browser bundle of shapeflow/plot", () => {
  test("charts bundle for browsers too (vega and vega-lite are browser libraries), with nothing Node-only", async () => {
    const { inputs } = await bundle(
      `import { linePlot } from "./src/plot/index.ts";\nexport const draw = () => linePlot({ y: [1, 2, 3] });\n`,
    );
    expect(inputs.filter((path) => path.startsWith("node:") || /(^|\/)node_modules\/@resvg\//.test(path))).toEqual([]);
    expect(packagesOf(inputs).has("vega")).toBe(true);
  });
});

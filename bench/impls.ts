// The implementations the bench compares, each behind the harness' `Impl`: shapeflow's jitted
// train step (train.makeTrainStep, what fit runs), the same step eager, tfjs-layers'
// trainOnBatch (one step of its fit) on the same backend, and the PyTorch reference in a worker.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs-core";
import { valueAndGrad } from "../src/core/index.js";
import { updateAndApply } from "../src/optim/transform.js";
import { losses, optim, random, tensor, tree } from "../src/index.js";
import type { AnyTensor, Tensor } from "../src/tensor/index.js";
import { makeTrainStep } from "../src/train/index.js";
import type { Digits } from "./data.js";
import { timeLocal, type BlockTime, type Impl, type ImplName } from "./harness.js";
import type { BenchModel, ModelSpec } from "./models.js";

const HERE = dirname(fileURLToPath(import.meta.url));
/** Idle time after each worker block (not timed). */
const IDLE_AFTER_WORKER_MS = 100;
/** Batches cycled through, as bench_torch.py does. */
const NB = 8;

interface Batch {
  x: AnyTensor;
  y: AnyTensor;
}

export function makeBatches(spec: ModelSpec, d: Digits): Batch[] {
  const b = spec.batch;
  return Array.from({ length: NB }, (_, i) => ({
    x: tensor(d.x.subarray(i * b * 784, (i + 1) * b * 784), [b, ...spec.inShape]),
    y: tensor(d.y.subarray(i * b, (i + 1) * b), [b], "int32"),
  }));
}

/** Peak engine bytes of one call of `f` above the bytes before it. */
async function peakOf(f: () => Promise<unknown>): Promise<number> {
  const before = tf.memory().numBytes;
  const info = await tf.profile(async () => {
    await f();
  });
  return info.peakBytes - before;
}

interface StepResult {
  loss: AnyTensor;
  params: unknown;
  optState: unknown;
  state: unknown;
  out: AnyTensor;
  probe: AnyTensor;
}

/** shapeflow's train step, jitted (makeTrainStep) or the same body run eagerly. */
export function shapeflowImpl(spec: ModelSpec, batches: Batch[], mode: "jit" | "eager"): Impl & { graphEquations(): number } {
  const loss = losses.sparseCategoricalCrossEntropy as never;
  let model!: BenchModel;
  let params: unknown, state: unknown, optState: unknown;
  let key!: AnyTensor;
  let step!: (p: unknown, o: unknown, s: unknown, x: AnyTensor, y: AnyTensor, k: AnyTensor) => StepResult;
  let jitted: ReturnType<typeof makeTrainStep> | undefined;
  let it = 0;
  const opt = optim.adam(1e-3);
  const once = () => {
    const { x, y } = batches[it++ % NB];
    const r = step(params, optState, state, x, y, key);
    tree.dispose([params, optState, state]);
    ({ params, optState, state } = r);
    r.out.dispose();
    r.probe.dispose();
    // a training loop reads the loss every step (tfjs-layers' trainOnBatch does)
    const l = r.loss.concrete().dataSync()[0];
    r.loss.dispose();
    return l;
  };
  return {
    name: `shapeflow-${mode}` as ImplName,
    async setup() {
      model = spec.build();
      key = random.key(0);
      params = model.init(key);
      state = model.initState();
      optState = opt.init(params as never);
      if (mode === "jit") {
        jitted = makeTrainStep(model as never, loss, opt);
        step = jitted as unknown as typeof step;
      } else {
        step = eagerStep(model, loss, opt);
      }
      const t0 = performance.now();
      once();
      const firstMs = performance.now() - t0;
      once();
      once();
      return { firstMs };
    },
    run: (n) => timeLocal(n, once),
    peakBytes: () => peakOf(async () => once()),
    graphEquations: () => jitted?.lastGraph?.eqns.length ?? 0,
    dispose() {
      jitted?.dispose();
      tree.dispose([params, optState, state, key]);
    },
  };
}

/** makeTrainStep's body without jit: every op dispatched eagerly, intermediates freed by a scope. */
function eagerStep(model: BenchModel, loss: (out: AnyTensor, y: AnyTensor) => Tensor<[]>, opt: optim.GradientTransformation) {
  return (params: unknown, optState: unknown, state: unknown, x: AnyTensor, y: AnyTensor, key: AnyTensor): StepResult => {
    const engine = tf.engine();
    engine.startScope();
    let r: StepResult | undefined;
    try {
      const objective = (p: unknown): [Tensor<[]>, { out: AnyTensor; state: unknown }] => {
        const [out, newState] = model.applyWithState(p, x, { state, training: true, key }) as [AnyTensor, unknown];
        return [loss(out, y), { out, state: newState }];
      };
      const [[l, aux], grads] = valueAndGrad(objective, { hasAux: true })(params);
      // as makeTrainStep: the update applied in the optimizer's kernel, the probe summed there
      const [next, nextOpt, probe] = updateAndApply(opt, grads, optState, params, l) as [unknown, unknown, AnyTensor];
      r = { loss: l, params: next, optState: nextOpt, state: aux.state, out: aux.out, probe };
      return r;
    } finally {
      engine.endScope(r === undefined ? [] : tree.leaves(r).map((t) => t.concrete()));
    }
  };
}

/** tfjs-layers: the same network compiled with Adam 1e-3 and sparse categorical cross-entropy; trainOnBatch per step. */
export function tfjsLayersImpl(spec: ModelSpec, batches: Batch[]): Impl {
  let km: ReturnType<ModelSpec["keras"]> | undefined;
  let labels: tf.Tensor[] = [];
  let it = 0;
  const once = async () => {
    const b = batches[it % NB];
    const l = await km!.trainOnBatch(b.x.concrete(), labels[it++ % NB]);
    return l;
  };
  return {
    name: "tfjs-layers",
    async setup() {
      km = spec.keras();
      km.compile({ optimizer: tf.train.adam(1e-3), loss: "sparseCategoricalCrossentropy" });
      labels = batches.map((b) => tf.tidy(() => tf.reshape(tf.cast(b.y.concrete(), "float32"), [spec.batch, 1])));
      const t0 = performance.now();
      await once();
      const firstMs = performance.now() - t0;
      await once();
      await once();
      return { firstMs };
    },
    run: (n) => timeLocal(n, once),
    peakBytes: () => peakOf(once),
    dispose() {
      // NOTE: the model does not own its optimizer (Adam keeps two power accumulators)
      km?.optimizer.dispose();
      km?.dispose();
      tf.dispose(labels);
    },
  };
}

/**
 * A worker process driven by JSON lines (`setup`, `run`, `info`): the PyTorch reference
 * (bench/torch_worker.py) with 1 or 2 threads, or shapeflow's jitted step on tfjs' threaded
 * build (bench/threaded-worker.ts), which cannot share this process's single-threaded backend.
 */
export class BenchWorker {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly pending: ((line: string) => void)[] = [];
  private stderr = "";
  constructor(
    readonly name: ImplName,
    command: string,
    args: string[],
    env: NodeJS.ProcessEnv,
  ) {
    this.proc = spawn(command, args, { env });
    createInterface({ input: this.proc.stdout }).on("line", (line) => this.pending.shift()?.(line));
    this.proc.stderr.on("data", (d: Buffer) => (this.stderr += d.toString()));
    this.proc.on("exit", () => {
      for (const p of this.pending.splice(0)) p(JSON.stringify({ error: `worker exited: ${this.stderr.slice(-500)}` }));
    });
  }

  /** The PyTorch reference with `threads` threads (as ../shared/peers runs it, or with glibc's malloc tuned). */
  static torch(threads: 1 | 2, peersSrc: string, peersDir: string, tunedMalloc = false): BenchWorker {
    const env = {
      ...process.env,
      PEERS_SRC: peersSrc,
      PEERS_DIR: peersDir,
      OMP_NUM_THREADS: String(threads),
      OPENBLAS_NUM_THREADS: String(threads),
      // NOTE: with Debian's default glibc malloc, PyTorch's step is mostly page faults: tensors of
      // 400 KB and more come from mmap and go back with munmap every step (M2 10.7-13.4 ms, and M1
      // 3.2-5.6 ms as a run's first model, 1.4 ms after another). `tunedMalloc` fixes the thresholds,
      // as a tuned install (or jemalloc/tcmalloc) would: M1 1.4-1.7, M2 5.8, M3 27, M4 7.2 ms.
      ...(tunedMalloc && { MALLOC_MMAP_THRESHOLD_: String(32 * 2 ** 20), MALLOC_TRIM_THRESHOLD_: String(64 * 2 ** 20) }),
      // the OpenMP OpenBLAS build (../shared/peers/README.md: the pthread build oversubscribes)
      LD_LIBRARY_PATH: ["/usr/lib/x86_64-linux-gnu/openblas-openmp", process.env.LD_LIBRARY_PATH].filter(Boolean).join(":"),
    };
    return new BenchWorker(
      `pytorch-${threads}t`,
      process.env.BENCH_PYTHON ?? "/usr/bin/python3",
      [join(HERE, "torch_worker.py"), String(threads)],
      env,
    );
  }

  /** shapeflow jit on tfjs' threaded build with 2 threads (the thread gate at its default). */
  static threaded(): BenchWorker {
    const env = { ...process.env, SHAPEFLOW_THREADS: "2" };
    return new BenchWorker("shapeflow-jit-2t", process.execPath, ["--import", "tsx", join(HERE, "threaded-worker.ts")], env);
  }

  request<T>(req: object): Promise<T> {
    return new Promise((resolve, reject) => {
      this.pending.push((line) => {
        const r = JSON.parse(line) as T & { error?: string };
        if (r.error !== undefined) reject(new Error(`${this.name}: ${r.error}`));
        else resolve(r);
      });
      this.proc.stdin.write(JSON.stringify(req) + "\n");
    });
  }

  impl(spec: ModelSpec): Impl {
    return {
      name: this.name,
      setup: () => this.request<{ firstMs: number }>({ cmd: "setup", model: spec.id }),
      run: async (steps) => {
        const t = await this.request<BlockTime>({ cmd: "run", model: spec.id, steps });
        // NOTE: let the worker's threads stop spinning before the next implementation runs
        // (with 2 threads they otherwise keep a core busy into the next block)
        await new Promise((resolve) => setTimeout(resolve, IDLE_AFTER_WORKER_MS));
        return t;
      },
      dispose() {},
    };
  }

  close(): void {
    this.proc.stdin.end();
  }
}

/** Whether /usr/bin/python3 (or $BENCH_PYTHON) can import torch. */
export async function torchAvailable(): Promise<string | undefined> {
  return new Promise((resolve) => {
    const p = spawn(process.env.BENCH_PYTHON ?? "/usr/bin/python3", ["-c", "import torch, numpy; print(torch.__version__)"]);
    let out = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.on("error", () => resolve(undefined));
    p.on("exit", (code) => resolve(code === 0 ? out.trim() : undefined));
  });
}

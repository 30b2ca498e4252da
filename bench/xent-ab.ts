// `npx tsx bench/xent-ab.ts [M1|M2|M3|M4] [rounds]`: a model's jitted training step (Adam) with
// `losses.sparseCategoricalCrossEntropy` on its native kernels (src/core/native/xent.c: the loss and
// its gradient one kernel each) against the same step with the loss as it was written before them
// (the label check, logSoftmax, a one-hot product and the mean: 35 tfjs kernels with the gradient),
// every other native kernel (Adam's) on in both. In one process, alternating blocks of 4 steps (the
// order flips every round); CPU (process.cpuUsage) and wall ms per step, fastest and median, and each
// plan's kernel calls (also with every native kernel off, for the composites' counts).
// AB_MODE=eager: the eager steps. AB_MODE=loss `npx tsx bench/xent-ab.ts 128x10 [rounds]`: the loss
// and its gradient alone (jit(valueAndGrad(loss)) on logits [B, C] and labels [B]), blocks of 20 calls.
import { losses, optim, random, tree } from "../src/index.js";
import * as tf from "@tensorflow/tfjs-core";
import {
  valueAndGrad,
  jit,
  check,
  equal,
  maximum,
  minimum,
  mul,
  neg,
  oneHot,
  sum,
  div,
  setNativeKernels,
  withNativeKernels,
} from "../src/core/index.js";
import { logSoftmax } from "../src/ops/index.js";
import { tensor, type AnyTensor, type Tensor } from "../src/tensor/index.js";
import { makeTrainStep } from "../src/train/index.js";
import { loadDigits } from "./data.js";
import { makeBatches } from "./impls.js";
import { MODELS, type ModelId } from "./models.js";
import { init } from "../src/backend/index.js";

await init();
const mode = process.env.AB_MODE ?? "jit";
const eager = mode === "eager";
const lossOnly = mode === "loss";
const id = (process.argv[2] ?? (lossOnly ? "128x10" : "M1")) as ModelId;
const rounds = Number(process.argv[3] ?? 20);
const spec = MODELS[lossOnly ? "M1" : id];
const batches = lossOnly ? [] : makeBatches(spec, loadDigits());

/** makeTrainStep's body without jit (as bench/impls.ts's eager step): every op dispatched, intermediates freed by a scope. */
function eagerStep(
  model: ReturnType<typeof spec.build>,
  loss: (out: AnyTensor, y: AnyTensor) => Tensor<[]>,
  opt: optim.GradientTransformation,
) {
  return (params: unknown, optState: unknown, state: unknown, x: AnyTensor, y: AnyTensor, key: AnyTensor) => {
    const engine = tf.engine();
    engine.startScope();
    let r: { loss: AnyTensor; params: unknown; optState: unknown; state: unknown; out: AnyTensor; probe: AnyTensor } | undefined;
    try {
      const objective = (p: unknown): [Tensor<[]>, { out: AnyTensor; state: unknown }] => {
        const [out, newState] = model.applyWithState(p, x, { state, training: true, key }) as [AnyTensor, unknown];
        return [loss(out, y), { out, state: newState }];
      };
      const [[l, aux], grads] = valueAndGrad(objective, { hasAux: true })(params);
      const [updates, nextOpt] = opt.update(grads as never, optState, params as never);
      const next = optim.applyUpdates(params, updates);
      r = { loss: l, params: next, optState: nextOpt, state: aux.state, out: aux.out, probe: l };
      return r;
    } finally {
      engine.endScope(r === undefined ? [] : tree.leaves(r).map((t) => t.concrete()));
    }
  };
}

/** The loss before the kernels (src/losses/classification.ts at aad01ab), for [B, K] logits and the mean. */
function former(logits: AnyTensor, labels: AnyTensor): Tensor<[]> {
  const classes = logits.shape[1];
  const inRange = equal(labels, minimum(maximum(labels, 0), classes - 1));
  const checked = check(labels, inRange, {
    op: "sparseCategoricalCrossEntropy",
    message: `label {value} at index {index} is out of range for ${classes} classes (expected 0..${classes - 1})`,
    expected: `labels in 0..${classes - 1}`,
  });
  const logP = logSoftmax(logits as Tensor<number[]>) as AnyTensor;
  const rows = sum(neg(mul(oneHot(checked, classes, { check: false }), logP)), -1);
  return div(sum(rows), logits.shape[0]) as Tensor<[]>;
}

/** The loss and its gradient alone, jitted, on logits [B, C] and labels [B] (`id` is "BxC"); a block is 20 calls. */
function lossVariant(loss: unknown) {
  const [b, c] = id.split("x").map(Number);
  const x = tensor(
    Float32Array.from({ length: b * c }, (_, i) => Math.sin(i) * 3),
    [b, c],
  );
  const l = tensor(
    Int32Array.from({ length: b }, (_, i) => (i * 7) % c),
    [b],
    "int32",
  );
  // (the labels an argument, as in a training step: a constant's one-hot would be folded into the plan)
  const f = loss as (v: AnyTensor, lab: AnyTensor) => Tensor<[]>;
  const j = jit((v: AnyTensor, lab: AnyTensor) => valueAndGrad((u: AnyTensor) => f(u, lab))(v));
  for (let i = 0; i < 3; i++) tree.dispose(j(x, l));
  return {
    kernelCalls: j.lastPlan?.stats.kernelCalls ?? 0,
    run(n: number) {
      for (let i = 0; i < 5 * n; i++) tree.dispose(j(x, l));
    },
    dispose() {
      j.dispose();
      tree.dispose([x, l]);
    },
  };
}

function variant(loss: unknown) {
  if (lossOnly) return lossVariant(loss);
  const model = spec.build();
  const opt = optim.adam(1e-3);
  const key = random.key(0);
  let params = model.init(key);
  let state = model.initState();
  let optState: unknown = opt.init(params as never);
  const jitted = eager ? undefined : makeTrainStep(model as never, loss as never, opt);
  const step = jitted ?? eagerStep(model, loss as (out: AnyTensor, y: AnyTensor) => Tensor<[]>, opt);
  let it = 0;
  const once = () => {
    const { x, y } = batches[it++ % batches.length];
    const r = step(params, optState, state, x, y, key);
    tree.dispose([params, optState, state, r.out, r.probe === r.loss ? undefined : r.probe]);
    ({ params, optState, state } = r as { params: unknown; optState: unknown; state: unknown });
    const l = r.loss.concrete().dataSync()[0];
    r.loss.dispose();
    return l;
  };
  for (let i = 0; i < 3; i++) once();
  return {
    kernelCalls: jitted?.lastPlan?.stats.kernelCalls ?? 0,
    run(n: number) {
      for (let i = 0; i < n; i++) once();
    },
    dispose() {
      jitted?.dispose();
      tree.dispose([params, optState, state, key]);
    },
  };
}

const losses_ = [
  ["xent kernels", losses.sparseCategoricalCrossEntropy],
  ["former loss", former],
] as const;
for (const [name, loss] of losses_) {
  const off = withNativeKernels(false, () => variant(loss));
  console.log(`${id} ${name}: ${off.kernelCalls} kernel calls a step with every native kernel off`);
  off.dispose();
}
const impls = losses_.map(([name, loss]) => [name, variant(loss)] as const);
for (const [name, v] of impls) console.log(`${id} ${name}: ${v.kernelCalls} kernel calls a step`);
const [perBlock, unit, digits] = lossOnly ? [20, "call", 3] : [4, "step", 2];
const cpu = new Map<string, number[]>(impls.map(([n]) => [n, []]));
const wall = new Map<string, number[]>(impls.map(([n]) => [n, []]));
for (let r = 0; r < rounds; r++) {
  for (const [name, v] of r % 2 === 0 ? impls : [...impls].reverse()) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    v.run(4);
    const c = process.cpuUsage(c0);
    wall.get(name)?.push((performance.now() - t0) / perBlock);
    cpu.get(name)?.push((c.user + c.system) / (1000 * perBlock));
  }
}
setNativeKernels(true);
const med = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const series = (m: Map<string, number[]>, n: string) => m.get(n) ?? [];
for (const [name] of impls) {
  const c = series(cpu, name);
  const w = series(wall, name);
  console.log(
    `${id} ${name}: CPU ms/${unit} fastest ${Math.min(...c).toFixed(digits)} median ${med(c).toFixed(digits)}; wall fastest ${Math.min(...w).toFixed(digits)} median ${med(w).toFixed(digits)}`,
  );
}
const ratio = (m: Map<string, number[]>, f: (v: number[]) => number) =>
  (f(series(m, "former loss")) / f(series(m, "xent kernels"))).toFixed(3);
console.log(
  `${id} former / kernels: CPU fastest ${ratio(cpu, (v) => Math.min(...v))}x, median ${ratio(cpu, med)}x; wall median ${ratio(wall, med)}x`,
);
for (const [, v] of impls) v.dispose();

import { init, nn, optim, losses, data, random, jit, valueAndGrad, tree } from "../src/index.js";
import { toTensor } from "../src/train/index.js";
import * as tf from "@tensorflow/tfjs-core";
await init();
const all = data.loadMnist({ limit: 64 });
const model = nn.input(["batch", 28, 28, 1])
  .add(nn.conv2d({ filters: 32, kernel: 3, padding: "same" })).add(nn.relu).add(nn.maxPool2d(2)).add(nn.batchNorm())
  .add(nn.conv2d({ filters: 64, kernel: 3, padding: "same" })).add(nn.relu).add(nn.maxPool2d(2)).add(nn.batchNorm())
  .add(nn.flatten()).add(nn.dropout(0.25)).add(nn.dense(128)).add(nn.relu).add(nn.dropout(0.5)).add(nn.dense(10));
const params = model.init(random.key(0));
const state = model.initState();
const opt = optim.adam(1e-3);
const os = opt.init(params);
const x = toTensor(all.x), y = toTensor(all.y);
const key = random.key(1);
const step = jit((p: any, o: any, st: any, x: any, y: any, k: any) => {
  const [[l, aux], g] = valueAndGrad((pp: any) => { const [out, ns] = model.applyWithState(pp, st, x, { training: true, key: k }); return [losses.sparseCategoricalCrossEntropy(out, y), ns]; }, { hasAux: true })(p);
  const [u, no] = opt.update(g, o, p);
  return [l, optim.applyUpdates(p, u), no, aux];
});
tree.dispose(step(params, os, state, x, y, key));
const g = step.lastGraph!;
const vals: any[] = [];
const inputs = tree.leaves([params, os, state, x, y, key]).map((t: any) => t.concrete());
for (let i = 0; i < inputs.length; i++) vals[i] = inputs[i];
for (let i = 0; i < g.consts.length; i++) vals[g.nInputs + i] = g.consts[i];
const times = new Map<string, number>();
for (let rep = 0; rep < 2; rep++) {
for (const e of g.eqns) {
  const args = e.inputs.map((s) => vals[s]);
  const t0 = performance.now();
  const out = e.prim.impl(args, e.params);
  out.dataSync();
  const dt = performance.now() - t0;
  const key = `${e.prim.name} ${JSON.stringify(args.map((a: any) => a.shape))}`.slice(0, 150);
  if (rep === 1) times.set(key, (times.get(key) ?? 0) + dt);
  vals[e.out] = out;
}
}
const sorted = [...times.entries()].sort((a, b) => b[1] - a[1]);
let total = 0; for (const [, v] of sorted) total += v;
console.log("total ms", total.toFixed(0), "eqns", g.eqns.length);
for (const [k, v] of sorted.slice(0, 25)) console.log(v.toFixed(1).padStart(8), k);

// `npx tsx bench/check-ab.ts [rounds]`: the cost of a training step's two checks (the label-range check
// on [128] labels and the divergence probe's finite check on a scalar) in a jitted function called as
// fit calls its step (collectChecks, then one read with the loss), checks decided on the host
// (core/checkify.ts) against device flags (setHostChecks(false)); CPU µs per call (process.cpuUsage),
// the two alternated in one process, medians over rounds, minus the same function without checks.
import { loadavg } from "node:os";
import { init } from "../src/backend/index.js";
import { check, collectChecks, finiteMask, jit, less, setHostChecks, sum } from "../src/core/index.js";
import { tensor, type AnyTensor } from "../src/tensor/index.js";
import * as tree from "../src/tree/index.js";

await init();
const rounds = Number(process.argv[2] ?? 30);
const labels = tensor(
  Int32Array.from({ length: 128 }, (_, i) => i % 10),
  [128],
  "int32",
);
const x = tensor(
  Array.from({ length: 128 * 10 }, (_, i) => Math.sin(i)),
  [128, 10],
);
const body = (checked: boolean) => (l: AnyTensor, z: AnyTensor) => {
  const y = checked ? check(l, less(l, 10), { op: "loss", message: "label {value} out of range", expected: "0..9" }) : l;
  const s = sum(z);
  const p = checked ? check(s, finiteMask(s), { op: "divergence", message: "non-finite", expected: "finite" }) : s;
  return [y, p];
};
const fns = { host: jit(body(true)), device: jit(body(true)), none: jit(body(false)) };
const call = (name: keyof typeof fns) => {
  const [outs, pending] = collectChecks(() => fns[name](labels, x));
  pending.read([outs[1]]);
  tree.dispose(outs);
};
const setFor = (name: string) => setHostChecks(name !== "device");
const times = new Map<string, number[]>(Object.keys(fns).map((k) => [k, []]));
for (const name of Object.keys(fns) as (keyof typeof fns)[])
  for (let i = 0; i < 20; i++) {
    setFor(name);
    call(name);
  }
for (let r = 0; r < rounds; r++) {
  const order = (Object.keys(fns) as (keyof typeof fns)[]).slice();
  if (r % 2) order.reverse();
  for (const name of order) {
    setFor(name);
    const c0 = process.cpuUsage();
    for (let i = 0; i < 50; i++) call(name);
    const c = process.cpuUsage(c0);
    times.get(name)?.push((c.user + c.system) / 50);
  }
}
setHostChecks(true);
const med = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
const none = med(times.get("none") ?? []);
for (const [name, t] of times)
  console.log(`${name}: ${med(t).toFixed(1)} µs per call${name === "none" ? "" : `, the checks ${(med(t) - none).toFixed(1)} µs`}`);
console.log(
  `load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);

// `npx tsx bench/fused-cache-ab.ts [M1,M2,M4] [rounds]`: the models' eager training steps with the
// fused ops' trace cache on and off (setFusedCache; src/core/fused.ts), alternating blocks of 4
// steps in one process (the order flips every round), CPU and wall ms per step, fastest and median,
// and how many composites each variant traces per step. AB_MODE=jit: the CPU time of the first
// call (trace, lowering, first run) of a fresh jitted step each round instead, the cache emptied
// before each (AB_WARM=1: kept, as for a model jitted again).
import { init } from "../src/backend/index.js";
import { fusedTraceCount, setFusedCache, clearFusedCache } from "../src/core/index.js";
import { losses, optim, random, tree } from "../src/index.js";
import { makeTrainStep } from "../src/train/index.js";
import { loadDigits } from "./data.js";
import { makeBatches } from "./impls.js";
import { compareSwitch, loadNow } from "./ab.js";
import { MODELS, type ModelId } from "./models.js";

await init();
console.log(loadNow());
const med = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)];
const ids = (process.argv[2] ?? "M1,M2,M4").split(",") as ModelId[];
const rounds = Number(process.argv[3] ?? 12);
const mode = process.env.AB_MODE === "jit" ? "jit" : "eager";
const digits = loadDigits();
const variants = [
  ["cache", true],
  ["no-cache", false],
] as const;
for (const id of ids) {
  const spec = MODELS[id];
  const batches = makeBatches(spec, digits);
  const cpu = new Map<string, number[]>(variants.map(([n]) => [n, []]));
  const wall = new Map<string, number[]>(variants.map(([n]) => [n, []]));
  if (mode === "jit") {
    // first calls (trace, lowering, first run) of a fresh jitted step
    const model = spec.build();
    const key = random.key(0);
    const params = model.init(key);
    const state = model.initState();
    const opt = optim.adam(1e-3);
    const optState = opt.init(params as never);
    const { x, y } = batches[0];
    for (let r = 0; r < rounds; r++) {
      for (const [name, on] of r % 2 === 0 ? variants : [...variants].reverse()) {
        const was = setFusedCache(on);
        if (process.env.AB_WARM !== "1") clearFusedCache();
        const step = makeTrainStep(model as never, losses.sparseCategoricalCrossEntropy as never, opt) as unknown as (
          ...a: unknown[]
        ) => unknown;
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        const out = step(params, optState, state, x, y, key);
        const c = process.cpuUsage(c0);
        wall.get(name)?.push(performance.now() - t0);
        cpu.get(name)?.push((c.user + c.system) / 1000);
        tree.dispose(out);
        (step as unknown as { dispose(): void }).dispose();
        setFusedCache(was);
      }
    }
    const paired = cpu.get("no-cache")!.map((v, r) => v / cpu.get("cache")![r]);
    for (const [name] of variants)
      console.log(
        `${id} jit first call ${name}: CPU ms fastest ${Math.min(...cpu.get(name)!).toFixed(1)} median ${med(cpu.get(name)!).toFixed(1)}; wall fastest ${Math.min(...wall.get(name)!).toFixed(1)} median ${med(wall.get(name)!).toFixed(1)}`,
      );
    console.log(`${id} jit first call no-cache / cache: CPU paired median ${med(paired).toFixed(2)}x; ${loadNow()}`);
    tree.dispose([params, optState, state, key]);
    continue;
  }
  await compareSwitch(
    spec,
    digits,
    { set: setFusedCache, names: ["cache", "no-cache"], mode, count: fusedTraceCount, counted: "composites traced" },
    { rounds },
  );
}
process.exit(0);

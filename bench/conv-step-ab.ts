// The upper bound of fusing the conv layers' bias (and relu) into the native forward convolution:
// M3's jitted train step as it is against M3 without the conv layers' bias (AB_MODE=bias) or
// without their relu (AB_MODE=relu), in one process, alternating (bench/ab.ts); CPU ms medians.
// `npx tsx bench/conv-bias-ab.ts [rounds]`
import { nn } from "../src/index.js";
import { setConvForwardWide } from "../src/core/index.js";
import { init } from "../src/backend/index.js";
import { compareSteps } from "./ab.js";
import { makeBatches, shapeflowImpl } from "./impls.js";
import { loadDigits } from "./data.js";
import { MODELS, type ModelSpec } from "./models.js";

await init();
const mode = process.env.AB_MODE ?? "wide";
const rounds = Number(process.argv[2] ?? 30);
const useBias = mode !== "bias";
const variant: ModelSpec = {
  ...MODELS.M3,
  build: () => {
    const c1 = nn.input(["batch", 28, 28, 1]).add(nn.conv2d({ filters: 32, kernel: 3, padding: "same", useBias }));
    const c2 = (mode === "relu" ? c1 : c1.add(nn.relu()))
      .add(nn.maxPool2d(2))
      .add(nn.conv2d({ filters: 64, kernel: 3, padding: "same", useBias }));
    return (mode === "relu" ? c2 : c2.add(nn.relu()))
      .add(nn.maxPool2d(2))
      .add(nn.flatten())
      .add(nn.dense(128))
      .add(nn.relu())
      .add(nn.dense(10));
  },
};
if (mode === "wide") {
  const med = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  const impl = shapeflowImpl(MODELS.M3, makeBatches(MODELS.M3, loadDigits()), "jit");
  await impl.setup();
  const cpu = { wide: [] as number[], narrow: [] as number[] };
  for (let r = 0; r < rounds; r++)
    for (const wide of r % 2 === 0 ? [true, false] : [false, true]) {
      const was = setConvForwardWide(wide);
      const c0 = process.cpuUsage();
      await impl.run(4);
      const c = process.cpuUsage(c0);
      setConvForwardWide(was);
      cpu[wide ? "wide" : "narrow"].push((c.user + c.system) / 4000);
    }
  const [w, n] = [med(cpu.wide), med(cpu.narrow)];
  console.log(
    `M3 jit, CPU ms/step median of ${rounds}: 16-channel tiles ${w.toFixed(1)}, 8-channel ${n.toFixed(1)}, ratio ${(w / n).toFixed(3)}`,
  );
  console.log(`fastest: 16-channel ${Math.min(...cpu.wide).toFixed(1)}, 8-channel ${Math.min(...cpu.narrow).toFixed(1)}`);
  impl.dispose();
} else
  await compareSteps(
    [
      ["M3", MODELS.M3],
      [`M3 without conv ${mode}`, variant],
    ],
    loadDigits(),
    rounds,
    mode,
  );

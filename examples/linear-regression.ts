// Linear regression by gradient descent (course lecture 003): y = w x + b fitted to noisy points
// by full-batch gradient descent on the mean squared error. The gradient comes from
// `valueAndGrad`, the update is written out by hand, and `jit` traces the step once.
//   npm run example:linear-regression          QUICK=1 npm run example:linear-regression
import { init, data, losses, jit, valueAndGrad, add, mul, sub, scalar, type Tensor } from "../src/index.js";
import * as plot from "../src/plot/index.js";
import { savePlot } from "../src/node.js";
import { toTensor } from "../src/train/index.js";
import { header, quick, stopwatch } from "./common.js";

await init();
header("Linear regression by gradient descent");
const elapsed = stopwatch();
const truth = { slope: 2, intercept: -1 };
const ds = data.regressionLine({ n: 200, ...truth, noise: 0.1, seed: 0 });
const x = toTensor(ds.x) as Tensor<[number, 1]>;
const y = toTensor(ds.y) as Tensor<[number, 1]>;

type Params = { w: Tensor<[]>; b: Tensor<[]> };
const loss = (p: Params, xs: Tensor<[number, 1]>, ys: Tensor<[number, 1]>) => losses.mse(add(mul(xs, p.w), p.b), ys);
const lr = 0.5;
// one step: loss and gradient, then p - lr * grad
const step = jit((p: Params, xs: Tensor<[number, 1]>, ys: Tensor<[number, 1]>) => {
  const [l, g] = valueAndGrad(loss)(p, xs, ys);
  return { loss: l, params: { w: sub(p.w, mul(g.w, lr)), b: sub(p.b, mul(g.b, lr)) } };
});

let params: Params = { w: scalar(0), b: scalar(0) };
const steps = quick ? 60 : 200;
const curve: number[] = [];
for (let i = 1; i <= steps; i++) {
  const r = step(params, x, y);
  curve.push(r.loss.item());
  r.loss.dispose();
  params.w.dispose();
  params.b.dispose();
  params = r.params;
  if (i % (steps / 10) === 0)
    console.log(`step ${i}/${steps} loss ${curve[i - 1].toFixed(5)} w ${params.w.item().toFixed(4)} b ${params.b.item().toFixed(4)}`);
}
const w = params.w.item(),
  b = params.b.item();
// the least-squares optimum, for comparison (closed form on the host)
let mx = 0,
  my = 0;
for (let i = 0; i < 200; i++) {
  mx += ds.x.data[i] / 200;
  my += ds.y.data[i] / 200;
}
let sxy = 0,
  sxx = 0;
for (let i = 0; i < 200; i++) {
  sxy += (ds.x.data[i] - mx) * (ds.y.data[i] - my);
  sxx += (ds.x.data[i] - mx) ** 2;
}
const olsW = sxy / sxx,
  olsB = my - olsW * mx;
console.log(`least squares (closed form): slope ${olsW.toFixed(4)}, intercept ${olsB.toFixed(4)}`);
console.log(
  `linear regression: slope ${w.toFixed(4)} (true ${truth.slope}), intercept ${b.toFixed(4)} (true ${truth.intercept}), final mse ${curve[curve.length - 1].toFixed(5)}, ${steps} steps, ${elapsed()}`,
);

const figure = await plot.linePlot(
  { mse: curve },
  { title: "Linear regression: training loss", xTitle: "step", yTitle: "mean squared error", yScale: "log" },
);
const files = await savePlot(figure, "out/linear-regression-loss");
console.log(`loss curve: ${files.pngPath}`);
step.dispose();
for (const t of [x, y, params.w, params.b]) t.dispose();

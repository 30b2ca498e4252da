// Fitting an epidemic's parameters by gradient descent through an ODE solver (course lecture 004).
// SIR model: dS/dt = -β S I / N, dI/dt = β S I / N - γ I, dR/dt = γ I. The "observed" curves
// come from data.sirEpidemic (float64 RK4, 10 steps a day) with β = 0.3, γ = 0.1. Our model
// integrates the same ODE with RK4 (one step a day) written with shapeflow ops, so the loss
// (squared error of the I and R fractions over the days) is differentiable in β and γ: Adam on
// (log β, log γ) recovers them from a wrong start. jit traces the unrolled solver once.
//   npm run example:sir          QUICK=1 npm run example:sir
import {
  data,
  optim,
  tree,
  jit,
  valueAndGrad,
  add,
  sub,
  mul,
  exp,
  stack,
  mean,
  square,
  scalar,
  tensor,
  type Tensor,
} from "../src/index.js";
import * as plot from "../src/plot/index.js";
import { savePlot } from "../src/node.js";
import { setUp, quick } from "./common.js";

const elapsed = await setUp("SIR epidemic: fitting beta and gamma through an RK4 solver");
const truth = { beta: 0.3, gamma: 0.1 };
const population = 1000,
  i0 = 5;
const days = quick ? 30 : 80;
const observed = data.sirEpidemic({ ...truth, days, population, i0 });
const column = (c: number) => Float32Array.from({ length: days + 1 }, (_, d) => observed.data[3 * d + c] / population);
const target = tensor(Float32Array.from([...column(1), ...column(2)]), [2, days + 1]); // I and R fractions

type Params = { logBeta: Tensor<[]>; logGamma: Tensor<[]> };
type Scalar = Tensor<[]>;

/** I and R fractions for days 0..days, by RK4 with a step of one day on fractions s, i (r = 1 - s - i). */
function simulate(p: Params): Tensor<[2, number]> {
  const beta = exp(p.logBeta),
    gamma = exp(p.logGamma);
  // derivative of (s, i): infections β s i, recoveries γ i
  const rates = (s: Scalar, i: Scalar): [Scalar, Scalar] => {
    const infections = mul(mul(beta, s), i);
    return [infections, mul(gamma, i)];
  };
  let s: Scalar = scalar(1 - i0 / population),
    i: Scalar = scalar(i0 / population),
    r: Scalar = scalar(0);
  const is: Scalar[] = [i],
    rs: Scalar[] = [r];
  for (let d = 1; d <= days; d++) {
    const [a1, b1] = rates(s, i);
    const [a2, b2] = rates(sub(s, mul(a1, 0.5)), add(i, mul(sub(a1, b1), 0.5)));
    const [a3, b3] = rates(sub(s, mul(a2, 0.5)), add(i, mul(sub(a2, b2), 0.5)));
    const [a4, b4] = rates(sub(s, a3), add(i, sub(a3, b3)));
    // weighted means of the stage rates: (k1 + 2 k2 + 2 k3 + k4) / 6
    const infections = mul(add(add(a1, a4), mul(add(a2, a3), 2)), 1 / 6);
    const recoveries = mul(add(add(b1, b4), mul(add(b2, b3), 2)), 1 / 6);
    s = sub(s, infections);
    i = add(i, sub(infections, recoveries));
    r = add(r, recoveries);
    is.push(i);
    rs.push(r);
  }
  return stack([stack(is), stack(rs)]) as unknown as Tensor<[2, number]>;
}

const loss = (p: Params, y: Tensor<[2, number]>) => mean(square(sub(simulate(p), y)));
// Adam with a cosine-decayed step size: large steps cross the valley, small ones settle in it
const steps = quick ? 150 : 300;
const optimizer = optim.adam(optim.cosineDecay({ init: 0.1, decaySteps: steps, alpha: 0.01 }));
const step = jit((p: Params, state: unknown, y: Tensor<[2, number]>) => {
  const [l, g] = valueAndGrad(loss)(p, y);
  const [params, next] = optim.applyGradients(optimizer, g, state as never, p);
  return { loss: l, params, state: next };
});

// a wrong start: β = 0.6, γ = 0.2 (twice the true values)
let params: Params = { logBeta: scalar(Math.log(0.6)), logGamma: scalar(Math.log(0.2)) };
let optState: unknown = optimizer.init(params);
const start = simulate(params);
const initial = start.dataSync().slice(0, days + 1); // the I curve of the first guess (β 0.6, γ 0.2)
start.dispose();
const lossCurve: number[] = [];
for (let k = 1; k <= steps; k++) {
  const r = step(params, optState, target) as { loss: Scalar; params: Params; state: unknown };
  lossCurve.push(r.loss.item());
  r.loss.dispose();
  for (const t of [params.logBeta, params.logGamma]) t.dispose();
  tree.dispose(optState);
  params = r.params;
  optState = r.state;
  if (k % (steps / 10) === 0) {
    console.log(
      `step ${k}/${steps} loss ${lossCurve[k - 1].toExponential(3)} beta ${Math.exp(params.logBeta.item()).toFixed(4)} gamma ${Math.exp(params.logGamma.item()).toFixed(4)}`,
    );
  }
}
const beta = Math.exp(params.logBeta.item()),
  gamma = Math.exp(params.logGamma.item());
const errBeta = Math.abs(beta / truth.beta - 1),
  errGamma = Math.abs(gamma / truth.gamma - 1);
console.log(
  `SIR fit: beta ${beta.toFixed(5)} (true ${truth.beta}, error ${(100 * errBeta).toFixed(3)}%), gamma ${gamma.toFixed(5)} (true ${truth.gamma}, error ${(100 * errGamma).toFixed(3)}%), ${steps} steps, ${elapsed()}`,
);

// fitted curves (dashed) over the observed ones
const fitted = simulate(params);
const f = fitted.dataSync();
fitted.dispose();
const x = Array.from({ length: days + 1 }, (_, d) => d);
const series = [
  { name: "I observed", y: column(1), color: "#d62728" },
  { name: "R observed", y: column(2), color: "#2ca02c" },
  { name: "I fitted", y: f.subarray(0, days + 1), color: "#d62728", dashed: true },
  { name: "R fitted", y: f.subarray(days + 1), color: "#2ca02c", dashed: true },
  { name: "I, first guess", y: initial, color: "#999999", dashed: true },
];
const files = await savePlot(
  await plot.linePlot(series, {
    x,
    title: `SIR fit: beta ${beta.toFixed(3)} (true 0.3), gamma ${gamma.toFixed(3)} (true 0.1)`,
    xTitle: "day",
    yTitle: "fraction of the population",
  }),
  "out/sir-fit",
);
await savePlot(
  await plot.linePlot({ loss: lossCurve }, { title: "SIR fit: loss", xTitle: "step", yTitle: "mean squared error", yScale: "log" }),
  "out/sir-loss",
);
console.log(`fitted vs true curves: ${files.pngPath}, loss curve: out/sir-loss.png`);
step.dispose();

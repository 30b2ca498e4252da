// MLP 784-128-128-128-10, batch 128: one valueAndGrad step + SGD update.
// shapeflow eager and jitted, against tfjs's own variableGrads and tfjs-layers trainOnBatch
// on the same backend, measured in one run.
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { Concrete, type AnyTensor, type Tensor } from "../src/tensor/index.js";
import { valueAndGrad, jit, add, mul, sub, relu, matmul, sum, max, log, exp, stopGradient } from "../src/core/index.js";
import { time, type Timing } from "./harness.js";

const SIZES = [784, 128, 128, 128, 10];
const BATCH = 128;

type Layer = { w: AnyTensor; b: AnyTensor };

function initParams(): Layer[] {
  const out: Layer[] = [];
  for (let i = 0; i + 1 < SIZES.length; i++) {
    const s = Math.sqrt(2 / (SIZES[i] + SIZES[i + 1]));
    out.push({ w: new Concrete(tf.randomNormal([SIZES[i], SIZES[i + 1]], 0, s)), b: new Concrete(tf.zeros([SIZES[i + 1]])) });
  }
  return out;
}

function forward(params: Layer[], x: AnyTensor): AnyTensor {
  let h = x;
  params.forEach((p, i) => {
    h = add(matmul(h, p.w), p.b);
    if (i + 1 < params.length) h = relu(h);
  });
  return h;
}

function loss(params: Layer[], x: AnyTensor, yOneHot: AnyTensor): Tensor<[]> {
  const logits = forward(params, x);
  const m = stopGradient(max(logits, -1, { keepDims: true }));
  const lse = add(log(sum(exp(sub(logits, m)), -1, { keepDims: true })), m);
  return mul(sum(mul(sub(lse, logits), yOneHot)), 1 / BATCH) as unknown as Tensor<[]>;
}

export async function benchMlp(): Promise<Timing[]> {
  const x = new Concrete(tf.randomUniform([BATCH, 784]));
  const labels = tf.randomUniform([BATCH], 0, 10, "int32");
  const y = new Concrete(tf.cast(tf.oneHot(labels, 10), "float32"));
  const lr = 0.01;
  const results: Timing[] = [];

  // shapeflow, eager
  let params = initParams();
  const vg = valueAndGrad(loss);
  const sgd = (ps: Layer[], gs: Layer[]) => ps.map((p, i) => ({ w: sub(p.w, mul(gs[i].w, lr)), b: sub(p.b, mul(gs[i].b, lr)) }));
  const eagerStep = () => {
    const engine = tf.engine();
    engine.startScope();
    const [l, g] = vg(params, x, y);
    const next = sgd(params, g);
    const keep = [l.concrete(), ...next.flatMap((p) => [p.w.concrete(), p.b.concrete()])];
    engine.endScope(keep);
    for (const p of params) {
      p.w.dispose();
      p.b.dispose();
    }
    params = next;
    return l;
  };
  results.push(
    await time("shapeflow eager valueAndGrad + sgd", () => {
      const l = eagerStep();
      return (l as unknown as Concrete).value;
    }),
  );

  // shapeflow, jit of the whole step
  const step = jit((ps: Layer[], xx: AnyTensor, yy: AnyTensor) => {
    const [l, g] = valueAndGrad(loss)(ps, xx, yy);
    return [l, sgd(ps, g)] as const;
  });
  const jitStep = () => {
    const [l, next] = step(params, x, y) as unknown as [AnyTensor, Layer[]];
    for (const p of params) {
      p.w.dispose();
      p.b.dispose();
    }
    params = next;
    return (l as Concrete).value;
  };
  results.push(await time("shapeflow jit(valueAndGrad + sgd)", jitStep));

  // tfjs-core variableGrads
  const vars = initParams().map((p) => ({ w: tf.variable(p.w.concrete()), b: tf.variable(p.b.concrete()) }));
  const tfOpt = tf.train.sgd(lr);
  const tfStep = () =>
    tfOpt.minimize(() => {
      let h: tf.Tensor = x.value;
      vars.forEach((p, i) => {
        h = tf.add(tf.matMul(h, p.w), p.b);
        if (i + 1 < vars.length) h = tf.relu(h);
      });
      return tf.losses.softmaxCrossEntropy(y.value, h);
    }, true)!;
  results.push(await time("tfjs-core variableGrads (sgd.minimize)", tfStep));

  // tfjs-layers, the reference
  const model = tfl.sequential();
  model.add(tfl.layers.dense({ units: 128, activation: "relu", inputShape: [784] }));
  model.add(tfl.layers.dense({ units: 128, activation: "relu" }));
  model.add(tfl.layers.dense({ units: 128, activation: "relu" }));
  model.add(tfl.layers.dense({ units: 10 }));
  model.compile({ optimizer: tf.train.sgd(lr), loss: "categoricalCrossentropy" });
  results.push(await time("tfjs-layers trainOnBatch", () => model.trainOnBatch(x.value, y.value)));
  return results;
}

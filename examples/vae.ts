// A variational autoencoder on MNIST (Kingma & Welling 2014) with a 2-D latent space, written
// with the functional API: the encoder is one model with two outputs (mu and log-variance of
// q(z | x)), the decoder a model from z to pixel logits. Training maximises the ELBO,
//   log p(x) >= E_q[log p(x | z)] - KL(q(z | x) || N(0, I)),
// with the reparameterisation z = mu + exp(logvar / 2) * eps, eps ~ N(0, I) drawn from an explicit
// PRNG key per step (random.foldIn(key, step)), so a run is reproducible and the step is one jit.
// Reports the held-out negative ELBO (nats per digit) before and after training, plots the
// held-out digits' latent means coloured by their label, and decodes a grid of latent points.
//   npm run example:vae          QUICK=1 npm run example:vae
import {
  nn,
  optim,
  data,
  random,
  tree,
  jit,
  valueAndGrad,
  add,
  sub,
  mul,
  exp,
  square,
  sum,
  softplus,
  sigmoid,
  tensor,
  type Tensor,
} from "../src/index.js";
import * as plot from "../src/plot/index.js";
import { loadMnist, savePlot } from "../src/node.js";
import { setUp, quick, saveImageGrid, heldOutSplits } from "./common.js";

const elapsed = await setUp("MNIST variational autoencoder 784-256-(2+2) / 2-256-784 (Adam 1e-3, batch 128)");
const all = loadMnist({ limit: quick ? 2000 : undefined });
const flat = data.hostArray(all.x.data, [all.x.shape[0], 784]);
const { fitSet, test } = heldOutSplits(data.dataset(flat, all.y));
const latent = 2;

// the encoder: one input, two outputs (the functional API's multi-output case)
const image = nn.input("image", ["batch", 784]);
const hidden = image.pipe(nn.dense(256), "hidden").pipe(nn.relu());
const encoder = nn.model({
  inputs: { image },
  outputs: { mu: hidden.pipe(nn.dense(latent), "mu"), logvar: hidden.pipe(nn.dense(latent), "logvar") },
});
// the decoder: z to 784 pixel logits (Bernoulli likelihood)
const z = nn.input("z", ["batch", latent]);
const decoder = nn.model({
  inputs: { z },
  outputs: { logits: z.pipe(nn.dense(256), "hidden").pipe(nn.relu()).pipe(nn.dense(784), "pixels") },
});
console.log(encoder.summary());
console.log(decoder.summary());

type Params = { encoder: nn.ParamsOf<typeof encoder>; decoder: nn.ParamsOf<typeof decoder> };
type Batch = Tensor<[number, 784]>;
const [encKey, decKey] = random.split(random.key(0), 2);
let params: Params = { encoder: encoder.init(encKey), decoder: decoder.init(decKey) };
tree.dispose([encKey, decKey]);

/** The negative ELBO per digit (nats): Bernoulli reconstruction loss + KL to the prior, one sample of z. */
function negativeElbo(p: Params, x: Batch, key: random.Key): Tensor<[]> {
  const { mu, logvar } = encoder.apply(p.encoder, { image: x });
  const eps = random.normal(key, [x.shape[0], latent]);
  const zs = add(mu, mul(exp(mul(logvar, 0.5)), eps)); // reparameterisation: gradients reach mu and logvar
  const { logits } = decoder.apply(p.decoder, { z: zs });
  // -log p(x | z) for Bernoulli pixels from logits: softplus(l) - x * l, summed over pixels
  const reconstruction = sum(sub(softplus(logits), mul(x, logits)));
  // KL(N(mu, sigma^2) || N(0, 1)) = -1/2 sum(1 + logvar - mu^2 - exp(logvar))
  const kl = mul(sum(sub(sub(add(logvar, 1), square(mu)), exp(logvar))), -0.5);
  return mul(add(reconstruction, kl), 1 / x.shape[0]);
}

const optimizer = optim.adam(1e-3);
let optState: unknown = optimizer.init(params);
const step = jit((p: Params, s: unknown, x: Batch, key: random.Key) => {
  const [l, g] = valueAndGrad(negativeElbo)(p, x, key);
  const [params, next] = optim.applyGradients(optimizer, g, s as never, p);
  return { loss: l, params, state: next };
});
const evalElbo = jit(negativeElbo);

/** Mean negative ELBO over a data set (fixed key: the same noise for every evaluation). */
function heldOut(p: Params, ds: data.Dataset): number {
  let total = 0,
    seen = 0;
  const key = random.key(12345);
  for (const b of data.batches(ds, Math.min(500, ds.x.shape[0]))) {
    const x = tensor<[number, 784]>(b.x.data, [b.x.shape[0], 784]);
    const l = evalElbo(p, x, key);
    total += l.item() * b.x.shape[0];
    seen += b.x.shape[0];
    tree.dispose([x, l]);
  }
  key.dispose();
  return total / seen;
}

const initial = heldOut(params, test);
console.log(`before training: held-out negative ELBO ${initial.toFixed(1)} nats per digit`);
const epochs = quick ? 8 : 40;
const batchSize = 128;
const baseKey = random.key(1);
let globalStep = 0;
const curve: { epoch: number; train: number; test: number }[] = [];
for (let epoch = 1; epoch <= epochs; epoch++) {
  let total = 0,
    count = 0;
  for (const b of data.batches(fitSet, batchSize, { seed: epoch, dropRemainder: true })) {
    const x = tensor<[number, 784]>(b.x.data, [b.x.shape[0], 784]);
    const key = random.foldIn(baseKey, globalStep++);
    const r = step(params, optState, x, key) as { loss: Tensor<[]>; params: Params; state: unknown };
    total += r.loss.item();
    count++;
    tree.dispose([params, optState, x, key, r.loss]);
    params = r.params;
    optState = r.state;
  }
  const testLoss = heldOut(params, test);
  curve.push({ epoch, train: total / count, test: testLoss });
  console.log(`epoch ${epoch}/${epochs} negative ELBO ${(total / count).toFixed(1)} held-out ${testLoss.toFixed(1)}`);
}
const final = curve[curve.length - 1].test;
console.log(
  `vae: held-out negative ELBO ${final.toFixed(1)} nats per digit (before training ${initial.toFixed(1)}), ${epochs} epochs, ${test.x.shape[0]} held-out digits, ${elapsed()}`,
);

// the latent space: each held-out digit's mean code, coloured by its label
const shown = Math.min(test.x.shape[0], 2000);
const codes = encoder.apply(params.encoder, { image: tensor<[number, 784]>(test.x.data.subarray(0, shown * 784), [shown, 784]) });
const mus = codes.mu.dataSync();
tree.dispose(codes);
const points = Array.from({ length: shown }, (_, i) => ({ z1: mus[2 * i], z2: mus[2 * i + 1], digit: String(test.y.data[i]) }));
const latentPlot = await savePlot(
  await plot.renderSpec({
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: `VAE latent space: means of q(z | x) for ${shown} held-out digits`,
    width: 460,
    height: 400,
    data: { values: points },
    mark: { type: "circle", size: 14, opacity: 0.7 },
    encoding: {
      x: { field: "z1", type: "quantitative", title: "z1" },
      y: { field: "z2", type: "quantitative", title: "z2" },
      color: { field: "digit", type: "nominal", scale: { scheme: "category10" }, title: "digit" },
    },
  }),
  "out/vae-latent",
);

// decoded digits on a grid of latent points at the normal quantiles (z1 along a row, z2 down)
const side = 10;
const quantile = (q: number) => Math.SQRT2 * inverseErf(2 * q - 1);
const grid = Float32Array.from({ length: side * side * latent }, (_, k) => {
  const i = Math.floor(k / latent / side),
    j = Math.floor(k / latent) % side;
  return k % latent === 0 ? quantile((j + 0.5) / side) : quantile(1 - (i + 0.5) / side);
});
const gridZ = tensor<[number, 2]>(grid, [side * side, latent]);
const decoded = decoder.apply(params.decoder, { z: gridZ });
const probs = sigmoid(decoded.logits);
const pixels = probs.dataSync();
tree.dispose([gridZ, decoded, probs]);
const rows = Array.from({ length: side }, (_, i) => ({
  label: `z2 = ${grid[i * side * latent + 1].toFixed(2)}`,
  images: Array.from({ length: side }, (_, j) => pixels.subarray((i * side + j) * 784, (i * side + j + 1) * 784)),
}));
// and digits sampled from the prior: z ~ N(0, I) drawn with an explicit key, decoded to pixel means
const priorKey = random.key(7);
const priorZ = random.normal(priorKey, [2 * side, latent]);
const priorOut = decoder.apply(params.decoder, { z: priorZ });
const priorProbs = sigmoid(priorOut.logits);
const priorPixels = priorProbs.dataSync();
tree.dispose([priorKey, priorZ, priorOut, priorProbs]);
for (let r = 0; r < 2; r++) {
  rows.push({
    label: r === 0 ? "z ~ N(0, I)" : "",
    images: Array.from({ length: side }, (_, j) => priorPixels.subarray((r * side + j) * 784, (r * side + j + 1) * 784)),
  });
}
const samples = await saveImageGrid(rows, 28, "out/vae-samples", 2);
console.log(`latent space: ${latentPlot.pngPath}, decoded latent grid and prior samples: ${samples.pngPath}`);
tree.dispose([params, optState, baseKey]);
step.dispose();
evalElbo.dispose();

/** erf^-1 by Newton's method on erf (Abramowitz-Stegun 7.1.26 start): enough for plot positions. */
function inverseErf(y: number): number {
  const erf = (x: number) => {
    const t = 1 / (1 + 0.3275911 * Math.abs(x));
    const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
    return Math.sign(x) * (1 - poly * Math.exp(-x * x));
  };
  let x = 0;
  for (let k = 0; k < 50; k++) x -= (erf(x) - y) / ((2 / Math.sqrt(Math.PI)) * Math.exp(-x * x));
  return x;
}

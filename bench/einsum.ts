// einsum's lowering against the hand-written matmul formulation of the same product, in one run:
// forward and gradient, eager and jitted, interleaved rounds, medians in ms.
//   npx tsx bench/einsum.ts            (about a minute on a loaded 2-core machine)
import { init } from "../src/backend/index.js";
import { einsum, grad, jit, matmul, mul, ones, random, reshape, sum, transpose, type Tensor } from "../src/index.js";

await init();

type Fn = () => Tensor<number[]>;
interface Pair {
  readonly name: string;
  readonly viaEinsum: Fn;
  readonly viaMatmul: Fn;
}

const key = random.key(0);
const [k1, k2, k3] = random.split(key, 3);
const q = random.normal(k1, [8, 128, 64]);
const kk = random.normal(k2, [8, 128, 64]);
const a = random.normal(k3, [512, 512]);
const x = random.normal(k1, [32, 128, 256]);
const w = random.normal(k2, [256, 256]);
const weights = ones([8, 128, 128]);

const scores = (t: Tensor<[8, 128, 64]>) => einsum("bqd,bkd->bqk", t, kk);
const scoresByHand = (t: Tensor<[8, 128, 64]>) => matmul(t, transpose(kk, [0, 2, 1]));
const scoresJit = jit(scores);
const scoresByHandJit = jit(scoresByHand);
const scoresGrad = jit(grad((t: Tensor<[8, 128, 64]>) => sum(mul(scores(t), weights))));
const scoresByHandGrad = jit(grad((t: Tensor<[8, 128, 64]>) => sum(mul(scoresByHand(t), weights))));

const pairs: Pair[] = [
  { name: "ij,jk->ik  [512,512]x[512,512] eager", viaEinsum: () => einsum("ij,jk->ik", a, a), viaMatmul: () => matmul(a, a) },
  {
    name: "bij,jk->bik [32,128,256]x[256,256] eager",
    viaEinsum: () => einsum("bij,jk->bik", x, w),
    viaMatmul: () => matmul(x, w),
  },
  { name: "bqd,bkd->bqk [8,128,64]x2 eager", viaEinsum: () => scores(q), viaMatmul: () => scoresByHand(q) },
  { name: "bqd,bkd->bqk [8,128,64]x2 jit", viaEinsum: () => scoresJit(q), viaMatmul: () => scoresByHandJit(q) },
  { name: "grad of bqd,bkd->bqk, jit", viaEinsum: () => scoresGrad(q), viaMatmul: () => scoresByHandGrad(q) },
  {
    name: "bi,bi->b [4096,256] eager (batched dot)",
    viaEinsum: () => einsum("bi,bi->b", reshape(x, [4096, 256]), reshape(x, [4096, 256])),
    viaMatmul: () => sum(mul(reshape(x, [4096, 256]), reshape(x, [4096, 256])), 1),
  },
];

/** ms per call over a block of calls (results read, so the kernels have run). */
function time(f: Fn, calls: number): number {
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) {
    const out = f();
    out.dataSync();
    out.dispose();
  }
  return (performance.now() - t0) / calls;
}

const median = (xs: number[]) => [...xs].sort((p, r) => p - r)[Math.floor(xs.length / 2)];
const ROUNDS = 7;
console.log("| product | einsum ms | matmul by hand ms | ratio |\n| --- | --- | --- | --- |");
for (const p of pairs) {
  time(p.viaEinsum, 2); // warm up (and trace, for jit)
  time(p.viaMatmul, 2);
  const e: number[] = [];
  const m: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    e.push(time(p.viaEinsum, 5));
    m.push(time(p.viaMatmul, 5));
  }
  const [me, mm] = [median(e), median(m)];
  console.log(`| ${p.name} | ${me.toFixed(2)} | ${mm.toFixed(2)} | ${(me / mm).toFixed(2)} |`);
}

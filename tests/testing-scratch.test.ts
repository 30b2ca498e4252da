import { test } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import { vmap } from "../src/core/index.js";
import { matmul } from "../src/core/primitives/matmul.js";
import { Concrete } from "../src/tensor/index.js";
test("scratch", () => {
  for (const [as, bs, ia, ib] of [[[2,2,2], [2,2], 0, 0], [[2,2], [2,2], 0, 0], [[1,2,2], [2,2], 0, 0], [[1,2,2,2], [2,2], 0, 0], [[1,2,2,2], [2,2], 4, 1]] as const) {
    const B = 2;
    const A = tf.randomNormal([B, ...as]), Bm = tf.randomNormal([B, ...bs]);
    const At = tf.moveAxis ? null : null;
    const permA = [...Array(as.length + 1).keys()].slice(1); permA.splice(ia, 0, 0);
    const permB = [...Array(bs.length + 1).keys()].slice(1); permB.splice(ib, 0, 0);
    const Ain = tf.transpose(A, permA), Bin = tf.transpose(Bm, permB);
    const out = (vmap((a: any, b: any) => matmul(a, b), { inAxes: [ia, ib] })(new Concrete(Ain), new Concrete(Bin)) as any).concrete();
    let maxErr = 0;
    for (let k = 0; k < B; k++) {
      const ref = tf.matMul(tf.squeeze(tf.slice(A, [k], [1]), [0]), tf.squeeze(tf.slice(Bm, [k], [1]), [0]));
      const got = tf.squeeze(tf.slice(out, [k], [1]), [0]);
      maxErr = Math.max(maxErr, tf.max(tf.abs(tf.sub(ref, got))).dataSync()[0]);
    }
    console.log(as, bs, ia, ib, maxErr);
  }
});

import { test, expect } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import { grad, vjp, jvp } from "../src/core/index.js";
import { mul, sum, sin } from "../src/core/primitives/elementwise.js";
import { sum as rsum } from "../src/core/primitives/reduce.js";
import { tensor, scalar } from "../src/tensor/index.js";
import { liveTensors } from "../src/backend/index.js";

test("scratch", () => {
  const W = tensor([1, 2, 3], [3]);
  const x = tensor([4, 5, 6], [3]);
  const before = liveTensors();
  const [y, back] = vjp((x: any) => mul(x, W), x);
  const [g] = back(tensor([1, 1, 1], [3]) as any) as any;
  console.log(g.dataSync(), y.dataSync());
  back.dispose();
  console.log("W disposed?", W.isDisposed, liveTensors() - before);
  const f = (x: any) => rsum(mul(x, mul(x, x)));
  console.log(grad(grad((x: any) => rsum(mul(x, mul(x, x))) as any) as any)(scalar(2)));
  console.log(tf.getBackend());
});

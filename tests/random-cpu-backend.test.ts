// Bits are made in JS, so the pure-JS CPU backend must give exactly the numbers the WASM
// backend gives (the same literals are asserted in random-samplers.test.ts on WASM).
import { afterAll, beforeAll, expect, test } from "vitest";
import "@tensorflow/tfjs-backend-cpu"; // registers the CPU backend, which init() imports only when asked for it
import * as tf from "@tensorflow/tfjs-core";
import { jit } from "../src/core/index.js";
import { key, keyData, normal, permutation, split, uniform, type Key } from "../src/random/index.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
  await tf.ready();
});

// in case the runner reuses this process for another file
afterAll(async () => {
  await tf.setBackend("wasm");
});

test("the CPU backend reproduces key(0)'s uniform draws bit for bit, eagerly and under jit", () => {
  expect(tf.getBackend()).toBe("cpu");
  const k = key(0);
  const want = [0.9476670026779175, 0.9785798788070679, 0.33229148387908936, 0.46866846084594727, 0.569888710975647];
  const u = uniform(k, [5]);
  expect(Array.from(u.dataSync())).toEqual(want);
  const f = jit((kk: Key) => uniform(kk, [5]));
  const v = f(k);
  expect(Array.from(v.dataSync())).toEqual(want);
  const [a] = split(k, 1);
  expect(keyData(a)).toEqual([0x6b200159, 0x99ba4efe]); // threefry2x32(key(0), [0, 0]): Random123's first vector
  const before = tf.memory().numTensors;
  const n = normal(k, [3]);
  const p = permutation(a, 5);
  expect(Array.from(n.dataSync())).toEqual([1.6226422786712646, 2.0252654552459717, -0.43359434604644775]);
  expect(Array.from(p.dataSync()).sort()).toEqual([0, 1, 2, 3, 4]);
  [n, p].forEach((t) => t.dispose());
  expect(tf.memory().numTensors).toBe(before);
  [k, u, v, a].forEach((t) => t.dispose());
  f.dispose();
});

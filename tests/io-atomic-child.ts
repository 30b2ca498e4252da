// Run by tests/io-atomic.test.ts in a child process: saves versions 1, 2, 3, ... of a ~50 MB tree
// to argv[2] with io.save, printing "writing <v>" before each save and "saved <v> <ms of the save>"
// after it, until it is killed (or 150 s pass: a safety net).
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { save } from "../src/io/node.js";
import { dispose } from "../src/tree/index.js";
import { checkpointTree } from "./io-atomic-tree.js";

await tf.setBackend("cpu");
const path = process.argv[2];
const start = performance.now();
for (let v = 1; performance.now() - start < 150_000; v++) {
  const t = checkpointTree(v);
  process.stdout.write(`writing ${v}\n`);
  const t0 = performance.now();
  save(path, t, { metadata: { version: String(v) } });
  dispose(t);
  process.stdout.write(`saved ${v} ${Math.round(performance.now() - t0)}\n`);
}

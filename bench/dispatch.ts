// Per-op overhead: one elementwise add on [64, 256] (an LSTM gate block's size) through each layer
// of dispatch (jit: the replay through the impls and the static kernel plan), alternating, CPU µs per op: the fastest round (a busy machine only ever adds time,
// and the differences are a few µs).
import * as tf from "@tensorflow/tfjs-core";
import { add, jit, setJitExecution, setPlanDirectCalls } from "../src/core/index.js";
import { Concrete, type AnyTensor } from "../src/tensor/index.js";

export interface DispatchRow {
  path: string;
  usPerOp: number;
}

const CHAIN = 100;

export function dispatchOverhead({ rounds = 7, opsPerBlock = 2000 } = {}): DispatchRow[] {
  const a = tf.randomNormal([64, 256]);
  const b = tf.randomNormal([64, 256]);
  const [ca, cb] = [new Concrete(a) as AnyTensor, new Concrete(b) as AnyTensor];
  const backend = tf.backend() as unknown as { disposeData(id: object): boolean };
  const addKernel = tf.getKernel("Add", tf.getBackend()).kernelFunc;
  // a jitted chain of adds: the replay cost per equation
  const chain = jit((x: AnyTensor, y: AnyTensor) => {
    let z = x;
    for (let i = 0; i < CHAIN; i++) z = add(z, y);
    return z;
  });
  chain(ca, cb).dispose();
  chain(ca, cb).dispose();
  const replayed = (f: () => void) => {
    const before = setJitExecution("replay");
    try {
      f();
    } finally {
      setJitExecution(before);
    }
  };
  const paths: [string, number, () => void][] = [
    [
      "WASM kernel called directly (no engine)",
      1,
      () => backend.disposeData((addKernel({ inputs: { a, b }, backend: backend, attrs: {} }) as tf.TensorInfo).dataId),
    ],
    ["tfjs op (tf.add)", 1, () => tf.add(a, b).dispose()],
    ["shapeflow eager op (add)", 1, () => add(ca, cb).dispose()],
    [`shapeflow jit replay, per equation (chain of ${CHAIN})`, CHAIN, () => replayed(() => chain(ca, cb).dispose())],
    [
      `shapeflow jit static plan through tfjs' kernel functions, per equation (chain of ${CHAIN})`,
      CHAIN,
      () => {
        const before = setPlanDirectCalls(false);
        try {
          chain(ca, cb).dispose();
        } finally {
          setPlanDirectCalls(before);
        }
      },
    ],
    [`shapeflow jit static plan (direct WASM calls), per equation (chain of ${CHAIN})`, CHAIN, () => chain(ca, cb).dispose()],
  ];
  const per: number[][] = paths.map(() => []);
  for (let r = 0; r < rounds; r++) {
    paths.forEach(([, ops, f], i) => {
      const n = Math.max(1, Math.round(opsPerBlock / ops));
      const c0 = process.cpuUsage();
      for (let k = 0; k < n; k++) f();
      const c = process.cpuUsage(c0);
      per[i].push((c.user + c.system) / (n * ops));
    });
  }
  chain.dispose();
  tf.dispose([a, b]);
  return paths.map(([path], i) => ({ path, usPerOp: Math.min(...per[i]) }));
}

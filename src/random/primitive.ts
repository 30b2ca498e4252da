// The random primitives. Sampling is one primitive family (`random`, parametrised by a
// distribution) whose eager kernel runs our Threefry in plain JS and uploads the result; keys
// are int32 tensors, so under jit the key is a graph input and each replay draws fresh numbers
// without re-tracing. `foldInTensor` folds traced data (a step counter) into a key.
// Neither has a derivative (samples are constants to autodiff) and neither belongs to the core
// registry, whose tests check gradients numerically.
import * as tf from "@tensorflow/tfjs-core";
import { type AnyTensor, formatShape, ShapeError, ValueError } from "../tensor/index.js";
import { bind, definePrimitive, type Aval, type Primitive, broadcastTo } from "../core/index.js";
import { distributions, sample, type RandomParams } from "./distributions.js";
import { threefryInto } from "./threefry.js";

/** Keys as an aval: int32 with a last dim of 2 (leading dims are a batch of keys). */
function checkKeyAval(op: string, key: Aval): void {
  if (key.dtype !== "int32" || key.shape.length === 0 || key.shape[key.shape.length - 1] !== 2) {
    throw new ValueError(
      { op: op, expected: "PRNG key data (int32 [..., 2])", got: `${key.dtype} ${formatShape(key.shape)}` },
      `${op}: expected PRNG key data (int32 [..., 2]), got ${key.dtype} ${formatShape(key.shape)}`,
    );
  }
}

function keyWords(key: tf.Tensor): Int32Array {
  return key.dataSync() as Int32Array;
}

export const randomP: Primitive<RandomParams> = definePrimitive<RandomParams>({
  name: "random",
  abstractEval([key], p) {
    checkKeyAval(p.kind, key);
    return { shape: [...key.shape.slice(0, -1), ...p.shape], dtype: distributions[p.kind].dtype(p as never) };
  },
  impl([key], p) {
    const dtype = distributions[p.kind].dtype(p as never);
    return tf.tensor(sample(p, keyWords(key)), [...key.shape.slice(0, -1), ...p.shape], dtype);
  },
  jvp: () => null,
  vjp: () => [null],
  // the kernel already maps over leading key dims
  batch: ([key], _batched, p) => bind(randomP, [key], p),
});

export const foldInTensorP: Primitive<{}> = definePrimitive<{}>({
  name: "foldIn",
  abstractEval([key, data]) {
    checkKeyAval("foldIn", key);
    const batch = key.shape.slice(0, -1);
    if (data.dtype !== "int32" || formatShape(data.shape) !== formatShape(batch)) {
      throw new ShapeError(
        { op: "foldIn", expected: `int32 ${formatShape(batch)}`, got: `${data.dtype} ${formatShape(data.shape)}` },
        `foldIn: data must be int32 of shape ${formatShape(batch)}, got ${data.dtype} ${formatShape(data.shape)}`,
      );
    }
    return key;
  },
  impl([key, data]) {
    const k = keyWords(key);
    const d = data.dataSync() as Int32Array;
    const out = new Int32Array(k.length);
    for (let b = 0; b < d.length; b++) threefryInto(k[2 * b], k[2 * b + 1], 0, d[b], out, 2 * b);
    return tf.tensor(out, key.shape, "int32");
  },
  jvp: () => null,
  vjp: () => [null, null],
  batch([key, data], [kb, db], _p, n) {
    const lead = (x: AnyTensor) => broadcastTo(x, [n, ...x.shape]);
    return bind(foldInTensorP, [kb ? key : lead(key), db ? data : lead(data)], {});
  },
});

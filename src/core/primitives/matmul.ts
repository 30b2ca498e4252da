// Matrix product over the last two axes, batch axes broadcast.
// NOTE: on WASM a float32 product whose b is one matrix runs on our GEMM (core/native/gemm.c),
// which reads both operands in place: XNNPACK packs b once per tensor id, i.e. on every call of a
// training step, where each b is a fresh tensor (~1.3x faster than XNNPACK with b packed, ~1.8x
// with a fresh b). The vjp's transposed products (ct x bᵀ, aᵀ x ct) are fused ops whose kernel is
// its transposed variant, so no transpose is materialised. Elsewhere only an untransposed product
// with batch 1 reaches XNNPACK (~10x faster than the transposed kernels): the impl folds batch
// axes into rows when it can, and the composites materialise transposes.
import * as tf from "@tensorflow/tfjs-core";
import type { AnyTensor, DType } from "../../tensor/index.js";
import { bind } from "../trace.js";
import { definePrimitive, type Primitive } from "../primitive.js";
import { broadcastShapes, checkSameDType, sameShape, sizeOf } from "./util.js";
import { reshape, swapLast } from "./shape.js";
import { alignBatched, unbroadcast } from "./broadcast.js";
import { add } from "./elementwise.js";
import { DTypeError, ShapeError } from "../../tensor/index.js";
import { fused, type FusedOp } from "../fused.js";
import { MATMUL_KERNEL, nativeGemm } from "../native/gemm.js";

export const matmulP: Primitive<{}> = definePrimitive<{}>({
  name: "matmul",
  abstractEval([a, b]) {
    if (a.shape.length < 2 || b.shape.length < 2) {
      throw new ShapeError(
        { op: "matmul", expected: "rank >= 2", got: `[${a.shape.join(", ")}] and [${b.shape.join(", ")}]` },
        `matmul: both arguments need rank >= 2, got [${a.shape.join(", ")}] and [${b.shape.join(", ")}]`,
      );
    }
    checkSameDType("matmul", a, b);
    if (a.dtype === "bool")
      throw new DTypeError({ op: "matmul", expected: "float32 or int32", got: "bool" }, "matmul: expects numeric tensors, got bool");
    const k1 = a.shape[a.shape.length - 1];
    const k2 = b.shape[b.shape.length - 2];
    if (k1 !== k2)
      throw new ShapeError(
        { op: "matmul", expected: `${k1} rows in the second argument`, got: String(k2) },
        `matmul: inner dims differ (${k1} vs ${k2}) for [${a.shape.join(", ")}] x [${b.shape.join(", ")}]`,
      );
    const batch = broadcastShapes("matmul", a.shape.slice(0, -2), b.shape.slice(0, -2));
    return { shape: [...batch, a.shape[a.shape.length - 2], b.shape[b.shape.length - 1]], dtype: a.dtype };
  },
  impl([a, b]) {
    if (a.dtype === "int32" && tf.getBackend() === "wasm") {
      // NOTE: WASM's BatchMatMul refuses int32: a float32 product, rounded back. Exact while every
      // product and partial sum stays within +-2^24 (float32's integers); beyond that it rounds.
      return tf.tidy(() => tf.cast(tf.round(floatProduct(tf.cast(a, "float32"), tf.cast(b, "float32"))), "int32"));
    }
    return floatProduct(a, b);
  },
  jvp([a, b], [ta, tb]) {
    let t: AnyTensor | null = null;
    if (ta !== null) t = matmul(ta, b);
    if (tb !== null) {
      const u = matmul(a, tb);
      t = t === null ? u : add(t, u);
    }
    return t;
  },
  vjp(ct, [a, b]) {
    const as = a.shape;
    const bs = b.shape;
    const float = a.dtype === "float32";
    // b one matrix: ct x bᵀ as one fused product (a's batch axes are ct's)
    const da = float && bs.length === 2 ? fused(productNT, [ct, b])[0] : unbroadcast(matmul(ct, swapLast(b)), as);
    let db: AnyTensor;
    if (bs.length === 2 && as.length > 2) {
      // sum over a's batch axes inside one product: [k, rows] x [rows, n]
      const rows = sizeOf(as.slice(0, -1)); // explicit: -1 cannot be resolved when a dim is 0
      const a2 = reshape(a, [rows, as[as.length - 1]]);
      const c2 = reshape(ct, [rows, ct.shape[ct.rank - 1]]);
      db = float ? fused(productTN, [a2, c2])[0] : matmul(swapLast(a2), c2);
    } else if (float && as.length === 2 && bs.length === 2) {
      db = fused(productTN, [a, ct])[0];
    } else {
      db = unbroadcast(matmul(swapLast(a), ct), bs);
    }
    return [da, db];
  },
  batch([a, b], [ba, bb]) {
    // a batched, b a shared matrix: the impl folds the batch into a's rows
    if (ba && !bb && b.rank === 2) return bind(matmulP, [a, b]);
    // otherwise give both a leading batch axis (size 1 when shared) and equal ranks
    const lift = (x: AnyTensor, batched: boolean) => (batched ? x : reshape(x, [1, ...x.shape]));
    const [la, lb] = [lift(a, ba), lift(b, bb)];
    const rank = Math.max(la.rank, lb.rank) - 1;
    return bind(matmulP, [alignBatched(la, rank), alignBatched(lb, rank)]);
  },
});

export function matmul(a: AnyTensor, b: AnyTensor): AnyTensor {
  return bind(matmulP, [a, b]);
}

/** x [..., k] times yᵀ for y [n, k] 2-D: matmul's cotangent of a; on WASM our GEMM reading y in place. */
const productNT: FusedOp = {
  name: "matmulTransposedB",
  kernel: MATMUL_KERNEL,
  attrs: { transposeA: false, transposeB: true },
  composite: ([x, y]) => [matmul(x, swapLast(y))],
  supports: ([x, y]) => nativeGemm(sizeOf(x.shape) * y.shape[0], sizeOf(x.shape.slice(0, -1))),
};

/** xᵀ times y for x [k, m] and y [k, n], both 2-D: matmul's cotangent of b; on WASM our GEMM reading x in place. */
const productTN: FusedOp = {
  name: "matmulTransposedA",
  kernel: MATMUL_KERNEL,
  attrs: { transposeA: true, transposeB: false },
  composite: ([x, y]) => [matmul(swapLast(x), y)],
  supports: ([x, y]) => nativeGemm(sizeOf(x.shape) * y.shape[1], x.shape[1]),
};

/** The product on tfjs kernels (float32 on WASM; any numeric dtype elsewhere). */
function floatProduct(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const aval = (t: tf.Tensor) => ({ shape: t.shape, dtype: t.dtype as DType });
  const outShape = matmulP.abstractEval([aval(a), aval(b)], {}).shape as number[];
  const k = a.shape[a.rank - 1];
  // NOTE: WASM leaves the output uninitialised when the inner dim is 0; the sum of nothing is 0
  if (k === 0) return tf.zeros(outShape, a.dtype);
  const batch = outShape.slice(0, -2);
  const oneB = b.shape.slice(0, -2).every((d) => d === 1);
  if (oneB && a.dtype === "float32" && nativeGemm(sizeOf(a.shape) * outShape[outShape.length - 1], sizeOf(a.shape.slice(0, -1)))) {
    // our GEMM (core/native/gemm.c): b as one matrix, a's leading axes folded into rows
    return tf.tidy(() => {
      const y = tf
        .engine()
        .runKernel<tf.Tensor | tf.Tensor[]>(MATMUL_KERNEL, { x0: a, x1: b.rank === 2 ? b : tf.reshape(b, b.shape.slice(-2)) }, {});
      const y0 = Array.isArray(y) ? y[0] : y;
      return sameShape(y0.shape, outShape) ? y0 : tf.reshape(y0, outShape);
    });
  }
  if (oneB && (a.rank > 2 || b.rank > 2)) {
    // b is one matrix: fold a's batch axes into rows, one batch-1 product
    return tf.tidy(() =>
      tf.reshape(tf.matMul(tf.reshape(a, [sizeOf(a.shape.slice(0, -1)), k]), tf.reshape(b, b.shape.slice(-2))), outShape),
    );
  }
  // NOTE: tfjs flattens the batch axes of each side before broadcasting them, which is wrong
  // unless they agree (e.g. [2, 3] against [2, 1]): broadcast them ourselves first
  const full = (t: tf.Tensor) =>
    sameShape(t.shape.slice(0, -2), batch)
      ? t
      : tf.broadcastTo(t.rank - 2 < batch.length ? tf.reshape(t, [...new Array(batch.length - t.rank + 2).fill(1), ...t.shape]) : t, [
          ...batch,
          ...t.shape.slice(-2),
        ]);
  return tf.tidy(() => tf.matMul(full(a), full(b)));
}

// Softmax cross-entropy from logits as two fused ops each way (forward, and the reverse a custom vjp
// runs): one native kernel per direction on WASM (core/native/xent.c) instead of ~30 small tfjs
// kernels, the composites below everywhere else. The composites are the definition: jvp, grad of
// grad, vmap and ONNX export go through them. Per row x [C] of logits [N, C]:
//   shift = max(x) where finite (else 0, as logSumExp), z = x − shift, logs = log Σ exp(z)
//   sparse labels l:   loss = logs − z[l]        (logs when l is out of range: the check reports it)
//   dense targets y:   loss = logs Σy − Σ y z
// and, `reduce`d, the loss is Σ_rows loss / divisor (a scalar): the losses' "mean" and "sum" folded in.
import type { Shape } from "../../typelevel/index.js";
import { arange, type AnyTensor, type Tensor } from "../tensor/index.js";
import {
  abs,
  cast,
  check,
  customVjp,
  div,
  equal,
  exp,
  fused,
  less,
  log,
  max,
  maximum,
  minimum,
  mul,
  reshape,
  stopGradient,
  sub,
  sum,
  where,
  XENT_KERNELS,
  type CheckParams,
  type FusedOp,
} from "../core/index.js";

/** How the rows' losses come out: one per row, or (`reduce`) their sum over `divisor`. */
export interface XentReduction {
  readonly reduce: boolean;
  readonly divisor: number;
}

/** Each row's shift [N]: its max where finite, else 0; out of the derivative (it cancels exactly). */
function shiftOf(x: AnyTensor): AnyTensor {
  const m = stopGradient(max(x, -1));
  return where(less(abs(m), Infinity), m, 0);
}

/** A per-row value [N] as a column [N, 1]. */
const column = (v: AnyTensor) => reshape(v, [v.shape[0], 1]);

/** One loss per row [N], or their sum over the divisor []. */
const reduceRows = (rows: AnyTensor, r: XentReduction) => (r.reduce ? div(sum(rows), r.divisor) : rows);

/** The cotangent of each row [N, 1] from g ([N], or [] when reduced). */
const rowCotangent = (g: AnyTensor, r: XentReduction) => (r.reduce ? div(g, r.divisor) : column(g));

/** Where each row's label is (bool [N, C]; nowhere for a label out of range). */
const hotOf = (labels: AnyTensor, c: number) => equal(column(labels), arange(c, "int32"));

const attrsOf = (r: XentReduction) => ({ reduce: r.reduce ? 1 : 0, divisor: r.divisor });

function sparseForward(r: XentReduction): FusedOp {
  return {
    name: "sparseSoftmaxCrossEntropy",
    kernel: XENT_KERNELS.sparseForward,
    attrs: attrsOf(r),
    composite([x, labels]) {
      const c = x.shape[1];
      const shift = shiftOf(x);
      const z = sub(x, column(shift));
      const logs = log(sum(exp(z), -1));
      const rows = sub(logs, sum(where(hotOf(labels, c), z, 0), -1));
      const inRange = equal(labels, minimum(maximum(labels, 0), c - 1));
      return [reduceRows(rows, r), shift, logs, inRange];
    },
  };
}

function sparseBackward(r: XentReduction): FusedOp {
  return {
    name: "sparseSoftmaxCrossEntropyBackward",
    kernel: XENT_KERNELS.sparseBackward,
    attrs: attrsOf(r),
    composite([x, labels, shift, logs, g]) {
      const c = x.shape[1];
      const p = exp(sub(sub(x, column(shift)), column(logs)));
      return [mul(sub(p, cast(hotOf(labels, c), "float32")), rowCotangent(g, r))];
    },
  };
}

function denseForward(r: XentReduction): FusedOp {
  return {
    name: "softmaxCrossEntropy",
    kernel: XENT_KERNELS.denseForward,
    attrs: attrsOf(r),
    composite([x, y]) {
      const shift = shiftOf(x);
      const z = sub(x, column(shift));
      const logs = log(sum(exp(z), -1));
      const rows = sub(mul(logs, sum(y, -1)), sum(mul(y, z), -1));
      return [reduceRows(rows, r), shift, logs];
    },
  };
}

function denseBackward(r: XentReduction): FusedOp {
  return {
    name: "softmaxCrossEntropyBackward",
    kernel: XENT_KERNELS.denseBackward,
    attrs: attrsOf(r),
    composite([x, y, shift, logs, g]) {
      const z = sub(x, column(shift));
      const logsCol = column(logs);
      const p = exp(sub(z, logsCol));
      const gs = rowCotangent(g, r);
      return [mul(sub(mul(p, sum(y, -1, { keepDims: true })), y), gs), mul(sub(logsCol, z), gs)];
    },
  };
}

/** The fused ops of each kind, per reduction (a handful: the divisor is a batch size). */
const cache = new Map<string, FusedOp>();
function opFor(kind: string, make: (r: XentReduction) => FusedOp, r: XentReduction): FusedOp {
  const key = `${kind}:${r.reduce ? r.divisor : "rows"}`;
  let op = cache.get(key);
  if (op === undefined) {
    if (cache.size > 256) cache.clear();
    cache.set(key, (op = make(r)));
  }
  return op;
}

/**
 * Softmax cross-entropy of logits [N, C] (N, C ≥ 1) against int32 labels [N]: one loss per row [N],
 * or their sum over `r.divisor` when `r.reduce`. Labels out of range fail `labelCheck` (the check
 * sees the labels as given here: its {index} is the flat index).
 */
export function sparseSoftmaxCrossEntropy(logits: AnyTensor, labels: AnyTensor, r: XentReduction, labelCheck: CheckParams): AnyTensor {
  const forwardOp = opFor("sparse", sparseForward, r);
  const backwardOp = opFor("sparseBackward", sparseBackward, r);
  const forward = (x: AnyTensor, l: AnyTensor) => {
    const [loss, shift, logs, inRange] = fused(forwardOp, [x, l]);
    check(l, inRange, labelCheck);
    return { loss: loss as Tensor<Shape>, shift, logs };
  };
  return customVjp(
    (x: AnyTensor, l: AnyTensor) => forward(x, l).loss,
    (x: AnyTensor, l: AnyTensor) => {
      const { loss, shift, logs } = forward(x, l);
      return [loss, { x, l, shift, logs }];
    },
    (res, g) => [fused(backwardOp, [res.x, res.l, res.shift, res.logs, g])[0], null],
  )(logits, labels);
}

/**
 * Softmax cross-entropy of logits [N, C] (N, C ≥ 1) against float32 targets [N, C] (distributions,
 * or any weights): one loss per row [N], or their sum over `r.divisor` when `r.reduce`.
 * Differentiable in both.
 */
export function softmaxCrossEntropy(logits: AnyTensor, targets: AnyTensor, r: XentReduction): AnyTensor {
  const forwardOp = opFor("dense", denseForward, r);
  const backwardOp = opFor("denseBackward", denseBackward, r);
  return customVjp(
    (x: AnyTensor, y: AnyTensor) => fused(forwardOp, [x, y])[0] as Tensor<Shape>,
    (x: AnyTensor, y: AnyTensor) => {
      const [loss, shift, logs] = fused(forwardOp, [x, y]);
      return [loss as Tensor<Shape>, { x, y, shift, logs }];
    },
    (res, g) => {
      const [dx, dy] = fused(backwardOp, [res.x, res.y, res.shift, res.logs, g]);
      return [dx, dy];
    },
  )(logits, targets);
}

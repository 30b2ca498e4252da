// cumsum: running sums along one axis (tfjs `cumsum`, a WASM kernel). Linear, so its jvp is
// itself and its adjoint is the running sum in the other direction (same `exclusive`).
// NOTE: cumprod has no primitive: it is a log-depth scan of products (ops/cumulative.ts), whose
// derivative comes from mul and stays exact where entries are zero (a kernel-plus-division rule would not).
import * as tf from "@tensorflow/tfjs-core";
import { formatShape, type AnyTensor, ShapeError } from "../../tensor/index.js";
import { bind } from "../trace.js";
import { definePrimitive, type Primitive } from "../primitive.js";
import { checkNumeric, normAxis } from "./util.js";

export interface CumsumParams {
  /** The axis summed along (non-negative). */
  readonly axis: number;
  /** Sum from the end of the axis towards its start. */
  readonly reverse: boolean;
  /** Entry i sums the entries before i (not i itself); the first is 0. */
  readonly exclusive: boolean;
}

export const cumsumP: Primitive<CumsumParams> = definePrimitive<CumsumParams>({
  name: "cumsum",
  abstractEval([x], p) {
    checkNumeric("cumsum", x, "cumsum: expects a numeric tensor, got bool; cast it first");
    if (x.shape.length === 0)
      throw new ShapeError(
        { op: "cumsum", expected: "a tensor of rank >= 1", got: formatShape(x.shape) },
        "cumsum: expects a tensor of rank >= 1, got a scalar",
      );
    normAxis("cumsum", p.axis, x.shape.length);
    return x;
  },
  impl([x], p) {
    // NOTE: WASM reads uninitialised memory on empty inputs; the running sums of nothing are nothing
    if (x.size === 0) return tf.zeros(x.shape, x.dtype);
    return tf.cumsum(x, p.axis, p.exclusive, p.reverse);
  },
  jvp: (_x, [t], p) => (t === null ? null : bind(cumsumP, [t], p)),
  vjp: (ct, _x, p) => [bind(cumsumP, [ct], { ...p, reverse: !p.reverse })],
  batch: ([x], _b, p) => bind(cumsumP, [x], { ...p, axis: p.axis + 1 }),
});

/** Running sums of `x` along `axis` (negative counts from the end). */
export function cumsum(
  x: AnyTensor,
  axis: number,
  { reverse = false, exclusive = false }: { reverse?: boolean; exclusive?: boolean } = {},
): AnyTensor {
  return bind(cumsumP, [x], { axis: normAxis("cumsum", axis, x.rank), reverse, exclusive });
}

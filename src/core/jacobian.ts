// Jacobians and the Hessian, from vjp/jvp under vmap over a one-hot basis.
import * as tf from "@tensorflow/tfjs-core";
import { Concrete, Tensor, formatShape, type AnyTensor, describeValue, ShapeError, ValueError } from "../tensor/index.js";
import type { Shape } from "../../typelevel/index.js";
import { scoped } from "./trace.js";
import { vjpCore } from "./grad.js";
import { jvpCore } from "./jvp.js";
import { vmapCore } from "./vmap.js";
import { expectFunction, leafTensors } from "./util.js";
import { reshape, transpose } from "./primitives/shape.js";
import { range } from "./primitives/util.js";

function basis(shape: readonly number[]): AnyTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return new Concrete(tf.reshape(tf.eye(n), [n, ...shape]));
}

function single(who: string, x: unknown): AnyTensor {
  if (!(x instanceof Tensor))
    throw new ValueError(
      { op: who, expected: "a single tensor", got: describeValue(x) },
      `${who}: the function must take and return a single tensor`,
    );
  return x as AnyTensor;
}

type Jac<Y extends Shape, X extends Shape> = Tensor<[...Y, ...X]>;

/** Reverse-mode Jacobian of a tensor function: shape `[...out, ...in]`. */
export function jacrev<X extends Shape, Y extends Shape>(f: (x: Tensor<X>) => Tensor<Y>): (x: Tensor<X>) => Jac<Y, X> {
  expectFunction("jacrev", f);
  return (x) =>
    scoped(() => {
      const r = vjpCore(f, [x]);
      const y = single("jacrev", r.out);
      const ys = y.shape;
      const rows = vmapCore((ct: AnyTensor) => r.pullback([ct])[0], [basis(ys)], { inAxes: [0] }) as AnyTensor;
      return reshape(rows, [...ys, ...(x.shape as readonly number[])]);
    }, leafTensors) as Jac<Y, X>;
}

/** Forward-mode Jacobian of a tensor function: shape `[...out, ...in]`. */
export function jacfwd<X extends Shape, Y extends Shape>(f: (x: Tensor<X>) => Tensor<Y>): (x: Tensor<X>) => Jac<Y, X> {
  expectFunction("jacfwd", f);
  return (x) =>
    scoped(() => {
      const xs = x.shape as readonly number[];
      const cols = vmapCore((t: AnyTensor) => single("jacfwd", jvpCore(f, [x], [t])[1]), [basis(xs)], {
        inAxes: [0],
      }) as AnyTensor;
      // cols: [n, ...out] -> [...out, n]
      const outRank = cols.rank - 1;
      const moved = transpose(cols, [...range(outRank).map((i) => i + 1), 0]);
      return reshape(moved, [...moved.shape.slice(0, outRank), ...xs]);
    }, leafTensors) as Jac<Y, X>;
}

/** Hessian of a scalar function: shape `[...in, ...in]` (forward over reverse). */
export function hessian<X extends Shape>(f: (x: Tensor<X>) => Tensor<[]>): (x: Tensor<X>) => Tensor<[...X, ...X]> {
  expectFunction("hessian", f);
  const g = (x: Tensor<X>) => {
    const r = vjpCore(f, [x]);
    const y = single("hessian", r.out);
    if (y.rank !== 0)
      throw new ShapeError(
        { op: "hessian", expected: "a scalar (shape [])", got: formatShape(y.shape) },
        `hessian: the function must return a scalar, got shape ${formatShape(y.shape)}`,
      );
    return r.pullback([new Concrete(tf.scalar(1))])[0] as Tensor<X>;
  };
  return jacfwd(g);
}

// dense: y = x · kernel + bias over the last axis.
import type { Dim, IsAny, Shape, ShapeError } from "../../../typelevel/index.js";
import type { AnyTensor, Tensor } from "../../tensor/index.js";
import { add, matmul, reshape } from "../../core/index.js";
import { split } from "../../random/index.js";
import { glorotUniform, zeros, type Initializer } from "../init.js";
import type { LayerError, PositiveInt } from "../layer.js";
import { defineLayer, expectRank, positiveInt, type TensorRecord } from "./define.js";
import { expectOptions } from "../../tensor/index.js";

export interface DenseConfig<U extends number = number, B extends boolean = boolean> {
  units: U;
  useBias: B;
}

type DenseParams<F extends Dim, U extends number, B> = B extends false
  ? { kernel: Tensor<[F, U]> }
  : { kernel: Tensor<[F, U]>; bias: Tensor<[U]> };

/**
 * Units typed `number` (e.g. `nn.dense(7 * 7 * 64)`) would give a kernel `[F, number]` and an
 * output `[batch, number]` that no later layer can check: a compile error asks for the literal.
 */
type NonLiteralUnits =
  "dense: units is typed number, so the output size is unknown; write the literal (nn.dense(3136), not nn.dense(7 * 7 * 64)) or pass a const";

// NOTE: in the IsAny branch S *is* `any` (an earlier layer failed): passing it on keeps a chain to one error.
declare module "../layer.js" {
  interface LayerTypes<S extends Shape, C> {
    /** `[..., F] -> [..., units]`; params kernel `[F, units]` and (unless `useBias: false`) bias `[units]`. */
    dense: C extends DenseConfig<infer U, infer B>
      ? IsAny<S> extends true
        ? { out: S; params: DenseParams<number, U, B>; state: {}; accepts: "float32" }
        : number extends U
          ? { out: ShapeError<NonLiteralUnits>; params: never; state: {}; accepts: "float32" }
          : S extends readonly [...infer Lead extends Dim[], infer F extends Dim]
            ? { out: [...Lead, U]; params: DenseParams<F, U, B>; state: {}; accepts: "float32" }
            : { out: LayerError<`dense(${U})`, "[..., features]", S>; params: never; state: {}; accepts: "float32" }
      : never;
  }
}

/** Options of `nn.dense(units, options)`: `nn.dense(10, { useBias: false, kernelInit: initializers.heNormal })`. */
export interface DenseOptions<B extends boolean = boolean> {
  /** Default true; false leaves the bias out of the params. */
  useBias?: B;
  /** Initializer of the kernel `[F, units]`; default `glorotUniform`. */
  kernelInit?: Initializer;
  /** Initializer of the bias `[units]`; default `zeros`. */
  biasInit?: Initializer;
}

/**
 * Fully connected layer over the last axis: `[..., F] -> [..., units]`, kernel `[F, units]`
 * (glorotUniform), bias `[units]` (zeros).
 * ```ts
 * const m = nn.input(["batch", 784]).add(nn.dense(128));   // Model<["batch", 784], ["batch", 128], ...>
 * ```
 */
export function dense<const U extends number, const B extends boolean = true>(
  units: U & PositiveInt<U, "dense", "units">,
  opts: DenseOptions<B> = {},
) {
  const name = `dense(${units})`;
  positiveInt("dense", "units", units);
  expectOptions("dense", opts);
  const useBias = (opts.useBias ?? true) as B;
  const kernelInit = opts.kernelInit ?? glorotUniform;
  const biasInit = opts.biasInit ?? zeros;
  return defineLayer<"dense", DenseConfig<U, B>>({
    kind: "dense",
    name,
    config: { units: units, useBias },
    outputShape(s) {
      expectRank(name, "[..., features]", s, s.length >= 1);
      return [...s.slice(0, -1), units];
    },
    init(key, s): TensorRecord {
      const [k1, k2] = split(key, 2);
      const kernel = kernelInit(k1, [s[s.length - 1], units]);
      return useBias ? { kernel, bias: biasInit(k2, [units]) } : { kernel };
    },
    apply(p, x) {
      const h = matmulLastAxis(x, p.kernel);
      return useBias ? add(h, p.bias) : h;
    },
  });
}

/** `[..., F] x [F, N] -> [..., N]` as one 2-D product (leading axes folded): WASM's fast GEMM path. */
export function matmulLastAxis(x: AnyTensor, kernel: AnyTensor): AnyTensor {
  const s = x.shape;
  if (s.length === 2) return matmul(x, kernel);
  const lead = s.slice(0, -1);
  const n = kernel.shape[1];
  return reshape(matmul(reshape(x, [lead.reduce((a, b) => a * b, 1), s[s.length - 1]]), kernel), [...lead, n]);
}

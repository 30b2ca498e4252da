// Fused ops: a composite written with primitives that evaluates as ONE native kernel where the
// backend has it (core/native). The composite is the definition: off WASM it is what runs, and every
// transform (jvp, vjp and so grad of grad, vmap, ONNX export) works on it, so a kernel only has to
// compute the same values. Under jit the op is one graph equation and the static plan calls the
// kernel directly. Carried like remat: a primitive with the composite's traced body in its params.
import * as tf from "@tensorflow/tfjs-core";
import type { AnyTensor, TfAttrMap, TfTensor } from "../tensor/index.js";
import { ShapeError } from "../tensor/index.js";
import { bindMulti, scoped } from "./trace.js";
import { defineMultiPrimitive, type Aval, type MultiPrimitive } from "./primitive.js";
import { batchBody, describeAval, evalBody, jvpFlat, runBody, sameAval, traceBody, type Body } from "./body.js";
import { recomputingVjp } from "./remat.js";
import { leafTensors } from "./util.js";
import { nativeAvailable } from "./native/registry.js";

/** A fused op: its native kernel's name and the composite that defines it. */
export interface FusedOp {
  /** For messages and profiles. */
  readonly name: string;
  /** The native kernel (`registerNativeKernel`) computing the composite's outputs from the same inputs. */
  readonly kernel: string;
  /** Numbers (or arrays of numbers) the kernel reads besides its inputs. */
  readonly attrs?: TfAttrMap;
  /** The definition, in core's ops: the values off WASM, and every derivative and batching rule. */
  composite(inputs: AnyTensor[]): AnyTensor[];
  /** Whether the kernel takes these operands (shapes the composite broadcasts, say); the composite runs otherwise. */
  supports?(inputs: readonly Aval[]): boolean;
}

export interface FusedParams {
  readonly op: FusedOp;
  /** The composite traced: [captured..., inputs...] -> outputs. */
  readonly body: Body;
  readonly nCaptured: number;
  /** False once batched by vmap: the kernel takes the op's own shapes only. */
  readonly native: boolean;
}

export const fusedP: MultiPrimitive<FusedParams> = defineMultiPrimitive<FusedParams>({
  name: "fused",
  abstractEval(avals, { op, body }) {
    avals.forEach((a, i) => {
      const want = body.inAvals[i];
      if (want === undefined || !sameAval(a, want))
        throw new ShapeError(
          { op: op.name, expected: want ? describeAval(want) : "fewer operands", got: describeAval(a) },
          `${op.name}: operand ${i} is ${describeAval(a)}, the op was traced for ${want ? describeAval(want) : "fewer operands"}`,
        );
    });
    return [...body.outAvals];
  },
  impl(inputs, { op, body, nCaptured, native }) {
    if (native && nativeAvailable(op.kernel) && (op.supports?.(body.inAvals.slice(nCaptured)) ?? true)) {
      const named: Record<string, TfTensor> = {};
      inputs.slice(nCaptured).forEach((t, i) => (named[`x${i}`] = t));
      const outs = tf.engine().runKernel<TfTensor | TfTensor[]>(op.kernel, named, op.attrs ?? {});
      return Array.isArray(outs) ? outs : [outs];
    }
    return runBody(body, inputs);
  },
  jvp: (primals, tangents, { body }) => jvpFlat((a) => evalBody(body, a), primals, tangents),
  // NOTE: the composite again, on the tape, only when the fused op itself is differentiated (the
  // ops that use one inside a custom vjp never are at first order); it keeps only the inputs
  vjp: (primals, wanted, p) => recomputingVjp(fusedP, primals, wanted, p, p.body),
  batch(inputs, batched, p, n) {
    const b = batchBody(p.op.name, p.body, batched, n);
    return bindMulti(fusedP, [...b.captured, ...inputs], { ...p, body: b.body, nCaptured: b.captured.length, native: false });
  },
});

/**
 * `op` applied to `inputs`: its native kernel on WASM when available, its composite otherwise; the
 * composite's derivatives either way. Internal (layers and optimizers fuse their inner loops with it).
 */
export function fused(op: FusedOp, inputs: readonly AnyTensor[]): AnyTensor[] {
  return scoped(() => {
    const t = traceBody(
      op.name,
      (ins) => op.composite(ins),
      inputs.map((x) => ({ shape: x.shape, dtype: x.dtype })),
    );
    return bindMulti(fusedP, [...t.captured, ...inputs], { op, body: t.body, nCaptured: t.captured.length, native: true });
  }, leafTensors);
}

// remat (rematerialisation, JAX's jax.checkpoint / jax.remat): a function whose reverse mode keeps only its inputs and recomputes the rest
// in the backward pass. A primitive carrying the traced body: evaluated
// (eagerly or replayed under jit) it frees its intermediates as it goes; its vjp rule records no
// residuals beyond the inputs and runs the body's vjp again inside the pullback.
import { flatten, unflatten, type TreeDef } from "../tree/index.js";
import type { AnyTensor } from "../tensor/index.js";
import { bindMulti, scoped } from "./trace.js";
import { defineMultiPrimitive, type MultiPrimitive } from "./primitive.js";
import { batchBody, describeAval, evalBody, jvpFlat, runBody, sameAval, traceBody, type Body } from "./body.js";
import { vjpCore } from "./grad.js";
import { call, expectFunction, leafTensors, type AnyFunction } from "./util.js";
import { ShapeError } from "../tensor/index.js";

export interface RematParams {
  /** [captured..., args...] -> outputs */
  readonly body: Body;
}

export const rematP: MultiPrimitive<RematParams> = defineMultiPrimitive<RematParams>({
  name: "remat",
  abstractEval(avals, { body }) {
    avals.forEach((a, i) => {
      const want = body.inAvals[i];
      if (want === undefined || !sameAval(a, want))
        throw new ShapeError(
          { op: "remat", expected: want ? describeAval(want) : "fewer operands", got: describeAval(a) },
          `remat: operand ${i} is ${describeAval(a)}, the traced function expects ${want ? describeAval(want) : "no more operands"}`,
        );
    });
    return [...body.outAvals];
  },
  impl: (inputs, { body }) => runBody(body, inputs),
  // NOTE: forward mode keeps nothing for later, so there is nothing to rematerialise: inline the body
  jvp: (primals, tangents, { body }) => jvpFlat((a) => evalBody(body, a), primals, tangents),
  vjp: (primals, wanted, p) => recomputingVjp(rematP, primals, wanted, p, p.body),
  batch(inputs, batched, { body }, n) {
    const b = batchBody("remat", body, batched, n);
    return bindMulti(rematP, [...b.captured, ...inputs], { body: b.body });
  },
});

/**
 * Reverse mode for a primitive carrying a body: the primitive itself forward (keeping nothing but
 * its inputs), and a pullback that runs the body again on the tape, then its backward pass (remat's
 * rule, and a fused op's, whose kernel has no derivative of its own).
 */
export function recomputingVjp<P>(
  prim: MultiPrimitive<P>,
  primals: AnyTensor[],
  wanted: readonly boolean[],
  params: P,
  body: Body,
): { outs: AnyTensor[]; residuals: AnyTensor[]; pullback(cts: readonly (AnyTensor | null)[]): (AnyTensor | null)[] } {
  const outs = bindMulti(prim, primals, params);
  const diffIdx = primals.flatMap((a, i) => (wanted[i] && a.dtype === "float32" ? [i] : []));
  const pullback = (cts: readonly (AnyTensor | null)[]) => {
    const r = vjpCore(
      (...d: AnyTensor[]) => {
        const full = [...primals];
        diffIdx.forEach((i, j) => (full[i] = d[j]));
        return evalBody(body, full);
      },
      diffIdx.map((i) => primals[i]),
    );
    const result: (AnyTensor | null)[] = primals.map(() => null);
    r.pullback(cts).forEach((c, j) => (result[diffIdx[j]] = c));
    return result;
  };
  return { outs, residuals: [], pullback };
}

/**
 * `f` with rematerialisation (JAX's `jax.checkpoint`, also called `jax.remat`; named `remat` here so it is
 * not confused with the training `checkpoint` callback of `shapeflow/node`): under grad/vjp only its inputs are kept for
 * the backward pass, and its intermediates are recomputed there. Trades compute (one more forward
 * pass of `f`) for memory; wrap blocks of a deep network. Arguments and results are pytrees.
 * ```ts
 * const block = remat((p: BlockParams, x: Tensor<[B, 512]>) => mlpBlock(p, x));
 * const g = grad((ps: BlockParams[], x) => sum(ps.reduce((h, p) => block(p, h), x)))(params, x);
 * ```
 */
export function remat<F extends AnyFunction>(f: F): F;
export function remat(f: AnyFunction): (...args: unknown[]) => unknown {
  expectFunction("remat", f);
  const wrapped = (...args: unknown[]) =>
    scoped(() => {
      const [leaves, def] = flatten(args);
      let outDef: TreeDef | undefined;
      const t = traceBody(
        "remat",
        (flat) => {
          const [outLeaves, d] = flatten(call(f, unflatten<unknown[]>(def, flat)));
          outDef = d;
          return outLeaves;
        },
        leaves.map((l) => ({ shape: l.shape, dtype: l.dtype })),
      );
      return unflatten(outDef!, bindMulti(rematP, [...t.captured, ...leaves], { body: t.body }));
    }, leafTensors);
  return wrapped;
}

// customJvp: a function with a hand-written forward-mode rule (JAX's custom_jvp), as a primitive
// carrying two traced bodies: `f` (used to evaluate) and the rule (used to differentiate).
// Reverse mode needs no rule of its own: the rule's tangent output is linear in the tangents, so
// the vjp of that linear map at the primal point is its transpose (J^T ct).
import { describeValue, isTensor, sameShape, formatShape, ShapeError, ValueError, type AnyTensor } from "../tensor/index.js";
import { bindMulti, scoped } from "./trace.js";
import { defineMultiPrimitive, type MultiPrimitive } from "./primitive.js";
import { batchBody, describeAval, evalBody, runBody, sameAval, traceBody, type Body } from "./body.js";
import { vjpCore } from "./grad.js";
import { zerosLike, withBatchAxis } from "./primitives/broadcast.js";
import { leafTensors } from "./util.js";

export interface CustomJvpParams {
  /** [fConsts..., args...] -> [out] */
  readonly f: Body;
  /** [ruleConsts..., primals..., tangents...] -> [out, outTangent] */
  readonly rule: Body;
  readonly nF: number;
  readonly nR: number;
}

export const customJvpP: MultiPrimitive<CustomJvpParams> = defineMultiPrimitive<CustomJvpParams>({
  name: "customJvp",
  abstractEval(avals, p) {
    const want = [...p.f.inAvals.slice(0, p.nF), ...p.rule.inAvals.slice(0, p.nR), ...p.f.inAvals.slice(p.nF)];
    avals.forEach((a, i) => {
      if (want[i] === undefined || !sameAval(a, want[i]))
        throw new ShapeError(
          { op: "customJvp", expected: want[i] ? describeAval(want[i]) : "fewer operands", got: describeAval(a) },
          `customJvp: operand ${i} is ${describeAval(a)}, the traced function expects ${want[i] ? describeAval(want[i]) : "no more operands"}`,
        );
    });
    return [...p.f.outAvals];
  },
  impl: (inputs, p) => runBody(p.f, [...inputs.slice(0, p.nF), ...inputs.slice(p.nF + p.nR)]),
  jvp(primals, tangents, p) {
    const rc = primals.slice(p.nF, p.nF + p.nR);
    const args = primals.slice(p.nF + p.nR);
    // NOTE: tangents of closed-over values are not seen by the rule: it is the derivative in the arguments
    const dots = tangents.slice(p.nF + p.nR).map((t, i) => t ?? zerosLike(args[i]));
    const [out, outDot] = evalBody(p.rule, [...rc, ...args, ...dots]);
    return [[out], [outDot]];
  },
  vjp(primals, wanted, p) {
    const outs = bindMulti(customJvpP, primals, p);
    const rc = primals.slice(p.nF, p.nF + p.nR);
    const args = primals.slice(p.nF + p.nR);
    const first = p.nF + p.nR;
    const diffIdx = args.flatMap((a, i) => (wanted[first + i] && a.dtype === "float32" ? [i] : []));
    const pullback = ([ct]: readonly (AnyTensor | null)[]) => {
      const result: (AnyTensor | null)[] = primals.map(() => null);
      if (ct === null || ct === undefined) return result;
      const r = vjpCore(
        (...t: AnyTensor[]) => {
          const dots = args.map((a) => zerosLike(a));
          diffIdx.forEach((i, j) => (dots[i] = t[j]));
          return evalBody(p.rule, [...rc, ...args, ...dots])[1];
        },
        diffIdx.map((i) => zerosLike(args[i])),
      );
      r.pullback([ct]).forEach((c, j) => (result[first + diffIdx[j]] = c));
      return result;
    };
    return { outs, residuals: [], pullback };
  },
  batch(inputs, batched, p, n) {
    const first = p.nF + p.nR;
    const args = inputs.slice(first).map((a, i) => (batched[first + i] ? a : withBatchAxis(a, n)));
    const fB = batchBody("customJvp", p.f, [...batched.slice(0, p.nF), ...args.map(() => true)], n);
    const rB = batchBody("customJvp", p.rule, [...batched.slice(p.nF, first), ...args.map(() => true), ...args.map(() => true)], n);
    return bindMulti(customJvpP, [...fB.captured, ...inputs.slice(0, p.nF), ...rB.captured, ...inputs.slice(p.nF, first), ...args], {
      f: fB.body,
      rule: rB.body,
      nF: fB.captured.length + p.nF,
      nR: rB.captured.length + p.nR,
    });
  },
});

function expectOut(what: string, out: unknown): AnyTensor {
  if (!isTensor(out)) {
    const got = describeValue(out);
    throw new ValueError({ op: "customJvp", expected: "a tensor", got }, `customJvp: ${what} must return a tensor, got ${got}`);
  }
  return out;
}

/**
 * `f` with a hand-written forward-mode rule (JAX's `custom_jvp`): `jvpRule(primals, tangents)`
 * returns `[f(...primals), tangent of the output]`, linear in the tangents. jvp uses the rule;
 * grad and vjp use its transpose, so one rule serves both modes; vmap and jit keep it. Use it for
 * numerically stable derivatives. Tangents of values `f` closes over are ignored by the rule.
 * ```ts
 * const log1pexp = customJvp(
 *   (x: Tensor<[]>) => log(add(1, exp(x))),
 *   ([x], [xDot]) => [log(add(1, exp(x))), mul(xDot, sigmoid(x))],
 * );
 * grad(log1pexp)(scalar(100)).item();   // 1 (the plain formula gives NaN)
 * ```
 */
export function customJvp<A extends AnyTensor[], S extends AnyTensor>(
  f: (...args: A) => S,
  jvpRule: (primals: A, tangents: A) => readonly [S, S],
): (...args: A) => S {
  [f, jvpRule].forEach((rule, i) => {
    if (typeof rule !== "function") {
      const got = describeValue(rule);
      const name = ["the function", "the jvp rule"][i];
      throw new ValueError({ op: "customJvp", expected: "a function", got }, `customJvp: ${name} must be a function, got ${got}`);
    }
  });
  return (...args: A) =>
    scoped(() => {
      args.forEach((a, i) => {
        if (!isTensor(a)) {
          const got = describeValue(a);
          throw new ValueError(
            { op: "customJvp", expected: "tensor arguments", got },
            `customJvp: argument ${i} must be a tensor, got ${got}`,
          );
        }
      });
      const avals = args.map((a) => ({ shape: a.shape, dtype: a.dtype }));
      const n = args.length;
      const fT = traceBody("customJvp", (flat) => [expectOut("the function", f(...(flat as A)))], avals);
      const out = fT.body.outAvals[0];
      const rT = traceBody(
        "customJvp",
        (flat) => {
          const r: unknown = jvpRule(flat.slice(0, n) as A, flat.slice(n) as A);
          if (!Array.isArray(r) || r.length !== 2) {
            const got = Array.isArray(r) ? `an array of ${r.length}` : isTensor(r) ? "a tensor" : describeValue(r);
            throw new ValueError(
              { op: "customJvp", expected: "[output, output tangent]", got },
              `customJvp: the jvp rule must return [output, output tangent], got ${got}`,
            );
          }
          const [o, d] = [expectOut("the jvp rule's output", r[0]), expectOut("the jvp rule's tangent", r[1])];
          for (const [x, name] of [
            [o, "output"],
            [d, "output tangent"],
          ] as const) {
            if (!sameShape(x.shape, out.shape) || x.dtype !== out.dtype)
              throw new ShapeError(
                { op: "customJvp", expected: describeAval(out), got: describeAval(x) },
                `customJvp: the jvp rule's ${name} is ${formatShape(x.shape)} ${x.dtype}, but the function returns ${describeAval(out)}`,
              );
          }
          return [o, d];
        },
        [...avals, ...avals],
      );
      const [y] = bindMulti(customJvpP, [...fT.captured, ...rT.captured, ...args], {
        f: fT.body,
        rule: rT.body,
        nF: fT.captured.length,
        nR: rT.captured.length,
      });
      return y as S;
    }, leafTensors);
}

// customVjp: a function with a hand-written reverse rule (for stability or speed).
import {
  describeValue,
  DTypeError,
  formatShape,
  isTensor,
  sameShape,
  ShapeError,
  ValueError,
  type AnyTensor,
  type Tensor,
} from "../tensor/index.js";
import type { Shape } from "../../typelevel/index.js";
import { flatten } from "../tree/index.js";
import { Tracer } from "./trace.js";
import { GradTracer } from "./grad.js";

/**
 * `f` with a custom reverse rule. `fwd` returns the output and residuals; `bwd` maps residuals and
 * the output cotangent to one cotangent per argument (null = zero). Under other transforms
 * (jvp, vmap, jit tracing) `f` itself is used.
 * ```ts
 * const clipGrad = customVjp((x: Tensor<[3]>) => x, (x) => [x, null], (_r, g) => [clip(g, -1, 1)]);
 * ```
 */
export function customVjp<A extends AnyTensor[], S extends Shape, R>(
  f: (...args: A) => Tensor<S>,
  fwd: (...args: A) => [Tensor<S>, R],
  bwd: (residuals: R, cotangent: Tensor<S>) => { [K in keyof A]: A[K] | null },
): (...args: A) => Tensor<S> {
  [f, fwd, bwd].forEach((rule, i) => {
    if (typeof rule !== "function") {
      const got = describeValue(rule);
      const name = ["the function", "the forward rule", "the backward rule"][i];
      throw new ValueError({ op: "customVjp", expected: "a function", got }, `customVjp: ${name} must be a function, got ${got}`);
    }
  });
  return (...args: A) => {
    let top: Tracer | undefined;
    for (const a of args) if (a instanceof Tracer && (top === undefined || a.trace.level > top.trace.level)) top = a;
    if (!(top instanceof GradTracer)) return f(...args);
    const trace = top.trace;
    const values = args.map((a) => trace.unwrap(a)) as A;
    const pair: unknown = fwd(...values);
    if (!Array.isArray(pair) || pair.length !== 2 || !isTensor(pair[0])) {
      const got = Array.isArray(pair) ? `an array of ${pair.length}` : isTensor(pair) ? "a tensor" : describeValue(pair);
      throw new ValueError(
        { op: "customVjp", expected: "[output, residuals]", got },
        `customVjp: the forward rule must return [output, residuals] with a tensor output, got ${got}`,
      );
    }
    const [out, residuals] = pair as [Tensor<S>, R];
    const inputs = args.map((a) => (a instanceof GradTracer && a.trace === trace && a.dtype === "float32" ? a : null));
    const [resLeaves] = flatten(residuals);
    const rule = (ct: AnyTensor) => checkCotangents(bwd(residuals, ct as Tensor<S>), values);
    return trace.record(out, inputs, rule, [...values, out, ...resLeaves], "customVjp") as Tensor<S>;
  };
}

/** What the user's backward rule returned must be one tensor (or null) per argument, each like its argument. */
function checkCotangents(cts: unknown, args: readonly AnyTensor[]): (AnyTensor | null)[] {
  const op = "customVjp";
  const n = args.length;
  const expected = `an array of ${n} cotangent(s), a tensor or null per argument`;
  if (!Array.isArray(cts)) {
    const got = isTensor(cts) ? "a tensor" : describeValue(cts);
    const hint = isTensor(cts) ? " (wrap it: [cotangent])" : "";
    throw new ValueError({ op, expected, got }, `${op}: the backward rule must return ${expected}, got ${got}${hint}`);
  }
  if (cts.length !== n) {
    throw new ValueError(
      { op, expected, got: `an array of ${cts.length}` },
      `${op}: the backward rule returned ${cts.length} cotangent(s) for ${n} argument(s); return a tensor or null per argument`,
    );
  }
  return cts.map((c: unknown, i) => {
    if (c === null) return null;
    if (!isTensor(c)) {
      const got = describeValue(c);
      throw new ValueError(
        { op, expected: `a tensor or null for argument ${i}`, got },
        `${op}: the backward rule's cotangent for argument ${i} is ${got}; return a tensor shaped like the argument, or null for a zero cotangent`,
      );
    }
    const a = args[i];
    if (isTensor(a)) {
      if (a.dtype === "float32" && c.dtype !== "float32") {
        throw new DTypeError(
          { op, expected: "float32", got: c.dtype },
          `${op}: the backward rule's cotangent for argument ${i} is ${c.dtype}; argument ${i} is float32, so its cotangent must be too`,
        );
      }
      if (!sameShape(c.shape, a.shape)) {
        throw new ShapeError(
          { op, expected: formatShape(a.shape), got: formatShape(c.shape) },
          `${op}: the backward rule's cotangent for argument ${i} has shape ${formatShape(c.shape)}, but argument ${i} has shape ${formatShape(a.shape)}`,
        );
      }
    }
    return c;
  });
}

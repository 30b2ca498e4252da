// customVjp: a function with a hand-written reverse rule (for stability or speed).
import { type AnyTensor, type Tensor } from "../tensor/index.js";
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
  return (...args: A) => {
    let top: Tracer | undefined;
    for (const a of args) if (a instanceof Tracer && (top === undefined || a.trace.level > top.trace.level)) top = a;
    if (!(top instanceof GradTracer)) return f(...args);
    const trace = top.trace;
    const values = args.map((a) => trace.unwrap(a)) as A;
    const [out, residuals] = fwd(...values);
    const inputs = args.map((a) => (a instanceof GradTracer && a.trace === trace && a.dtype === "float32" ? a : null));
    const [resLeaves] = flatten(residuals);
    return trace.record(out, inputs, (ct) => bwd(residuals, ct as Tensor<S>), [...values, out, ...resLeaves], "customVjp") as Tensor<S>;
  };
}

// Heavy-ball and Nesterov momentum (optax's trace).
import { add, mul } from "../core/index.js";
import { appliedLeafStep, fusedLeafStep, leafwiseTransformation, withAppliedLeafRule, type LeafwiseSpec } from "./leafwise.js";
import { checkNonNegative, type GradientTransformation, type StateFamily, checkOptions } from "./transform.js";

/** The running momentum, a tree like the params. */
export interface ScaleByMomentumState<P> {
  /** The velocity: `g + decay * trace` of the previous step, a tree like the params. */
  trace: P;
}
/** The state family of `scaleByMomentum`: `ScaleByMomentumState<P>` for params P. */
export interface ScaleByMomentumFamily extends StateFamily {
  /** The state type for params `this["params"]`. */
  readonly state: ScaleByMomentumState<this["params"]>;
}

/** Options of `scaleByMomentum({ decay, nesterov })`. */
export interface ScaleByMomentumOptions {
  /** How much of the previous trace each step keeps (default 0.9). */
  decay?: number;
  /** Nesterov's look-ahead: the update is `g + decay * trace` instead of `trace` (default false). */
  nesterov?: boolean;
}

/**
 * Momentum: `trace = g + decay * trace`; the update is `trace`, or `g + decay * trace` with
 * `nesterov` (optax's trace). Place it before `scaleByLearningRate`.
 * ```ts
 * const heavyBall = chain(scaleByMomentum({ decay: 0.9 }), scaleByLearningRate(0.01));
 * ```
 */
export function scaleByMomentum(opts: ScaleByMomentumOptions = {}): GradientTransformation<ScaleByMomentumFamily> {
  checkOptions("scaleByMomentum", opts);
  const { decay = 0.9, nesterov = false } = opts;
  checkNonNegative("scaleByMomentum", "decay", decay);
  // one pass per leaf on WASM (core/native/adam.c)
  const heavyBall = fusedLeafStep(
    {
      name: "scaleByMomentum",
      kernel: "ShapeflowMomentumUpdate",
      attrs: { decay },
      composite: ([g, trace]) => [add(g, mul(trace, decay))],
    },
    2,
  );
  const lookAhead = fusedLeafStep(
    {
      name: "scaleByMomentum(nesterov)",
      kernel: "ShapeflowNesterovUpdate",
      attrs: { decay },
      composite: ([g, trace]) => {
        const t = add(g, mul(trace, decay));
        return [add(g, mul(t, decay)), t];
      },
    },
    2,
  );
  // and applied to the params in the same pass (updateAndApply)
  const applied = appliedLeafStep({
    name: nesterov ? "scaleByMomentum(nesterov)" : "scaleByMomentum",
    kernel: nesterov ? "ShapeflowNesterovApply" : "ShapeflowMomentumApply",
    attrs: { decay },
    statistics: 1,
    step: (g, [trace]) => {
      const t = add(g, mul(trace, decay));
      return [nesterov ? add(g, mul(t, decay)) : t, [t]];
    },
  });
  const spec: LeafwiseSpec<"trace", false> = {
    initial: { trace: 0 },
    counted: false,
    rule:
      () =>
      (g, { trace }) => {
        if (!nesterov) {
          const [t] = heavyBall([g, trace]);
          return [t, { trace: t }];
        }
        const [update, t] = lookAhead([g, trace]);
        return [update, { trace: t }];
      },
  };
  const name = nesterov ? "scaleByMomentum(nesterov)" : "scaleByMomentum";
  return withAppliedLeafRule(leafwiseTransformation(name, spec), spec, (_, factor) => (g, { trace }, p, probe, decay) => {
    const [[t], q, pr] = applied(g, [trace], p, [], factor, probe, decay);
    return [q, { trace: t }, pr];
  });
}

/** optax's name for `scaleByMomentum`. */
export const trace = scaleByMomentum;

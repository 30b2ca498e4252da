// Heavy-ball and Nesterov momentum (optax's trace).
import { map2 } from "../tree/index.js";
import { add, mul } from "../core/index.js";
import { fullLikeTree } from "./tree-math.js";
import { checkTree, transformation, type GradientTransformation, type StateFamily } from "./transform.js";

/** The running momentum, a tree like the params. */
export interface ScaleByMomentumState<P> {
  trace: P;
}
export interface ScaleByMomentumFamily extends StateFamily {
  readonly state: ScaleByMomentumState<this["params"]>;
}

/**
 * Momentum: `trace = g + decay * trace`; the update is `trace`, or `g + decay * trace` with
 * `nesterov` (optax's trace). Place it before `scaleByLearningRate`.
 * ```ts
 * const heavyBall = chain(scaleByMomentum({ decay: 0.9 }), scaleByLearningRate(0.01));
 * ```
 */
export function scaleByMomentum(opts: { decay?: number; nesterov?: boolean } = {}): GradientTransformation<ScaleByMomentumFamily> {
  const { decay = 0.9, nesterov = false } = opts;
  if (!(Number.isFinite(decay) && decay >= 0))
    throw new Error(`scaleByMomentum: decay must be a non-negative number, got ${String(decay)}`);
  return transformation(
    nesterov ? "scaleByMomentum(nesterov)" : "scaleByMomentum",
    (params) => ({ trace: fullLikeTree(params, 0) }),
    (updates, state: ScaleByMomentumState<unknown>) => {
      checkTree("scaleByMomentum", "state.trace", updates, state?.trace);
      const trace = map2(updates, state.trace, (g, t) => add(g, mul(t, decay)));
      const out = nesterov ? map2(updates, trace, (g, t) => add(g, mul(t, decay))) : trace;
      return [out, { trace }];
    },
  );
}

/** optax's name for `scaleByMomentum`. */
export const trace = scaleByMomentum;

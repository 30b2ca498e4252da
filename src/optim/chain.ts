// chain: transforms applied in order, each with its own slot in a tuple state.
import { transformation, type FamilyOf, type GradientTransformation, type StateFamily, type StateFromFamily } from "./transform.js";
import { ValueError } from "../tensor/index.js";

/** The state of a chain: one entry per transform, in order. */
export interface ChainFamily<Fs extends readonly unknown[]> extends StateFamily {
  /** The tuple of the transforms' states for params `this["params"]`. */
  readonly state: { -readonly [K in keyof Fs]: Fs[K] extends StateFamily ? StateFromFamily<Fs[K], this["params"]> : never };
}

/**
 * Applies transforms one after another; the state is the tuple of their states.
 * ```ts
 * const opt = chain(clipByGlobalNorm(1), scaleByAdam(), scaleByLearningRate(1e-3));
 * const state = opt.init(params);   // [EmptyState, ScaleByAdamState<P>, ScaleByScheduleState]
 * ```
 */
export function chain<const Ts extends readonly GradientTransformation[]>(
  ...transforms: Ts
): GradientTransformation<ChainFamily<{ -readonly [K in keyof Ts]: FamilyOf<Ts[K]> }>> {
  if (transforms.length === 0)
    throw new ValueError({ op: "chain", expected: "at least one transform", got: "none" }, "chain: needs at least one transform");
  transforms.forEach((t, i) => {
    if (t === null || typeof t !== "object" || typeof t.init !== "function" || typeof t.update !== "function") {
      throw new ValueError(
        { op: "chain", expected: "a gradient transformation { init, update }", got: t === null ? "null" : typeof t },
        `chain: argument ${i} is not a gradient transformation (expected { init, update }), got ${t === null ? "null" : typeof t}`,
      );
    }
  });
  const name = `chain(${transforms.map((t) => t.name).join(", ")})`;
  return transformation(
    name,
    (params) => transforms.map((t) => t.init(params)),
    (updates, state, params) => {
      if (!Array.isArray(state) || state.length !== transforms.length) {
        const got = Array.isArray(state) ? `an array of ${state.length}` : state === null ? "null" : typeof state;
        throw new ValueError(
          { op: name, expected: `the state from init (an array of ${transforms.length})`, got: got },
          `${name}: expected the state from init (an array of ${transforms.length}), got ${got}`,
        );
      }
      let u: unknown = updates;
      const next = transforms.map((t, i) => {
        const [nu, s] = t.update(u, state[i], params);
        u = nu;
        return s;
      });
      return [u, next];
    },
  );
}

// chain: transforms applied in order, each with its own slot in a tuple state.
import {
  appliedUpdateOf,
  decayOf,
  scaledUpdateOf,
  scalingOf,
  transformation,
  type FamilyOf,
  type GradientTransformation,
  type StateFamily,
  type StateFromFamily,
  withAppliedUpdate,
} from "./transform.js";
import { ValueError, type AnyTensor } from "../tensor/index.js";

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
  const checkState = (state: unknown): unknown[] => {
    if (!Array.isArray(state) || state.length !== transforms.length) {
      const got = Array.isArray(state) ? `an array of ${state.length}` : state === null ? "null" : typeof state;
      throw new ValueError(
        { op: name, expected: `the state from init (an array of ${transforms.length})`, got: got },
        `${name}: expected the state from init (an array of ${transforms.length}), got ${got}`,
      );
    }
    return state;
  };
  /** Transforms [from, to) on `updates`, their next states pushed onto `next`. */
  const run = (from: number, to: number, updates: unknown, state: unknown[], params: unknown, next: unknown[]): unknown => {
    let u = updates;
    for (let i = from; i < to; i++) {
      const scaled = scaledUpdateOf(transforms[i]);
      const scaling = i + 1 < to ? scalingOf(transforms[i + 1]) : undefined;
      if (scaled !== undefined && scaling !== undefined) {
        // NOTE: a per-leaf step then a scaling (adam's scaleByLearningRate) run as one pass per leaf; the
        // scaling's state is read after the step's checked its own, so errors come in the same order
        let after: [AnyTensor, unknown] | undefined;
        const factor = () => (after ??= scaling(state[i + 1]))[0];
        const [nu, s] = scaled(u, state[i], factor);
        factor();
        next.push(s, after?.[1]);
        u = nu;
        i++;
        continue;
      }
      const [nu, s] = transforms[i].update(u, state[i], params);
      u = nu;
      next.push(s);
    }
    return u;
  };
  const chained = transformation<ChainFamily<{ -readonly [K in keyof Ts]: FamilyOf<Ts[K]> }>>(
    name,
    (params) => transforms.map((t) => t.init(params)),
    (updates, state, params) => {
      const next: unknown[] = [];
      const u = run(0, transforms.length, updates, checkState(state), params, next);
      return [u, next];
    },
  );
  // updateAndApply: the last transform that applies its step to the params does so (with a decoupled
  // weight decay and a scaling after it, as in adamw, folded in), after the ones before it ran as in update
  const n = transforms.length;
  let j = n - 1;
  const scaling = scalingOf(transforms[j]);
  if (scaling !== undefined) j--;
  const decay = j >= 0 ? decayOf(transforms[j]) : undefined;
  if (decay !== undefined) j--;
  const hook = j >= 0 ? appliedUpdateOf(transforms[j]) : undefined;
  const at = j;
  if (hook === undefined || (at < n - 1 && !hook.scalable)) return chained;
  return withAppliedUpdate(
    chained,
    (updates, state, params, _tail, probe) => {
      const states = checkState(state);
      const next: unknown[] = [];
      const u = run(0, at, updates, states, params, next);
      let after: [AnyTensor, unknown] | undefined;
      const factor = scaling === undefined ? undefined : () => (after ??= scaling(states[n - 1]))[0];
      const [p, s, pr] = hook.run(u, states[at], params, { decay, factor }, probe);
      factor?.();
      next.push(s);
      // NOTE: the decay keeps no state: its slot is the one it was given, as its update returns it
      if (decay !== undefined) next.push(states[at + 1]);
      if (after !== undefined) next.push(after[1]);
      return [p, next, pr];
    },
    false,
  );
}

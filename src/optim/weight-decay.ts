// Decoupled weight decay (Loshchilov & Hutter, AdamW): adds `weightDecay * params` to the updates.
import { map2, paths } from "../tree/index.js";
import { add, mul } from "../core/index.js";
import { checkTree, requireParams, transformation, type EmptyFamily, type GradientTransformation } from "./transform.js";

// NOTE: losses' penalties take the same PathFilter; both belong in src/tree once it grows one.
/** Which leaves a transform touches, by path (e.g. `layers[0].kernel`): a RegExp tested on the path, or a predicate. */
export type PathFilter = RegExp | ((path: string) => boolean);

/** A predicate from a PathFilter (undefined = every leaf). */
export function pathPredicate(filter: PathFilter | undefined): (path: string) => boolean {
  if (filter === undefined) return () => true;
  if (filter instanceof RegExp)
    return (p) => {
      filter.lastIndex = 0;
      return filter.test(p);
    };
  if (typeof filter === "function") return filter;
  throw new Error(`mask: expected a RegExp or a (path) => boolean function, got ${typeof filter}`);
}

/**
 * `updates + weightDecay * params` on the leaves `mask` selects (all by default). Put it after the
 * adaptive scaling and before `scaleByLearningRate`, as adamw does, so decay is not rescaled by Adam.
 * ```ts
 * const opt = chain(scaleByAdam(), addDecayedWeights(1e-4, { mask: /kernel$/ }), scaleByLearningRate(1e-3));
 * ```
 */
export function addDecayedWeights(weightDecay: number, opts: { mask?: PathFilter } = {}): GradientTransformation<EmptyFamily> {
  if (!(Number.isFinite(weightDecay) && weightDecay >= 0)) {
    throw new Error(`addDecayedWeights: weightDecay must be a non-negative number, got ${String(weightDecay)}`);
  }
  const selected = pathPredicate(opts.mask);
  return transformation(
    "addDecayedWeights",
    (params) => {
      if (opts.mask !== undefined && !paths(params).some(selected)) {
        throw new Error(`addDecayedWeights: the mask matches none of the params' leaves (${paths(params).join(", ")})`);
      }
      return {};
    },
    (updates, state, params) => {
      requireParams("addDecayedWeights", params);
      checkTree("addDecayedWeights", "params", updates, params);
      const out = map2(updates, params, (u, p, path) => (selected(path) && weightDecay !== 0 ? add(u, mul(p, weightDecay)) : u));
      return [out, state];
    },
  );
}

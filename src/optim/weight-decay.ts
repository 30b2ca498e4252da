// Decoupled weight decay (Loshchilov & Hutter, AdamW): adds `weightDecay * params` to the updates.
import { map2, pathPredicate, paths, type PathFilter } from "../tree/index.js";
import { add, mul } from "../core/index.js";
import {
  checkNonNegative,
  checkTree,
  requireParams,
  transformation,
  withDecay,
  type EmptyFamily,
  type GradientTransformation,
  checkOptions,
} from "./transform.js";
import { ValueError } from "../tensor/index.js";

/**
 * `updates + weightDecay * params` on the leaves `mask` selects (all by default). Put it after the
 * adaptive scaling and before `scaleByLearningRate`, as adamw does, so decay is not rescaled by Adam.
 * ```ts
 * const opt = chain(scaleByAdam(), addDecayedWeights(1e-4, { mask: /kernel$/ }), scaleByLearningRate(1e-3));
 * ```
 */
export function addDecayedWeights(weightDecay: number, opts: { mask?: PathFilter } = {}): GradientTransformation<EmptyFamily> {
  checkNonNegative("addDecayedWeights", "weightDecay", weightDecay);
  checkOptions("addDecayedWeights", opts);
  const selected = pathPredicate(opts.mask, "addDecayedWeights", "mask");
  const checked = (updates: unknown, params: unknown) => {
    requireParams("addDecayedWeights", params);
    checkTree("addDecayedWeights", "params", updates, params);
  };
  // a decay: chain folds it, with the scaling after it, into an applied step before it (adamw's)
  return withDecay(
    transformation(
      "addDecayedWeights",
      (params) => {
        if (opts.mask !== undefined && !paths(params).some(selected)) {
          throw new ValueError(
            { op: "addDecayedWeights", expected: "a mask matching a leaf", got: paths(params).join(", ") },
            `addDecayedWeights: the mask matches none of the params' leaves (${paths(params).join(", ")})`,
          );
        }
        return {};
      },
      (updates, state, params) => {
        checked(updates, params);
        const out = map2(updates, params, (u, p, path) => (selected(path) && weightDecay !== 0 ? add(u, mul(p, weightDecay)) : u));
        return [out, state];
      },
    ),
    (updates, params) => {
      checked(updates, params);
      return paths(updates).map((path) => (selected(path) ? weightDecay : 0));
    },
  );
}

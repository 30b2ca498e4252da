// The transforms that keep running statistics per leaf (momentum, Adam, Adamax, RMSProp, Adagrad)
// differ only in their statistics' starting values and in one per-leaf rule. This builds the rest
// once: init, the state checks, the step count, and the walk over the leaves.
import { sameShape, type AnyTensor } from "../tensor/index.js";
import { flatten, unflatten } from "../tree/index.js";
import { add, asTensor, fused, type FusedOp } from "../core/index.js";
import { fullLikeTree } from "./tree-math.js";
import {
  checkTree,
  expectStateKeys,
  transformation,
  withScaledUpdate,
  type Count,
  type GradientTransformation,
  type StateFamily,
} from "./transform.js";
import { describeValue, ValueError } from "../tensor/index.js";

/** One leaf's statistics (K names them, e.g. "mu" | "nu"), each a tensor of the leaf's shape. */
export type LeafStatistics<K extends string> = Record<K, AnyTensor>;

/** The per-leaf rule: the gradient and the leaf's statistics in, the update and the new statistics out. */
export type LeafRule<K extends string> = (g: AnyTensor, statistics: LeafStatistics<K>) => [AnyTensor, LeafStatistics<K>];

/** What `leafwiseTransformation` needs: the statistics' starting values, whether to count steps, and the per-leaf rule. */
export interface LeafwiseSpec<K extends string, Counted extends boolean> {
  /** Each statistic's starting value: a tree like the params, every entry this number. */
  initial: Record<K, number>;
  /** Whether the state keeps a step count (what bias corrections read). */
  counted: Counted;
  /**
   * The per-leaf rule for one step. It is made once per step from the new step count (1 at the first
   * step; a count only when `counted`), so scalars every leaf shares (bias corrections) are computed once.
   */
  rule(count: Counted extends true ? AnyTensor : undefined): LeafRule<K>;
}

/** The state of a leafwise transform: a tree like the params per statistic, plus the count when counted. */
export type LeafwiseState<K extends string, Counted extends boolean, P> = (Counted extends true ? { count: Count } : unknown) & {
  [k in K]: P;
};
/** The state family of a leafwise transform: `LeafwiseState<K, Counted, P>` for params P. */
export interface LeafwiseFamily<K extends string, Counted extends boolean> extends StateFamily {
  /** The state type for params `this["params"]`. */
  readonly state: LeafwiseState<K, Counted, this["params"]>;
}

/**
 * A transformation keeping the statistics `spec.initial` names, updated leaf by leaf by `spec.rule`.
 * A state made for other params fails with the statistic's name and the first leaf that differs.
 * ```ts
 * const rms = leafwiseTransformation("scaleByRms", { initial: { nu: 0 }, counted: false,
 *   rule: () => (g, { nu }) => { const next = add(mul(nu, 0.9), mul(square(g), 0.1)); return [mul(g, rsqrt(add(next, 1e-8))), { nu: next }]; } });
 * ```
 */
export function leafwiseTransformation<K extends string, Counted extends boolean>(
  name: string,
  spec: LeafwiseSpec<K, Counted>,
): GradientTransformation<LeafwiseFamily<K, Counted>> {
  const sp = spec as Partial<LeafwiseSpec<K, Counted>> | null | undefined;
  if (typeof sp !== "object" || sp === null || typeof sp.initial !== "object" || sp.initial === null || typeof sp.rule !== "function") {
    const got = describeValue(spec);
    throw new ValueError(
      { op: String(name), expected: "a spec { initial, counted, rule }", got },
      `${String(name)}: leafwiseTransformation needs a spec { initial, counted, rule }, got ${got}`,
    );
  }
  const keys = Object.keys(spec.initial) as K[];
  return transformation(
    name,
    (params) => {
      const state: Record<string, unknown> = spec.counted ? { count: asTensor(0) } : {};
      for (const k of keys) state[k] = fullLikeTree(params, spec.initial[k]);
      return state;
    },
    (updates, state) => leafwiseUpdate(name, spec, updates, state, spec.rule),
  );
}

/** One step of a leafwise transform: the state checks, the count, and `ruleFor(count)` over the leaves. */
function leafwiseUpdate<K extends string, Counted extends boolean>(
  name: string,
  spec: LeafwiseSpec<K, Counted>,
  updates: unknown,
  state: unknown,
  ruleFor: (count: Counted extends true ? AnyTensor : undefined) => LeafRule<K>,
): [unknown, unknown] {
  const keys = Object.keys(spec.initial) as K[];
  expectStateKeys(name, state, spec.counted ? ["count", ...keys] : keys);
  for (const k of keys) checkTree(name, `state.${k}`, updates, state[k]);
  const count = spec.counted ? add(state.count as AnyTensor, 1) : undefined;
  const rule = ruleFor(count as Counted extends true ? AnyTensor : undefined);
  const [gs, def] = flatten(updates);
  const old = keys.map((k) => flatten(state[k])[0]);
  const outs: AnyTensor[] = [];
  const next = keys.map((): AnyTensor[] => []);
  gs.forEach((g, i) => {
    const statistics = {} as LeafStatistics<K>;
    keys.forEach((k, j) => (statistics[k] = old[j][i]));
    const [out, updated] = rule(g, statistics);
    outs.push(out);
    keys.forEach((k, j) => next[j].push(updated[k]));
  });
  const nextState: Record<string, unknown> = count === undefined ? {} : { count };
  keys.forEach((k, j) => (nextState[k] = unflatten(def, next[j])));
  return [unflatten(def, outs), nextState];
}

/**
 * `leafwiseTransformation(name, spec)` whose step can also multiply its outputs by a scalar in the same
 * pass: `scaledRule(count, factor)` is `spec.rule(count)` with every update times `factor`. In a `chain`,
 * a scaling right after it (scaleByLearningRate) is folded into it. Internal (adam's).
 */
export function scalableLeafwiseTransformation<K extends string, Counted extends boolean>(
  name: string,
  spec: LeafwiseSpec<K, Counted>,
  scaledRule: (count: Counted extends true ? AnyTensor : undefined, factor: AnyTensor) => LeafRule<K>,
): GradientTransformation<LeafwiseFamily<K, Counted>> {
  return withScaledUpdate(leafwiseTransformation(name, spec), (updates, state, factor) =>
    leafwiseUpdate(name, spec, updates, state, (count) => scaledRule(count, factor())),
  );
}

/**
 * A per-leaf step as a fused op: `op`'s native kernel (one pass over the leaf) on WASM, its composite
 * elsewhere and for every derivative and batching rule. The kernel takes float32 operands only, the
 * first `leaves` of one shape (the gradient and the leaf's statistics) and the rest scalars.
 */
export function fusedLeafStep(op: FusedOp, leaves: number): (inputs: AnyTensor[]) => AnyTensor[] {
  const fusedOp: FusedOp = {
    ...op,
    supports: (avals) =>
      avals.every((a, i) => a.dtype === "float32" && (i < leaves ? sameShape(a.shape, avals[0].shape) : a.shape.length === 0)),
  };
  return (inputs) => fused(fusedOp, inputs);
}

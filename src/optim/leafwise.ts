// The transforms that keep running statistics per leaf (momentum, Adam, Adamax, RMSProp, Adagrad)
// differ only in their statistics' starting values and in one per-leaf rule. This builds the rest
// once: init, the state checks, the step count, and the walk over the leaves.
import { sameShape, type AnyTensor } from "../tensor/index.js";
import { assertSameStructure, flatten, paths, unflatten } from "../tree/index.js";
import { add, asTensor, fused, mul, sum, type FusedOp } from "../core/index.js";
import { fullLikeTree } from "./tree-math.js";
import {
  checkLeafPair,
  checkTree,
  expectStateKeys,
  transformation,
  withAppliedUpdate,
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

/** The state checks and the new count of one leafwise step, and the leaves it walks. */
function leafwiseStart<K extends string, Counted extends boolean>(
  name: string,
  spec: LeafwiseSpec<K, Counted>,
  updates: unknown,
  state: unknown,
) {
  const keys = Object.keys(spec.initial) as K[];
  expectStateKeys(name, state, spec.counted ? ["count", ...keys] : keys);
  for (const k of keys) checkTree(name, `state.${k}`, updates, state[k]);
  const count = spec.counted ? add(state.count as AnyTensor, 1) : undefined;
  const [gs, def] = flatten(updates);
  const old = keys.map((k) => flatten(state[k])[0]);
  /** Leaf i's statistics. */
  const statisticsAt = (i: number) => {
    const statistics = {} as LeafStatistics<K>;
    keys.forEach((k, j) => (statistics[k] = old[j][i]));
    return statistics;
  };
  /** The next state from the leaves' new statistics. */
  const nextState = (updated: LeafStatistics<K>[]) => {
    const next: Record<string, unknown> = count === undefined ? {} : { count };
    keys.forEach(
      (k) =>
        (next[k] = unflatten(
          def,
          updated.map((u) => u[k]),
        )),
    );
    return next;
  };
  return { count: count as Counted extends true ? AnyTensor : undefined, gs, def, statisticsAt, nextState };
}

/** One step of a leafwise transform: the state checks, the count, and `ruleFor(count)` over the leaves. */
function leafwiseUpdate<K extends string, Counted extends boolean>(
  name: string,
  spec: LeafwiseSpec<K, Counted>,
  updates: unknown,
  state: unknown,
  ruleFor: (count: Counted extends true ? AnyTensor : undefined) => LeafRule<K>,
): [unknown, unknown] {
  const { count, gs, def, statisticsAt, nextState } = leafwiseStart(name, spec, updates, state);
  const rule = ruleFor(count);
  const outs: AnyTensor[] = [];
  const updated = gs.map((g, i) => {
    const [out, statistics] = rule(g, statisticsAt(i));
    outs.push(out);
    return statistics;
  });
  return [unflatten(def, outs), nextState(updated)];
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

// ------------------------------------------------------------------ the step applied to the params (updateAndApply)

/**
 * The per-leaf rule applied to the params: the gradient, the leaf's statistics, its params, the probe
 * so far and the leaf's weight decay rate in; `p + (update + decay * p)` (times the chain's factor,
 * when one is folded in), the new statistics and the probe plus the sum of the new params (when a
 * probe came) out.
 */
export type AppliedLeafRule<K extends string> = (
  g: AnyTensor,
  statistics: LeafStatistics<K>,
  p: AnyTensor,
  probe: AnyTensor | undefined,
  decay: number,
) => [AnyTensor, LeafStatistics<K>, AnyTensor | undefined];

/**
 * Marks the leafwise `transform` (made from `spec`) as able to apply its step to the params in the
 * same pass: `appliedRule(count, factor)` makes the per-leaf rule of one step (factor: the scaling a
 * chain folds in, if any). updateAndApply then runs it in place of `update` and `applyUpdates`.
 */
export function withAppliedLeafRule<
  K extends string,
  Counted extends boolean,
  T extends GradientTransformation<LeafwiseFamily<K, Counted>>,
>(
  transform: T,
  spec: LeafwiseSpec<K, Counted>,
  appliedRule: (count: Counted extends true ? AnyTensor : undefined, factor: AnyTensor | undefined) => AppliedLeafRule<K>,
): T {
  return withAppliedUpdate(
    transform,
    (updates, state, params, tail, probe) => {
      // the checks in the order update (the step's, the decay's, the scaling's) and applyUpdates make them
      const { count, gs, def, statisticsAt, nextState } = leafwiseStart(transform.name, spec, updates, state);
      const decays = tail.decay?.(updates, params);
      const rule = appliedRule(count, tail.factor?.());
      assertSameStructure(params, updates, "applyUpdates: params and updates");
      const ps = flatten(params)[0];
      const at = paths(params);
      gs.forEach((g, i) => checkLeafPair("applyUpdates", ps[i], g, at[i]));
      let running = probe;
      const next: AnyTensor[] = [];
      const updated = gs.map((g, i) => {
        const [p, statistics, pr] = rule(g, statisticsAt(i), ps[i], running, decays?.[i] ?? 0);
        next.push(p);
        running = pr;
        return statistics;
      });
      return [unflatten(def, next), nextState(updated), running];
    },
    true,
  );
}

/** What `appliedLeafStep` builds its fused ops from. */
export interface AppliedLeafOp {
  /** For messages and profiles. */
  name: string;
  /** The native kernel (core/native/adam.ts's `applyKernel`s). */
  kernel: string;
  /** Numbers the kernel reads. */
  attrs: Record<string, number | boolean>;
  /** How many statistics the step keeps per leaf. */
  statistics: number;
  /**
   * The step's math (the plain step's composite): the gradient, the statistics and the shared scalars
   * (bias corrections) in, the update and the new statistics out.
   */
  step(g: AnyTensor, statistics: AnyTensor[], scalars: AnyTensor[]): [AnyTensor, AnyTensor[]];
}

/**
 * A per-leaf step applied to the params, as fused ops (one per combination of a scale, a probe and a
 * weight decay rate): `(g, statistics, p, scalars, scale?, probe?, decay)` gives the new statistics,
 * `p + (update + decay * p) * scale` and `probe + sum(p')`. The composite is `op.step`, then the
 * decay's `add(update, mul(p, decay))` (when decay is not 0), `mul` by the scale, `add` to p, and the
 * probe's `sum` and `add`: exactly what the step, addDecayedWeights, the chain's scaling, applyUpdates
 * and the training step's probe do in turn, so derivatives, vmap and every backend without the kernel
 * get that math.
 */
export function appliedLeafStep(
  op: AppliedLeafOp,
): (
  g: AnyTensor,
  statistics: AnyTensor[],
  p: AnyTensor,
  scalars: AnyTensor[],
  scale: AnyTensor | undefined,
  probe: AnyTensor | undefined,
  decay: number,
) => [AnyTensor[], AnyTensor, AnyTensor | undefined] {
  const k = op.statistics;
  const make = (scaled: boolean, probed: boolean, weightDecay: number) =>
    fusedLeafStep(
      {
        name: `${op.name} applied${scaled ? " (scaled)" : ""}${probed ? " (probed)" : ""}${weightDecay !== 0 ? " (decayed)" : ""}`,
        kernel: op.kernel,
        attrs: { ...op.attrs, scaled, probe: probed, weightDecay },
        composite: (inputs) => {
          const [g, statistics, p] = [inputs[0], inputs.slice(1, 1 + k), inputs[1 + k]];
          const scalars = inputs.slice(2 + k, inputs.length - (scaled ? 1 : 0) - (probed ? 1 : 0));
          const probeIn = probed ? inputs[inputs.length - 1] : undefined;
          const scale = scaled ? inputs[inputs.length - (probed ? 2 : 1)] : undefined;
          const [direction, next] = op.step(g, statistics, scalars);
          const update = weightDecay === 0 ? direction : add(direction, mul(p, weightDecay));
          const q = add(p, scale === undefined ? update : mul(update, scale));
          return probeIn === undefined ? [...next, q] : [...next, q, add(probeIn, sum(q))];
        },
      },
      k + 2,
    );
  const ops = new Map<string, (inputs: AnyTensor[]) => AnyTensor[]>();
  return (g, statistics, p, scalars, scale, probe, decay) => {
    const key = `${scale === undefined}/${probe === undefined}/${decay}`;
    let f = ops.get(key);
    if (f === undefined) ops.set(key, (f = make(scale !== undefined, probe !== undefined, decay)));
    const outs = f([g, ...statistics, p, ...scalars, ...(scale === undefined ? [] : [scale]), ...(probe === undefined ? [] : [probe])]);
    return [outs.slice(0, k), outs[k], probe === undefined ? undefined : outs[k + 1]];
  };
}

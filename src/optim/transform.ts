// The optimizer contract (optax's GradientTransformation): a pair of pure functions over pytrees.
// State types depend on the params type P, so a transform carries a "state family" F and
// `StateFromFamily<F, P>` applies it (the `this`-type encoding of a type-level function).
import * as tf from "@tensorflow/tfjs-core";
import {
  Concrete,
  type AnyTensor,
  type Tensor,
  formatShape,
  DTypeError,
  ShapeError,
  ValueError,
  describeValue,
  expectOptions,
} from "../tensor/index.js";
import { scoped, leafTensors, add, sum } from "../core/index.js";
import type { CheckedTree } from "../../typelevel/index.js";
import { assertSameStructure, flatten, leaves, map2, paths, structureDiff, unflatten } from "../tree/index.js";

/** A state type as a function of the params type: `StateFromFamily<F, P>` is the state for params P. */
export interface StateFamily {
  /** The params type the state is asked for (set by `StateFromFamily`, never by a value). */
  readonly params: unknown;
  /** The state type for params `this["params"]`. */
  readonly state: unknown;
}

/** The state type that family F gives for params of type P. */
export type StateFromFamily<F extends StateFamily, P> = (F & { readonly params: P })["state"];

/** A step counter: a float32 scalar tensor (exact up to 2^24 steps), so `jit(update)` traces once. */
export type Count = Tensor<[], "float32">;

/**
 * A gradient transformation: `init(params)` builds the state; `update(updates, state, params?)`
 * maps incoming updates (gradients at the start of a chain) to outgoing updates and the next state.
 * Both are pure: inputs are never disposed or mutated, and every returned tensor is new and
 * owned by the caller (dispose the old state, grads and updates once you hold the new ones).
 * ```ts
 * const opt = adam(1e-3);
 * let state = opt.init(params);                         // AdamState<Params>
 * const [updates, next] = opt.update(grads, state, params);
 * const newParams = applyUpdates(params, updates);
 * ```
 */
export interface GradientTransformation<F extends StateFamily = StateFamily> {
  /** A short name for messages, e.g. "scaleByAdam" or "chain(scaleByAdam, scaleByLearningRate)". */
  readonly name: string;
  /** The starting state for `params` (zeroed statistics, a zero step count). */
  init<P>(params: P): StateFromFamily<F, P>;
  /**
   * Transforms `updates` (a tree like the params: gradients, or the previous transform's output)
   * and returns them with the next state. Transforms that read the params (weight decay) need `params`.
   */
  update<P, S = StateFromFamily<F, P>>(updates: P, state: CheckedState<S, F, P, "update">, params?: NoInfer<P>): [P, StateFromFamily<F, P>];
  /** Phantom: lets `chain` read each transform's state family. Never set. */
  readonly __family?: F;
}

/**
 * The parameter type of an optimizer state S checked against what family F keeps for params P:
 * S when it fits, else `ShapeError<"update: state[0].nu[0].kernel is [784, 256] but adam's
 * state for these params has [784, 128]; was the state made by init for other params?">` (the
 * optimizer named as its family carries it, "the optimizer's state" for an unnamed chain).
 */
export type CheckedState<S, F extends StateFamily, P, Op extends string> = CheckedTree<
  S,
  NoInfer<StateFromFamily<F, P>>,
  Op,
  "state",
  `${F extends { readonly optimizer: infer N extends string } ? `${N}'s state` : "the optimizer's state"} for these params`,
  "; was the state made by init for other params?"
>;

/**
 * T with its family tagged by the optimizer's name N (`adam`, `sgd`), which state-mismatch messages
 * print. Types only: the run-time transform is T itself.
 */
export function named<const N extends string, F extends StateFamily>(
  optimizer: N,
  transform: GradientTransformation<F>,
): GradientTransformation<F & { readonly optimizer: N }> {
  void optimizer;
  return transform as GradientTransformation<F & { readonly optimizer: N }>;
}

/** The state family of a transform. */
export type FamilyOf<T> = T extends GradientTransformation<infer F> ? F : never;
/**
 * The state a transform or optimizer T keeps for params of type P (what `T.init(params)` returns).
 * ```ts
 * type S = OptimizerStateOf<ReturnType<typeof adam>, Params>;   // [ScaleByAdamState<Params>, ScaleByScheduleState]
 * ```
 */
export type OptimizerStateOf<T, P> = T extends GradientTransformation<infer F> ? StateFromFamily<F, P> : never;

/** No state. */
export type EmptyState = Record<string, never>;
/** The state family of a stateless transform (`scale`, `clip`, `addDecayedWeights`): `EmptyState` for any params. */
export interface EmptyFamily extends StateFamily {
  /** `{}` whatever the params. */
  readonly state: EmptyState;
}

/**
 * Builds a transformation from untyped init/update functions: this is where the untyped inside
 * meets the typed surface, so `update` gets the state as the caller passed it (`unknown`) and must
 * check it before reading it (`checkTree`, `expectStateKeys`). Eagerly (outside jit/grad), both run
 * in a memory scope: intermediates are freed and only the returned tensors survive. A returned
 * leaf that is also an input leaf, or appears twice in the result, is copied, so the caller owns
 * every returned tensor exactly once and may dispose its inputs freely.
 */
export function transformation<F extends StateFamily>(
  name: string,
  init: (params: unknown) => unknown,
  update: (updates: unknown, state: unknown, params: unknown) => [unknown, unknown],
): GradientTransformation<F> {
  return {
    name,
    init: (params: unknown) => scoped(() => ownedResult(init(params), [params]), leafTensors),
    update: <P>(updates: P, state: StateFromFamily<F, P>, params?: P) =>
      // NOTE: the one claim of the module: update maps P to P and keeps the family's state (the registry
      // tests in optim-optimizers.test.ts check it at run time for every optimizer).
      scoped(() => ownedResult(update(updates, state, params), [updates, state, params]), leafTensors) as [P, StateFromFamily<F, P>],
  };
}

/**
 * Throws unless `state` is an object holding every key in `keys` (the state a transform's init
 * made), naming the transform and what came; narrows `state` for the reads that follow.
 */
export function expectStateKeys<K extends string>(op: string, state: unknown, keys: readonly K[]): asserts state is Record<K, unknown> {
  const ok = typeof state === "object" && state !== null && !Array.isArray(state) && keys.every((k) => k in state);
  if (!ok) {
    const got =
      state === null
        ? "null"
        : Array.isArray(state)
          ? `an array of ${state.length}`
          : typeof state === "object"
            ? `{ ${Object.keys(state).join(", ")} }`
            : typeof state;
    throw new ValueError(
      { op: op, expected: `the state from init ({ ${keys.join(", ")} })`, got: got },
      `${op}: expected the state from init ({ ${keys.join(", ")} }), got ${got}`,
    );
  }
}

/** Copies result leaves that alias an input leaf or an earlier result leaf (eager values only). */
function ownedResult<T>(result: T, inputs: unknown[]): T {
  const seen = new Set<tf.Tensor>();
  for (const l of flatten(inputs)[0]) if (l instanceof Concrete) seen.add(l.value);
  const [ls, def] = flatten(result);
  let copied = false;
  const out = ls.map((l) => {
    if (!(l instanceof Concrete)) return l;
    if (!seen.has(l.value)) {
      seen.add(l.value);
      return l;
    }
    copied = true;
    return new Concrete(tf.clone(l.value));
  });
  return copied ? unflatten<T>(def, out) : result;
}

/** Throws the message transforms that read params give when `update` was called without them. */
export function requireParams(op: string, params: unknown): void {
  if (params === undefined)
    throw new ValueError(
      { op: op, expected: "params as the third argument of update", got: "undefined" },
      `${op}: update needs the current params; call update(grads, state, params)`,
    );
}

/**
 * `params + updates`, leaf by leaf, as a new tree (the inputs stay owned by the caller).
 * ```ts
 * const next = applyUpdates(params, updates);
 * tree.dispose(params); tree.dispose(updates);
 * ```
 */
export function applyUpdates<P, U = P>(params: P, updates: CheckedTree<U, NoInfer<P>, "applyUpdates", "updates", "params">): P {
  assertSameStructure(params, updates, "applyUpdates: params and updates");
  const checked: unknown = updates; // the parameter type is the updates' own tree once the call type-checked
  return scoped(
    () =>
      map2(params, checked as P, (p: AnyTensor, u: AnyTensor, path) => {
        checkLeafPair("applyUpdates", p, u, path);
        return add(p, u);
      }),
    leafTensors,
  );
}

/**
 * Checks that a state tree (or params) matches the updates leaf for leaf, so a state made for
 * other params fails here with a message instead of broadcasting silently.
 */
export function checkTree(op: string, what: string, updates: unknown, other: unknown): void {
  const [ul, ud] = flatten(updates);
  const [ol, od] = flatten(other);
  const diff = structureDiff(ud, od);
  if (diff)
    throw new ValueError(
      { op: op, expected: "the updates' structure", got: diff },
      `${op}: ${what} does not match the updates' structure (${diff}); was the state made by init for other params?`,
    );
  const ps = paths(updates);
  ul.forEach((u, i) => {
    const us = u.shape,
      os = ol[i].shape;
    if (us.length !== os.length || us.some((d, j) => d !== os[j])) {
      throw new ShapeError(
        { op: op, expected: formatShape(us), got: formatShape(os) },
        `${op}: ${what} has shape ${formatShape(os)} at ${ps[i]}, but the updates have ${formatShape(us)}`,
      );
    }
  });
}

/** Same shape and float32: what every leafwise optimizer step needs (add would broadcast silently). */
export function checkLeafPair(op: string, p: AnyTensor, u: AnyTensor, path: string): void {
  const ps = p.shape,
    us = u.shape;
  if (ps.length !== us.length || ps.some((d, i) => d !== us[i])) {
    throw new ShapeError(
      { op: op, expected: formatShape(us), got: formatShape(ps) },
      `${op}: ${path} has shape ${formatShape(ps)} in params but ${formatShape(us)} in updates`,
    );
  }
  if (p.dtype !== "float32" || u.dtype !== "float32") {
    throw new DTypeError(
      { op: op, expected: "float32", got: `${p.dtype} and ${u.dtype}` },
      `${op}: ${path} must be float32 in params and updates, got ${p.dtype} and ${u.dtype}`,
    );
  }
}

/**
 * One optimizer step: `update` then `applyUpdates`, returning `[newParams, newState]`; the
 * intermediate updates are freed. Inputs stay owned by the caller (dispose them when done). Where the
 * optimizer's per-leaf step has a native kernel (adam, adamw, adamax, rmsprop, adagrad, momentum,
 * nesterov) it runs as one pass per leaf that writes the new params directly (the same values, to
 * float32 rounding).
 * ```ts
 * const [next, nextState] = applyGradients(opt, grads, state, params);
 * tree.dispose([params, state, grads]);
 * ```
 */
export function applyGradients<F extends StateFamily, P, S = StateFromFamily<F, P>, Q = P>(
  optimizer: GradientTransformation<F>,
  grads: P,
  state: CheckedState<S, F, P, "applyGradients">,
  params: CheckedTree<Q, NoInfer<P>, "applyGradients", "params", "grads">,
): [P, StateFromFamily<F, P>] {
  const o = optimizer as Partial<GradientTransformation<F>> | null | undefined;
  if (typeof o !== "object" || o === null || typeof o.update !== "function") {
    const got = describeValue(optimizer);
    throw new ValueError(
      { op: "applyGradients", expected: "an optimizer { init, update }", got },
      `applyGradients: expected an optimizer { init, update } (e.g. optim.adam(1e-3)), got ${got}`,
    );
  }
  // the checked parameter types are the trees themselves once the call type-checked
  const [next, nextState] = updateAndApply(optimizer, grads, state, params);
  return [next as P, nextState];
}

/**
 * `optimizer.update` then `applyUpdates`, as one pass per leaf where the optimizer has one (its
 * per-leaf step applied to the params: `withAppliedUpdate`), else the two in turn. With `probe`, it
 * also returns `sum(probe)` plus the sum of every new param leaf (a training step's divergence probe:
 * non-finite when one of them is), summed in the same pass when the step is folded. The values are
 * the two calls' either way (the folded step's composite is that math). Internal: applyGradients and
 * train's step call it.
 */
export function updateAndApply(
  optimizer: GradientTransformation,
  grads: unknown,
  state: unknown,
  params: unknown,
  probe?: AnyTensor,
): [unknown, unknown, AnyTensor | undefined] {
  return scoped(() => {
    const hook = applyFold ? appliedUpdates.get(optimizer) : undefined;
    if (hook !== undefined && foldable(grads, params)) {
      const start = probe === undefined || (probe.rank === 0 && probe.dtype === "float32") ? probe : sum(probe);
      const [next, nextState, out] = hook.run(grads, state, params, {}, start);
      // NOTE: no leaves: the probe went through untouched (summed, so the result is a new tensor as in the plain path)
      const probed = out === undefined ? undefined : out === start ? sum(out) : out;
      return ownedResult([next, nextState, probed] as [unknown, unknown, AnyTensor | undefined], [grads, state, params, probe]);
    }
    const [updates, nextState] = optimizer.update(grads, state, params);
    const next = applyUpdates(params, updates as never);
    const probed = probe === undefined ? undefined : leaves(next).reduce<AnyTensor>((acc, p) => add(acc, sum(p)), sum(probe));
    return [next, nextState, probed];
  }, leafTensors);
}

/** Same structure, same shapes, all float32: what a folded step takes (anything else goes the plain way, with its errors). */
function foldable(grads: unknown, params: unknown): boolean {
  const [gs, gd] = flatten(grads);
  const [ps, pd] = flatten(params);
  return (
    structureDiff(gd, pd) === undefined &&
    gs.every(
      (g, i) =>
        g.dtype === "float32" &&
        ps[i].dtype === "float32" &&
        g.shape.length === ps[i].shape.length &&
        g.shape.every((d, j) => d === ps[i].shape[j]),
    )
  );
}

// ------------------------------------------------------------------ the update applied to the params in the same pass
// A transform whose per-leaf step can also add its update to the params (writing p + update and the
// new statistics, not the update) lets updateAndApply skip the update tensors and applyUpdates' Add per
// leaf: one kernel per leaf for the whole optimizer step. Internal, like the scaling fold below.

/**
 * What a chain folds into a step after it: a decoupled weight decay (`decay(updates, params)`: each
 * leaf's rate, 0 where masked off, after addDecayedWeights' checks), then a scaling (`factor()`, read
 * after the step's and the decay's checks).
 */
export interface AppliedTail {
  readonly decay?: (updates: unknown, params: unknown) => number[];
  readonly factor?: () => AnyTensor;
}
/**
 * The update applied to `params`: `[params + (update + decay * params) * factor(), next state, probe']`
 * (no decay or factor when the tail has none), with probe' = probe plus the sum of every new param leaf
 * when `probe` (a float32 scalar) is given.
 */
export type AppliedUpdate = (
  updates: unknown,
  state: unknown,
  params: unknown,
  tail: AppliedTail,
  probe: AnyTensor | undefined,
) => [unknown, unknown, AnyTensor | undefined];
/** An applied update, and whether it takes a tail (a chain's does not: its own tail is folded in already). */
export interface AppliedHook {
  readonly run: AppliedUpdate;
  readonly scalable: boolean;
}

const appliedUpdates = new WeakMap<object, AppliedHook>();
let applyFold = true;

/** Marks `transform` as able to apply its update to the params in its own pass. */
export function withAppliedUpdate<T extends object>(transform: T, run: AppliedUpdate, scalable: boolean): T {
  appliedUpdates.set(transform, { run, scalable });
  return transform;
}
/** The applied update of `transform`, when it has one. */
export const appliedUpdateOf = (transform: object): AppliedHook | undefined => appliedUpdates.get(transform);

/**
 * Turns the fold of the update into the step on or off (default on) and returns the previous
 * setting: off, updateAndApply always runs `update` then `applyUpdates`. For A/B benches and tests;
 * a jitted step keeps the graph it traced, so make a new one.
 */
export function setApplyFold(on: boolean): boolean {
  const before = applyFold;
  applyFold = on;
  return before;
}

// ------------------------------------------------------------------ scaling fused into the step before it
// A leafwise transform whose per-leaf step can also multiply its output by a scalar, followed in a chain
// by a transform that only multiplies by one (scaleByLearningRate), runs as one pass per leaf: `chain`
// looks both up here. Internal: the transforms and their states are the same either way.

/** `update` with every outgoing leaf times `factor()` in the same pass (`factor` is read after the state checks). */
export type ScaledUpdate = (updates: unknown, state: unknown, factor: () => AnyTensor) => [unknown, unknown];
/** A pure scaling's factor and next state, from its state (checked). */
export type Scaling = (state: unknown) => [AnyTensor, unknown];

const scaledUpdates = new WeakMap<object, ScaledUpdate>();
const scalings = new WeakMap<object, Scaling>();

/** Marks `transform` as able to fold a following scaling into its step. */
export function withScaledUpdate<T extends object>(transform: T, scaled: ScaledUpdate): T {
  scaledUpdates.set(transform, scaled);
  return transform;
}
/** A decoupled weight decay's rate per leaf (0 where masked off), after its checks of the params. */
export type Decay = (updates: unknown, params: unknown) => number[];
const decays = new WeakMap<object, Decay>();
/** Marks `transform` as a decoupled weight decay (its update adds `rate * params` to each leaf). */
export function withDecay<T extends object>(transform: T, decay: Decay): T {
  decays.set(transform, decay);
  return transform;
}
/** The decay `transform` is, when it is one. */
export const decayOf = (transform: object): Decay | undefined => decays.get(transform);

/** Marks `transform` as a pure scaling (its update multiplies every leaf by one factor). */
export function withScaling<T extends object>(transform: T, scaling: Scaling): T {
  scalings.set(transform, scaling);
  return transform;
}
/** The scaled update of `transform`, when it has one. */
export const scaledUpdateOf = (transform: object): ScaledUpdate | undefined => scaledUpdates.get(transform);
/** The scaling `transform` is, when it is one. */
export const scalingOf = (transform: object): Scaling | undefined => scalings.get(transform);

/** Throws unless `value` is a decay rate in [0, 1) (the moments' b1, b2, RMSProp's decay). */
export function checkDecayRate(op: string, name: string, value: number): void {
  if (!(Number.isFinite(value) && value >= 0 && value < 1))
    throw new ValueError(
      { op: op, expected: `${name} in [0, 1)`, got: String(value) },
      `${op}: ${name} must be in [0, 1), got ${String(value)}`,
    );
}

/** Throws unless `value` is a finite number >= 0 (eps, starting values, weight decay, clip bounds). */
export function checkNonNegative(op: string, name: string, value: number): void {
  if (!(Number.isFinite(value) && value >= 0))
    throw new ValueError(
      { op: op, expected: `a non-negative ${name}`, got: String(value) },
      `${op}: ${name} must be a non-negative number, got ${String(value)}`,
    );
}

/** Throws unless `opts` is an options object (`null`, a number or an array would fail later as a TypeError). */
export function checkOptions(op: string, opts: unknown): asserts opts is object {
  expectOptions(op, opts, true);
}

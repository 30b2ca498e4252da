// Layers made of layers: chain (composition), residual (x + f(x)), concatBranches (side by side,
// joined on the last axis). Params and state of a combinator are tuples of its parts'.
import type { Concat, Shape, ShapeError, ShowShape } from "../../../typelevel/index.js";
import type { AnyTensor } from "../../tensor/index.js";
import { add, concat } from "../../core/index.js";
import { foldIn, split } from "../../random/index.js";
import type { Chain, Layer, LayerEntry } from "../layer.js";
import { applyLayers, expectLayer, initLayerStates, initLayers, layerShapes } from "../sequence.js";
import { defineLayer } from "./define.js";
import { reworded, ShapeError as ShapeErrorClass, ValueError } from "../../tensor/index.js";

declare module "../layer.js" {
  interface LayerTypes<S extends Shape, C> {
    /** The layers' composition: the shape threaded through `layers`; params and state are tuples of theirs. */
    chain: C extends { readonly layers: infer Ls extends readonly unknown[] } ? ChainEntry<S, Ls> : never;
    /** `x + f(x)` with f the composition of `layers`, which must keep the shape; params and state are tuples of theirs. */
    residual: C extends { readonly layers: infer Ls extends readonly unknown[] } ? ResidualEntry<S, Ls> : never;
    /** Each branch applied to the input, outputs joined on the last axis; params and state are tuples, one per branch. */
    concatBranches: C extends { readonly branches: infer Bs extends readonly unknown[] } ? BranchesEntry<S, Bs> : never;
  }
}

type Prefixed<R, Prefix extends string> = R extends ShapeError<infer M> ? ShapeError<`${Prefix}${M}`> : R;

type ChainEntry<S extends Shape, Ls extends readonly unknown[]> =
  Chain<S, Ls> extends { out: infer O; params: infer P; state: infer St }
    ? { out: Prefixed<O, "in chain: ">; params: P; state: St }
    : never;

type ResidualEntry<S extends Shape, Ls extends readonly unknown[]> =
  Chain<S, Ls> extends { out: infer O; params: infer P; state: infer St }
    ? { out: [O] extends [Shape] ? SameShape<S, O> : Prefixed<O, "in residual: ">; params: P; state: St }
    : never;
/** S when the inner chain kept the shape (an `any` inner result counts as kept). */
type SameShape<S extends Shape, O extends Shape> = 0 extends 1 & O
  ? S
  : [O] extends [[...S]]
    ? [[...S]] extends [O]
      ? S
      : ResidualError<S, O>
    : ResidualError<S, O>;
type ResidualError<S extends Shape, O extends Shape> = [ShowShape<S>, ShowShape<O>] extends [infer A extends string, infer B extends string]
  ? ShapeError<`residual: the inner layers map ${A} to ${B}; a residual block must keep the shape`>
  : never;

/** What one branch is: a layer, or a list of layers run in order. */
type Branch = Layer | readonly Layer[];
type BranchEntry<S extends Shape, B> = B extends readonly unknown[] ? Chain<S, B> : LayerEntry<B, S>;
type BranchesEntry<
  S extends Shape,
  Bs extends readonly unknown[],
  Outs extends Shape[] = [],
  P extends unknown[] = [],
  St extends unknown[] = [],
> = Bs extends readonly [infer B, ...infer Rest]
  ? BranchEntry<S, B> extends { out: infer O; params: infer BP; state: infer BS }
    ? [O] extends [Shape]
      ? BranchesEntry<S, Rest, [...Outs, O], [...P, BP], [...St, BS]>
      : { out: Prefixed<O, `in branch ${Outs["length"]}: `>; params: P; state: St }
    : never
  : { out: Renamed<Concat<Outs, -1>>; params: P; state: St };
type Renamed<R> = R extends ShapeError<`concat: ${infer M}`> ? ShapeError<`concatBranches: ${M}`> : R;

// ---------------------------------------------------------------- runtime

/** What a combinator needs of one part: a layer, or a list of layers run in order. */
type Part = Pick<Layer, "outputShape" | "init" | "initState" | "apply" | "needsKey" | "stochastic">;

function rethrow(prefix: string, f: () => number[]): number[] {
  try {
    return f();
  } catch (e) {
    throw reworded(e, `${prefix}${(e as Error).message}`);
  }
}

/** The layers, each checked (`who` names the combinator in the message). */
const expectLayers = (who: string, layers: readonly unknown[]): Layer[] => layers.map((l, i) => expectLayer(`${who}: argument ${i}`, l));

/** Layers in order as one part: params and state are tuples; shape errors start with `prefix`. */
function inSequence(layers: readonly Layer[], prefix: string): Part {
  const shapes = (s: readonly number[]) => rethrow(prefix, () => layerShapes(layers, s)[layers.length]);
  return {
    outputShape: shapes,
    init: (key, s) => initLayers(layers, key, layerShapes(layers, s)),
    initState: (s) => initLayerStates(layers, layerShapes(layers, s)),
    // NOTE: params and state are the tuples init / initState made (the Layer contract)
    apply: (params, x, ctx = {}) =>
      applyLayers(layers, params as readonly unknown[], x, { ...ctx, state: ctx.state as readonly unknown[] | undefined }),
    needsKey: layers.some((l) => l.needsKey),
    stochastic: layers.some((l) => l.stochastic),
  };
}

const names = (ls: readonly Layer[]) => ls.map((l) => l.name).join(", ");

/**
 * Layers run one after another, as one layer (`flow` for layers): params and state are tuples.
 * Use it for a branch of `concatBranches`, or to name a reusable block.
 * ```ts
 * const block = nn.chain(nn.conv2d({ filters: 16, kernel: 3, padding: "same" }), nn.relu(), nn.maxPool2d(2));
 * nn.input(["batch", 28, 28, 1]).add(block).add(block)   // ["batch", 7, 7, 16]
 * ```
 */
export function chain<const Ls extends readonly Layer[]>(...layers: Ls) {
  const ls = expectLayers("chain", layers);
  const seq = inSequence(ls, "in chain: ");
  return defineLayer<"chain", { readonly layers: Ls }, unknown, unknown>({
    kind: "chain",
    name: `chain(${names(ls)})`,
    config: { layers },
    ...seq,
    apply: (p, x, ctx) => seq.apply(p, x, ctx),
  });
}

/**
 * A residual block (He et al. 2016): `x + f(x)` with f the layers in order. f must keep the
 * shape: a compile error on the `.add(...)` otherwise.
 * ```ts
 * nn.input(["batch", 32]).add(nn.residual(nn.dense(32), nn.relu(), nn.dense(32)))   // ["batch", 32]
 * ```
 */
export function residual<const Ls extends readonly Layer[]>(...layers: Ls) {
  const ls = expectLayers("residual", layers);
  const seq = inSequence(ls, "in residual: ");
  return defineLayer<"residual", { readonly layers: Ls }, unknown, unknown>({
    kind: "residual",
    name: `residual(${names(ls)})`,
    config: { layers },
    ...seq,
    outputShape(s) {
      const o = seq.outputShape(s);
      if (o.length !== s.length || o.some((d, i) => d !== s[i])) {
        throw new ShapeErrorClass(
          { op: "residual", expected: `[${s.join(", ")}]`, got: `[${o.join(", ")}]` },
          `residual: the inner layers map [${s.join(", ")}] to [${o.join(", ")}]; a residual block must keep the shape`,
        );
      }
      return o;
    },
    apply(p, x, ctx) {
      const [y, next] = seq.apply(p, x, ctx);
      return [add(x, y), next];
    },
  });
}

/**
 * Branches that read the same input, their outputs joined on the last axis (Inception-style).
 * Each branch is a layer or a list of layers; all but the last output dims must agree.
 * ```ts
 * nn.input(["batch", 16]).add(nn.concatBranches(nn.dense(8), [nn.dense(4), nn.relu()]))   // ["batch", 12]
 * ```
 */
export function concatBranches<const Bs extends readonly Branch[]>(...branches: Bs) {
  if (branches.length === 0)
    throw new ValueError(
      { op: "concatBranches", expected: "at least one branch", got: "none" },
      "concatBranches: needs at least one branch",
    );
  // a branch given as one layer has that layer's params; a list has a tuple, as in chain
  const parts = branches.map((b, i): { part: Part; name: string; layers: Layer[] } => {
    const prefix = `in branch ${i}: `;
    if (!Array.isArray(b)) {
      const l = expectLayer(`concatBranches (branch ${i})`, b);
      return { part: { ...l, outputShape: (s) => rethrow(prefix, () => l.outputShape(s)) }, name: l.name, layers: [l] };
    }
    const ls = expectLayers(`concatBranches (branch ${i})`, b);
    return { part: inSequence(ls, prefix), name: `[${names(ls)}]`, layers: ls };
  });
  const all = parts.flatMap((b) => b.layers);
  return defineLayer<"concatBranches", { readonly branches: Bs }, readonly unknown[], readonly unknown[]>({
    kind: "concatBranches",
    name: `concatBranches(${parts.map((b) => b.name).join(", ")})`,
    config: { branches },
    outputShape(s) {
      const outs = parts.map((b) => b.part.outputShape(s));
      const first = outs[0];
      for (let i = 1; i < outs.length; i++) {
        const o = outs[i];
        if (o.length !== first.length) {
          throw new ShapeErrorClass(
            { op: "concatBranches", expected: `rank ${first.length}`, got: `[${o.join(", ")}]` },
            `concatBranches: all shapes need rank ${first.length}, got [${first.join(", ")}] and [${o.join(", ")}]`,
          );
        }
        const bad = o.findIndex((d, j) => j < o.length - 1 && d !== first[j]);
        if (bad >= 0) {
          throw new ShapeErrorClass(
            { op: "concatBranches", expected: `[${first.join(", ")}]`, got: `[${o.join(", ")}]` },
            `concatBranches: dims differ at axis ${bad} (${first[bad]} vs ${o[bad]}) in [${first.join(", ")}] and [${o.join(", ")}]; only axis ${o.length - 1} may differ`,
          );
        }
      }
      return [...first.slice(0, -1), outs.reduce((a, o) => a + o[o.length - 1], 0)];
    },
    init(key, s) {
      const keys = split(key, parts.length);
      return parts.map((b, i) => b.part.init(keys[i], s));
    },
    initState: (s) => parts.map((b) => b.part.initState(s)),
    needsKey: all.some((l) => l.needsKey),
    stochastic: all.some((l) => l.stochastic),
    apply(p, x, ctx) {
      const ys: AnyTensor[] = [];
      const next = parts.map((b, i) => {
        const key = ctx.key === undefined ? undefined : foldIn(ctx.key, i);
        const [y, st] = b.part.apply(p[i], x, { training: ctx.training, key, state: ctx.state?.[i] ?? {} });
        ys.push(y);
        return st;
      });
      return [ys.length === 1 ? ys[0] : concat(ys, -1), next];
    },
  });
}

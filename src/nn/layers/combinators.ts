// Layers made of layers: chain (composition), residual (x + f(x)), concatBranches (side by side,
// joined on the last axis). Params and state of a combinator are tuples of its parts'.
import type { Concat, Shape, ShapeError, ShowShape } from "../../../typelevel/index.js";
import type { AnyTensor } from "../../tensor/index.js";
import { add, concat } from "../../core/index.js";
import { foldIn, split } from "../../random/index.js";
import type { ApplyContext, Chain, Key, Layer, LayerEntry } from "../layer.js";
import { defineLayer } from "./define.js";

declare module "../layer.js" {
  interface LayerTypes<S extends Shape, C> {
    chain: C extends { readonly layers: infer Ls extends readonly unknown[] } ? ChainEntry<S, Ls> : never;
    residual: C extends { readonly layers: infer Ls extends readonly unknown[] } ? ResidualEntry<S, Ls> : never;
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

/** Runs layers in order: shapes, params tuple, state tuple, and per-layer keys folded from one. */
function sequence(layers: readonly Layer[]) {
  return {
    shapes(s: readonly number[]): number[][] {
      const out = [[...s]];
      for (const l of layers) out.push(l.outputShape(out[out.length - 1]));
      return out;
    },
    init(key: Key, s: readonly number[]): unknown[] {
      const shapes = this.shapes(s);
      const keys = split(key, Math.max(layers.length, 1));
      return layers.map((l, i) => l.init(keys[i], shapes[i]));
    },
    initState(s: readonly number[]): unknown[] {
      const shapes = this.shapes(s);
      return layers.map((l, i) => l.initState(shapes[i]));
    },
    apply(params: unknown[], state: unknown[] | undefined, x: AnyTensor, ctx: ApplyContext): [AnyTensor, unknown[]] {
      let h = x;
      const next: unknown[] = [];
      layers.forEach((l, i) => {
        const [y, s] = l.apply(params[i], state?.[i] ?? {}, h, {
          training: ctx.training,
          key: ctx.key === undefined ? undefined : foldIn(ctx.key, i),
        });
        h = y;
        next.push(s);
      });
      return [h, next];
    },
  };
}

function rethrow(prefix: string, f: () => number[]): number[] {
  try {
    return f();
  } catch (e) {
    throw new Error(`${prefix}${(e as Error).message}`);
  }
}

function checkLayers(who: string, layers: readonly unknown[]): void {
  layers.forEach((l, i) => {
    const ok =
      l !== null && typeof l === "object" && typeof (l as Layer).outputShape === "function" && typeof (l as Layer).apply === "function";
    if (!ok) {
      const what = typeof l === "function" ? "a function (call it: nn.flatten(), not nn.flatten)" : l === null ? "null" : typeof l;
      throw new Error(`${who}: argument ${i} is not a layer, got ${what}`);
    }
  });
}

const names = (ls: readonly Layer[]) => ls.map((l) => l.name).join(", ");

/**
 * Layers run one after another, as one layer (`flow` for layers): params and state are tuples.
 * Use it for a branch of `concatBranches`, or to name a reusable block.
 * ```ts
 * const block = nn.chain(nn.conv2d({ filters: 16, kernel: 3, padding: "same" }), nn.relu, nn.maxPool2d(2));
 * nn.input(["batch", 28, 28, 1]).add(block).add(block)   // ["batch", 7, 7, 16]
 * ```
 */
export function chain<const Ls extends readonly Layer[]>(...layers: Ls) {
  checkLayers("chain", layers);
  const seq = sequence(layers);
  return defineLayer<"chain", { readonly layers: Ls }>({
    kind: "chain",
    name: `chain(${names(layers)})`,
    config: { layers },
    outputShape: (s) => rethrow("in chain: ", () => seq.shapes(s)[layers.length]),
    init: (key, s) => seq.init(key, s),
    initState: (s) => seq.initState(s),
    needsKey: layers.some((l) => l.needsKey),
    stochastic: layers.some((l) => l.stochastic),
    apply: (p, x, ctx, state) => seq.apply(p, state, x, ctx),
  });
}

/**
 * A residual block (He et al. 2016): `x + f(x)` with f the layers in order. f must keep the
 * shape: a compile error on the `.add(...)` otherwise.
 * ```ts
 * nn.input(["batch", 32]).add(nn.residual(nn.dense(32), nn.relu, nn.dense(32)))   // ["batch", 32]
 * ```
 */
export function residual<const Ls extends readonly Layer[]>(...layers: Ls) {
  checkLayers("residual", layers);
  const seq = sequence(layers);
  return defineLayer<"residual", { readonly layers: Ls }>({
    kind: "residual",
    name: `residual(${names(layers)})`,
    config: { layers },
    outputShape(s) {
      const o = rethrow("in residual: ", () => seq.shapes(s)[layers.length]);
      if (o.length !== s.length || o.some((d, i) => d !== s[i])) {
        throw new Error(`residual: the inner layers map [${s.join(", ")}] to [${o.join(", ")}]; a residual block must keep the shape`);
      }
      return o;
    },
    init: (key, s) => seq.init(key, s),
    initState: (s) => seq.initState(s),
    needsKey: layers.some((l) => l.needsKey),
    stochastic: layers.some((l) => l.stochastic),
    apply(p, x, ctx, state) {
      const [y, next] = seq.apply(p, state, x, ctx);
      return [add(x, y), next];
    },
  });
}

/**
 * Branches that read the same input, their outputs joined on the last axis (Inception-style).
 * Each branch is a layer or a list of layers; all but the last output dims must agree.
 * ```ts
 * nn.input(["batch", 16]).add(nn.concatBranches(nn.dense(8), [nn.dense(4), nn.relu]))   // ["batch", 12]
 * ```
 */
export function concatBranches<const Bs extends readonly Branch[]>(...branches: Bs) {
  if (branches.length === 0) throw new Error("concatBranches: needs at least one branch");
  const seqs = branches.map((b, i) => {
    const ls = (Array.isArray(b) ? b : [b]) as readonly Layer[];
    checkLayers(`concatBranches (branch ${i})`, ls);
    return { layers: ls, seq: sequence(ls), single: !Array.isArray(b) };
  });
  const all = seqs.flatMap((b) => b.layers);
  return defineLayer<"concatBranches", { readonly branches: Bs }>({
    kind: "concatBranches",
    name: `concatBranches(${seqs.map((b) => (b.single ? b.layers[0].name : `[${names(b.layers)}]`)).join(", ")})`,
    config: { branches },
    outputShape(s) {
      const outs = seqs.map((b, i) => rethrow(`in branch ${i}: `, () => b.seq.shapes(s)[b.layers.length]));
      const first = outs[0];
      for (let i = 1; i < outs.length; i++) {
        const o = outs[i];
        if (o.length !== first.length) {
          throw new Error(`concatBranches: all shapes need rank ${first.length}, got [${first.join(", ")}] and [${o.join(", ")}]`);
        }
        const bad = o.findIndex((d, j) => j < o.length - 1 && d !== first[j]);
        if (bad >= 0) {
          throw new Error(
            `concatBranches: dims differ at axis ${bad} (${first[bad]} vs ${o[bad]}) in [${first.join(", ")}] and [${o.join(", ")}]; only axis ${o.length - 1} may differ`,
          );
        }
      }
      return [...first.slice(0, -1), outs.reduce((a, o) => a + o[o.length - 1], 0)];
    },
    init(key, s) {
      const keys = split(key, seqs.length);
      return seqs.map((b, i) => (b.single ? b.layers[0].init(keys[i], s) : b.seq.init(keys[i], s)));
    },
    initState: (s) => seqs.map((b) => (b.single ? b.layers[0].initState(s) : b.seq.initState(s))),
    needsKey: all.some((l) => l.needsKey),
    stochastic: all.some((l) => l.stochastic),
    apply(p, x, ctx, state) {
      const ys: AnyTensor[] = [];
      const next = seqs.map((b, i) => {
        const bctx: ApplyContext = { training: ctx.training, key: ctx.key === undefined ? undefined : foldIn(ctx.key, i) };
        const [y, st] = b.single ? b.layers[0].apply(p[i], state?.[i] ?? {}, x, bctx) : b.seq.apply(p[i], state?.[i], x, bctx);
        ys.push(y);
        return st;
      });
      return [ys.length === 1 ? ys[0] : concat(ys, -1), next];
    },
  });
}

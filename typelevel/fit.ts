// The training loop's compile-time checks: does a data set fit a model's input, does a loss accept
// the model's output and the data's targets, is a params tree the model's. Each rule gives `never`
// when it holds and the reason (a message string) when it does not; src/train turns a reason into a
// ShapeError<"fit: ..."> on the offending option.
import type { Checked, ShapeError, ShowShape } from "./errors.js";
import type { Dim, IsAny, IsTuple, LiteralsDiffer, Shape } from "./shape.js";

/**
 * A data shape as printed in messages: the sample dim is `N` when its size is not a literal.
 * @example ShowData<[number, 28, 28, 1]>   // "[N, 28, 28, 1]"
 */
export type ShowData<X extends readonly unknown[]> = X extends readonly [infer H, ...infer R]
  ? number extends H
    ? ShowShape<["N", ...R]>
    : ShowShape<X>
  : ShowShape<X>;

/**
 * Why a data set's `x` (sample dim first) does not fit a model input `In`, or `never` when it does.
 * The sample dim is not compared (fit cuts batches of its own size); a named or `number` dim on
 * either side matches any size; an unknown rank (`number[]`) matches any shape.
 * @example InputMismatch<[number, 28, 28, 1], ["batch", 784]>   // "[N, 28, 28, 1] but the model takes [batch, 784]"
 * @example InputMismatch<[number, 784], ["batch", 784]>         // never
 */
export type InputMismatch<X extends Shape, In extends Shape> =
  IsAny<X | In> extends true
    ? never
    : [IsTuple<X>, IsTuple<In>] extends [true, true]
      ? X["length"] extends In["length"]
        ? DimsDiffer<Tail<X>, Tail<In>> extends true
          ? `${ShowData<X>} but the model takes ${ShowShape<In>}`
          : never
        : `${ShowData<X>} but the model takes ${ShowShape<In>} (rank ${X["length"]} vs ${In["length"]})`
      : never;
type Tail<S extends Shape> = S extends readonly [Dim, ...infer R extends Dim[]] ? R : [];
type DimsDiffer<A extends Shape, B extends Shape> = A extends readonly [infer a, ...infer AR extends Dim[]]
  ? B extends readonly [infer b, ...infer BR extends Dim[]]
    ? LiteralsDiffer<a, b> extends true
      ? true
      : DimsDiffer<AR, BR>
    : false
  : false;

/** true when shapes A and B can be equal: same rank, and dims equal where both are literal. */
export type ShapesMatch<A extends Shape, B extends Shape> =
  IsAny<A | B> extends true
    ? true
    : [IsTuple<A>, IsTuple<B>] extends [true, true]
      ? A["length"] extends B["length"]
        ? DimsDiffer<A, B> extends true
          ? false
          : true
        : false
      : true;

/**
 * Why integer labels `Y` cannot go with logits `O` (the labels must be the logits' shape without the
 * class axis), or `never`. The message says what the model outputs, what the labels must be, what
 * they are, and suggests `nn.flatten()` when per-position logits meet one label per sample.
 * @example SparseMismatch<["batch", 7, 7, 10], [number]>   // "the model outputs [batch, 7, 7, 10], so ..."
 */
export type SparseMismatch<O extends Shape, Y extends Shape> =
  IsAny<O | Y> extends true
    ? never
    : [IsTuple<O>, IsTuple<Y>] extends [true, true]
      ? O extends readonly [...infer Lead extends Dim[], Dim]
        ? ShapesMatch<Lead, Y> extends true
          ? never
          : `the model outputs ${ShowShape<O>}, so the labels must be ${ShowShape<Lead>}, but y is ${ShowData<Y>}${FlattenHint<O, Y>}`
        : `the model outputs ${ShowShape<O>}, which has no class axis`
      : never;
type FlattenHint<O extends Shape, Y extends Shape> = Y["length"] extends 1
  ? O["length"] extends 0 | 1 | 2
    ? ""
    : " (add nn.flatten() before the last dense layer?)"
  : "";

/**
 * Why targets `Y` cannot go with predictions `O` of a same-shape loss (mse, binary or categorical
 * cross-entropy), or `never`.
 * @example SameShapeMismatch<["batch", 1], [number]>   // "the model outputs [batch, 1] but y is [N]; they must have the same shape"
 */
export type SameShapeMismatch<O extends Shape, Y extends Shape> =
  ShapesMatch<O, Y> extends true ? never : `the model outputs ${ShowShape<O>} but y is ${ShowData<Y>}; they must have the same shape`;

// ---------------------------------------------------------------- params trees

/** A tensor as the trees see it: anything with a phantom shape and a dtype. */
type TensorLike<S extends Shape = Shape, D = unknown> = { readonly __shape: S; readonly dtype: D };

/**
 * The first place where a tree `Got` differs from the tree `Want` (tuples in order, then record
 * keys), as a message starting with its path; `never` when `Got` is assignable to `Want`. `Whose`
 * names the owner of `Want` in the message ("the model", "params", "the optimizer's state").
 * @example TreeMismatch<[{ kernel: Tensor<[784, 256]> }], [{ kernel: Tensor<[784, 128]> }], "params">
 *   // "params[0].kernel is [784, 256] but the model has [784, 128]"
 */
export type TreeMismatch<Got, Want, Path extends string, Whose extends string = "the model"> =
  IsAny<Got> extends true ? never : IsAny<Want> extends true ? never : [Got] extends [Want] ? never : Mismatch<Got, Want, Path, Whose>;
type Mismatch<Got, Want, Path extends string, Whose extends string> =
  Want extends TensorLike<infer WS, infer WD>
    ? Got extends TensorLike<infer GS, infer GD>
      ? ShapesMatch<GS, WS> extends true
        ? [GD] extends [WD]
          ? `${Path} differs from ${Whose}'s`
          : `${Path} is ${ShowDType<GD>} but ${Whose} has ${ShowDType<WD>}`
        : `${Path} is ${ShowShape<GS>} but ${Whose} has ${ShowShape<WS>}`
      : `${Path} is not a tensor; ${Whose} has a tensor ${ShowShape<WS>} there`
    : Want extends readonly unknown[]
      ? Got extends readonly unknown[]
        ? [IsTuple<Want>, IsTuple<Got>] extends [true, true]
          ? Got["length"] extends Want["length"]
            ? FirstOf<TupleMismatches<Got, Want, Path, Whose>>
            : `${Path} has ${Got["length"]} entries but ${Whose} has ${Want["length"]}${Whose extends "the model" ? " (one per layer)" : ""}`
          : `${Path} differs from ${Whose}'s`
        : `${Path} is not an array; ${Whose} has ${WantLength<Want>} entries there`
      : Want extends object
        ? Got extends object
          ? MissingKey<Got, Want, Path, Whose> extends infer M extends string
            ? [M] extends [never]
              ? OneOf<
                  {
                    [K in keyof Want & string]: K extends keyof Got ? TreeMismatch<Got[K], Want[K], `${Path}.${K}`, Whose> : never;
                  }[keyof Want & string]
                > extends infer R extends string
                ? [R] extends [never]
                  ? `${Path} differs from ${Whose}'s`
                  : R
                : never
              : M
            : never
          : `${Path} is not a record; ${Whose} has { ${KeysOf<Want>} } there`
        : `${Path} differs from ${Whose}'s`;
type ShowDType<D> = D extends string ? D : "?";
type WantLength<W extends readonly unknown[]> = IsTuple<W> extends true ? `${W["length"]}` : "several";
type TupleMismatches<
  G extends readonly unknown[],
  W extends readonly unknown[],
  Path extends string,
  Whose extends string,
  I extends unknown[] = [],
> = W extends readonly [infer WH, ...infer WT]
  ? G extends readonly [infer GH, ...infer GT]
    ? [TreeMismatch<GH, WH, `${Path}[${I["length"]}]`, Whose>, ...TupleMismatches<GT, WT, Path, Whose, [...I, 0]>]
    : []
  : [];
type FirstOf<T extends readonly unknown[]> = T extends readonly [infer H, ...infer R] ? ([H] extends [never] ? FirstOf<R> : H) : never;
type MissingKey<G, W, Path extends string, Whose extends string> = OneOf<
  { [K in keyof W & string]: K extends keyof G ? never : `${Path}.${K} is missing (${Whose} has it)` }[keyof W & string]
>;
type KeysOf<W> = JoinKeys<UnionLast<keyof W & string>, keyof W & string>;
type JoinKeys<L, All> = [All] extends [never]
  ? ""
  : L extends string
    ? [Exclude<All, L>] extends [never]
      ? L
      : `${JoinKeys<UnionLast<Exclude<All, L>>, Exclude<All, L>>}, ${L}`
    : "";
/**
 * One member of a union of messages, so a message names one place, not a union of them: the last
 * in ASCII order (`kernel` before `bias`), else the last tsc holds.
 */
// NOTE: not the union's own order alone: that follows the order tsc created the types in, which
// differs between the sources and the published .d.ts (tests/package.test.ts checks the corpus on both).
type OneOf<U> = [U] extends [never] ? never : UnionLast<LastInOrder<U & string>>;
type LastInOrder<U extends string> = {
  [K in U]: true extends (Exclude<U, K> extends infer O extends string ? StrLess<K, O> : never) ? never : K;
}[U];
/** true when string A sorts before B (ASCII order over the characters messages use). */
type StrLess<A extends string, B extends string> = A extends `${infer a}${infer AR}`
  ? B extends `${infer b}${infer BR}`
    ? a extends b
      ? StrLess<AR, BR>
      : Ascii extends `${string}${a}${string}${b}${string}`
        ? true
        : false
    : false
  : B extends ""
    ? false
    : true;
type Ascii = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";
type UnionLast<U> = ((U extends unknown ? (x: () => U) => void : never) extends (x: infer I) => void ? I : never) extends () => infer L
  ? L
  : never;

// ---------------------------------------------------------------- checked tree arguments

// NOTE: Box makes `Box<G> extends Box<Want>` resolve inside generic code too (a bare `[G] extends
// [Want]` stays deferred there): `applyUpdates(params, updates)` with `params: P, updates: P` in a
// `<P>` helper checks as P against P, true for every P.
interface Box<T> {
  readonly boxed: T;
}
/**
 * `unknown` when tree G is assignable to Want, else the error `${Op}: <first differing path>${Note}`.
 * @example TreeRule<[{ w: Tensor<[2, 4]> }], [{ w: Tensor<[2, 3]> }], "apply", "params", "the model", "">
 *   // ShapeError<"apply: params[0].w is [2, 4] but the model has [2, 3]">
 */
export type TreeRule<G, Want, Op extends string, Path extends string, Whose extends string, Note extends string> =
  Box<G> extends Box<Want>
    ? unknown
    : TreeMismatch<G, Want, Path, Whose> extends infer M extends string
      ? ShapeError<`${Op}: ${M}${Note}`>
      : never;
/**
 * The parameter type of a tree argument inferred as G and checked against Want: G when it fits,
 * else the error alone (so its text is the first line of the diagnostic, see `Checked`). When G is
 * not inferred (`unknown`: `vmap(model.apply)` reads the signature without a call) it is Want, so
 * transforms see the plain tree type.
 */
export type CheckedTree<G, Want, Op extends string, Path extends string, Whose extends string, Note extends string = ""> = unknown extends G
  ? Want
  : Checked<G, TreeRule<G, Want, Op, Path, Whose, Note>>;

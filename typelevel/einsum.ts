// einsum: the subscript string parsed at the type level, each letter bound to one size, the
// output shape read off the letters. The same rules and messages as the runtime (ops/einsum.ts).
/* eslint-disable @typescript-eslint/no-explicit-any -- any in, any out: after an earlier error the chain stays quiet (one error, not a cascade) */
import type { BroadcastShapes, Mismatch } from "./broadcast.js";
import type { ShapeError, ShowDim, ShowShape } from "./errors.js";
import type { Dim, IsAny, IsTuple, Shape, Unify } from "./shape.js";

// prettier-ignore
type LowerAlphabet = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q", "r", "s", "t", "u", "v", "w", "x", "y", "z"];
// prettier-ignore
type UpperAlphabet = ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O", "P", "Q", "R", "S", "T", "U", "V", "W", "X", "Y", "Z"];
/** Letters in the implicit output's order (numpy's: code-point order, so upper case first). */
type Alphabet = [...UpperAlphabet, ...LowerAlphabet];
/** A subscript letter: a-z or A-Z. */
export type EinsumLetter = LowerAlphabet[number] | UpperAlphabet[number];

/** The tokens of one term: letters and "...", or `{ bad }` for the first character that is neither. */
type Tokens<T extends string, Acc extends string[] = []> = T extends `...${infer R}`
  ? Tokens<R, [...Acc, "..."]>
  : T extends `${infer C}${infer R}`
    ? C extends EinsumLetter
      ? Tokens<R, [...Acc, C]>
      : { bad: C }
    : Acc;

type SplitTerms<S extends string, Acc extends string[] = []> = S extends `${infer H},${infer R}` ? SplitTerms<R, [...Acc, H]> : [...Acc, S];

/** A letter's binding: its size and the first operand that named it. */
type Entry = [letter: string, dim: Dim, operand: number];
type Find<Env extends Entry[], L extends string> = Env extends [infer E extends Entry, ...infer R extends Entry[]]
  ? E[0] extends L
    ? E
    : Find<R, L>
  : undefined;

/** Env with L bound to D (from operand I), or the error when L already has another size. */
type Bind<Env extends Entry[], L extends string, D extends Dim, I extends number, Sub extends string> =
  Find<Env, L> extends [string, infer D0 extends Dim, infer I0 extends number]
    ? [Unify<D0, D>] extends [infer U extends Dim]
      ? [U] extends [never]
        ? ShapeError<`einsum "${Sub}": ${L} is ${ShowDim<D0>} in operand ${I0} but ${ShowDim<D>} in operand ${I}`>
        : [U] extends [D0]
          ? Env
          : { [K in keyof Env]: Env[K][0] extends L ? [L, U, I0] : Env[K] }
      : never
    : [...Env, [L, D, I]];

/** Binds letters to dims pairwise (equal lengths). */
type BindAll<Env extends Entry[], Ls extends string[], Ds extends Dim[], I extends number, Sub extends string> = Ls extends [
  infer L extends string,
  ...infer LR extends string[],
]
  ? Ds extends [infer D extends Dim, ...infer DR extends Dim[]]
    ? Bind<Env, L, D, I, Sub> extends infer E
      ? E extends Entry[]
        ? BindAll<E, LR, DR, I, Sub>
        : E
      : never
    : Env
  : Env;

/** Letters before and after the one "..." of a term: [before, after], or false without one. */
type SplitEllipsis<T extends string[], Before extends string[] = []> = T extends [infer H extends string, ...infer R extends string[]]
  ? H extends "..."
    ? [Before, R]
    : SplitEllipsis<R, [...Before, H]>
  : false;

type Take<S extends Dim[], N extends number, Acc extends Dim[] = []> = Acc["length"] extends N
  ? [Acc, S]
  : S extends [infer H extends Dim, ...infer R extends Dim[]]
    ? Take<R, N, [...Acc, H]>
    : [Acc, S];
type TakeLast<S extends Dim[], N extends number, Acc extends Dim[] = []> = Acc["length"] extends N
  ? [S, Acc]
  : S extends [...infer R extends Dim[], infer L extends Dim]
    ? TakeLast<R, N, [L, ...Acc]>
    : [S, Acc];

/** The parse so far: letter bindings, the broadcast dims under "...", whether a term had one, letters named once / more. */
interface State {
  env: Entry[];
  ell: Dim[];
  hasEll: boolean;
  once: string;
  more: string;
}

/** Letters of a term counted into `once` / `more` (for the implicit output). */
type Count<Ls extends string[], Once extends string, More extends string> = Ls extends [infer L extends string, ...infer R extends string[]]
  ? L extends Once | More
    ? Count<R, Exclude<Once, L>, More | L>
    : Count<R, Once | L, More>
  : [Once, More];

/** Operand I (shape S, term T) added to the state, or the error. */
type Operand<St extends State, S extends Dim[], T extends string, I extends number, Sub extends string> =
  Tokens<T> extends infer Tk
    ? Tk extends { bad: infer C extends string }
      ? ShapeError<`einsum "${Sub}": invalid character "${C}" (subscripts are letters, "," "->" and "...")`>
      : Tk extends string[]
        ? SplitEllipsis<Tk> extends [infer B extends string[], infer A extends string[]]
          ? "..." extends A[number]
            ? ShapeError<`einsum "${Sub}": "..." appears twice in "${T}"`>
            : Take<S, B["length"]> extends [infer SB extends Dim[], infer Rest extends Dim[]]
              ? TakeLast<Rest, A["length"]> extends [infer Mid extends Dim[], infer SA extends Dim[]]
                ? [SB["length"], SA["length"]] extends [B["length"], A["length"]]
                  ? BindAll<St["env"], [...B, ...A], [...SB, ...SA], I, Sub> extends infer E
                    ? E extends Entry[]
                      ? BroadcastShapes<St["ell"], Mid> extends infer Ell
                        ? Ell extends Mismatch<infer a, infer b, number>
                          ? ShapeError<`einsum "${Sub}": the dims under "..." do not broadcast (${ShowDim<a>} vs ${ShowDim<b>})`>
                          : [Ell, Count<[...B, ...A], St["once"], St["more"]>] extends [
                                infer EllDims extends Dim[],
                                [infer O extends string, infer M extends string],
                              ]
                            ? { env: E; ell: EllDims; hasEll: true; once: O; more: M }
                            : never
                        : never
                      : E
                    : never
                  : ShapeError<`einsum "${Sub}": operand ${I} has rank ${S["length"]} (${ShowShape<S>}) but "${T}" names at least ${[...B, ...A]["length"]} dims`>
                : never
              : never
          : S["length"] extends Tk["length"]
            ? BindAll<St["env"], Tk, S, I, Sub> extends infer E
              ? E extends Entry[]
                ? Count<Tk, St["once"], St["more"]> extends [infer O extends string, infer M extends string]
                  ? { env: E; ell: St["ell"]; hasEll: St["hasEll"]; once: O; more: M }
                  : never
                : E
              : never
            : ShapeError<`einsum "${Sub}": operand ${I} has rank ${S["length"]} (${ShowShape<S>}) but "${T}" names ${Tk["length"]} dims`>
        : never
    : never;

type Operands<
  St extends State,
  Shapes extends readonly Shape[],
  Terms extends string[],
  Sub extends string,
  I extends unknown[] = [],
> = Terms extends [infer T extends string, ...infer TR extends string[]]
  ? Shapes extends readonly [infer S extends Shape, ...infer SR extends Shape[]]
    ? IsTuple<S> extends true
      ? Operand<St, [...S], T, I["length"], Sub> extends infer N
        ? N extends State
          ? Operands<N, SR, TR, Sub, [...I, 0]>
          : N
        : never
      : Dim[]
    : never
  : St;

/** The explicit output's dims, or the error. */
type ExplicitOut<
  St extends State,
  Out extends string[],
  Sub extends string,
  Seen extends string = never,
  Acc extends Dim[] = [],
> = Out extends [infer L extends string, ...infer R extends string[]]
  ? L extends Seen
    ? ShapeError<`einsum "${Sub}": output letter ${L} appears twice`>
    : L extends "..."
      ? ExplicitOut<St, R, Sub, Seen | L, [...Acc, ...St["ell"]]>
      : Find<St["env"], L> extends [string, infer D extends Dim, number]
        ? ExplicitOut<St, R, Sub, Seen | L, [...Acc, D]>
        : ShapeError<`einsum "${Sub}": output letter ${L} is not in the inputs`>
  : Acc;

/**
 * The implicit output: "..." dims, then each letter named exactly once, in alphabetical order.
 * NOTE: walks the alphabet only while letters remain (and skips the capitals when none is used):
 * "ij,jk" stops at k, "ii" at once.
 */
type ImplicitOut<St extends State> = ImplicitLetters<
  St,
  [Extract<St["once"], UpperAlphabet[number]>] extends [never] ? LowerAlphabet : Alphabet,
  St["once"],
  St["hasEll"] extends true ? St["ell"] : []
>;
type ImplicitLetters<St extends State, Letters extends string[], Left extends string, Acc extends Dim[]> = [Left] extends [never]
  ? Acc
  : Letters extends [infer L extends string, ...infer R extends string[]]
    ? L extends Left
      ? Find<St["env"], L> extends [string, infer D extends Dim, number]
        ? ImplicitLetters<St, R, Exclude<Left, L>, [...Acc, D]>
        : never
      : ImplicitLetters<St, R, Left, Acc>
    : Acc;

type Output<St, OutTerm extends string | false, Sub extends string> = St extends State
  ? OutTerm extends string
    ? Tokens<OutTerm> extends infer Tk
      ? Tk extends { bad: infer C extends string }
        ? ShapeError<`einsum "${Sub}": invalid character "${C}" (subscripts are letters, "," "->" and "...")`>
        : Tk extends string[]
          ? ExplicitOut<St, Tk, Sub>
          : never
      : never
    : ImplicitOut<St>
  : St;

type ParseEinsum<Sub extends string, Ins extends string, OutTerm extends string | false, Shapes extends readonly Shape[]> =
  SplitTerms<Ins> extends infer Terms extends string[]
    ? Terms["length"] extends Shapes["length"]
      ? Output<Operands<{ env: []; ell: []; hasEll: false; once: never; more: never }, Shapes, Terms, Sub>, OutTerm, Sub>
      : ShapeError<`einsum "${Sub}": expects ${Terms["length"]} operands, got ${Shapes["length"]}`>
    : never;

/**
 * The output shape of `einsum(Sub, ...operands)` for operand shapes `Shapes`, or an error naming
 * einsum, the subscripts and the mistake: a letter bound to two sizes (`j is 5 in operand 0 but
 * 6 in operand 1`), a term whose letter count is not the operand's rank, a wrong operand count,
 * an output letter missing from the inputs. Explicit (`"bij,bjk->bik"`) and implicit (`"ij,jk"`:
 * the letters named once, alphabetically) forms; `"..."` stands for broadcast leading dims.
 * A symbolic dim binds to any size (the runtime checks it).
 * @example Einsum<"bij,bjk->bik", [["batch", 3, 4], ["batch", 4, 5]]>  // ["batch", 3, 5]
 */
export type Einsum<Sub extends string, Shapes extends readonly Shape[]> =
  IsAny<Shapes[number]> extends true
    ? any
    : string extends Sub
      ? Dim[]
      : Sub extends `${infer Ins}->${infer OutTerm}`
        ? ParseEinsum<Sub, Ins, OutTerm, Shapes>
        : ParseEinsum<Sub, Sub, false, Shapes>;

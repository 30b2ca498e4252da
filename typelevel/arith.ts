// Dim arithmetic, exact for non-negative integers up to 2^53.
//
// NOTE: numbers become decimal digit strings and are added, subtracted, multiplied and
// divided digit by digit with 10x10 lookup tables, in tail-recursive conditional types.
// Cost grows with the number of digits (at most 16), not with the value: tuple-length
// arithmetic caps at 10,000 and hits "excessively deep" near 1,000 recursion steps.
// Internally Add/Sub/Mul work on *reversed* digit strings (least significant digit
// first), because template literal types can only peel characters off the front.
import type { Dim, Shape } from "./shape.js";

type Digit = "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9";
type Bit = "0" | "1";

// AddTable[carry][a][b] = `${carryOut}${digit}` of a + b + carry.
type AddTable = [
  [
    ["00","01","02","03","04","05","06","07","08","09"],
    ["01","02","03","04","05","06","07","08","09","10"],
    ["02","03","04","05","06","07","08","09","10","11"],
    ["03","04","05","06","07","08","09","10","11","12"],
    ["04","05","06","07","08","09","10","11","12","13"],
    ["05","06","07","08","09","10","11","12","13","14"],
    ["06","07","08","09","10","11","12","13","14","15"],
    ["07","08","09","10","11","12","13","14","15","16"],
    ["08","09","10","11","12","13","14","15","16","17"],
    ["09","10","11","12","13","14","15","16","17","18"],
  ],
  [
    ["01","02","03","04","05","06","07","08","09","10"],
    ["02","03","04","05","06","07","08","09","10","11"],
    ["03","04","05","06","07","08","09","10","11","12"],
    ["04","05","06","07","08","09","10","11","12","13"],
    ["05","06","07","08","09","10","11","12","13","14"],
    ["06","07","08","09","10","11","12","13","14","15"],
    ["07","08","09","10","11","12","13","14","15","16"],
    ["08","09","10","11","12","13","14","15","16","17"],
    ["09","10","11","12","13","14","15","16","17","18"],
    ["10","11","12","13","14","15","16","17","18","19"],
  ],
];
// SubTable[borrow][a][b] = `${borrowOut}${digit}` of a - b - borrow.
type SubTable = [
  [
    ["00","19","18","17","16","15","14","13","12","11"],
    ["01","00","19","18","17","16","15","14","13","12"],
    ["02","01","00","19","18","17","16","15","14","13"],
    ["03","02","01","00","19","18","17","16","15","14"],
    ["04","03","02","01","00","19","18","17","16","15"],
    ["05","04","03","02","01","00","19","18","17","16"],
    ["06","05","04","03","02","01","00","19","18","17"],
    ["07","06","05","04","03","02","01","00","19","18"],
    ["08","07","06","05","04","03","02","01","00","19"],
    ["09","08","07","06","05","04","03","02","01","00"],
  ],
  [
    ["19","18","17","16","15","14","13","12","11","10"],
    ["00","19","18","17","16","15","14","13","12","11"],
    ["01","00","19","18","17","16","15","14","13","12"],
    ["02","01","00","19","18","17","16","15","14","13"],
    ["03","02","01","00","19","18","17","16","15","14"],
    ["04","03","02","01","00","19","18","17","16","15"],
    ["05","04","03","02","01","00","19","18","17","16"],
    ["06","05","04","03","02","01","00","19","18","17"],
    ["07","06","05","04","03","02","01","00","19","18"],
    ["08","07","06","05","04","03","02","01","00","19"],
  ],
];
// MulTable[a][b] = `${tens}${units}` of a * b.
type MulTable = [
  ["00","00","00","00","00","00","00","00","00","00"],
  ["00","01","02","03","04","05","06","07","08","09"],
  ["00","02","04","06","08","10","12","14","16","18"],
  ["00","03","06","09","12","15","18","21","24","27"],
  ["00","04","08","12","16","20","24","28","32","36"],
  ["00","05","10","15","20","25","30","35","40","45"],
  ["00","06","12","18","24","30","36","42","48","54"],
  ["00","07","14","21","28","35","42","49","56","63"],
  ["00","08","16","24","32","40","48","56","64","72"],
  ["00","09","18","27","36","45","54","63","72","81"],
];
// SmallerDigits[d] = the digits below d; NextDigit[d] = d + 1.
type SmallerDigits = ["", "0", "0" | "1", "0" | "1" | "2", "0" | "1" | "2" | "3", "0" | "1" | "2" | "3" | "4",
  "0" | "1" | "2" | "3" | "4" | "5", "0" | "1" | "2" | "3" | "4" | "5" | "6",
  "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7", "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8"];
type NextDigit = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"];

// ---- digit strings ----
// NOTE: helper parameters are deliberately unconstrained (string-ness comes from the
// `infer x extends ...` patterns). A constraint makes tsc relate each argument to it, and
// for a nested conditional argument that means instantiating the whole recursion on its
// constraint: that doubled the cost of checking this file and of every use.

/** The digit string of a non-negative integer literal, or `false` (symbolic, negative, fractional, >= 1e21). */
type Digits<N> = N extends number
  ? number extends N ? false
  : `${N}` extends `-${string}` ? false
  : `${N}` extends `${bigint}` ? `${N}` : false
  : false;
/** Back to a number literal; `number` past 2^53, where the string no longer round-trips. */
type ToNumber<S> = S extends `${infer N extends number}` ? N : number;

type Reverse<S, Acc extends string = ""> =
  S extends `${infer A}${infer B}${infer C}${infer D}${infer T}` ? Reverse<T, `${D}${C}${B}${A}${Acc}`>
  : S extends `${infer H}${infer T}` ? Reverse<T, `${H}${Acc}`> : Acc;
type StripZeros<S> = S extends `0${infer R}` ? (R extends "" ? "0" : StripZeros<R>) : S;
/** A reversed digit string that may carry leading zeros, back to normal form. */
type FromReversed<R> = StripZeros<Reverse<R>>;

// ---- the digit-wise algorithms (reversed in, reversed out) ----

type AddReversed<A, B, C extends Bit = "0", Acc extends string = ""> =
  A extends `${infer a extends Digit}${infer AT}`
    ? B extends `${infer b extends Digit}${infer BT}`
      ? AddTable[C][a][b] extends `${infer c extends Bit}${infer d}` ? AddReversed<AT, BT, c, `${Acc}${d}`> : never
      : C extends "0" ? `${Acc}${A}`
      : AddTable[C][a]["0"] extends `${infer c extends Bit}${infer d}` ? AddReversed<AT, "", c, `${Acc}${d}`> : never
    : B extends "" ? (C extends "1" ? `${Acc}1` : Acc) : AddReversed<B, "", C, Acc>;

/** A - B for A >= B; the result may end in zeros (leading zeros once reversed back). */
type SubReversed<A, B, Br extends Bit = "0", Acc extends string = ""> =
  A extends `${infer a extends Digit}${infer AT}`
    ? B extends `${infer b extends Digit}${infer BT}`
      ? SubTable[Br][a][b] extends `${infer c extends Bit}${infer d}` ? SubReversed<AT, BT, c, `${Acc}${d}`> : never
      : Br extends "0" ? `${Acc}${A}`
      : SubTable[Br][a]["0"] extends `${infer c extends Bit}${infer d}` ? SubReversed<AT, "", c, `${Acc}${d}`> : never
    : Acc;

/** A * b for one digit b: units and tens of each digit product summed once at the end. */
type MulDigitReversed<A, b extends Digit, Units extends string = "", Tens extends string = "0"> =
  A extends `${infer a extends Digit}${infer AT}`
    ? MulTable[a][b] extends `${infer t}${infer u}` ? MulDigitReversed<AT, b, `${Units}${u}`, `${Tens}${t}`> : never
    : AddReversed<Units, Tens>;

/** Schoolbook multiplication: one shifted partial product per digit of B. */
type MulReversed<A, B, Shift extends string = "", Acc = "0"> =
  B extends `${infer b extends Digit}${infer BT}`
    ? MulReversed<A, BT, `${Shift}0`,
        b extends "0" ? Acc : AddReversed<Acc, `${Shift}${(b extends "1" ? A : MulDigitReversed<A, b>) & string}`>>
    : Acc;

// ---- comparison and long division (normal digit order) ----

type CompareLength<A, B> =
  A extends `${string}${infer AT}`
    ? B extends `${string}${infer BT}` ? CompareLength<AT, BT> : 1
    : B extends "" ? 0 : -1;
type CompareSameLength<A, B> =
  A extends `${infer a extends Digit}${infer AT}`
    ? B extends `${infer b extends Digit}${infer BT}`
      ? a extends b ? CompareSameLength<AT, BT> : b extends SmallerDigits[a] ? 1 : -1
      : 0
    : 0;
/** -1, 0 or 1 for two normal digit strings. */
type CompareDigits<A, B> =
  A extends B ? 0 : CompareLength<A, B> extends infer L ? (L extends 0 ? CompareSameLength<A, B> : L) : never;

type SubDigits<A, B> = FromReversed<SubReversed<Reverse<A>, Reverse<B>>>;

/** The quotient digit and remainder of R / B where R < 10 * B: count subtractions. */
type DivideStep<R, B, Q extends string = "0"> =
  CompareDigits<R, B> extends -1 ? [Q, R]
  : Q extends Digit ? DivideStep<SubDigits<R, B>, B, NextDigit[Q]> : never;

/** [quotient, remainder] of A / B by long division, B > 0. */
type DivMod<A, B, R extends string = "0", Q extends string = ""> =
  A extends `${infer d}${infer AT}`
    ? DivideStep<R extends "0" ? d : `${R}${d}`, B> extends [infer q extends string, infer r extends string]
      ? DivMod<AT, B, r, Q extends "" ? (q extends "0" ? "" : q) : `${Q}${q}`>
      : never
    : [Q extends "" ? "0" : Q, R];

// ---- public dim arithmetic ----
// Literal operands give exact literals. A non-literal operand (`number`, "batch") gives
// `number`, except for identities that hold for every value (x + 0, x * 1, x / 1, x - x,
// x * 0), which keep a symbolic dim symbolic.

/** A + B. */
export type Add<A extends Dim, B extends Dim> =
  A extends 0 ? B : B extends 0 ? A
  : [Digits<A>, Digits<B>] extends [infer a extends string, infer b extends string]
    ? ToNumber<Reverse<AddReversed<Reverse<a>, Reverse<b>>>>
    : number;

/** A - B; negative literals when B > A (callers use that to detect "too small"). */
export type Sub<A extends Dim, B extends Dim> =
  B extends 0 ? A
  : [A] extends [B] ? ([B] extends [A] ? 0 : SubLiteral<A, B>) : SubLiteral<A, B>;
type SubLiteral<A, B> =
  [Digits<A>, Digits<B>] extends [infer a extends string, infer b extends string]
    ? CompareDigits<a, b> extends -1 ? ToNumber<`-${SubDigits<b, a> & string}`> : ToNumber<SubDigits<a, b>>
    : number;

/** A * B. */
export type Mul<A extends Dim, B extends Dim> =
  A extends 1 ? B : B extends 1 ? A : A extends 0 ? 0 : B extends 0 ? 0
  : [Digits<A>, Digits<B>] extends [infer a extends string, infer b extends string]
    ? ToNumber<FromReversed<MulReversed<Reverse<a>, Reverse<b>>>>
    : number;

/** floor(A / B). Division by zero gives `number` (there is no dim to report it on). */
export type FloorDiv<A extends Dim, B extends Dim> =
  B extends 1 ? A
  : [Digits<A>, Digits<B>] extends [infer a extends string, infer b extends string]
    ? b extends "0" ? number : DivMod<a, b> extends [infer q, unknown] ? ToNumber<q> : never
    : number;

/** ceil(A / B). */
export type CeilDiv<A extends Dim, B extends Dim> =
  B extends 1 ? A
  : [Digits<A>, Digits<B>] extends [infer a extends string, infer b extends string]
    ? b extends "0" ? number
    : DivMod<a, b> extends [infer q, infer r]
      ? r extends "0" ? ToNumber<q> : ToNumber<Reverse<AddReversed<Reverse<q>, "1">>>
      : never
    : number;

/** A mod B (`number` when not both literal, or B is 0). */
export type Mod<A extends Dim, B extends Dim> =
  B extends 1 ? 0
  : [Digits<A>, Digits<B>] extends [infer a extends string, infer b extends string]
    ? b extends "0" ? number : DivMod<a, b> extends [unknown, infer r] ? ToNumber<r> : never
    : number;

/** -1, 0 or 1 for two literal dims; `number` when either is not a non-negative literal. */
export type Compare<A extends Dim, B extends Dim> =
  [Digits<A>, Digits<B>] extends [infer a extends string, infer b extends string] ? CompareDigits<a, b> : number;

/** The element count of a shape: exact when every dim is literal, `number` otherwise (1 for []). */
export type Product<S extends Shape> =
  number extends S["length"] ? number : ProductOf<S, 1>;
type ProductOf<S, Acc extends Dim> =
  S extends readonly [infer H extends Dim, ...infer T] ? ProductOf<T, Mul<Acc, H>> : Acc;

// A tiny mock of the runtime op layer (declarations only), in the pattern src/ops uses:
// the checked argument's type is `Tensor<B> & Check<Rule<A, B>>`, the result `Tensor<Out<...>>`.
// Shared by the type tests and the benches; tsconfig.build.json excludes *.test-d.ts.
// NOTE: imported from the rule modules, not ./index.js: the benches measure what a user file pays, and
// checking the declarations of modules the mock does not use (einsum, sort, fit: ~3k instantiations) is
// not part of that (a consumer compiles against the built .d.ts with skipLibCheck).
import type { Broadcast } from "./broadcast.js";
import type { Concat, Stack } from "./concat.js";
import type { Conv1d, Conv2d, Padding, Pool2d } from "./conv.js";
import type { Check, Out } from "./errors.js";
import type { Gather, OneHot } from "./gather.js";
import type { MatMul } from "./matmul.js";
import type { Pad } from "./pad.js";
import type { Reduce } from "./reduce.js";
import type { Reshape } from "./reshape.js";
import type { RuntimeShape, Shape } from "./shape.js";
import type { Slice } from "./slice.js";
import type { ExpandDims, Squeeze } from "./squeeze.js";
import type { Transpose } from "./transpose.js";

/** Type-test helpers: `Expect<Equal<A, B>>` compiles only when A and B are identical. */
export type Expect<T extends true> = T;
export type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;

export class Tensor<S extends Shape> {
  declare readonly __s: S;
  shape!: RuntimeShape<S>;
}

type Axes = number | readonly number[] | undefined;
type Pair = number | readonly [number, number];

export declare function matmul<A extends Shape, B extends Shape>(
  a: Tensor<A>,
  b: Tensor<B> & Check<MatMul<A, B>>,
): Tensor<Out<MatMul<A, B>>>;
export declare function add<A extends Shape, B extends Shape>(
  a: Tensor<A>,
  b: Tensor<B> & Check<Broadcast<A, B, "add">>,
): Tensor<Out<Broadcast<A, B, "add">>>;
export declare function relu<S extends Shape>(x: Tensor<S>): Tensor<S>;
export declare function reshape<S extends Shape, const T extends Shape>(
  x: Tensor<S>,
  shape: T & Check<Reshape<S, T>>,
): Tensor<Out<Reshape<S, T>>>;
export declare function transpose<S extends Shape, const P extends readonly number[] | undefined = undefined>(
  x: Tensor<S>,
  perm?: P & Check<Transpose<S, P>>,
): Tensor<Out<Transpose<S, P>>>;
export declare function sum<S extends Shape, const A extends Axes = undefined, const K extends boolean = false>(
  x: Tensor<S>,
  axis?: A & Check<Reduce<S, A, K, "sum">>,
  opts?: { keepDims?: K },
): Tensor<Out<Reduce<S, A, K, "sum">>>;
export declare function concat<const T extends readonly Shape[], const A extends number>(
  xs: { [K in keyof T]: Tensor<T[K]> },
  axis: A & Check<Concat<T, A>>,
): Tensor<Out<Concat<T, A>>>;
// NOTE: a Check on an optional parameter is skipped when the argument is omitted, so stack checks `xs`.
export declare function stack<const T extends readonly Shape[], const A extends number = 0>(
  xs: { [K in keyof T]: Tensor<T[K]> } & Check<Stack<T, A>>,
  axis?: A,
): Tensor<Out<Stack<T, A>>>;
export declare function squeeze<S extends Shape, const A extends Axes = undefined>(
  x: Tensor<S>,
  axis?: A & Check<Squeeze<S, A>>,
): Tensor<Out<Squeeze<S, A>>>;
export declare function expandDims<S extends Shape, const A extends number>(
  x: Tensor<S>,
  axis: A & Check<ExpandDims<S, A>>,
): Tensor<Out<ExpandDims<S, A>>>;
export declare function slice<S extends Shape, const B extends readonly number[], const Z extends readonly number[]>(
  x: Tensor<S>,
  begin: B,
  size: Z & Check<Slice<S, B, Z>>,
): Tensor<Out<Slice<S, B, Z>>>;
export declare function pad<S extends Shape, const P extends readonly (readonly [number, number])[]>(
  x: Tensor<S>,
  paddings: P & Check<Pad<S, P>>,
): Tensor<Out<Pad<S, P>>>;
export declare function gather<S extends Shape, I extends Shape, const A extends number = 0>(
  x: Tensor<S>,
  indices: Tensor<I> & Check<Gather<S, I, A>>,
  axis?: A,
): Tensor<Out<Gather<S, I, A>>>;
export declare function oneHot<S extends Shape, const D extends number>(indices: Tensor<S>, depth: D): Tensor<Out<OneHot<S, D>>>;
export declare function conv2d<
  X extends Shape,
  F extends Shape,
  const St extends Pair = 1,
  const P extends Padding = "valid",
  const Dl extends Pair = 1,
>(
  x: Tensor<X>,
  filter: Tensor<F> & Check<Conv2d<X, F, St, P, Dl>>,
  stride?: St,
  padding?: P,
  dilation?: Dl,
): Tensor<Out<Conv2d<X, F, St, P, Dl>>>;
export declare function conv1d<
  X extends Shape,
  F extends Shape,
  const St extends number = 1,
  const P extends "same" | "valid" | number = "valid",
  const Dl extends number = 1,
>(
  x: Tensor<X>,
  filter: Tensor<F> & Check<Conv1d<X, F, St, P, Dl>>,
  stride?: St,
  padding?: P,
  dilation?: Dl,
): Tensor<Out<Conv1d<X, F, St, P, Dl>>>;
export declare function maxPool2d<X extends Shape, const W extends Pair, const St extends Pair = W, const P extends Padding = "valid">(
  x: Tensor<X> & Check<Pool2d<X, W, St, P, "maxPool2d">>,
  window: W,
  stride?: St,
  padding?: P,
): Tensor<Out<Pool2d<X, W, St, P, "maxPool2d">>>;

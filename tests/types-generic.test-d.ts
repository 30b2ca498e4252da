// Type corpus for issue 10 (generic code): helpers over a generic shape S that broadcast S against
// another shape or reduce it over an axis. They compile; the result is a deferred `Tensor<...>`
// that later ops accept, and at a concrete call site it is the exact shape. What TypeScript cannot
// check inside such a helper is checked at its call site when the helper states what it needs in
// S's constraint. Checked by `tsc -p tsconfig.json`.
import { add, div, exp, max, mean, mul, relu, sqrt, square, sub, sum, type Dim, type Shape, type Tensor } from "../src/index.js";
import type { ErrorMessage } from "../typelevel/index.js";

type Expect<T extends true> = T;
type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;

declare const batch: Tensor<["batch", 4]>;
declare const images: Tensor<["batch", 8, 8, 4]>;
declare const bias4: Tensor<[4]>;

// ================================================================ broadcasting a generic S

// a bias over the last dim: S states that it ends in 4, so the call site checks it
export const addBias = <S extends readonly [...Dim[], 4]>(x: Tensor<S>, b: Tensor<[4]>) => add(x, b);
const biased = addBias(batch, bias4);
type _biased = Expect<Equal<typeof biased, Tensor<["batch", 4]>>>;
const biasedImages = addBias(images, bias4);
type _biasedImages = Expect<Equal<typeof biasedImages, Tensor<["batch", 8, 8, 4]>>>;
// the same with the channel count generic too
export const addChannelBias = <C extends Dim, S extends readonly [...Dim[], C]>(x: Tensor<S>, b: Tensor<[C]>) => add(x, b);
const channelBiased = addChannelBias(images, bias4);
type _channelBiased = Expect<Equal<typeof channelBiased, Tensor<["batch", 8, 8, 4]>>>;
// a scalar tensor and a [1] broadcast against anything
export const shift = <S extends Shape>(x: Tensor<S>, s: Tensor<[]>) => sub(x, s);
const shifted = shift(images, null! as Tensor<[]>);
type _shifted = Expect<Equal<typeof shifted, Tensor<["batch", 8, 8, 4]>>>;
export const scaleBy = <S extends Shape>(x: Tensor<S>, s: Tensor<[1]>) => mul(x, s);
const scaled = scaleBy(batch, null! as Tensor<[1]>);
type _scaled = Expect<Equal<typeof scaled, Tensor<["batch", 4]>>>;
// the deferred result flows into later ops, generic or not
export const biasRelu = <S extends Shape>(x: Tensor<S>, b: Tensor<[4]>) => relu(mul(add(x, b), 2));
const activated = biasRelu(batch, bias4);
type _activated = Expect<Equal<typeof activated, Tensor<["batch", 4]>>>;

// ================================================================ reductions over an axis of a generic S

export const rowSum = <S extends Shape>(x: Tensor<S>) => sum(x, -1);
const rowSums = rowSum(batch);
type _rowSums = Expect<Equal<typeof rowSums, Tensor<["batch"]>>>;
export const columnMeans = <S extends Shape>(x: Tensor<S>) => mean(x, 0, { keepDims: true });
const means = columnMeans(images);
type _means = Expect<Equal<typeof means, Tensor<[1, 8, 8, 4]>>>;
export const total = <S extends Shape>(x: Tensor<S>) => sum(x);
type _total = Expect<Equal<ReturnType<typeof total<["batch", 4]>>, Tensor<[]>>>;
// the classic helpers: a reduction with keepDims broadcast back against S
export const softmax = <S extends Shape>(x: Tensor<S>) => {
  const shifted = sub(x, max(x, -1, { keepDims: true }));
  return div(exp(shifted), sum(exp(shifted), -1, { keepDims: true }));
};
const probs = softmax(batch);
type _probs = Expect<Equal<typeof probs, Tensor<["batch", 4]>>>;
export const standardize = <S extends Shape>(x: Tensor<S>) => {
  const centred = sub(x, mean(x, -1, { keepDims: true }));
  return div(centred, sqrt(add(mean(square(centred), -1, { keepDims: true }), 1e-5)));
};
const standardized = standardize(images);
type _standardized = Expect<Equal<typeof standardized, Tensor<["batch", 8, 8, 4]>>>;

// ================================================================ what still does not compile

// the constraint is checked where the helper is called: [batch, 5] does not end in 4
// @ts-expect-error Tensor<["batch", 5]> does not satisfy readonly [...Dim[], 4]
addBias(null! as Tensor<["batch", 5]>, bias4);
// a dtype mismatch does not depend on S: reported inside the helper
// @ts-expect-error add: dtypes differ (float32 vs int32)
export const badBias = <S extends Shape>(x: Tensor<S>, b: Tensor<[4], "int32">) => add(x, b);
type BadBiasError = ErrorMessage<Parameters<typeof add<Tensor<["batch", 4]>, Tensor<[4], "int32">>>[1]>;
type _badBiasText = Expect<Equal<BadBiasError, "add: dtypes differ (float32 vs int32); cast one first">>;
// @ts-expect-error sum: a bool tensor, generic or not, must be cast first
export const countTrue = <S extends Shape>(m: Tensor<S, "bool">) => sum(m, -1);
// concrete shapes are still checked with their message
// @ts-expect-error add: shapes [batch, 4] and [5] do not broadcast (4 vs 5 at axis -1)
add(batch, null! as Tensor<[5]>);
type ConcreteError = ErrorMessage<Parameters<typeof add<Tensor<["batch", 4]>, Tensor<[5]>>>[1]>;
type _concreteText = Expect<Equal<ConcreteError, "add: shapes [batch, 4] and [5] do not broadcast (4 vs 5 at axis -1)">>;
// @ts-expect-error sum: axis 2 is out of range for [batch, 4] (rank 2)
sum(batch, 2);
// @ts-expect-error a helper whose result is claimed to be S: TypeScript cannot prove Broadcast<S, [4]> is S
export const claimed = <S extends Shape>(x: Tensor<S>, b: Tensor<[4]>): Tensor<S> => add(x, b);

// Dims, shapes, messages and the Check/Out pattern the ops in src use.
import type {
  Check,
  Conv2d,
  Dim,
  ErrorMessage,
  IsAny,
  IsLiteral,
  IsTuple,
  MatMul,
  NormalizeAxis,
  Out,
  Reshape,
  RuntimeShape,
  ShapeError,
  ShowDim,
  ShowShape,
  Unify,
} from "./index.js";
import { add, matmul, relu, reshape, type Tensor, type Equal, type Expect } from "./mock-ops.test-d.js";

export type ShapeCases = [
  Expect<Equal<RuntimeShape<["batch", 28, number]>, readonly [number, 28, number]>>,
  Expect<Equal<IsLiteral<28>, true>>,
  Expect<Equal<IsLiteral<number>, false>>,
  Expect<Equal<IsLiteral<"batch">, false>>,
  Expect<Equal<Unify<"batch", 3>, 3>>,
  Expect<Equal<Unify<number, "batch">, "batch">>,
  Expect<Equal<Unify<"batch", "time">, number>>,
  Expect<Equal<Unify<2, 3>, never>>,
  Expect<Equal<NormalizeAxis<[2, 3, 4], -1>, 2>>,
  Expect<Equal<NormalizeAxis<[2, 3, 4], -3>, 0>>,
  Expect<Equal<NormalizeAxis<[2, 3, 4], 3>, never>>,
  Expect<Equal<NormalizeAxis<[2, 3, 4], -4>, never>>,
  Expect<Equal<ShowShape<["batch", 7, 7, 64]>, "[batch, 7, 7, 64]">>,
  Expect<Equal<ShowShape<[number, 3]>, "[?, 3]">>,
  Expect<Equal<ShowShape<Dim[]>, "[...]">>,
  Expect<Equal<ShowDim<number>, "?">>,
  Expect<Equal<IsAny<any>, true>>,
  Expect<Equal<IsAny<[2, 3]>, false>>,
  Expect<Equal<IsTuple<["batch", 3]>, true>>,
  Expect<Equal<IsTuple<Dim[]>, false>>,
];

// `any` (after an earlier error) and unknown rank flow through every rule without new errors.
export type PassThroughCases = [
  Expect<Equal<MatMul<any, [784, 10]>, any>>,
  Expect<Equal<Conv2d<any, [3, 3, 1, 8]>, any>>,
  Expect<Equal<Reshape<Dim[], [2, 3]>, Dim[]>>,
  Expect<Equal<Conv2d<Dim[], [3, 3, 1, 8]>, Dim[]>>,
];

export type CheckOutCases = [
  Expect<Equal<Check<[2, 3]>, unknown>>,
  Expect<Equal<Check<ShapeError<"x">>, ShapeError<"x">>>,
  Expect<Equal<Out<[2, 3]>, [2, 3]>>,
  Expect<Equal<Out<ShapeError<"x">>, any>>,
  Expect<Equal<ErrorMessage<MatMul<["batch", 784], [28, 10]>>, "matmul: inner dims differ (784 vs 28)">>,
];

// The pattern src/ops uses infers A and B from the tensors and rejects the bad argument.
declare const x: Tensor<["batch", 784]>;
declare const w: Tensor<[784, 128]>;
declare const bad: Tensor<[28, 10]>;
declare const untyped: Tensor<Dim[]>;
const hidden = matmul(x, w);
// @ts-expect-error matmul: inner dims differ (784 vs 28)
const broken = matmul(x, bad);
// After an error the shape is `any`: the rest of the chain type-checks, so one error is reported.
const afterError = relu(add(reshape(broken, [4, 4]), w));
const unknownRank = matmul(untyped, w);

export type PatternCases = [
  Expect<Equal<typeof hidden, Tensor<["batch", 128]>>>,
  Expect<Equal<typeof broken, Tensor<any>>>,
  Expect<Equal<typeof afterError, Tensor<any>>>,
  Expect<Equal<typeof unknownRank, Tensor<Dim[]>>>,
];

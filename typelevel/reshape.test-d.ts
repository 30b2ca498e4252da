// Reshape and the inferred -1.
import type { Dim, ErrorMessage, Flatten, NamedDimsAligned, Reshape, ShapeError } from "./index.js";
import { reshape, type Tensor, type Equal, type Expect } from "./mock-ops.test-d.js";

export type ReshapeCases = [
  Expect<Equal<Reshape<[2, 3, 4], [6, 4]>, [6, 4]>>,
  Expect<Equal<Reshape<[2, 3, 4], [-1, 4]>, [6, 4]>>,
  Expect<Equal<Reshape<[1024, 1024, 3], [-1]>, [3145728]>>,
  Expect<Equal<Reshape<["batch", 7, 7, 64], ["batch", -1]>, ["batch", 3136]>>, // named dims cancel
  Expect<Equal<Reshape<["batch", 28, 28, 1], ["batch", 784]>, ["batch", 784]>>,
  Expect<Equal<Reshape<["batch", 6], [-1, 3]>, [number, 3]>>, // not derivable: number
  Expect<Equal<Reshape<[0, 5], [0, 7]>, [0, 7]>>,
  Expect<Equal<Reshape<Dim[], [2, -1]>, Dim[]>>,
  Expect<Equal<Reshape<[2, 3], [4, 2]>, ShapeError<"reshape: cannot reshape [2, 3] (6 elements) into [4, 2] (8 elements)">>>,
  Expect<Equal<Reshape<[2, 3], [-1, 4]>, ShapeError<"reshape: cannot reshape [2, 3] (6 elements) into [-1, 4]: 6 is not divisible by 4">>>,
  Expect<Equal<Reshape<[2, 3], [-1, -1]>, ShapeError<"reshape: at most one -1 allowed, got [-1, -1]">>>,
  Expect<
    Equal<
      Reshape<["batch", 7, 7, 64], ["batch", 3000]>,
      ShapeError<"reshape: cannot reshape [batch, 7, 7, 64] into [batch, 3000]: 3136 vs 3000 elements once shared dims cancel">
    >
  >,
];

declare const images: Tensor<["batch", 28, 28, 1]>;
declare const small: Tensor<[2, 3]>;
export const flat = reshape(images, ["batch", -1]);
// @ts-expect-error reshape: cannot reshape [2, 3] (6 elements) into [4, 2] (8 elements)
export const e1 = reshape(small, [4, 2]);
// @ts-expect-error reshape: 6 is not divisible by 4
export const e2 = reshape(small, [-1, 4]);
// @ts-expect-error reshape: at most one -1 allowed
export const e3 = reshape(small, [-1, -1]);
// @ts-expect-error reshape: 784 vs 700 elements once shared dims cancel
export const e4 = reshape(images, ["batch", 700]);

export type ReshapeCallCases = [Expect<Equal<typeof flat, Tensor<["batch", 784]>>>];

// flatten, and where named dims may sit in a reshape target.
export type FlattenCases = [
  Expect<Equal<Flatten<["batch", 7, 7, 64], 1>, ["batch", 3136]>>,
  Expect<Equal<Flatten<["batch", "time", 16], 1>, ["batch", number]>>,
  Expect<Equal<ErrorMessage<Flatten<[2, 3], 2>>, "flatten: startAxis 2 is out of range for [2, 3] (rank 2)">>,
  Expect<Equal<NamedDimsAligned<["batch", 7, 7, 64], ["batch", -1]>, unknown>>,
  Expect<
    Equal<
      ErrorMessage<NamedDimsAligned<["batch", "time", 16], [-1, "batch"]>>,
      "reshape: named dim batch at index 1 of the target must be at index 1 of the input [batch, time, 16]"
    >
  >,
];

// numpy broadcasting.
import type { Broadcast, BroadcastDim, BroadcastTo, Dim, ErrorMessage, ShapeError } from "./index.js";
import { add, type Tensor, type Equal, type Expect } from "./mock-ops.test-d.js";

export type BroadcastCases = [
  Expect<Equal<Broadcast<[2, 3], [3]>, [2, 3]>>,
  Expect<Equal<Broadcast<["batch", 1, 3], [4, 1]>, ["batch", 4, 3]>>,
  Expect<Equal<Broadcast<[], [5]>, [5]>>,
  Expect<Equal<Broadcast<["batch", 10], ["batch", 10]>, ["batch", 10]>>,
  Expect<Equal<Broadcast<["batch", 10], [1, 10]>, ["batch", 10]>>, // 1 takes the symbolic dim
  Expect<Equal<Broadcast<["batch", 10], [32, 10]>, [32, 10]>>, // symbolic vs literal: the literal
  Expect<Equal<Broadcast<[number, 3], ["batch", 3]>, ["batch", 3]>>,
  Expect<Equal<Broadcast<["batch", 3], ["time", 3]>, [number, 3]>>,
  Expect<Equal<Broadcast<Dim[], [3]>, Dim[]>>,
  Expect<Equal<Broadcast<[2, 3], [4], "add">, ShapeError<"add: shapes [2, 3] and [4] do not broadcast (3 vs 4 at axis -1)">>>,
  Expect<
    Equal<Broadcast<[2, 3, 4], [5, 3, 4]>, ShapeError<"broadcast: shapes [2, 3, 4] and [5, 3, 4] do not broadcast (2 vs 5 at axis -3)">>
  >,
  Expect<Equal<BroadcastDim<1, 7>, 7>>,
  Expect<Equal<BroadcastDim<6, 7>, never>>,
];

declare const logits: Tensor<["batch", 10]>;
declare const bias: Tensor<[10]>;
declare const wrongBias: Tensor<[12]>;
declare const grid: Tensor<[2, 3, 4]>;
declare const grid5: Tensor<[5, 3, 4]>;
export const biased = add(logits, bias);
// @ts-expect-error add: shapes [batch, 10] and [12] do not broadcast
export const e1 = add(logits, wrongBias);
// @ts-expect-error add: shapes [2, 3, 4] and [batch, 10] do not broadcast
export const e2 = add(grid, logits);
// @ts-expect-error add: a leading 5 against 2
export const e3 = add(grid, grid5);

export type BroadcastCallCases = [Expect<Equal<typeof biased, Tensor<["batch", 10]>>>];

// broadcastTo: one shape up to a target.
export type BroadcastToCases = [
  Expect<Equal<BroadcastTo<[1, 10], [32, 10]>, [32, 10]>>,
  Expect<Equal<BroadcastTo<["n"], [5]>, [5]>>,
  Expect<Equal<ErrorMessage<BroadcastTo<[3], [2, 4]>>, "broadcastTo: cannot broadcast [3] to [2, 4] (3 vs 4)">>,
  Expect<Equal<ErrorMessage<BroadcastTo<[2, 3], [3]>>, "broadcastTo: cannot broadcast [2, 3] to [3] (rank 2 > 1)">>,
];

// Axis-wise ops that keep the shape, and topK.
import type { AlongAxis, ErrorMessage, TopK } from "./index.js";
import type { Equal, Expect } from "./mock-ops.test-d.js";

export type AlongAxisCases = [
  Expect<Equal<AlongAxis<["batch", 10], -1, "cumsum">, ["batch", 10]>>,
  Expect<Equal<AlongAxis<["batch", 10], 0, "sort">, ["batch", 10]>>,
  Expect<Equal<AlongAxis<["batch", 10], number, "sort">, ["batch", 10]>>,
  Expect<Equal<ErrorMessage<AlongAxis<["batch", 10], 2, "cumsum">>, "cumsum: axis 2 is out of range for [batch, 10] (rank 2)">>,
  Expect<Equal<ErrorMessage<AlongAxis<[], -1, "sort">>, "sort: axis -1 is out of range for [] (rank 0)">>,
];

export type TopKCases = [
  Expect<Equal<TopK<["batch", 10], 3>, ["batch", 3]>>,
  Expect<Equal<TopK<[10], 10>, [10]>>,
  Expect<Equal<TopK<["batch", "vocab"], 5>, ["batch", 5]>>, // a symbolic last dim accepts any k
  Expect<Equal<TopK<["batch", 10], number>, ["batch", number]>>,
  Expect<Equal<ErrorMessage<TopK<["batch", 3], 5>>, "topK: k = 5 is larger than the last dim 3 of [batch, 3]">>,
  Expect<Equal<ErrorMessage<TopK<[], 1>>, "topK expects a tensor of rank >= 1, got a scalar">>,
];

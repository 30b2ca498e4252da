// Type-level checks (tsc checks them; vitest runs them as no-ops).
import { expectTypeOf, test } from "vitest";
import { batches, hostArray, oneHot, sineWaves, trainTestSplit, type HostArray } from "../src/data/index.js";
import { loadIris, loadMnist } from "../src/data/node.js";

test("shapes and dtypes are carried in the types", () => {
  expectTypeOf(hostArray([1, 2, 3, 4], [2, 2])).toEqualTypeOf<HostArray<readonly [2, 2], "float32">>();
  expectTypeOf(hostArray([1, 2], [2], { dtype: "int32" }).data).toEqualTypeOf<Int32Array>();
  const mnist = loadMnist({ limit: 10 });
  expectTypeOf(mnist.x.shape).toEqualTypeOf<[number, 28, 28, 1]>();
  expectTypeOf(mnist.y.data).toEqualTypeOf<Int32Array>();
  const { train } = trainTestSplit(mnist, { testFraction: 0.5, seed: 0 });
  expectTypeOf(train.x.shape).toEqualTypeOf<[number, 28, 28, 1]>();
  for (const batch of batches(loadIris(), 50)) expectTypeOf(batch.x.shape).toEqualTypeOf<[number, 4]>();
  expectTypeOf(sineWaves({ n: 2, length: 3, seed: 0, target: "frequency" }).y.dtype).toEqualTypeOf<"int32">();
  expectTypeOf(sineWaves({ n: 2, length: 3, seed: 0 }).y.shape).toEqualTypeOf<[number, 1]>();
  expectTypeOf(oneHot([0, 1], 10).shape).toEqualTypeOf<[number, 10]>();
});

// data.asDataset / data.asHostArray: untyped data checked against a shape spec at run time and
// returned typed (the same object). The compile-time side is in tests/train-types.test-d.ts.
import { describe, expect, test } from "vitest";
import * as data from "../src/data/index.js";
import { DTypeError, ShapeError, ValueError } from "../src/tensor/errors.js";

const x = data.hostArray(new Float32Array(6 * 4), [6, 4]);
const y = data.hostArray(new Int32Array(6), [6], { dtype: "int32" });
const untyped: data.Dataset = data.dataset(x, y);

/** The error `run` throws (fails the test when it throws nothing). */
function thrown(run: () => unknown): Error {
  try {
    run();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a throw");
}

describe("asDataset", () => {
  test("returns the same object when x and y fit the spec", () => {
    const ds = data.asDataset(untyped, { x: ["N", 4], y: ["N"], xDType: "float32", yDType: "int32" });
    expect(ds).toBe(untyped);
    expect(data.asDataset(untyped, { x: [6, 4], y: [6] })).toBe(untyped);
  });

  test("a size that differs names the array, the dim and both sizes", () => {
    const e = thrown(() => data.asDataset(untyped, { x: ["N", 784], y: ["N"] }));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toBe("asDataset: x is [6, 4] but the spec says [N, 784] (dim 1: 4 vs 784)");
    expect((e as ShapeError).expected).toBe("x [N, 784]");
  });

  test("a rank that differs", () => {
    const e = thrown(() => data.asDataset(untyped, { x: ["N", 28, 28, 1], y: ["N"] }));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toBe("asDataset: x is [6, 4] but the spec says [N, 28, 28, 1] (rank 2 vs 4)");
  });

  test("one name, one size across x and y", () => {
    const short = { x, y: data.hostArray(new Int32Array(5), [5], { dtype: "int32" }) };
    const e = thrown(() => data.asDataset(short, { x: ["N", 4], y: ["N"] }));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toBe("asDataset: y dim 0 (N) is 5 but x dim 0 (N) is 6; one name, one size");
    // different names may differ
    expect(data.asDataset(short, { x: ["N", "F"], y: ["M"] })).toBe(short);
  });

  test("dtypes: the spec's, and the data's own", () => {
    const e = thrown(() => data.asDataset(untyped, { x: ["N", 4], y: ["N"], yDType: "float32" }));
    expect(e).toBeInstanceOf(DTypeError);
    expect(e.message).toBe("asDataset: y is int32 but the spec says float32");
    const lying = { x, y: { data: new Float32Array(6), shape: [6], dtype: "int32" } };
    const e2 = thrown(() => data.asDataset(lying, { x: ["N", 4], y: ["N"] }));
    expect(e2).toBeInstanceOf(DTypeError);
    expect(e2.message).toBe("asDataset: y says dtype int32 but holds a Float32Array");
  });

  test("not a data set, a short buffer, a bad spec", () => {
    expect(thrown(() => data.asDataset(null, { x: ["N"], y: ["N"] }))).toBeInstanceOf(ValueError);
    expect(thrown(() => data.asDataset({ x: [1, 2], y }, { x: ["N"], y: ["N"] })).message).toMatch(/^asDataset: x must be a host array/);
    const short = { x: { data: new Float32Array(5), shape: [6], dtype: "float32" }, y };
    expect(thrown(() => data.asDataset(short, { x: ["N"], y: ["N"] })).message).toBe(
      "asDataset: x has 5 values, but its shape [6] needs 6",
    );
    expect(thrown(() => data.asDataset(untyped, { x: ["N", -1], y: ["N"] })).message).toMatch(
      /^asDataset: spec.x must be an array of dims/,
    );
  });
});

describe("asHostArray", () => {
  test("checks and returns the array", () => {
    expect(data.asHostArray(x, ["N", 4], "float32")).toBe(x);
    const e = thrown(() => data.asHostArray(x, ["N", 4], "int32"));
    expect(e).toBeInstanceOf(DTypeError);
    expect(e.message).toBe("asHostArray: the array is float32 but the spec says int32");
    expect(thrown(() => data.asHostArray(x, [5, 4])).message).toBe(
      "asHostArray: the array is [6, 4] but the spec says [5, 4] (dim 0: 6 vs 5)",
    );
  });
});

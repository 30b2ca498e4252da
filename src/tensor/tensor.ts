// The typed handle. `S` and `D` are phantom: the runtime `shape` always equals the type's
// literal dims (symbolic dims are plain numbers at run time).
import type { TfTensor } from "./tfjs.js";
import type { NamedAcceptsSize, Shape, RuntimeShape } from "../../typelevel/index.js";

/** The element types a tensor can hold: `"float32"` (the default), `"int32"` (labels, ids), `"bool"` (masks). */
export type DType = "float32" | "int32" | "bool";
export type DataOf<D extends DType> = D extends "float32" ? Float32Array : D extends "int32" ? Int32Array : Uint8Array;
/** Nested JS arrays of a given rank. */
export type NestedArray = number | boolean | readonly NestedArray[];

/**
 * A typed handle on an n-dimensional array: `S` is its shape as a type (number literals, `number`,
 * or names such as `"batch"`), `D` its dtype. Its runtime `shape` has the type's literal dims
 * (a named dim is a plain number at run time). Tensors come from `tensor`, `zeros`, ... and from
 * every op; a concrete tensor holds backend memory until `dispose()` (or the end of a `tidy`).
 * ```ts
 * const x = tensor([1, 2, 3, 4, 5, 6], [2, 3]);   // Tensor<[2, 3]>
 * x.shape;                                       // [2, 3]
 * x.arraySync();                                 // [[1, 2, 3], [4, 5, 6]]
 * x.dispose();
 * ```
 */
export abstract class Tensor<S extends Shape = Shape, D extends DType = "float32"> {
  /**
   * Phantom (no value at run time): carries `S`, so tensors of different shapes are different
   * types. A named dim reads as "that name, or any size": a function taking
   * `Tensor<["batch", 4]>` accepts a `Tensor<[32, 4]>` (as `model.apply` does), while two
   * different names, or two different sizes, stay incompatible.
   */
  declare readonly __shape: NamedAcceptsSize<S>;
  /** The dims at run time: `[2, 3]`; a named dim (`"batch"`) is its actual size. */
  readonly shape: RuntimeShape<S>;
  /** The element type: `"float32"`, `"int32"` or `"bool"`. */
  readonly dtype: D;

  constructor(shape: readonly number[], dtype: D) {
    this.shape = shape as RuntimeShape<S>;
    this.dtype = dtype;
  }

  /** The number of dims: 0 for a scalar, 2 for a matrix. */
  get rank(): number {
    return this.shape.length;
  }

  /** The number of elements: the product of the dims (1 for a scalar). */
  get size(): number {
    return sizeOf(this.shape);
  }

  /** The tfjs tensor behind this value; throws inside jit/vmap where there is none. */
  abstract concrete(): TfTensor;

  /** Values as a flat typed array (row-major). */
  dataSync(): DataOf<D> {
    return this.concrete().dataSync() as DataOf<D>;
  }

  /** Values as a flat typed array (row-major), read without blocking: `await x.data()`. */
  async data(): Promise<DataOf<D>> {
    return (await this.concrete().data()) as DataOf<D>;
  }

  /** Values as nested JS arrays. */
  arraySync(): unknown {
    return this.concrete().arraySync();
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) {
      const got = formatShape(this.shape);
      throw new ShapeError({ op: "item", expected: "one element", got }, `item: expected a tensor with one element, got shape ${got}`);
    }
    return this.concrete().dataSync()[0];
  }

  /** Frees the memory behind a concrete tensor; a no-op on traced values. */
  dispose(): void {}

  /** True once `dispose()` freed the memory; traced values are never disposed. */
  get isDisposed(): boolean {
    return false;
  }

  /** The shape and dtype (not the values): `Tensor<[2, 3], float32>`. */
  toString(): string {
    return `Tensor<${formatShape(this.shape)}, ${this.dtype}>`;
  }
}

/** A tensor with values: wraps one tfjs tensor. */
export class Concrete<S extends Shape = Shape, D extends DType = DType> extends Tensor<S, D> {
  constructor(readonly value: TfTensor) {
    super(value.shape, value.dtype as D);
  }

  concrete(): TfTensor {
    if (this.value.isDisposed) {
      throw new ValueError(
        { op: "tensor", expected: "a live tensor", got: "a disposed tensor" },
        `${this.toString()} was used after it was disposed`,
      );
    }
    return this.value;
  }

  override dispose(): void {
    this.value.dispose();
  }

  override get isDisposed(): boolean {
    return this.value.isDisposed;
  }
}

export type AnyTensor = Tensor<Shape, DType>;

import { formatShape, sizeOf } from "./shape.js";
import { describeValue as describe, ShapeError, ValueError } from "./errors.js";
export { formatShape, sizeOf, sameShape } from "./shape.js";

export function isTensor(x: unknown): x is AnyTensor {
  return x instanceof Tensor;
}

function describeValue(x: unknown): string {
  return Array.isArray(x) ? "an array (wrap it with tensor(data, shape))" : describe(x);
}

/** Throws unless `x` is a tensor: JS callers get a message instead of a crash deep in a kernel. */
export function expectTensor(op: string, x: unknown, what = "x"): asserts x is AnyTensor {
  if (!(x instanceof Tensor)) {
    const got = describeValue(x);
    throw new ValueError({ op, expected: "a tensor", got }, `${op}: expected a tensor for ${what}, got ${got}`);
  }
}

/** Throws unless `x` is a tensor or a plain number. */
export function expectOperand(op: string, x: unknown, what: string): asserts x is AnyTensor | number {
  if (typeof x !== "number" && !(x instanceof Tensor)) {
    const got = describeValue(x);
    throw new ValueError({ op, expected: "a tensor or a number", got }, `${op}: expected a tensor or a number for ${what}, got ${got}`);
  }
}

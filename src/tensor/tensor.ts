// The typed handle. `S` and `D` are phantom: the runtime `shape` always equals the type's
// literal dims (symbolic dims are plain numbers at run time).
import type { TfTensor } from "./tfjs.js";
import type { Shape, RuntimeShape } from "../../typelevel/index.js";

export type DType = "float32" | "int32" | "bool";
export type DataOf<D extends DType> = D extends "float32" ? Float32Array : D extends "int32" ? Int32Array : Uint8Array;
/** Nested JS arrays of a given rank. */
export type NestedArray = number | boolean | readonly NestedArray[];

export abstract class Tensor<S extends Shape = Shape, D extends DType = "float32"> {
  declare readonly __shape: S;
  readonly shape: RuntimeShape<S>;
  readonly dtype: D;

  constructor(shape: readonly number[], dtype: D) {
    this.shape = shape as RuntimeShape<S>;
    this.dtype = dtype;
  }

  get rank(): number {
    return this.shape.length;
  }

  get size(): number {
    return sizeOf(this.shape);
  }

  /** The tfjs tensor behind this value; throws inside jit/vmap where there is none. */
  abstract concrete(): TfTensor;

  /** Values as a flat typed array (row-major). */
  dataSync(): DataOf<D> {
    return this.concrete().dataSync() as DataOf<D>;
  }

  async data(): Promise<DataOf<D>> {
    return (await this.concrete().data()) as DataOf<D>;
  }

  /** Values as nested JS arrays. */
  arraySync(): unknown {
    return this.concrete().arraySync();
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new Error(`item: expected a tensor with one element, got shape ${formatShape(this.shape)}`);
    return this.concrete().dataSync()[0];
  }

  /** Frees the memory behind a concrete tensor; a no-op on traced values. */
  dispose(): void {}

  get isDisposed(): boolean {
    return false;
  }

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
    if (this.value.isDisposed) throw new Error(`${this.toString()} was used after it was disposed`);
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
export { formatShape, sizeOf, sameShape } from "./shape.js";

export function isTensor(x: unknown): x is AnyTensor {
  return x instanceof Tensor;
}

function describeValue(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return "an array (wrap it with tensor(data, shape))";
  return typeof x;
}

/** Throws unless `x` is a tensor: JS callers get a message instead of a crash deep in a kernel. */
export function expectTensor(op: string, x: unknown, what = "x"): asserts x is AnyTensor {
  if (!(x instanceof Tensor)) throw new Error(`${op}: expected a tensor for ${what}, got ${describeValue(x)}`);
}

/** Throws unless `x` is a tensor or a plain number. */
export function expectOperand(op: string, x: unknown, what: string): asserts x is AnyTensor | number {
  if (typeof x !== "number" && !(x instanceof Tensor))
    throw new Error(`${op}: expected a tensor or a number for ${what}, got ${describeValue(x)}`);
}

export {
  Tensor,
  Concrete,
  isTensor,
  formatShape,
  sizeOf,
  sameShape,
  expectTensor,
  expectOperand,
  type AnyTensor,
  type DType,
  type DataOf,
  type NestedArray,
} from "./tensor.js";
export type { TfTensor } from "./tfjs.js";
export {
  tensor,
  scalar,
  zeros,
  ones,
  fill,
  arange,
  linspace,
  assertShape,
  withShape,
  fromArray,
  checkShape,
  checkSize,
  MAX_TENSOR_SIZE,
  type FromArrayOptions,
  type Writable,
} from "./create.js";
export { ShapeflowError, ShapeError, DTypeError, ValueError, describeValue, expectOptions, reworded, type ErrorParts } from "./errors.js";

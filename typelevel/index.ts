// Shape algebra, types only. Nothing here imports from src/.
// CONTRACT (used by src/ops): the names and type-parameter lists of the types exported
// below are stable. Each shape operator resolves to a Shape, or to a
// ShapeError<"message"> on a mismatch; `any` in gives `any` out.

/**
 * The shape algebra of `shapeflow/typelevel`, types only: dims, exact digit-wise dim arithmetic,
 * the shape rule of every op, and shape errors. Each rule resolves to a `Shape`, or to a
 * `ShapeError<"message">` naming the op and both shapes.
 * ```ts
 * import type { MatMul, Reshape } from "shapeflow/typelevel";
 * type A = MatMul<["batch", 784], [784, 10]>;        // ["batch", 10]
 * type B = Reshape<["batch", 7, 7, 64], ["batch", -1]>; // ["batch", 3136]
 * ```
 * @module shapeflow/typelevel
 */
export type {
  Dim,
  Shape,
  RuntimeShape,
  IsAny,
  IsTuple,
  IsLiteral,
  Unify,
  NormalizeAxis,
  InsertAt,
  Same,
  NamedAcceptsSize,
} from "./shape.js";
export type { ShapeError, Check, Checked, CheckedShape, Out, ShowDim, ShowShape, ErrorMessage } from "./errors.js";
export type { Add, Sub, Mul, FloorDiv, CeilDiv, Mod, Compare, Product } from "./arith.js";
export type { Broadcast, BroadcastDim, BroadcastTo } from "./broadcast.js";
export type { MatMul, Dot, MatVec } from "./matmul.js";
export type { Reshape, NamedDimsAligned, Flatten } from "./reshape.js";
export type { Transpose } from "./transpose.js";
export type { Reduce } from "./reduce.js";
export type { Concat, Stack } from "./concat.js";
export type { Squeeze, ExpandDims } from "./squeeze.js";
export type { Slice } from "./slice.js";
export type { Pad } from "./pad.js";
export type { Gather, OneHot } from "./gather.js";
export type { AlongAxis, TopK } from "./sort.js";
export type { Einsum, EinsumLetter } from "./einsum.js";
export type {
  Padding,
  Padding1d,
  Conv1dPadding,
  EffectiveKernel,
  ConvOutDim,
  Conv2d,
  Conv1d,
  Pool2d,
  WindowOf,
  CeilModeOf,
} from "./conv.js";
export type {
  ShowData,
  InputMismatch,
  ShapesMatch,
  SparseMismatch,
  SameShapeMismatch,
  TreeMismatch,
  TreeRule,
  CheckedTree,
} from "./fit.js";

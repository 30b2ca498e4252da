// fit, evaluate and predict typed end to end: what they read of a model's type, and the checks that
// turn an option that does not fit into a ShapeError<"fit: ..."> on that option, so tsc prints the
// message on the first line of the diagnostic, at the offending property. The rules themselves
// (data vs input, labels vs logits, params trees) are in typelevel/fit.ts.
import type {
  InputMismatch,
  IsTuple,
  SameShapeMismatch,
  Shape,
  ShapeError,
  ShowData,
  ShowShape,
  SparseMismatch,
  TreeMismatch,
} from "../../typelevel/index.js";
import type { Dataset, HostArray, HostDType, HostShape } from "../data/index.js";
import type { DType, Tensor } from "../tensor/index.js";
import type { LossRule } from "../losses/index.js";
import type { Trainable } from "./model.js";
import type { RecordDataset } from "./records.js";

/** Any model fit can train: an `nn.Model`, or anything with `applyWithState` and `initState`. */
export type AnyTrainable = Trainable<never, unknown>;

/**
 * What the training loop reads of a model's type: input shape and dtype, output shape, params and
 * state. An `nn.Model` gives all of them; a hand-written `Trainable` gives its params, state and
 * output (its input is then unchecked).
 */
export type ModelTypesOf<M> = M extends {
  readonly __types: {
    in: infer In extends Shape;
    out: infer O extends Shape;
    params: infer P;
    state: infer St;
    dtype: infer D extends DType;
  };
}
  ? { in: In; out: O; params: P; state: St; dtype: D }
  : M extends {
        /** A hand-written model's forward pass: its params, output and state types. */
        applyWithState(params: infer P, x: never, ctx?: never): [infer Y, infer St];
      }
    ? { in: Shape; out: Y extends Tensor<infer S, DType> ? S : Shape; params: [P] extends [never] ? unknown : P; state: St; dtype: DType }
    : { in: Shape; out: Shape; params: unknown; state: unknown; dtype: DType };

/** The params tree of a model (what `fit` returns as `params`). */
export type ModelParams<M> = ModelTypesOf<M>["params"];
/** The layer-state tree of a model. */
export type ModelState<M> = ModelTypesOf<M>["state"];

/** A short name of a model for messages: `model [batch, 784] -> [batch, 10]`. */
type ModelName<M> = `the model ${ShowShape<ModelTypesOf<M>["in"]>} -> ${ShowShape<ModelTypesOf<M>["out"]>}`;

/**
 * `P` when it is the model's params tree; otherwise a ShapeError naming the first differing path
 * (`fit: params[0].kernel is [784, 256] but the model has [784, 128] ...`).
 */
export type CheckedParams<Op extends string, M, P> = [P] extends [ModelParams<M>]
  ? P
  : ShapeError<`${Op}: ${TreeMismatch<P, ModelParams<M>, "params">} (${ModelName<M>}); are these another model's params?`>;

/** Why a data set's x does not fit the model (shape, then dtype), or never. */
type XMismatch<Op extends string, What extends string, M, XS extends HostShape, XD extends HostDType> =
  InputMismatch<XS, ModelTypesOf<M>["in"]> extends infer R extends string
    ? [R] extends [never]
      ? DTypeMismatch<Op, What, XD, ModelTypesOf<M>["dtype"]>
      : `${Op}: ${What} is ${R}`
    : never;
type DTypeMismatch<Op extends string, What extends string, XD, D> = [XD] extends ["float32"]
  ? DTypeVs<Op, What, "float32", D>
  : [XD] extends ["int32"]
    ? DTypeVs<Op, What, "int32", D>
    : never;
type DTypeVs<Op extends string, What extends string, XD extends string, D> = [XD] extends [D]
  ? never
  : [D] extends [string]
    ? `${Op}: ${What} is ${XD} but the model takes ${D} inputs`
    : never;

/** The input record of a model with several inputs (nn.model: its `__types.in`), or never for a model with one input tensor. */
export type RecordInputs<M> = M extends { readonly __types: { in: infer In } } ? (In extends Shape ? never : In) : never;

/**
 * The one rule for record inputs (predict's x, fit's train.x and validation.x, evaluate's data.x):
 * why `X` is not a record with exactly the input names of model `M`, or never. `What` names `X` in
 * the message (`fit: train.x has no "b"`), worded like the run-time check in records.ts:
 * `RecordInputMismatch<"fit", "train.x", typeof model, { a: HostArray }>` is `fit: train.x has no "b"`
 * for a model with inputs `a` and `b`.
 */
export type RecordInputMismatch<Op extends string, What extends string, M, X> = 0 extends 1 & X
  ? never
  : X extends HostArray
    ? `${Op}: the model takes a record of inputs; ${What} is one array (pass x: { name: array, ... })`
    : [Exclude<keyof RecordInputs<M>, keyof X>] extends [infer Missing extends string]
      ? [Missing] extends [never]
        ? [Exclude<keyof X, keyof RecordInputs<M>>] extends [infer Extra extends string]
          ? [Extra] extends [never]
            ? never
            : `${Op}: ${What}.${Extra} is not an input of the model`
          : never
        : `${Op}: ${What} has no "${Missing}"`
      : never;

/**
 * `T` when the data set's x fits the model's input (shape and dtype; for a model with a record of
 * inputs, a record with exactly its input names); otherwise a ShapeError naming `Op` and both shapes
 * or the key.
 */
export type CheckedData<Op extends string, What extends string, M, T> = [RecordInputs<M>] extends [never]
  ? T extends Dataset<infer XS, HostShape, infer XD, HostDType>
    ? XMismatch<Op, `${What}.x`, M, XS, XD> extends infer R extends string
      ? [R] extends [never]
        ? T
        : ShapeError<R>
      : T
    : T
  : RecordInputMismatch<Op, `${What}.x`, M, T extends RecordDataset ? T["x"] : unknown> extends infer R extends string
    ? [R] extends [never]
      ? T
      : ShapeError<R>
    : T;

/** `X` when the host array fits the model's input; otherwise a ShapeError naming `Op` and both shapes. */
export type CheckedInput<Op extends string, M, X> =
  X extends HostArray<infer XS, infer XD>
    ? XMismatch<Op, "x", M, XS, XD> extends infer R extends string
      ? [R] extends [never]
        ? X
        : ShapeError<R>
      : X
    : X;

/**
 * The loss a model and a data set call for: the model's output and the data's y in, a scalar out.
 * The contextual type of a loss written inline (`loss: (out, y) => ...`).
 */
export type LossFor<M, T> =
  T extends Dataset<HostShape, infer YS, HostDType, infer YD>
    ? (output: Tensor<ModelTypesOf<M>["out"]>, target: Tensor<[...YS], YD>) => Tensor<[]>
    : (output: Tensor<ModelTypesOf<M>["out"]>, target: Tensor<Shape, HostDType>) => Tensor<[]>;

/** Why loss `Lf` cannot take output `O` and targets `Y` (of dtype `YD`), or never. */
type LossMismatch<Lf, O extends Shape, YS extends HostShape, YD extends HostDType> =
  RuleOf<Lf> extends LossRule<"sparse", infer Name>
    ? [YD] extends ["float32"]
      ? `${Name} needs int32 class ids, but y is float32 ${ShowData<YS>}${YS["length"] extends 2 ? " (one-hot rows: use categoricalCrossEntropy)" : ""}`
      : Prefixed<Name, SparseMismatch<O, YS>>
    : RuleOf<Lf> extends LossRule<"same", infer Name>
      ? [YD] extends ["int32"]
        ? `${Name} needs float32 targets, but y is int32 ${ShowData<YS>} (class ids: use sparseCategoricalCrossEntropy, or data.oneHot)`
        : Prefixed<Name, SameShapeMismatch<O, YS>>
      : TakesBatch<Lf, O, YS, YD> extends true
        ? never
        : `the loss does not take the model's output ${ShowShape<O>} and y ${ShowData<YS>} (${ShowDTypes<YD>}) to a scalar`;
/**
 * true when a loss with no declared rule takes a batch: the model's output and the data's y, with
 * the output's named dims as `number` or y's sample dim as the output's batch dim (both are what a
 * batch is at run time). An unknown rank or dtype (`data.Dataset`'s defaults) is left to run time.
 */
type TakesBatch<Lf, O extends Shape, YS extends HostShape, YD extends HostDType> = [IsTuple<O>, IsTuple<YS>, KnownDType<YD>] extends [
  true,
  true,
  infer D extends HostDType,
]
  ? [Lf] extends [(output: Tensor<O>, target: Tensor<[...YS], D>) => Tensor<[]>]
    ? true
    : [Lf] extends [(output: Tensor<Numeric<O>>, target: Tensor<[...YS], D>) => Tensor<[]>]
      ? true
      : [Lf] extends [(output: Tensor<O>, target: Tensor<SampleAs<YS, O>, D>) => Tensor<[]>]
        ? true
        : false
  : true;
type KnownDType<D> = [D] extends ["float32"] ? "float32" : [D] extends ["int32"] ? "int32" : never;
type Numeric<S extends Shape> = { [K in keyof S]: S[K] extends string ? number : S[K] };
type SampleAs<Y extends HostShape, O extends Shape> = Y extends readonly [number, ...infer R extends Shape]
  ? O extends readonly [infer B, ...Shape]
    ? [B, ...R]
    : [...Y]
  : [...Y];
/** The rule a stock loss declares (its phantom `__lossRule`), or `unknown` for any other loss. */
type RuleOf<Lf> = [Lf] extends [{ readonly __lossRule?: infer B }]
  ? [NonNullable<B>] extends [never]
    ? unknown
    : NonNullable<B>
  : unknown;
type Prefixed<Name extends string, R> = [R] extends [never] ? never : `${Name}: ${R & string}`;
type ShowDTypes<D> = [D] extends ["float32"] ? "float32" : [D] extends ["int32"] ? "int32" : "float32 or int32";

/**
 * `Lf` when the loss takes the model's output and the data set's y; otherwise a ShapeError naming
 * `Op`, the loss and both shapes. While `Lf` is not inferred yet (an inline arrow), the loss the
 * model and data call for, so `(out, y) => ...` gets typed parameters.
 */
export type CheckedLoss<Op extends string, M, T, Lf> = unknown extends Lf
  ? LossFor<M, T>
  : T extends Dataset<HostShape, infer YS, HostDType, infer YD>
    ? LossMismatch<Lf, ModelTypesOf<M>["out"], YS, YD> extends infer R extends string
      ? [R] extends [never]
        ? Lf
        : ShapeError<`${Op}: ${R}`>
      : Lf
    : Lf;

/**
 * `V` when its x fits the model and its y the loss (both checked, x first; for a model with a record of
 * inputs, x's input names); otherwise a ShapeError naming `Op`.
 */
export type CheckedValidation<Op extends string, M, V, Lf> = [RecordInputs<M>] extends [never]
  ? V extends Dataset<infer XS, infer YS, infer XD, infer YD>
    ? XMismatch<Op, "validation.x", M, XS, XD> extends infer R extends string
      ? [R] extends [never]
        ? LossMismatch<Lf, ModelTypesOf<M>["out"], YS, YD> extends infer L extends string
          ? [L] extends [never]
            ? V
            : ShapeError<`${Op}: validation: ${L}`>
          : V
        : ShapeError<R>
      : V
    : V
  : RecordInputMismatch<Op, "validation.x", M, V extends RecordDataset ? V["x"] : unknown> extends infer R extends string
    ? [R] extends [never]
      ? V
      : ShapeError<R>
    : V;

/**
 * The shape `predict` returns: the model's output, its batch dim replaced by the data's sample count
 * when that is a literal (`[4, 2]`); an unknown count keeps the model's named batch dim (`["batch", 10]`).
 */
export type PredictShape<M, X> = ModelTypesOf<M>["out"] extends readonly [infer B, ...infer Rest extends Shape]
  ? X extends HostArray<readonly [infer N extends number, ...HostShape], HostDType>
    ? number extends N
      ? ModelTypesOf<M>["out"]
      : ModelTypesOf<M>["in"] extends readonly [infer IB, ...Shape]
        ? [B] extends [IB]
          ? [N, ...Rest]
          : ModelTypesOf<M>["out"]
        : ModelTypesOf<M>["out"]
    : ModelTypesOf<M>["out"]
  : ModelTypesOf<M>["out"];

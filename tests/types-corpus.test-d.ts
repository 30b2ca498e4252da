// Type corpus for issue 10 (ops half): programs a user writes, as they meet them. Generic helpers
// that must compile with the type a user sees on hover, and dtype / shape mistakes that must not
// (each `@ts-expect-error` sits on the offending argument; the message tsc prints there is
// asserted with ErrorMessage on the parameter type). Checked by `tsc -p tsconfig.json`.
import {
  abs,
  add,
  argmax,
  div,
  less,
  logSumExp,
  sigmoid,
  square,
  variance,
  vmap,
  cast,
  dot,
  equal,
  fromArray,
  gather,
  greater,
  matmul,
  matvec,
  maximum,
  mean,
  mul,
  nn,
  oneHot,
  sub,
  sum,
  where,
  type Tensor,
} from "../src/index.js";
import type { Dim, ErrorMessage, Shape } from "../typelevel/index.js";

type Expect<T extends true> = T;
type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;

// ================================================================ generic helpers compile

export const leakyRelu = <S extends Shape>(x: Tensor<S>): Tensor<S> => where(greater(x, 0), x, mul(x, 0.1));
export const relu6 = <S extends Shape>(x: Tensor<S>): Tensor<S> => where(greater(x, 6), 6, maximum(x, 0));
export const scaleShift = <S extends Shape>(x: Tensor<S>, a: number, b: number): Tensor<S> => add(mul(x, a), b);
export const squaredError = <S extends Shape>(p: Tensor<S>, t: Tensor<S>): Tensor<S> => mul(sub(p, t), sub(p, t));
export const halfPlus = <S extends Shape>(x: Tensor<S>): Tensor<S> => mul(0.5, add(1, x));
export const intDouble = <S extends Shape, D extends "float32" | "int32">(x: Tensor<S, D>): Tensor<S, D> => add(x, x);
export const maskOf = <S extends Shape>(x: Tensor<S>): Tensor<S, "bool"> => greater(x, 0);
export const clipNeg = <S extends Shape>(x: Tensor<S>, m: Tensor<S, "bool">): Tensor<S> => where(m, x, 0);
// a helper over the dims it needs: batch generic, features literal
export const linear = <B extends Dim>(x: Tensor<[B, 4]>, w: Tensor<[4, 2]>) => matmul(x, w);
type _linear = Expect<Equal<ReturnType<typeof linear<"batch">>, Tensor<["batch", 2]>>>;

// a generic helper used on concrete tensors gives back the concrete type
declare const img: Tensor<["batch", 28, 28, 1]>;
const act = leakyRelu(img);
type _act = Expect<Equal<typeof act, Tensor<["batch", 28, 28, 1]>>>;

// block factories: a literal size flows through the layer factories
const convBlock = <const F extends number>(filters: F) =>
  nn.chain(nn.conv2d({ filters, kernel: 3, padding: "same" }), nn.relu(), nn.maxPool2d(2));
// a factory that checks its own literal at its call site reuses the layers' check
const denseBlock = <const U extends number>(units: U & nn.PositiveInt<U, "denseBlock", "units">) => nn.chain(nn.dense(units), nn.relu());
const features = nn.input(["batch", 28, 28, 1]).add(convBlock(32)).add(convBlock(64)).add(nn.flatten()).add(denseBlock(128));
type _features = Expect<Equal<nn.OutputOf<typeof features>, ["batch", 128]>>;
type _kernel = Expect<Equal<nn.ParamsOf<typeof features>[1][0]["kernel"], Tensor<[3, 3, 32, 64]>>>;
// @ts-expect-error denseBlock: units must be a positive integer, got 0
denseBlock(0);

// named dims accept concrete sizes at a function boundary
declare function classify(x: Tensor<["batch", 4]>): Tensor<["batch"]>;
classify(fromArray([1, 2, 3, 4, 5, 6, 7, 8], [2, 4]));
classify(null! as Tensor<[number, 4]>);
// @ts-expect-error the feature dim is a literal: 5 is not 4
classify(fromArray([1, 2, 3, 4, 5], [1, 5]));
// @ts-expect-error two different names do not match
classify(null! as Tensor<["time", 4]>);
// @ts-expect-error a named dim is not a size: Tensor<["batch", 4]> is not a Tensor<[2, 4]>
fromArrayTaker(null! as Tensor<["batch", 4]>);
declare function fromArrayTaker(x: Tensor<[2, 4]>): void;

// ================================================================ dtype mistakes name the op

declare const f34: Tensor<[3, 4]>;
declare const i42: Tensor<[4, 2], "int32">;
declare const f42: Tensor<[4, 2]>;
declare const flags: Tensor<["batch"], "bool">;
declare const labels: Tensor<["batch"], "int32">;
declare const table: Tensor<[1000, 16]>;
declare const idsF: Tensor<["batch", 20]>;

matmul(f34, f42);
// @ts-expect-error matmul: dtypes differ (float32 vs int32)
matmul(f34, i42);
type MatmulError = ErrorMessage<Parameters<typeof matmul<[3, 4], [4, 2], "float32", "int32">>[1]>;
type _matmulText = Expect<Equal<MatmulError, "matmul: dtypes differ (float32 vs int32); cast one first">>;
// @ts-expect-error matmul: a bool operand
matmul(cast(f34, "bool"), f42);
// @ts-expect-error dot: dtypes differ
dot(null! as Tensor<[3]>, null! as Tensor<[3], "int32">);
// @ts-expect-error matvec: dtypes differ
matvec(f34, null! as Tensor<[4], "int32">);
// @ts-expect-error add: dtypes differ (float32 vs int32)
add(f42, i42);

// @ts-expect-error mean of a bool mask: cast it first
mean(flags);
type MeanError = ErrorMessage<Parameters<typeof mean<["batch"], "bool">>[0]>;
type _meanText = Expect<Equal<MeanError, 'mean: expects a float32 tensor for x, got bool; cast it first: cast(x, "float32")'>>;
// @ts-expect-error sum of equal(...) (bool): cast it first
sum(equal(labels, labels));
const accuracy = mean(cast(equal(labels, labels), "float32"));
type _accuracy = Expect<Equal<typeof accuracy, Tensor<[]>>>;
// @ts-expect-error mean of int32 labels
mean(labels);

// @ts-expect-error gather with float ids
gather(table, idsF);
type GatherError = ErrorMessage<Parameters<typeof gather<[1000, 16], "float32", ["batch", 20], "float32">>[1]>;
type _gatherText = Expect<
  Equal<GatherError, 'gather: expects an int32 tensor for indices, got float32; cast it first: cast(indices, "int32")'>
>;
const embedded = gather(table, cast(idsF, "int32"));
type _embedded = Expect<Equal<typeof embedded, Tensor<["batch", 20, 16]>>>;
// @ts-expect-error oneHot with float labels
oneHot(idsF, 10);

// ================================================================ layers declare input dtypes

// @ts-expect-error embedding on float input
nn.input(["batch", 20]).add(nn.embedding(1000, 16));
// @ts-expect-error dense on int32 ids
nn.input(["batch", 20], "int32").add(nn.dense(8));
// @ts-expect-error conv2d on int32 pixels
nn.input(["batch", 28, 28, 1], "int32").add(nn.conv2d({ filters: 8, kernel: 3 }));
// @ts-expect-error conv1d on int32 input
nn.input(["batch", 20, 3], "int32").add(nn.conv1d({ filters: 8, kernel: 3 }));
// @ts-expect-error lstm on int32 ids (embed them first)
nn.input(["batch", 20, 1], "int32").add(nn.lstm(16));
// @ts-expect-error gru on int32 ids
nn.input(["batch", 20, 1], "int32").add(nn.gru(16));
// @ts-expect-error multiHeadAttention on int32 ids
nn.input(["batch", 20, 8], "int32").add(nn.multiHeadAttention({ heads: 2 }));
// @ts-expect-error batchNorm on int32 input
nn.input(["batch", 8], "int32").add(nn.batchNorm());
// @ts-expect-error layerNorm in a sequential on int32 input
nn.sequential(nn.input(["batch", 8], "int32"), nn.layerNorm());
// the float32 layers take float32 input as before
const convFloat = nn
  .input(["batch", 28, 28, 1])
  .add(nn.conv2d({ filters: 8, kernel: 3 }))
  .add(nn.batchNorm());
type _convFloat = Expect<Equal<nn.OutputOf<typeof convFloat>, ["batch", 26, 26, 8]>>;
const tokens = nn.input(["batch", 20], "int32").add(nn.embedding(100, 8)).add(nn.lstm(16));
type _tokens = Expect<Equal<nn.OutputOf<typeof tokens>, ["batch", 16]>>;
const text = nn.input(["batch", 20], "int32").add(nn.embedding(1000, 16)).add(nn.flatten()).add(nn.dense(8));
type _text = Expect<Equal<nn.OutputOf<typeof text>, ["batch", 8]>>;
// layers without a dtype rule (reshape-like) take any input dtype
const flat = nn.input(["batch", 4, 5], "int32").add(nn.flatten());
type _flat = Expect<Equal<nn.OutputOf<typeof flat>, ["batch", 20]>>;

// ================================================================ non-literal sizes

const units = 7 * 7 * 64;
// @ts-expect-error dense: units is typed number; write the literal
nn.input(["batch", 3136]).add(nn.dense(units));
const literalUnits = 3136;
const wide = nn.input(["batch", 10]).add(nn.dense(literalUnits));
type _wide = Expect<Equal<nn.OutputOf<typeof wide>, ["batch", 3136]>>;

// ================================================================ combinator errors: the message is the parameter type

// @ts-expect-error residual: the inner layers map [batch, 32] to [batch, 16]
nn.input(["batch", 32]).add(nn.residual(nn.dense(16), nn.relu()));
// @ts-expect-error concatBranches: all shapes need rank 3
nn.input(["batch", 16, 3]).add(nn.concatBranches(nn.dense(8), nn.flatten()));
// @ts-expect-error conv2d(8, 3x3) expects [batch, H, W, C], got [batch, 784]
nn.input(["batch", 784]).add(nn.conv2d({ filters: 8, kernel: 3 }));

// ================================================================ more generic helpers

export const temperature = <S extends Shape>(x: Tensor<S>, t: number): Tensor<S> => div(x, t);
export const gated = <S extends Shape>(x: Tensor<S>, gate: Tensor<S>): Tensor<S> => mul(sigmoid(gate), x);
export const withSkip = <S extends Shape>(x: Tensor<S>, f: (t: Tensor<S>) => Tensor<S>): Tensor<S> => add(x, f(x));
export const huber = <S extends Shape>(d: Tensor<S>): Tensor<S> => where(less(abs(d), 1), mul(0.5, square(d)), sub(abs(d), 0.5));
export const ints = (a: Tensor<[2, 3], "int32">, b: Tensor<[3, 4], "int32">): Tensor<[2, 4], "int32"> => matmul(a, b);

// ================================================================ more dtype mistakes

declare const f4: Tensor<[4]>;
declare const i4: Tensor<[4], "int32">;
declare const logits: Tensor<["batch", 10]>;
// @ts-expect-error sub: dtypes differ
sub(f4, i4);
// @ts-expect-error maximum: dtypes differ
maximum(f4, i4);
// @ts-expect-error greater: dtypes differ
greater(f4, i4);
// @ts-expect-error where: dtypes differ (float32 vs int32)
where(greater(f4, 0), f4, i4);
// @ts-expect-error mean of argmax (int32 ids): cast first
mean(argmax(logits));
// @ts-expect-error variance of a bool mask
variance(flags);
// @ts-expect-error logSumExp of int32
logSumExp(i4);
// @ts-expect-error gather with bool ids
gather(table, flags);
// @ts-expect-error dot of int32 with float32
dot(i4, f4);

// ================================================================ more vmap

declare const a8: Tensor<[8, 4]>;
declare const b8: Tensor<[8, 4]>;
declare const c9: Tensor<[9, 4]>;
const triple = vmap((a: Tensor<[4]>, b: Tensor<[4]>, c: Tensor<[4]>) => add(add(a, b), c));
const t8 = triple(a8, b8, b8);
type _t8 = Expect<Equal<typeof t8, Tensor<[8, 4]>>>;
// @ts-expect-error vmap: argument 2 has 9 where argument 0 has 8
triple(a8, b8, c9);
const byColumn = vmap((a: Tensor<[4]>, b: Tensor<[4]>) => dot(a, b), { inAxes: [1, 1] });
declare const m48: Tensor<[4, 8]>;
declare const m49: Tensor<[4, 9]>;
const cols = byColumn(m48, m48);
type _cols = Expect<Equal<typeof cols, Tensor<[8]>>>;
// @ts-expect-error vmap: mapped axes have different sizes at axis 1 (8 vs 9)
byColumn(m48, m49);
const mlp = nn.input([4]).add(nn.dense(3));
const perExample = vmap(mlp.apply, { inAxes: [null, 0] });
declare const mlpParams: nn.ParamsOf<typeof mlp>;
const pe = perExample(mlpParams, a8);
type _pe = Expect<Equal<typeof pe, Tensor<[8, 3]>>>;

// ================================================================ more layer mistakes

// @ts-expect-error sequential: embedding on float input
nn.sequential(nn.input(["batch", 20]), nn.embedding(100, 8));
// @ts-expect-error dense: units must be a positive integer, got 0
nn.input(["batch", 4]).add(nn.dense(0));
// @ts-expect-error dense typed number in sequential too
nn.sequential(nn.input(["batch", 4]), nn.dense(units));

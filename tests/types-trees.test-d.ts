// Type corpus for issue 10 (trees outside `fit`): a hand-written training loop as users write it
// (model.apply, valueAndGrad, optimizer update, applyUpdates, applyGradients). Another model's
// params or another optimizer state must not compile, and the message, on the first line of the
// diagnostic, names the model or optimizer and the first differing path (asserted with
// ErrorMessage on the parameter type). Generic loop helpers and transforms of `model.apply` must
// still compile with the types a user sees on hover. Checked by `tsc -p tsconfig.json`.
import { jit, losses, mean, nn, optim, random, valueAndGrad, vmap, type Shape, type Tensor } from "../src/index.js";
import type { ErrorMessage } from "../typelevel/index.js";

type Expect<T extends true> = T;
type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;

const key = random.key(0);
const mlp = nn.input(["batch", 784]).add(nn.dense(128)).add(nn.relu()).add(nn.dense(10));
const wide = nn.input(["batch", 784]).add(nn.dense(256)).add(nn.relu()).add(nn.dense(10));
const small = nn.input(["batch", 4]).add(nn.dense(3));
const bn = nn.input(["batch", 8]).add(nn.dense(8)).add(nn.batchNorm()).add(nn.dense(2));
type P = nn.ParamsOf<typeof mlp>;
type W = nn.ParamsOf<typeof wide>;
type SmallP = nn.ParamsOf<typeof small>;
const params = mlp.init(key);
const wideParams = wide.init(key);
const smallParams = small.init(key);
declare const x: Tensor<["batch", 784]>;
declare const labels: Tensor<["batch"], "int32">;

// ================================================================ a training loop that compiles

const lossOf = (p: P, xb: Tensor<["batch", 784]>, yb: Tensor<["batch"], "int32">) =>
  mean(losses.sparseCategoricalCrossEntropy(mlp.apply(p, xb), yb));
const opt = optim.adam(1e-3);
let state = opt.init(params);
const [loss, grads] = valueAndGrad(lossOf)(params, x, labels);
type _loss = Expect<Equal<typeof loss, Tensor<[]>>>;
type _grads = Expect<Equal<typeof grads, P>>;
const [updates, next] = opt.update(grads, state, params);
type _updates = Expect<Equal<typeof updates, P>>;
const stepped = optim.applyUpdates(params, updates);
type _stepped = Expect<Equal<typeof stepped, P>>;
state = next;
const [stepped2, state2] = optim.applyGradients(opt, grads, state, params);
type _stepped2 = Expect<Equal<typeof stepped2, P>>;
type _state2 = Expect<Equal<typeof state2, optim.AdamState<P>>>;
const logits = mlp.apply(stepped, x);
type _logits = Expect<Equal<typeof logits, Tensor<["batch", 10]>>>;
const [withState, bnState] = bn.applyWithState(bn.init(key), null! as Tensor<["batch", 8]>, { state: bn.initState(), training: true });
type _withState = Expect<Equal<typeof withState, Tensor<["batch", 2]>>>;
type _bnState = Expect<Equal<typeof bnState, nn.ModelStateOf<typeof bn>>>;

// a params tree written as a literal is read as a tuple (one entry per layer)
const act = nn.input(["batch", 4]).add(nn.relu());
const acted = act.apply([{}], null! as Tensor<["batch", 4]>);
type _acted = Expect<Equal<typeof acted, Tensor<["batch", 4]>>>;
const hand = small.apply([{ kernel: null! as Tensor<[4, 3]>, bias: null! as Tensor<[3]> }], null! as Tensor<["batch", 4]>);
type _hand = Expect<Equal<typeof hand, Tensor<["batch", 3]>>>;

// generic loop helpers: the check is decided for a type parameter too (P against P)
export function sgdStep<T>(p: T, u: T): T {
  return optim.applyUpdates(p, u);
}
export function optimizerStep<T>(o: ReturnType<typeof optim.adam>, p: T, g: T, s: optim.AdamState<T>): [T, optim.AdamState<T>] {
  const [u, s2] = o.update(g, s, p);
  return [optim.applyUpdates(p, u), s2];
}
export function gradientStep<T, F extends optim.StateFamily>(
  o: optim.GradientTransformation<F>,
  p: T,
  g: T,
  s: optim.StateFromFamily<F, T>,
): [T, optim.StateFromFamily<F, T>] {
  return optim.applyGradients(o, g, s, p);
}
export function forward<O extends Shape, Q extends unknown[], St extends unknown[]>(
  m: nn.Model<["batch", 784], O, Q, St>,
  p: Q,
  xb: Tensor<["batch", 784]>,
): Tensor<O> {
  return m.apply(p, xb);
}
const viaHelper = forward(mlp, params, x);
type _viaHelper = Expect<Equal<typeof viaHelper, Tensor<["batch", 10]>>>;

// transforms read apply's signature without a call: params stay the model's tree
const jitted = jit(mlp.apply);
type _jitted = Expect<Equal<ReturnType<typeof jitted>, Tensor<["batch", 10]>>>;
const jy = jitted(params, x);
type _jy = Expect<Equal<typeof jy, Tensor<["batch", 10]>>>;
const perExample = vmap(small.apply, { inAxes: [null, 0] });
const pe = perExample(smallParams, null! as Tensor<[16, "batch", 4]>);
type _pe = Expect<Equal<typeof pe, Tensor<[16, "batch", 3]>>>;
const jitState = jit(bn.applyWithState);
type _jitState = Expect<Equal<ReturnType<typeof jitState>[0], Tensor<["batch", 2]>>>;
const lossGrad = valueAndGrad((p: SmallP, xb: Tensor<["batch", 4]>) => mean(small.apply(p, xb)));
const [, smallGrads] = lossGrad(smallParams, null! as Tensor<["batch", 4]>);
type _smallGrads = Expect<Equal<typeof smallGrads, SmallP>>;

// ================================================================ another model's tree

// @ts-expect-error apply: params[0].kernel is [784, 256] but the model has [784, 128]
mlp.apply(wideParams, x);
type ApplyError = ErrorMessage<Parameters<typeof mlp.apply<W>>[0]>;
type _applyText = Expect<
  Equal<
    ApplyError,
    "apply: params[0].kernel is [784, 256] but the model has [784, 128] (the model [batch, 784] -> [batch, 10]); are these another model's params?"
  >
>;
// @ts-expect-error applyWithState: the small model's params (1 layer) for the MLP (3)
mlp.applyWithState(smallParams, x);
type WithStateError = ErrorMessage<Parameters<typeof mlp.applyWithState<SmallP>>[0]>;
type _withStateText = Expect<
  Equal<
    WithStateError,
    "applyWithState: params has 1 entries but the model has 3 (one per layer) (the model [batch, 784] -> [batch, 10]); are these another model's params?"
  >
>;
// @ts-expect-error apply: a layer without params given some
act.apply([{ kernel: null! as Tensor<[4, 4]> }, {}], null! as Tensor<["batch", 4]>);
// @ts-expect-error apply: a hand-written tree with the kernel transposed
small.apply([{ kernel: null! as Tensor<[3, 4]>, bias: null! as Tensor<[3]> }], null! as Tensor<["batch", 4]>);
type TransposedError = ErrorMessage<Parameters<typeof small.apply<[{ kernel: Tensor<[3, 4]>; bias: Tensor<[3]> }]>>[0]>;
type _transposedText = Expect<
  Equal<
    TransposedError,
    "apply: params[0].kernel is [3, 4] but the model has [4, 3] (the model [batch, 4] -> [batch, 3]); are these another model's params?"
  >
>;
// @ts-expect-error apply: a bias missing from a hand-written tree
small.apply([{ kernel: null! as Tensor<[4, 3]> }], null! as Tensor<["batch", 4]>);
type MissingError = ErrorMessage<Parameters<typeof small.apply<[{ kernel: Tensor<[4, 3]> }]>>[0]>;
type _missingText = Expect<
  Equal<
    MissingError,
    "apply: params[0].bias is missing (the model has it) (the model [batch, 4] -> [batch, 3]); are these another model's params?"
  >
>;
// @ts-expect-error apply: int32 params
small.apply([{ kernel: null! as Tensor<[4, 3], "int32">, bias: null! as Tensor<[3]> }], null! as Tensor<["batch", 4]>);
type Int32Error = ErrorMessage<Parameters<typeof small.apply<[{ kernel: Tensor<[4, 3], "int32">; bias: Tensor<[3]> }]>>[0]>;
type _int32Text = Expect<
  Equal<
    Int32Error,
    "apply: params[0].kernel is int32 but the model has float32 (the model [batch, 4] -> [batch, 3]); are these another model's params?"
  >
>;
// @ts-expect-error batch norm's params from a model without it
bn.applyWithState(small.init(key), null! as Tensor<["batch", 8]>);

// ================================================================ updates against params

// @ts-expect-error applyUpdates: updates[0].kernel is [784, 256] but params has [784, 128]
optim.applyUpdates(params, wideParams);
type UpdatesError = ErrorMessage<Parameters<typeof optim.applyUpdates<P, W>>[1]>;
type _updatesText = Expect<Equal<UpdatesError, "applyUpdates: updates[0].kernel is [784, 256] but params has [784, 128]">>;
// @ts-expect-error applyUpdates: updates for the small model
optim.applyUpdates(params, smallParams);
type FewerError = ErrorMessage<Parameters<typeof optim.applyUpdates<P, SmallP>>[1]>;
type _fewerText = Expect<Equal<FewerError, "applyUpdates: updates has 1 entries but params has 3">>;
// @ts-expect-error applyUpdates: a record where params have tensors
optim.applyUpdates({ w: null! as Tensor<[3]> }, { w: { m: null! as Tensor<[3]> } });
type RecordError = ErrorMessage<Parameters<typeof optim.applyUpdates<{ w: Tensor<[3]> }, { w: { m: Tensor<[3]> } }>>[1]>;
type _recordText = Expect<Equal<RecordError, "applyUpdates: updates.w is not a tensor; params has a tensor [3] there">>;
// @ts-expect-error applyGradients: params of another model than the gradients
optim.applyGradients(opt, grads, state, wideParams);
type GradientsParamsError = ErrorMessage<Parameters<typeof optim.applyGradients<optim.AdamFamily, P, optim.AdamState<P>, W>>[3]>;
type _gradientsParamsText = Expect<Equal<GradientsParamsError, "applyGradients: params[0].kernel is [784, 256] but grads has [784, 128]">>;

// ================================================================ optimizer state against params

const wideState = opt.init(wideParams);
// @ts-expect-error update: the state was made by init for the wide model's params
opt.update(grads, wideState, params);
type StateError = ErrorMessage<Parameters<typeof opt.update<P, optim.AdamState<W>>>[1]>;
type _stateText = Expect<
  Equal<
    StateError,
    "update: state[0].nu[0].kernel is [784, 256] but adam's state for these params has [784, 128]; was the state made by init for other params?"
  >
>;
// @ts-expect-error applyGradients: the wide model's state
optim.applyGradients(opt, grads, wideState, params);
type GradientsStateError = ErrorMessage<Parameters<typeof optim.applyGradients<optim.AdamFamily, P, optim.AdamState<W>>>[2]>;
type _gradientsStateText = Expect<
  Equal<
    GradientsStateError,
    "applyGradients: state[0].nu[0].kernel is [784, 256] but adam's state for these params has [784, 128]; was the state made by init for other params?"
  >
>;
const sgd = optim.sgd(0.1);
const momentum = optim.momentum(0.1);
// @ts-expect-error update: adam given sgd's state
opt.update(grads, sgd.init(params), params);
// @ts-expect-error update: momentum given the small model's state
momentum.update(grads, momentum.init(smallParams), params);
type MomentumError = ErrorMessage<Parameters<typeof momentum.update<P, optim.MomentumState<SmallP>>>[1]>;
type _momentumText = Expect<
  Equal<
    MomentumError,
    "update: state[0].trace has 1 entries but momentum's state for these params has 3; was the state made by init for other params?"
  >
>;

// ================================================================ the optimizer named in state messages

// @ts-expect-error update: sgd given adam's state
sgd.update(grads, opt.init(params), params);
type SgdError = ErrorMessage<Parameters<typeof sgd.update<P, optim.AdamState<P>>>[1]>;
type _sgdText = Expect<
  Equal<SgdError, "update: state has 2 entries but sgd's state for these params has 1; was the state made by init for other params?">
>;
const adamw = optim.adamw(1e-3);
// @ts-expect-error applyGradients: adamw given the wide model's state
optim.applyGradients(adamw, grads, adamw.init(wideParams), params);
type AdamWError = ErrorMessage<Parameters<typeof optim.applyGradients<optim.AdamWFamily, P, optim.AdamWState<W>>>[2]>;
type _adamwText = Expect<
  Equal<
    AdamWError,
    "applyGradients: state[0].nu[0].kernel is [784, 256] but adamw's state for these params has [784, 128]; was the state made by init for other params?"
  >
>;
const rms = optim.rmsprop(1e-3, { momentum: 0.9 });
// @ts-expect-error update: rmsprop with momentum given the small model's state
rms.update(grads, rms.init(smallParams), params);
type RmsError = ErrorMessage<Parameters<typeof rms.update<P, optim.RmspropMomentumState<SmallP>>>[1]>;
type _rmsText = Expect<
  Equal<
    RmsError,
    "update: state[0].nu has 1 entries but rmsprop's state for these params has 3; was the state made by init for other params?"
  >
>;
// an unnamed chain (no optimizer name in its family) keeps the generic owner
const custom = optim.chain(optim.scaleByAdam(), optim.scaleByLearningRate(1e-3));
// @ts-expect-error update: a custom chain given the wide model's state
custom.update(grads, custom.init(wideParams), params);
type CustomError = ErrorMessage<Parameters<typeof custom.update<P, optim.AdamState<W>>>[1]>;
type _customText = Expect<
  Equal<
    CustomError,
    "update: state[0].nu[0].kernel is [784, 256] but the optimizer's state for these params has [784, 128]; was the state made by init for other params?"
  >
>;
// must compile: each optimizer takes its own state, and the named family still reads as the chain's state
const [, adamwNext] = adamw.update(grads, adamw.init(params), params);
type _adamwState = Expect<Equal<typeof adamwNext, optim.AdamWState<P>>>;
const [, rmsNext] = optim.applyGradients(rms, grads, rms.init(params), params);
type _rmsState = Expect<Equal<typeof rmsNext, optim.RmspropMomentumState<P>>>;

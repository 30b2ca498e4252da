// Type corpus for the functional API: node shapes, the params / state records and the apply
// signature a user sees, and the mistakes that must not compile (each `@ts-expect-error` sits on
// the offending argument; the message tsc prints is asserted beside it). Checked by tsc.
import type { ErrorMessage } from "../typelevel/index.js";
import * as nn from "../src/nn/index.js";
import type { AddShape, ConcatShape, ParamsOf, ModelStateOf } from "../src/nn/index.js";
import type { Tensor } from "../src/tensor/index.js";

type Expect<T extends true> = T;
type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;
type ShapeOf<N> = N extends nn.Node<infer S> ? S : never;

// ================================================================ graphs that compile

const image = nn.input("image", ["batch", 28, 28, 1]);
const meta = nn.input("meta", ["batch", 4]);
const tokens = nn.input("tokens", ["batch", 12], "int32");
type _in = Expect<Equal<typeof image, nn.Node<["batch", 28, 28, 1], {}, {}, "float32">>>;
type _tok = Expect<Equal<typeof tokens, nn.Node<["batch", 12], {}, {}, "int32">>>;

const features = image
  .pipe(nn.conv2d({ filters: 8, kernel: 3, padding: "same" }), "conv")
  .pipe(nn.relu())
  .pipe(nn.maxPool2d(2))
  .pipe(nn.flatten());
type _f = Expect<Equal<ShapeOf<typeof features>, ["batch", 1568]>>;
const metaH = meta.pipe(nn.dense(16), "metaDense").pipe(nn.relu());
const joined = nn.concat([features, metaH]);
type _j = Expect<Equal<ShapeOf<typeof joined>, ["batch", 1584]>>;
const h = joined.pipe(nn.dense(64), "hidden").pipe(nn.relu());
const logits = h.pipe(nn.dense(10), "logits");
const aux = h.pipe(nn.dense(1), "aux");
const model = nn.model({ inputs: { image, meta }, outputs: { logits, aux } });

// the params record: one entry per named layer, with the layers' own param types
type P = ParamsOf<typeof model>;
type _pk = Expect<Equal<keyof P, "conv" | "metaDense" | "hidden" | "logits" | "aux">>;
type _pconv = Expect<Equal<P["conv"], { kernel: Tensor<[3, 3, 1, 8]>; bias: Tensor<[8]> }>>;
type _phidden = Expect<Equal<P["hidden"], { kernel: Tensor<[1584, 64]>; bias: Tensor<[64]> }>>;
type _state = Expect<Equal<ModelStateOf<typeof model>["conv"], {}>>;

// apply: records in, records out
declare const x: Tensor<[32, 28, 28, 1]>;
declare const m: Tensor<[32, 4]>;
declare const params: P;
const out = model.apply(params, { image: x, meta: m });
type _out = Expect<Equal<typeof out, { logits: Tensor<["batch", 10]>; aux: Tensor<["batch", 1]> }>>;
// @ts-expect-error -- a missing input
model.apply(params, { image: x });
declare const wrong: Tensor<[32, 5]>;
// @ts-expect-error -- an input of the wrong shape
model.apply(params, { image: x, meta: wrong });

// add: equal shapes (symbolic dims agree with anything); a shared layer keeps one params entry
const shared = nn.dense(8);
const left = nn.input("left", ["batch", 4]);
const right = nn.input("right", [16, 4]);
const sum = nn.add([left.pipe(shared, "shared"), right.pipe(shared, "shared")]);
type _sum = Expect<Equal<ShapeOf<typeof sum>, [16, 8]>>;
const siamese = nn.model({ inputs: { left, right }, outputs: { sum } });
type _sp = Expect<Equal<ParamsOf<typeof siamese>, { shared: { kernel: Tensor<[4, 8]>; bias: Tensor<[8]> } }>>;

// concat on another axis
const seqA = nn.input("a", ["batch", 5, 3]);
const seqB = nn.input("b", ["batch", 7, 3]);
type _cat = Expect<Equal<ShapeOf<ReturnType<typeof nn.concat<[typeof seqA, typeof seqB], 1>>>, ["batch", 12, 3]>>;
const catTime = nn.concat([seqA, seqB], 1);
type _cat2 = Expect<Equal<ShapeOf<typeof catTime>, ["batch", 12, 3]>>;

// ================================================================ mistakes that must not compile

// the merge, and both shapes, in the message
type _addMsg = Expect<
  Equal<ErrorMessage<AddShape<[["batch", 8], ["batch", 4]]>>, "nn.add: shapes [batch, 8] and [batch, 4] differ at axis 1 (8 vs 4)">
>;
type _addRank = Expect<Equal<ErrorMessage<AddShape<[["batch", 8], [8]]>>, "nn.add: shapes [batch, 8] and [8] have different ranks">>;
type _catMsg = Expect<
  Equal<
    ErrorMessage<ConcatShape<[["batch", 5, 3], ["batch", 7, 2]], -1>>,
    "nn.concat: dims differ at axis 1 (5 vs 7) in [batch, 5, 3] and [batch, 7, 2]; only axis 2 may differ"
  >
>;
// @ts-expect-error -- nn.add: shapes [batch, 16] and [batch, 4] differ at axis 1 (16 vs 4)
nn.add([metaH, meta]);
// @ts-expect-error -- nn.concat: all shapes need rank 2, got [batch, 4] and [batch, 5, 3]
nn.concat([meta, seqA]);
// @ts-expect-error -- conv2d expects [batch, H, W, C], got [batch, 4]
meta.pipe(nn.conv2d({ filters: 2, kernel: 3 }), "conv");
// @ts-expect-error -- pipe: dense has params or state, so it needs a name
meta.pipe(nn.dense(3));
// @ts-expect-error -- pipe: batchNorm keeps state, so it needs a name
meta.pipe(nn.batchNorm());
// @ts-expect-error -- a layer factory, not a layer: call it (nn.relu(), not nn.relu)
meta.pipe(nn.relu);
// parameter-free layers need no name
meta.pipe(nn.relu()).pipe(nn.dropout(0.1));

// ================================================================ predict on a functional model

import { predict } from "../src/train/index.js";
import type { HostArray } from "../src/data/index.js";
declare const images: HostArray<[100, 28, 28, 1]>;
declare const metas: HostArray<[100, 4]>;
// a record of host arrays in, a record of tensors out (what apply returns)
const predicted = predict({ model, params, x: { image: images, meta: metas } });
type _pred = Expect<Equal<typeof predicted, { logits: Tensor<["batch", 10]>; aux: Tensor<["batch", 1]> }>>;
// @ts-expect-error -- predict: x has no "meta"
predict({ model, params, x: { image: images } });
// @ts-expect-error -- predict: x.extra is not an input of the model
predict({ model, params, x: { image: images, meta: metas, extra: metas } });
// @ts-expect-error -- predict: the model takes a record of inputs; x is one array (pass x: { name: array, ... })
predict({ model, params, x: images });

// ================================================================ a model as a layer

const encoder = nn.input(["batch", 784]).add(nn.dense(64)).add(nn.relu());
const pixels = nn.input("pixels", ["batch", 784]);
const encoded = pixels.pipe(nn.asLayer(encoder), "encoder");
type _enc = Expect<Equal<ShapeOf<typeof encoded>, ["batch", 64]>>;
const classifier = nn.model({ inputs: { pixels }, outputs: { logits: encoded.pipe(nn.dense(10), "head") } });
// the encoder's params tuple, nested under its name
type _encP = Expect<Equal<ParamsOf<typeof classifier>["encoder"], ParamsOf<typeof encoder>>>;
// a functional model with one input and one output in a chain: its params record is the chain's entry
const zIn = nn.input("zIn", ["batch", 8]);
const blockModel = nn.model({ inputs: { zIn }, outputs: { out: zIn.pipe(nn.dense(8), "inner") } });
const chained = nn.input([32, 8]).add(nn.asLayer(blockModel)).add(nn.dense(2));
type _chainOut = Expect<Equal<nn.OutputOf<typeof chained>, [32, 2]>>;
type _chainP = Expect<Equal<ParamsOf<typeof chained>[0], { inner: { kernel: Tensor<[8, 8]>; bias: Tensor<[8]> } }>>;
// @ts-expect-error -- model expects [batch, 784], got [batch, 4]
meta.pipe(nn.asLayer(encoder), "encoder");
// @ts-expect-error -- pipe: model has params or state, so it needs a name
pixels.pipe(nn.asLayer(encoder));
// @ts-expect-error -- nn.asLayer: a functional model used as a layer needs one input and one output
meta.pipe(nn.asLayer(model), "twoHeads");

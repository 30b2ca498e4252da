// vmap's types: the mapped axis of each argument (inAxes), one mapped size for all arguments,
// and the output with that size inserted at outAxes.
import { add, dot, matmul, vmap, type Tensor } from "../src/index.js";
import type { ErrorMessage } from "../typelevel/index.js";

type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;
type Expect<T extends true> = T;

declare const f: (x: Tensor<[3]>, p: { w: Tensor<[3, 2]> }) => Tensor<[2]>;
const vf = vmap(f);

declare const xs: Tensor<[8, 3]>;
declare const ws: { w: Tensor<[8, 3, 2]> };
const y = vf(xs, ws);
export type _out = Expect<Equal<typeof y, Tensor<[8, 2]>>>;
// @ts-expect-error per-example shape [4] is not the [3] that f takes
vf(null! as Tensor<[8, 4]>, ws);

// named dims accept any size, as model inputs do; the size of a named batch stays named
declare const g: (x: Tensor<["time", 3]>) => Tensor<[]>;
const gy = vmap(g)(null! as Tensor<[5, 7, 3]>);
export type _g = Expect<Equal<typeof gy, Tensor<[5]>>>;
const gb = vmap(g)(null! as Tensor<["batch", 7, 3]>);
export type _gb = Expect<Equal<typeof gb, Tensor<["batch"]>>>;

// the mapped dims of all arguments are one size: [32, 3] with [16, 3] does not compile
declare const a32: Tensor<[32, 3]>;
declare const a16: Tensor<[16, 3]>;
const pairSum = vmap((a: Tensor<[3]>, b: Tensor<[3]>) => dot(a, b));
export type _tied = Expect<Equal<ReturnType<typeof pairSum<[Tensor<[32, 3]>, Tensor<[32, 3]>]>>, Tensor<[32]>>>;
pairSum(a32, a32);
// @ts-expect-error vmap: mapped axes have different sizes: argument 0 has 32 at axis 0, argument 1 has 16 at axis 0
pairSum(a32, a16);
type TieError = ErrorMessage<Parameters<typeof pairSum<[Tensor<[32, 3]>, Tensor<[16, 3]>]>>[1]>;
export type _tieText = Expect<
  Equal<TieError, "vmap: mapped axes have different sizes: argument 0 has 32 at axis 0, argument 1 has 16 at axis 0">
>;
// inside a tree too
declare const ws16: { w: Tensor<[16, 3, 2]> };
// @ts-expect-error vmap: mapped axes have different sizes (8 vs 16)
vf(xs, ws16);

// inAxes per argument: null shares an argument, a number maps that axis
declare const w: Tensor<[3, 2]>;
const h = vmap(f, { inAxes: [0, null] });
const hy = h(xs, { w });
export type _h = Expect<Equal<typeof hy, Tensor<[8, 2]>>>;
// @ts-expect-error the shared argument is not mapped: [8, 3, 2] is not [3, 2]
h(xs, ws);
// an axis other than 0: columns of a [3, 5] matrix
const cols = vmap((v: Tensor<[3]>) => add(v, 1), { inAxes: 1 });
const cy = cols(null! as Tensor<[3, 5]>);
export type _cols = Expect<Equal<typeof cy, Tensor<[5, 3]>>>;
// @ts-expect-error axis 1 of [5, 3] is 3 wide but f takes [3] per example, so [5, 3] -> [5] does not fit
cols(null! as Tensor<[5, 3]>);
// negative axes count from the end
const last = vmap((v: Tensor<[3]>) => add(v, 1), { inAxes: -1, outAxes: -1 });
const ly = last(null! as Tensor<[3, 7]>);
export type _last = Expect<Equal<typeof ly, Tensor<[3, 7]>>>;

// outAxes puts the new dim where asked
const mm = vmap((x: Tensor<[4, 3]>, m: Tensor<[3, 2]>) => matmul(x, m), { inAxes: [0, null], outAxes: 1 });
const my = mm(null! as Tensor<[10, 4, 3]>, null! as Tensor<[3, 2]>);
export type _out1 = Expect<Equal<typeof my, Tensor<[4, 10, 2]>>>;

// inAxes must have one entry per argument
// @ts-expect-error vmap: inAxes has 1 entries for 2 argument(s)
vmap(f, { inAxes: [0] });

// trees in the output gain the dim in every tensor
const both = vmap((x: Tensor<[3]>) => ({ s: dot(x, x), v: x }))(xs);
export type _tree = Expect<Equal<typeof both, { s: Tensor<[8]>; v: Tensor<[8, 3]> }>>;

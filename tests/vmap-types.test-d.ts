// vmap's types: mapping over axis 0 adds a leading dim to every input and output.
import { vmap, type Tensor } from "../src/index.js";

type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;
type Expect<T extends true> = T;

declare const f: (x: Tensor<[3]>, p: { w: Tensor<[3, 2]> }) => Tensor<[2]>;
const vf = vmap(f);
export type _args = Expect<Equal<Parameters<typeof vf>, [Tensor<[number, 3]>, { w: Tensor<[number, 3, 2]> }]>>;
export type _out = Expect<Equal<ReturnType<typeof vf>, Tensor<[number, 2]>>>;

declare const xs: Tensor<[8, 3]>;
declare const ws: { w: Tensor<[8, 3, 2]> };
vf(xs, ws);
// @ts-expect-error per-example shape [4] is not the [3] that f takes
vf(null! as Tensor<[8, 4]>, ws);

// named dims accept any size, as model inputs do
declare const g: (x: Tensor<["time", 3]>) => Tensor<[]>;
vmap(g)(null! as Tensor<[5, 7, 3]>);

// with explicit inAxes the arguments are not checked per position (yet)
const h = vmap(f, { inAxes: [0, null] });
export type _h = Expect<Equal<ReturnType<typeof h>, Tensor<[number, 2]>>>;

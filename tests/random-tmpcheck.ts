import { zeros, type Tensor } from "../src/tensor/index.js";
const a: Tensor<[3, 4]> = zeros([3, 4]);
const b = zeros([3, 4]);
type B = typeof b;
const c: B = a;
export { c };

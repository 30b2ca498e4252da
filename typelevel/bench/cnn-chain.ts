// A 7-layer CNN on MNIST-shaped input, through the mock ops: the type-checking cost of the
// example users write first. Measured alone by `tsc -p typelevel/bench/tsconfig.cnn.json`.
import { add, conv2d, matmul, maxPool2d, relu, reshape, type Equal, type Expect, type Tensor } from "../mock-ops.test-d.js";

declare const images: Tensor<["batch", 28, 28, 1]>;
declare const kernel1: Tensor<[3, 3, 1, 32]>;
declare const kernel2: Tensor<[3, 3, 32, 64]>;
declare const weights1: Tensor<[3136, 128]>;
declare const bias1: Tensor<[128]>;
declare const weights2: Tensor<[128, 10]>;
declare const bias2: Tensor<[10]>;

const conv1 = relu(conv2d(images, kernel1, 1, "same")); //   ["batch", 28, 28, 32]
const pool1 = maxPool2d(conv1, 2); //                        ["batch", 14, 14, 32]
const conv2 = relu(conv2d(pool1, kernel2, 1, "same")); //    ["batch", 14, 14, 64]
const pool2 = maxPool2d(conv2, 2); //                        ["batch", 7, 7, 64]
const flat = reshape(pool2, ["batch", -1]); //               ["batch", 3136]
const hidden = relu(add(matmul(flat, weights1), bias1)); //  ["batch", 128]
export const logits = add(matmul(hidden, weights2), bias2); // ["batch", 10]

export type Checks = [
  Expect<Equal<typeof pool2, Tensor<["batch", 7, 7, 64]>>>,
  Expect<Equal<typeof flat, Tensor<["batch", 3136]>>>,
  Expect<Equal<typeof logits, Tensor<["batch", 10]>>>,
];

// 50 shape ops on a [1, 1024, 1024, 3] image through the mock ops: stresses the digit
// arithmetic (seven-digit element counts, strides, dilations, explicit padding) and the
// op rules one after another. Measured alone by `tsc -p typelevel/bench/tsconfig.deep.json`.
import {
  add,
  concat,
  conv2d,
  expandDims,
  matmul,
  maxPool2d,
  pad,
  relu,
  reshape,
  slice,
  squeeze,
  sum,
  transpose,
  type Equal,
  type Expect,
  type Tensor,
} from "../mock-ops.test-d.js";

declare const image: Tensor<[1, 1024, 1024, 3]>;
declare const k3x16: Tensor<[3, 3, 3, 16]>;
declare const k16x32: Tensor<[3, 3, 16, 32]>;
declare const k32x32: Tensor<[5, 5, 32, 32]>;
declare const k32x64: Tensor<[3, 3, 32, 64]>;
declare const k64x64: Tensor<[1, 1, 64, 64]>;
declare const k64x128: Tensor<[3, 3, 64, 128]>;
declare const bias16: Tensor<[16]>;
declare const bias64: Tensor<[64]>;
declare const w: Tensor<[128, 10]>;

const x1 = pad(image, [
  [0, 0],
  [1, 1],
  [1, 1],
  [0, 0],
]); //          [1, 1026, 1026, 3]
const x2 = conv2d(x1, k3x16); //                                     [1, 1024, 1024, 16]
const x3 = add(x2, bias16);
const x4 = relu(x3);
const x5 = maxPool2d(x4, 2); //                                      [1, 512, 512, 16]
const x6 = conv2d(x5, k16x32, 2, "same"); //                         [1, 256, 256, 32]
const x7 = relu(x6);
const x8 = conv2d(x7, k32x32, 1, "valid", 2); //                     [1, 248, 248, 32]
const x9 = pad(x8, [
  [0, 0],
  [4, 4],
  [4, 4],
  [0, 0],
]); //             [1, 256, 256, 32]
const x10 = maxPool2d(x9, 3, 2, "same"); //                          [1, 128, 128, 32]
const x11 = reshape(x10, [1, -1, 32]); //                            [1, 16384, 32]
const x12 = transpose(x11, [0, 2, 1]); //                            [1, 32, 16384]
const x13 = transpose(x12, [0, 2, 1]); //                            [1, 16384, 32]
const x14 = reshape(x13, [1, 128, 128, 32]);
const x15 = conv2d(
  x14,
  k32x64,
  [2, 1],
  [
    [1, 1],
    [0, 0],
  ],
); //        [1, 64, 126, 64]
const x16 = relu(x15);
const x17 = slice(x16, [0, 0, 1, 0], [-1, 64, 124, -1]); //           [1, 64, 124, 64]
const x18 = conv2d(x17, k64x64); //                                  [1, 64, 124, 64]
const x19 = add(x18, bias64);
const x20 = concat([x19, x17], 3); //                                [1, 64, 124, 128]
const x21 = slice(x20, [0, 0, 0, 0], [1, 64, 124, 64]); //            [1, 64, 124, 64]
const x22 = maxPool2d(x21, [2, 4]); //                               [1, 32, 31, 64]
const x23 = conv2d(x22, k64x128, 1, 1); //                           [1, 32, 31, 128]
const x24 = relu(x23);
const x25 = maxPool2d(x24, 2, 2, "same"); //                         [1, 16, 16, 128]
const x26 = reshape(x25, [-1, 128]); //                              [256, 128]
const x27 = matmul(x26, w); //                                       [256, 10]
const x28 = expandDims(x27, 0); //                                   [1, 256, 10]
const x29 = squeeze(x28, 0); //                                      [256, 10]
const x30 = reshape(x29, [16, 16, 10]);
const x31 = transpose(x30); //                                       [10, 16, 16]
const x32 = sum(x31, -1, { keepDims: true }); //                                   [10, 16, 1]
const x33 = squeeze(x32); //                                         [10, 16]
const x34 = expandDims(x33, -1); //                                  [10, 16, 1]
const x35 = add(x34, x31); //                                        [10, 16, 16]
const x36 = reshape(x35, [10, 256]);
const x37 = concat([x36, x36, x36], 0); //                           [30, 256]
const x38 = pad(x37, [
  [1, 1],
  [0, 0],
]); //                           [32, 256]
const x39 = reshape(x38, [32, 16, 16, 1]);
const x40 = maxPool2d(x39, 2); //                                    [32, 8, 8, 1]
const x41 = reshape(x40, [32, 64]);
const x42 = matmul(x41, transpose(x41)); //                          [32, 32]
const x43 = sum(x42, 0); //                                          [32]
const x44 = reshape(x43, [2, 4, 4]);
const x45 = sum(x44, [1, 2]); //                                     [2]
const x46 = expandDims(x45, 1); //                                   [2, 1]
const x47 = add(x46, x45); //                                        [2, 2]
const x48 = reshape(x47, [-1]); //                                   [4]
export const out = sum(x48); //                                      []

export type Checks = [
  Expect<Equal<typeof x2, Tensor<[1, 1024, 1024, 16]>>>,
  Expect<Equal<typeof x8, Tensor<[1, 248, 248, 32]>>>,
  Expect<Equal<typeof x11, Tensor<[1, 16384, 32]>>>,
  Expect<Equal<typeof x15, Tensor<[1, 64, 126, 64]>>>,
  Expect<Equal<typeof x22, Tensor<[1, 32, 31, 64]>>>,
  Expect<Equal<typeof x26, Tensor<[256, 128]>>>,
  Expect<Equal<typeof x35, Tensor<[10, 16, 16]>>>,
  Expect<Equal<typeof x42, Tensor<[32, 32]>>>,
  Expect<Equal<typeof out, Tensor<[]>>>,
];

import * as nn from "../src/nn/index.js";
import type { StateOf, ParamsOf } from "../src/nn/index.js";
const resConv = nn
  .input(["batch", 8, 8, 16])
  .add(nn.residual(nn.conv2d({ filters: 16, kernel: 3, padding: "same" }), nn.batchNorm(), nn.relu, nn.conv2d({ filters: 16, kernel: 3, padding: "same" })))
  .add(nn.relu);
const a: null = null! as StateOf<typeof resConv>;
const b: null = null! as ParamsOf<typeof resConv>;

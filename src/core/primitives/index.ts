// The registry of every primitive. Tests iterate over it, so a new primitive is tested the day it lands.
import type { Primitive } from "../primitive.js";
import * as elementwise from "./elementwise.js";
import { broadcastToP } from "./broadcast.js";
import { reshapeP, transposeP } from "./shape.js";
import { sumP, maxP, minP, argmaxP, argminP } from "./reduce.js";
import { matmulP } from "./matmul.js";
import { stopGradientP } from "./stop-gradient.js";
import { concatP } from "./concat.js";
import { sliceP } from "./slice.js";
import { padP } from "./pad.js";
import { gatherP, scatterAddP } from "./gather.js";
import { conv2dP } from "./conv.js";
import { reverseP } from "./reverse.js";
import { maxPool2dP, avgPool2dP } from "./pool.js";
import { checkP } from "./check.js";
import { cumsumP } from "./cumulative.js";
import { argTopKP } from "./sort.js";

export const primitives = {
  neg: elementwise.negP,
  exp: elementwise.expP,
  expm1: elementwise.expm1P,
  log: elementwise.logP,
  log1p: elementwise.log1pP,
  sqrt: elementwise.sqrtP,
  rsqrt: elementwise.rsqrtP,
  square: elementwise.squareP,
  abs: elementwise.absP,
  sign: elementwise.signP,
  floor: elementwise.floorP,
  ceil: elementwise.ceilP,
  round: elementwise.roundP,
  sin: elementwise.sinP,
  cos: elementwise.cosP,
  tanh: elementwise.tanhP,
  sigmoid: elementwise.sigmoidP,
  step: elementwise.stepP,
  relu: elementwise.reluP,
  softplus: elementwise.softplusP,
  erf: elementwise.erfP,
  add: elementwise.addP,
  sub: elementwise.subP,
  mul: elementwise.mulP,
  div: elementwise.divP,
  pow: elementwise.powP,
  maximum: elementwise.maximumP,
  minimum: elementwise.minimumP,
  greater: elementwise.greaterP,
  greaterEqual: elementwise.greaterEqualP,
  less: elementwise.lessP,
  lessEqual: elementwise.lessEqualP,
  equal: elementwise.equalP,
  notEqual: elementwise.notEqualP,
  where: elementwise.whereP,
  cast: elementwise.castP,
  broadcastTo: broadcastToP,
  reshape: reshapeP,
  transpose: transposeP,
  sum: sumP,
  max: maxP,
  min: minP,
  argmax: argmaxP,
  argmin: argminP,
  matmul: matmulP,
  stopGradient: stopGradientP,
  concat: concatP,
  slice: sliceP,
  pad: padP,
  gather: gatherP,
  scatterAdd: scatterAddP,
  reverse: reverseP,
  conv2d: conv2dP,
  maxPool2d: maxPool2dP,
  avgPool2d: avgPool2dP,
  check: checkP,
  cumsum: cumsumP,
  argTopK: argTopKP,
} satisfies Record<string, Primitive>;

export type PrimitiveName = keyof typeof primitives;

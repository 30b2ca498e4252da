// Public testing API: property-test your own functions with fast-check, check gradients like JAX.
export {
  TensorValue,
  arbShape,
  arbTensor,
  arbBroadcastableTo,
  arbBroadcastablePair,
  arbMatmulPair,
  arbPermutation,
  arbAxes,
  toTensors,
  withTensors,
  type ShapeOptions,
  type TensorOptions,
  type MatmulShapeOptions,
  type Materialized,
  type MutableShape,
} from "./arbitraries.js";
export { checkGrads, type CheckGradsOptions, type GradMode } from "./check-grads.js";
export { numericalJvp, numericalGrad, DEFAULT_EPS, type DifferenceOptions } from "./numeric.js";
export { assertAllClose, assertNoLeaks, type CloseOptions, type Numeric } from "./close.js";

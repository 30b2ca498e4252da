// The parts of shapeflow the playground uses, from the package root ("shapeflow"), which is
// browser-safe (tests/browser-bundle checks it): Node-only parts live in shapeflow/node.
export {
  init,
  backendInfo,
  nativeStatus,
  jit,
  valueAndGrad,
  add,
  tensor,
  nn,
  optim,
  losses,
  random,
  tree,
  data,
  type Tensor,
} from "../../src/index.js";

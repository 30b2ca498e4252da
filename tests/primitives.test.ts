// Every primitive in the registry, driven by its spec (tests/primitive-specs.ts): shape rule,
// kernel values against a float64 reference, derivatives of order 1 and 2 against finite
// differences, vmap against a loop, jit against eager, and no leaked tensors.
import { describe, expect, test } from "vitest";
import { primitives, type PrimitiveName, type Primitive } from "../src/core/index.js";
import { specs, type PrimitiveSpec } from "./primitive-specs.js";
import {
  checkClosedFormSecondDerivative,
  checkFirstOrder,
  checkJit,
  checkSecondOrder,
  checkShapeAndValues,
  checkVmap,
  forCases,
} from "./primitive-harness.js";

// NOTE: few runs each: ~60 primitives x 5 properties must stay well under a minute on 2 cores.
// SHAPEFLOW_PROPERTY_RUNS=100 searches harder (locally, before a release).
const RUNS = Number(process.env.SHAPEFLOW_PROPERTY_RUNS ?? 8);
const SECOND_ORDER_RUNS = Math.max(1, Math.round(RUNS / 2));
const names = Object.keys(primitives) as PrimitiveName[];

test("every registered primitive has a spec, and every spec a primitive", () => {
  expect(names.filter((n) => !(n in specs))).toEqual([]);
  expect(Object.keys(specs).filter((n) => !(n in primitives))).toEqual([]);
});

describe.each(names)("%s", (name) => {
  const prim: Primitive = primitives[name];
  const spec: PrimitiveSpec = specs[name];

  test("shape rule = eager result = kernel result = float64 reference", () => {
    forCases(spec, (c) => checkShapeAndValues(name, prim, spec, c), RUNS);
  });

  test("first derivatives: jvp vs finite differences, vjp vs both (<u, J v> = <J^T u, v>)", () => {
    forCases(spec, (c) => checkFirstOrder(prim, spec, c), RUNS);
  });

  test.skipIf(spec.derivative !== "fd" || spec.order === 1)(
    "second derivatives: jvp and vjp of the jvp and vjp functions vs finite differences",
    () => {
      forCases(spec, (c) => checkSecondOrder(prim, c), SECOND_ORDER_RUNS);
    },
  );

  test("vmap over every non-empty set of arguments equals a loop over examples", () => {
    forCases(spec, (c, seed) => checkVmap(name, prim, c, seed), RUNS);
  });

  test("jit(f) = f and jit(grad f) = grad f, freeing every intermediate", () => {
    forCases(spec, (c, seed) => checkJit(name, prim, spec, c, seed), RUNS);
  });
});

describe("closed-form second derivatives (float64 references)", () => {
  const withSecond = names.filter((n) => (specs[n] as PrimitiveSpec).secondDerivative !== undefined);
  test.each(withSecond)("%s'' from grad(grad)", (name) => {
    const spec = specs[name] as PrimitiveSpec;
    forCases(spec, (c) => checkClosedFormSecondDerivative(name, primitives[name], spec.secondDerivative!, c), RUNS);
  });
});

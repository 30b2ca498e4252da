// Every primitive's ONNX lowering, driven by the primitive registry and its specs
// (tests/primitive-specs.ts): random valid cases run in ONNX Runtime and in shapeflow agree; a
// primitive the export refuses is refused with its reason.
import { describe, expect, test } from "vitest";
import * as fc from "fast-check";
import * as ort from "onnxruntime-node";
import { bind, primitives, type PrimitiveName } from "../src/core/index.js";
import { exportOnnxFunction, onnxLowerings } from "../src/io/onnx.js";
import type { AnyTensor } from "../src/tensor/index.js";
import { tree } from "../src/index.js";
import { specs, type PrimitiveCase } from "./primitive-specs.js";

const RUNS = Number(process.env.SHAPEFLOW_PROPERTY_RUNS ?? 6);
const names = Object.keys(primitives) as PrimitiveName[];

function feed(x: AnyTensor): ort.Tensor {
  const data = x.dataSync();
  if (x.dtype === "bool") return new ort.Tensor("bool", Uint8Array.from(data as ArrayLike<number>), [...x.shape]);
  return new ort.Tensor(x.dtype, data as Float32Array | Int32Array, [...x.shape]);
}

async function runOnnx(bytes: Uint8Array, inputs: readonly AnyTensor[]): Promise<ort.Tensor> {
  const session = await ort.InferenceSession.create(bytes);
  const feeds: Record<string, ort.Tensor> = {};
  inputs.forEach((x, i) => (feeds[`input_${i}`] = feed(x)));
  const out = await session.run(feeds);
  await session.release();
  return out.output_0;
}

/** A batchDims > 0 gather is the one case the export refuses on purpose. */
const refused = (name: PrimitiveName, c: PrimitiveCase) => name === "gather" && (c.params as { batchDims: number }).batchDims > 0;

describe.each(names)("%s", (name) => {
  const rule = onnxLowerings[name];
  if ("unsupported" in rule) {
    test(`is refused: ${rule.unsupported}`, () => {
      const [c] = fc.sample(specs[name].cases, { numRuns: 1, seed: 1 });
      const xs = c.inputs.map((v) => v.toTensor() as AnyTensor);
      expect(() => exportOnnxFunction((...a: AnyTensor[]) => bind(primitives[name], a, c.params), xs)).toThrow(
        `exportOnnx: the primitive "${name}" has no ONNX lowering: ${rule.unsupported}`,
      );
      tree.dispose(xs);
    });
    return;
  }
  test("ONNX Runtime computes what shapeflow computes", async () => {
    const cases = fc.sample(specs[name].cases, { numRuns: RUNS, seed: 42 });
    for (const c of cases) {
      const xs = c.inputs.map((v) => v.toTensor() as AnyTensor);
      const f = (...a: AnyTensor[]) => bind(primitives[name], a, c.params);
      if (refused(name, c)) {
        expect(() => exportOnnxFunction(f, xs)).toThrow(/has no ONNX lowering \(only batchDims 0, ONNX Gather\)/);
        tree.dispose(xs);
        continue;
      }
      const want = f(...xs);
      const got = await runOnnx(exportOnnxFunction(f, xs), xs);
      const where = `${name} on ${c.inputs.map(String).join(", ")} with ${JSON.stringify(c.params)}`;
      expect([...got.dims], where).toEqual([...want.shape]);
      const w = Array.from(want.dataSync() as ArrayLike<number>, Number);
      const g = Array.from(got.data as ArrayLike<number | bigint>, Number);
      const bad = w.findIndex((v, i) => !(Object.is(v, g[i]) || Math.abs(v - g[i]) <= 1e-5 * Math.max(1, Math.abs(v))));
      expect(bad, `${where}: element ${bad} is ${g[bad]} in ONNX Runtime, ${w[bad]} in shapeflow`).toBe(-1);
      tree.dispose([xs, want]);
    }
  });
});

import { expect, test } from "vitest";
import { io, tensor, liveTensors, tree } from "../src/index.js";

test("serialize/deserialize round-trips a params tree bit for bit, ints and static leaves included", () => {
  const before = liveTensors();
  const params = {
    layers: [{ kernel: tensor([0.1, -2.5e-8, 3e30, -0], [2, 2]), bias: tensor([1, 2], [2]) }],
    step: tensor([7], [1], "int32"),
    name: "mlp",
  };
  const back = io.deserialize<typeof params>(io.serialize(params), params);
  expect(back.name).toBe("mlp");
  expect(Array.from(back.layers[0].kernel.dataSync())).toEqual(Array.from(params.layers[0].kernel.dataSync()));
  expect(Object.is(back.layers[0].kernel.dataSync()[3], -0)).toBe(true);
  expect(back.step.dtype).toBe("int32");
  expect(Array.from(back.step.dataSync())).toEqual([7]);
  tree.dispose([params, back]);
  expect(liveTensors()).toBe(before);
});

test("a typed load names the leaf whose shape differs, and a structure mismatch where it is", () => {
  const saved = io.serialize({ w: tensor([1, 2, 3, 4], [2, 2]) });
  const like = { w: tensor([1, 2, 3, 4], [4, 1]) };
  expect(() => io.deserialize(saved, like)).toThrow("deserialize: w has shape [2, 2], expected [4, 1]");
  const other = { v: tensor([1], [1]) };
  expect(() => io.deserialize(saved, other)).toThrow(
    "deserialize: the saved tree differs from the expected one at the root: keys {v} vs {w}",
  );
  expect(() => io.deserialize("{", like)).toThrow(/deserialize: not JSON/);
  tree.dispose([like, other]);
});

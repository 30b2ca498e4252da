// ONNX export of control flow: scan becomes an ONNX Scan whose body is a subgraph (forward and
// reverse, with and without xs, nested, and the LSTM of examples/lstm-scan.ts at any batch);
// remat and customJvp are their bodies inlined; whileLoop becomes an ONNX Loop. ONNX Runtime
// runs every export and agrees with shapeflow.
import { expect, test } from "vitest";
import * as ort from "onnxruntime-node";
import { io, liveTensors, nn, random, scalar, tree, zeros, type Tensor } from "../src/index.js";
import type { AnyTensor } from "../src/tensor/index.js";
import {
  add,
  cast,
  remat,
  customJvp,
  greater,
  leafTensors,
  scoped,
  matmul,
  mul,
  scan,
  sigmoid,
  slice,
  sin,
  sum,
  tanh,
  transpose,
  whileLoop,
} from "../src/core/index.js";
import { exportOnnxFunction } from "../src/io/onnx.js";
import { decodeOnnxModel } from "../src/io/onnx-proto.js";
import { inputs, maxAbsDiff } from "./io-export-models.js";

/** Runs `bytes` on `xs` (inputs `input_0`, ...) and returns the outputs `output_0`, ... */
async function runOnnx(bytes: Uint8Array, xs: readonly AnyTensor[], names?: readonly string[]): Promise<ort.Tensor[]> {
  const session = await ort.InferenceSession.create(bytes);
  const feeds: Record<string, ort.Tensor> = {};
  xs.forEach((x, i) => (feeds[names?.[i] ?? `input_${i}`] = new ort.Tensor("float32", x.dataSync() as Float32Array, [...x.shape])));
  const out = await session.run(feeds);
  await session.release();
  return session.outputNames.map((n) => out[n]);
}

/** Exports `f` at `xs`, runs it in ONNX Runtime, and checks every output against shapeflow's. */
async function agrees(f: (...a: AnyTensor[]) => AnyTensor[], xs: AnyTensor[]): Promise<Uint8Array> {
  const want = scoped(() => f(...xs), leafTensors);
  const bytes = exportOnnxFunction(f, xs);
  const got = await runOnnx(bytes, xs);
  expect(got.length).toBe(want.length);
  want.forEach((w, k) => {
    expect([...got[k].dims], `output ${k}`).toEqual(w.shape);
    expect(maxAbsDiff(got[k].data as Float32Array, w.dataSync()), `output ${k}`).toBeLessThanOrEqual(1e-5);
  });
  tree.dispose(want);
  return bytes;
}

const opTypes = (bytes: Uint8Array) => decodeOnnxModel(bytes).graph.node.map((n) => n.op_type);

test("a cumulative scan (carry and stacked ys, a closed-over value) is one ONNX Scan, forward and reverse", async () => {
  const before = liveTensors();
  const xs = inputs([5, 3], 1);
  const w = inputs([3], 2);
  for (const reverse of [false, true]) {
    const f = (x: AnyTensor, v: AnyTensor) => {
      const [total, partial] = scan(
        (c: Tensor<[3]>, row: Tensor<[3]>) => {
          const s = add(c, mul(row, v)) as Tensor<[3]>;
          return [s, sin(s)] as const;
        },
        zeros([3]),
        x as Tensor<[5, 3]>,
        { reverse },
      );
      return [total, partial] as AnyTensor[];
    };
    const bytes = await agrees(f, [xs, w]);
    expect(opTypes(bytes)).toContain("Scan");
    const scanNode = decodeOnnxModel(bytes).graph.node.find((n) => n.op_type === "Scan")!;
    const directions = scanNode.attribute.find((a) => a.name === "scan_input_directions")?.ints;
    expect(directions).toEqual(reverse ? [1] : undefined);
  }
  tree.dispose([xs, w]);
  expect(liveTensors()).toBe(before);
});

test("a scan with no xs (a length only) and a scan nested in a scan's body", async () => {
  const x0 = inputs([2, 2], 3);
  const m = inputs([2, 2], 4);
  const repeated = (x: AnyTensor, a: AnyTensor) => {
    const [last, all] = scan(
      (c: Tensor<[2, 2]>) => {
        const n = tanh(matmul(c, a)) as Tensor<[2, 2]>;
        return [n, sum(n, 1)] as const;
      },
      x as Tensor<[2, 2]>,
      undefined,
      { length: 4 },
    );
    return [last, all] as AnyTensor[];
  };
  await agrees(repeated, [x0, m]);
  const nested = (x: AnyTensor) => {
    const [outer, rows] = scan(
      (c: Tensor<[2]>, row: Tensor<[2]>) => {
        const [inner] = scan((d: Tensor<[]>, v: Tensor<[]>) => [add(d, mul(v, v)) as Tensor<[]>, null] as const, sum(c) as Tensor<[]>, row);
        return [add(c, inner) as Tensor<[2]>, inner] as const;
      },
      zeros([2]),
      x as Tensor<[2, 2]>,
      { reverse: true },
    );
    return [outer, rows] as AnyTensor[];
  };
  await agrees(nested, [x0]);
  tree.dispose([x0, m]);
});

test("remat and customJvp export their bodies", async () => {
  const x = inputs([3, 4], 5);
  const softSquare = customJvp(
    (v: AnyTensor) => mul(v, sigmoid(v)),
    ([v], [dv]) => [mul(v, sigmoid(v)), dv],
  );
  const g = remat((v: AnyTensor) => tanh(softSquare(v)));
  const bytes = await agrees((v) => [g(v)], [x]);
  expect(opTypes(bytes)).not.toContain("Scan");
  x.dispose();
});

test("whileLoop is one ONNX Loop: a value-dependent trip count, closed-over values in the test and the body, an int32 counter", async () => {
  const before = liveTensors();
  const x = inputs([3, 4], 5);
  const limit = inputs([], 6);
  type Carry = [Tensor<[], "int32">, Tensor<[3, 4]>];
  // halve until the sum of squares drops under 0.01 + |limit| (a trip count only the values decide), counting steps
  const loop = (v: AnyTensor, lim: AnyTensor) => {
    const [n, y] = whileLoop(
      ([, c]: Carry) => greater(sum(mul(c, c)), add(mul(lim, lim), 0.01)) as Tensor<[], "bool">,
      ([i, c]: Carry): Carry => [add(i, 1) as Tensor<[], "int32">, mul(c, sigmoid(lim)) as Tensor<[3, 4]>],
      [scalar(0, "int32"), v as Tensor<[3, 4]>] as Carry,
    );
    return [y, cast(n, "float32")];
  };
  const bytes = await agrees(loop, [x, limit]);
  expect(opTypes(bytes)).toContain("Loop");
  const several = scoped(() => loop(x, limit), leafTensors);
  expect(several[1].dataSync()[0]).toBeGreaterThan(2); // several trips, so the body's test is exercised
  // no trip at all: the first test (in the enclosing graph) is false
  const big = inputs([], 7);
  const far = scoped(() => add(mul(big, 100), 100), leafTensors);
  const none = scoped(() => loop(x, far), leafTensors);
  expect(none[1].dataSync()[0]).toBe(0);
  await agrees(loop, [x, far]);
  tree.dispose([several, none]);
  tree.dispose([x, limit, big, far]);
  expect(liveTensors()).toBe(before);
});

test("a whileLoop inside a scan body, and a scan inside a whileLoop body", async () => {
  const x = inputs([4, 3], 8);
  const f = (v: AnyTensor) => {
    // each row halved until its sum of squares is under 0.5
    const [, rows] = scan(
      (c: AnyTensor, row: AnyTensor) => {
        const r = whileLoop(
          (q: Tensor<[3]>) => greater(sum(mul(q, q)), 0.5) as Tensor<[], "bool">,
          (q) => mul(q, 0.5) as Tensor<[3]>,
          row as Tensor<[3]>,
        );
        return [add(c, r), r];
      },
      zeros([3]) as AnyTensor,
      v,
    );
    // a cumulative sum, rescaled until its total is under 1
    const out = whileLoop(
      (m: Tensor<[4, 3]>) => greater(sum(mul(m, m)), 1) as Tensor<[], "bool">,
      (m) => {
        const [, cum] = scan((c: AnyTensor, row: AnyTensor) => [add(c, row), add(c, row)], zeros([3]) as AnyTensor, m);
        return mul(cum, 0.25) as Tensor<[4, 3]>;
      },
      rows as Tensor<[4, 3]>,
    );
    return [rows, out] as AnyTensor[];
  };
  const bytes = await agrees(f, [x]);
  expect(opTypes(bytes)).toEqual(expect.arrayContaining(["Scan", "Loop"]));
  x.dispose();
});

test("the LSTM of examples/lstm-scan.ts as a layer exports with a symbolic batch", async () => {
  const H = 64;
  type P = { wx: AnyTensor; wh: AnyTensor; b: AnyTensor; wo: AnyTensor; bo: AnyTensor };
  const layer = nn.defineLayer<"lstmScan", {}, P>({
    kind: "lstmScan",
    name: "lstmScan",
    config: {},
    outputShape: (s) => [s[0], 10],
    init: (key) => {
      const [k1, k2, k3, k4] = random.split(key, 4);
      return {
        wx: random.normal(k1, [28, 4 * H], { std: 0.2 }),
        wh: random.normal(k2, [H, 4 * H], { std: 0.2 }),
        b: random.normal(k4, [4 * H], { std: 0.1 }),
        wo: random.normal(k3, [H, 10], { std: 0.3 }),
        bo: zeros([10]),
      };
    },
    apply: (p, x) => {
      type S = { h: AnyTensor; c: AnyTensor };
      const cell = (s: S, row: AnyTensor): readonly [S, null] => {
        const z = add(add(matmul(row, p.wx), matmul(s.h, p.wh)), p.b);
        const gate = (k: number) => slice(z, [0, k * H], [-1, H]);
        const c = add(mul(sigmoid(gate(1)), s.c), mul(sigmoid(gate(0)), tanh(gate(2))));
        return [{ h: mul(sigmoid(gate(3)), tanh(c)), c }, null] as const;
      };
      const zero = zeros([x.shape[0], H]);
      const [last] = scan(cell, { h: zero, c: zero }, transpose(x, [1, 0, 2]));
      return add(matmul(last.h, p.wo), p.bo);
    },
  });
  const model = new nn.Model(["batch", 28, 28], [layer]);
  const params = model.init(random.key(3));
  const bytes = io.exportOnnx(model as never, params as never);
  expect(opTypes(bytes)).toContain("Scan");
  for (const batch of [3, 1]) {
    const x = inputs([batch, 28, 28], 20 + batch);
    const want = model.apply(params, x as never);
    const [got] = await runOnnx(bytes, [x], ["input"]);
    expect([...got.dims]).toEqual([batch, 10]);
    expect(maxAbsDiff(got.data as Float32Array, want.dataSync())).toBeLessThanOrEqual(1e-5);
    tree.dispose([x, want]);
  }
  tree.dispose(params);
});

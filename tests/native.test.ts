// Native kernels and fused ops (core/native, core/fused.ts): every generated module is in step with
// its C source; a fused op runs its kernel on WASM (eager, jit replay and the static plan) with the
// composite's values, runs the composite on CPU or when switched off, and leaks nothing. Its
// derivatives (orders 1 and 2 against finite differences) are in control-flow.test.ts's `fused` spec.
import { afterEach, describe, expect, test } from "vitest";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { grad, jit, jvp, nativeAvailable, nativeStatus, onesLike, setNativeKernels, vmap, sum, mul } from "../src/core/index.js";
import { exportOnnxFunction } from "../src/io/onnx.js";
import { tensor } from "../src/index.js";
import type { AnyTensor, Tensor } from "../src/tensor/index.js";
import { AXPY_KERNEL, axpy } from "./fixtures/native/axpy.js";
import { expectFlatMemory } from "./primitive-harness.js";

const root = join(import.meta.dirname, "..");

afterEach(() => {
  setNativeKernels(true);
});

function values(n: number, seed: number): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = Math.sin(seed * 7.31 + i * 1.77) * 3;
  return v;
}

const free = (...ts: (AnyTensor | AnyTensor[])[]) => ts.flat().forEach((t) => t.dispose());
const read = (t: AnyTensor) => Array.from(t.concrete().dataSync());

/** Kernel names the engine ran inside `f`. */
async function kernelsRun(f: () => AnyTensor[]): Promise<string[]> {
  const info = await tf.profile(() => f().map((t) => t.concrete()));
  return info.kernelNames;
}

describe("generated modules", () => {
  for (const dir of ["src/core/native", "tests/fixtures/native"]) {
    const sources = readdirSync(join(root, dir)).filter((f) => f.endsWith(".c"));
    test.each(sources)(`${dir}/%s: its .wasm.ts was built from this source (else run src/core/native/build.ts)`, (file) => {
      const generated = readFileSync(join(root, dir, file.replace(/\.c$/, ".wasm.ts")), "utf8");
      const sha = createHash("sha256")
        .update(readFileSync(join(root, dir, file)))
        .digest("hex");
      expect(generated).toContain(`sourceSha256 = "${sha}"`);
    });
  }
});

describe("a fused op on WASM", () => {
  test("the module instantiates on the backend's heap", () => {
    expect(tf.getBackend()).toBe("wasm");
    expect(nativeAvailable(AXPY_KERNEL)).toBe(true);
    expect(nativeStatus().axpy).toBe("ok");
  });

  test.each([0, 1, 3, 4, 7, 1000])("size %i: the kernel runs and gives the composite's values", async (n) => {
    const x = tensor(values(n, 1), [n]);
    const y = tensor(values(n, 2), [n]);
    let native: number[][] = [];
    const names = await kernelsRun(() => {
      const r = axpy(-0.75, x, y);
      native = r.map(read);
      return r;
    });
    expect(names).toContain(AXPY_KERNEL);
    setNativeKernels(false);
    expect(nativeAvailable(AXPY_KERNEL)).toBe(false);
    const composite = axpy(-0.75, x, y);
    expect(await kernelsRun(() => axpy(-0.75, x, y))).not.toContain(AXPY_KERNEL);
    expect(native).toEqual(composite.map(read));
    free(x, y, ...composite);
  });

  test("multi-dimensional shapes; operands the kernel does not take (broadcast) run the composite", async () => {
    const x = tensor(values(12, 3), [3, 4]);
    const y = tensor(values(12, 4), [3, 4]);
    const [s, p] = axpy(2, x, y);
    const want = Array.from(values(12, 3)).map((v, i) => 2 * v + values(12, 4)[i]);
    read(s).forEach((v, i) => expect(v).toBeCloseTo(want[i], 5));
    expect(read(p)[5]).toBeCloseTo(values(12, 3)[5] * values(12, 4)[5], 5);
    const z = tensor(values(4, 5), [4]);
    let broadcast: number[] = [];
    expect(
      await kernelsRun(() => {
        const r = axpy(2, x, z);
        broadcast = read(r[0]);
        return r;
      }),
    ).not.toContain(AXPY_KERNEL);
    broadcast.forEach((v, i) => expect(v).toBeCloseTo(2 * values(12, 3)[i] + values(4, 5)[i % 4], 5));
    free(x, y, z, s, p);
  });

  test("jit: one graph equation, a plan that calls the kernel, the same bytes as eager", () => {
    const f = jit((x: AnyTensor, y: AnyTensor) => axpy(0.5, x, y));
    const x = tensor(values(33, 6), [3, 11]);
    const y = tensor(values(33, 7), [3, 11]);
    const eager = axpy(0.5, x, y).map(read);
    for (let i = 0; i < 3; i++) {
      const r = f(x, y);
      expect(r.map(read)).toEqual(eager);
      free(r);
    }
    expect(f.lastGraph!.eqns.map((e) => e.prim.name)).toEqual(["fused"]);
    expect(f.lastPlan!.steps.map((s) => (s.kind === "call" ? s.name : "equation"))).toEqual([AXPY_KERNEL]);
    f.dispose();
    free(x, y);
  });

  test("grad, jvp and vmap go through the composite and agree with it", () => {
    const x = tensor(values(6, 8), [6]);
    const y = tensor(values(6, 9), [6]);
    const loss = (a: AnyTensor, b: AnyTensor) => {
      const [s, p] = axpy(3, a, b);
      return sum(mul(s, p)) as Tensor<[]>;
    };
    const g = grad(loss, { argnums: [0, 1] })(x, y) as unknown as AnyTensor[];
    // d/dx sum((3x + y) x y) = 3xy + (3x + y) y ; d/dy = xy + (3x + y) x
    const xs = values(6, 8);
    const ys = values(6, 9);
    read(g[0]).forEach((v, i) => expect(v).toBeCloseTo(3 * xs[i] * ys[i] + (3 * xs[i] + ys[i]) * ys[i], 3));
    read(g[1]).forEach((v, i) => expect(v).toBeCloseTo(xs[i] * ys[i] + (3 * xs[i] + ys[i]) * xs[i], 3));
    const [, t] = jvp<[AnyTensor], AnyTensor>((a: AnyTensor) => axpy(3, a, y)[0], [x], [onesLike(x)]);
    expect(read(t)).toEqual(new Array(6).fill(3));
    const batched = vmap((a: AnyTensor, b: AnyTensor) => axpy(3, a, b)[0])(tensor(values(12, 1), [2, 6]), tensor(values(12, 2), [2, 6]));
    read(batched).forEach((v, i) => expect(v).toBeCloseTo(3 * values(12, 1)[i] + values(12, 2)[i], 4));
    free(x, y, ...g, t, batched);
  });

  test("no tensors or heap buffers leak, eager and jitted", () => {
    const x = tensor(values(64, 10), [64]);
    const y = tensor(values(64, 11), [64]);
    const f = jit((a: AnyTensor, b: AnyTensor) => axpy(1, a, b));
    const step = () => {
      free(axpy(1, x, y));
      free(f(x, y));
    };
    expectFlatMemory(step);
    f.dispose();
    free(x, y);
  });

  test("ONNX export writes the composite", () => {
    const x = tensor(values(4, 1), [4]);
    const y = tensor(values(4, 2), [4]);
    const bytes = exportOnnxFunction((a: AnyTensor, b: AnyTensor) => axpy(2, a, b), [x, y]);
    const text = new TextDecoder("latin1").decode(bytes);
    expect(text).toContain("Mul");
    expect(text).toContain("Add");
    expect(text).not.toContain(AXPY_KERNEL);
    free(x, y);
  });
});

test("on the CPU backend the composite runs", async () => {
  const x = tensor(values(5, 1), [5]);
  const y = tensor(values(5, 2), [5]);
  const onWasm = axpy(1.25, x, y).map(read);
  await tf.setBackend("cpu");
  try {
    expect(nativeAvailable(AXPY_KERNEL)).toBe(false);
    expect(nativeStatus().axpy).toBe("the backend is cpu");
    const r = axpy(1.25, x, y);
    expect(await kernelsRun(() => axpy(1.25, x, y))).not.toContain(AXPY_KERNEL);
    r.map(read).forEach((vs, k) => vs.forEach((v, i) => expect(v).toBeCloseTo(onWasm[k][i], 5)));
    free(r);
  } finally {
    await tf.setBackend("wasm");
  }
  free(x, y);
});

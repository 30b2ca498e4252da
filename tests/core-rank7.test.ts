// WASM's binary kernels return garbage above rank 6; the primitives must not.
import { expect, test } from "vitest";
import { add, mul, tensor } from "../src/index.js";

function broadcastRef(a: number[], as: number[], b: number[], bs: number[], f: (x: number, y: number) => number): number[] {
  const out = as.map((d, i) => Math.max(d, bs[i]));
  const n = out.reduce((p, q) => p * q, 1);
  const strides = (s: number[]) => s.map((_, i) => s.slice(i + 1).reduce((p, q) => p * q, 1));
  const [sa, sb, so] = [strides(as), strides(bs), strides(out)];
  const r: number[] = [];
  for (let k = 0; k < n; k++) {
    let ia = 0,
      ib = 0;
    out.forEach((_, i) => {
      const c = Math.floor(k / so[i]) % out[i];
      ia += (as[i] === 1 ? 0 : c) * sa[i];
      ib += (bs[i] === 1 ? 0 : c) * sb[i];
    });
    r.push(f(a[ia], b[ib]));
  }
  return r;
}

test("rank-7 broadcasting add and mul match a plain-JS reference", () => {
  const as = [2, 1, 3, 1, 2, 2, 1],
    bs = [1, 2, 3, 2, 1, 2, 3];
  const a = Array.from({ length: 24 }, (_, i) => i * 0.5 - 3);
  const b = Array.from({ length: 72 }, (_, i) => (i % 7) - 2.5);
  const ta = tensor(a, as),
    tb = tensor(b, bs);
  for (const [op, f] of [
    [add, (x: number, y: number) => x + y],
    [mul, (x: number, y: number) => x * y],
  ] as const) {
    const r = (op as (x: unknown, y: unknown) => { shape: readonly number[]; dataSync(): Float32Array; dispose(): void })(ta, tb);
    expect(r.shape).toEqual([2, 2, 3, 2, 2, 2, 3]);
    const got = Array.from(r.dataSync());
    const want = broadcastRef(a, as, b, bs, f);
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i], 5));
    r.dispose();
  }
  ta.dispose();
  tb.dispose();
});

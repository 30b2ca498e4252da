// einsum: values against a float64 loop over every letter assignment (random sizes for a table of
// subscripts, explicit and implicit), "..." broadcasting, diagonals and traces, gradients against
// finite differences and against the explicit matmul formulation, jit and vmap against eager, and
// the run-time messages (the same text as the compile-time ones in typelevel/einsum.test-d.ts).
import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { tensor, type Tensor, ShapeError, ValueError, DTypeError } from "../src/tensor/index.js";
import { grad, jit, vmap } from "../src/core/index.js";
import { einsum, matmul, mul, sum, transpose, reshape } from "../src/ops/index.js";
import { checkGrads } from "../src/testing/index.js";
import { expectClose, expectNoLeaks, randTensor, size, unravel } from "./ops-helpers.js";

const RUNS = Number(process.env.SHAPEFLOW_PROPERTY_RUNS ?? 10);

/** Float64 einsum over letters only: a loop over every assignment of every letter. */
function reference(sub: string, xs: readonly { shape: readonly number[]; data: readonly number[] }[]): { shape: number[]; data: number[] } {
  const [ins, out] = sub.includes("->") ? sub.split("->") : [sub, undefined];
  const terms = ins.split(",");
  const sizes = new Map<string, number>();
  terms.forEach((t, i) => [...t].forEach((l, k) => sizes.set(l, xs[i].shape[k])));
  const counts = new Map<string, number>();
  terms.forEach((t) => [...t].forEach((l) => counts.set(l, (counts.get(l) ?? 0) + 1)));
  const output =
    out !== undefined
      ? [...out]
      : [...counts]
          .filter(([, n]) => n === 1)
          .map(([l]) => l)
          .sort();
  const letters = [...sizes.keys()];
  const shape = output.map((l) => sizes.get(l)!);
  const data = new Array<number>(size(shape)).fill(0);
  const all = letters.map((l) => sizes.get(l)!);
  for (let f = 0; f < size(all); f++) {
    const at = unravel(f, all);
    const val = (l: string) => at[letters.indexOf(l)];
    let p = 1;
    terms.forEach((t, i) => {
      const idx = [...t].map(val);
      const flat = idx.reduce((acc, v, k) => acc * xs[i].shape[k] + v, 0);
      p *= xs[i].data[flat];
    });
    const o = output.map(val).reduce((acc, v, k) => acc * shape[k] + v, 0);
    data[o] += p;
  }
  return { shape, data };
}

/** Subscripts and how to draw each letter's size. */
const TABLE = [
  "ij,jk->ik",
  "ij,jk",
  "bij,bjk->bik",
  "bhqd,bhkd->bhqk",
  "ij->ji",
  "ij->",
  "ij->j",
  "ba",
  "i,i->",
  "i,j->ij",
  "ij,ij->ij",
  "bi,bi->b",
  "ij,kj->ik",
  "ii->i",
  "ii",
  "iij->j",
  "ij,jk,kl->il",
  "ij,jk,ik->",
  "abc,cd,b->ad",
  "Ab,bC->AC",
  "ij,ji->",
  "i,i,i->i",
];

const anyEinsum = einsum as unknown as (sub: string, ...xs: Tensor<number[]>[]) => Tensor<number[]>;

describe("einsum values", () => {
  test.each(TABLE)("%s matches a float64 loop (random sizes 1..4, and 0)", (sub) => {
    const terms = (sub.includes("->") ? sub.split("->")[0] : sub).split(",");
    const letters = [...new Set(terms.join(""))];
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: letters.length, maxLength: letters.length }),
        fc.integer({ min: 1, max: 1e6 }),
        (dims, seed) => {
          const sizeOfLetter = new Map(letters.map((l, i) => [l, dims[i]]));
          const made = terms.map((t, i) =>
            randTensor(
              [...t].map((l) => sizeOfLetter.get(l)!),
              seed + i,
            ),
          );
          const want = reference(
            sub,
            made.map(([x, v]) => ({ shape: x.shape as number[], data: v })),
          );
          const got = anyEinsum(sub, ...made.map(([x]) => x));
          expect(got.shape).toEqual(want.shape);
          expectClose(got.dataSync(), want.data, 1e-4);
          got.dispose();
          made.forEach(([x]) => x.dispose());
        },
      ),
      { numRuns: RUNS, seed: 3 },
    );
  });

  test('"..." broadcasts leading dims (the same as a broadcasting matmul)', () => {
    const [a] = randTensor([7, 2, 3], 1);
    const [b] = randTensor([3, 4], 2);
    const [c] = randTensor([5, 1, 3, 4], 3);
    expectNoLeaks(() => {
      const e1 = einsum("...ij,...jk->...ik", a, b);
      const m1 = matmul(a, b);
      expect(e1.shape).toEqual([7, 2, 4]);
      expectClose(e1.dataSync(), m1.dataSync());
      const e2 = einsum("...ij,...jk", a, c); // implicit: "..." first
      const m2 = matmul(a, c);
      expect(e2.shape).toEqual([5, 7, 2, 4]);
      expectClose(e2.dataSync(), m2.dataSync());
      const e3 = einsum("...ij->...", a); // sums all but the "..." dims
      const s3 = sum(a, [1, 2]);
      expectClose(e3.dataSync(), s3.dataSync());
      const e4 = einsum("...ij,...jk->ik", a, b); // "..." left out of the output is summed
      const s4 = sum(m1, 0);
      expectClose(e4.dataSync(), s4.dataSync());
      return [e1, m1, e2, m2, e3, e4, s3, s4];
    });
    for (const t of [a, b, c]) t.dispose();
  });

  test("int32 operands give int32", () => {
    const a = tensor([1, 2, 3, 4], [2, 2], "int32");
    expectNoLeaks(() => {
      const e = einsum("ij,jk->ik", a, a);
      expect(e.dtype).toBe("int32");
      expect(Array.from(e.dataSync())).toEqual([7, 10, 15, 22]);
      const t = einsum("ii", a);
      expect(t.item()).toBe(5);
      return [e, t];
    });
    a.dispose();
  });

  test("an identity gives the caller its own tensor", () => {
    const [a] = randTensor([2, 3], 1);
    const e = einsum("ij->ij", a);
    e.dispose();
    expect(a.dataSync().length).toBe(6); // a survives the disposal of e
    a.dispose();
  });
});

describe("einsum derivatives", () => {
  test("gradients match finite differences, to second order", () => {
    const [a] = randTensor([2, 3, 4], 1);
    const [b] = randTensor([2, 4, 3], 2);
    const [m] = randTensor([3, 3], 3);
    checkGrads((x: Tensor<[2, 3, 4]>, y: Tensor<[2, 4, 3]>) => einsum("bij,bjk->bik", x, y), [a, b], { order: 2 });
    checkGrads((x: Tensor<[2, 3, 4]>, y: Tensor<[2, 4, 3]>) => einsum("bij,bji->", x, y), [a, b], { order: 2 });
    checkGrads((x: Tensor<[2, 3, 4]>, y: Tensor<[2, 4, 3]>) => einsum("bij,cjk->bcik", x, y), [a, b], { order: 2 });
    checkGrads((x: Tensor<[3, 3]>) => einsum("ii->i", x), [m], { order: 2 });
    checkGrads((x: Tensor<[3, 3]>) => einsum("ij,jk,ki", x, x, x), [m], { order: 2 });
    checkGrads((x: Tensor<[2, 3, 4]>) => einsum("...jk->k...", x), [a], { order: 2 });
    for (const t of [a, b, m]) t.dispose();
  });

  test("gradients equal those of the explicit matmul formulation", () => {
    const [q] = randTensor([2, 5, 4], 4);
    const [k] = randTensor([2, 6, 4], 5);
    const [w] = randTensor([2, 5, 6], 6);
    const viaEinsum = grad((x: Tensor<[2, 5, 4]>) => sum(mul(einsum("bqd,bkd->bqk", x, k), w)))(q);
    const viaMatmul = grad((x: Tensor<[2, 5, 4]>) => sum(mul(matmul(x, transpose(k, [0, 2, 1])), w)))(q);
    expectClose(viaEinsum.dataSync(), viaMatmul.dataSync(), 1e-5);
    const [a] = randTensor([6, 4], 7);
    const [b] = randTensor([4, 3], 8);
    const g1 = grad((y: Tensor<[4, 3]>) => sum(einsum("ij,jk->ik", a, y)))(b);
    const g2 = grad((y: Tensor<[4, 3]>) => sum(matmul(a, y)))(b);
    expectClose(g1.dataSync(), g2.dataSync(), 1e-5);
    for (const t of [q, k, w, viaEinsum, viaMatmul, a, b, g1, g2]) t.dispose();
  });

  test("jit and vmap agree with eager", () => {
    const [a] = randTensor([3, 4, 5], 1);
    const [b] = randTensor([5, 2], 2);
    const f = (x: Tensor<[3, 4, 5]>) => einsum("bij,jk->bki", x, b);
    const eager = f(a);
    const jf = jit(f);
    const jitted = jf(a);
    const mapped = vmap((x: Tensor<[4, 5]>) => einsum("ij,jk->ki", x, b))(a);
    expectClose(jitted.dataSync(), eager.dataSync());
    expectClose(mapped.dataSync(), eager.dataSync());
    const direct = reshape(transpose(matmul(a, b), [0, 2, 1]), [3, 2, 4]);
    expectClose(direct.dataSync(), eager.dataSync());
    for (const t of [a, b, eager, jitted, mapped, direct]) t.dispose();
    jf.dispose();
  });
});

describe("einsum errors (the compile-time texts, at run time)", () => {
  test.each([
    [
      "bij,bjk->bik",
      [
        [2, 3, 5],
        [2, 6, 4],
      ],
      ShapeError,
      'einsum "bij,bjk->bik": j is 5 in operand 0 but 6 in operand 1',
    ],
    ["ii", [[3, 4]], ShapeError, 'einsum "ii": i is 3 in operand 0 but 4 in operand 0'],
    ["ij,jk->ik", [[2, 3]], ValueError, 'einsum "ij,jk->ik": expects 2 operands, got 1'],
    [
      "ij,jk->ik",
      [
        [2, 3],
        [3, 4, 5],
      ],
      ShapeError,
      'einsum "ij,jk->ik": operand 1 has rank 3 ([3, 4, 5]) but "jk" names 2 dims',
    ],
    ["...ij->ij", [[3]], ShapeError, 'einsum "...ij->ij": operand 0 has rank 1 ([3]) but "...ij" names at least 2 dims'],
    ["ij->ik", [[2, 3]], ValueError, 'einsum "ij->ik": output letter k is not in the inputs'],
    ["ij->ii", [[2, 3]], ValueError, 'einsum "ij->ii": output letter i appears twice'],
    ["i j->ij", [[2, 3]], ValueError, 'einsum "i j->ij": invalid character " " (subscripts are letters, "," "->" and "...")'],
    ["ij->i->j", [[2, 3]], ValueError, 'einsum "ij->i->j": invalid character "-" (subscripts are letters, "," "->" and "...")'],
    ["...i...->i", [[2, 3]], ValueError, 'einsum "...i...->i": "..." appears twice in "...i..."'],
    [
      "...i,...i",
      [
        [2, 3],
        [4, 3],
      ],
      ShapeError,
      'einsum "...i,...i": the dims under "..." do not broadcast (2 vs 4)',
    ],
  ] as const)("%s on %j", (sub, shapes, kind, message) => {
    const xs = shapes.map((s) => randTensor(s, 1)[0]);
    expectNoLeaks(() => {
      expect(() => anyEinsum(sub, ...xs)).toThrow(kind);
      expect(() => anyEinsum(sub, ...xs)).toThrow(message);
    });
    xs.forEach((x) => x.dispose());
  });

  test("operands that are not numeric tensors of one dtype", () => {
    const a = tensor([1, 2], [2]);
    const i = tensor([1, 2], [2], "int32");
    const b = tensor([1, 0], [2], "bool");
    expectNoLeaks(() => {
      expect(() => anyEinsum("i,i", a, i as never)).toThrow(DTypeError);
      expect(() => anyEinsum("i,i", a, i as never)).toThrow(
        "einsum: dtypes differ (float32 in operand 0, int32 in operand 1); cast one first",
      );
      expect(() => anyEinsum("i", b as never)).toThrow("einsum: operand 0 is bool; cast it first");
      expect(() => anyEinsum("i,i", a, [1, 2] as never)).toThrow("einsum: expected a tensor for operand 1, got an array");
      expect(() => anyEinsum(3 as never, a)).toThrow(ValueError);
    });
    for (const t of [a, i, b]) t.dispose();
  });
});

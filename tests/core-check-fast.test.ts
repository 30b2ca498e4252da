// Checks decided on the host as they run (core/checkify.ts: on WASM and CPU a small predicate is read
// outright) against the device flag read after the call (setHostChecks(false)): the same failures
// (op, detail, index, value, count; the first in the order the checks ran), eagerly, under jit and
// checkify, and through a collector with values read alongside; no All kernel on the host path; no
// leaks for passing and failing checks.
import { afterEach, describe, expect, test } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import { add, check, checkify, collectChecks, finiteMask, jit, less, setHostChecks, sum } from "../src/core/index.js";
import { tensor, ValueError, type AnyTensor } from "../src/tensor/index.js";
import * as tree from "../src/tree/index.js";
import { expectFlatMemory } from "./primitive-harness.js";

afterEach(() => {
  setHostChecks(true);
});

/** x + 1, checked: x < limit (entrywise), then the sum checked finite. */
const f = (x: AnyTensor, limit: number) => {
  const a = check(x, less(x, limit), {
    op: "small",
    message: "entry {value} at {position} (index {index}, {count} bad)",
    expected: `< ${limit}`,
  });
  const s = sum(add(a, 1));
  return check(s, finiteMask(s), { op: "finite", message: "the sum is {value}", expected: "finite" });
};

/** What a failure says, as a comparable record. */
const said = (e: unknown) => {
  expect(e).toBeInstanceOf(ValueError);
  const v = e as ValueError;
  return { message: v.message, expected: v.expected, got: v.got };
};

function bothWays<T>(run: () => T): [T, T] {
  const out = [true, false].map((on) => {
    const was = setHostChecks(on);
    try {
      return run();
    } finally {
      setHostChecks(was);
    }
  });
  return [out[0], out[1]];
}

describe("host-decided checks", () => {
  const bad = () => tensor([1, 7, 2, 9, 3, 8], [2, 3]);
  const good = () => tensor([1, 2, 3, 4, 0, -1], [2, 3]);

  test("eager: the same error as the device flag's", () => {
    const x = bad();
    const [h, d] = bothWays(() => {
      try {
        f(x, 5);
      } catch (e) {
        return said(e);
      }
      throw new Error("no failure");
    });
    expect(h).toEqual(d);
    expect(h.message).toBe("small: entry 7 at [0, 1] (index 1, 3 bad)");
    tree.dispose(x);
  });

  test("jit and checkify: the same failure; a pass gives the same value", () => {
    const [x, y] = [bad(), good()];
    const results = bothWays(() => {
      const g = jit((t: AnyTensor) => f(t, 5));
      let thrown: unknown;
      try {
        tree.dispose(g(x));
      } catch (e) {
        thrown = e;
      }
      const [err, out] = checkify(g)(x);
      const [ok, value] = checkify(g)(y);
      const r = { thrown: said(thrown), err: said(err), ok, value: Array.from(value.concrete().dataSync()) };
      tree.dispose([out, value]);
      g.dispose();
      return r;
    });
    expect(results[0]).toEqual(results[1]);
    expect(results[0].ok).toBeUndefined();
    expect(results[0].value).toEqual([15]);
    expect(results[0].err.message).toContain("small: entry 7");
    tree.dispose([x, y]);
  });

  test("a collector reads the first failure in the order the checks ran, and values alongside", () => {
    const [x, nan] = [bad(), tensor([Number.NaN, 1], [2])];
    const results = bothWays(() => {
      const [outs, pending] = collectChecks(() => {
        const a = f(nan, 5); // passes the range check (NaN < 5 is false: fails it), then the sum is NaN
        const b = f(x, 5);
        return [a, b];
      });
      const loss = tensor([2.5], [1]);
      const { failure, values } = pending.read([loss]);
      tree.dispose([outs, loss]);
      return { failure, values };
    });
    expect(results[0]).toEqual(results[1]);
    expect(results[0].values).toEqual([2.5]);
    expect(results[0].failure?.op).toBe("small");
    expect(results[0].failure?.index).toBe(0);
    expect(Number.isNaN(results[0].failure?.value)).toBe(true);
    tree.dispose([x, nan]);
  });

  test("no All kernel on the host path (one per check on the device path)", async () => {
    const x = good();
    const g = jit((t: AnyTensor) => f(t, 50));
    tree.dispose(g(x));
    const kernels = async (on: boolean) => {
      const was = setHostChecks(on);
      try {
        return (await tf.profile(() => void tree.dispose(checkify(g)(x)))).kernels.map((k) => k.name);
      } finally {
        setHostChecks(was);
      }
    };
    expect((await kernels(true)).filter((k) => k === "All")).toEqual([]);
    expect((await kernels(false)).filter((k) => k === "All").length).toBe(2);
    g.dispose();
    tree.dispose(x);
  });

  test("leaves no tensors (nor backend buffers) behind, passing and failing, both ways", () => {
    const [x, y] = [bad(), good()];
    const g = jit((t: AnyTensor) => f(t, 5));
    for (const on of [true, false]) {
      setHostChecks(on);
      expectFlatMemory(() => {
        tree.dispose(checkify(g)(x));
        tree.dispose(checkify(g)(y));
        // eager checks under a collector (tidy frees f's intermediates; the outputs are kept)
        const [outs, pending] = collectChecks(() => tf.tidy(() => [f(x, 5), g(y)].map((o) => o.concrete())));
        pending.read();
        tf.dispose(outs);
        // reported at once (eager, nobody collects); tidy frees what f made before the throw
        expect(() => tf.tidy(() => void f(x, 5))).toThrow(ValueError);
      });
    }
    g.dispose();
    tree.dispose([x, y]);
  });
});

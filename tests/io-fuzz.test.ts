// Fuzzing the checkpoint loader: truncations, bit flips, hostile headers (with and without
// valid checksums, so the checks behind the checksums run too) and non-JSON headers. Every
// input must end in a clear error that names the source and the problem, or, when the bytes
// still form a valid file, in exactly the tensors an independent reading of the spec finds:
// never a crash, a generic JS error, a hang, a leaked tensor or a wrong tensor.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 as zlibCrc32 } from "node:zlib";
import { afterAll, describe, expect, test } from "vitest";
import fc from "fast-check";
import { tensor, liveTensors, tree } from "../src/index.js";
import { io } from "../src/node.js";

const SOURCE = "fuzz.safetensors";
const PREFIX = `io.fromBytes: ${SOURCE}: `;
const GENERIC =
  /Cannot read prop|is not a function|is not iterable|undefined is not|null is not|Maximum call stack|Invalid array length|Invalid typed array|out of memory/i;
const outcomes = new Map<string, number>();
let runs = 0;
let slowest = 0;
afterAll(() => {
  const lines = [...outcomes.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${String(n).padStart(6)}  ${k}`);
  console.log(`io fuzz: ${runs} loads, slowest ${slowest.toFixed(1)} ms; outcomes:\n${lines.join("\n")}`);
});

function base() {
  let s = 12345;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 8 - 4;
  const floats = (n: number) => Float32Array.from({ length: n }, rand);
  return {
    layers: [
      { kernel: tensor(floats(12), [3, 4]), bias: tensor(floats(4), [4]) },
      { kernel: tensor(floats(8), [4, 2]), bias: tensor(floats(2), [2]), empty: tensor([], [0, 3]) },
    ],
    step: tensor([42, -7], [2], "int32"),
    mask: tensor([1, 0, 0, 1, 1], [5], "bool"),
    scale: tensor(1.5, []),
    name: "mlp",
    sizes: [3, 4, 2],
  };
}
const original = base();
const good = io.toBytes(original);
const originalLeaves = tree.leaves(original).map((l) => Array.from(new Uint8Array(l.dataSync().buffer.slice(0))));

const CODES: Record<string, string> = { float32: "F32", int32: "I32", bool: "BOOL" };
const SIZE: Record<string, number> = { F32: 4, I32: 4, BOOL: 1 };

/** The header and data as the spec defines them (an independent reading). */
function specRead(bytes: Uint8Array) {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  return { header, data: bytes.subarray(8 + n) };
}

/** Loads `bytes`; checks the outcome is a clean error or exactly the tensors the file describes. */
function check(bytes: Uint8Array, like?: unknown): void {
  runs++;
  const before = liveTensors();
  const t0 = performance.now();
  let result: unknown;
  try {
    result = io.fromBytes(bytes, like, { source: SOURCE });
  } catch (e) {
    slowest = Math.max(slowest, performance.now() - t0);
    expect(e).toBeInstanceOf(Error);
    const m = (e as Error).message;
    if (!m.startsWith(PREFIX) || GENERIC.test(m)) throw new Error(`unclear error: ${m}`, { cause: e });
    expect(liveTensors()).toBe(before);
    const kind = m
      .slice(PREFIX.length)
      .replace(/"[^"]*"/g, '"…"')
      .replace(/\[[^\]]*\]|\d+/g, "#")
      .replace(/\(.*$/s, "")
      .replace(/:\s*\n.*$/s, "")
      .slice(0, 70);
    outcomes.set(kind, (outcomes.get(kind) ?? 0) + 1);
    return;
  }
  slowest = Math.max(slowest, performance.now() - t0);
  // a success: every leaf is what the header says, byte for byte
  const { header, data } = specRead(bytes);
  const names = tree.paths(result);
  const leaves = tree.leaves(result);
  expect(names.sort()).toEqual(
    Object.keys(header)
      .filter((k) => k !== "__metadata__")
      .sort(),
  );
  tree.paths(result).forEach((name, i) => {
    const entry = header[name];
    const leaf = leaves[i];
    expect(CODES[leaf.dtype]).toBe(entry.dtype);
    expect([...leaf.shape]).toEqual(entry.shape);
    const d = leaf.dataSync();
    expect(Array.from(new Uint8Array(d.buffer, d.byteOffset, d.byteLength))).toEqual(Array.from(data.subarray(...entry.data_offsets)));
  });
  if (like !== undefined) {
    // a typed load returns `like`'s structure, dtypes and shapes, whatever the file says
    expect(tree.structureKey(tree.flatten(result)[1])).toBe(tree.structureKey(tree.flatten(like)[1]));
    expect(leaves.map((l) => [l.dtype, [...l.shape]])).toEqual(tree.leaves(like).map((l) => [l.dtype, [...l.shape]]));
  }
  tree.dispose(result);
  expect(liveTensors()).toBe(before);
  outcomes.set("loaded (a valid file)", (outcomes.get("loaded (a valid file)") ?? 0) + 1);
}

/** A file from a header object and data, with valid checksums when `sign` (zlib's CRC, not io's). */
function build(header: unknown, data: Uint8Array, opts: { sign: boolean; length?: bigint; pad?: number }): Uint8Array {
  const h = header as Record<string, unknown>;
  const meta = h && typeof h === "object" ? (h.__metadata__ as Record<string, unknown> | undefined) : undefined;
  const signable = opts.sign && meta !== null && typeof meta === "object" && !Array.isArray(meta);
  if (signable) {
    meta["shapeflow.data_crc32"] = zlibCrc32(data).toString(16).padStart(8, "0");
    meta["shapeflow.header_crc32"] = "00000000";
  }
  let text = JSON.stringify(header) ?? "";
  text += " ".repeat(opts.pad ?? 0);
  const json = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, opts.length ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  if (signable) {
    const at = text.indexOf(`"shapeflow.header_crc32":"00000000"`);
    if (at >= 0) {
      const pos = 8 + new TextEncoder().encode(text.slice(0, at)).length + `"shapeflow.header_crc32":"`.length;
      const head = out.subarray(0, 8 + json.length);
      out.set(new TextEncoder().encode(zlibCrc32(head).toString(16).padStart(8, "0")), pos);
    }
  }
  return out;
}

const spec = specRead(good);
const names = Object.keys(spec.header).filter((k) => k !== "__metadata__");
type Header = Record<string, unknown> & { __metadata__: Record<string, unknown> };
const clone = (): Header => JSON.parse(JSON.stringify(spec.header)) as Header;
const entry = (h: Header, name: string) => h[name] as Record<string, unknown>;

const junk = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.integer({ min: -5, max: 200 }),
  fc.constantFrom(2 ** 53, 2 ** 64, 1.5, -0.5, 1e308),
  fc.string({ maxLength: 6 }),
  fc.constant([]),
  fc.constant({}),
  fc.constant([1, 2, 3]),
);
const dim = fc.oneof(fc.integer({ min: 0, max: 12 }), junk);
const offset = fc.oneof(fc.integer({ min: 0, max: spec.data.length + 16 }), junk);
const name = fc.constantFrom(...names);

/** Edits that keep the file valid but change what it holds: a typed load must refuse them. */
const plausible: fc.Arbitrary<(h: Header) => void> = fc.oneof(
  name.map((n) => (h: Header) => {
    const e = entry(h, n);
    e.dtype = e.dtype === "F32" ? "I32" : e.dtype === "I32" ? "F32" : e.dtype;
  }),
  fc.tuple(name, fc.boolean()).map(([n, flat]) => (h: Header) => {
    const e = entry(h, n);
    const shape = e.shape as number[];
    e.shape = flat ? [shape.reduce((a, b) => a * b, 1)] : [...shape].reverse();
  }),
  fc.constantFrom("cnn", "mlp ", "").map((v) => (h: Header) => {
    h.__metadata__["shapeflow.structure"] = (h.__metadata__["shapeflow.structure"] as string).replace(
      '"value":"mlp"',
      `"value":${JSON.stringify(v)}`,
    );
  }),
  fc.string({ maxLength: 8 }).map((v) => (h: Header) => void (h.__metadata__.epoch = v)),
);

/** One hostile edit of a header. */
const hostile: fc.Arbitrary<(h: Header) => void> = fc.oneof(
  fc
    .tuple(name, fc.oneof(fc.constantFrom("F32", "I32", "BOOL", "F64", "F16", "BF16", "I64", "U8", "f32", ""), junk))
    .map(([n, d]) => (h: Header) => {
      entry(h, n).dtype = d;
    }),
  fc.tuple(name, fc.oneof(fc.array(dim, { maxLength: 4 }), junk)).map(([n, s]) => (h: Header) => {
    entry(h, n).shape = s;
  }),
  fc.tuple(name, fc.oneof(fc.tuple(offset, offset), fc.array(offset, { maxLength: 3 }), junk)).map(([n, o]) => (h: Header) => {
    entry(h, n).data_offsets = o;
  }),
  fc.tuple(name, name).map(([a, b]) => (h: Header) => {
    const t = entry(h, a).data_offsets;
    entry(h, a).data_offsets = entry(h, b).data_offsets;
    entry(h, b).data_offsets = t;
  }),
  fc.tuple(name, fc.integer({ min: -8, max: 8 })).map(([n, d]) => (h: Header) => {
    const [b, e] = entry(h, n).data_offsets as number[];
    entry(h, n).data_offsets = [b + d, e + d];
  }),
  name.map((n) => (h: Header) => void delete h[n]),
  fc.tuple(name, fc.constantFrom("extra", "layers[9].kernel", "__proto__", "")).map(([n, m]) => (h: Header) => {
    h[m] = JSON.parse(JSON.stringify(h[n])) as unknown;
  }),
  fc.tuple(name, fc.constantFrom("renamed", "layers[0].kernal", "step ")).map(([n, m]) => (h: Header) => {
    h[m] = h[n];
    delete h[n];
  }),
  fc.tuple(name, junk).map(([n, j]) => (h: Header) => {
    h[n] = j;
  }),
  junk.map((j) => (h: Header) => {
    (h as Record<string, unknown>).__metadata__ = j;
  }),
  fc
    .tuple(
      fc.constantFrom("shapeflow.version", "shapeflow.structure", "shapeflow.data_crc32", "shapeflow.header_crc32", "epoch"),
      fc.oneof(junk, fc.constantFrom("2", "1 ", "0")),
    )
    .map(([k, v]) => (h: Header) => {
      if (v === undefined) delete h.__metadata__[k];
      else h.__metadata__[k] = v;
    }),
  fc
    .oneof(
      fc.constant((s: Record<string, unknown>) => void (s.kind = "tree")),
      fc.constant((s: Record<string, unknown>) => void (s.keys as string[]).reverse()),
      fc.constant((s: Record<string, unknown>) => void (s.keys as string[]).pop()),
      fc.constant((s: Record<string, unknown>) => void (s.keys as string[]).push("__proto__")),
      fc.constant((s: Record<string, unknown>) => void (s.children as unknown[]).push({ kind: "leaf" })),
      fc.constant(
        (s: Record<string, unknown>) => void ((s.children as Record<string, unknown>[])[2] = { kind: "static", value: { x: 1 } }),
      ),
      fc.constant((s: Record<string, unknown>) => void ((s.children as Record<string, unknown>[])[2] = { kind: "leaf" })),
      fc.constant((s: Record<string, unknown>) => void ((s.children as Record<string, unknown>[])[3] = { kind: "static", value: "cnn" })),
      fc.constant((s: Record<string, unknown>) => {
        let deep: unknown = { kind: "leaf" };
        for (let i = 0; i < 300; i++) deep = { kind: "array", children: [deep] };
        (s.children as unknown[])[0] = deep;
      }),
      junk.map((j) => (s: Record<string, unknown>) => void (s.children = j)),
    )
    .map((edit) => (h: Header) => {
      const s = JSON.parse(h.__metadata__["shapeflow.structure"] as string) as Record<string, unknown>;
      edit(s);
      h.__metadata__["shapeflow.structure"] = JSON.stringify(s);
    }),
  fc.string({ maxLength: 20 }).map((text) => (h: Header) => void (h.__metadata__["shapeflow.structure"] = text)),
);
const mutation = fc.oneof({ arbitrary: hostile, weight: 3 }, { arbitrary: plausible, weight: 1 });

describe("fuzzing io.fromBytes", () => {
  test("every truncation of a file is a clear error (all prefixes)", () => {
    for (let n = 0; n < good.length; n++) check(good.slice(0, n), original);
    check(good, original);
  });

  test("through a file, io.load and io.loadAsync name the file in every error", async () => {
    const dir = mkdtempSync(join(tmpdir(), "shapeflow-io-fuzz-"));
    try {
      const path = join(dir, "cut.safetensors");
      for (const n of [0, 5, 8, 9, 40, good.length - 1]) {
        writeFileSync(path, good.subarray(0, n));
        expect(() => io.load(path, original)).toThrow(new RegExp(`^io\\.load: ${path.replace(/[.]/g, "\\.")}: \\S`));
        await expect(io.loadAsync(path, original)).rejects.toThrow(`io.loadAsync: ${path}: `);
        expect(() => io.readMetadata(path)).toThrow(`io.readMetadata: ${path}: `);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("bit flips anywhere: a checksum (or a framing check) catches every one", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(good.length - 1), fc.nat(7)), { minLength: 1, maxLength: 8 }), fc.boolean(), (flips, typed) => {
        const bytes = good.slice();
        for (const [i, b] of flips) bytes[i] ^= 1 << b;
        const changed = bytes.some((v, i) => v !== good[i]);
        const before = outcomes.get("loaded (a valid file)") ?? 0;
        check(bytes, typed ? original : undefined);
        if (changed) expect(outcomes.get("loaded (a valid file)") ?? 0).toBe(before);
      }),
      { numRuns: 3000, seed: 11 },
    );
  });

  test("hostile headers, signed with valid checksums or not: a clear error or exactly what the file says", () => {
    fc.assert(
      fc.property(
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        fc.oneof({ arbitrary: fc.constant(true), weight: 4 }, { arbitrary: fc.constant(false), weight: 1 }),
        fc.boolean(),
        fc.oneof(
          { arbitrary: fc.constant(null), weight: 8 },
          { arbitrary: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), weight: 1 },
          { arbitrary: fc.integer({ min: -16, max: 16 }), weight: 1 },
        ),
        fc.nat(9),
        fc.oneof({ arbitrary: fc.constant(0), weight: 8 }, { arbitrary: fc.integer({ min: -6, max: 6 }), weight: 2 }),
        (edits, sign, typed, length, pad, dataDelta) => {
          const h = clone();
          for (const edit of edits) {
            try {
              edit(h);
            } catch {
              // an earlier edit removed what this one edits
            }
          }
          let data = spec.data.slice();
          if (dataDelta < 0) data = data.slice(0, Math.max(0, data.length + dataDelta));
          if (dataDelta > 0) data = Uint8Array.from([...data, ...new Array<number>(dataDelta).fill(7)]);
          const text = JSON.stringify(h) ?? "";
          const natural = BigInt(new TextEncoder().encode(text).length + pad);
          const len = length === null ? undefined : typeof length === "bigint" ? length : natural + BigInt(length);
          check(build(h, data, { sign, length: len !== undefined && len >= 0n ? len : undefined, pad }), typed ? original : undefined);
        },
      ),
      { numRuns: 3000, seed: 12 },
    );
  });

  test("headers that are not JSON, or not an object, or not UTF-8", () => {
    const arbitraryHeader = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.array(fc.integer({ min: 0, max: 0x10ffff }), { maxLength: 40 }).map((cs) => new TextEncoder().encode(String.fromCodePoint(...cs))),
      fc
        .constantFrom("[]", "null", "1", '"x"', "{", '{"a":}', "\uFEFF{}", '{"__metadata__":{}}', "{}")
        .map((s) => new TextEncoder().encode(s)),
    );
    fc.assert(
      fc.property(arbitraryHeader, fc.uint8Array({ maxLength: 16 }), (head, data) => {
        const bytes = new Uint8Array(8 + head.length + data.length);
        new DataView(bytes.buffer).setBigUint64(0, BigInt(head.length), true);
        bytes.set(head, 8);
        bytes.set(data, 8 + head.length);
        check(bytes);
      }),
      { numRuns: 1000, seed: 13 },
    );
  });

  test("the original still loads bit for bit after all that", () => {
    const back = io.fromBytes(good, original);
    expect(tree.leaves(back).map((l) => Array.from(new Uint8Array(l.dataSync().buffer.slice(0))))).toEqual(originalLeaves);
    tree.dispose(back);
  });
});

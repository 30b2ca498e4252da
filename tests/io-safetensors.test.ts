// io: trees to safetensors and back. The format is checked by a parser written here from the
// safetensors spec (not io's own reader), by zlib's CRC-32, and by Python's safetensors when
// python3 has it.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 as zlibCrc32 } from "node:zlib";
import { afterAll, describe, expect, expectTypeOf, test } from "vitest";
import fc from "fast-check";
import { nn, random, tensor, liveTensors, tree, zeros } from "../src/index.js";
import { io } from "../src/node.js";
import { crc32 } from "../src/io/crc32.js";

const dir = mkdtempSync(join(tmpdir(), "shapeflow-io-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Bit patterns of a tensor's values, so -0 and NaN payloads compare exactly. */
function bits(t: {
  dtype: string;
  dataSync(): ArrayLike<number> & { buffer: ArrayBufferLike; byteOffset: number; byteLength: number };
}): number[] {
  const d = t.dataSync();
  return Array.from(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
}

function sample() {
  const nanPayload = new Float32Array(new Uint32Array([0x7fc00001, 0xffffffff, 0x7f800000, 0x00000001]).buffer);
  return {
    layers: [
      { kernel: tensor([0.1, -2.5e-8, 3e30, -0], [2, 2]), bias: tensor([1, 2], [2]) },
      { kernel: tensor(nanPayload, [4, 1]), bias: tensor([], [0]) },
    ],
    step: tensor([7, -2147483648, 2147483647], [3], "int32"),
    mask: tensor([1, 0, 1], [3], "bool"),
    scale: tensor(0.5, []),
    name: "mlp",
    rate: 0.25,
    frozen: false,
    none: null,
  };
}

// ---- an independent reader, from the spec (huggingface/safetensors, "Format")
interface SpecTensor {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}
function specParse(bytes: Uint8Array) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  const headerText = new TextDecoder().decode(bytes.subarray(8, 8 + n));
  expect(headerText.startsWith("{")).toBe(true);
  const header = JSON.parse(headerText) as Record<string, unknown>;
  const metadata = (header.__metadata__ ?? {}) as Record<string, unknown>;
  const tensors = Object.entries(header).filter(([k]) => k !== "__metadata__") as [string, SpecTensor][];
  const data = bytes.subarray(8 + n);
  return { n, header, metadata, tensors, data };
}
const SPEC_BYTES: Record<string, number> = { F32: 4, I32: 4, BOOL: 1 };

describe("the file format", () => {
  test("a saved tree is a valid safetensors file: header, dtypes, shapes, offsets, tree paths as names, string metadata", () => {
    const p = sample();
    const path = join(dir, "format.safetensors");
    io.save(path, p, { metadata: { epoch: "3", note: "ünïcödé" } });
    const bytes = new Uint8Array(readFileSync(path));
    const { n, metadata, tensors, data } = specParse(bytes);
    expect((8 + n) % 8).toBe(0); // the data starts aligned, as the spec recommends
    for (const v of Object.values(metadata)) expect(typeof v).toBe("string");
    expect(metadata).toMatchObject({ epoch: "3", note: "ünïcödé", "shapeflow.version": "1" });
    // every tensor name is a tree path; dtype, shape and bytes match the leaf
    expect(tensors.map(([k]) => k).sort()).toEqual([...tree.paths(p)].sort());
    const byPath = new Map(tree.paths(p).map((path, i) => [path, tree.leaves(p)[i]]));
    for (const [name, t] of tensors) {
      const leaf = byPath.get(name)!;
      expect(t.dtype).toBe({ float32: "F32", int32: "I32", bool: "BOOL" }[leaf.dtype]);
      expect(t.shape).toEqual([...leaf.shape]);
      const [b, e] = t.data_offsets;
      expect(e - b).toBe(leaf.size * SPEC_BYTES[t.dtype]);
      if (SPEC_BYTES[t.dtype] === 4) expect((8 + n + b) % 4).toBe(0);
      expect(Array.from(data.subarray(b, e))).toEqual(bits(leaf));
    }
    // the tensors tile the data section: no overlap, no hole, nothing after
    const spans = tensors.map(([, t]) => t.data_offsets).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let cursor = 0;
    for (const [b, e] of spans) {
      expect(b).toBe(cursor);
      cursor = e;
    }
    expect(cursor).toBe(data.length);
    // both checksums, recomputed with zlib
    expect(metadata["shapeflow.data_crc32"]).toBe(zlibCrc32(data).toString(16).padStart(8, "0"));
    const head = bytes.slice(0, 8 + n);
    const stored = metadata["shapeflow.header_crc32"] as string;
    const text = new TextDecoder().decode(head.subarray(8));
    const at = text.indexOf(`"shapeflow.header_crc32":"${stored}"`) + `"shapeflow.header_crc32":"`.length;
    head.set(new TextEncoder().encode("00000000"), 8 + new TextEncoder().encode(text.slice(0, at)).length);
    expect(stored).toBe(zlibCrc32(head).toString(16).padStart(8, "0"));
    // the structure rebuilds the tree's containers and statics
    const structure = JSON.parse(metadata["shapeflow.structure"] as string) as { kind: string; keys: string[] };
    expect(structure.kind).toBe("object");
    expect(structure.keys).toEqual(["frozen", "layers", "mask", "name", "none", "rate", "scale", "step"]);
    expect(io.readMetadata(path)).toEqual({ epoch: "3", note: "ünïcödé" });
    expect(io.metadataOf(bytes)).toEqual({ epoch: "3", note: "ünïcödé" });
    tree.dispose(p);
  });

  const python = spawnSync("python3", ["-c", "import safetensors.numpy, numpy"], { stdio: "ignore" }).status === 0;
  test.skipIf(!python)("Python's safetensors reads the file: names, dtypes, shapes, values and metadata", () => {
    const p = sample();
    const path = join(dir, "python.safetensors");
    io.save(path, p, { metadata: { epoch: "7" } });
    const script = [
      "import json, sys, zlib",
      "from safetensors import safe_open",
      "from safetensors.numpy import load_file",
      "path = sys.argv[1]",
      "ts = load_file(path)",
      "with safe_open(path, 'np') as f: meta = f.metadata()",
      "raw = open(path, 'rb').read(); n = int.from_bytes(raw[:8], 'little')",
      "out = {k: {'dtype': str(v.dtype), 'shape': list(v.shape), 'bytes': list(v.tobytes())} for k, v in ts.items()}",
      "print(json.dumps({'tensors': out, 'meta': meta, 'crc': '%08x' % zlib.crc32(raw[8 + n:])}))",
    ].join("\n");
    const got = JSON.parse(execFileSync("python3", ["-c", script, path], { encoding: "utf8" })) as {
      tensors: Record<string, { dtype: string; shape: number[]; bytes: number[] }>;
      meta: Record<string, string>;
      crc: string;
    };
    const names = tree.paths(p);
    expect(Object.keys(got.tensors).sort()).toEqual([...names].sort());
    tree.leaves(p).forEach((leaf, i) => {
      const t = got.tensors[names[i]];
      expect(t.dtype).toBe({ float32: "float32", int32: "int32", bool: "bool" }[leaf.dtype]);
      expect(t.shape).toEqual([...leaf.shape]);
      expect(t.bytes).toEqual(bits(leaf));
    });
    expect(got.meta.epoch).toBe("7");
    expect(got.meta["shapeflow.data_crc32"]).toBe(got.crc);
    tree.dispose(p);
  });

  test("crc32 is zlib's CRC-32, at any offset, length and chunking", () => {
    expect(crc32(new TextEncoder().encode("123456789")).toString(16)).toBe("cbf43926");
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(7), fc.nat(300), (raw, skip, cut) => {
        const bytes = raw.subarray(Math.min(skip, raw.length));
        const k = Math.min(cut, bytes.length);
        const whole = crc32(bytes);
        expect(whole).toBe(zlibCrc32(bytes));
        expect(crc32(bytes.subarray(k), crc32(bytes.subarray(0, k)))).toBe(whole);
      }),
      { numRuns: 300 },
    );
  });
});

describe("save and load", () => {
  test("round trip bit for bit: -0, NaN payloads, int32 extremes, bools, scalars, empty tensors, statics; nothing leaked", async () => {
    const before = liveTensors();
    const p = sample();
    const path = join(dir, "roundtrip.safetensors");
    io.save(path, p);
    const back = io.load<typeof p>(path, p);
    await io.saveAsync(join(dir, "roundtrip-async.safetensors"), p);
    const backAsync = await io.loadAsync<typeof p>(join(dir, "roundtrip-async.safetensors"), p);
    const fromBytes = io.fromBytes(io.toBytes(p), p);
    expect(readFileSync(join(dir, "roundtrip-async.safetensors"))).toEqual(readFileSync(path));
    expect(await io.toBytesAsync(p)).toEqual(io.toBytes(p));
    for (const b of [back, backAsync, fromBytes]) {
      expect(tree.leaves(b).map(bits)).toEqual(tree.leaves(p).map(bits));
      expect(tree.leaves(b).map((l) => [l.dtype, [...l.shape]])).toEqual(tree.leaves(p).map((l) => [l.dtype, [...l.shape]]));
      expect([b.name, b.rate, b.frozen, b.none]).toEqual(["mlp", 0.25, false, null]);
    }
    expect(Object.is(back.layers[0].kernel.dataSync()[3], -0)).toBe(true);
    // without `like` the file alone rebuilds the tree
    const untyped = io.load<typeof p>(path);
    expect(tree.leaves(untyped).map(bits)).toEqual(tree.leaves(p).map(bits));
    tree.dispose([p, back, backAsync, fromBytes, untyped]);
    expect(liveTensors()).toBe(before);
  });

  test("trees of every shape: a bare tensor, an empty tree, nested arrays, undefined statics", () => {
    const before = liveTensors();
    for (const t of [tensor([1, 2], [2]), {}, [], [[tensor([3], [1])], { a: undefined, b: [1, "x"] }]] as unknown[]) {
      const back = io.fromBytes(io.toBytes(t), t);
      expect(tree.structureKey(tree.flatten(back)[1])).toBe(tree.structureKey(tree.flatten(t)[1]));
      expect(tree.leaves(back).map(bits)).toEqual(tree.leaves(t).map(bits));
      tree.dispose([back, t]);
    }
    expect(liveTensors()).toBe(before);
  });

  test("saving replaces the file atomically and leaves no temporary file; parent folders are created", () => {
    const sub = join(dir, "deep", "er");
    const path = join(sub, "ckpt.safetensors");
    const a = { w: tensor([1, 2], [2]) };
    const b = { w: tensor([3, 4], [2]) };
    io.save(path, a);
    io.save(path, b);
    expect(readdirSync(sub)).toEqual(["ckpt.safetensors"]);
    const back = io.load(path, a);
    expect(Array.from(back.w.dataSync())).toEqual([3, 4]);
    // a failing save leaves the old file and no temporary file behind
    mkdirSync(join(sub, "folder.safetensors"));
    expect(() => io.save(join(sub, "folder.safetensors"), a)).toThrow(
      new RegExp(`^io\\.save: ${join(sub, "folder.safetensors").replace(/[.]/g, "\\.")}: cannot write the file \\(EISDIR`),
    );
    expect(readdirSync(sub).sort()).toEqual(["ckpt.safetensors", "folder.safetensors"]);
    tree.dispose([a, b, back]);
  });

  test("a missing file names the path and the cause", async () => {
    const path = join(dir, "missing.safetensors");
    expect(() => io.load(path)).toThrow(`io.load: ${path}: cannot read the file (ENOENT: no such file or directory`);
    await expect(io.loadAsync(path)).rejects.toThrow(`io.loadAsync: ${path}: cannot read the file (ENOENT`);
    expect(() => io.readMetadata(path)).toThrow(`io.readMetadata: ${path}: cannot read the file (ENOENT`);
  });

  test("what cannot be saved is refused before anything is written", () => {
    const t = tensor([1], [1]);
    const cases: [unknown, string][] = [
      [{ w: t, f: () => 1 }, "io.toBytes: cannot save a function at f: around its tensors a checkpoint holds only finite numbers"],
      [{ w: t, x: NaN }, "io.toBytes: cannot save NaN at x"],
      [{ w: t, x: [new Date(0)] }, "io.toBytes: cannot save a Date at x[0]"],
      [{ a: { b: t }, "a.b": t }, 'io.toBytes: two leaves have the path "a.b"'],
      [{ __metadata__: t }, 'io.toBytes: a leaf\'s path is "__metadata__"'],
    ];
    for (const [bad, message] of cases) expect(() => io.toBytes(bad)).toThrow(message);
    expect(() => io.toBytes({ t }, { metadata: { epoch: 3 } as unknown as Record<string, string> })).toThrow(
      'io.toBytes: metadata["epoch"] must be a string (safetensors metadata holds strings only), got 3',
    );
    expect(() => io.toBytes({ t }, { metadata: { "shapeflow.version": "9" } })).toThrow(
      'io.toBytes: metadata key "shapeflow.version" is reserved',
    );
    const gone = tensor([1], [1]);
    gone.dispose();
    expect(() => io.save(join(dir, "never.safetensors"), { gone })).toThrow(
      `io.save: ${join(dir, "never.safetensors")}: gone (Tensor<[1], float32>) was disposed`,
    );
    expect(existsSync(join(dir, "never.safetensors"))).toBe(false);
    t.dispose();
  });
});

describe("a checked load", () => {
  test("one error lists every mismatch by path: keys, statics, dtypes (int32 never loads into float32), shapes; nothing leaked", () => {
    const saved = {
      layers: [{ kernel: zeros([2, 2]), bias: zeros([2]) }],
      step: tensor([7], [1], "int32"),
      name: "mlp",
      extra: zeros([1]),
    };
    const path = join(dir, "mismatch.safetensors");
    io.save(path, saved);
    const like = {
      layers: [{ kernel: zeros([4, 1]), bias: zeros([2], "int32") }, { kernel: zeros([1]) }],
      step: zeros([1]),
      name: "cnn",
      lr: zeros([]),
    };
    const before = liveTensors();
    expect(() => io.load(path, like)).toThrow(
      `io.load: ${path}: the file does not match \`like\` (7 mismatches):\n` +
        "  extra: in the file (a tensor) but not in `like`\n" +
        "  layers: an array of 1 in the file, expected 2\n" +
        "  layers[0].bias: float32 in the file, expected int32\n" +
        "  layers[0].kernel: shape [2, 2] in the file, expected [4, 1]\n" +
        "  lr: missing in the file (expected a tensor)\n" +
        '  name: the file has "mlp", expected "cnn"\n' +
        "  step: int32 in the file, expected float32",
    );
    expect(liveTensors()).toBe(before);
    // a tensor where the file has a container, and the reverse
    expect(() => io.load(path, { ...saved, layers: zeros([1]) })).toThrow("layers: the file has an array of 1, expected a tensor");
    expect(() => io.load(path, { ...saved, step: { count: zeros([1]) } })).toThrow(
      "step: the file has a tensor, expected an object with keys {count}",
    );
    expect(liveTensors()).toBe(before + 2);
    tree.dispose([saved, like]);
  });

  test("the old typed-load messages still name the leaf and where structures differ", () => {
    const bytes = io.toBytes({ w: tensor([1, 2, 3, 4], [2, 2]) });
    const like = { w: tensor([1, 2, 3, 4], [4, 1]) };
    expect(() => io.fromBytes(bytes, like)).toThrow(
      "io.fromBytes: the file does not match `like` (1 mismatch):\n  w: shape [2, 2] in the file, expected [4, 1]",
    );
    const other = { v: tensor([1], [1]) };
    expect(() => io.fromBytes(bytes, other, { source: "s3://b/k" })).toThrow(
      "io.fromBytes: s3://b/k: the file does not match `like` (2 mismatches):\n  v: missing in the file (expected a tensor)\n  w: in the file (a tensor) but not in `like`",
    );
    expect(() => io.fromBytes(new TextEncoder().encode("{"), like)).toThrow(
      "io.fromBytes: the file has 1 bytes, too few for a safetensors file",
    );
    tree.dispose([like, other]);
  });

  test("corrupt bytes fail on a checksum, naming the file", () => {
    const p = { w: tensor([1, 2, 3, 4], [4]), name: "mlp" };
    const path = join(dir, "corrupt.safetensors");
    io.save(path, p);
    const good = readFileSync(path);
    const before = liveTensors();
    const data = Buffer.from(good);
    data[data.length - 3] ^= 0x10;
    writeFileSync(path, data);
    expect(() => io.load(path, p)).toThrow(
      new RegExp(
        `^io\\.load: ${path.replace(/[.]/g, "\\.")}: the data's checksum does not match \\(stored [0-9a-f]{8}, computed [0-9a-f]{8}\\): the file is corrupt$`,
      ),
    );
    const head = Buffer.from(good);
    const i = head.indexOf('"mlp');
    head[i + 3] ^= 0x01; // "mlp" -> "mlq": still valid JSON, a static that `like`-less loads would trust
    writeFileSync(path, head);
    expect(() => io.load(path)).toThrow(
      /: the header's checksum does not match \(stored [0-9a-f]{8}, computed [0-9a-f]{8}\): the file is corrupt$/,
    );
    expect(() => io.readMetadata(path)).toThrow(/^io\.readMetadata: .*the header's checksum does not match/);
    expect(liveTensors()).toBe(before);
    tree.dispose(p);
  });

  test("a safetensors file from another tool is named as such", () => {
    const header = new TextEncoder().encode(JSON.stringify({ w: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }));
    const bytes = new Uint8Array(8 + header.length + 4);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
    bytes.set(header, 8);
    expect(() => io.fromBytes(bytes)).toThrow(
      "io.fromBytes: not a shapeflow checkpoint: the header has no __metadata__ (a safetensors file written by another tool?)",
    );
  });
});

describe("with a real model", () => {
  test("the README's checkpoint example: params of a model save and load back typed, bit for bit", () => {
    const model = nn.input(["batch", 6]).add(nn.dense(5)).add(nn.dense(3));
    const params = model.init(random.key(1));
    const path = join(dir, "ckpt", "model.safetensors");
    io.save(path, params, { metadata: { epoch: "3" } }); // atomic
    const fresh = model.init(random.key(0));
    const restored = io.load(path, fresh); // checked, typed
    expectTypeOf(restored).toEqualTypeOf<typeof params>();
    expect(tree.leaves(restored).map(bits)).toEqual(tree.leaves(params).map(bits));
    expect(io.readMetadata(path)).toEqual({ epoch: "3" });
    tree.dispose([params, fresh, restored]);
  });
});

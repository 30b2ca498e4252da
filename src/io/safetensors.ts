// Trees to safetensors bytes and back, every byte checked on the way in. Platform-neutral: typed
// arrays, TextEncoder/TextDecoder, no Node APIs (files.ts does the file system).
//
// The layout, as the safetensors spec (huggingface/safetensors, "Format") has it:
//   8 bytes  N, the header's length: unsigned 64-bit little-endian
//   N bytes  a UTF-8 JSON object, here padded with spaces so the data starts 8-byte aligned:
//            { "__metadata__": { string: string },
//              "<tensor name>": { "dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end] }, ... }
//   the rest the tensors' bytes, little-endian, row-major, back to back; offsets count from here
// shapeflow names each tensor by its tree path (`layers[0].kernel`) and keeps in `__metadata__`:
//   shapeflow.version        "1", the version of this layout
//   shapeflow.structure      the tree's structure (tree's TreeDef as JSON: containers, keys, statics)
//   shapeflow.data_crc32     CRC-32 of the data section (= zlib.crc32 of the bytes after the header)
//   shapeflow.header_crc32   CRC-32 of the first 8 + N bytes as written with this value "00000000"
// plus the caller's own metadata (any other keys).
import { tensor, formatShape, type AnyTensor, type DType, ValueError } from "../tensor/index.js";
import { flatten, unflatten, type TreeDef } from "../tree/index.js";
import { crc32, crcHex, LITTLE_ENDIAN } from "./crc32.js";

/** The version of shapeflow's layout inside safetensors, stored as `shapeflow.version`. */
export const FORMAT_VERSION = "1";
/** The largest header a reader accepts (the limit of the reference implementation). */
export const MAX_HEADER_BYTES = 100_000_000;

const KEY = {
  version: "shapeflow.version",
  structure: "shapeflow.structure",
  dataCrc: "shapeflow.data_crc32",
  headerCrc: "shapeflow.header_crc32",
} as const;
const RESERVED = "shapeflow.";
const PLACEHOLDER = "00000000";
const MAX_DEPTH = 256;
const MAX_LISTED = 50;

type Code = "F32" | "I32" | "BOOL";
type LeafData = Float32Array | Int32Array | Uint8Array;
const CODE: Record<DType, Code> = { float32: "F32", int32: "I32", bool: "BOOL" };
const DTYPE: Record<Code, DType> = { F32: "float32", I32: "int32", BOOL: "bool" };
const ITEM_BYTES: Record<Code, number> = { F32: 4, I32: 4, BOOL: 1 };

/** Options of `save`, `saveAsync`, `toBytes` and `toBytesAsync`: `io.save(path, params, { metadata: { epoch: "3" } })`. */
export interface SaveOptions {
  /** Strings kept in the header's `__metadata__` (keys starting with "shapeflow." are reserved). */
  metadata?: Readonly<Record<string, string>>;
}

/** Options of `fromBytes(bytes, like, { source })`. */
export interface FromBytesOptions {
  /** Where the bytes came from (a path or URL), named in every error. */
  source?: string;
}

/** Which call is at work and on what: the start of every error message. */
export interface Where {
  op: string;
  source?: string;
}

function fail(where: Where, problem: string): Error {
  return new ValueError(
    { op: where.op, expected: `a well-formed safetensors file`, got: problem },
    where.source === undefined ? `${where.op}: ${problem}` : `${where.op}: ${where.source}: ${problem}`,
  );
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** A value as a reader sees it in a message: short JSON, or its kind. */
function show(x: unknown): string {
  if (x === undefined) return "undefined";
  if (typeof x === "function") return "a function";
  if (typeof x === "number" && !Number.isFinite(x)) return String(x);
  if (typeof x === "bigint") return `${x}n`;
  let s: string | undefined;
  try {
    s = JSON.stringify(x);
  } catch {
    s = undefined;
  }
  if (s === undefined) return typeof x;
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function at(path: string): string {
  return path || "the root";
}

// ---------------------------------------------------------------------------------------------
// Paths and structures

/** Each leaf's path in `flatten` order, spelled as `tree.paths` spells it (`layers[0].kernel`). */
function leafNames(def: TreeDef): string[] {
  const out: string[] = [];
  const walk = (d: TreeDef, path: string): void => {
    if (d.kind === "leaf") out.push(path || "(root)");
    else if (d.kind === "array") d.children.forEach((c, i) => walk(c, `${path}[${i}]`));
    else if (d.kind === "object") d.keys.forEach((k, i) => walk(d.children[i], path ? `${path}.${k}` : k));
  };
  walk(def, "");
  return out;
}

function leafCount(def: TreeDef): number {
  if (def.kind === "leaf") return 1;
  if (def.kind === "static") return 0;
  let n = 0;
  for (const c of def.children) n += leafCount(c);
  return n;
}

/** Statics a checkpoint can hold: what JSON brings back unchanged. */
function storable(v: unknown): boolean {
  if (v === null || v === undefined || typeof v === "boolean" || typeof v === "string") return true;
  return typeof v === "number" && Number.isFinite(v) && !Object.is(v, -0);
}

function checkSavable(def: TreeDef, path: string, where: Where): void {
  if (def.kind === "static" && !storable(def.value)) {
    const v = def.value;
    const what = typeof v === "object" ? `a ${Object.getPrototypeOf(v)?.constructor?.name ?? "object"}` : show(v);
    throw fail(
      where,
      `cannot save ${what} at ${at(path)}: around its tensors a checkpoint holds only finite numbers, strings, booleans, null and undefined`,
    );
  }
  if (def.kind === "array") def.children.forEach((c, i) => checkSavable(c, `${path}[${i}]`, where));
  if (def.kind === "object") {
    def.keys.forEach((k, i) => {
      if (k === "__proto__") throw fail(where, `cannot save the key "__proto__" at ${at(path)}: a plain object cannot hold it as data`);
      checkSavable(def.children[i], path ? `${path}.${k}` : k, where);
    });
  }
}

/** A structure read from a file, checked node by node (the file may be hostile). */
function readStructure(text: string, where: Where): TreeDef {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw fail(where, `"${KEY.structure}" is not valid JSON (${(e as Error).message})`);
  }
  const bad = (path: string, problem: string): Error => fail(where, `"${KEY.structure}" at ${at(path)}: ${problem}`);
  const read = (x: unknown, path: string, depth: number): TreeDef => {
    if (depth > MAX_DEPTH) throw bad(path, `nests deeper than ${MAX_DEPTH} levels`);
    if (!isRecord(x)) throw bad(path, `expected a node object, got ${show(x)}`);
    switch (x.kind) {
      case "leaf":
        return { kind: "leaf" };
      case "static":
        if (!storable(x.value)) throw bad(path, `a static value must be a finite number, string, boolean or null, got ${show(x.value)}`);
        return { kind: "static", value: x.value };
      case "array": {
        if (!Array.isArray(x.children)) throw bad(path, `an array node needs "children", got ${show(x.children)}`);
        const children: unknown[] = x.children;
        return { kind: "array", children: children.map((c, i) => read(c, `${path}[${i}]`, depth + 1)) };
      }
      case "object": {
        const { keys, children } = x;
        if (!Array.isArray(keys) || !keys.every((k): k is string => typeof k === "string")) {
          throw bad(path, `an object node needs "keys" (strings), got ${show(keys)}`);
        }
        if (!Array.isArray(children) || children.length !== keys.length) {
          throw bad(path, `an object node needs one child per key (${keys.length}), got ${show(children)}`);
        }
        keys.forEach((k, i) => {
          // NOTE: leaves are stored in sorted-key order (flatten's), so unsorted keys would pair data with the wrong leaf
          if (i > 0 && !(keys[i - 1] < k)) throw bad(path, `keys must be sorted and distinct, got ${show(keys[i - 1])} before ${show(k)}`);
          if (k === "__proto__") throw bad(path, `the key "__proto__" cannot be rebuilt as data`);
        });
        return {
          kind: "object",
          keys,
          children: (children as unknown[]).map((c, i) => read(c, path ? `${path}.${keys[i]}` : keys[i], depth + 1)),
        };
      }
      default:
        throw bad(path, `unknown node kind ${show(x.kind)}`);
    }
  };
  return read(raw, "", 0);
}

// ---------------------------------------------------------------------------------------------
// Writing

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

interface Plan {
  leaves: AnyTensor[];
  names: string[];
  structure: string;
  metadata: Record<string, string>;
}

function checkMetadata(metadata: unknown, where: Where): Record<string, string> {
  if (metadata === undefined) return {};
  if (!isRecord(metadata)) throw fail(where, `metadata must be an object of strings, got ${show(metadata)}`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== "string")
      throw fail(where, `metadata["${k}"] must be a string (safetensors metadata holds strings only), got ${show(v)}`);
    if (k.startsWith(RESERVED) || k === "__proto__")
      throw fail(where, `metadata key "${k}" is reserved (shapeflow's own keys start with "${RESERVED}")`);
    out[k] = v;
  }
  return out;
}

/** Everything about a save that can be known before reading a byte of tensor data. */
function plan(tree: unknown, options: SaveOptions, where: Where): Plan {
  if (!LITTLE_ENDIAN) throw fail(where, "safetensors files are little-endian and this host is big-endian");
  const [leaves, def] = flatten(tree);
  checkSavable(def, "", where);
  const names = leafNames(def);
  const seen = new Set<string>();
  for (const name of names) {
    if (name === "__metadata__") throw fail(where, `a leaf's path is "__metadata__", the one name safetensors reserves; rename that key`);
    if (seen.has(name))
      throw fail(where, `two leaves have the path "${name}" (a key holding "." or "[" looks like a nested one); rename one`);
    seen.add(name);
  }
  leaves.forEach((l, i) => {
    if (l.isDisposed) throw fail(where, `${names[i]} (${l.toString()}) was disposed before it could be saved`);
  });
  return { leaves, names, structure: JSON.stringify(def), metadata: checkMetadata(options.metadata, where) };
}

function viewBytes(d: LeafData): Uint8Array {
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

function indexOf(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  const first = needle[0];
  outer: for (let i = hay.indexOf(first, from); i >= 0 && i + needle.length <= hay.length; i = hay.indexOf(first, i + 1)) {
    for (let j = 1; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Where the header checksum's 8 hex digits sit in the first 8 + N bytes, or a reason there is no one place. */
function headerCrcDigits(head: Uint8Array, value: string): number | string {
  const key = encoder.encode(`"${KEY.headerCrc}":"`);
  const needle = new Uint8Array(key.length + 9);
  needle.set(key);
  needle.set(encoder.encode(`${value}"`), key.length);
  const i = indexOf(head, needle, 8);
  if (i < 0) return `"${KEY.headerCrc}" is not written as "${KEY.headerCrc}":"${value}" (a header rewritten by another tool?)`;
  if (indexOf(head, needle, i + 1) >= 0) return `"${KEY.headerCrc}":"${value}" appears more than once in the header`;
  return i + key.length;
}

/** The file's pieces: the 8-byte length and header, then each leaf's bytes (views, not copies). */
function assemble(p: Plan, data: readonly LeafData[], where: Where): Uint8Array[] {
  const header: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  let dataCrc = 0;
  const entries: [string, unknown][] = [];
  // NOTE: wider dtypes first, so every F32/I32 tensor starts 4-byte aligned in the file (the
  // header ends 8-byte aligned) and readers that map the file can view it in place
  const order = p.leaves
    .map((_, i) => i)
    .sort((a, b) => ITEM_BYTES[CODE[p.leaves[b].dtype]] - ITEM_BYTES[CODE[p.leaves[a].dtype]] || a - b);
  for (const i of order) {
    const leaf = p.leaves[i];
    const bytes = viewBytes(data[i]);
    const code = CODE[leaf.dtype];
    if (bytes.byteLength !== leaf.size * ITEM_BYTES[code]) {
      throw fail(where, `${p.names[i]}: the backend returned ${bytes.byteLength} bytes for ${leaf.toString()}`);
    }
    entries.push([p.names[i], { dtype: code, shape: [...leaf.shape], data_offsets: [offset, offset + bytes.byteLength] }]);
    offset += bytes.byteLength;
    dataCrc = crc32(bytes, dataCrc);
    chunks.push(bytes);
  }
  header.__metadata__ = {
    [KEY.headerCrc]: PLACEHOLDER,
    [KEY.version]: FORMAT_VERSION,
    [KEY.dataCrc]: crcHex(dataCrc),
    ...p.metadata,
    [KEY.structure]: p.structure,
  };
  for (const [name, entry] of entries) header[name] = entry;
  const json = encoder.encode(JSON.stringify(header));
  const padded = json.length + ((8 - (json.length % 8)) % 8);
  if (padded > MAX_HEADER_BYTES) throw fail(where, `the header would take ${padded} bytes, over safetensors' limit of ${MAX_HEADER_BYTES}`);
  const head = new Uint8Array(8 + padded).fill(0x20);
  new DataView(head.buffer).setBigUint64(0, BigInt(padded), true);
  head.set(json, 8);
  const digits = headerCrcDigits(head, PLACEHOLDER);
  if (typeof digits === "string") throw fail(where, digits);
  head.set(encoder.encode(crcHex(crc32(head))), digits);
  return [head, ...chunks];
}

/** The file's pieces for `tree`, reading each leaf with `dataSync`. */
export function encodeSync(tree: unknown, options: SaveOptions, where: Where): Uint8Array[] {
  const p = plan(tree, options, where);
  return assemble(
    p,
    p.leaves.map((l) => l.dataSync()),
    where,
  );
}

/** The file's pieces for `tree`, reading each leaf with `await data()` (no blocking read on GPU backends). */
export async function encodeAsync(tree: unknown, options: SaveOptions, where: Where): Promise<Uint8Array[]> {
  const p = plan(tree, options, where);
  const data: LeafData[] = [];
  for (const l of p.leaves) data.push(await l.data());
  return assemble(p, data, where);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const part of parts) n += part.byteLength;
  const out = new Uint8Array(n);
  let o = 0;
  for (const part of parts) {
    out.set(part, o);
    o += part.byteLength;
  }
  return out;
}

/**
 * A tree as the bytes of a safetensors file (what `io.save` writes), for a browser download, a
 * network upload or any store that is not a local file.
 * ```ts
 * const bytes = io.toBytes(params, { metadata: { epoch: "3" } });   // Uint8Array
 * const back = io.fromBytes(bytes, params);                          // same tree, checked
 * ```
 */
export function toBytes(tree: unknown, options: SaveOptions = {}): Uint8Array {
  return concat(encodeSync(tree, options, { op: "io.toBytes" }));
}

/** `toBytes` reading the tensors asynchronously (`await t.data()`), as GPU backends prefer. */
export async function toBytesAsync(tree: unknown, options: SaveOptions = {}): Promise<Uint8Array> {
  return concat(await encodeAsync(tree, options, { op: "io.toBytesAsync" }));
}

// ---------------------------------------------------------------------------------------------
// Reading

interface Entry {
  name: string;
  code: Code;
  shape: number[];
  begin: number;
  end: number;
}

export interface Header {
  /** 8 + N: where the data section starts. */
  dataStart: number;
  dataLength: number;
  entries: Map<string, Entry>;
  structure: string;
  dataCrc: string;
  /** The caller's metadata (keys not starting with "shapeflow."). */
  metadata: Record<string, string>;
}

/** N, the header's length, from a file's first 8 bytes; `fileSize` bounds it. */
export function headerLength(first: Uint8Array, fileSize: number, where: Where): number {
  if (fileSize < 8 || first.length < 8) {
    throw fail(where, `the file has ${fileSize} bytes, too few for a safetensors file (it starts with an 8-byte header length)`);
  }
  const n = new DataView(first.buffer, first.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw fail(
      where,
      `the header length field says ${n} bytes, over safetensors' limit of ${MAX_HEADER_BYTES} (not a safetensors file, or a corrupt one)`,
    );
  }
  const len = Number(n);
  if (8 + len > fileSize)
    throw fail(where, `the header length field says ${len} bytes, but only ${fileSize - 8} follow it (a truncated file?)`);
  if (len < 2) throw fail(where, `the header length field says ${len} bytes, too few for a JSON object`);
  return len;
}

function readEntry(name: string, e: unknown, dataLength: number, where: Where): Entry {
  const t = `tensor "${name}"`;
  if (!isRecord(e)) throw fail(where, `${t}: expected { dtype, shape, data_offsets }, got ${show(e)}`);
  const { dtype, shape, data_offsets: offsets } = e;
  if (typeof dtype !== "string") throw fail(where, `${t}: dtype must be a string, got ${show(dtype)}`);
  if (dtype !== "F32" && dtype !== "I32" && dtype !== "BOOL")
    throw fail(where, `${t}: dtype ${show(dtype)} is not one shapeflow reads (F32, I32, BOOL)`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw fail(where, `${t}: shape must be an array of non-negative integers, got ${show(shape)}`);
  }
  const dims = shape as number[];
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
    (offsets[0] as number) > (offsets[1] as number)
  ) {
    throw fail(where, `${t}: data_offsets must be [begin, end] with 0 <= begin <= end, got ${show(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end > dataLength) {
    throw fail(
      where,
      `${t}: data_offsets [${begin}, ${end}] run past the end of the data section (${dataLength} bytes; a truncated file?)`,
    );
  }
  // NOTE: stop multiplying once past the data size: hostile dims would overflow 2^53
  let bytes = dims.includes(0) ? 0 : ITEM_BYTES[dtype];
  for (const d of dims) if (bytes <= dataLength) bytes *= d;
  if (bytes !== end - begin) {
    const need = bytes > dataLength ? `more than the ${dataLength} bytes of data` : `${bytes} bytes`;
    throw fail(
      where,
      `${t}: shape ${formatShape(dims)} of ${dtype} takes ${need}, but data_offsets [${begin}, ${end}] span ${end - begin}`,
    );
  }
  return { name, code: dtype, shape: dims, begin, end };
}

/** Tensors must tile the data section exactly: no overlaps, no holes, nothing after (the spec's rule). */
function checkLayout(entries: Entry[], dataLength: number, where: Where): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let prev: Entry | undefined;
  for (const e of sorted) {
    if (e.begin < cursor && prev) {
      throw fail(
        where,
        `tensors "${prev.name}" and "${e.name}" overlap (data_offsets [${prev.begin}, ${prev.end}] and [${e.begin}, ${e.end}])`,
      );
    }
    if (e.begin > cursor) throw fail(where, `data bytes ${cursor}..${e.begin} belong to no tensor (a hole before "${e.name}")`);
    cursor = e.end;
    prev = e;
  }
  if (cursor !== dataLength)
    throw fail(where, `the data section has ${dataLength} bytes but its tensors cover ${cursor} (bytes left over)`);
}

/**
 * The checked header of a file whose first bytes are `head` (at least 8 + N of them) and whose
 * size is `fileSize`. Checks the framing, the JSON, the metadata, the header checksum and the
 * tensors' layout; not the data.
 */
export function parseHeader(head: Uint8Array, fileSize: number, where: Where): Header {
  const n = headerLength(head, fileSize, where);
  if (head.length < 8 + n) throw fail(where, `needs the first ${8 + n} bytes of the file, got ${head.length}`);
  let text: string;
  try {
    text = decoder.decode(head.subarray(8, 8 + n));
  } catch {
    throw fail(where, "the header is not valid UTF-8 (a corrupt file?)");
  }
  if (!text.startsWith("{"))
    throw fail(where, `the header must be a JSON object but starts with ${show(text.slice(0, 12))}: not a safetensors file`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw fail(where, `the header is not valid JSON (${(e as Error).message})`);
  }
  if (!isRecord(parsed)) throw fail(where, `the header must be a JSON object, got ${show(parsed)}`);
  const meta = Object.hasOwn(parsed, "__metadata__") ? parsed.__metadata__ : undefined;
  if (meta === undefined)
    throw fail(where, "not a shapeflow checkpoint: the header has no __metadata__ (a safetensors file written by another tool?)");
  if (!isRecord(meta)) throw fail(where, `__metadata__ must be an object of strings, got ${show(meta)}`);
  for (const [k, v] of Object.entries(meta)) {
    if (typeof v !== "string")
      throw fail(where, `__metadata__["${k}"] must be a string (safetensors metadata holds strings only), got ${show(v)}`);
  }
  const strings = meta as Record<string, string>;
  const version = Object.hasOwn(strings, KEY.version) ? strings[KEY.version] : undefined;
  if (version === undefined) {
    throw fail(where, `not a shapeflow checkpoint: __metadata__ has no "${KEY.version}" (a safetensors file written by another tool?)`);
  }
  if (version !== FORMAT_VERSION) throw fail(where, `format version ${show(version)}; this shapeflow reads version ${FORMAT_VERSION}`);
  for (const key of [KEY.headerCrc, KEY.dataCrc]) {
    const v = Object.hasOwn(strings, key) ? strings[key] : undefined;
    if (v === undefined || !/^[0-9a-f]{8}$/.test(v)) throw fail(where, `"${key}" must be 8 lowercase hex digits, got ${show(v)}`);
  }
  const stored = strings[KEY.headerCrc];
  const digits = headerCrcDigits(head.subarray(0, 8 + n), stored);
  if (typeof digits === "string") throw fail(where, digits);
  const copy = new Uint8Array(head.subarray(0, 8 + n)); // never write into the caller's bytes
  copy.set(encoder.encode(PLACEHOLDER), digits);
  const computed = crcHex(crc32(copy));
  if (computed !== stored)
    throw fail(where, `the header's checksum does not match (stored ${stored}, computed ${computed}): the file is corrupt`);
  // From here on the header is as its writer wrote it; a hostile writer can still lie, so check on.
  const structure = Object.hasOwn(strings, KEY.structure) ? strings[KEY.structure] : undefined;
  if (structure === undefined) throw fail(where, `__metadata__ has no "${KEY.structure}"`);
  const dataLength = fileSize - 8 - n;
  const entries = new Map<string, Entry>();
  for (const [name, e] of Object.entries(parsed)) if (name !== "__metadata__") entries.set(name, readEntry(name, e, dataLength, where));
  checkLayout([...entries.values()], dataLength, where);
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(strings)) if (!k.startsWith(RESERVED)) metadata[k] = v;
  return { dataStart: 8 + n, dataLength, entries, structure, dataCrc: strings[KEY.dataCrc], metadata };
}

function describe(def: TreeDef): string {
  switch (def.kind) {
    case "leaf":
      return "a tensor";
    case "static":
      return show(def.value);
    case "array":
      return `an array of ${def.children.length}`;
    case "object":
      return `an object with keys {${def.keys.join(", ").slice(0, 60)}}`;
  }
}

/** Every difference between `like` and the file, by path: structure, statics, dtypes, shapes. */
function mismatches(like: unknown, saved: TreeDef, names: readonly string[], entries: Map<string, Entry>): string[] {
  const [want, expected] = flatten(like);
  const out: string[] = [];
  let ie = 0;
  let is = 0;
  const walk = (e: TreeDef, s: TreeDef, path: string): void => {
    const here = path || "(root)";
    if (e.kind === "leaf" && s.kind === "leaf") {
      const w = want[ie++];
      const got = entries.get(names[is++]) as Entry;
      const dtype = DTYPE[got.code];
      if (dtype !== w.dtype) out.push(`${here}: ${dtype} in the file, expected ${w.dtype}`);
      if (got.shape.length !== w.shape.length || got.shape.some((d, i) => d !== w.shape[i])) {
        out.push(`${here}: shape ${formatShape(got.shape)} in the file, expected ${formatShape(w.shape)}`);
      }
      return;
    }
    if (e.kind !== s.kind) {
      out.push(`${here}: the file has ${describe(s)}, expected ${describe(e)}`);
      ie += leafCount(e);
      is += leafCount(s);
      return;
    }
    if (e.kind === "static" && s.kind === "static") {
      if (!Object.is(e.value, s.value)) out.push(`${here}: the file has ${show(s.value)}, expected ${show(e.value)}`);
      return;
    }
    if (e.kind === "array" && s.kind === "array") {
      const n = Math.min(e.children.length, s.children.length);
      if (e.children.length !== s.children.length)
        out.push(`${here}: an array of ${s.children.length} in the file, expected ${e.children.length}`);
      for (let i = 0; i < n; i++) walk(e.children[i], s.children[i], `${path}[${i}]`);
      for (let i = n; i < e.children.length; i++) ie += leafCount(e.children[i]);
      for (let i = n; i < s.children.length; i++) is += leafCount(s.children[i]);
      return;
    }
    if (e.kind === "object" && s.kind === "object") {
      // NOTE: each side's leaves come in its own sorted-key order; the sorted union keeps both orders
      const keys = [...new Set([...e.keys, ...s.keys])].sort();
      for (const k of keys) {
        const child = path ? `${path}.${k}` : k;
        const ei = e.keys.indexOf(k);
        const si = s.keys.indexOf(k);
        if (ei >= 0 && si >= 0) walk(e.children[ei], s.children[si], child);
        else if (ei >= 0) {
          out.push(`${child}: missing in the file (expected ${describe(e.children[ei])})`);
          ie += leafCount(e.children[ei]);
        } else {
          out.push(`${child}: in the file (${describe(s.children[si])}) but not in \`like\``);
          is += leafCount(s.children[si]);
        }
      }
    }
  };
  walk(expected, saved, "");
  return out;
}

function copyData(bytes: Uint8Array, code: Code): LeafData {
  // NOTE: a copy that owns its (aligned) buffer: a view would pin the whole file, and a Node
  // Buffer's slice() is a view, hence the constructor
  const own = new Uint8Array(bytes);
  if (code === "F32") return new Float32Array(own.buffer);
  if (code === "I32") return new Int32Array(own.buffer);
  return own;
}

/** A tree from safetensors bytes, checked in full before the first tensor is made. */
export function decode<T>(bytes: Uint8Array, like: T | undefined, where: Where): T {
  if (!(bytes instanceof Uint8Array)) throw fail(where, `expected the file's bytes as a Uint8Array, got ${show(bytes)}`);
  const header = parseHeader(bytes, bytes.length, where);
  const def = readStructure(header.structure, where);
  const names = leafNames(def);
  const unplaced = new Set(header.entries.keys());
  for (const name of names) {
    if (!unplaced.delete(name)) {
      const problem = header.entries.has(name) ? `places two leaves at "${name}"` : `has a leaf "${name}" that the header does not list`;
      throw fail(where, `the structure ${problem}`);
    }
  }
  if (unplaced.size > 0)
    throw fail(where, `the header lists tensors the structure does not place: ${[...unplaced].slice(0, 5).map(show).join(", ")}`);
  const data = bytes.subarray(header.dataStart);
  const computed = crcHex(crc32(data));
  if (computed !== header.dataCrc) {
    throw fail(where, `the data's checksum does not match (stored ${header.dataCrc}, computed ${computed}): the file is corrupt`);
  }
  if (like !== undefined) {
    const found = mismatches(like, def, names, header.entries);
    if (found.length > 0) {
      const listed = found.slice(0, MAX_LISTED).map((m) => `\n  ${m}`);
      const more = found.length > MAX_LISTED ? `\n  ... and ${found.length - MAX_LISTED} more` : "";
      throw fail(
        where,
        `the file does not match \`like\` (${found.length} mismatch${found.length === 1 ? "" : "es"}):${listed.join("")}${more}`,
      );
    }
  }
  for (const name of names) {
    const e = header.entries.get(name) as Entry;
    if (e.code !== "BOOL") continue;
    const i = data.subarray(e.begin, e.end).findIndex((b) => b > 1);
    if (i >= 0) throw fail(where, `tensor "${name}": BOOL element ${i} is ${data[e.begin + i]}, not 0 or 1`);
  }
  const made: AnyTensor[] = [];
  try {
    for (const name of names) {
      const e = header.entries.get(name) as Entry;
      made.push(tensor(copyData(data.subarray(e.begin, e.end), e.code), e.shape, DTYPE[e.code]));
    }
    return unflatten<T>(def, made);
  } catch (err) {
    for (const t of made) t.dispose();
    throw fail(where, `could not rebuild the tree: ${(err as Error).message}`);
  }
}

/**
 * A tree from the bytes of a safetensors file written by `io.save` or `io.toBytes`. With `like`,
 * every key, static value, dtype and shape must match it, and one error lists each mismatch by
 * path. Checksums catch corrupt bytes; on any error no tensor is left allocated.
 * ```ts
 * const params = io.fromBytes(new Uint8Array(await (await fetch(url)).arrayBuffer()), like, { source: url });
 * ```
 */
export function fromBytes<T>(bytes: Uint8Array, like?: T, options: FromBytesOptions = {}): T {
  return decode(bytes, like, { op: "io.fromBytes", source: options.source });
}

/** The metadata a file was saved with (`{ metadata }`; not shapeflow's own keys), from its header alone. */
export function metadataOf(bytes: Uint8Array, options: FromBytesOptions = {}): Record<string, string> {
  return parseHeader(bytes, bytes.length, { op: "io.metadataOf", source: options.source }).metadata;
}

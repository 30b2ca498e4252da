// Checkpoint files on a local disk (Node only: node:fs). The bytes come from safetensors.ts.
//
// A save never leaves a half-written file at `path`: it writes a temporary file in the same
// folder, fsyncs it, renames it over `path` (atomic on POSIX file systems) and fsyncs the folder,
// so after a crash at any moment `path` holds either the previous checkpoint or the new one, whole.
import { closeSync, fsyncSync, mkdirSync, openSync, fstatSync, readFileSync, readSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { mkdir, open, readFile, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { decode, encodeAsync, encodeSync, parseHeader, headerLength, type SaveOptions, type Where } from "./safetensors.js";
import { ShapeflowError } from "../tensor/errors.js";

// NOTE: writes of up to 1 GiB at a time: one write call cannot take more than ~2 GiB
const MAX_WRITE = 1 << 30;

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function wrap(where: Where, what: string, e: unknown): Error {
  return new ShapeflowError(
    { op: where.op, expected: `to ${what}`, got: `${errorText(e)}` },
    `${where.op}: ${where.source}: ${what} (${errorText(e)})`,
    { cause: e },
  );
}

/** `.name.tmp-<pid>-<random>` beside `path`: same folder, so the rename cannot cross file systems. */
function tempPath(path: string): string {
  const tag = `${process.pid}-${Math.floor(Math.random() * 2 ** 32).toString(16)}`;
  return join(dirname(path), `.${basename(path)}.tmp-${tag}`);
}

/** Folder fsync errors that only mean "this file system does not do that" (the rename stands). */
function unsupported(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException)?.code;
  return process.platform === "win32" || code === "EINVAL" || code === "ENOTSUP" || code === "EISDIR" || code === "EPERM";
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

function writeAtomicSync(path: string, parts: readonly Uint8Array[], where: Where): void {
  const dir = dirname(path);
  const tmp = tempPath(path);
  let fd: number | undefined;
  try {
    mkdirSync(dir, { recursive: true });
    fd = openSync(tmp, "wx");
    for (const part of parts) {
      for (let o = 0; o < part.byteLength;) o += writeSync(fd, part, o, Math.min(MAX_WRITE, part.byteLength - o));
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    removeQuietly(tmp);
    throw wrap(where, "cannot write the file", e);
  }
  try {
    const dirFd = openSync(dir, "r");
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  } catch (e) {
    if (!unsupported(e)) throw wrap(where, "wrote the file but cannot sync its folder", e);
  }
}

async function writeAtomic(path: string, parts: readonly Uint8Array[], where: Where): Promise<void> {
  const dir = dirname(path);
  const tmp = tempPath(path);
  try {
    await mkdir(dir, { recursive: true });
    const file = await open(tmp, "wx");
    try {
      for (const part of parts) {
        for (let o = 0; o < part.byteLength;) o += (await file.write(part, o, Math.min(MAX_WRITE, part.byteLength - o))).bytesWritten;
      }
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw wrap(where, "cannot write the file", e);
  }
  try {
    const folder = await open(dir, "r");
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
  } catch (e) {
    if (!unsupported(e)) throw wrap(where, "wrote the file but cannot sync its folder", e);
  }
}

/**
 * Writes a tree to `path` as a safetensors file, atomically (parent folders are created). Each
 * tensor is stored under its path in the tree (`layers[0].kernel`); the structure, a format
 * version, checksums and `metadata` go in the header's `__metadata__`.
 * ```ts
 * io.save("ckpt/model.safetensors", params, { metadata: { epoch: "3" } });
 * ```
 */
export function save(path: string, tree: unknown, options: SaveOptions = {}): void {
  const where = { op: "io.save", source: path };
  writeAtomicSync(path, encodeSync(tree, options, where), where);
}

/**
 * `save` without blocking the event loop on disk writes (and reading tensors with `await data()`).
 * Keep the tree's tensors alive until the promise settles.
 */
export async function saveAsync(path: string, tree: unknown, options: SaveOptions = {}): Promise<void> {
  const where = { op: "io.saveAsync", source: path };
  await writeAtomic(path, await encodeAsync(tree, options, where), where);
}

/**
 * Reads a tree saved by `io.save`. With `like` (a tree of the expected structure, e.g. fresh
 * `model.init` params) every key, static value, dtype and shape is checked, and one error lists
 * each mismatch by path; the result then has `like`'s type. Corrupt files fail on their
 * checksums; on any error nothing is left allocated.
 * ```ts
 * const params = io.load("ckpt/model.safetensors", model.init(random.key(0)));
 * ```
 */
export function load<T>(path: string, like?: T): T {
  const where = { op: "io.load", source: path };
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw wrap(where, "cannot read the file", e);
  }
  return decode(bytes, like, where);
}

/** `load` reading the file without blocking the event loop. */
export async function loadAsync<T>(path: string, like?: T): Promise<T> {
  const where = { op: "io.loadAsync", source: path };
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw wrap(where, "cannot read the file", e);
  }
  return decode(bytes, like, where);
}

/**
 * The `metadata` a checkpoint was saved with, reading only its header (checked, checksum too).
 * ```ts
 * io.readMetadata("ckpt/model.safetensors");   // { epoch: "3" }
 * ```
 */
export function readMetadata(path: string): Record<string, string> {
  const where = { op: "io.readMetadata", source: path };
  let head: Uint8Array;
  let size: number;
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    size = fstatSync(fd).size;
    const first = new Uint8Array(8);
    readSync(fd, first, 0, Math.min(8, size), 0);
    head = new Uint8Array(8 + headerLength(first, size, where));
    for (let o = 0; o < head.length;) {
      const n = readSync(fd, head, o, head.length - o, o);
      if (n === 0) break;
      o += n;
    }
  } catch (e) {
    if (e instanceof Error && e.message.startsWith(`${where.op}: `)) throw e;
    throw wrap(where, "cannot read the file", e);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return parseHeader(head, size, where).metadata;
}

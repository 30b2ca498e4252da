import { refused } from "../tensor/errors.js";
// A small PNG encoder (RGB, 8 bits, no interlace) on web-platform APIs only: zlib via
// CompressionStream, base64 via btoa. Node 18+ and every current browser have both, so the
// decision-boundary chart embeds its grid image without a native renderer.

/** CRC-32 (the PNG/zlib polynomial, reflected), bit by bit: chunks are small once compressed. */
function crc32(bytes: Uint8Array, start = 0xffffffff): number {
  let c = start;
  for (const byte of bytes) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return c;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, (crc32(out.subarray(4, 8 + data.length)) ^ 0xffffffff) >>> 0);
  return out;
}

async function zlibDeflate(bytes: Uint8Array): Promise<Uint8Array> {
  // NOTE: CompressionStream's "deflate" is the zlib format (RFC 1950) that PNG's IDAT wants.
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new CompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * PNG bytes of an RGB image: `rgb` holds `width * height * 3` bytes, row-major from the top.
 *
 * @example
 * const png = await encodePng(1, 1, new Uint8Array([255, 0, 0])); // one red pixel
 */
export async function encodePng(width: number, height: number, rgb: Uint8Array): Promise<Uint8Array> {
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0))
    throw refused("encodePng", `width and height must be positive integers`, `${width} x ${height}`);
  if (rgb.length !== width * height * 3)
    throw refused("encodePng", `a ${width} x ${height} RGB image needs ${width * height * 3} bytes`, `${rgb.length}`);
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, 2, 0, 0, 0], 8); // bit depth 8, color type 2 (RGB), deflate, filter method 0, no interlace
  const rowBytes = width * 3;
  const raw = new Uint8Array(height * (rowBytes + 1)); // each row: filter type 0 (none), then the pixels
  for (let y = 0; y < height; y++) raw.set(rgb.subarray(y * rowBytes, (y + 1) * rowBytes), y * (rowBytes + 1) + 1);
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", await zlibDeflate(raw)),
    chunk("IEND", new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Base64 text of bytes (btoa over 32 KB slices: no Buffer, no stack overflow on large inputs). */
export function toBase64(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

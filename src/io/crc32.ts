// CRC-32 (IEEE 802.3, the polynomial of zlib, gzip and PNG), so a checkpoint's checksums can be
// verified anywhere with `zlib.crc32`. Platform-neutral: plain typed arrays, no Node APIs.

// NOTE: "slice-by-16": 16 tables let one step consume four 32-bit words (~2 GB/s in V8 against
// ~0.2 GB/s byte by byte); table k maps a byte to its CRC after k more zero bytes.
const TABLES = (() => {
  const t = new Int32Array(256 * 16);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    for (let s = 1; s < 16; s++) {
      const prev = t[(s - 1) * 256 + n];
      t[s * 256 + n] = (prev >>> 8) ^ t[prev & 0xff];
    }
  }
  return t;
})();

/** True on little-endian hosts (every platform tfjs runs on); the word loop below and safetensors need it. */
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The CRC-32 of `bytes`, continuing from `crc` (the CRC of the bytes before them) so a checksum
 * can be computed chunk by chunk; equals `zlib.crc32(bytes, crc)`.
 * ```ts
 * crc32(new TextEncoder().encode("123456789")).toString(16);   // "cbf43926"
 * ```
 */
export function crc32(bytes: Uint8Array, crc = 0): number {
  const t = TABLES;
  let c = ~crc;
  let i = 0;
  const n = bytes.length;
  // bytes up to a 4-byte boundary, so the word view below is aligned
  while (i < n && ((bytes.byteOffset + i) & 3) !== 0) c = t[(c ^ bytes[i++]) & 0xff] ^ (c >>> 8);
  const blocks = LITTLE_ENDIAN ? (n - i) >>> 4 : 0;
  if (blocks > 0) {
    const w = new Int32Array(bytes.buffer, bytes.byteOffset + i, blocks * 4);
    for (let j = 0; j < w.length; j += 4) {
      const a = w[j] ^ c,
        b = w[j + 1],
        d = w[j + 2],
        e = w[j + 3];
      c =
        t[3840 + (a & 0xff)] ^
        t[3584 + ((a >>> 8) & 0xff)] ^
        t[3328 + ((a >>> 16) & 0xff)] ^
        t[3072 + (a >>> 24)] ^
        t[2816 + (b & 0xff)] ^
        t[2560 + ((b >>> 8) & 0xff)] ^
        t[2304 + ((b >>> 16) & 0xff)] ^
        t[2048 + (b >>> 24)] ^
        t[1792 + (d & 0xff)] ^
        t[1536 + ((d >>> 8) & 0xff)] ^
        t[1280 + ((d >>> 16) & 0xff)] ^
        t[1024 + (d >>> 24)] ^
        t[768 + (e & 0xff)] ^
        t[512 + ((e >>> 8) & 0xff)] ^
        t[256 + ((e >>> 16) & 0xff)] ^
        t[e >>> 24];
    }
    i += blocks * 16;
  }
  while (i < n) c = t[(c ^ bytes[i++]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** A CRC as the 8 lowercase hex digits stored in a checkpoint's header. */
export function crcHex(crc: number): string {
  return crc.toString(16).padStart(8, "0");
}

// plot's own PNG encoder (web APIs only, so charts work in browsers): zlib and CRC checked by
// Node's zlib, the pixels read back by a real decoder (resvg drawing the PNG inside an SVG).
import { crc32, inflateSync } from "node:zlib";
import { Resvg } from "@resvg/resvg-js";
import { expect, test } from "vitest";
import { encodePng, toBase64 } from "../src/plot/png.js";

/** Chunks of a PNG file: type, data, and whether the stored CRC matches. */
function chunks(png: Uint8Array) {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const out: { type: string; data: Uint8Array; crcOk: boolean }[] = [];
  for (let at = 8; at < png.length;) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    const data = png.subarray(at + 8, at + 8 + length);
    const crcOk = crc32(png.subarray(at + 4, at + 8 + length)) === view.getUint32(at + 8 + length);
    out.push({ type, data, crcOk });
    at += 12 + length;
  }
  return out;
}

// 3 x 2: red, green, blue / white, black, grey
const rgb = new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 128, 128, 128]);

test("encodePng: signature, IHDR (3 x 2, 8-bit RGB), IDAT inflating to filter-0 rows, IEND, valid CRCs", async () => {
  const png = await encodePng(3, 2, rgb);
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const parts = chunks(png);
  expect(parts.map((c) => c.type)).toEqual(["IHDR", "IDAT", "IEND"]);
  expect(parts.every((c) => c.crcOk)).toBe(true);
  expect([...parts[0].data]).toEqual([0, 0, 0, 3, 0, 0, 0, 2, 8, 2, 0, 0, 0]);
  expect([...inflateSync(parts[1].data)]).toEqual([0, ...rgb.subarray(0, 9), 0, ...rgb.subarray(9)]);
});

test("encodePng: a real decoder reads the same pixels back", async () => {
  const url = `data:image/png;base64,${toBase64(await encodePng(3, 2, rgb))}`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="3" height="2"><image href="${url}" width="3" height="2"/></svg>`;
  const rgba = new Resvg(svg).render().pixels;
  const back = Array.from({ length: 6 }, (_, p) => [...rgba.subarray(4 * p, 4 * p + 3)]).flat();
  expect(back).toEqual([...rgb]);
});

test("encodePng: bad sizes fail with the expected byte count; toBase64 handles large inputs", async () => {
  await expect(encodePng(2, 2, new Uint8Array(11))).rejects.toThrow("encodePng: a 2 x 2 RGB image needs 12 bytes, got 11");
  await expect(encodePng(0, 2, new Uint8Array(0))).rejects.toThrow("encodePng: width and height must be positive integers, got 0 x 2");
  const big = new Uint8Array(200_000).map((_, i) => i % 251);
  expect(toBase64(big)).toBe(Buffer.from(big).toString("base64"));
});

import { crc32, deflateSync } from 'node:zlib';

/** An RGBA image: `pixels` holds width × height × 4 bytes, row by row. */
export interface RgbaImage {
  width: number;
  height: number;
  pixels: Uint8Array;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Encodes an RGBA image as a PNG (8-bit RGBA, no interlace, filter 0 on every row). */
export function encodePng(image: RgbaImage): Buffer {
  const { width, height, pixels } = image;
  if (pixels.length !== width * height * 4) throw new Error(`expected ${width * height * 4} bytes of RGBA, got ${pixels.length}`);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // colour type: RGBA
  header[10] = 0; // compression
  header[11] = 0; // filter method
  header[12] = 0; // no interlace
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 4 + 1)] = 0;
    Buffer.from(pixels.buffer, pixels.byteOffset + y * width * 4, width * 4).copy(raw, y * (width * 4 + 1) + 1);
  }
  return Buffer.concat([SIGNATURE, chunk('IHDR', header), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData) >>> 0);
  return Buffer.concat([length, typeAndData, crc]);
}

type Rgba = readonly [number, number, number, number];

/**
 * jitbot's icons, drawn in code: a key (access) on a clock-face ring (for a while). `color` is the
 * 192×192 full-colour icon; `outline` the 32×32 white-on-transparent one Teams requires.
 */
export function drawIcon(kind: 'color' | 'outline'): RgbaImage {
  const size = kind === 'color' ? 192 : 32;
  const pixels = new Uint8Array(size * size * 4);
  const background: Rgba = [0x4f, 0x46, 0xe5, 255];
  const ink: Rgba = [255, 255, 255, 255];
  const s = size / 192;
  // Sample 4×4 points per pixel for smooth edges.
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let covered = 0;
      for (let sy = 0; sy < 4; sy++) {
        for (let sx = 0; sx < 4; sx++) {
          const px = (x + (sx + 0.5) / 4) / s;
          const py = (y + (sy + 0.5) / 4) / s;
          if (inKey(px, py, kind === 'outline')) covered++;
        }
      }
      const a = covered / 16;
      const o = (y * size + x) * 4;
      if (kind === 'color') {
        for (let c = 0; c < 3; c++) pixels[o + c] = Math.round(ink[c]! * a + background[c]! * (1 - a));
        pixels[o + 3] = 255;
      } else {
        // White everywhere; coverage only in alpha (Teams tints the outline icon).
        for (let c = 0; c < 3; c++) pixels[o + c] = a > 0 ? ink[c]! : 0;
        pixels[o + 3] = Math.round(255 * a);
      }
    }
  }
  return { width: size, height: size, pixels };
}

/** The key shape in a 192-unit square; the outline version uses thicker strokes to survive 32 px. */
function inKey(x: number, y: number, bold: boolean): boolean {
  const grow = bold ? 8 : 0;
  const ringX = 66;
  const ringY = 96;
  const d = Math.hypot(x - ringX, y - ringY);
  const ring = d <= 38 + grow / 2 && d >= 20 - grow / 2;
  const shaft = x >= 96 && x <= 160 && y >= 88 - grow / 2 && y <= 104 + grow / 2;
  const tooth1 = x >= 130 - grow / 2 && x <= 142 + grow / 2 && y >= 104 && y <= 126 + grow / 2;
  const tooth2 = x >= 150 - grow / 2 && x <= 160 + grow / 2 && y >= 104 && y <= 120 + grow / 2;
  return ring || shaft || tooth1 || tooth2;
}

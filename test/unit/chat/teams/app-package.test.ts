import { readFileSync } from 'node:fs';
import path from 'node:path';
import { crc32, inflateRawSync, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { buildAppPackage, buildManifest, PLACEHOLDER_APP_ID, pngSize } from '../../../../src/chat/teams/app-package/build-app-package.js';
import { drawIcon, encodePng } from '../../../../src/chat/teams/app-package/png.js';
import { writeZip } from '../../../../src/chat/teams/app-package/zip.js';

const MANIFESTS = path.join(import.meta.dirname, '..', '..', '..', '..', 'manifests', 'teams');
const APP_ID = '6d3c0c1e-1234-4abc-9def-0123456789ab';

/** Reads a PNG's chunks, checking every CRC; returns the header and the inflated image data. */
function readPng(png: Buffer): { width: number; height: number; colourType: number; raw: Buffer } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let offset = 8;
  let header: Buffer | undefined;
  const data: Buffer[] = [];
  for (;;) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('ascii', offset + 4, offset + 8);
    const body = png.subarray(offset + 8, offset + 8 + length);
    expect(png.readUInt32BE(offset + 8 + length)).toBe(crc32(png.subarray(offset + 4, offset + 8 + length)) >>> 0);
    if (type === 'IHDR') header = body;
    if (type === 'IDAT') data.push(body);
    offset += 12 + length;
    if (type === 'IEND') break;
  }
  expect(offset).toBe(png.length);
  return { width: header!.readUInt32BE(0), height: header!.readUInt32BE(4), colourType: header![9]!, raw: inflateSync(Buffer.concat(data)) };
}

/** Reads a ZIP through its central directory, inflating and CRC-checking every entry. */
function readZip(zip: Buffer): Map<string, Buffer> {
  const end = zip.length - 22;
  expect(zip.readUInt32LE(end)).toBe(0x06054b50);
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const files = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    expect(zip.readUInt32LE(at)).toBe(0x02014b50);
    const crc = zip.readUInt32LE(at + 16);
    const size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    expect(zip.readUInt32LE(local)).toBe(0x04034b50);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = inflateRawSync(zip.subarray(start, start + size));
    expect(crc32(data) >>> 0).toBe(crc);
    files.set(name, data);
    at += 46 + nameLength;
  }
  return files;
}

describe('icons', () => {
  it.each([
    ['color', 192],
    ['outline', 32],
  ] as const)('%s.png is a valid %ipx RGBA PNG, and the committed file is what the code draws', (kind, size) => {
    const png = encodePng(drawIcon(kind));
    const image = readPng(png);
    expect([image.width, image.height, image.colourType]).toEqual([size, size, 6]);
    expect(image.raw.length).toBe((size * 4 + 1) * size);
    expect(readFileSync(path.join(MANIFESTS, `${kind}.png`))).toEqual(png);
  });

  it('the outline icon is white on transparent, the colour icon opaque', () => {
    const outline = drawIcon('outline');
    const colours = new Set<string>();
    for (let i = 0; i < outline.pixels.length; i += 4) if (outline.pixels[i + 3]! > 0) colours.add(outline.pixels.subarray(i, i + 3).join(','));
    expect([...colours]).toEqual(['255,255,255']);
    const colour = drawIcon('color');
    for (let i = 3; i < colour.pixels.length; i += 4) expect(colour.pixels[i]).toBe(255);
  });
});

describe('zip writer', () => {
  it('round-trips entries', () => {
    const entries = [
      { name: 'manifest.json', data: Buffer.from('{"a":1}') },
      { name: 'big.bin', data: Buffer.alloc(100_000, 7) },
      { name: 'empty', data: Buffer.alloc(0) },
    ];
    const files = readZip(writeZip(entries));
    expect([...files.keys()]).toEqual(['manifest.json', 'big.bin', 'empty']);
    for (const entry of entries) expect(files.get(entry.name)).toEqual(entry.data);
    expect(writeZip(entries)).toEqual(writeZip(entries));
  });
});

describe('Teams app manifest', () => {
  const template = JSON.parse(readFileSync(path.join(MANIFESTS, 'manifest.json'), 'utf8')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

  it('is a current schema version with the limits Teams enforces', () => {
    expect(template.manifestVersion).toBe('1.25');
    expect(template.$schema).toBe(`https://developer.microsoft.com/json-schemas/teams/v${template.manifestVersion}/MicrosoftTeams.schema.json`);
    expect(template.id).toBe(PLACEHOLDER_APP_ID);
    expect(template.name.short.length).toBeLessThanOrEqual(30);
    expect(template.name.full.length).toBeLessThanOrEqual(100);
    expect(template.description.short.length).toBeLessThanOrEqual(80);
    expect(template.description.full.length).toBeLessThanOrEqual(4000);
    expect(template.accentColor).toMatch(/^#[0-9A-Fa-f]{6}$/);
    expect(template.developer.name.length).toBeLessThanOrEqual(32);
    const [bot] = template.bots;
    expect(bot.botId).toBe(PLACEHOLDER_APP_ID);
    expect(bot.scopes).toEqual(['personal', 'team', 'groupChat']);
    expect(bot.commandLists.length).toBeLessThanOrEqual(3);
    for (const list of bot.commandLists) {
      expect(list.commands.length).toBeLessThanOrEqual(10);
      for (const command of list.commands) {
        expect(command.title.length).toBeLessThanOrEqual(32);
        expect(command.description.length).toBeLessThanOrEqual(128);
      }
    }
    expect(template.validDomains).toEqual(['jitbot.example.com']);
  });

  it('takes the app id from TEAMS_APP_ID and the domain from the operator', () => {
    const { manifest, warnings } = buildManifest(template, { appId: APP_ID, domain: 'jitbot.acme.com' });
    expect(manifest.id).toBe(APP_ID);
    expect((manifest.bots as { botId: string }[])[0]!.botId).toBe(APP_ID);
    expect(manifest.validDomains).toEqual(['jitbot.acme.com']);
    expect(warnings).toEqual([]);
    expect(template.id).toBe(PLACEHOLDER_APP_ID);
    expect(buildManifest(template, {}).warnings.join(' ')).toMatch(/TEAMS_APP_ID is not set.*no domain given/s);
    expect(() => buildManifest(template, { appId: 'my-bot' })).toThrow(/must be the Azure Bot's Microsoft App ID/);
    expect(() => buildManifest(template, { domain: 'https://jitbot.acme.com/api/messages' })).toThrow(/host name/);
  });

  it('packages the manifest and both icons at the root of the zip, and refuses wrong icon sizes', () => {
    const color = readFileSync(path.join(MANIFESTS, 'color.png'));
    const outline = readFileSync(path.join(MANIFESTS, 'outline.png'));
    const { manifest } = buildManifest(template, { appId: APP_ID, domain: 'jitbot.acme.com' });
    const files = readZip(buildAppPackage({ manifest, color, outline }));
    expect([...files.keys()].sort()).toEqual(['color.png', 'manifest.json', 'outline.png']);
    expect(JSON.parse(files.get('manifest.json')!.toString('utf8')).id).toBe(APP_ID);
    expect(pngSize(files.get('color.png')!)).toEqual({ width: 192, height: 192 });
    expect(() => buildAppPackage({ manifest, color: outline, outline })).toThrow('color.png must be 192×192 pixels; it is 32×32');
    expect(() => buildAppPackage({ manifest, color, outline: Buffer.from('nope') })).toThrow('not a PNG');
  });
});

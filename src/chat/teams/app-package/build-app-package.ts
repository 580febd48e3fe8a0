import { writeZip } from './zip.js';

/** The placeholder app/bot id in manifests/teams/manifest.json, replaced by TEAMS_APP_ID. */
export const PLACEHOLDER_APP_ID = '00000000-0000-0000-0000-000000000000';
export const PLACEHOLDER_DOMAIN = 'jitbot.example.com';

const GUID = /^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$/;
const HOST = /^(?=.{1,253}$)(?:\*\.)?(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}$/;

export interface AppPackageOptions {
  /** The Entra app (client) id of the Azure Bot: the bot id, and the Teams app id. */
  appId?: string | undefined;
  /** The public host of /api/messages, for validDomains (e.g. jitbot.example.com). */
  domain?: string | undefined;
}

export interface AppPackageFiles {
  manifest: Record<string, unknown>;
  color: Buffer;
  outline: Buffer;
}

/** Fills the manifest template: the app id (also the bot id) and the valid domain. Lists what is still a placeholder. */
export function buildManifest(template: Record<string, unknown>, options: AppPackageOptions): { manifest: Record<string, unknown>; warnings: string[] } {
  const manifest = structuredClone(template);
  const warnings: string[] = [];
  const appId = options.appId?.trim();
  if (appId) {
    if (!GUID.test(appId)) throw new Error(`TEAMS_APP_ID must be the Azure Bot's Microsoft App ID, a GUID like 6d3c0c1e-…; got "${appId.slice(0, 60)}"`);
    manifest.id = appId;
    for (const bot of (manifest.bots ?? []) as Record<string, unknown>[]) bot.botId = appId;
  } else {
    warnings.push(`TEAMS_APP_ID is not set: the package keeps the placeholder id ${PLACEHOLDER_APP_ID}, which Teams will not accept. Set TEAMS_APP_ID to the Azure Bot's Microsoft App ID.`);
  }
  const domain = options.domain?.trim();
  if (domain) {
    if (!HOST.test(domain)) throw new Error(`the domain must be a host name like jitbot.example.com (no https://, no path); got "${domain.slice(0, 100)}"`);
    manifest.validDomains = [domain];
  } else {
    warnings.push(`no domain given: validDomains keeps the placeholder ${PLACEHOLDER_DOMAIN}. Pass --domain <host of your messaging endpoint> or set TEAMS_APP_DOMAIN.`);
  }
  return { manifest, warnings };
}

/** The size of a PNG, read from its IHDR chunk; throws for anything that is not a PNG. */
export function pngSize(png: Buffer): { width: number; height: number } {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (png.length < 24 || !png.subarray(0, 8).equals(signature) || png.toString('ascii', 12, 16) !== 'IHDR') throw new Error('not a PNG file');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** The Teams app package: manifest.json, color.png (192×192) and outline.png (32×32) at the root of a zip. */
export function buildAppPackage(files: AppPackageFiles): Buffer {
  const icons = (files.manifest.icons ?? {}) as { color?: string; outline?: string };
  const expect = (name: string, png: Buffer, size: number) => {
    const actual = pngSize(png);
    if (actual.width !== size || actual.height !== size) throw new Error(`${name} must be ${size}×${size} pixels; it is ${actual.width}×${actual.height}`);
  };
  expect('color.png', files.color, 192);
  expect('outline.png', files.outline, 32);
  return writeZip([
    { name: 'manifest.json', data: Buffer.from(`${JSON.stringify(files.manifest, null, 2)}\n`, 'utf8') },
    { name: icons.color ?? 'color.png', data: files.color },
    { name: icons.outline ?? 'outline.png', data: files.outline },
  ]);
}

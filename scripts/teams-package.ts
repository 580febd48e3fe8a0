// `npm run teams:package [-- --domain <host>] [--out <file>] [--icons]`: builds the Microsoft Teams app
// package (manifest.json + icons, zipped) for side-loading or the Teams admin center, from
// manifests/teams/. The app and bot id come from TEAMS_APP_ID; the valid domain from --domain or
// TEAMS_APP_DOMAIN. --icons redraws manifests/teams/color.png and outline.png first.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAppPackage, buildManifest } from '../src/chat/teams/app-package/build-app-package.js';
import { drawIcon, encodePng } from '../src/chat/teams/app-package/png.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const source = path.join(root, 'manifests', 'teams');
const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
};

try {
  const colorFile = path.join(source, 'color.png');
  const outlineFile = path.join(source, 'outline.png');
  if (args.includes('--icons') || !existsSync(colorFile) || !existsSync(outlineFile)) {
    writeFileSync(colorFile, encodePng(drawIcon('color')));
    writeFileSync(outlineFile, encodePng(drawIcon('outline')));
    console.error(`drew ${path.relative(root, colorFile)} (192×192) and ${path.relative(root, outlineFile)} (32×32)`);
  }
  const template = JSON.parse(readFileSync(path.join(source, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  const { manifest, warnings } = buildManifest(template, {
    appId: process.env.TEAMS_APP_ID,
    domain: option('--domain') ?? process.env.TEAMS_APP_DOMAIN,
  });
  const zip = buildAppPackage({ manifest, color: readFileSync(colorFile), outline: readFileSync(outlineFile) });
  const out = path.resolve(root, option('--out') ?? path.join('dist', 'jitbot-teams.zip'));
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, zip);
  for (const warning of warnings) console.error(`warning: ${warning}`);
  console.log(out);
} catch (error) {
  console.error(`teams:package: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}

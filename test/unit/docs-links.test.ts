import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/jitbot-process.js';

// No file cites a document that does not exist: every relative link in the docs resolves (to a file,
// and to a heading when it names one), and every `.md` path named in the code is a file.

const repoFile = (file: string) => path.join(REPO_ROOT, file);
const posix = (file: string) => file.split(path.sep).join('/');

function filesUnder(dir: string, keep: (file: string) => boolean): string[] {
  if (!existsSync(repoFile(dir))) return [];
  return readdirSync(repoFile(dir), { recursive: true, encoding: 'utf8' })
    .map((name) => posix(path.join(dir, name)))
    .filter((file) => !file.includes('node_modules/') && statSync(repoFile(file)).isFile() && keep(file))
    .sort();
}

const DOCS = ['README.md', 'BENCHMARKS.md', ...filesUnder('docs', (f) => f.endsWith('.md'))];
const CODE_DIRS = ['src', 'test', 'scripts', 'bench', 'bin', 'manifests', '.ci'];
const CODE_FILES = [
  ...CODE_DIRS.flatMap((dir) => filesUnder(dir, (f) => /\.(ts|js|lua|ya?ml|json|sh)$|\/run$/.test(f))),
  ...['eslint.config.js', 'vitest.config.ts', 'package.json', 'tsconfig.json'].filter((f) => existsSync(repoFile(f))),
];

/** The markdown outside fenced code blocks, with inline code spans blanked out. */
function prose(markdown: string): string[] {
  let fenced = false;
  return markdown.split('\n').map((line) => {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      return '';
    }
    return fenced ? '' : line.replace(/``[^`]*``|`[^`]*`/g, '');
  });
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function headingAnchors(markdown: string): Set<string> {
  let fenced = false;
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const text = heading[1]!.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/[`*]/g, '');
    const base = text.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** Relative links `[text](target)` of one markdown file, each with the line it is on. */
function relativeLinks(file: string): { line: number; target: string }[] {
  return prose(readFileSync(repoFile(file), 'utf8')).flatMap((text, index) =>
    [...text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)]
      .map((m) => m[1]!)
      .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target))
      .map((target) => ({ line: index + 1, target })),
  );
}

/** Why a link from `file` to `target` does not resolve, or undefined when it does. */
function brokenLink(file: string, target: string): string | undefined {
  const [pathPart = '', anchor] = target.split('#', 2);
  const resolved = pathPart === '' ? file : posix(path.normalize(path.join(path.dirname(file), decodeURI(pathPart))));
  if (resolved.startsWith('..') || !existsSync(repoFile(resolved))) return `${resolved} does not exist`;
  if (anchor === undefined || !resolved.endsWith('.md')) return undefined;
  return headingAnchors(readFileSync(repoFile(resolved), 'utf8')).has(anchor.toLowerCase()) ? undefined : `${resolved} has no heading #${anchor}`;
}

describe('documentation links', () => {
  it('finds the docs: the README, the benchmarks and a table of contents under docs/', () => {
    expect(DOCS).toEqual(expect.arrayContaining(['README.md', 'BENCHMARKS.md', 'docs/README.md', 'docs/architecture.md']));
  });

  it('every relative link in README.md, BENCHMARKS.md and docs/ resolves to a file, and to a heading when it names one', () => {
    const links = DOCS.flatMap((file) => relativeLinks(file).map((link) => ({ file, ...link })));
    expect(links.length).toBeGreaterThan(20);
    const broken = links.flatMap(({ file, line, target }) => {
      const why = brokenLink(file, target);
      return why ? [`${file}:${line} → ${target}: ${why}`] : [];
    });
    expect(broken).toEqual([]);
  });

  it('the table of contents links every page under docs/', () => {
    const listed = new Set(relativeLinks('docs/README.md').map((link) => posix(path.join('docs', link.target.split('#')[0]!))));
    const pages = DOCS.filter((file) => file.startsWith('docs/') && file !== 'docs/README.md');
    expect(pages.filter((page) => !listed.has(page))).toEqual([]);
  });

  it('every .md path the code names (comments, test names, strings) is a file of the repository', () => {
    expect(CODE_FILES.length).toBeGreaterThan(50);
    const cited = CODE_FILES.flatMap((file) =>
      readFileSync(repoFile(file), 'utf8')
        .split('\n')
        .flatMap((text, index) =>
          [...text.matchAll(/(?<![\w$/{}.-])((?:\.{1,2}\/)?(?:[\w.-]+\/)*[\w-][\w.-]*\.md)\b/g)].map((m) => ({ file, line: index + 1, cited: m[1]! })),
        ),
    );
    expect(cited.length).toBeGreaterThan(0);
    const missing = cited
      .filter(({ file, cited: target }) => !existsSync(repoFile(target)) && !existsSync(path.join(path.dirname(repoFile(file)), target)))
      .map(({ file, line, cited: target }) => `${file}:${line} cites ${target}`);
    expect(missing).toEqual([]);
  });
});

describe('heading anchors', () => {
  it('are made as GitHub makes them', () => {
    const anchors = headingAnchors(
      ['# Operations', '## `jitbot request` / `jitbot release`', '## Configuration (environment)', '### What it does', '### What it does', '```', '# not a heading', '```', '## A request, end to end'].join('\n'),
    );
    expect([...anchors]).toEqual(['operations', 'jitbot-request--jitbot-release', 'configuration-environment', 'what-it-does', 'what-it-does-1', 'a-request-end-to-end']);
  });
});

import { readFileSync } from 'node:fs';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { IssuerFactory } from '../core/ports/issuer.js';
import { PolicySchema, type Policy } from '../core/policy/policy-schema.js';
import { crossCheckPolicy } from './cross-check-policy.js';
import { interpolateVariables } from './interpolate-variables.js';
import { formatPath, type PathSegments, type PolicyProblem } from './policy-problem.js';
import { zodIssuesToProblems, type SchemaProblem } from './zod-problems.js';

export { formatProblem, type PolicyProblem } from './policy-problem.js';

/** Where a policy comes from: a file, or text already in hand (`name` is how messages refer to it). */
export type PolicySource = { path: string } | { text: string; name: string };

export interface LoadPolicyOptions {
  /** Where `${VAR}` and `VAR_FILE` are looked up; `process.env` when absent. */
  env?: NodeJS.ProcessEnv;
  /** The issuer types that exist, to check each issuer's settings and each resource's params. */
  issuerFactories: ReadonlyMap<string, IssuerFactory>;
}

/**
 * A validated policy, with the values taken from the environment (so callers can redact them from
 * logs), or every problem found, each at its place in the file.
 */
export type PolicyLoadResult = { ok: true; policy: Policy; secrets: string[] } | { ok: false; problems: PolicyProblem[] };

// Values shorter than this are not redacted from messages: a secret that short protects nothing,
// and replacing every "1" in a sentence would make it unreadable.
const MIN_REDACTED_LENGTH = 4;

/**
 * Reads, parses, interpolates and validates a policy file, and checks that its parts fit together.
 * Never throws for a bad file: every problem found is listed (not only the first).
 */
export function loadPolicy(source: PolicySource, options: LoadPolicyOptions): PolicyLoadResult {
  let text: string;
  if ('path' in source) {
    try {
      text = readFileSync(source.path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${code ?? String(error)})`;
      return { ok: false, problems: [{ path: '', message: `policy file ${source.path} ${why}` }] };
    }
  } else {
    text = source.text;
  }
  return validatePolicyText(text, 'path' in source ? source.path : source.name, options);
}

function validatePolicyText(text: string, name: string, options: LoadPolicyOptions): PolicyLoadResult {
  const lineCounter = new LineCounter();
  // `merge` lets a policy share resource defaults with `<<: *defaults`.
  const doc = parseDocument(text, { lineCounter, merge: true, prettyErrors: true });
  if (doc.errors.length > 0) return { ok: false, problems: syntaxProblems(doc, text) };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    return { ok: false, problems: [{ path: '', message: `YAML: ${firstLine((error as Error).message)}` }] };
  }
  if (data === null || data === undefined) {
    return { ok: false, problems: [{ path: '', message: `${name} is empty; a policy starts with "version: 1"` }] };
  }

  const env = options.env ?? process.env;
  const interpolated = interpolateVariables(data, env);
  const raw = interpolated.value;
  const found: SchemaProblem[] = [...interpolated.problems];
  const parsed = PolicySchema.safeParse(raw);
  if (!parsed.success) found.push(...zodIssuesToProblems(parsed.error.issues, PolicySchema, raw));
  // A value already reported (unset variable, wrong shape) is not judged again by the cross-checks.
  const primary = found.map((p) => p.segments);
  found.push(...crossCheckPolicy(raw, options.issuerFactories).filter((p) => !primary.some((segments) => isWithin(p.segments, segments))));

  const problems = settle(found, interpolated.problems.map((p) => p.segments), doc, lineCounter, interpolated.secrets);
  if (problems.length > 0 || !parsed.success) {
    return { ok: false, problems: problems.length > 0 ? problems : [{ path: '', message: 'the policy is not valid' }] };
  }
  return { ok: true, policy: parsed.data, secrets: interpolated.secrets };
}

/**
 * Removes duplicates and follow-on problems (a value whose variable is unset is not also "not a URL"),
 * places each problem in the file, hides secret values, and sorts them in file order.
 */
function settle(
  found: SchemaProblem[],
  unresolved: PathSegments[],
  doc: Document,
  lineCounter: LineCounter,
  secrets: string[],
): PolicyProblem[] {
  const redactable = secrets.filter((s) => s.length >= MIN_REDACTED_LENGTH).sort((a, b) => b.length - a.length);
  const redact = (text: string): string => redactable.reduce((out, secret) => out.split(secret).join('[secret]'), text);
  const seen = new Set<string>();
  const out: (PolicyProblem & { order: number })[] = [];
  found.forEach((problem, order) => {
    const isFollowOn = unresolved.some((segments) => problem.segments !== segments && isWithin(problem.segments, segments));
    if (isFollowOn) return;
    const path = formatPath(problem.segments);
    const message = redact(problem.message);
    const key = `${path}\u0000${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    const position = locate(doc, problem.segments, problem.atKey === true, lineCounter);
    out.push({ path, message, ...(position ? { line: position.line, column: position.col } : {}), order });
  });
  out.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? 0) - (b.column ?? 0) || a.order - b.order);
  return out.map(({ order: _order, ...problem }) => problem);
}

/**
 * The line and column of the YAML node at `segments` (its key when `atKey`, or when the value is
 * empty), or of the nearest enclosing node that exists.
 */
function locate(doc: Document, segments: PathSegments, atKey: boolean, lineCounter: LineCounter): { line: number; col: number } | undefined {
  let node: unknown = doc.contents;
  let best: Node | undefined = isNode(node) ? node : undefined;
  // The key that introduced `best`: where a missing field's problem reads best (`prod-deploy:`).
  let bestKey: Node | undefined;
  let complete = true;
  for (const [index, segment] of segments.entries()) {
    if (isAlias(node)) node = node.resolve(doc);
    const last = index === segments.length - 1;
    let key: Node | undefined;
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) {
        complete = false;
        break;
      }
      const value = pair.value;
      const valueIsEmpty = value === null || (isScalar(value) && value.value === null && value.source === '');
      if (last && (atKey || valueIsEmpty) && isNode(pair.key)) {
        best = pair.key;
        bestKey = undefined;
        break;
      }
      key = isNode(pair.key) ? pair.key : undefined;
      node = value;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
    } else {
      complete = false;
      break;
    }
    if (!isNode(node)) {
      if (key) best = key;
      bestKey = undefined;
      complete = false;
      break;
    }
    best = node;
    bestKey = key;
  }
  const offset = (complete ? best : (bestKey ?? best))?.range?.[0];
  return offset === undefined ? undefined : lineCounter.linePos(offset);
}

/** Whether `inner` is `outer` or a path below it. */
function isWithin(inner: PathSegments, outer: PathSegments): boolean {
  return outer.length <= inner.length && outer.every((segment, i) => inner[i] === segment);
}

function isNode(value: unknown): value is Node {
  return value !== null && typeof value === 'object' && 'range' in value;
}

// One syntax error tends to set off many more; the first on each line (and at most a screenful) say enough.
const MAX_SYNTAX_PROBLEMS = 10;

function syntaxProblems(doc: Document, text: string): PolicyProblem[] {
  const lines = text.split(/\r?\n/);
  const problems: PolicyProblem[] = [];
  const seenLines = new Set<number>();
  for (const error of doc.errors) {
    const position = error.linePos?.[0];
    if (position) {
      if (seenLines.has(position.line)) continue;
      seenLines.add(position.line);
    }
    let message = `YAML syntax: ${firstLine(error.message)}`;
    // `${VAR}` unquoted inside { } or [ ] reads as flow syntax: the usual cause, so say so.
    if (position && /[{[][^\n]*\$\{|\$\{[^\n]*[}\]]/.test(lines[position.line - 1] ?? '')) {
      message += ` (inside { } or [ ], quote a value that uses \${…}: '\${VAR}')`;
    }
    problems.push({ path: '', message, ...(position ? { line: position.line, column: position.col } : {}) });
  }
  if (problems.length > MAX_SYNTAX_PROBLEMS) {
    const more = problems.length - MAX_SYNTAX_PROBLEMS;
    problems.length = MAX_SYNTAX_PROBLEMS;
    problems.push({ path: '', message: `YAML syntax: ${more} more line${more === 1 ? '' : 's'} with errors, likely following from the ones above` });
  }
  return problems;
}

// yaml's messages end with " at line L, column C:" and a picture of the line; we give the place separately.
function firstLine(message: string): string {
  const line = message.split('\n')[0] ?? message;
  return line.replace(/ at line \d+, column \d+:?$/, '');
}

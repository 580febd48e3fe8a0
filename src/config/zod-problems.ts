import type { z } from 'zod';
import { DurationSchema } from '../core/policy/policy-schema.js';
import { closestName } from '../core/domain/closest-name.js';
import type { PathSegments } from './policy-problem.js';

/** A validation problem with its path; `atKey` when it is about a map key rather than its value. */
export interface SchemaProblem {
  segments: PathSegments;
  message: string;
  atKey?: boolean;
}

type Issue = z.core.$ZodIssue;
type AnySchema = z.core.$ZodType;

/**
 * Turns zod issues into problems people can act on: a dotted path, and a sentence that says what was
 * expected and what kind of value was found. Values themselves are never quoted (they may be secrets
 * taken from the environment); `schema` and `data` are what was validated, `prefix` where it sits.
 */
export function zodIssuesToProblems(
  issues: readonly Issue[],
  schema: AnySchema,
  data: unknown,
  prefix: PathSegments = [],
  /** Said of an unknown field where no field at all is allowed (`issuer type none takes no params`). */
  nothingAllowed = 'nothing may be set here',
): SchemaProblem[] {
  const out: SchemaProblem[] = [];
  const add = (issue: Issue, base: PathSegments): void => {
    const relative = [...base, ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))];
    const segments = [...prefix, ...relative];
    const found = valueAt(data, relative);
    switch (issue.code) {
      case 'invalid_type': {
        const expected = expectation(schemaAt(schema, relative), issue.expected);
        out.push({ segments, message: found === undefined ? `is required (${expected})` : `expected ${expected}, got ${describeValue(found)}` });
        return;
      }
      case 'invalid_value': {
        const options = issue.values.map((v) => JSON.stringify(v)).join(' or ');
        if (found === undefined) out.push({ segments, message: `is required (${options})` });
        else out.push({ segments, message: issue.message.startsWith('Invalid') ? `must be ${options}` : issue.message });
        return;
      }
      case 'unrecognized_keys': {
        const allowed = allowedKeys(schemaAt(schema, relative));
        for (const key of issue.keys) out.push({ segments: [...segments, key], message: `unknown field "${key}"${unknownFieldHint(key, allowed, nothingAllowed)}`, atKey: true });
        return;
      }
      case 'invalid_key': {
        const why = issue.issues.map((inner) => inner.message).join('; ');
        out.push({ segments, message: `not a valid name: ${why}`, atKey: true });
        return;
      }
      case 'too_small':
      case 'too_big': {
        out.push({ segments, message: boundMessage(issue) });
        return;
      }
      case 'invalid_union': {
        const branches = issue.errors.filter((branch) => branch.length > 0);
        if (branches.length === 0) {
          out.push({ segments, message: 'does not match any allowed form' });
          return;
        }
        const best = branches.reduce((a, b) => (b.length < a.length ? b : a));
        for (const inner of best) add(inner, relative);
        return;
      }
      default:
        out.push({ segments, message: issue.message });
    }
  };
  for (const issue of issues) add(issue, []);
  return out;
}

/** What an unknown field probably meant, or which fields there are (`allowed` undefined: not known). */
function unknownFieldHint(key: string, allowed: string[] | undefined, nothingAllowed: string): string {
  if (allowed === undefined) return '';
  const guess = closestName(key, allowed);
  if (guess) return ` (did you mean "${guess}"?)`;
  return allowed.length === 0 ? ` (${nothingAllowed})` : ` (expected one of: ${allowed.join(', ')})`;
}

function boundMessage(issue: Extract<Issue, { code: 'too_small' | 'too_big' }>): string {
  const small = issue.code === 'too_small';
  const limit = small ? (issue as { minimum: number | bigint }).minimum : (issue as { maximum: number | bigint }).maximum;
  const inclusive = issue.inclusive !== false;
  const n = Number(limit);
  switch (issue.origin) {
    case 'number':
    case 'int':
    case 'bigint':
      return small ? (inclusive ? `must be at least ${n}` : `must be more than ${n}`) : inclusive ? `must be at most ${n}` : `must be less than ${n}`;
    case 'array':
    case 'set':
      return small ? `must list at least ${n} ${n === 1 ? 'entry' : 'entries'}` : `may list at most ${n} ${n === 1 ? 'entry' : 'entries'}`;
    case 'string':
      if (small && n === 1) return 'must not be empty';
      return small ? `must be at least ${n} characters long` : `must be at most ${n} characters long`;
    default:
      return issue.message;
  }
}

function expectation(schema: AnySchema | undefined, expected: string): string {
  if (schema !== undefined && unwrap(schema) === DurationSchema) return 'a duration such as 30m or 1h30m';
  switch (expected) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'int':
      return 'a whole number';
    case 'boolean':
      return 'true or false';
    case 'array':
      return 'a list';
    case 'object':
    case 'record':
    case 'map':
      return 'a map of keys to values';
    default:
      return expected;
  }
}

/** A value's kind in YAML terms, never the value itself. */
export function describeValue(value: unknown): string {
  if (value === null) return 'nothing (an empty value)';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return 'a string';
    case 'number':
      return Number.isInteger(value) ? 'a whole number' : 'a number';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      return 'a map';
    default:
      return typeof value;
  }
}

function valueAt(data: unknown, segments: PathSegments): unknown {
  let node = data;
  for (const segment of segments) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}

interface Def {
  type: string;
  innerType?: AnySchema;
  shape?: Record<string, AnySchema>;
  valueType?: AnySchema;
  element?: AnySchema;
  in?: AnySchema;
}

const def = (schema: AnySchema): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;
const WRAPPERS = new Set(['optional', 'default', 'prefault', 'nullable', 'nonoptional', 'readonly', 'catch']);

function unwrap(schema: AnySchema): AnySchema {
  let current = schema;
  for (let d = def(current); WRAPPERS.has(d.type) && d.innerType; d = def(current)) current = d.innerType;
  return current;
}

/** The schema that validates the value at `segments`, where it can be told without a value. */
function schemaAt(schema: AnySchema, segments: PathSegments): AnySchema | undefined {
  let current: AnySchema | undefined = schema;
  for (const segment of segments) {
    if (current === undefined) return undefined;
    current = unwrap(current);
    const d = def(current);
    if (d.type === 'pipe' && d.in) current = unwrap(d.in);
    const inner = def(current);
    if (inner.type === 'object' && typeof segment === 'string') current = inner.shape?.[segment];
    else if (inner.type === 'record') current = inner.valueType;
    else if (inner.type === 'array') current = inner.element;
    else return undefined;
  }
  return current;
}

function allowedKeys(schema: AnySchema | undefined): string[] | undefined {
  if (schema === undefined) return undefined;
  let current = unwrap(schema);
  const d = def(current);
  if (d.type === 'pipe' && d.in) current = unwrap(d.in);
  const inner = def(current);
  return inner.type === 'object' && inner.shape ? Object.keys(inner.shape) : undefined;
}

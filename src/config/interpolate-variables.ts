import type { PathSegments } from './policy-problem.js';
import { readVariable } from './read-variable.js';

/** The outcome of replacing `${VAR}` references in a parsed document. */
export interface InterpolationResult {
  value: unknown;
  /** Every value that came from the environment (or a `_FILE`), for redaction. */
  secrets: string[];
  problems: { segments: PathSegments; message: string }[];
}

// `$${X}` is an escaped, literal `${X}`; `${X}` is a reference.
const REFERENCE = /\$(\$?)\{([^}]*)\}/g;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Replaces `${VAR}` in every string value (not in keys) with the variable's value, or with the trimmed
 * contents of the file `VAR_FILE` names. Unset variables are problems at the value's path; the
 * value is left as written there, so nothing secret-looking is invented.
 */
export function interpolateVariables(value: unknown, env: NodeJS.ProcessEnv): InterpolationResult {
  const secrets = new Set<string>();
  const problems: InterpolationResult['problems'] = [];

  const visit = (node: unknown, segments: (string | number)[]): unknown => {
    if (typeof node === 'string') return replaceIn(node, segments);
    if (Array.isArray(node)) return node.map((item, index) => visit(item, [...segments, index]));
    if (node !== null && typeof node === 'object') {
      // fromEntries defines own keys: `out[key] = …` with key "__proto__" would set the prototype instead.
      return Object.fromEntries(Object.entries(node).map(([key, item]) => [key, visit(item, [...segments, key])]));
    }
    return node;
  };

  const replaceIn = (text: string, segments: PathSegments): string => {
    if (!text.includes('${')) return text;
    let failed = false;
    const replaced = text.replace(REFERENCE, (whole, escape: string, name: string) => {
      if (escape) return whole.slice(1);
      if (!VARIABLE_NAME.test(name)) {
        problems.push({
          segments,
          message: `"\${${name}}" is not a variable reference: a name has letters, digits and "_" (write $\${…} for a literal "\${")`,
        });
        failed = true;
        return whole;
      }
      const found = readVariable(env, name);
      switch (found.kind) {
        case 'value':
          secrets.add(found.value);
          return found.value;
        case 'unset':
          problems.push({ segments, message: `environment variable ${name} is not set (nor ${name}_FILE)` });
          break;
        case 'error':
          problems.push({ segments, message: found.message });
          break;
      }
      failed = true;
      return whole;
    });
    return failed ? text : replaced;
  };

  return { value: visit(value, []), secrets: [...secrets], problems };
}

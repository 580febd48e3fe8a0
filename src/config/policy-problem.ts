/** One thing wrong with a policy file, at a place in it. */
export interface PolicyProblem {
  /** Where in the file: `resources.prod-deploy.approvers[0]`; empty for the file as a whole. */
  path: string;
  /** What is wrong (and, where it helps, what would be right). Never contains a secret. */
  message: string;
  /** 1-based line of the YAML node the problem is about, where it could be found. */
  line?: number;
  /** 1-based column of that node. */
  column?: number;
}

/** A path inside a policy document, as keys and list indexes. */
export type PathSegments = readonly (string | number)[];

const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;

/** `['resources', 'prod-deploy', 'approvers', 0]` → `resources.prod-deploy.approvers[0]`; odd keys are quoted: `people["a.b"]`. */
export function formatPath(segments: PathSegments): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** `resources.prod-deploy.approvers[0]: unknown group "sre" (line 12, column 7)`. */
export function formatProblem(problem: PolicyProblem): string {
  const where =
    problem.line === undefined ? '' : problem.column === undefined ? ` (line ${problem.line})` : ` (line ${problem.line}, column ${problem.column})`;
  return problem.path === '' ? `${problem.message}${where}` : `${problem.path}: ${problem.message}${where}`;
}

import { readFileSync } from 'node:fs';

/** What the environment holds for one variable, looking at `NAME` and then `NAME_FILE`. */
export type VariableLookup =
  | { kind: 'value'; value: string; from: 'env' | 'file' }
  | { kind: 'unset' }
  | { kind: 'error'; message: string };

/**
 * Reads `name` from `env`, or the trimmed contents of the file `NAME_FILE` names (Docker and
 * Kubernetes secrets). An empty value counts as unset; setting both is a mistake worth naming.
 * Messages name variables and files, never values.
 */
export function readVariable(env: NodeJS.ProcessEnv, name: string): VariableLookup {
  const direct = env[name];
  const file = env[`${name}_FILE`];
  const hasDirect = direct !== undefined && direct !== '';
  const hasFile = file !== undefined && file !== '';
  if (hasDirect && hasFile) return { kind: 'error', message: `both ${name} and ${name}_FILE are set; set only one` };
  if (hasDirect) return { kind: 'value', value: direct, from: 'env' };
  if (!hasFile) return { kind: 'unset' };
  let contents: string;
  try {
    contents = readFileSync(file, 'utf8').trim();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${code})`;
    return { kind: 'error', message: `${name}_FILE names ${file}, which ${why}` };
  }
  if (contents === '') return { kind: 'error', message: `${name}_FILE names ${file}, which is empty` };
  return { kind: 'value', value: contents, from: 'file' };
}

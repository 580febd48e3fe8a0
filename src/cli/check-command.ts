import type { Command } from 'commander';
import { formatDuration } from '../core/domain/duration.js';
import type { IssuerFactory } from '../core/ports/issuer.js';
import { durationLimits, membersOf } from '../core/policy/evaluate-policy.js';
import type { Policy } from '../core/policy/policy-schema.js';
import { DEFAULT_POLICY_PATH, DEMO_POLICY_NAME, resolvePolicyPath, wantsDemoPolicy } from '../config/environment.js';
import { DEMO_POLICY_YAML } from '../app/demo-policy.js';
import { closestName } from '../core/domain/closest-name.js';
import { explainAccess, type AccessExplanation } from '../config/explain-access.js';
import { formatProblem, loadPolicy } from '../config/load-policy.js';
import { builtinIssuerFactories } from '../issuers/registry.js';
import { pipelineWarnings } from '../pipelines/pipeline-warnings.js';
import { issuerNamed, personNamed } from '../core/policy/policy-lookup.js';

/** What `jitbot check` was asked. */
export interface CheckOptions {
  /** The policy file named on the command line, if any. */
  policy?: string | undefined;
  /** `--explain <person> <resource>`. */
  explain?: readonly string[] | undefined;
  /** `--strict`: warnings (loose pipeline principals) fail the check too. */
  strict?: boolean | undefined;
}

/** Where `jitbot check` reads its environment and writes its results. */
export interface CheckIo {
  env: NodeJS.ProcessEnv;
  /** One line of results (stdout). */
  print(line: string): void;
  issuerFactories?: ReadonlyMap<string, IssuerFactory>;
}

/**
 * Validates a policy file, or explains one person's access to one resource, printing results line by
 * line. Returns the exit code: 0 for a valid policy (and a successful explanation), 1 otherwise.
 * Prints names, durations and problems, never a value taken from the environment.
 */
export function runCheck(options: CheckOptions, io: CheckIo): number {
  let policyArg = options.policy;
  let explain = options.explain;
  // `check --explain alice prod-deploy policy.yaml`: the variadic option swallowed the file name.
  if (explain && explain.length === 3 && policyArg === undefined) {
    policyArg = explain[2];
    explain = explain.slice(0, 2);
  }
  if (explain && explain.length !== 2) {
    io.print('--explain takes a person and a resource: jitbot check [policy] --explain <person> <resource>');
    return 1;
  }

  let source: { path: string } | { text: string; name: string };
  let file: string;
  if (policyArg !== undefined) {
    file = policyArg;
    source = { path: file };
  } else {
    const resolved = resolvePolicyPath(io.env);
    // `--explain` before any policy is written answers about the demo policy the console runs.
    const demo = wantsDemoPolicy(io.env) || (explain !== undefined && !resolved.named && !resolved.exists);
    if (!demo && !resolved.named && !resolved.exists) {
      io.print(`no policy file to check: ${resolved.path} does not exist and JITBOT_POLICY is not set (name one: jitbot check <file>)`);
      return 1;
    }
    file = demo ? 'the built-in demo policy' : resolved.path;
    source = demo ? { text: DEMO_POLICY_YAML, name: file } : { path: file };
    if (demo && explain) io.print(`(${wantsDemoPolicy(io.env) ? `JITBOT_POLICY=${DEMO_POLICY_NAME}` : `no ${resolved.path} and JITBOT_POLICY is not set`}: explaining the built-in demo policy; \`jitbot init\` writes it to ${DEFAULT_POLICY_PATH})`);
  }

  const result = loadPolicy(source, { env: io.env, issuerFactories: io.issuerFactories ?? builtinIssuerFactories() });
  if (!result.ok) {
    for (const problem of result.problems) io.print(formatProblem(problem));
    const n = result.problems.length;
    io.print(`${n} problem${n === 1 ? '' : 's'} in ${file}`);
    return 1;
  }
  const policy = result.policy;
  if (explain) {
    const [person = '', resource = ''] = explain;
    return printExplanation(policy, person, resource, io.print);
  }
  printSummary(policy, file, io.print);
  const warnings = pipelineWarnings(policy);
  for (const warning of warnings) io.print(`warning: ${formatProblem(warning)}`);
  if (warnings.length > 0 && options.strict) {
    io.print(`${warnings.length} warning${warnings.length === 1 ? '' : 's'} in ${file} (--strict makes them errors)`);
    return 1;
  }
  return 0;
}

/** `jitbot check [policy] [--explain <person> <resource>]`. */
export function registerCheckCommand(program: Command, env: NodeJS.ProcessEnv): void {
  program
    .command('check')
    .argument('[policy]', 'policy file (default: $JITBOT_POLICY or ./jitbot.yaml)')
    .option('--explain <person_and_resource...>', 'explain what a person may do with a resource: --explain <person> <resource>')
    .option('--strict', 'treat warnings (loose pipeline principals) as errors: exit 1')
    .description('validate a policy file and print every problem with its place')
    .action((policy: string | undefined, options: { explain?: string[]; strict?: boolean }) => {
      process.exitCode = runCheck(
        { policy, explain: options.explain, strict: options.strict },
        { env, print: (line) => void process.stdout.write(`${line}\n`) },
      );
    });
}

function printSummary(policy: Policy, file: string, print: (line: string) => void): void {
  const count = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;
  print(
    `ok: ${file}: ${count(Object.keys(policy.people).length, 'person', 'people')}, ${count(Object.keys(policy.groups).length, 'group', 'groups')}, ` +
      `${count(Object.keys(policy.issuers).length, 'issuer', 'issuers')}, ${count(Object.keys(policy.resources).length, 'resource', 'resources')}`,
  );
  const width = Math.max(0, ...Object.keys(policy.resources).map((name) => name.length));
  for (const [name, resource] of Object.entries(policy.resources)) {
    const type = issuerNamed(policy, resource.issuer)?.type ?? '?';
    const approvers = membersOf(policy, resource.approvers).size;
    const { minMs, defaultMs, maxMs } = durationLimits(policy, resource);
    const parts = [
      `issuer ${resource.issuer} (${type})`,
      count(approvers, 'approver', 'approvers'),
      resource.approvals === 0 ? 'no approval needed' : `${count(resource.approvals, 'approval', 'approvals')} needed`,
      `${formatDuration(minMs)} to ${formatDuration(maxMs)} (default ${formatDuration(defaultMs)})`,
    ];
    if (resource.autoApprove.length > 0) parts.push(count(resource.autoApprove.length, 'auto-approval rule', 'auto-approval rules'));
    print(`  ${name.padEnd(width)}  ${parts.join(', ')}`);
  }
  for (const [name, pipeline] of Object.entries(policy.pipelines)) {
    print(`  pipeline:${name}  ${pipeline.provider}, matched on ${Object.keys(pipeline.claims).join(', ')}`);
  }
  for (const gate of policy.deploymentProtection) {
    print(`  deployment gate  environment ${gate.environment}${gate.repositories ? ` in ${gate.repositories.join(', ')}` : ''} → ${gate.resource}`);
  }
}

function printExplanation(policy: Policy, person: string, resource: string, print: (line: string) => void): number {
  if (!personNamed(policy, person)) {
    const guess = closestName(person, Object.keys(policy.people));
    print(`unknown person "${person}"${guess ? ` (did you mean "${guess}"?)` : ''}; people: ${Object.keys(policy.people).sort().join(', ')}`);
    return 1;
  }
  const explanation = explainAccess(policy, person, resource);
  if (!explanation) {
    const guess = closestName(resource, Object.keys(policy.resources));
    print(`unknown resource "${resource}"${guess ? ` (did you mean "${guess}"?)` : ''}; resources: ${Object.keys(policy.resources).sort().join(', ')}`);
    return 1;
  }
  for (const line of explanationLines(explanation)) print(line);
  return 0;
}

function explanationLines(e: AccessExplanation): string[] {
  const lines: string[] = [];
  const title = e.description ? `${e.resource}: ${e.description}` : e.resource;
  lines.push(`${e.person} and ${title} (issuer ${e.issuer.name}, type ${e.issuer.type ?? '?'})`);

  const who = e.requesterRefs === undefined ? 'everyone in people' : e.requesterRefs.join(', ');
  if (e.mayRequest) {
    lines.push(`may request: yes (requesters: ${who})`);
  } else if (e.requesters.length === 0) {
    lines.push(`may request: no, nobody may request ${e.resource} (requesters: ${who || 'none'})`);
  } else {
    lines.push(`may request: no, ${e.person} is not among the requesters (${who}, that is: ${e.requesters.join(', ')})`);
  }
  if (e.isAdmin) lines.push(`admin: yes, ${e.person} may revoke anyone's grant of ${e.resource}`);

  const excluded = e.personIsApprover ? ` (${e.person} is an approver too, but nobody approves their own request)` : '';
  lines.push(`approvers: ${e.approvers.length ? e.approvers.join(', ') : 'no one'}${excluded}`);
  const alwaysAuto = e.autoApproval.some((rule) => rule.upToMs >= e.limits.maxMs);
  lines.push(
    alwaysAuto && e.approvals > 0
      ? `approvals needed: none for ${e.person}, who is auto-approved (below); others need ${e.approvals}`
      : e.approvals === 0
      ? 'approvals needed: none (approvals: 0), requests are approved at once'
      : `approvals needed: ${e.approvals} distinct, from ${e.approvers.length} eligible approver${e.approvers.length === 1 ? '' : 's'}`,
  );
  const { minMs, defaultMs, maxMs } = e.limits;
  lines.push(`duration: min ${formatDuration(minMs)}, default ${formatDuration(defaultMs)}, max ${formatDuration(maxMs)}`);
  const ticket = e.ticket ? `; the reason must contain a ticket matching ${e.ticket}` : '';
  lines.push(`reason: ${e.reason}${ticket}`);

  if (e.autoApproval.length === 0) {
    lines.push(`auto-approval: none for ${e.person}`);
  } else {
    for (const rule of e.autoApproval) {
      const longer =
        rule.upToMs >= maxMs
          ? 'any allowed duration'
          : `up to ${formatDuration(rule.upToMs)}; longer requests need ${e.approvals === 0 ? 'no' : e.approvals} approval${e.approvals === 1 ? '' : 's'}`;
      const note = e.mayRequest ? '' : ` (but ${e.person} may not request ${e.resource})`;
      lines.push(`auto-approval: autoApprove[${rule.rule}] (requesters: ${rule.requesters.join(', ')}) approves ${e.person}'s requests at once for ${longer}${note}`);
    }
  }
  return lines;
}

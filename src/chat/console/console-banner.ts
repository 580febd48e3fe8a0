/** What the console prints first: what runs, where its state and logs are, how to go further. */
export function consoleBanner(details: {
  policySource: string;
  demo: boolean;
  embeddedRedis: { url: string; dir: string } | undefined;
  prefix: string;
  logFile: string;
  fresh: boolean;
}): string[] {
  const { embeddedRedis } = details;
  const state = embeddedRedis
    ? `state: kept by an embedded redis-server (${embeddedRedis.url}) in ${embeddedRedis.dir}; ${details.fresh ? 'started clean (--fresh)' : '`jitbot console --fresh` starts clean'}`
    : `state: in the Redis at REDIS_URL, keys ${details.prefix}*`;
  return [
    'jitbot console: a full local instance (request, approve, issue, remind, revoke) in this terminal.',
    `policy: ${details.policySource}${details.demo ? ' (no ./jitbot.yaml found; set JITBOT_POLICY to use yours); `jitbot init` copies it to ./jitbot.yaml' : ''}`,
    state,
    `logs: ${details.logFile}`,
    'To connect Slack set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN); for Teams TEAMS_APP_ID, TEAMS_APP_PASSWORD, TEAMS_TENANT_ID.',
    'Type /jit help for commands and /as <person> to switch who is typing.',
  ];
}

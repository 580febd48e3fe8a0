/**
 * The built-in demo policy: used when no policy is named and ./jitbot.yaml does not exist, so that
 * `npm start` on a fresh clone shows a whole lifecycle in about a minute.
 */
export const DEMO_POLICY_YAML = `# The built-in demo: alice asks for staging-deploy (a signed JWT for 45s), bob approves, the token
# arrives in alice's DM, 20s before the end she is reminded, then it is revoked: about a minute.
# prod-gate shows a quorum (two approvers) and a ticket pattern. Copy this to ./jitbot.yaml to change it.
version: 1
settings:
  approvalTimeout: 10m
  reminderBefore: 20s
  minDuration: 10s
people:
  alice: { email: alice@example.com }
  bob: { email: bob@example.com }
  carol: { email: carol@example.com }
  dave: { email: dave@example.com }
groups:
  engineers: [alice, bob, carol, dave]
  sre: [bob, carol, dave]
admins: [group:sre]
issuers:
  demo-jwt:
    type: jwt
    issuer: jitbot-demo
    introspectionToken: demo-introspection-token-change-me
  gate:
    type: none
resources:
  staging-deploy:
    description: Deploy token for staging (a signed JWT)
    issuer: demo-jwt
    params: { claims: { scope: deploy, env: staging } }
    requesters: [group:engineers]
    approvers: [group:sre]
    approvals: 1
    defaultDuration: 45s
    maxDuration: 10m
    reason: optional
  prod-gate:
    description: Approval gate for a production deploy (no credential)
    issuer: gate
    requesters: [group:engineers]
    approvers: [group:sre]
    approvals: 2
    defaultDuration: 1m
    maxDuration: 1h
    reason: required
    ticket: '^[A-Z]+-[0-9]+$'
`;

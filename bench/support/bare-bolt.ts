// The Slack ack baseline: a bare Bolt app (App with its own HTTPReceiver and the same signing secret)
// whose listeners only acknowledge. It is fed exactly what jitbot is fed, so the difference between
// the two is what jitbot adds before its ack. Usage (env): PORT, SLACK_SIGNING_SECRET, SLACK_API_URL.
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';

const signingSecret = process.env.SLACK_SIGNING_SECRET ?? '';
const port = Number(process.env.PORT ?? 0);
const receiver = new HTTPReceiver({ signingSecret, endpoints: '/slack/events' });
const app = new App({
  receiver,
  token: 'xoxb-bench-bare-bolt',
  tokenVerificationEnabled: false,
  logLevel: LogLevel.ERROR,
  ...(process.env.SLACK_API_URL ? { clientOptions: { slackApiUrl: process.env.SLACK_API_URL } } : {}),
});
app.command(/.*/, async ({ ack }) => {
  await ack();
});
app.action(/.*/, async ({ ack }) => {
  await ack();
});
app.view(/.*/, async ({ ack }) => {
  await ack();
});
await app.start(port);
console.log(`bare-bolt listening on ${port}`);
process.on('SIGTERM', () => void app.stop().then(() => process.exit(0)));

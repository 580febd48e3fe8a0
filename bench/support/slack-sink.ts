// A minimal stand-in for Slack's Web API and response_urls, run as its own process during the
// benchmark (so answering jitbot's outbound calls never steals time from the load generator).
// Every Web API method answers `ok: true` at once with what jitbot reads back; nothing is validated
// or stored except call counts (GET /stats). Usage: PORT=<port> node bin/run-ts.js bench/support/slack-sink.ts
import http from 'node:http';

const port = Number(process.env.PORT ?? 0);
const counts: Record<string, number> = {};
let ts = 1_700_000_000_000;

function answer(method: string, form: URLSearchParams): object {
  switch (method) {
    case 'auth.test':
      return { ok: true, url: 'https://bench.slack.invalid/', team: 'bench', user: 'jitbot', team_id: 'T0BENCH', user_id: 'U0JITBOT', bot_id: 'B0JITBOT' };
    case 'conversations.open':
      return { ok: true, channel: { id: `D${(form.get('users') ?? 'U0X').slice(1)}` } };
    case 'chat.postMessage':
    case 'chat.update':
    case 'chat.postEphemeral':
      return { ok: true, channel: form.get('channel') ?? 'C0BENCH', ts: form.get('ts') ?? `${Math.floor(++ts / 1e6)}.${String(ts % 1e6).padStart(6, '0')}` };
    case 'views.open':
    case 'views.update':
    case 'views.publish':
      return { ok: true, view: { id: 'V0BENCH', hash: `h${++ts}` } };
    case 'users.info':
      return { ok: true, user: { id: form.get('user') ?? 'U0X', name: 'bench', tz: 'UTC' } };
    default:
      return { ok: true };
  }
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const url = req.url ?? '/';
    if (req.method === 'GET' && url === '/stats') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(counts));
      return;
    }
    if (req.method === 'GET') {
      res.writeHead(200).end('ok');
      return;
    }
    if (url.startsWith('/response/')) {
      counts.response_url = (counts.response_url ?? 0) + 1;
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    const method = url.startsWith('/api/') ? url.slice('/api/'.length).split('?')[0]! : 'unknown';
    counts[method] = (counts[method] ?? 0) + 1;
    const text = Buffer.concat(chunks).toString('utf8');
    let form = new URLSearchParams();
    if (String(req.headers['content-type'] ?? '').includes('json')) {
      try {
        const parsed = JSON.parse(text) as Record<string, unknown>;
        form = new URLSearchParams(Object.entries(parsed).flatMap(([k, v]): [string, string][] => (typeof v === 'string' ? [[k, v]] : [])));
      } catch {
        // answered anyway
      }
    } else {
      form = new URLSearchParams(text);
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer(method, form)));
  });
});
server.keepAliveTimeout = 30_000;
server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  console.log(`slack-sink listening on ${typeof address === 'object' && address ? address.port : port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));

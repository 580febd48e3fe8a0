import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OracleCredential {
  grantId: string;
  issuedAt: number;
  windowEnd: number;
  revokedAt?: number;
  issueCalls: number;
  revokeCalls: number;
}

/**
 * The far side of an issuer for multi-process tests: a loopback HTTP server that records every
 * credential's [issuedAt, revokedAt) and honours the grant id as idempotency key. Worker processes
 * reach it through HttpOracleIssuer; the test reads its records.
 */
export class IssuerOracle {
  readonly credentials = new Map<string, OracleCredential>();
  private server: http.Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const data = body ? (JSON.parse(body) as { grantId: string; windowEnd?: number }) : { grantId: '' };
        if (req.url === '/issue') {
          const existing = this.credentials.get(data.grantId);
          if (existing && existing.revokedAt === undefined) existing.issueCalls++;
          else this.credentials.set(data.grantId, { grantId: data.grantId, issuedAt: Date.now(), windowEnd: data.windowEnd ?? 0, issueCalls: 1, revokeCalls: 0 });
        } else if (req.url === '/revoke') {
          const record = this.credentials.get(data.grantId);
          if (record) {
            record.revokeCalls++;
            record.revokedAt ??= Date.now();
          }
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The loopback HTTP(S) server under the GitHub, Vault and webhook fakes: parses requests, logs them,
 * and applies programmable faults before (or after) the fake's own handler runs.
 */

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  rawBody: string;
  /** The body parsed as JSON, or undefined. */
  body: unknown;
}

export interface FakeReply {
  status: number;
  headers?: Record<string, string>;
  /** JSON (objects) or text (strings); none for 204. */
  body?: unknown;
}

/**
 * - `status`: answer with this instead of running the handler (nothing changes);
 * - `drop`: close the connection without answering (nothing changes);
 * - `lose-response`: run the handler (the change is applied), then close the connection without answering;
 * - `delay`: wait `ms` before handling (a slow server; a client timeout shorter than it sees no answer).
 */
export type FaultKind = { kind: 'status'; reply: FakeReply } | { kind: 'drop' } | { kind: 'lose-response' } | { kind: 'delay'; ms: number };

export type Fault = FaultKind & {
  method?: string;
  /** Matched against the path (without the query). */
  path?: RegExp;
  /** How many matching requests it applies to (default 1; Infinity until cleared). */
  times?: number;
};

export interface LoggedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  rawBody: string;
  /** What the client got: a status, or "dropped" / "lost" (applied, no answer). */
  outcome: number | 'dropped' | 'lost';
}

export type FakeHandler = (request: FakeRequest) => Promise<FakeReply> | FakeReply;

/** A loopback server with faults and a request log. */
export class LoopbackServer {
  readonly log: LoggedRequest[] = [];
  #faults: Array<Fault & { left: number }> = [];
  #server: Server | undefined;
  #url = '';
  readonly #handler: FakeHandler;
  readonly #tls: { key: string; cert: string } | undefined;

  constructor(handler: FakeHandler, options: { tls?: { key: string; cert: string } } = {}) {
    this.#handler = handler;
    this.#tls = options.tls;
  }

  /** Starts listening on 127.0.0.1 at a free port; returns the base URL. */
  async start(): Promise<string> {
    const listener = (req: IncomingMessage, res: ServerResponse): void => void this.#serve(req, res);
    const server = this.#tls ? createHttpsServer({ key: this.#tls.key, cert: this.#tls.cert }, listener) : createHttpServer(listener);
    this.#server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    this.#url = `${this.#tls ? 'https' : 'http'}://127.0.0.1:${port}`;
    return this.#url;
  }

  get url(): string {
    return this.#url;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    this.#server = undefined;
  }

  /** Adds a fault; returns a function that removes it. */
  fault(fault: Fault): () => void {
    const entry = { ...fault, left: fault.times ?? 1 };
    this.#faults.push(entry);
    return () => {
      this.#faults = this.#faults.filter((f) => f !== entry);
    };
  }

  clearFaults(): void {
    this.#faults = [];
  }

  /** Requests whose method and path match. */
  requests(method: string, path: RegExp): LoggedRequest[] {
    return this.log.filter((r) => r.method === method && path.test(r.path));
  }

  #takeFault(method: string, path: string): FaultKind | undefined {
    const fault = this.#faults.find((f) => f.left > 0 && (!f.method || f.method === method) && (!f.path || f.path.test(path)));
    if (!fault) return undefined;
    fault.left -= 1;
    if (fault.left <= 0) this.#faults = this.#faults.filter((f) => f !== fault);
    return fault;
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = (req.method ?? 'GET').toUpperCase();
    const logged: LoggedRequest = { method, path: url.pathname, headers: req.headers, rawBody, outcome: 'dropped' };
    this.log.push(logged);
    let body: unknown;
    try {
      body = rawBody.length > 0 ? JSON.parse(rawBody) : undefined;
    } catch {
      body = undefined;
    }
    const request: FakeRequest = { method, path: url.pathname, query: url.searchParams, headers: req.headers, rawBody, body };

    const fault = this.#takeFault(method, url.pathname);
    if (fault?.kind === 'drop') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'delay') await sleep(fault.ms);
    let reply: FakeReply;
    try {
      reply = fault?.kind === 'status' ? fault.reply : await this.#handler(request);
    } catch (error) {
      reply = { status: 500, body: { message: `fake failed: ${(error as Error).message}` } };
    }
    if (fault?.kind === 'lose-response') {
      logged.outcome = 'lost';
      req.socket.destroy();
      return;
    }
    if (res.destroyed || req.socket.destroyed) return;
    logged.outcome = reply.status;
    const headers: Record<string, string> = { ...reply.headers };
    let payload: string | undefined;
    if (reply.body !== undefined && reply.status !== 204) {
      if (typeof reply.body === 'string') {
        payload = reply.body;
        headers['content-type'] ??= 'text/plain; charset=utf-8';
      } else {
        payload = JSON.stringify(reply.body);
        headers['content-type'] ??= 'application/json; charset=utf-8';
      }
    }
    res.writeHead(reply.status, headers);
    res.end(payload);
  }
}

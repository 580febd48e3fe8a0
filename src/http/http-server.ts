import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../core/ports/logger.js';

/** A request as route handlers see it: the raw body bytes are kept, so signatures can be checked over them. */
export interface HttpRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  rawBody: Buffer;
  /** The underlying request, for SDKs that want it (botbuilder). */
  raw: IncomingMessage;
}

export interface HttpResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer | object;
}

export type RouteHandler = (request: HttpRequest, response: ServerResponse) => Promise<HttpResponse | undefined>;

/** Looks at the headers before the body is read: an answer here (a 401, say) means the body is never read. */
export type HeaderCheck = (headers: IncomingMessage['headers']) => HttpResponse | undefined;

export interface HttpServerOptions {
  host: string;
  port: number;
  log: Logger;
  /** Bodies above this many bytes are refused with 413 before anything parses them. */
  maxBodyBytes?: number;
}

/**
 * The one HTTP server every part mounts on (Slack, Teams, health, metrics, JWKS). Deliberately small:
 * exact-path routing, a hard body limit, header and request timeouts against slow clients.
 */
export class HttpServer {
  private readonly routes = new Map<string, RouteHandler>();
  private readonly headerChecks = new Map<string, HeaderCheck>();
  private readonly prefixRoutes: { method: string; prefix: string; handler: RouteHandler }[] = [];
  private readonly server: http.Server;
  private readonly maxBodyBytes: number;

  constructor(private readonly options: HttpServerOptions) {
    this.maxBodyBytes = options.maxBodyBytes ?? 256 * 1024;
    this.server = http.createServer((req, res) => void this.dispatch(req, res));
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 15_000;
    this.server.keepAliveTimeout = 5_000;
  }

  /** Mounts a handler on an exact method and path (`POST /slack/events`). */
  route(method: string, path: string, handler: RouteHandler, options: { beforeBody?: HeaderCheck } = {}): void {
    this.routes.set(`${method.toUpperCase()} ${path}`, handler);
    if (options.beforeBody) this.headerChecks.set(`${method.toUpperCase()} ${path}`, options.beforeBody);
  }

  /**
   * Mounts a handler on every path below `prefix` (`GET /v1/requests/` serves `/v1/requests/JIT-4`),
   * for paths that carry an id. Exact routes win; among prefixes, the longest.
   */
  routePrefix(method: string, prefix: string, handler: RouteHandler): void {
    if (!prefix.endsWith('/')) throw new Error(`a route prefix ends with "/" (got ${prefix})`);
    this.prefixRoutes.push({ method: method.toUpperCase(), prefix, handler });
    this.prefixRoutes.sort((a, b) => b.prefix.length - a.prefix.length);
  }

  private find(method: string, path: string): RouteHandler | undefined {
    const exact = this.routes.get(`${method} ${path}`);
    if (exact) return exact;
    return this.prefixRoutes.find((r) => r.method === method && path.startsWith(r.prefix) && path.length > r.prefix.length)?.handler;
  }

  private pathKnown(path: string): boolean {
    return [...this.routes.keys()].some((k) => k.endsWith(` ${path}`)) || this.prefixRoutes.some((r) => path.startsWith(r.prefix) && path.length > r.prefix.length);
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections?.();
    });
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const handler = this.find(req.method ?? 'GET', url.pathname);
    if (!handler) {
      const pathKnown = this.pathKnown(url.pathname);
      send(res, { status: pathKnown ? 405 : 404, body: { error: pathKnown ? 'method not allowed' : 'not found' } });
      req.resume();
      return;
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    const early = this.headerChecks.get(`${req.method ?? 'GET'} ${url.pathname}`)?.(req.headers);
    if (early) {
      // Not read: a small body is drained (keep-alive survives), a large one is cut off.
      const small = declared <= this.maxBodyBytes && req.headers['transfer-encoding'] === undefined;
      send(res, early, !small);
      if (small) req.resume();
      else req.destroy();
      return;
    }
    if (declared > this.maxBodyBytes) {
      send(res, { status: 413, body: { error: `body larger than ${this.maxBodyBytes} bytes` } }, true);
      req.destroy();
      return;
    }
    let rawBody: Buffer;
    try {
      rawBody = await readBody(req, this.maxBodyBytes);
    } catch {
      send(res, { status: 413, body: { error: `body larger than ${this.maxBodyBytes} bytes` } }, true);
      req.destroy();
      return;
    }
    try {
      const result = await handler({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, rawBody, raw: req }, res);
      if (result && !res.headersSent) send(res, result);
    } catch (error) {
      this.options.log.error({ path: url.pathname, error: error instanceof Error ? error.message : String(error) }, 'http handler failed');
      if (!res.headersSent) send(res, { status: 500, body: { error: 'internal error' } });
    }
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new Error('too large'));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function send(res: ServerResponse, response: HttpResponse, close = false): void {
  const body = response.body;
  const isJson = body !== undefined && typeof body === 'object' && !Buffer.isBuffer(body);
  const payload = body === undefined ? '' : isJson ? JSON.stringify(body) : body;
  res.writeHead(response.status, {
    ...(isJson ? { 'content-type': 'application/json; charset=utf-8' } : {}),
    ...(close ? { connection: 'close' } : {}),
    ...response.headers,
  });
  res.end(payload);
}

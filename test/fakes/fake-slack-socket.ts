import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Json } from './fake-slack.js';
import { waitFor } from '../support/wait-for.js';

/** An acknowledgement the app sent back over the socket. */
export interface SocketAck {
  envelopeId: string;
  payload: Json;
  /** Milliseconds from sending the envelope to receiving its ack. */
  ms: number;
}

const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/**
 * A fake of Slack's Socket Mode endpoint: the WebSocket URL that `apps.connections.open` hands out. It
 * speaks just enough RFC 6455 (handshake, unfragmented text frames, ping → pong, close) and Slack's
 * Socket Mode protocol (`hello`, then envelopes `{envelope_id, type, payload}` that the app must ack
 * with `{envelope_id, payload?}`) to drive a Bolt SocketModeReceiver from a test.
 */
export class FakeSlackSocket {
  readonly acks: SocketAck[] = [];
  private server: http.Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly sentAt = new Map<string, number>();
  private port = 0;
  connections = 0;

  async start(): Promise<this> {
    this.server = http.createServer((_req, res) => res.writeHead(426).end());
    this.server.on('upgrade', (req, socket: Socket) => this.accept(req, socket));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** What `apps.connections.open` returns as `url`. */
  get url(): string {
    return `ws://127.0.0.1:${this.port}/link/?ticket=${randomBytes(4).toString('hex')}`;
  }

  /** Sends an envelope (`slash_commands`, `interactive`, `events_api`) to the connected app; returns its envelope id. */
  send(type: 'slash_commands' | 'interactive' | 'events_api', payload: Json): string {
    const socket = [...this.sockets].at(-1);
    if (!socket) throw new Error('fake Socket Mode: no app connected');
    const envelopeId = randomBytes(8).toString('hex');
    this.sentAt.set(envelopeId, performance.now());
    socket.write(frame(0x1, Buffer.from(JSON.stringify({ envelope_id: envelopeId, type, payload, accepts_response_payload: type !== 'events_api', retry_attempt: 0, retry_reason: '' }))));
    return envelopeId;
  }

  async waitForAck(envelopeId: string, timeoutMs = 5000): Promise<SocketAck> {
    return waitFor(`fake Socket Mode: the ack of ${envelopeId}`, () => this.acks.find((a) => a.envelopeId === envelopeId), timeoutMs, 10);
  }

  private accept(req: http.IncomingMessage, socket: Socket): void {
    const key = req.headers['sec-websocket-key'];
    if (typeof key !== 'string') {
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    const accept = createHash('sha1').update(key + WEBSOCKET_GUID).digest('base64');
    socket.write(['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${accept}`, '', ''].join('\r\n'));
    this.sockets.add(this.track(socket));
    this.connections++;
    socket.write(frame(0x1, Buffer.from(JSON.stringify({ type: 'hello', num_connections: 1, debug_info: { host: 'fake' }, connection_info: { app_id: 'A0JITBOT' } }))));
  }

  private track(socket: Socket): Socket {
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const parsed = parseFrame(buffered);
        if (!parsed) break;
        buffered = buffered.subarray(parsed.length);
        if (parsed.opcode === 0x9) socket.write(frame(0xa, parsed.payload));
        else if (parsed.opcode === 0x8) {
          socket.end(frame(0x8, parsed.payload.subarray(0, 2)));
          this.sockets.delete(socket);
        } else if (parsed.opcode === 0x1) this.received(parsed.payload.toString('utf8'));
      }
    });
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => this.sockets.delete(socket));
    return socket;
  }

  private received(text: string): void {
    let message: Json;
    try {
      message = JSON.parse(text) as Json;
    } catch {
      return;
    }
    const envelopeId = String(message.envelope_id ?? '');
    const sent = this.sentAt.get(envelopeId);
    if (sent === undefined) return;
    this.acks.push({ envelopeId, payload: (message.payload ?? {}) as Json, ms: performance.now() - sent });
  }
}

/** A server frame: final, unmasked. */
function frame(opcode: number, payload: Buffer): Buffer {
  const head =
    payload.length < 126
      ? Buffer.from([0x80 | opcode, payload.length])
      : payload.length < 65_536
        ? Buffer.from([0x80 | opcode, 126, payload.length >> 8, payload.length & 0xff])
        : Buffer.concat([Buffer.from([0x80 | opcode, 127]), (() => {
            const size = Buffer.alloc(8);
            size.writeBigUInt64BE(BigInt(payload.length));
            return size;
          })()]);
  return Buffer.concat([head, payload]);
}

/** One complete client frame (masked, as clients must send), or undefined when more bytes are needed. */
function parseFrame(buffer: Buffer): { opcode: number; payload: Buffer; length: number } | undefined {
  if (buffer.length < 2) return undefined;
  const opcode = buffer[0]! & 0x0f;
  const masked = (buffer[1]! & 0x80) !== 0;
  let length = buffer[1]! & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (buffer.length < 4) return undefined;
    length = buffer.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (buffer.length < 10) return undefined;
    length = Number(buffer.readBigUInt64BE(2));
    offset = 10;
  }
  const maskAt = offset;
  if (masked) offset += 4;
  if (buffer.length < offset + length) return undefined;
  const payload = Buffer.from(buffer.subarray(offset, offset + length));
  if (masked) for (let i = 0; i < payload.length; i++) payload[i]! ^= buffer[maskAt + (i % 4)]!;
  return { opcode, payload, length: offset + length };
}

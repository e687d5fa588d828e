import type { IncomingMessage } from 'node:http';
import { connect as connectTcp, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as connectTls } from 'node:tls';
import { hopHeader } from './hopSignature.js';

export interface ForwardOptions {
  /** The owner node's advertised url (`ws://host:port` or `wss://...`). */
  targetUrl: string;
  /** The client's upgrade request, forwarded with its subprotocols (the token) as they came. */
  request: IncomingMessage;
  client: Duplex;
  /** Bytes the client sent after its request head. */
  head: Buffer;
  /** The signed hop header value. */
  hop: string;
  /** The owner must answer the upgrade within this (a hung node must not hold the client). */
  timeoutMs: number;
}

export type ForwardOutcome =
  /**
   * The owner accepted: its 101 went to the client and the sockets are piped raw until `closed`;
   * `cut` ends both at once; `bytes` reads the upstream socket's own counters (no per-chunk work).
   */
  | { kind: 'piped'; cut: () => void; closed: Promise<void>; bytes: () => PipedBytes }
  /** The owner answered the upgrade with another status (421: not the owner; 403: hop refused). */
  | { kind: 'answered'; status: number }
  | { kind: 'unreachable'; error: Error }
  /** The client went away while the owner was being asked. */
  | { kind: 'client-gone' };

/** Bytes through one proxied socket so far, counted on its upstream side (the request head included). */
export interface PipedBytes {
  toOwner: number;
  toClient: number;
}

/** A response head larger than this is not a WebSocket handshake answer. */
const maxResponseHeadBytes = 16 * 1024;
/** After one side closes, the other gets this long to flush its last bytes (a close frame) before it is cut. */
const lingerMs = 2_000;

/**
 * Proxies one upgrade to the owner region (issue 15, point 1): opens a TCP (or TLS) connection,
 * sends the client's request with a hop header, and on the owner's 101 hands that answer and
 * everything after it to the client and pipes the two sockets raw. No frame is parsed or
 * re-framed, so the client sees exactly the owner's frames and close codes.
 */
export function forwardUpgrade(options: ForwardOptions): Promise<ForwardOutcome> {
  const upstream = openUpstream(options.targetUrl);
  upstream.setNoDelay(true);
  upstream.write(requestHead(options));
  if (options.head.length > 0) upstream.write(options.head);
  return awaitAnswer(upstream, options).then((answer): ForwardOutcome => {
    if (answer.kind !== 'accepted') {
      upstream.destroy();
      return answer;
    }
    return { kind: 'piped', ...pipeRaw(options.client, upstream) };
  });
}

function openUpstream(targetUrl: string): Socket {
  const url = new URL(targetUrl);
  const secure = url.protocol === 'wss:';
  const port = Number(url.port || (secure ? 443 : 80));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return secure ? connectTls({ host, port, servername: host }) : connectTcp({ host, port });
}

/** The client's request line and headers, minus Host (the owner's) and any hop header it sent itself. */
function requestHead({ request, targetUrl, hop }: ForwardOptions): string {
  const lines = [`GET ${request.url ?? '/'} HTTP/1.1`, `Host: ${new URL(targetUrl).host}`];
  const raw = request.rawHeaders;
  for (let index = 0; index + 1 < raw.length; index += 2) {
    const name = raw[index].toLowerCase();
    if (name === 'host' || name === hopHeader) continue;
    lines.push(`${raw[index]}: ${raw[index + 1]}`);
  }
  lines.push(`${hopHeader}: ${hop}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** Reads the owner's response head; on 101 writes it (and whatever followed) to the client. */
type Answer = Exclude<ForwardOutcome, { kind: 'piped' }> | { kind: 'accepted' };

function awaitAnswer(upstream: Socket, options: ForwardOptions): Promise<Answer> {
  return new Promise((resolve) => {
    let received = Buffer.alloc(0);
    const finish = (outcome: Answer) => {
      clearTimeout(timer);
      upstream.off('data', onData).off('error', onError).off('close', onClose);
      options.client.off('close', onClientGone);
      resolve(outcome);
    };
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) {
        if (received.length > maxResponseHeadBytes) finish({ kind: 'unreachable', error: new Error('the owner sent no HTTP answer') });
        return;
      }
      const status = statusOf(received.subarray(0, end).toString('latin1'));
      if (status !== 101) return finish({ kind: 'answered', status: status ?? 502 });
      upstream.pause();
      options.client.write(received);
      finish({ kind: 'accepted' });
    };
    const onError = (error: Error) => finish({ kind: 'unreachable', error });
    const onClose = () => finish({ kind: 'unreachable', error: new Error('the owner closed the connection before it answered') });
    const onClientGone = () => finish({ kind: 'client-gone' });
    const timer = setTimeout(() => finish({ kind: 'unreachable', error: new Error(`no answer within ${options.timeoutMs} ms`) }), options.timeoutMs);
    upstream.on('data', onData).on('error', onError).on('close', onClose);
    options.client.once('close', onClientGone);
  });
}

function statusOf(head: string): number | null {
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(head);
  return match ? Number(match[1]) : null;
}

/** Both directions raw; when either side ends or fails, the other follows. */
function pipeRaw(client: Duplex, upstream: Socket): { cut: () => void; closed: Promise<void>; bytes: () => PipedBytes } {
  if ('setNoDelay' in client && typeof client.setNoDelay === 'function') (client as Socket).setNoDelay(true);
  const cut = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', cut);
  upstream.on('error', cut);
  client.once('close', () => linger(upstream));
  upstream.once('close', () => linger(client));
  upstream.pipe(client);
  client.pipe(upstream);
  upstream.resume();
  const closed = Promise.all([onceClosed(client), onceClosed(upstream)]).then(() => undefined);
  return { cut, closed, bytes: () => ({ toOwner: upstream.bytesWritten, toClient: upstream.bytesRead }) };
}

function onceClosed(socket: Duplex): Promise<void> {
  return socket.closed ? Promise.resolve() : new Promise((resolve) => socket.once('close', () => resolve()));
}

/** Ends the socket (its last bytes still go out) and cuts it if the peer does not close soon. */
function linger(socket: Duplex): void {
  if (socket.destroyed) return;
  socket.end();
  setTimeout(() => socket.destroy(), lingerMs).unref();
}

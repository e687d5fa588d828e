import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { hostOf, isBlockedAddress, WebhookAddressError } from './addressPolicy.js';

export interface WebhookRequest {
  url: string;
  secret: string;
  /** The delivery id: the same `webhook-id` on every attempt, so the receiver can dedupe. */
  messageId: string;
  body: string;
  /** The `webhook-timestamp` (the time of this attempt). */
  sentAt: Date;
}

export type SendResult =
  | { kind: 'delivered'; status: number }
  | { kind: 'gone'; status: 410 }
  | { kind: 'failed'; status: number | null; error: string };

export interface WebhookSenderOptions {
  /** A 2xx must arrive within this (spec: 10 s), else the attempt failed. */
  timeoutMs: number;
  /** Private addresses are refused at send time too, unless allowed (--allow-private-webhooks). */
  allowPrivate: boolean;
}

/** How much of a failed answer's body goes into `last_error`. */
const maxErrorBodyBytes = 256;

/**
 * One signed POST. The host is resolved with dns.lookup at send time and every address checked,
 * and the socket connects to the checked address (the lookup is the request's own), so a name
 * that resolves elsewhere after it was added (DNS rebinding) cannot reach a private address.
 */
export function sendWebhook(request: WebhookRequest, options: WebhookSenderOptions): Promise<SendResult> {
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return Promise.resolve({ kind: 'failed', status: null, error: `invalid url ${request.url}` });
  }
  const literal = hostOf(url);
  if (isIP(literal) !== 0 && !options.allowPrivate && isBlockedAddress(literal)) {
    return Promise.resolve({ kind: 'failed', status: null, error: `address ${literal} refused (loopback, private, link-local or metadata)` });
  }
  const signature = new Webhook(request.secret).sign(request.messageId, request.sentAt, request.body);
  const headers = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(request.body)),
    'user-agent': 'wiresocket-webhooks',
    'webhook-id': request.messageId,
    'webhook-timestamp': String(Math.floor(request.sentAt.getTime() / 1000)),
    'webhook-signature': signature,
  };
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise<SendResult>((resolve) => {
    let settled = false;
    const finish = (result: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve(result);
    };
    const outgoing = transport.request(url, { method: 'POST', headers, lookup: guardedLookup(options.allowPrivate), agent: false }, (response) => {
      const status = response.statusCode ?? 0;
      if (status >= 200 && status < 300) {
        response.resume();
        finish({ kind: 'delivered', status });
        return;
      }
      if (status === 410) {
        response.resume();
        finish({ kind: 'gone', status });
        return;
      }
      collectStart(response, (text) => finish({ kind: 'failed', status, error: `HTTP ${status}${text === '' ? '' : `: ${text}`}` }));
    });
    const deadline = setTimeout(() => {
      finish({ kind: 'failed', status: null, error: `no answer within ${options.timeoutMs} ms` });
      outgoing.destroy();
    }, options.timeoutMs);
    deadline.unref();
    outgoing.on('error', (error) => finish({ kind: 'failed', status: null, error: error.message }));
    outgoing.end(request.body);
  });
}

/** The first bytes of a failed answer, for the operator; the rest is discarded. */
function collectStart(response: http.IncomingMessage, done: (text: string) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  response.on('data', (chunk: Buffer) => {
    if (size < maxErrorBodyBytes) chunks.push(chunk);
    size += chunk.length;
  });
  const end = () => done(Buffer.concat(chunks).subarray(0, maxErrorBodyBytes).toString('utf8').replace(/\s+/g, ' ').trim());
  response.once('end', end);
  response.once('error', end);
  response.once('close', end);
}

/** dns.lookup, refusing a host any of whose addresses is blocked (unless private ones are allowed). */
function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { family: options.family, hints: options.hints, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      const refused = addresses.filter((entry) => isBlockedAddress(entry.address));
      if (!allowPrivate && refused.length > 0) {
        return callback(new WebhookAddressError(`${hostname} resolves to ${refused.map((entry) => entry.address).join(', ')}: refused (loopback, private, link-local or metadata)`), '', 0);
      }
      if (addresses.length === 0) return callback(new Error(`${hostname} has no address`), '', 0);
      if (options.all) return (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

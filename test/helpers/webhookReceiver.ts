import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
  receivedAt: number;
}

/** How the receiver answers one request: a status, or `hang` (never answers). */
export type ReceiverAnswer = number | 'hang';

/**
 * A real HTTP receiver on loopback that records every request and answers as the test says. It
 * verifies nothing itself; `verify` checks a request with the `standardwebhooks` package, as a
 * customer's receiver would.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  /** Requests being answered right now (the most at once is `maxConcurrent`). */
  concurrent = 0;
  maxConcurrent = 0;
  private readonly hanging = new Set<ServerResponse>();
  private readonly waiters: { count: number; resolve: () => void }[] = [];
  private readonly server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      this.received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), receivedAt: Date.now() });
      this.concurrent++;
      this.maxConcurrent = Math.max(this.maxConcurrent, this.concurrent);
      response.on('close', () => this.concurrent--);
      this.wake();
      const answer = this.answer(this.received.length);
      if (answer === 'hang') this.hanging.add(response);
      else setTimeout(() => response.writeHead(answer, { 'content-type': 'text/plain' }).end(answer >= 300 ? `answer ${answer}` : ''), this.delayMs);
    });
  });

  /** `answer(n)` for the n-th request (from 1); 204 by default. */
  constructor(
    public answer: (n: number) => ReceiverAnswer = () => 204,
    public delayMs = 0,
  ) {}

  static async start(answer?: (n: number) => ReceiverAnswer, delayMs?: number): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver(answer, delayMs);
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
  }

  /** Resolves once `count` requests have arrived (or fails after `timeoutMs`). */
  waitFor(count: number, timeoutMs = 10_000): Promise<void> {
    if (this.received.length >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`receiver got ${this.received.length} of ${count} requests within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  /** Answers every hanging request with `status`. */
  release(status = 204): void {
    for (const response of this.hanging) response.writeHead(status).end();
    this.hanging.clear();
  }

  async close(): Promise<void> {
    for (const response of this.hanging) response.destroy();
    this.hanging.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) {
      if (this.received.length >= waiter.count) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  }
}

/** Verifies one received request with `standardwebhooks` and returns its parsed body. */
export function verifyWebhook(secret: string, request: ReceivedWebhook): { type: string; timestamp: string; data: Record<string, unknown> } {
  const headers = {
    'webhook-id': String(request.headers['webhook-id']),
    'webhook-timestamp': String(request.headers['webhook-timestamp']),
    'webhook-signature': String(request.headers['webhook-signature']),
  };
  return new Webhook(secret).verify(request.body, headers) as { type: string; timestamp: string; data: Record<string, unknown> };
}

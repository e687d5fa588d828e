import { WebSocket } from 'ws';
import type { ServerBoardMessage } from '../../src/boards/boardProtocol.js';
import { socketOutcome, type SocketClose } from './socketOutcome.js';
import { withTimeout } from './yjsClient.js';

export type BoardClose = SocketClose;

/** A bare `ws` client of the board protocol: sends JSON (or anything) by hand, records every message and the close. */
export class RawBoardClient {
  readonly messages: ServerBoardMessage[] = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<BoardClose>;
  private readonly waiters: Array<() => void> = [];

  constructor(readonly ws: WebSocket) {
    ({ opened: this.opened, closed: this.closed } = socketOutcome(ws));
    ws.on('message', (data: Buffer) => {
      this.messages.push(JSON.parse(data.toString()) as ServerBoardMessage);
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static connect(serverUrl: string, boardId: string, token: string | null): RawBoardClient {
    const url = `${serverUrl}/v1/boards/${encodeURIComponent(boardId)}`;
    return new RawBoardClient(token === null ? new WebSocket(url) : new WebSocket(url, ['Bearer', token]));
  }

  /** Connects and joins; resolves with the `joined` message. */
  static async join(serverUrl: string, boardId: string, token: string, join: Record<string, unknown> = {}): Promise<{ client: RawBoardClient; joined: Extract<ServerBoardMessage, { type: 'joined' }> }> {
    const client = RawBoardClient.connect(serverUrl, boardId, token);
    await client.opened;
    client.send({ type: 'join', displayName: 'someone', ...join });
    const joined = await client.next('joined');
    return { client, joined };
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' || Buffer.isBuffer(message) ? message : JSON.stringify(message));
  }

  /** The first message of that type (already received or the next one), with a timeout. */
  async next<T extends ServerBoardMessage['type']>(type: T, match: (message: Extract<ServerBoardMessage, { type: T }>) => boolean = () => true, timeoutMs = 5000): Promise<Extract<ServerBoardMessage, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find((message): message is Extract<ServerBoardMessage, { type: T }> => message.type === type && match(message as Extract<ServerBoardMessage, { type: T }>));
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for a ${type} message; got ${JSON.stringify(this.messages.map((message) => message.type))}`);
      await withTimeout(new Promise<void>((resolve) => this.waiters.push(resolve)), left, type).catch(() => undefined);
    }
  }

  of<T extends ServerBoardMessage['type']>(type: T): Array<Extract<ServerBoardMessage, { type: T }>> {
    return this.messages.filter((message): message is Extract<ServerBoardMessage, { type: T }> => message.type === type);
  }

  waitForClose(timeoutMs = 5000): Promise<BoardClose> {
    return withTimeout(this.closed, timeoutMs, 'close');
  }

  close(): void {
    this.ws.terminate();
  }
}

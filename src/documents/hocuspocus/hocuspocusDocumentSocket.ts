import type { MinimalSocket } from '../minimalSocket.js';
import type { SharedMessage } from '../sharedMessage.js';
import { withPrefix } from './encodeHocuspocusMessage.js';

/**
 * One document's view of a Hocuspocus socket: every message the session sends gets the document
 * name in front (a broadcast's prefixed copy is made once for all of the document's Hocuspocus
 * receivers), and a close is the socket's to decide (`onClose`): it may end just this document.
 */
export class HocuspocusDocumentSocket implements MinimalSocket {
  constructor(
    private readonly transport: MinimalSocket,
    readonly name: string,
    readonly prefix: Uint8Array,
    private readonly onClose: (socket: HocuspocusDocumentSocket, code: number, reason: string) => void,
  ) {}

  send(data: Uint8Array): void {
    this.transport.send(withPrefix(this.prefix, data));
  }

  sendShared(message: SharedMessage): void {
    const prefixed = message.derived(this.name, (payload) => withPrefix(this.prefix, payload));
    if (this.transport.sendShared) this.transport.sendShared(prefixed);
    else this.transport.send(prefixed.payload);
  }

  close(code: number, reason: string): void {
    this.onClose(this, code, reason);
  }

  get bufferedAmount(): number {
    return this.transport.bufferedAmount;
  }
}

import { DocumentConnection } from '../documentConnection.js';
import { encodeHocuspocusPermissionDenied, encodeStateless, encodeSyncStatus } from './encodeHocuspocusMessage.js';

/**
 * One document of a Hocuspocus socket, served by the same session as y-websocket connections.
 * Its socket (`HocuspocusDocumentSocket`) puts the document name before every message; what
 * differs from y-websocket is said here: the server's step 1 follows its step 2, every client
 * update is answered with SyncStatus (the provider's `hasUnsyncedChanges` counts on it), and a
 * denial is Hocuspocus's PermissionDenied, which ends this document and leaves the socket open.
 */
/** The two SyncStatus bodies, made once: one goes out per client update (the name is put before it per socket). */
const syncStatusApplied = encodeSyncStatus(true);
const syncStatusRefused = encodeSyncStatus(false);

export class HocuspocusConnection extends DocumentConnection {
  override get sendsStepOneAtAttach(): boolean {
    return false;
  }

  /** `[8][1]` once the update is stored: the provider counts one per update it sent. */
  override acknowledgeUpdate(): void {
    this.send(syncStatusApplied);
  }

  /** `[8][0]` for each refused update, as Hocuspocus answers a read-only connection. */
  override noticeReadOnly(): void {
    this.send(syncStatusRefused);
  }

  override sendStateless(payload: string): void {
    this.send(encodeStateless(payload));
  }

  protected override permissionDenied(reason: string): Uint8Array {
    return encodeHocuspocusPermissionDenied(reason);
  }
}

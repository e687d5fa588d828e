import type { DocumentArchive } from '../archive/index.js';
import type { Principal } from '../auth/index.js';
import { DocumentSessions, PinnedElsewhereError, validateUpdate } from '../documents/index.js';
import { fromStore, WiresocketError } from '../errors.js';
import type { RegionDirectory } from '../regions/index.js';
import type { DocumentRoute, RoutingTable } from '../routing/index.js';
import { readDocumentState, type SyncLayer } from '../sync/index.js';
import { documentKey } from '../tenancy/index.js';

export interface DocumentApiOptions {
  documents: DocumentSessions;
  routing: RoutingTable;
  syncLayer: SyncLayer;
  archive: DocumentArchive | null;
  directory: RegionDirectory;
  region: string;
}

/** Where a document of another region lives (the body of a 421). */
export interface OwnerRoute {
  region: string;
  /** A live node of that region; null while it has none. */
  url: string | null;
  epoch: number;
}

/** The document is pinned to another region: this region's sync layer does not hold it. */
export class MisdirectedError extends WiresocketError {
  constructor(readonly route: OwnerRoute) {
    super('DOCUMENT_MISDIRECTED', `region ${route.region}`);
  }
}

/** One row of `GET /v1/documents`. */
export interface ListedDocumentView {
  documentName: string;
  region: string;
  /** Connections on every node. */
  connections: number;
  /** When the session was created (its routing pin), ISO 8601. */
  createdAt: string;
}

export interface DocumentPage {
  documents: ListedDocumentView[];
  /** Pass as `?cursor=` for the next page; null on the last. */
  nextCursor: string | null;
}

/** Which state a read found. */
export type StateSource = 'session' | 'sync-layer' | 'archive';

/**
 * The document HTTP API's work (issue 17), on any node of a cluster: every node reads the shared
 * sync layer, routing table and archive; a write joins (or creates) the session on the node
 * that takes it, which relays it to the other nodes through the sync layer as any client write.
 * A document pinned to another region is that region's: the answer is 421 with its route.
 */
export class DocumentApi {
  constructor(private readonly options: DocumentApiOptions) {}

  /** The whole state as one V1 update: the live session here, else the sync layer, else the archive. */
  async read(principal: Principal, name: string): Promise<{ state: Uint8Array; source: StateSource }> {
    const key = keyOf(principal, name);
    const session = this.options.documents.getSession(key);
    if (session) return { state: session.encodeState(), source: 'session' };
    const route = await fromStore(() => this.options.routing.getRoute(key));
    if (route !== null) {
      await this.checkRegion(route);
      const state = await this.layerState(key);
      if (state) return { state, source: 'sync-layer' };
    }
    const archived = this.options.archive ? await fromStore(() => this.options.archive!.get(key)) : null;
    if (archived) return { state: archived, source: 'archive' };
    throw new WiresocketError('DOCUMENT_NOT_FOUND', name);
  }

  /**
   * A client's update, as if a client connected, wrote and left: admitted like a connect (quota,
   * creation, grace rejoined), checked as a client update, stored, relayed, and the place given
   * back (the grace starts if nobody else is connected).
   */
  async write(principal: Principal, name: string, body: Uint8Array): Promise<void> {
    if (principal.access === 'read-only') throw new WiresocketError('READ_ONLY', 'updates need a read-write token');
    const checked = validateUpdate(body);
    const admission = await this.admit(principal, name);
    try {
      await admission.session.applyServerUpdate(checked);
    } finally {
      admission.release();
    }
  }

  /** The live documents of the principal's app, in name order (bytes), those its grant covers. */
  async list(principal: Principal, cursor: string | null, limit: number, grants: (name: string) => boolean): Promise<DocumentPage> {
    const prefix = keyOf(principal, '');
    const afterKey = cursor === null ? null : prefix + decodeCursor(cursor);
    const rows = await fromStore(() => this.options.routing.listDocuments(prefix, afterKey, limit));
    const documents = rows
      .map((row) => ({ row, documentName: row.docKey.slice(prefix.length) }))
      .filter(({ documentName }) => grants(documentName))
      .map(({ row, documentName }) => ({ documentName, region: row.region, connections: row.connections, createdAt: new Date(row.pinnedAt).toISOString() }));
    const last = rows.at(-1);
    return { documents, nextCursor: rows.length === limit && last ? encodeCursor(last.docKey.slice(prefix.length)) : null };
  }

  /** Ends the session now, everywhere, and drops the archived state; false when there was nothing. */
  async delete(principal: Principal, name: string): Promise<boolean> {
    if (principal.access === 'read-only') throw new WiresocketError('READ_ONLY', 'deleting needs a read-write token');
    return this.deleteKey(keyOf(principal, name));
  }

  /**
   * The delete's work on a document key, for the document API and the admin API alike: a
   * document of another region is that region's (421); else the session ends everywhere (4410).
   */
  async deleteKey(key: string): Promise<boolean> {
    const route = await fromStore(() => this.options.routing.getRoute(key));
    if (route !== null) await this.checkRegion(route);
    const wasLive = await this.options.documents.deleteDocument(key);
    const wasArchived = this.options.archive ? await fromStore(() => this.options.archive!.delete(key)) : false;
    return wasLive || wasArchived;
  }

  private async admit(principal: Principal, name: string) {
    try {
      return await this.options.documents.admit(principal, name);
    } catch (error) {
      if (error instanceof PinnedElsewhereError) throw new MisdirectedError(await this.ownerOf(error.route));
      throw error;
    }
  }

  private async checkRegion(route: DocumentRoute): Promise<void> {
    if (route.region !== this.options.region) throw new MisdirectedError(await this.ownerOf(route));
  }

  private async ownerOf(route: DocumentRoute): Promise<OwnerRoute> {
    const node = await this.options.directory.liveNodeOf(route.region).catch(() => null);
    return { region: route.region, url: node?.url ?? null, epoch: route.epoch };
  }

  /** Null when the layer holds no state for it (a pin whose state a Redis lost). */
  private async layerState(key: string): Promise<Uint8Array | null> {
    try {
      return await readDocumentState(this.options.syncLayer, key);
    } catch (error) {
      if (error instanceof Error && /not initialised/.test(error.message)) return null;
      throw new WiresocketError('STORE_UNAVAILABLE', 'the sync layer did not answer', { cause: error });
    }
  }

}

function keyOf(principal: Principal, name: string): string {
  return documentKey(principal.tenantId, principal.appId, name);
}

/** The cursor is the last name of the page, base64url: opaque to callers, any name fits. */
function encodeCursor(name: string): string {
  return Buffer.from(name, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  if (!/^[A-Za-z0-9_-]{1,1400}$/.test(cursor)) throw new WiresocketError('REQUEST_INVALID', 'cursor is not one this server gave');
  return Buffer.from(cursor, 'base64url').toString('utf8');
}

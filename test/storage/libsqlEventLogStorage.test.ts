import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import { openControlStores, openLibsqlControlStores, readSchemaVersions } from '../../src/routing/index.js';
import { migrations } from '../../src/routing/schema.js';
import { createEventLogStorage, LibsqlEventLogStorage, libsqlBoardMigrations, libsqlBoardVersionTable } from '../../src/storage/index.js';
import { startGatedChild, type GatedChild } from '../helpers/gatedChild.js';
import { eventLogStorageContract } from './eventLogStorageContract.js';

const dir = await mkdtemp(join(tmpdir(), 'wiresocket-boards-'));
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

let fileCount = 0;
/** A `file:` URL of a database that does not exist yet, under this file's temp dir. */
function freshFileUrl(subdir = ''): string {
  fileCount += 1;
  return `file:${join(dir, subdir, `boards-${fileCount}.db`)}`;
}

const boardTables = ['board_batches', 'board_boards', 'board_elements', 'board_events', 'board_schema_version', 'board_snapshots'];

const contractUrl = freshFileUrl();
eventLogStorageContract('libsql file', () => LibsqlEventLogStorage.open({ url: contractUrl }));

describe('libsql board database', () => {
  /** A plain client on the same file, to look at what the storage wrote. */
  const inspect = async <T>(url: string, look: (client: ReturnType<typeof createClient>) => Promise<T>): Promise<T> => {
    const client = createClient({ url });
    try {
      return await look(client);
    } finally {
      client.close();
    }
  };

  it('creates missing parent directories and switches the file to WAL', async () => {
    const url = freshFileUrl(join('nested', 'deeper'));
    const storage = await LibsqlEventLogStorage.open({ url });
    await storage.close();
    assert.ok((await stat(join(dir, 'nested', 'deeper'))).isDirectory());
    const mode = await inspect(url, (client) => client.execute('PRAGMA journal_mode'));
    assert.equal(String(mode.rows[0]?.journal_mode).toLowerCase(), 'wal');
  });

  it('shares a file with the control store: each keeps its own version table and tables', async () => {
    const url = freshFileUrl();
    const control = await openLibsqlControlStores({ url });
    const storage = await LibsqlEventLogStorage.open({ url });
    try {
      await control.tenants.createTenant({ tenantId: 't1', maxDocuments: 1 });
      const mutations = [{ op: 'delete' as const, pageId: 'p', elementId: 'e' }];
      const outcome = await storage.appendBatch('t1::app::b', { userId: 'u', clientBatchId: 'c', expectedSequence: 0, mutations, createdAt: 1 });
      assert.equal(outcome.kind, 'appended');
      assert.deepEqual(await readSchemaVersions(control.database.client), migrations.map((m) => m.version));
      assert.deepEqual(await readSchemaVersions(control.database.client, libsqlBoardVersionTable), libsqlBoardMigrations.map((m) => m.version));
      const tables = await control.database.client.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'board%' ORDER BY name",
      );
      assert.deepEqual(tables.rows.map((row) => row.name), boardTables);
    } finally {
      await storage.close();
      await control.close();
    }
    // Reopening both in the other order finds everything migrated and in place.
    const storage2 = await LibsqlEventLogStorage.open({ url });
    const control2 = await openControlStores({ url });
    try {
      assert.deepEqual(await control2.tenants.getTenant('t1'), { tenantId: 't1', maxDocuments: 1 });
      assert.equal((await storage2.loadBoard('t1::app::b')).sequence, 1);
    } finally {
      await Promise.all([storage2.close(), control2.close()]);
    }
  });

  it('lets two storages open the same fresh file at once and migrates it once', async () => {
    const url = freshFileUrl();
    const [a, b] = await Promise.all([LibsqlEventLogStorage.open({ url }), LibsqlEventLogStorage.open({ url })]);
    await Promise.all([a.close(), b.close()]);
    const versions = await inspect(url, (client) => client.execute(`SELECT version FROM ${libsqlBoardVersionTable}`));
    assert.deepEqual(versions.rows.map((row) => row.version), libsqlBoardMigrations.map((m) => m.version));
  });

  it('refuses a file whose board schema is newer than this code', async () => {
    const url = freshFileUrl();
    await (await LibsqlEventLogStorage.open({ url })).close();
    await inspect(url, (client) =>
      client.execute({
        sql: `INSERT INTO ${libsqlBoardVersionTable} (version, name, applied_at) VALUES (?, ?, ?)`,
        args: [libsqlBoardMigrations.length + 1, 'from the future', 0],
      }),
    );
    await assert.rejects(LibsqlEventLogStorage.open({ url }), /newer than this wiresocket knows/);
  });
});

describe('libsql appends across processes', () => {
  it('BOARD-20/BOARD-21: two processes appending to one board through one file end gap-free, a shared batch stored once', async () => {
    const url = freshFileUrl();
    // Migrated first, so that the race is about appends only (the migration race is tested above).
    await (await LibsqlEventLogStorage.open({ url })).close();
    const batches = 30;
    const children = [startAppendingChild(url, 'p1', batches), startAppendingChild(url, 'p2', batches)];
    try {
      await Promise.all(children.map((child) => child.ready));
      for (const child of children) child.go();
      const shared = (await Promise.all(children.map((child) => child.result))).map((result) => result.shared).sort();
      assert.deepEqual(shared, ['appended', 'duplicate']);
    } finally {
      for (const child of children) child.kill();
    }
    const storage = await LibsqlEventLogStorage.open({ url });
    try {
      const events = await storage.getEventsSince(childBoardKey, 0, 10_000);
      const perProcess = Array.from({ length: batches }, (_, index) => (index % 3) + 1).reduce((sum, size) => sum + size, 0);
      const sharedSize = (batches / 2) % 3 + 1;
      assert.deepEqual(events.map((event) => event.sequence), Array.from({ length: 2 * perProcess - sharedSize }, (_, index) => index + 1));
      for (const who of ['p1', 'p2']) {
        for (let index = 0; index < batches; index += 1) {
          const own = index === batches / 2 ? null : await storage.findBatch(childBoardKey, who, `${who}-${index}`);
          if (own === null) continue;
          const slice = events.slice(own.lastSequence - own.events, own.lastSequence);
          assert.ok(slice.every((event) => event.userId === who), 'a batch occupies consecutive sequences');
        }
      }
    } finally {
      await storage.close();
    }
  });
});

describe('createEventLogStorage', () => {
  let memory: Awaited<ReturnType<typeof createEventLogStorage>>;
  before(async () => {
    memory = await createEventLogStorage({ url: ':memory:' });
  });
  after(async () => {
    await memory.close();
  });

  it('opens libSQL for file: and :memory: URLs', async () => {
    assert.ok(memory instanceof LibsqlEventLogStorage);
    await memory.ping();
    const file = await createEventLogStorage({ url: freshFileUrl() });
    try {
      assert.ok(file instanceof LibsqlEventLogStorage);
    } finally {
      await file.close();
    }
  });

  it('refuses an unknown scheme with a message naming what it accepts, without the password', async () => {
    for (const url of ['redis://127.0.0.1:6379', 'mysql://user:secret@db/boards', './boards.db', '']) {
      await assert.rejects(createEventLogStorage({ url }), (error: Error) => {
        assert.match(error.message, /file:, :memory:, libsql:\/\/, http\(s\):\/\/, ws\(s\):\/\/ .* postgres:\/\/ \/ postgresql:\/\//);
        assert.doesNotMatch(error.message, /secret/);
        return true;
      });
    }
  });

  it('refuses an auth token with a PostgreSQL URL', async () => {
    await assert.rejects(createEventLogStorage({ url: 'postgres://127.0.0.1:1/x', authToken: 't' }), /auth token is for libSQL/);
  });
});

const childBoardKey = 'tenant::app::shared-board';

/**
 * The child opens the storage, says `ready`, waits for a line on stdin, then appends `WS_BATCHES`
 * batches to one board, retrying each on conflict with the head it was told. The batch in the
 * middle has the same (userId, clientBatchId) in both children. It prints that batch's outcome.
 */
const childScript = `
import { createInterface } from 'node:readline';
const { LibsqlEventLogStorage } = await import(process.env.WS_STORAGE_MODULE);
const storage = await LibsqlEventLogStorage.open({ url: process.env.WS_DB_URL });
const input = createInterface({ input: process.stdin });
const go = new Promise((resolve) => input.once('line', resolve));
console.log('ready');
await go;
input.close();
const who = process.env.WS_WHO;
const batches = Number(process.env.WS_BATCHES);
let head = 0;
let shared = null;
for (let index = 0; index < batches; ) {
  const isShared = index === batches / 2;
  const mutations = Array.from({ length: (index % 3) + 1 }, (_, n) => ({ op: 'delete', pageId: 'p', elementId: who + '-' + index + '-' + n }));
  const outcome = await storage.appendBatch(process.env.WS_BOARD, {
    userId: isShared ? 'both' : who, clientBatchId: isShared ? 'shared' : who + '-' + index,
    expectedSequence: head, mutations, createdAt: Date.now(),
  });
  if (outcome.kind === 'conflict') {
    head = outcome.sequence;
    continue;
  }
  head = Math.max(head, outcome.receipt.lastSequence);
  if (isShared) shared = outcome.kind;
  index += 1;
}
console.log(JSON.stringify({ shared }));
await storage.close();
`;

function startAppendingChild(url: string, who: string, batches: number): GatedChild<{ shared: string }> {
  const storageModule = new URL('../../src/storage/index.js', import.meta.url).href;
  return startGatedChild(childScript, { WS_STORAGE_MODULE: storageModule, WS_DB_URL: url, WS_WHO: who, WS_BATCHES: String(batches), WS_BOARD: childBoardKey }, (printed) => printed as { shared: string });
}

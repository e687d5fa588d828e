import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LibsqlDocumentArchive } from '../../src/archive/libsqlDocumentArchive.js';
import { openDocumentArchive } from '../../src/archive/openDocumentArchive.js';
import { PostgresDocumentArchive } from '../../src/archive/postgresDocumentArchive.js';
import { postgresGate, PostgresSchemas, urlWithSchema } from '../helpers/postgresTestDatabase.js';
import { startS3Server, type S3Server } from '../helpers/s3Server.js';
import { documentArchiveContract } from './documentArchiveContract.js';

documentArchiveContract('libsql file', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'wiresocket-archive-'));
  const url = `file:${path.join(dir, 'archive.db')}`;
  const archive = await LibsqlDocumentArchive.open(url);
  return {
    archive,
    reopen: () => LibsqlDocumentArchive.open(url),
    close: async () => {
      await archive.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('archive on S3 (s3rver on loopback)', () => {
  let s3: S3Server;
  before(async () => {
    s3 = await startS3Server();
  });
  after(async () => {
    await s3.close();
  });
  const open = () => openDocumentArchive({ url: `s3://${s3.bucket}/docs/v1`, s3Endpoint: s3.endpoint });
  documentArchiveContract('s3 (path-style, s3rver)', async () => {
    const archive = await open();
    return { archive, reopen: open, close: () => archive.close() };
  });
});

const gate = await postgresGate();
describe('archive on PostgreSQL', { skip: gate.skip }, () => {
  let schemas: PostgresSchemas;
  before(() => {
    gate.assertAvailable();
    schemas = new PostgresSchemas(gate.url!);
  });
  after(async () => {
    await schemas?.dropAll();
  });
  documentArchiveContract('postgres (own table, migrated)', async () => {
    const url = urlWithSchema(gate.url!, await schemas.fresh());
    const archive = await openDocumentArchive({ url });
    return { archive, reopen: () => PostgresDocumentArchive.open({ url }), close: () => archive.close() };
  });

  it('ARCH-1: the archive table is migrated once; opening again applies nothing', async () => {
    const url = urlWithSchema(gate.url!, await schemas.fresh());
    const first = await PostgresDocumentArchive.open({ url });
    const second = await PostgresDocumentArchive.open({ url });
    await Promise.all([first.close(), second.close()]);
  });
});

import { issueToken, parseTtl } from '../auth/index.js';
import type { Flags } from '../config.js';
import { formatAppRef, parseAppRef } from './appRef.js';
import type { CommandContext } from './commandContext.js';
import { readPemFile } from './readPemFile.js';
import { signingKeyFor } from './signingKeyFor.js';
import { runStoreCommand, type StoreCommand } from './storeCommand.js';
import { UsageError } from './usageError.js';

const defaultTtl = '1h';

/**
 * `wiresocket token <tenantId>/<appId> --user <id> [--docs a,b*] [--read-only] [--ttl 1h]
 * [--private-key <pem-file>]`: prints only the JWT and a newline, so `$(wiresocket token ...)` works.
 */
const token: StoreCommand = {
  options: {
    user: { type: 'string' },
    docs: { type: 'string' },
    'read-only': { type: 'boolean' },
    ttl: { type: 'string' },
    'private-key': { type: 'string' },
  },
  positionals: { min: 1, max: 1, name: '<tenantId>/<appId>' },
  prepare: async ({ flags, positionals }) => {
    const ref = parseAppRef(positionals[0]);
    const userId = requiredUser(flags);
    const docs = parseDocs(flags.docs);
    const ttlSeconds = ttlFlag(flags.ttl);
    const keyFile = flags['private-key'];
    const privateKeyPem = typeof keyFile === 'string' ? await readPemFile('private-key', keyFile) : undefined;
    return async (stores) => {
      const app = await stores.tenants.getApp(ref.tenantId, ref.appId);
      if (app === null) throw new Error(`app ${formatAppRef(ref)} does not exist`);
      const key = signingKeyFor(app, privateKeyPem);
      const access = flags['read-only'] === true ? 'read-only' : undefined;
      return `${await issueToken({ ...ref, userId, ttlSeconds, docs, access, key })}\n`;
    };
  },
};

function requiredUser(flags: Flags): string {
  const user = flags.user;
  if (typeof user !== 'string' || user.trim() === '') throw new UsageError('token needs --user <id>');
  return user;
}

/** `--docs notes,drafts/*`: exact names or `prefix*` patterns, comma separated. */
function parseDocs(value: string | boolean | undefined): string[] | undefined {
  if (typeof value !== 'string') return undefined;
  const docs = value.split(',').map((name) => name.trim());
  if (docs.some((name) => name === '')) {
    throw new UsageError(`--docs must be a comma-separated list of names or prefix* patterns; got ${JSON.stringify(value)}`);
  }
  return docs;
}

function ttlFlag(value: string | boolean | undefined): number {
  try {
    return parseTtl(typeof value === 'string' ? value : defaultTtl);
  } catch (error) {
    throw new UsageError(`--ttl: ${(error as Error).message}`);
  }
}

/** `wiresocket token ...`. */
export function tokenCommand({ args, io }: CommandContext): Promise<number> {
  return runStoreCommand('token', token, args, io);
}

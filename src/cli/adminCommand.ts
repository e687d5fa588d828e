import { userInfo } from 'node:os';
import { adminStoresOf, issueAdminToken } from '../admin/index.js';
import { parseTtl } from '../auth/index.js';
import type { Flags } from '../config.js';
import type { CommandContext } from './commandContext.js';
import { runCommandGroup, type StoreCommand } from './storeCommand.js';
import { UsageError } from './usageError.js';

/**
 * `wiresocket admin token [--user <name>] [--ttl 1h]`: prints only the admin token and a newline,
 * signed with the server admin key, which the control store creates the first time it is needed.
 * The subject (who each admin action's log line names) defaults to the OS user.
 */
const token: StoreCommand = {
  options: { user: { type: 'string' }, ttl: { type: 'string' } },
  positionals: { min: 0, max: 0, name: '' },
  prepare: ({ flags }) => {
    const subject = subjectFlag(flags);
    const ttlSeconds = ttlFlag(flags.ttl);
    return async (stores) => {
      const key = await adminStoresOf(stores).keys.currentKey();
      return `${await issueAdminToken({ key, subject, ttlSeconds })}\n`;
    };
  },
};

/** `wiresocket admin rotate-key`: a new admin key at once; every admin token signed before is refused from then on. */
const rotateKey: StoreCommand = {
  options: {},
  positionals: { min: 0, max: 0, name: '' },
  prepare: () => async (stores) => {
    const key = await adminStoresOf(stores).keys.rotateKey();
    return `rotated the admin key to version ${key.version}; earlier admin tokens are refused within seconds\n`;
  },
};

function subjectFlag(flags: Flags): string {
  const user = flags.user;
  if (user === undefined) return defaultSubject();
  if (typeof user !== 'string' || user.trim() === '') throw new UsageError('--user needs a name');
  return user.trim();
}

function defaultSubject(): string {
  try {
    return userInfo().username || 'admin';
  } catch {
    return 'admin';
  }
}

function ttlFlag(value: string | boolean | undefined): number {
  try {
    return parseTtl(typeof value === 'string' ? value : '1h');
  } catch (error) {
    throw new UsageError(`--ttl: ${(error as Error).message}`);
  }
}

const subcommands: ReadonlyMap<string, StoreCommand> = new Map([
  ['token', token],
  ['rotate-key', rotateKey],
]);

/** `wiresocket admin token | rotate-key`. */
export function adminCommand({ args, io }: CommandContext): Promise<number> {
  return runCommandGroup('admin', subcommands, args, io);
}

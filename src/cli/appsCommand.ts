import { appKeyFromPublicKeyPem, generateHs256Secret } from '../auth/index.js';
import type { AppKey, AppRecord } from '../tenancy/index.js';
import { formatAppRef, parseAppRef, type AppRef } from './appRef.js';
import type { CommandContext } from './commandContext.js';
import { readPemFile } from './readPemFile.js';
import { runCommandGroup, type StoreAction, type StoreCommand } from './storeCommand.js';

/** The options and positional of the commands that give an app a key: `create`, `rotate-key`. */
const keyedAppCommand = {
  options: { 'public-key': { type: 'string' } },
  positionals: { min: 1, max: 1, name: '<tenantId>/<appId>' },
} as const;

/** `--public-key <pem-file>`'s key, else a new HS256 secret. */
async function keyFromFlags(flags: Record<string, unknown>): Promise<AppKey> {
  const file = flags['public-key'];
  return typeof file === 'string' ? publicKeyFrom(file) : { kind: 'hs256-secret', secret: generateHs256Secret() };
}

/** `wiresocket apps create <tenantId>/<appId> [--public-key <pem-file>]`. */
const createApp: StoreCommand = {
  ...keyedAppCommand,
  prepare: async ({ flags, positionals }) => createWithKey(parseAppRef(positionals[0]), await keyFromFlags(flags)),
};

/** `wiresocket apps list [tenantId]`: key kind and algorithm, never key material. */
const listApps: StoreCommand = {
  options: {},
  positionals: { min: 0, max: 1, name: '' },
  prepare: ({ positionals }) => async (stores) => {
    const tenantId = positionals[0];
    if (tenantId !== undefined && (await stores.tenants.getTenant(tenantId)) === null) {
      throw new Error(`tenant ${JSON.stringify(tenantId)} does not exist`);
    }
    const apps = await stores.tenants.listApps(tenantId);
    return apps.map(appLine).join('');
  },
};

/**
 * `wiresocket apps rotate-key <tenantId>/<appId> [--public-key <pem-file>]`: a new secret (or
 * the given public key) replaces the old key at once; every node closes the app's sockets that
 * were opened with the old key (4401) within its --key-check-interval-ms.
 */
const rotateKey: StoreCommand = {
  ...keyedAppCommand,
  prepare: async ({ flags, positionals }) => {
    const ref = parseAppRef(positionals[0]);
    const key = await keyFromFlags(flags);
    return async (stores) => {
      const rotated = await stores.tenants.rotateAppKey(ref.tenantId, ref.appId, key);
      if (rotated === null) throw new Error(`app ${formatAppRef(ref)} does not exist`);
      return rotatedMessage(ref, key, rotated.keyVersion);
    };
  },
};

function createWithKey(ref: AppRef, key: AppKey): StoreAction {
  return async (stores) => {
    await stores.tenants.createApp({ ...ref, key, createdAt: Date.now() });
    return createdMessage(ref, key);
  };
}

/** The algorithm is detected from the key itself; a private key or an unsupported one is refused. */
async function publicKeyFrom(file: string): Promise<AppKey> {
  const pem = await readPemFile('public-key', file);
  try {
    return appKeyFromPublicKeyPem(pem);
  } catch (error) {
    throw new Error(`--public-key ${JSON.stringify(file)}: ${(error as Error).message}`, { cause: error });
  }
}

/** The secret is printed here and nowhere else: `apps list` and the logs never show it. */
function createdMessage(ref: AppRef, key: AppKey): string {
  const name = formatAppRef(ref);
  if (key.kind === 'public-key') {
    return `created app ${name} (public key, ${key.algorithm}); sign tokens with its private key\n`;
  }
  return [
    `created app ${name} (HS256 secret)`,
    `secret: ${key.secret}`,
    'This secret is not shown again: store it now where your backend signs tokens (HS256),',
    `or mint tokens with \`wiresocket token ${name} --user <id>\`.`,
    '',
  ].join('\n');
}

function rotatedMessage(ref: AppRef, key: AppKey, keyVersion: number): string {
  const name = formatAppRef(ref);
  const closing = 'Tokens signed with the old key are refused now; open sockets opened with them are closed (4401) within seconds.';
  if (key.kind === 'public-key') return `rotated the key of app ${name} to a public key (${key.algorithm}), key version ${keyVersion}\n${closing}\n`;
  return [`rotated the key of app ${name} (HS256 secret), key version ${keyVersion}`, `secret: ${key.secret}`, 'This secret is not shown again: store it now where your backend signs tokens.', closing, ''].join('\n');
}

function appLine(app: AppRecord): string {
  const algorithm = app.key.kind === 'public-key' ? app.key.algorithm : 'HS256';
  const created = new Date(app.createdAt).toISOString();
  return `${formatAppRef(app)}\t${app.key.kind}\t${algorithm}\tcreated=${created}\tkey-version=${app.keyVersion}\n`;
}

const subcommands: ReadonlyMap<string, StoreCommand> = new Map([
  ['create', createApp],
  ['list', listApps],
  ['rotate-key', rotateKey],
]);

/** `wiresocket apps create | list | rotate-key`. */
export function appsCommand({ args, io }: CommandContext): Promise<number> {
  return runCommandGroup('apps', subcommands, args, io);
}

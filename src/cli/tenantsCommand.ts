import type { CommandContext } from './commandContext.js';
import { defaultMaxDocuments, parseMaxDocuments } from './maxDocumentsFlag.js';
import type { OptionSpecs } from './parseCommandArgs.js';
import { runCommandGroup, type StoreCommand } from './storeCommand.js';
import { UsageError } from './usageError.js';

const maxDocumentsOption: OptionSpecs = { 'max-documents': { type: 'string' } };
const tenantIdArgument = { min: 1, max: 1, name: '<tenantId>' };

/** `wiresocket tenants create <tenantId> [--max-documents N]`. */
const createTenant: StoreCommand = {
  options: maxDocumentsOption,
  positionals: tenantIdArgument,
  prepare: ({ flags, positionals }) => {
    const tenantId = positionals[0] as string;
    const maxDocuments = parseMaxDocuments(flags['max-documents']) ?? defaultMaxDocuments;
    return async (stores) => {
      await stores.tenants.createTenant({ tenantId, maxDocuments });
      return `created tenant ${tenantId} (maxDocuments ${maxDocuments})\n`;
    };
  },
};

/** `wiresocket tenants list`: one line per tenant; the live count is what the quota check sees. */
const listTenants: StoreCommand = {
  options: {},
  positionals: { min: 0, max: 0, name: '' },
  prepare: () => async (stores) => {
    const tenants = await stores.tenants.listTenants();
    const lines = await Promise.all(
      tenants.map(async ({ tenantId, maxDocuments }) => {
        const live = await stores.routing.countTenantDocuments(tenantId);
        return `${tenantId}\tmaxDocuments=${maxDocuments}\tliveDocuments=${live}\n`;
      }),
    );
    return lines.join('');
  },
};

/** `wiresocket tenants set <tenantId> --max-documents N`: a running server applies it at the next connect. */
const setMaxDocuments: StoreCommand = {
  options: maxDocumentsOption,
  positionals: tenantIdArgument,
  prepare: ({ flags, positionals }) => {
    const tenantId = positionals[0] as string;
    const maxDocuments = parseMaxDocuments(flags['max-documents']);
    if (maxDocuments === undefined) throw new UsageError('tenants set needs --max-documents N');
    return async (stores) => {
      if (!(await stores.tenants.setMaxDocuments(tenantId, maxDocuments))) {
        throw new Error(`tenant ${JSON.stringify(tenantId)} does not exist`);
      }
      return `tenant ${tenantId}: maxDocuments ${maxDocuments}\n`;
    };
  },
};

const subcommands: ReadonlyMap<string, StoreCommand> = new Map([
  ['create', createTenant],
  ['list', listTenants],
  ['set', setMaxDocuments],
]);

/** `wiresocket tenants create | list | set`. */
export function tenantsCommand({ args, io }: CommandContext): Promise<number> {
  return runCommandGroup('tenants', subcommands, args, io);
}

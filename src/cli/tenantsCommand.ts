import type { CommandContext } from './commandContext.js';
import { defaultMaxDocuments, parseMaxDocuments } from './maxDocumentsFlag.js';
import type { OptionSpecs } from './parseCommandArgs.js';
import { runCommandGroup, type StoreCommand } from './storeCommand.js';
import { bareRegionsAsEmpty, describeRegions, parseRegionsFlag } from './regionsFlag.js';
import { UsageError } from './usageError.js';

const tenantOptions: OptionSpecs = { 'max-documents': { type: 'string' }, regions: { type: 'string' } };
const tenantIdArgument = { min: 1, max: 1, name: '<tenantId>' };

/** `wiresocket tenants create <tenantId> [--max-documents N] [--regions a,b]`. */
const createTenant: StoreCommand = {
  options: tenantOptions,
  positionals: tenantIdArgument,
  prepare: ({ flags, positionals }) => {
    const tenantId = positionals[0] as string;
    const maxDocuments = parseMaxDocuments(flags['max-documents']) ?? defaultMaxDocuments;
    const regions = parseRegionsFlag(flags.regions) ?? undefined;
    return async (stores) => {
      await stores.tenants.createTenant({ tenantId, maxDocuments, ...(regions ? { allowedRegions: regions } : {}) });
      return `created tenant ${tenantId} (maxDocuments ${maxDocuments}${regions ? `, regions ${describeRegions(regions)}` : ''})\n`;
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
      tenants.map(async ({ tenantId, maxDocuments, allowedRegions }) => {
        const live = await stores.routing.countTenantDocuments(tenantId);
        const residency = allowedRegions ? `\tregions=${describeRegions(allowedRegions)}` : '';
        return `${tenantId}\tmaxDocuments=${maxDocuments}\tliveDocuments=${live}${residency}\n`;
      }),
    );
    return lines.join('');
  },
};

/**
 * `wiresocket tenants set <tenantId> [--max-documents N] [--regions a,b]`: a running server
 * applies both at the next first connect of a document (residency binds new pins only).
 */
const setTenant: StoreCommand = {
  options: tenantOptions,
  positionals: tenantIdArgument,
  prepare: ({ flags, positionals }) => {
    const tenantId = positionals[0] as string;
    const maxDocuments = parseMaxDocuments(flags['max-documents']);
    const regions = parseRegionsFlag(flags.regions);
    if (maxDocuments === undefined && regions === undefined) throw new UsageError('tenants set needs --max-documents N or --regions a,b');
    return async (stores) => {
      const missing = () => new Error(`tenant ${JSON.stringify(tenantId)} does not exist`);
      const said: string[] = [];
      if (maxDocuments !== undefined) {
        if (!(await stores.tenants.setMaxDocuments(tenantId, maxDocuments))) throw missing();
        said.push(`maxDocuments ${maxDocuments}`);
      }
      if (regions !== undefined) {
        if (!(await stores.tenants.setAllowedRegions(tenantId, regions))) throw missing();
        said.push(`regions ${describeRegions(regions)}`);
      }
      return `tenant ${tenantId}: ${said.join(', ')}\n`;
    };
  },
};

const subcommands: ReadonlyMap<string, StoreCommand> = new Map([
  ['create', createTenant],
  ['list', listTenants],
  ['set', setTenant],
]);

/** `wiresocket tenants create | list | set`. */
export function tenantsCommand({ args, io }: CommandContext): Promise<number> {
  return runCommandGroup('tenants', subcommands, bareRegionsAsEmpty(args), io);
}

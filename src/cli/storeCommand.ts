import type { Environment } from '../config.js';
import type { ControlStores } from '../routing/index.js';
import type { CliIo } from './cliIo.js';
import { splitSubcommand } from './commandContext.js';
import { parseCommandArgs, storeOptionSpecs, type CommandArgs, type OptionSpecs } from './parseCommandArgs.js';
import { printUsage } from './usage.js';
import { UsageError } from './usageError.js';
import { withControlStores } from './withControlStores.js';

/** The part of a command that runs against the store; resolves to what it prints on stdout. */
export type StoreAction = (stores: ControlStores) => Promise<string>;

/**
 * A command that works on the control store (`tenants ...`, `apps ...`, `token`). `prepare`
 * checks the command line and reads any files first, so a usage error never opens the store.
 */
export interface StoreCommand {
  /** Options besides the store options and `--help`. */
  options: OptionSpecs;
  positionals: { min: number; max: number; name: string };
  /** `env` for the settings a command reads besides the store's (config.ts reads it). */
  prepare(parsed: CommandArgs, env: Environment): StoreAction | Promise<StoreAction>;
}

/** Runs one store command: parse, prepare, open the store, act, print. */
export async function runStoreCommand(label: string, command: StoreCommand, args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(args, { ...storeOptionSpecs, ...command.options }, command.positionals.max);
  if (parsed.help) return printUsage(io.stdout);
  if (parsed.positionals.length < command.positionals.min) throw new UsageError(`${label} needs ${command.positionals.name}`);
  const action = await command.prepare(parsed, io.env);
  io.stdout.write(await withControlStores(parsed.flags, io.env, action));
  return 0;
}

/** Dispatches `<group> <subcommand> ...` (e.g. `tenants create acme`) to its store command. */
export async function runCommandGroup(
  group: string,
  subcommands: ReadonlyMap<string, StoreCommand>,
  args: readonly string[],
  io: CliIo,
): Promise<number> {
  const { sub, rest } = splitSubcommand(args);
  const names = [...subcommands.keys()].join(', ');
  if (sub === undefined) {
    if (parseCommandArgs(rest, {}, 0).help) return printUsage(io.stdout);
    throw new UsageError(`${group} needs a subcommand: ${names}`);
  }
  const command = subcommands.get(sub);
  if (command === undefined) throw new UsageError(`unknown subcommand "${group} ${sub}" (expected ${names})`);
  return runStoreCommand(`${group} ${sub}`, command, rest, io);
}

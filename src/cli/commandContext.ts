import type { CliIo } from './cliIo.js';

/** What a command handler receives: its arguments (the words after its name) and the process io. */
export interface CommandContext {
  args: readonly string[];
  io: CliIo;
}

/** A command or command group: resolves to the exit code, throws for usage and runtime errors. */
export type CommandHandler = (context: CommandContext) => Promise<number>;

/**
 * Splits `<group> <sub> ...` into the subcommand and its arguments. A leading flag (`tenants
 * --help`) leaves the subcommand undefined so the group prints its usage.
 */
export function splitSubcommand(args: readonly string[]): { sub: string | undefined; rest: readonly string[] } {
  const first = args[0];
  if (first === undefined || first.startsWith('-')) return { sub: undefined, rest: args };
  return { sub: first, rest: args.slice(1) };
}

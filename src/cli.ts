import { ConfigError } from './config.js';
import { processIo, type CliIo } from './cli/cliIo.js';
import type { CommandHandler } from './cli/commandContext.js';
import { printUsage, usageText } from './cli/usage.js';
import { UsageError } from './cli/usageError.js';

export type { CliIo, TextSink } from './cli/cliIo.js';
export type { ShutdownSignals } from './cli/shutdownSignals.js';

/** Exit codes: 0 ok, 1 the action failed at run time, 2 usage or configuration error. */
export const ExitCode = { ok: 0, failed: 1, usage: 2 } as const;

/**
 * Each command is loaded when it runs: a `token` call in a script should not pay for loading the
 * server, Yjs and ws, nor `help` for the database driver.
 */
const commands: ReadonlyMap<string, CommandHandler> = new Map<string, CommandHandler>([
  ['serve', async (context) => (await import('./cli/serveCommand.js')).serveCommand(context)],
  ['tenants', async (context) => (await import('./cli/tenantsCommand.js')).tenantsCommand(context)],
  ['apps', async (context) => (await import('./cli/appsCommand.js')).appsCommand(context)],
  ['token', async (context) => (await import('./cli/tokenCommand.js')).tokenCommand(context)],
  ['admin', async (context) => (await import('./cli/adminCommand.js')).adminCommand(context)],
  ['webhooks', async (context) => (await import('./cli/webhooksCommand.js')).webhooksCommand(context)],
]);

/**
 * `wiresocket <command> ...`: runs one command and resolves to the process exit code. `io`
 * replaces parts of the process (environment, output streams, signals) in tests.
 */
export async function main(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  const resolved = processIo(process.env, io);
  try {
    return await dispatch(argv, resolved);
  } catch (error) {
    return report(error, resolved);
  }
}

function dispatch(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === 'help' || name === '--help' || name === '-h') return Promise.resolve(printUsage(io.stdout));
  if (name === undefined) throw new UsageError('missing command');
  const handler = commands.get(name);
  if (handler === undefined) {
    throw new UsageError(name.startsWith('-') ? `unknown option ${name}` : `unknown command ${JSON.stringify(name)}`);
  }
  return handler({ args, io });
}

/** Prints one `wiresocket: ...` line on stderr (plus the usage after a usage error) and picks the exit code. */
function report(error: unknown, io: CliIo): number {
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(`wiresocket: ${message}\n`);
  if (error instanceof UsageError) {
    io.stderr.write(`\n${usageText}`);
    return ExitCode.usage;
  }
  return error instanceof ConfigError ? ExitCode.usage : ExitCode.failed;
}

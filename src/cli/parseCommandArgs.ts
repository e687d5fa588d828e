import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Flags } from '../config.js';
import { UsageError } from './usageError.js';

export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

export interface CommandArgs {
  flags: Flags;
  positionals: string[];
  help: boolean;
}

/** `--data-dir`, `--db-url` and `--db-auth-token`: every command reaches the same store as `serve`. */
export const storeOptionSpecs: OptionSpecs = {
  'data-dir': { type: 'string' },
  'db-url': { type: 'string' },
  'db-auth-token': { type: 'string' },
};

/**
 * Strict parsing of one command's arguments; `--help` is accepted everywhere. Node's parse errors
 * become UsageErrors that name the flag in this CLI's words.
 */
export function parseCommandArgs(args: readonly string[], options: OptionSpecs, maxPositionals: number): CommandArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    throw new UsageError(describeParseError(error));
  }
  const { help, ...flags } = parsed.values;
  if (parsed.positionals.length > maxPositionals) {
    throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[maxPositionals])}`);
  }
  return { flags: flags as Flags, positionals: parsed.positionals, help: help === true };
}

function describeParseError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  // Node quotes the option as '--name' or '--name <value>'; keep just the flag.
  const flag = /'(-{1,2}[^' ]+)/.exec(message)?.[1];
  if (flag === undefined) return message;
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${flag}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return message.includes('argument missing') ? `${flag} needs a value` : `${flag} takes no value`;
    default:
      return message;
  }
}

import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** The one logger of a process; parts receive it (or a child) and never create their own. */
export function createLogger(level: LogLevel = 'info'): Logger {
  return pino({ level, base: { service: 'wiresocket' } });
}

/** A logger that writes nothing: the default in tests and for library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

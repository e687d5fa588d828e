/**
 * A command line the CLI cannot act on (unknown command or flag, missing or malformed argument,
 * invalid setting). `main` prints the message and the usage text and exits with code 2, apart from
 * runtime failures (exit 1) where the command line was fine but the action failed.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

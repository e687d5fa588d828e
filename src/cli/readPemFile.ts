import { readFile } from 'node:fs/promises';

/** Reads a key file named by a flag; a failure names the flag and the file. */
export async function readPemFile(flag: string, file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
    throw new Error(`--${flag}: cannot read ${JSON.stringify(file)} (${reason})`, { cause: error });
  }
}

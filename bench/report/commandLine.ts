import path from 'node:path';
import { repoRoot } from '../shared/serveProcess.js';

/** The command as someone would type it in the package folder (no machine-specific paths). */
export function commandLine(parts: readonly string[]): string {
  return parts.map((part) => (part === process.execPath ? 'node' : part.startsWith(repoRoot) ? path.relative(repoRoot, part) : part)).join(' ');
}

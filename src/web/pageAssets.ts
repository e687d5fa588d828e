import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { contentTypeOf } from './contentTypes.js';

/** One file of a page, read once: its bytes and how it is cached. */
export interface PageAsset {
  body: Buffer;
  contentType: string;
  etag: string;
  /** Its name carries its content hash: it never changes under this name, so it may be cached for good. */
  immutable: boolean;
}

/** The build writes `dist/web/<page>/`; this module runs from `dist/src/web/`. */
export const defaultWebRoot = fileURLToPath(new URL('../../web/', import.meta.url));

/** esbuild's `[name]-[hash]` names (`main-5JQ2XK3M.js`). */
const hashedName = /-[A-Z0-9]{8}\.[a-z0-9.]+$/;

/**
 * The files of one built page, by file name. Only what the build wrote is listed, so a request
 * can name nothing else: no path from a URL ever reaches the file system.
 */
export async function readPageAssets(root: string, page: string): Promise<ReadonlyMap<string, PageAsset> | null> {
  const folder = path.join(root, page);
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const assets = new Map<string, PageAsset>();
  for (const name of names) {
    const contentType = contentTypeOf(name);
    if (contentType === null) continue;
    const body = await readFile(path.join(folder, name));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    assets.set(name, { body, contentType, etag, immutable: hashedName.test(name) });
  }
  return assets;
}

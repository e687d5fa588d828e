/** The content type of each kind of file the build writes to dist/web (anything else is not served). */
const contentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

/** The type for a file name, or null for a kind the pages never ship. */
export function contentTypeOf(fileName: string): string | null {
  const dot = fileName.lastIndexOf('.');
  return dot < 0 ? null : (contentTypes[fileName.slice(dot).toLowerCase()] ?? null);
}

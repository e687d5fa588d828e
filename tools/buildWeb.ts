/**
 * `npm run build`'s second step (issue 18): type-checks web/ against the DOM (web/tsconfig.json)
 * and bundles each page with esbuild into dist/web/<page>/: its index.html, a hashed JS bundle
 * and its CSS. A page is a folder of web/ with an index.html and a main.ts; adding one needs
 * nothing here. Shared code sits in folders without an index.html (web/shared/).
 */
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';

/** The package root: this file runs from dist/tools/. */
const root = fileURLToPath(new URL('../../', import.meta.url));
const webSources = path.join(root, 'web');
const webOutput = path.join(root, 'dist', 'web');
/** Files copied as they are (icons); everything else comes out of the bundle. */
const staticFile = /\.(svg|png|woff2)$/;

async function pagesOf(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true });
  const pages: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const files = await readdir(path.join(folder, entry.name));
    if (files.includes('index.html') && files.includes('main.ts')) pages.push(entry.name);
  }
  return pages.sort();
}

/** tsc with web/tsconfig.json (DOM lib, no emit): esbuild strips types without checking them. */
function typeCheck(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', path.join(webSources, 'tsconfig.json')], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error('web/: type errors (see above)');
}

async function buildPage(page: string): Promise<void> {
  const source = path.join(webSources, page);
  const output = path.join(webOutput, page);
  await rm(output, { recursive: true, force: true });
  const result = await build({
    entryPoints: [path.join(source, 'main.ts')],
    outdir: output,
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
  });
  const { js, css } = entryOutputs(result.metafile, page);
  const template = await readFile(path.join(source, 'index.html'), 'utf8');
  checkTemplate(template, page);
  const html = template.replaceAll('{{script}}', `/assets/${page}/${js}`).replaceAll('{{style}}', css === null ? '' : `/assets/${page}/${css}`);
  await writeFile(path.join(output, 'index.html'), html);
  for (const name of await readdir(source)) if (staticFile.test(name)) await copyFile(path.join(source, name), path.join(output, name));
}

/** The bundle of the page's main.ts and the CSS esbuild gathered from its imports. */
function entryOutputs(metafile: Metafile, page: string): { js: string; css: string | null } {
  for (const [file, meta] of Object.entries(metafile.outputs)) {
    if (meta.entryPoint === undefined) continue;
    return { js: path.basename(file), css: meta.cssBundle === undefined ? null : path.basename(meta.cssBundle) };
  }
  throw new Error(`web/${page}: esbuild wrote no bundle`);
}

/** The CSP refuses inline script: a page that has some would break only in the browser, so say it here. */
function checkTemplate(html: string, page: string): void {
  if (!html.includes('{{script}}')) throw new Error(`web/${page}/index.html: no <script type="module" src="{{script}}">`);
  if (/<script(?![^>]*\bsrc=)[^>]*>/i.test(html)) throw new Error(`web/${page}/index.html: inline <script> (the CSP refuses it)`);
  if (/\son[a-z]+\s*=/i.test(html)) throw new Error(`web/${page}/index.html: an inline event handler (the CSP refuses it)`);
}

async function main(): Promise<void> {
  const pages = await pagesOf(webSources);
  typeCheck();
  await mkdir(webOutput, { recursive: true });
  for (const page of pages) await buildPage(page);
  console.log(`web: built ${pages.join(', ')} into dist/web`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});

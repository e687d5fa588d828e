#!/usr/bin/env -S node --max-semi-space-size=4
// The flag: young-generation semi-spaces of at most 4 MiB (node 20 grows them to 16 MiB). A server holding
// thousands of idle sockets kept that headroom as RSS: 8.4 -> 6.0 KiB per idle synced connection
// in `npm run bench`, with CPU per delivered update unchanged. `npm start` passes the same flag.
// Thin launcher: the CLI is compiled to dist/ by `npm install` (the `prepare` script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/src/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  console.error('wiresocket: dist/ is missing; run `npm install` (or `npm run build`) in the package folder first.');
  process.exit(1);
}
const { main } = await import(cli.href);
process.exitCode = await main(process.argv.slice(2));

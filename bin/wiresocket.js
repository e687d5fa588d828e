#!/usr/bin/env -S node --max-semi-space-size=8
// The flag: young-generation semi-spaces of at most 8 MiB (node 20 grows them to 16 MiB). A server
// holding thousands of idle sockets kept that headroom as RSS: 8.4 -> 6.3 KiB per idle synced
// connection in `npm run bench`. 4 MiB gave 6.0 KiB but doubled the Redis shape's fan-out p99
// (more promotions, more major GCs). `npm start` passes the same flag.
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

#!/usr/bin/env -S node --max-semi-space-size=16
// The flag: young-generation semi-spaces of at most 16 MiB (node 20 sizes them from the machine's
// memory: 32 MiB on 24 GiB). A server holding thousands of idle sockets kept that headroom as RSS:
// 13.4 KiB per idle synced connection in `npm run bench` unbounded, 5.4 KiB at 16 MiB. Smaller
// semi-spaces promote short-lived objects (more major GCs): 4 MiB doubled the Redis shape's
// fan-out p99, and 8 MiB cost the memory shape's fan-out 12-30 % more CPU per delivery than
// 16 (issue 14). `npm start` passes the same flag.
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

import { devAppId, devTenantId, devUserId, type DevBootstrap } from './devBootstrap.js';
import { redactedUrl } from '../routing/postgresPool.js';
import { defaultMaxDocuments } from './maxDocumentsFlag.js';

/**
 * The plain-text lines `serve` prints on stdout once it listens. pino writes JSON lines to the
 * same stream, so no banner line starts with `{`: a reader can tell the two apart per line.
 */
export function serveBanner(url: string, bootstrap: DevBootstrap, storeFlags: string, demo = false): string {
  // The demo's address comes first: it is what a developer trying the server opens.
  const lines = demo ? [`Open ${demoPageUrl(url)} in two browser windows: a shared document and board (--demo off hides it)`] : [];
  lines.push(`wiresocket serving ${url}`);
  if (bootstrap.kind === 'created') lines.push(...firstStartLines(url, bootstrap.token));
  lines.push(`Get a token: wiresocket token ${tokenHintTarget(bootstrap)} --user you${storeFlags}`);
  return `${lines.join('\n')}\n`;
}

function firstStartLines(url: string, token: string): string[] {
  return [
    `First start: created tenant ${devTenantId} (maxDocuments ${defaultMaxDocuments}) with app ${devTenantId}/${devAppId}.`,
    `Token for ${devTenantId}/${devAppId} (user ${devUserId}, valid 24 h):`,
    token,
    'Connect a y-websocket client:',
    "  import * as Y from 'yjs'",
    "  import { WebsocketProvider } from 'y-websocket'",
    `  const token = '${token}'`,
    '  const ydoc = new Y.Doc()',
    `  const provider = new WebsocketProvider('${url}', 'my-document', ydoc, { protocols: ['Bearer', token] })`,
  ];
}

function tokenHintTarget(bootstrap: DevBootstrap): string {
  const hasDemo = bootstrap.kind === 'created' || bootstrap.hasDemoApp;
  return hasDemo ? `${devTenantId}/${devAppId}` : '<tenantId>/<appId>';
}

/** The demo page's address for a client URL (`ws://127.0.0.1:1234` -> `http://127.0.0.1:1234/`). */
export function demoPageUrl(url: string): string {
  return `${url.replace(/^ws:/, 'http:')}/`;
}

/**
 * The URL a client on this machine dials: a wildcard listen address is not connectable from a
 * browser on every platform, so it becomes the loopback address of its family.
 */
export function clientUrl(host: string, port: number): string {
  if (host === '0.0.0.0') return `ws://127.0.0.1:${port}`;
  if (host === '::' || host === '[::]') return `ws://[::1]:${port}`;
  return host.includes(':') ? `ws://[${host}]:${port}` : `ws://${host}:${port}`;
}

/**
 * The store flags the operator passed to `serve`, repeated in the hint so the suggested command
 * reaches the same store. Secrets are left out: the auth token (its variable still applies) and a
 * password in the URL (the banner lands in terminals and log files; the operator has it).
 */
export function storeFlagsForHint(flags: Readonly<Record<string, string | boolean | undefined>>): string {
  let text = '';
  for (const name of ['data-dir', 'db-url']) {
    const value = flags[name];
    if (typeof value === 'string') text += ` --${name} ${shellQuote(name === 'db-url' ? redactedUrl(value) : value)}`;
  }
  return text;
}

function shellQuote(value: string): string {
  return /^[\w./:@=+-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

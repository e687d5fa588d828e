/**
 * A Host header as a browser sends it: a name or IPv4 address, or a bracketed IPv6 address,
 * with an optional port. Anything else (spaces, `;`, quotes) could inject CSP directives.
 */
const hostPattern = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * The pages' Content-Security-Policy: scripts, styles, images and fonts from this server only
 * (no inline script, nothing from elsewhere), and sockets to this server's own ws/wss origins,
 * which `'self'` alone does not cover in every browser. The origin is the one the browser
 * loaded the page from (its Host header), else the server's own address.
 */
export function contentSecurityPolicy(hostHeader: string | undefined, fallbackHost: string): string {
  const host = hostHeader !== undefined && hostPattern.test(hostHeader) ? hostHeader : fallbackHost;
  return [
    "default-src 'self'",
    `connect-src 'self' ws://${host} wss://${host}`,
    // Remote cursors carry their user's color in a style attribute; style elements stay refused.
    "style-src 'self'",
    "style-src-attr 'unsafe-inline'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

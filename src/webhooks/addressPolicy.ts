import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Where a webhook may not go (SSRF): loopback, private, link-local (cloud metadata at
 * 169.254.169.254 and fd00:ec2::254 included), carrier-grade NAT, unspecified, multicast and
 * reserved ranges, in IPv4 and IPv6, and IPv4 addresses mapped into IPv6.
 */
const blocked = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(network, prefix, 'ipv6');
}

/** Whether an IP address (v4 or v6 text) is one a webhook may not reach. */
export function isBlockedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family !== 6) return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return blocked.check(mapped[1], 'ipv4');
  return blocked.check(address, 'ipv6');
}

export class WebhookAddressError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookAddressError';
  }
}

/** The URL of an endpoint as given, checked for its form: http(s), a host, no credentials. */
export function parseEndpointUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new WebhookAddressError(`--url must be an http:// or https:// URL; got ${JSON.stringify(text)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new WebhookAddressError(`--url must be http:// or https://; got ${url.protocol}`);
  if (url.username !== '' || url.password !== '') throw new WebhookAddressError('--url may not carry credentials; the signature authenticates the sender');
  if (url.hostname === '') throw new WebhookAddressError('--url needs a host');
  return url;
}

/** The host of a URL as the resolver and the BlockList take it (`[::1]` -> `::1`). */
export function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/**
 * Resolves the host as a send would (dns.lookup, every address) and refuses it when any address
 * is blocked, unless private addresses are allowed. Resolves to the addresses.
 */
export async function checkEndpointHost(url: URL, allowPrivate: boolean): Promise<string[]> {
  const host = hostOf(url);
  const addresses = isIP(host) !== 0 ? [host] : (await resolveAll(host)).map((entry) => entry.address);
  const refused = addresses.filter(isBlockedAddress);
  if (!allowPrivate && refused.length > 0) {
    throw new WebhookAddressError(
      `${url.host} resolves to ${refused.join(', ')}: a loopback, private, link-local or metadata address (allow with --allow-private-webhooks)`,
    );
  }
  return addresses;
}

async function resolveAll(host: string): Promise<{ address: string; family: number }[]> {
  try {
    return await lookup(host, { all: true });
  } catch (error) {
    throw new WebhookAddressError(`cannot resolve ${host}: ${(error as Error).message}`);
  }
}

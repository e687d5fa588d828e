/** One Redis node's address. */
export interface RedisAddress {
  host: string;
  port: number;
}

interface RedisCredentials {
  username?: string;
  password?: string;
  /** `rediss`: connect with TLS (server certificate checked against the system CAs). */
  tls: boolean;
}

/** Where the Redis sync layer connects, parsed from one URL (`--redis-url`). */
export type RedisTarget =
  | ({ kind: 'standalone'; address: RedisAddress; db: number } & RedisCredentials)
  | ({ kind: 'cluster'; nodes: RedisAddress[] } & RedisCredentials);

const defaultPort = 6379;

export const acceptedRedisUrls =
  'redis://[user:password@]host[:port][/db], rediss://... (TLS), or redis+cluster://[user:password@]host:port,host:port,... (rediss+cluster:// for TLS)';

/**
 * Parses the three accepted forms: `redis://` and `rediss://` (one server) and
 * `redis+cluster://host:port,host:port` (a Redis Cluster, seed nodes separated by commas).
 * Errors name what is accepted and never repeat a password.
 */
export function parseRedisUrl(url: string): RedisTarget {
  const scheme = /^([a-z+]+):\/\//i.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case 'redis':
    case 'rediss':
      return parseStandalone(url, scheme === 'rediss');
    case 'redis+cluster':
    case 'rediss+cluster':
      return parseCluster(url, scheme === 'rediss+cluster');
    default:
      throw invalid(url, 'unknown scheme');
  }
}

function parseStandalone(url: string, tls: boolean): RedisTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid(url, 'not a URL');
  }
  if (!parsed.hostname) throw invalid(url, 'no host');
  if (parsed.search || parsed.hash) throw invalid(url, 'query strings and fragments are not supported');
  const dbText = parsed.pathname.replace(/^\//, '');
  if (dbText !== '' && !/^\d{1,2}$/.test(dbText)) throw invalid(url, 'the path must be a database number (/0 ... /15)');
  return {
    kind: 'standalone',
    address: { host: unbracket(parsed.hostname), port: parsed.port ? Number(parsed.port) : defaultPort },
    db: dbText === '' ? 0 : Number(dbText),
    ...credentials(parsed.username, parsed.password),
    tls,
  };
}

function parseCluster(url: string, tls: boolean): RedisTarget {
  let rest = url.slice(url.indexOf('://') + 3).replace(/\/$/, '');
  if (/[/?#]/.test(rest)) throw invalid(url, 'a cluster URL has no path, database or query (Redis Cluster has database 0 only)');
  const at = rest.lastIndexOf('@');
  let userInfo = '';
  if (at >= 0) {
    userInfo = rest.slice(0, at);
    rest = rest.slice(at + 1);
  }
  const nodes = rest.split(',').map((node) => parseAddress(url, node));
  const colon = userInfo.indexOf(':');
  const [username, password] = colon >= 0 ? [userInfo.slice(0, colon), userInfo.slice(colon + 1)] : [userInfo, ''];
  return { kind: 'cluster', nodes, ...credentials(username, password), tls };
}

function parseAddress(url: string, text: string): RedisAddress {
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]\s]+)(?::(\d{1,5}))?$/i.exec(text.trim());
  if (!match) throw invalid(url, `"${text}" is not host:port`);
  const port = match[2] === undefined ? defaultPort : Number(match[2]);
  if (port < 1 || port > 65535) throw invalid(url, `port ${port} is out of range`);
  return { host: unbracket(match[1]), port };
}

function credentials(username: string, password: string): { username?: string; password?: string } {
  return {
    ...(username ? { username: decodeURIComponent(username) } : {}),
    ...(password ? { password: decodeURIComponent(password) } : {}),
  };
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** The URL with any password replaced, so an error message cannot leak it into logs. */
export function redactRedisUrl(url: string): string {
  return url.replace(/^([a-z+]+:\/\/[^:@/]*:).*@/i, '$1***@');
}

function invalid(url: string, reason: string): Error {
  return new Error(`invalid Redis URL "${redactRedisUrl(url)}" (${reason}); accepted: ${acceptedRedisUrls}`);
}

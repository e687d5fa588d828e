import { createHash } from 'node:crypto';

/**
 * A short stand-in for a node id in stored stream entries. Every entry carries it (so a node can
 * skip its own appends), and 8 characters instead of a host name or UUID keep Redis memory per
 * update down: at about 80 bytes an entry, a 36-character id would be a third of it. 48 bits of
 * a hash make two nodes of one cluster sharing a tag practically impossible.
 */
export function writerTag(nodeId: string): string {
  return createHash('sha256').update(nodeId, 'utf8').digest('base64url').slice(0, 8);
}

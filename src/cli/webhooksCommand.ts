import { loadAllowPrivateWebhooks } from '../config.js';
import {
  checkEndpointHost,
  generateEndpointId,
  generateWebhookSecret,
  isWebhookEventType,
  parseEndpointUrl,
  webhookEventTypes,
  webhookStoreOf,
  WebhookAddressError,
  type DeliveryRecord,
  type WebhookEndpoint,
  type WebhookEventType,
} from '../webhooks/index.js';
import { formatAppRef, parseAppRef } from './appRef.js';
import type { CommandContext } from './commandContext.js';
import { runCommandGroup, type StoreCommand } from './storeCommand.js';
import { UsageError } from './usageError.js';

/** `--events a,b`: each a known type; none given means every type, also those added later. */
function parseEvents(value: unknown): WebhookEventType[] | null {
  if (value === undefined) return null;
  const types = String(value).split(',').map((type) => type.trim()).filter((type) => type !== '');
  const unknown = types.filter((type) => !isWebhookEventType(type));
  if (types.length === 0 || unknown.length > 0) {
    throw new UsageError(`--events takes a comma-separated list of ${webhookEventTypes.join(', ')}; got ${JSON.stringify(String(value))}`);
  }
  return [...new Set(types)] as WebhookEventType[];
}

/**
 * `wiresocket webhooks add <tenantId>/<appId> --url URL [--events ...]`: the URL is checked
 * before anything is stored (its addresses too: no loopback, private, link-local or metadata
 * address without --allow-private-webhooks); the secret is printed here and never again.
 */
const addEndpoint: StoreCommand = {
  options: { url: { type: 'string' }, events: { type: 'string' }, 'allow-private-webhooks': { type: 'boolean' } },
  positionals: { min: 1, max: 1, name: '<tenantId>/<appId>' },
  prepare: async ({ flags, positionals }, env) => {
    const ref = parseAppRef(positionals[0]);
    if (typeof flags.url !== 'string') throw new UsageError('webhooks add needs --url URL');
    const events = parseEvents(flags.events);
    const allowPrivate = loadAllowPrivateWebhooks(flags, env);
    let url: URL;
    try {
      url = parseEndpointUrl(flags.url);
      await checkEndpointHost(url, allowPrivate);
    } catch (error) {
      if (error instanceof WebhookAddressError) throw new UsageError(`--url ${JSON.stringify(flags.url)}: ${error.message}`);
      throw error;
    }
    return async (stores) => {
      if ((await stores.tenants.getApp(ref.tenantId, ref.appId)) === null) throw new Error(`app ${formatAppRef(ref)} does not exist`);
      const endpoint = { endpointId: generateEndpointId(), ...ref, url: url.href, secret: generateWebhookSecret(), events, createdAt: Date.now() };
      await webhookStoreOf(stores).addEndpoint(endpoint);
      return [
        `added webhook endpoint ${endpoint.endpointId} for ${formatAppRef(ref)}: ${endpoint.url} (events: ${events === null ? 'all' : events.join(',')})`,
        `secret: ${endpoint.secret}`,
        'This secret is not shown again: your receiver verifies each delivery with it (standardwebhooks).',
        '',
      ].join('\n');
    };
  },
};

/** `wiresocket webhooks list [<tenantId>/<appId>]`: never the secrets. */
const listEndpoints: StoreCommand = {
  options: {},
  positionals: { min: 0, max: 1, name: '' },
  prepare: ({ positionals }) => {
    const ref = positionals[0] === undefined ? undefined : parseAppRef(positionals[0]);
    return async (stores) => (await webhookStoreOf(stores).listEndpoints(ref)).map(endpointLine).join('');
  },
};

const removeEndpoint: StoreCommand = {
  options: {},
  positionals: { min: 1, max: 1, name: '<endpointId>' },
  prepare: ({ positionals }) => async (stores) => {
    const endpointId = positionals[0];
    if (!(await webhookStoreOf(stores).removeEndpoint(endpointId))) throw new Error(`webhook endpoint ${JSON.stringify(endpointId)} does not exist`);
    return `removed webhook endpoint ${endpointId} and its deliveries\n`;
  },
};

/** `wiresocket webhooks deliveries <endpointId> [--failed] [--limit N]`: newest first. */
const listDeliveries: StoreCommand = {
  options: { failed: { type: 'boolean' }, limit: { type: 'string' } },
  positionals: { min: 1, max: 1, name: '<endpointId>' },
  prepare: ({ flags, positionals }) => {
    const limit = flags.limit === undefined ? 20 : Number(flags.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError(`--limit must be an integer from 1 to 1000; got ${JSON.stringify(flags.limit)}`);
    const endpointId = positionals[0];
    return async (stores) => {
      const webhooks = webhookStoreOf(stores);
      if (!(await webhooks.listEndpoints()).some((endpoint) => endpoint.endpointId === endpointId)) {
        throw new Error(`webhook endpoint ${JSON.stringify(endpointId)} does not exist`);
      }
      return (await webhooks.listDeliveries(endpointId, { failedOnly: flags.failed === true, limit })).map(deliveryLine).join('');
    };
  },
};

const retryDelivery: StoreCommand = {
  options: {},
  positionals: { min: 1, max: 1, name: '<deliveryId>' },
  prepare: ({ positionals }) => async (stores) => {
    const deliveryId = positionals[0];
    const result = await webhookStoreOf(stores).retryDelivery(deliveryId, Date.now());
    if (result === 'unknown') throw new Error(`webhook delivery ${JSON.stringify(deliveryId)} does not exist`);
    if (result === 'endpoint-disabled') throw new Error(`the endpoint of webhook delivery ${deliveryId} is disabled (see webhooks list); remove it and add it again`);
    return `delivery ${deliveryId} is due again (same webhook-id; a fresh 24 h of retries)\n`;
  },
};

function endpointLine(endpoint: WebhookEndpoint): string {
  const state = endpoint.enabled ? 'enabled' : `disabled (${endpoint.disabledReason ?? 'no reason'})`;
  const events = endpoint.events === null ? 'all' : endpoint.events.join(',');
  return `${endpoint.endpointId}\t${formatAppRef(endpoint)}\t${endpoint.url}\tevents=${events}\t${state}\tcreated=${new Date(endpoint.createdAt).toISOString()}\n`;
}

function deliveryLine(delivery: DeliveryRecord): string {
  const parts = [
    delivery.deliveryId,
    delivery.eventType,
    delivery.status,
    `attempts=${delivery.attempts}`,
    `last-status=${delivery.lastStatus ?? '-'}`,
    `created=${new Date(delivery.createdAt).toISOString()}`,
  ];
  if (delivery.status === 'pending') parts.push(`next=${new Date(delivery.nextAttemptAt).toISOString()}`);
  parts.push(`last-error=${delivery.lastError ?? '-'}`);
  return `${parts.join('\t')}\n`;
}

const subcommands: ReadonlyMap<string, StoreCommand> = new Map([
  ['add', addEndpoint],
  ['list', listEndpoints],
  ['remove', removeEndpoint],
  ['deliveries', listDeliveries],
  ['retry', retryDelivery],
]);

/** `wiresocket webhooks add | list | remove | deliveries | retry`. */
export function webhooksCommand({ args, io }: CommandContext): Promise<number> {
  return runCommandGroup('webhooks', subcommands, args, io);
}

import { randomBytes } from 'node:crypto';

/** A Standard Webhooks signing secret: `whsec_` and 24 random bytes in base64 (what `standardwebhooks` takes). */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/** Endpoint ids name the endpoint on the command line. */
export function generateEndpointId(): string {
  return `ep_${randomBytes(12).toString('hex')}`;
}

export function generateEventId(): string {
  return `evt_${randomBytes(16).toString('hex')}`;
}

/** The events a webhook endpoint can subscribe to (README "Webhooks" lists their payloads). */
export const webhookEventTypes = ['document.created', 'document.updated', 'document.ended', 'board.archived', 'quota.reached'] as const;

export type WebhookEventType = (typeof webhookEventTypes)[number];

export function isWebhookEventType(value: string): value is WebhookEventType {
  return (webhookEventTypes as readonly string[]).includes(value);
}

export { webhookEventTypes, isWebhookEventType, type WebhookEventType } from './webhookEventTypes.js';
export type {
  AppName,
  AttemptOutcome,
  ClaimedDelivery,
  DeliveryClaim,
  DeliveryRecord,
  DeliveryStatus,
  EndpointSubscription,
  FinishedAttempt,
  NewWebhookEndpoint,
  RetryResult,
  WebhookEndpoint,
  WebhookStore,
} from './webhookStore.js';
export { LibsqlWebhookStore } from './libsqlWebhookStore.js';
export { PostgresWebhookStore } from './postgresWebhookStore.js';
export { webhookStoreOf } from './openWebhookStore.js';
export { generateEndpointId, generateEventId, generateWebhookSecret } from './webhookSecret.js';
export { nextAttemptAt, retryScheduleDefaults, type RetryScheduleOptions } from './retrySchedule.js';
export { checkEndpointHost, isBlockedAddress, parseEndpointUrl, WebhookAddressError } from './addressPolicy.js';
export { sendWebhook, type SendResult, type WebhookRequest, type WebhookSenderOptions } from './webhookSender.js';
export { webhookBody } from './webhookBody.js';
export { WebhookDispatcher, webhookDispatcherDefaults, type WebhookAttemptRecord, type WebhookDispatcherOptions } from './webhookDispatcher.js';
export { WebhookAnnouncer, type WebhookAnnouncerOptions } from './webhookAnnouncer.js';
export { WebhookService, type WebhookServiceOptions } from './webhookService.js';
